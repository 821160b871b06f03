using System;
using System.Collections.Generic;
using System.Threading;

namespace Xent.Internal.Parallel;

/// <summary>
/// The one way the kernel splits work over threads. A call's units (rows, or tiles of positions) are cut into chunks
/// by <see cref="Split"/>, from the shape alone; <see cref="For"/> runs the chunks on up to
/// <see cref="Functional.MaxDegreeOfParallelism"/> threads, the calling thread included; each chunk writes its partial
/// results to its own slot and the caller combines the slots in chunk order. So every result is the same, bit for bit,
/// at any thread count and under any machine load.
/// </summary>
/// <remarks>
/// No allocation after warm-up: helpers and jobs are pooled, the body is a function pointer and its context lives on
/// the caller's stack. The caller never waits for a helper the thread pool has not started: when its own loop finds
/// no chunk left, it withdraws every helper still queued (a withdrawn helper does nothing when it runs) and waits only
/// for those already working, each of which finishes at most one chunk. So a saturated pool costs the caller nothing
/// but the parallelism, and the wait is bounded by one chunk's work.
/// </remarks>
internal static unsafe class ChunkDriver
{
    /// <summary>Elements per chunk: large enough to amortize the hand-off, small enough to balance two cores.</summary>
    public const int ElementsPerChunk = 32 * 1024;

    /// <summary>The most chunks a call uses, so that their partial results fit on the stack.</summary>
    public const int MaxChunks = 1024;

    private static readonly Stack<Job> Jobs = new();
    private static readonly Stack<Helper> Helpers = new();

    /// <summary>
    /// The fixed chunking of <paramref name="units"/> units of <paramref name="elementsPerUnit"/> elements each: about
    /// <see cref="ElementsPerChunk"/> elements a chunk, at most <see cref="MaxChunks"/> chunks; at least one chunk.
    /// </summary>
    public static (int UnitsPerChunk, int Chunks) Split(int units, long elementsPerUnit)
    {
        long perChunk = Math.Max(1, ElementsPerChunk / Math.Max(1, elementsPerUnit));
        int unitsPerChunk = (int)Math.Min(int.MaxValue, Math.Max(perChunk, ((long)units + MaxChunks - 1) / MaxChunks));
        int chunks = Math.Max(1, (int)(((long)units + unitsPerChunk - 1) / unitsPerChunk));
        return (unitsPerChunk, chunks);
    }

    /// <summary>Runs body(context, i) for every chunk i in [0, chunks); returns when all have run. Bodies never throw.</summary>
    public static void For(int chunks, delegate*<void*, int, void> body, void* context)
    {
        int threads = Math.Min(Functional.MaxDegreeOfParallelism, chunks);
        if (threads <= 1)
        {
            for (int i = 0; i < chunks; i++)
            {
                body(context, i);
            }

            return;
        }

        Job job = Rent(Jobs) ?? new Job();
        job.Start(chunks, body, context);
        int helperCount = Math.Min(threads - 1, Job.MaxHelpers);
        for (int h = 0; h < helperCount; h++)
        {
            Helper helper = Rent(Helpers) ?? new Helper();
            helper.Queue(job);
            job.Helpers[h] = helper;
        }

        job.Work();
        for (int h = 0; h < helperCount; h++)
        {
            Helper helper = job.Helpers[h]!;
            job.Helpers[h] = null;
            if (helper.TryWithdraw())
            {
                continue; // still queued: it returns itself to the pool when the thread pool runs it
            }

            helper.WaitUntilDone();
            Return(Helpers, helper);
        }

        Return(Jobs, job);
    }

    private static TItem? Rent<TItem>(Stack<TItem> pool)
        where TItem : class
    {
        lock (pool)
        {
            return pool.Count > 0 ? pool.Pop() : null;
        }
    }

    private static void Return<TItem>(Stack<TItem> pool, TItem item)
        where TItem : class
    {
        lock (pool)
        {
            pool.Push(item);
        }
    }

    private sealed class Job
    {
        public const int MaxHelpers = 63;

        public readonly Helper?[] Helpers = new Helper?[MaxHelpers];
        private delegate*<void*, int, void> _body;
        private void* _context;
        private int _chunks;
        private int _next;

        public void Start(int chunks, delegate*<void*, int, void> body, void* context)
        {
            _body = body;
            _context = context;
            _chunks = chunks;
            Volatile.Write(ref _next, 0);
        }

        /// <summary>Takes chunks until none is left.</summary>
        public void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _chunks)
            {
                _body(_context, i);
            }
        }
    }

    /// <summary>One queued helper: Queued → Running → Done, or Queued → Withdrawn (then it only returns to the pool).</summary>
    private sealed class Helper : IThreadPoolWorkItem
    {
        private const int Queued = 0;
        private const int Running = 1;
        private const int Done = 2;
        private const int Withdrawn = 3;

        private Job? _job;
        private int _state;

        public void Queue(Job job)
        {
            _job = job;
            Volatile.Write(ref _state, Queued);
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        public void Execute()
        {
            if (Interlocked.CompareExchange(ref _state, Running, Queued) != Queued)
            {
                // Withdrawn by a caller that finished without it: the job may already serve another call.
                _job = null;
                Return(ChunkDriver.Helpers, this);
                return;
            }

            _job!.Work();
            Volatile.Write(ref _state, Done);
        }

        public bool TryWithdraw() => Interlocked.CompareExchange(ref _state, Withdrawn, Queued) == Queued;

        /// <summary>Spins, then yields (never sleeps: a millisecond's nap would dwarf a call), while the helper finishes its last chunk.</summary>
        public void WaitUntilDone()
        {
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _state) != Done)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            _job = null;
        }
    }
}
