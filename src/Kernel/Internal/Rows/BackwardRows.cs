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

            if (laneStride == 0)
            {
                Row<T, TD>(ref job, position0, a, b, output, classes);
            }
            else
            {
                Tile<T, TD>(ref job, position0, lanes, a, b, output, classes, classStride);
            }

            if (transposed)
            {
                WalkShape.Transpose<T>(job.Output + offset, stagedOutput, classes, lanes, toTile: false);
            }
        }
    }

    /// <summary>A contiguous row, eight classes at a time.</summary>
    [MethodImpl(Compile.HotLoop)]
    private static void Row<T, TD>(ref BackwardJob job, int position, byte* a, byte* b, byte* output, int classes)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        int size = Elements<T>.Size;
        double d = 0.0;
        if (job.Kind != Backward.LogSumExp)
        {
            TD zero = TD.Create(0.0);
            TD sum = zero, total = zero, compensation = zero;
            for (int i = 0; i < classes; i += 8)
            {
                sum += Term(job.Kind, Elements<T>.LoadBlock<TD>(a + (nint)i * size, classes - i), Elements<T>.LoadBlock<TD>(b + (nint)i * size, classes - i));
                if ((i >> 3) % BlockedSum.BlockLength == BlockedSum.BlockLength - 1 || i + 8 >= classes)
                {
                    (total, compensation) = BlockedSum.Add(total, compensation, sum);
                    sum = zero;
                }
            }

            d = TD.Sum(BlockedSum.Total(total, compensation));
        }

        (TD first, TD second) = Parameters<T, TD>(ref job, position, d);
        for (int i = 0; i < classes; i += 8)
        {
            int lanes = classes - i;
            TD value = Gradient(job.Kind, Elements<T>.LoadBlock<TD>(a + (nint)i * size, lanes), b == null ? first : Elements<T>.LoadBlock<TD>(b + (nint)i * size, lanes), first, second);
            Elements<T>.StoreBlock(value, output + (nint)i * size, lanes);
        }
    }

    /// <summary>Eight positions at a time, one per lane, classes <paramref name="classStride"/> bytes apart.</summary>
    [MethodImpl(Compile.HotLoop)]
    private static void Tile<T, TD>(ref BackwardJob job, int position0, int lanes, byte* a, byte* b, byte* output, int classes, nint classStride)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        Eight firsts = default, seconds = default;
        if (job.Kind != Backward.LogSumExp)
        {
            TD zero = TD.Create(0.0);
            TD sum = zero, total = zero, compensation = zero;
            for (int c = 0; c < classes; c++)
            {
                sum += Term(job.Kind, Elements<T>.LoadBlock<TD>(a + c * classStride, lanes), Elements<T>.LoadBlock<TD>(b + c * classStride, lanes));
                if (c % BlockedSum.BlockLength == BlockedSum.BlockLength - 1 || c == classes - 1)
                {
                    (total, compensation) = BlockedSum.Add(total, compensation, sum);
                    sum = zero;
                }
            }

            TD.Store(BlockedSum.Total(total, compensation), LaneTilePass.Pointer(ref firsts));
        }

        for (int k = 0; k < lanes; k++)
        {
            (firsts[k], seconds[k]) = ScalarParameters<T>(ref job, position0 + k, firsts[k]);
        }

        TD first = TD.Load(LaneTilePass.Pointer(ref firsts));
        TD second = TD.Load(LaneTilePass.Pointer(ref seconds));
        for (int c = 0; c < classes; c++)
        {
            TD value = Gradient(job.Kind, Elements<T>.LoadBlock<TD>(a + c * classStride, lanes), b == null ? first : Elements<T>.LoadBlock<TD>(b + c * classStride, lanes), first, second);
            Elements<T>.StoreBlock(value, output + c * classStride, lanes);
        }
    }

    /// <summary>The summand of the row reduction: g·y (softmax) or g (log-softmax).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD Term<TD>(Backward kind, TD a, TD b)
        where TD : unmanaged, IDoubleBlock<TD> =>
        kind == Backward.Softmax ? b * a : b;

    /// <summary>The per-position parameters of <see cref="Gradient"/>: d (softmax, log-softmax) or (g, r) (log-sum-exp).</summary>
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

    /// <summary>gradInput: y·(g − d), g − exp(o)·d, or g·exp(x − r).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD Gradient<TD>(Backward kind, TD a, TD b, TD first, TD second)
        where TD : unmanaged, IDoubleBlock<TD> => kind switch
        {
            Backward.Softmax => a * (b - first),
            Backward.LogSoftmax => b - VectorMath.Exp(a) * first,
            _ => first * VectorMath.Exp(a - second),
        };
}
