using System.Numerics;
using System.Runtime.CompilerServices;
using Xent.Internal.Parallel;
using Xent.Internal.Vectors;

namespace Xent.Internal.Rows;

/// <summary>What a normalizer writes for each element z of a row with maximum m and S = Σ exp(z − m).</summary>
internal enum Normalizer
{
    /// <summary>exp(z − m) / S, one value per element.</summary>
    Softmax,

    /// <summary>(z − m) − log S, one value per element.</summary>
    LogSoftmax,

    /// <summary>m + log S, one value per position (m itself when m is ±∞).</summary>
    LogSumExp,
}

/// <summary>One call of softmax, log-softmax or log-sum-exp over a (outer, classes, inner) tensor.</summary>
internal unsafe struct NormalizerJob
{
    public Normalizer Kind;
    public byte* Input;

    /// <summary>The input's layout for softmax and log-softmax (may be the input itself), one value per position for log-sum-exp.</summary>
    public byte* Output;
    public WalkShape Shape;
}

/// <summary>
/// Softmax, log-softmax and log-sum-exp through the row engine: each position's statistics from the exact statistic
/// pass (in double), then one vector pass writing the normalized values; units in fixed chunks over threads.
/// </summary>
internal static unsafe class NormalizerRows
{
    public static void Run<T>(ref NormalizerJob job)
        where T : IFloatingPointIeee754<T>
    {
        if (job.Shape.Positions == 0)
        {
            return;
        }

        fixed (NormalizerJob* context = &job)
        {
            ChunkDriver.For(job.Shape.Chunks, Width.Pick(&Chunk<T, Double512>, &Chunk<T, Double256>, &Chunk<T, Double128>), context);
        }
    }

    /// <summary>log Σ exp(z) of the row's statistics: m + log S, or m when m is ±∞ (a row of −∞ gives −∞, one holding +∞ and no NaN gives +∞).</summary>
    public static double LogSumExp(in RowStatistics s) => LogSumExp(LaneStatistics<Double1>.Of(s)).Value;

    /// <summary><see cref="LogSumExp(in RowStatistics)"/> lane by lane.</summary>
    private static TD LogSumExp<TD>(in LaneStatistics<TD> s)
        where TD : unmanaged, IDoubleBlock<TD> =>
        TD.Select(TD.Equal(TD.Abs(s.Max), TD.Create(double.PositiveInfinity)), s.Max, s.Max + s.LogSum);

    private static void Chunk<T, TD>(void* state, int chunk)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        ref NormalizerJob job = ref Unsafe.AsRef<NormalizerJob>(state);
        (int first, int last) = job.Shape.ChunkUnits(chunk);
        int classes = job.Shape.Classes;
        int size = Elements<T>.Size;
        if (job.Shape.Walk == Walk.Rows)
        {
            nint rowBytes = (nint)classes * size;

            // Softmax keeps the statistic pass's exponentials for its second pass when the row is short enough.
            int stashLength = job.Kind == Normalizer.Softmax ? RowStatisticsPass.StashLength(classes) : 0;
            double* stash = stackalloc double[stashLength];
            if (stashLength == 0)
            {
                stash = null;
            }

            for (int row = first; row < last; row++)
            {
                byte* x = job.Input + row * rowBytes;
                RowStatistics s = RowStatisticsPass.Exact<T, TD>(x, classes, default, null, 0.0, findArgMax: false, stash);
                if (job.Kind == Normalizer.LogSumExp)
                {
                    Elements<T>.Write(job.Output, row, LogSumExp(s));
                    continue;
                }

                NormalizeRow<T, TD>(job.Kind, x, job.Output + row * rowBytes, classes, s.Max, job.Kind == Normalizer.Softmax ? s.SumExp : s.LogSum, stash);
            }

            return;
        }

        bool transposed = job.Shape.Walk == Walk.Transposed;
        byte* staged = stackalloc byte[transposed ? WalkShape.TileBytes : 0];
        byte* stagedOutput = stackalloc byte[transposed && job.Kind != Normalizer.LogSumExp ? WalkShape.TileBytes : 0];
        for (int unit = first; unit < last; unit++)
        {
            (int position0, int lanes, nint offset, nint classStride) = job.Shape.Tile(unit, size);
            if (transposed)
            {
                WalkShape.Transpose<T>(job.Input + offset, staged, classes, lanes, toTile: true);
            }

            var tile = new LaneTile(transposed ? staged : job.Input + offset, classStride, classes, lanes);
            LaneStatistics<TD> statistics = LaneTilePass.Statistics<T, TD>(tile, default, null, 0.0, findArgMax: false);
            if (job.Kind == Normalizer.LogSumExp)
            {
                Elements<T>.StoreBlock(LogSumExp(statistics), job.Output + (nint)position0 * size, lanes);
                continue;
            }

            TD m = statistics.Max;
            TD scale = job.Kind == Normalizer.Softmax ? statistics.SumExp : statistics.LogSum;
            byte* output = transposed ? stagedOutput : job.Output + offset;
            for (int c = 0; c < classes; c++)
            {
                TD value = Normalize(job.Kind, RowStatisticsPass.LoadLogits<T, TD, NoSoftCap>(tile.Start + c * classStride, lanes, 0.0), m, scale);
                Elements<T>.StoreBlock(value, output + c * classStride, lanes);
            }

            if (transposed)
            {
                WalkShape.Transpose<T>(job.Output + offset, stagedOutput, classes, lanes, toTile: false);
            }
        }
    }

    /// <summary>
    /// One contiguous row of softmax or log-softmax from its maximum and S (or log S); y may be x. Softmax reads the
    /// exponentials from <paramref name="exponentials"/> when the statistic pass kept them there.
    /// </summary>
    [MethodImpl(Compile.HotLoop)]
    private static void NormalizeRow<T, TD>(Normalizer kind, byte* x, byte* y, int classes, double max, double scale, double* exponentials)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        int size = Elements<T>.Size;
        TD m = TD.Create(max);
        TD s = TD.Create(scale);
        int whole = classes & ~7;
        if (exponentials != null)
        {
            for (int i = 0; i < whole; i += 8)
            {
                Elements<T>.Store(TD.Load(exponentials + i) / s, y + (nint)i * size);
            }
        }
        else
        {
            for (int i = 0; i < whole; i += 8)
            {
                Elements<T>.Store(Normalize(kind, Elements<T>.Load<TD>(x + (nint)i * size), m, s), y + (nint)i * size);
            }
        }

        if (whole < classes)
        {
            int lanes = classes - whole;
            TD value = exponentials != null
                ? TD.Load(exponentials + whole) / s
                : Normalize(kind, RowStatisticsPass.LoadLogits<T, TD, NoSoftCap>(x + (nint)whole * size, lanes, 0.0), m, s);
            Elements<T>.StoreBlock(value, y + (nint)whole * size, lanes);
        }
    }

    /// <summary>softmax: exp(z − m) / S; log-softmax: (z − m) − log S.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD Normalize<TD>(Normalizer kind, TD z, TD m, TD scale)
        where TD : unmanaged, IDoubleBlock<TD> =>
        kind == Normalizer.Softmax ? VectorMath.Exp(z - m) / scale : (z - m) - scale;
}
