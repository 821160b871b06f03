using System.Numerics;
using System.Runtime.CompilerServices;
using Xent.Internal.Parallel;
using Xent.Internal.Vectors;

namespace Xent.Internal.Rows;

/// <summary>Which backward pass: each reduces a position's row to one number d (or none) and writes gradInput from it.</summary>
internal enum Backward
{
    /// <summary>A = softmax output y, B = upstream g: d = Σ g·y, gradInput = y·(g − d).</summary>
    Softmax,

    /// <summary>A = log-softmax output o, B = upstream g: d = Σ g, gradInput = g − exp(o)·d.</summary>
    LogSoftmax,

    /// <summary>A = input x, per position r = lse and g: gradInput = g·exp(x − r).</summary>
    LogSumExp,
}

/// <summary>One call of a backward pass over a (outer, classes, inner) tensor.</summary>
internal unsafe struct BackwardJob
{
    public Backward Kind;

    /// <summary>The row values A (the input's layout).</summary>
    public byte* A;

    /// <summary>The upstream gradient B (the input's layout), for softmax and log-softmax.</summary>
    public byte* B;

    /// <summary>Per position: the log-sum-exp r and the upstream gradient g (log-sum-exp backward).</summary>
    public byte* Result;
    public byte* PositionGradient;

    /// <summary>gradInput (the input's layout; may be A or B itself).</summary>
    public byte* Output;
    public WalkShape Shape;
}

/// <summary>
/// The backward passes of softmax, log-softmax and log-sum-exp through the engine's walks: per position a compensated
/// double reduction over the classes, then one vector pass writing gradInput, rounded once to the element type.
/// </summary>
internal static unsafe class BackwardRows
{
    public static void Run<T>(ref BackwardJob job)
        where T : IFloatingPointIeee754<T>
    {
        if (job.Shape.Positions == 0)
        {
            return;
        }

        fixed (BackwardJob* context = &job)
        {
            ChunkDriver.For(job.Shape.Chunks, Width.Pick(&Chunk<T, Double512>, &Chunk<T, Double256>, &Chunk<T, Double128>), context);
        }
    }

