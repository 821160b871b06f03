using System;
using System.Threading;
using Xent.Internal.Parallel;
using Xunit;

namespace Xent.Properties;

/// <summary>
/// <see cref="ChunkDriver.Region"/>: every chunk of every step a region's program publishes runs exactly once, a step
/// returns only when all its chunks have run (so steps are ordered), a For called from a chunk body runs on that
/// thread, and a region opened inside a region is the same region.
/// </summary>
public unsafe class ChunkDriverRegionFacts
{
    private const int Steps = 400;

    private struct Program
    {
        public int* Runs; // Steps × MaxChunks counters
        public int* Finished; // chunks finished per step
        public int MaxChunks;
        public int Step;
        public int Violations;
        public int Nested;
    }

    private static int ChunksOf(int step) => 1 + (step * 7 % 13);

    private static void Body(void* context, int chunk)
    {
        var p = (Program*)context;
        // The previous step is complete before any chunk of this one runs.
        if (p->Step > 0 && Volatile.Read(ref p->Finished[p->Step - 1]) != ChunksOf(p->Step - 1))
        {
            Interlocked.Increment(ref p->Violations);
        }

        Thread.SpinWait(50 * (chunk % 3));
        Interlocked.Increment(ref p->Runs[p->Step * p->MaxChunks + chunk]);
        if (chunk == 0 && p->Step % 50 == 0)
        {
            ChunkDriver.For(3, &NestedBody, context);
        }

        Interlocked.Increment(ref p->Finished[p->Step]);
    }

    private static void NestedBody(void* context, int chunk) => Interlocked.Increment(ref ((Program*)context)->Nested);

    private static void Run(void* context)
    {
        var p = (Program*)context;
        for (int s = 0; s < Steps; s++)
        {
            p->Step = s;
            ChunkDriver.For(ChunksOf(s), &Body, context);
            if (s == Steps / 2)
            {
                ChunkDriver.Region(&Inner, context); // the same region: runs at once
            }
        }
    }

    private static void Inner(void* context) => ((Program*)context)->Nested += 1000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void EveryChunkRunsOnce_AndStepsAreOrdered(int threads)
    {
        const int maxChunks = 13;
        int* runs = stackalloc int[Steps * maxChunks];
        int* finished = stackalloc int[Steps];
        new Span<int>(runs, Steps * maxChunks).Clear();
        new Span<int>(finished, Steps).Clear();
        var program = new Program { Runs = runs, Finished = finished, MaxChunks = maxChunks };
        int saved = Functional.MaxDegreeOfParallelism;
        Functional.MaxDegreeOfParallelism = threads;
        try
        {
            for (int repeat = 0; repeat < 3; repeat++)
            {
                program.Nested = 0;
                new Span<int>(runs, Steps * maxChunks).Clear();
                new Span<int>(finished, Steps).Clear();
                ChunkDriver.Region(&Run, &program);
                for (int s = 0; s < Steps; s++)
                {
                    for (int c = 0; c < maxChunks; c++)
                    {
                        int expected = c < ChunksOf(s) ? 1 : 0;
                        Assert.True(runs[s * maxChunks + c] == expected, $"step {s} chunk {c} ran {runs[s * maxChunks + c]} times at {threads} threads");
                    }
                }

                Assert.Equal(0, program.Violations);
                Assert.Equal(1000 + 3 * (Steps / 50), program.Nested);
            }
        }
        finally
        {
            Functional.MaxDegreeOfParallelism = saved;
        }
    }
}
