using System.Numerics;
using System.Runtime.CompilerServices;
using Xent.Internal.Vectors;

namespace Xent.Internal.Rows;

/// <summary>
/// A tile of up to eight positions with one position per double lane: lane k's class c sits at
/// <c>Start + k·size + c·ClassStride</c>. (N, C, d1, ..., dk) layouts are read in place (eight neighbouring positions of
/// one outer index, classes <c>inner</c> elements apart); rows of few classes are first transposed into a tile on the
/// stack. Every quantity is computed in double for the eight positions at once, vectorized across positions.
/// </summary>
internal readonly unsafe struct LaneTile
{
    public LaneTile(byte* start, nint classStride, int classes, int lanes)
    {
        Start = start;
        ClassStride = classStride;
        Classes = classes;
        Lanes = lanes;
    }

    /// <summary>Lane 0, class 0.</summary>
    public byte* Start { get; }

    /// <summary>Bytes between class c and class c + 1 of a lane.</summary>
    public nint ClassStride { get; }

    public int Classes { get; }

    /// <summary>How many lanes hold positions (1 to 8); the others are never read or written.</summary>
    public int Lanes { get; }
}

/// <summary>The statistic pass and the gradient writer of <see cref="LaneTile"/>s: the lane-wise forms of <see cref="RowStatisticsPass.Exact{T, TD}"/> and <see cref="RowGradient.Exact{T, TD}"/>.</summary>
internal static unsafe class LaneTilePass
{
    /// <summary>The statistics of each lane's row (lanes past <see cref="LaneTile.Lanes"/> hold no position).</summary>
    /// <param name="tile">The logits.</param>
    /// <param name="coefficients">The coefficients of the linear term (class weights are the same for every lane).</param>
    /// <param name="targets">For probability coefficients, the target probabilities in the tile's layout.</param>
    /// <param name="cap">The soft cap, or 0.</param>
    /// <param name="findArgMax">Whether to find each lane's prediction (else <see cref="RowStatistics.ArgMax"/> is −1, as in the row walk).</param>
    public static LaneStatistics<TD> Statistics<T, TD>(in LaneTile tile, in Coefficients coefficients, byte* targets, double cap, bool findArgMax)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        return cap == 0.0
            ? Statistics<T, TD, NoSoftCap>(tile, coefficients, targets, cap, findArgMax)
            : Statistics<T, TD, SoftCapped>(tile, coefficients, targets, cap, findArgMax);
    }

    /// <summary>The loop's remaining type arguments, one flag at a time: the linear term, then the prediction.</summary>
    private static LaneStatistics<TD> Statistics<T, TD, TCap>(in LaneTile tile, in Coefficients coefficients, byte* targets, double cap, bool findArgMax)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        return coefficients.Kind == CoefficientKind.None
            ? Statistics<T, TD, TCap, NoLinearTerm>(tile, coefficients, targets, cap, findArgMax)
            : Statistics<T, TD, TCap, WithLinearTerm>(tile, coefficients, targets, cap, findArgMax);
    }

    private static LaneStatistics<TD> Statistics<T, TD, TCap, TLinear>(in LaneTile tile, in Coefficients coefficients, byte* targets, double cap, bool findArgMax)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
        where TLinear : ILinearTerm
    {
        return findArgMax
            ? Statistics<T, TD, TCap, TLinear, Predicted>(tile, coefficients, targets, cap)
            : Statistics<T, TD, TCap, TLinear, NoPrediction>(tile, coefficients, targets, cap);
    }

    [MethodImpl(Compile.HotLoop)]
    private static LaneStatistics<TD> Statistics<T, TD, TCap, TLinear, TPrediction>(in LaneTile tile, in Coefficients coefficients, byte* targets, double cap)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
        where TLinear : ILinearTerm
        where TPrediction : IPrediction
    {
        int lanes = tile.Lanes;
        TD m = TD.Create(double.NegativeInfinity);
        for (int k = 0; k < tile.Classes; k++)
        {
            m = TD.Max(m, RowStatisticsPass.LoadLogits<T, TD, TCap>(tile.Start + k * tile.ClassStride, lanes, cap));
        }

        TD zero = TD.Create(0.0);
        TD one = TD.Create(1.0);
        TD count = zero;
        TD argMax = TD.Create(-1.0);
        TD nanLanes = TD.IsNaN(m);

        // The compensated totals live in memory, joined once per BlockLength classes out of line (see RowStatisticsPass.ExactLoop).
        const int Totals = BlockedSum.TotalDoubles;
        double* totals = stackalloc double[3 * Totals];
        new System.Span<double>(totals, 3 * Totals).Clear();
        int c = 0;
        while (c < tile.Classes)
        {
            int stop = System.Math.Min(tile.Classes, c + BlockedSum.BlockLength);
            TD sum = zero, linear = zero, coefficientSum = zero;
            for (; c < stop; c++)
            {
                TD v = RowStatisticsPass.LoadLogits<T, TD, TCap>(tile.Start + c * tile.ClassStride, lanes, cap);
                TD d = v - m;
                TD atMax = TD.Equal(d, zero);
                count += TD.Select(atMax, one, zero);
                sum += TD.Select(atMax, zero, VectorMath.Exp(d));
                if (TPrediction.On)
                {
                    TD hit = TD.Select(nanLanes, TD.IsNaN(v), TD.Equal(v, m));
                    argMax = TD.Select(TD.Equal(argMax, TD.Create(-1.0)), TD.Select(hit, TD.Create(c), argMax), argMax);
                }

                if (TLinear.On)
                {
                    TD a = Coefficient<T, TD>(coefficients, targets + c * tile.ClassStride, c, lanes);
                    linear += RowStatisticsPass.LinearTerm(a, d);
                    coefficientSum += a;
                }
            }

            BlockedSum.AddTo(totals, sum);
            if (TLinear.On)
            {
                BlockedSum.AddTo(totals + Totals, linear);
                BlockedSum.AddTo(totals + 2 * Totals, coefficientSum);
            }
        }

        return new LaneStatistics<TD>
        {
            Max = m,
            SumOthers = BlockedSum.Total(TD.Load(totals), TD.Load(totals + 8)),
            MaxCount = count,
            Linear = BlockedSum.Total(TD.Load(totals + Totals), TD.Load(totals + Totals + 8)),
            CoefficientSum = BlockedSum.Total(TD.Load(totals + 2 * Totals), TD.Load(totals + 2 * Totals + 8)),
            ArgMax = TPrediction.On ? argMax : TD.Create(-1.0),
        };
    }

    /// <summary>
    /// The gradient of every lane's row: g[c] = exp(z[c] − m)·f − a[c]·s′ − [c = t]·s·b (times 1 − (z/cap)² with a soft
    /// cap), per-lane f, s′, t and s·b; lanes marked in <paramref name="ignored"/> get exactly 0 whatever their logits.
    /// </summary>
    public static void Gradient<T, TD>(
        in LaneTile tile, byte* gradient, in Coefficients coefficients, byte* targets, double cap,
        ref Eight max, ref Eight factor, ref Eight coefficientScale, ref Eight target, ref Eight targetTerm, ref Eight ignored)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        if (cap == 0.0)
        {
            Gradient<T, TD, NoSoftCap>(tile, gradient, coefficients, targets, cap, ref max, ref factor, ref coefficientScale, ref target, ref targetTerm, ref ignored);
        }
        else
        {
            Gradient<T, TD, SoftCapped>(tile, gradient, coefficients, targets, cap, ref max, ref factor, ref coefficientScale, ref target, ref targetTerm, ref ignored);
        }
    }

    [MethodImpl(Compile.HotLoop)]
    private static void Gradient<T, TD, TCap>(
        in LaneTile tile, byte* gradient, in Coefficients coefficients, byte* targets, double cap,
        ref Eight max, ref Eight factor, ref Eight coefficientScale, ref Eight target, ref Eight targetTerm, ref Eight ignored)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        int lanes = tile.Lanes;
        TD m = TD.Load(Pointer(ref max));
        TD f = TD.Load(Pointer(ref factor));
        TD s = TD.Load(Pointer(ref coefficientScale));
        TD t = TD.Load(Pointer(ref target));
        TD b = TD.Load(Pointer(ref targetTerm));
        TD skip = TD.Equal(TD.Load(Pointer(ref ignored)), TD.Create(1.0));
        TD zero = TD.Create(0.0);
        for (int c = 0; c < tile.Classes; c++)
        {
            nint offset = c * tile.ClassStride;
            TD z = RowStatisticsPass.LoadLogits<T, TD, TCap>(tile.Start + offset, lanes, cap);
            TD g = VectorMath.Exp(z - m) * f;
            if (coefficients.Kind != CoefficientKind.None)
            {
                g -= Coefficient<T, TD>(coefficients, targets + offset, c, lanes) * s;
            }

            g -= TD.Select(TD.Equal(t, TD.Create(c)), b, zero);
            if (TCap.On)
            {
                TD r = z / TD.Create(cap);
                g *= TD.Create(1.0) - r * r;
            }

            g = TD.Select(skip, zero, g);
            Elements<T>.StoreBlock(g, gradient + offset, lanes);
        }
    }

    /// <summary>a[c] for every lane: 1, the class weight, or w[c]·((1 − ε)·p + ε/C) from the lanes' target probabilities.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD Coefficient<T, TD>(in Coefficients coefficients, byte* targets, int cls, int lanes)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD one = TD.Create(1.0);
        TD weight = coefficients.Kind == CoefficientKind.Uniform || coefficients.Weight == null
            ? one
            : TD.Create(Elements<T>.Read(coefficients.Weight, cls));
        TD probability = coefficients.Kind == CoefficientKind.Probabilities ? Elements<T>.LoadBlock<TD>(targets, lanes) : one;
        return RowStatisticsPass.CoefficientOf(coefficients, weight, probability, one);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double* Pointer(ref Eight values) => (double*)Unsafe.AsPointer(ref values[0]);
}