    private static void Chunk<T, TD>(void* state, int chunk)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        ref BackwardJob job = ref Unsafe.AsRef<BackwardJob>(state);
        (int first, int last) = job.Shape.ChunkUnits(chunk);
        int classes = job.Shape.Classes;
        int size = Elements<T>.Size;
        bool transposed = job.Shape.Walk == Walk.Transposed;
        bool withB = job.Kind != Backward.LogSumExp;
        byte* stagedA = stackalloc byte[transposed ? WalkShape.TileBytes : 0];
        byte* stagedB = stackalloc byte[transposed && withB ? WalkShape.TileBytes : 0];
        byte* stagedOutput = stackalloc byte[transposed ? WalkShape.TileBytes : 0];
        for (int unit = first; unit < last; unit++)
        {
            int position0, lanes;
            nint offset, classStride, laneStride;
            if (job.Shape.Walk == Walk.Rows)
            {
                // A row is a "tile" of one lane whose classes are contiguous: blocks of eight classes at a time.
                position0 = unit;
                lanes = 1;
                offset = (nint)unit * classes * size;
                classStride = size;
                laneStride = 0;
            }
            else
            {
                (position0, lanes, offset, classStride) = job.Shape.Tile(unit, size);
                laneStride = size;
            }

            byte* a = job.A + offset;
            byte* b = withB ? job.B + offset : null;
            byte* output = job.Output + offset;
            if (transposed)
            {
                WalkShape.Transpose<T>(a, stagedA, classes, lanes, toTile: true);
                a = stagedA;
                if (withB)
                {
                    WalkShape.Transpose<T>(b, stagedB, classes, lanes, toTile: true);
                    b = stagedB;
                }

                output = stagedOutput;
            }

            switch (job.Kind)
            {
                case Backward.Softmax:
                    Unit<T, TD, SoftmaxGradient>(ref job, position0, lanes, laneStride, a, b, output, classes, classStride);
                    break;
                case Backward.LogSoftmax:
                    Unit<T, TD, LogSoftmaxGradient>(ref job, position0, lanes, laneStride, a, b, output, classes, classStride);
                    break;
                default:
                    Unit<T, TD, LogSumExpGradient>(ref job, position0, lanes, laneStride, a, b, output, classes, classStride);
                    break;
            }

            if (transposed)
            {
                WalkShape.Transpose<T>(job.Output + offset, stagedOutput, classes, lanes, toTile: false);
            }
        }
    }

    /// <summary>One unit of the walk: a contiguous row (no lane stride) or a tile of positions.</summary>
    private static void Unit<T, TD, TKind>(ref BackwardJob job, int position0, int lanes, nint laneStride, byte* a, byte* b, byte* output, int classes, nint classStride)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TKind : IBackwardKind
    {
        if (laneStride == 0)
        {
            Row<T, TD, TKind>(ref job, position0, a, b, output, classes);
        }
        else
        {
            Tile<T, TD, TKind>(ref job, position0, lanes, a, b, output, classes, classStride);
        }
    }

    /// <summary>
    /// A contiguous row, eight classes at a time: the whole blocks, in compensated groups of
    /// <see cref="BlockedSum.BlockLength"/> joined out of line, then the partial last block.
    /// </summary>
    [MethodImpl(Compile.HotLoop)]
    private static void Row<T, TD, TKind>(ref BackwardJob job, int position, byte* a, byte* b, byte* output, int classes)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TKind : IBackwardKind
    {
        int size = Elements<T>.Size;
        int whole = classes & ~7;
        double d = 0.0;
        if (TKind.Reduces)
        {
            double* totals = stackalloc double[BlockedSum.TotalDoubles];
            new System.Span<double>(totals, BlockedSum.TotalDoubles).Clear();
            int i = 0;
            while (i < whole)
            {
                int stop = System.Math.Min(whole, i + 8 * BlockedSum.BlockLength);
                TD sum = TD.Create(0.0);
                for (; i < stop; i += 8)
                {
                    sum += TKind.Term(Elements<T>.Load<TD>(a + (nint)i * size), Elements<T>.Load<TD>(b + (nint)i * size));
                }

                BlockedSum.AddTo(totals, sum);
            }

            if (whole < classes)
            {
                // Lanes past the row load 0 from both sides: their term is 0.
                BlockedSum.AddTo(totals, TKind.Term(Elements<T>.LoadBlock<TD>(a + (nint)whole * size, classes - whole), Elements<T>.LoadBlock<TD>(b + (nint)whole * size, classes - whole)));
            }

            d = BlockedSum.SumOf<TD>(totals);
        }

        (TD first, TD second) = Parameters<T, TD>(ref job, position, d);
        for (int i = 0; i < whole; i += 8)
        {
            TD value = TKind.Gradient(Elements<T>.Load<TD>(a + (nint)i * size), TKind.Reduces ? Elements<T>.Load<TD>(b + (nint)i * size) : first, first, second);
            Elements<T>.Store(value, output + (nint)i * size);
        }

        if (whole < classes)
        {
            int lanes = classes - whole;
            TD value = TKind.Gradient(Elements<T>.LoadBlock<TD>(a + (nint)whole * size, lanes), TKind.Reduces ? Elements<T>.LoadBlock<TD>(b + (nint)whole * size, lanes) : first, first, second);
            Elements<T>.StoreBlock(value, output + (nint)whole * size, lanes);
        }
    }

    /// <summary>Eight positions at a time, one per lane, classes <paramref name="classStride"/> bytes apart.</summary>
    [MethodImpl(Compile.HotLoop)]
    private static void Tile<T, TD, TKind>(ref BackwardJob job, int position0, int lanes, byte* a, byte* b, byte* output, int classes, nint classStride)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TKind : IBackwardKind
    {
        Eight firsts = default, seconds = default;
        if (TKind.Reduces)
        {
            double* totals = stackalloc double[BlockedSum.TotalDoubles];
            new System.Span<double>(totals, BlockedSum.TotalDoubles).Clear();
            int c = 0;
            while (c < classes)
            {
                int stop = System.Math.Min(classes, c + BlockedSum.BlockLength);
                TD sum = TD.Create(0.0);
                for (; c < stop; c++)
                {
                    sum += TKind.Term(Elements<T>.LoadBlock<TD>(a + c * classStride, lanes), Elements<T>.LoadBlock<TD>(b + c * classStride, lanes));
                }

                BlockedSum.AddTo(totals, sum);
            }

            TD.Store(BlockedSum.Total(TD.Load(totals), TD.Load(totals + 8)), LaneTilePass.Pointer(ref firsts));
        }

        for (int k = 0; k < lanes; k++)
        {
            (firsts[k], seconds[k]) = ScalarParameters<T>(ref job, position0 + k, firsts[k]);
        }

        TD first = TD.Load(LaneTilePass.Pointer(ref firsts));
        TD second = TD.Load(LaneTilePass.Pointer(ref seconds));
        for (int c = 0; c < classes; c++)
        {
            TD value = TKind.Gradient(Elements<T>.LoadBlock<TD>(a + c * classStride, lanes), TKind.Reduces ? Elements<T>.LoadBlock<TD>(b + c * classStride, lanes) : first, first, second);
            Elements<T>.StoreBlock(value, output + c * classStride, lanes);
        }
    }

    /// <summary>The per-position parameters of the gradient: d (softmax, log-softmax) or (g, r) (log-sum-exp).</summary>
    private static (double First, double Second) ScalarParameters<T>(ref BackwardJob job, int position, double d)
        where T : IFloatingPointIeee754<T> =>
        job.Kind == Backward.LogSumExp
            ? (Elements<T>.Read(job.PositionGradient, position), Elements<T>.Read(job.Result, position))
            : (d, 0.0);

    private static (TD First, TD Second) Parameters<T, TD>(ref BackwardJob job, int position, double d)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        (double first, double second) = ScalarParameters<T>(ref job, position, d);
        return (TD.Create(first), TD.Create(second));
    }
}

/// <summary>
/// The formulas of one backward pass, a type argument of the walks (so that a loop holds only its own): whether it
/// reduces each row to d, the summand of that reduction, and gradInput from A, B and the per-position parameters.
/// </summary>
internal interface IBackwardKind
{
    static abstract bool Reduces { get; }

    static abstract TD Term<TD>(TD a, TD b)
        where TD : unmanaged, IDoubleBlock<TD>;

    static abstract TD Gradient<TD>(TD a, TD b, TD first, TD second)
        where TD : unmanaged, IDoubleBlock<TD>;
}

/// <summary>Softmax: d = Σ g·y, gradInput = y·(g − d).</summary>
internal readonly struct SoftmaxGradient : IBackwardKind
{
    public static bool Reduces => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Term<TD>(TD a, TD b)
        where TD : unmanaged, IDoubleBlock<TD> => b * a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Gradient<TD>(TD a, TD b, TD first, TD second)
        where TD : unmanaged, IDoubleBlock<TD> => a * (b - first);
}

/// <summary>Log-softmax: d = Σ g, gradInput = g − exp(o)·d.</summary>
internal readonly struct LogSoftmaxGradient : IBackwardKind
{
    public static bool Reduces => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Term<TD>(TD a, TD b)
        where TD : unmanaged, IDoubleBlock<TD> => b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Gradient<TD>(TD a, TD b, TD first, TD second)
        where TD : unmanaged, IDoubleBlock<TD> => b - VectorMath.Exp(a) * first;
}

/// <summary>Log-sum-exp: no reduction; gradInput = g·exp(x − r) from the position's upstream g and result r.</summary>
internal readonly struct LogSumExpGradient : IBackwardKind
{
    public static bool Reduces => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Term<TD>(TD a, TD b)
        where TD : unmanaged, IDoubleBlock<TD> => b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Gradient<TD>(TD a, TD b, TD first, TD second)
        where TD : unmanaged, IDoubleBlock<TD> => first * VectorMath.Exp(a - second);
}
