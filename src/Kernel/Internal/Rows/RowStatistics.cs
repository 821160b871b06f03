using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Xent.Internal.Vectors;

namespace Xent.Internal.Rows;

/// <summary>Which coefficients a[c] the statistic pass weighs the shifted logits with.</summary>
internal enum CoefficientKind
{
    /// <summary>No linear term (cross entropy of a class index without label smoothing, softmax, log-sum-exp).</summary>
    None,

    /// <summary>a[c] = 1 (label smoothing without weights).</summary>
    Uniform,

    /// <summary>a[c] = w[c] (label smoothing with class weights).</summary>
    Weights,

    /// <summary>a[c] = w[c]·((1 − ε)·p[c] + ε/C), or w[c]·p[c] without smoothing (w = 1 without weights): probability targets.</summary>
    Probabilities,
}

/// <summary>Whether a loop applies a soft cap: a type argument, so that the uncapped loops hold no call (a call in a loop makes the JIT keep its running sums in memory).</summary>
internal interface ISoftCap
{
    static abstract bool On { get; }
}

internal readonly struct NoSoftCap : ISoftCap
{
    public static bool On => false;
}

internal readonly struct SoftCapped : ISoftCap
{
    public static bool On => true;
}

/// <summary>Whether a loop sums the linear term Σ a·(x − m) and Σ a: a type argument, so that the loop without one holds only its exponentials.</summary>
internal interface ILinearTerm
{
    static abstract bool On { get; }
}

internal readonly struct NoLinearTerm : ILinearTerm
{
    public static bool On => false;
}

internal readonly struct WithLinearTerm : ILinearTerm
{
    public static bool On => true;
}

/// <summary>
/// Whether a loop keeps the exponentials it computes for a second pass (or, in the second pass, reads them): a type
/// argument, so that the loop without a stash holds no test and no store.
/// </summary>
internal interface IStash
{
    static abstract bool On { get; }
}

internal readonly struct NoStash : IStash
{
    public static bool On => false;
}

internal readonly struct Stashed : IStash
{
    public static bool On => true;
}

/// <summary>Whether a pass finds each row's prediction (its first maximal class): a type argument, so that the loop without one holds no test.</summary>
internal interface IPrediction
{
    static abstract bool On { get; }
}

internal readonly struct NoPrediction : IPrediction
{
    public static bool On => false;
}

internal readonly struct Predicted : IPrediction
{
    public static bool On => true;
}

/// <summary>The coefficients of a call: their kind, the class weights (or null for all ones) and, for probability targets, (1 − ε) and ε/C.</summary>
internal readonly unsafe struct Coefficients
{
    public Coefficients(CoefficientKind kind, byte* weight, double keep, double spread)
    {
        Kind = kind;
        Weight = weight;
        Keep = keep;
        Spread = spread;
    }

    public CoefficientKind Kind { get; }

    /// <summary>C weights of the storage type, or null for all ones.</summary>
    public byte* Weight { get; }

    /// <summary>1 − ε (probability targets).</summary>
    public double Keep { get; }

    /// <summary>ε / C for probability targets with label smoothing, else 0.</summary>
    public double Spread { get; }

    /// <summary>The weights a loop over whole blocks loads (null: a coefficient of 1, or no linear term).</summary>
    public byte* BlockWeight => Kind is CoefficientKind.Weights or CoefficientKind.Probabilities ? Weight : null;
}

/// <summary>
/// The walk of a row's whole blocks that leaves one out (the block an edge step handled: the first maximum's, or the
/// target's), so that the loop over the others holds no per-class test.
/// </summary>
internal static class SkipWalk
{
    /// <summary>How many whole blocks the loop visits when it leaves out block <paramref name="skip"/> (skip = wholeBlocks: none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Steps(int wholeBlocks, int skip) => skip < wholeBlocks ? wholeBlocks - 1 : wholeBlocks;

    /// <summary>The block the loop's step <paramref name="k"/> visits: k before the skipped block, k + 1 from it on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Block(int k, int skip) => k + (k >= skip ? 1 : 0);
}

/// <summary>
/// What one statistic pass learns of a row x of C logits (z = cap·tanh(x/cap) with a soft cap): everything the loss, the
/// log-sum-exp and the gradient need.
/// </summary>
internal struct RowStatistics
{
    /// <summary>m, the row maximum (NaN if the row holds NaN).</summary>
    public double Max;

    /// <summary>Σ exp(x[c] − m) over the classes below the maximum, in double.</summary>
    public double SumOthers;

    /// <summary>How many classes equal the maximum (each contributes exactly exp(0) = 1).</summary>
    public int MaxCount;

    /// <summary>Σ_{a[c] ≠ 0} a[c]·(x[c] − m): a zero coefficient never meets an infinite logit, so 0·∞ never occurs.</summary>
    public double Linear;

    /// <summary>K = Σ_c a[c].</summary>
    public double CoefficientSum;

    /// <summary>The first class equal to the maximum (the first NaN if the row holds one; 0 for a row of −∞), when asked for; else −1.</summary>
    public int ArgMax;

    /// <summary>S = Σ_c exp(x[c] − m).</summary>
    public readonly double SumExp => MaxCount + SumOthers;

    /// <summary>
    /// log S as log1p((count − 1) + Σ others): the small terms are never added to the maximum's 1 before the logarithm,
    /// so a confident row's loss keeps its full relative precision. NaN for rows holding NaN or +∞, or only −∞.
    /// </summary>
    public readonly double LogSum => LaneStatistics<Double1>.Of(this).LogSum.Value;

    /// <summary>
    /// The statistics of a row known only through its merged log-sum-exp state (m, S) and Σ a·z (shards; a the
    /// smoothing coefficients: 1, or the class weights, summing to K): the count of maximal classes is folded into S, so
    /// log S is log1p(S − 1).
    /// </summary>
    public static RowStatistics OfMerged(LogSumExpState state, double logitSum, double coefficientSum, int argMax) => new()
    {
        Max = state.Max,
        SumOthers = state.Sum - 1.0,
        MaxCount = 1,
        Linear = coefficientSum == 0.0 ? logitSum : logitSum - coefficientSum * state.Max,
        CoefficientSum = coefficientSum,
        ArgMax = argMax,
    };

    /// <summary>
    /// Σ a·z over the classes of these statistics from Σ a·(z − m) and K = Σ a: what a shard contributes to a merged
    /// row's <see cref="Linear"/> (0 when every coefficient is 0, whatever the logits; −∞ for a shard of only −∞
    /// logits with a coefficient that is not 0).
    /// </summary>
    public readonly double CoefficientLogitSum =>
        CoefficientSum == 0.0 ? Linear : double.IsNegativeInfinity(Max) ? double.NegativeInfinity : Linear + CoefficientSum * Max;

}

/// <summary>
/// <see cref="RowStatistics"/> of up to eight positions, one per lane (the lane tiles' form), or of one row through
/// <see cref="Double1"/>: the finish of a row is written once, over lanes, and a row is a lane.
/// </summary>
internal struct LaneStatistics<TD>
    where TD : unmanaged, IDoubleBlock<TD>
{
    public TD Max;
    public TD SumOthers;
    public TD MaxCount;
    public TD Linear;
    public TD CoefficientSum;

    /// <summary>As a double; −1 when not asked for.</summary>
    public TD ArgMax;

    /// <summary>S = Σ_c exp(x[c] − m).</summary>
    public readonly TD SumExp => MaxCount + SumOthers;

    /// <summary>
    /// log S as log1p((count − 1) + Σ others): the small terms are never added to the maximum's 1 before the logarithm,
    /// so a confident row's loss keeps its full relative precision. NaN for rows holding NaN or +∞, or only −∞.
    /// </summary>
    public readonly TD LogSum => VectorMath.Log1P((MaxCount - TD.Create(1.0)) + SumOthers);

    /// <summary>m + log S from a log S already taken (a logarithm per row, not two); −∞ for a row of −∞.</summary>
    public static TD LogSumExpOf(TD max, TD logSum)
    {
        TD negativeInfinity = TD.Create(double.NegativeInfinity);
        return TD.Select(TD.Equal(max, negativeInfinity), negativeInfinity, max + logSum);
    }

    /// <summary>One row's statistics as a lane.</summary>
    public static LaneStatistics<Double1> Of(in RowStatistics s) => new()
    {
        Max = Double1.Create(s.Max),
        SumOthers = Double1.Create(s.SumOthers),
        MaxCount = Double1.Create(s.MaxCount),
        Linear = Double1.Create(s.Linear),
        CoefficientSum = Double1.Create(s.CoefficientSum),
        ArgMax = Double1.Create(s.ArgMax),
    };
}

/// <summary>
/// The statistic pass, in two forms: <see cref="Exact{T, TD}"/> computes every quantity in double from the elements of
/// any storage type (a float row's results are then the double row's results), and <see cref="Fast{TF, TD}"/>, for
/// contiguous float rows, computes each exponential once in float (within 2 ulp) and sums in double. Both read a row
/// twice: its maximum, then one pass for everything else.
/// </summary>
internal static unsafe class RowStatisticsPass
{
    /// <summary>The statistics of <paramref name="count"/> contiguous elements at <paramref name="x"/>, in double.</summary>
    /// <param name="x">The row.</param>
    /// <param name="count">C, at least 1.</param>
    /// <param name="coefficients">The coefficients of the linear term.</param>
    /// <param name="targetRow">The probability target row (same storage type), for <see cref="CoefficientKind.Probabilities"/>.</param>
    /// <param name="cap">The soft cap, or 0 for none.</param>
    /// <param name="findArgMax">Whether to find <see cref="RowStatistics.ArgMax"/>.</param>
    /// <param name="exponentials">
    /// Null, or <see cref="StashLength"/>(count) doubles that receive exp(z[c] − m), the very values summed, so that a
    /// second pass (softmax, the gradient) reads them instead of computing them again: the same bits either way.
    /// </param>
    public static RowStatistics Exact<T, TD>(byte* x, int count, in Coefficients coefficients, byte* targetRow, double cap, bool findArgMax, double* exponentials = null)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD> =>
        cap == 0.0
            ? Exact<T, TD, NoSoftCap>(x, count, coefficients, targetRow, cap, findArgMax, exponentials)
            : Exact<T, TD, SoftCapped>(x, count, coefficients, targetRow, cap, findArgMax, exponentials);

    /// <summary>The longest row whose exponentials a chunk keeps on its stack for its second pass (32 KiB of doubles).</summary>
    public const int StashClasses = 4096;

    /// <summary>Doubles of a row's exponential stash (whole blocks of eight), or 0 when the row is too long to keep (<see cref="StashClasses"/>).</summary>
    public static int StashLength(int classes) => classes <= StashClasses ? (classes + 7) & ~7 : 0;

    private static RowStatistics Exact<T, TD, TCap>(byte* x, int count, in Coefficients coefficients, byte* targetRow, double cap, bool findArgMax, double* exponentials)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        double max = ExactMax<T, TD, TCap>(x, count, cap);
        int first = FirstAtMax<T, TD, TCap>(x, count, cap, max);

        // As in the fast pass: the block holding the first maximum and the partial last block first, then the loop over
        // the other whole blocks, with no per-class test in it.
        int wholeBlocks = count >> 3;
        int skip = first >= 0 && (first >> 3) < wholeBlocks ? first >> 3 : wholeBlocks;
        double* edges = stackalloc double[24];
        new System.Span<double>(edges, 24).Clear();
        if (skip < wholeBlocks)
        {
            ExactEdgeBlock<T, TD, TCap>(x, skip << 3, 8, first, max, cap, coefficients, targetRow, edges, exponentials);
        }

        if ((count & 7) != 0)
        {
            ExactEdgeBlock<T, TD, TCap>(x, wholeBlocks << 3, count & 7, first, max, cap, coefficients, targetRow, edges, exponentials);
        }

        ExactSums sums = (coefficients.Kind == CoefficientKind.None, exponentials == null) switch
        {
            (true, true) => ExactLoop<T, TD, TCap, NoLinearTerm, NoStash>(x, wholeBlocks, skip, max, cap, coefficients, targetRow, edges, null),
            (true, false) => ExactLoop<T, TD, TCap, NoLinearTerm, Stashed>(x, wholeBlocks, skip, max, cap, coefficients, targetRow, edges, exponentials),
            (false, true) => ExactLoop<T, TD, TCap, WithLinearTerm, NoStash>(x, wholeBlocks, skip, max, cap, coefficients, targetRow, edges, null),
            (false, false) => ExactLoop<T, TD, TCap, WithLinearTerm, Stashed>(x, wholeBlocks, skip, max, cap, coefficients, targetRow, edges, exponentials),
        };
        return new RowStatistics
        {
            Max = max,
            SumOthers = sums.Others,
            MaxCount = 1,
            Linear = sums.Linear,
            CoefficientSum = sums.CoefficientSum,
            ArgMax = !findArgMax ? -1 : first < 0 ? 0 : first,
        };
    }

    /// <summary>The three sums of the exact pass.</summary>
    private readonly record struct ExactSums(double Others, double Linear, double CoefficientSum);

    /// <summary>
    /// The loop of the exact pass over the whole blocks but <paramref name="skip"/>: Σ exp(x − m), and with a linear term
    /// Σ a·(x − m) and Σ a, in blocked compensated sums that take the edge blocks' sums (<paramref name="edges"/>) last.
    /// </summary>
    [MethodImpl(Compile.HotLoop)]
    private static ExactSums ExactLoop<T, TD, TCap, TLinear, TStash>(
        byte* x, int wholeBlocks, int skip, double max, double cap, in Coefficients coefficients, byte* targetRow, double* edges, double* exponentials)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
        where TLinear : ILinearTerm
        where TStash : IStash
    {
        int size = Elements<T>.Size;
        int loopBlocks = SkipWalk.Steps(wholeBlocks, skip);
        CoefficientKind kind = coefficients.Kind;
        byte* weight = coefficients.BlockWeight;
        TD m = TD.Create(max);
        TD zero = TD.Create(0.0);
        TD ones = TD.Create(1.0);

        // The compensated totals live in memory, joined once per BlockLength blocks out of line: the loop holds only its
        // running sums and constants in registers.
        const int Totals = BlockedSum.TotalDoubles;
        double* totals = stackalloc double[3 * Totals];
        new System.Span<double>(totals, 3 * Totals).Clear();
        int k = 0;
        while (k < loopBlocks)
        {
            int stop = System.Math.Min(loopBlocks, k + BlockedSum.BlockLength);
            TD sum = zero, linear = zero, coefficientSum = zero;
            for (; k < stop; k++)
            {
                int i = SkipWalk.Block(k, skip) << 3;
                TD d = LoadLogits<T, TD, TCap>(x + (nint)i * size, 8, cap) - m;
                TD e = VectorMath.Exp(d);
                if (TStash.On)
                {
                    TD.Store(e, exponentials + i);
                }

                sum += e;
                if (TLinear.On)
                {
                    TD a = Coefficient<T, TD>(
                        coefficients,
                        kind == CoefficientKind.Uniform || weight == null ? null : weight + (nint)i * size,
                        kind != CoefficientKind.Probabilities ? null : targetRow + (nint)i * size,
                        ones);
                    linear += LinearTerm(a, d);
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

        BlockedSum.AddTo(totals, TD.Load(edges));
        if (!TLinear.On)
        {
            return new ExactSums(BlockedSum.SumOf<TD>(totals), 0.0, 0.0);
        }

        BlockedSum.AddTo(totals + Totals, TD.Load(edges + 8));
        BlockedSum.AddTo(totals + 2 * Totals, TD.Load(edges + 16));
        return new ExactSums(BlockedSum.SumOf<TD>(totals), BlockedSum.SumOf<TD>(totals + Totals), BlockedSum.SumOf<TD>(totals + 2 * Totals));
    }

    /// <summary>The row maximum in double (NaN if the row holds NaN), over the soft-capped logits with a cap.</summary>
    [MethodImpl(Compile.HotLoop)]
    private static double ExactMax<T, TD, TCap>(byte* x, int count, double cap)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        int size = Elements<T>.Size;
        int full = count & ~7;
        TD negativeInfinity = TD.Create(double.NegativeInfinity);
        TD m0 = negativeInfinity, m1 = negativeInfinity, m2 = negativeInfinity, m3 = negativeInfinity;
        int i = 0;
        for (; i <= full - 32; i += 32)
        {
            m0 = TD.Max(m0, LoadLogits<T, TD, TCap>(x + (nint)i * size, 8, cap));
            m1 = TD.Max(m1, LoadLogits<T, TD, TCap>(x + (nint)(i + 8) * size, 8, cap));
            m2 = TD.Max(m2, LoadLogits<T, TD, TCap>(x + (nint)(i + 16) * size, 8, cap));
            m3 = TD.Max(m3, LoadLogits<T, TD, TCap>(x + (nint)(i + 24) * size, 8, cap));
        }

        for (; i < full; i += 8)
        {
            m0 = TD.Max(m0, LoadLogits<T, TD, TCap>(x + (nint)i * size, 8, cap));
        }

        if (full < count)
        {
            m1 = TD.Max(m1, LoadLogits<T, TD, TCap>(x + (nint)full * size, count - full, cap));
        }

        return TD.MaxAcross(TD.Max(TD.Max(m0, m1), TD.Max(m2, m3)));
    }

    /// <summary>The first class whose (capped) logit equals <paramref name="max"/>, or the first NaN when it is NaN; −1 if none.</summary>
    [MethodImpl(Compile.HotLoop)]
    private static int FirstAtMax<T, TD, TCap>(byte* x, int count, double cap, double max)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        int size = Elements<T>.Size;
        TD m = TD.Create(max);
        bool nan = double.IsNaN(max);
        int i = 0;
        if (!nan)
        {
            // Four blocks per test: the scan costs a fraction of the exponentials' pass.
            for (; i <= count - 32; i += 32)
            {
                TD hit = TD.Equal(LoadLogits<T, TD, TCap>(x + (nint)i * size, 8, cap), m);
                hit = TD.Select(hit, hit, TD.Equal(LoadLogits<T, TD, TCap>(x + (nint)(i + 8) * size, 8, cap), m));
                hit = TD.Select(hit, hit, TD.Equal(LoadLogits<T, TD, TCap>(x + (nint)(i + 16) * size, 8, cap), m));
                hit = TD.Select(hit, hit, TD.Equal(LoadLogits<T, TD, TCap>(x + (nint)(i + 24) * size, 8, cap), m));
                if (TD.MaskBits(hit) != 0)
                {
                    break;
                }
            }
        }

        for (; i < count; i += 8)
        {
            TD v = LoadLogits<T, TD, TCap>(x + (nint)i * size, count - i, cap);
            uint hits = TD.MaskBits(nan ? TD.IsNaN(v) : TD.Equal(v, m)) & (count - i >= 8 ? 0xFFu : (1u << (count - i)) - 1);
            if (hits != 0)
            {
                return i + BitOperations.TrailingZeroCount(hits);
            }
        }

        return -1;
    }

    /// <summary>
    /// One block of the exact pass outside its loop: <paramref name="lanes"/> classes from <paramref name="i"/>, their
    /// exponentials (less class <paramref name="first"/>'s exp(0) = 1), a·(x − m) and a added to the three blocks at
    /// <paramref name="edges"/>.
    /// </summary>
    [MethodImpl(Compile.HotLoop)]
    private static void ExactEdgeBlock<T, TD, TCap>(
        byte* x, int i, int lanes, int first, double max, double cap, in Coefficients coefficients, byte* targetRow, double* edges, double* exponentials)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        TD d = LoadLogits<T, TD, TCap>(x + (nint)i * Elements<T>.Size, lanes, cap) - TD.Create(max);
        Eight staged = default;
        double* e = (double*)Unsafe.AsPointer(ref staged[0]);
        TD.Store(VectorMath.Exp(d), e);
        if (exponentials != null)
        {
            TD.Store(TD.Load(e), exponentials + i);
        }

        int at = first - i;
        if ((uint)at < (uint)lanes)
        {
            Eight shifted = default;
            double* ds = (double*)Unsafe.AsPointer(ref shifted[0]);
            TD.Store(d, ds);
            if (ds[at] == 0.0)
            {
                e[at] = 0.0;
            }
        }

        TD.Store(TD.Load(edges) + TD.Load(e), edges);
        if (coefficients.Kind != CoefficientKind.None)
        {
            TD a = LoadCoefficients<T, TD>(coefficients, targetRow, i, lanes);
            TD.Store(TD.Load(edges + 8) + LinearTerm(a, d), edges + 8);
            TD.Store(TD.Load(edges + 16) + a, edges + 16);
        }
    }

    /// <summary>
    /// The linear term's summand a·(x − m), with a zero coefficient contributing exactly 0: a class that does not take
    /// part never meets its infinite logit (0·∞ would be NaN). Every pass that sums the linear term adds this.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD LinearTerm<TD>(TD a, TD d)
        where TD : unmanaged, IDoubleBlock<TD> =>
        TD.Select(TD.Equal(a, TD.Create(0.0)), TD.Create(0.0), a * d);

    /// <summary>
    /// a[c] of eight classes from their whole blocks of weights (null: all ones) and target probabilities: 1, w, or
    /// w·((1 − ε)·p + ε/C) (w·p without smoothing); lanes past the row's end hold 0 in the padded blocks and in
    /// <paramref name="one"/> (1 in the row's lanes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD Coefficient<T, TD>(in Coefficients coefficients, byte* weight, byte* target, TD one)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD> =>
        CoefficientOf(
            coefficients,
            weight == null ? one : Elements<T>.Load<TD>(weight),
            coefficients.Kind == CoefficientKind.Probabilities ? Elements<T>.Load<TD>(target) : one,
            one);

    /// <summary>
    /// The one formula of a[c], from loaded blocks: the weight w (1 for uniform coefficients or no weights), or for
    /// probability targets w·((1 − ε)·p + ε/C) (w·p without smoothing); <paramref name="one"/> holds 1 in the lanes of the
    /// row and 0 past its end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD CoefficientOf<TD>(in Coefficients coefficients, TD weight, TD probability, TD one)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        if (coefficients.Kind != CoefficientKind.Probabilities)
        {
            return weight;
        }

        TD p = coefficients.Spread != 0.0 ? probability * TD.Create(coefficients.Keep) + TD.Create(coefficients.Spread) * one : probability;
        return weight * p;
    }

    /// <summary>
    /// The statistics of a contiguous float row with each exponential computed once in float: stored at
    /// <paramref name="exponentials"/> when it is not null (it may be <paramref name="x"/>: each element is read before
    /// it is overwritten), summed in double. With <paramref name="uniformLinear"/> it also sums (x − m) in double from the
    /// widened logits (a[c] = 1), so a shifted logit past float's range never overflows. While it computes, it asks the
    /// cache for the row at <paramref name="prefetch"/> (the next row of the same length, or this row when there is none),
    /// so that the next row's maximum is read from cache, not memory (x64; Arm64 has no prefetch intrinsic in .NET).
    /// </summary>
    /// <remarks>
    /// The first maximal class is found before the exponentials, so the loop over whole blocks is the exponential and
    /// the sums alone: its exp(0) = 1 is left out of <see cref="RowStatistics.SumOthers"/> (log S = log1p of the rest)
    /// when its block and the partial last block are summed after the loop, and the loop carries no per-class test.
    /// Another class equal to the maximum adds its exact 1 to the sum.
    /// </remarks>
    [MethodImpl(Compile.HotLoop)]
    public static RowStatistics Fast<TF, TD>(float* x, int count, bool uniformLinear, float* exponentials, bool findArgMax, float* prefetch)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        // Below 2²⁴ classes the maximum pass also finds the first maximum (its positions are exact in float); beyond,
        // a second scan does.
        float max;
        int first;
        if (count < FirstTrackedLimit)
        {
            (max, first) = MaxOf<TF, TD, Predicted>(x, count);
        }
        else
        {
            max = MaxOf<TF, TD, NoPrediction>(x, count).Max;
            first = FirstEqual<TF, TD>(x, count, max);
        }

        // The whole blocks but the one holding the first maximum (skip = wholeBlocks when it lies in the partial block).
        int wholeBlocks = count >> 4;
        int skip = first >= 0 && (first >> 4) < wholeBlocks ? first >> 4 : wholeBlocks;
        int loopBlocks = SkipWalk.Steps(wholeBlocks, skip);
        // First the block holding the first maximum and the partial last block, staged through the stack (their blocks
        // are not the loop's, so in place the order does not matter); their sums join the loop's at the end. Before
        // the loop, so that no running sum is live across a call (the JIT would keep it in memory).
        double* edges = stackalloc double[32];
        new System.Span<double>(edges, 32).Clear();
        System.Diagnostics.Debug.Assert(count >= 16, "the fast pass serves rows longer than a block");
        if ((count & 15) != 0)
        {
            // The partial last block read as the row's last sixteen classes, of which the first 16 − (count mod 16)
            // are the last whole block's. First: where the gradient buffer keeps the exponentials, it writes 0 over
            // the last whole block's, which that block (the loop's, or the next edge block) writes after it.
            EdgeBlock<TF, TD>(x, count - 16, 16 - (count & 15), first, max, uniformLinear, exponentials, edges);
        }

        if (skip < wholeBlocks)
        {
            EdgeBlock<TF, TD>(x, skip << 4, 0, first, max, uniformLinear, exponentials, edges);
        }

        TF m = TF.Create(max);
        TD md = TD.Create(max);
        TD sumLow = TD.Create(0.0), sumHigh = sumLow, linearLow = sumLow, linearHigh = sumLow;
        for (int k = 0; k < loopBlocks; k++)
        {
            int i = SkipWalk.Block(k, skip) << 4;
            if (Sse.IsSupported)
            {
                // One cache line (sixteen floats) of the next row per block of this one.
                Sse.Prefetch0(prefetch + i);
            }

            TF v = TF.Load(x + i);
            if (uniformLinear)
            {
                (TD vLow, TD vHigh) = TF.Widen(v);
                linearLow += vLow - md;
                linearHigh += vHigh - md;
            }

            // After the logits are read: in place, the exponentials overwrite them.
            TF e = VectorMath.ExpNonPositive<TF, TD>(v - m);
            if (exponentials != null)
            {
                TF.Store(e, exponentials + i);
            }

            (TD low, TD high) = TF.Widen(e);
            sumLow += low;
            sumHigh += high;
        }

        double sumOthers = TD.Sum((sumLow + TD.Load(edges)) + (sumHigh + TD.Load(edges + 8)));
        double linear = uniformLinear ? TD.Sum((linearLow + TD.Load(edges + 16)) + (linearHigh + TD.Load(edges + 24))) : 0.0;
        int argMax = first < 0 ? 0 : first;
        if (double.IsNaN(sumOthers) && findArgMax)
        {
            // A NaN in the row: it is the maximum and the prediction (torch.argmax), wherever the machine's max put it.
            for (int k = 0; k < count; k++)
            {
                if (float.IsNaN(x[k]))
                {
                    max = float.NaN;
                    argMax = k;
                    break;
                }
            }
        }

        return new RowStatistics
        {
            Max = max,
            SumOthers = sumOthers,
            MaxCount = 1,
            Linear = linear,
            CoefficientSum = uniformLinear ? count : 0.0,
            ArgMax = findArgMax ? argMax : -1,
        };
    }

    /// <summary>Rows shorter than this have their first maximum found by the maximum pass (positions exact in float).</summary>
    private const int FirstTrackedLimit = 1 << 24;

    /// <summary>
    /// The row maximum with the machine's own maximum instruction (a NaN it may pass over still reaches the sums, as
    /// NaN − m, and the caller's NaN rescan) and, with <typeparamref name="TFirst"/> on, the first class equal to it
    /// (−1 if none: a NaN maximum). Each lane of each of the four running maxima keeps the block where it last rose
    /// strictly; the first maximal class rises its lane to the maximum, and no later equal class moves it, so the
    /// smallest position among the lanes that end at the maximum is the first. (With a NaN in the row the position
    /// does not matter: the sums are NaN and the caller rescans for the NaN.)
    /// </summary>
    [MethodImpl(Compile.HotLoop)]
    private static (float Max, int First) MaxOf<TF, TD, TFirst>(float* x, int count)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
        where TFirst : IPrediction
    {
        TF negativeInfinity = TF.Create(float.NegativeInfinity);
        TF m0 = negativeInfinity, m1 = negativeInfinity, m2 = negativeInfinity, m3 = negativeInfinity;
        TF p0 = default, p1 = default, p2 = default, p3 = default;
        TF at = TF.Create(0f);
        TF step = TF.Create(16f);
        int i = 0;
        for (; i <= count - 64; i += 64)
        {
            TF v0 = TF.Load(x + i), v1 = TF.Load(x + i + 16), v2 = TF.Load(x + i + 32), v3 = TF.Load(x + i + 48);
            if (TFirst.On)
            {
                p0 = TF.Select(TF.LessThan(m0, v0), at, p0);
                p1 = TF.Select(TF.LessThan(m1, v1), at + step, p1);
                p2 = TF.Select(TF.LessThan(m2, v2), at + TF.Create(32f), p2);
                p3 = TF.Select(TF.LessThan(m3, v3), at + TF.Create(48f), p3);
                at += TF.Create(64f);
            }

            m0 = TF.MaxNative(m0, v0);
            m1 = TF.MaxNative(m1, v1);
            m2 = TF.MaxNative(m2, v2);
            m3 = TF.MaxNative(m3, v3);
        }

        for (; i <= count - 16; i += 16)
        {
            TF v = TF.Load(x + i);
            if (TFirst.On)
            {
                p0 = TF.Select(TF.LessThan(m0, v), at, p0);
                at += step;
            }

            m0 = TF.MaxNative(m0, v);
        }

        if (i < count)
        {
            // The row's last sixteen classes (the row has at least sixteen): those counted twice change no maximum,
            // and a position they give is still that class's own.
            TF v = TF.Load(x + count - 16);
            if (TFirst.On)
            {
                p1 = TF.Select(TF.LessThan(m1, v), TF.Create(count - 16), p1);
            }

            m1 = TF.MaxNative(m1, v);
        }

        float max = TF.MaxAcross(TF.MaxNative(TF.MaxNative(m0, m1), TF.MaxNative(m2, m3)));
        if (!TFirst.On)
        {
            return (max, -1);
        }

        // The smallest position among the lanes at the maximum, as −max(−position); −∞ where no lane is.
        TF m = TF.Create(max);
        TF lanes = TF.LaneIndices;
        TF none = negativeInfinity;
        TF zero = TF.Create(0f);
        TF best = TF.MaxNative(
            TF.MaxNative(TF.Select(TF.Equal(m0, m), zero - (p0 + lanes), none), TF.Select(TF.Equal(m1, m), zero - (p1 + lanes), none)),
            TF.MaxNative(TF.Select(TF.Equal(m2, m), zero - (p2 + lanes), none), TF.Select(TF.Equal(m3, m), zero - (p3 + lanes), none)));
        float negatedFirst = TF.MaxAcross(best);
        return (max, float.IsNegativeInfinity(negatedFirst) ? -1 : (int)-negatedFirst);
    }

    /// <summary>The first index whose element equals <paramref name="value"/>, or −1 (a NaN value equals nothing).</summary>
    [MethodImpl(Compile.HotLoop)]
    private static int FirstEqual<TF, TD>(float* x, int count, float value)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TF v = TF.Create(value);
        int i = 0;

        // Four blocks per test: the scan costs a fraction of the exponentials' pass.
        for (; i <= count - 64; i += 64)
        {
            TF hit = TF.Equal(TF.Load(x + i), v);
            hit = TF.Select(hit, hit, TF.Equal(TF.Load(x + i + 16), v));
            hit = TF.Select(hit, hit, TF.Equal(TF.Load(x + i + 32), v));
            hit = TF.Select(hit, hit, TF.Equal(TF.Load(x + i + 48), v));
            if (TF.MaskBits(hit) != 0)
            {
                break;
            }
        }

        for (; i <= count - 16; i += 16)
        {
            uint hits = TF.MaskBits(TF.Equal(TF.Load(x + i), v));
            if (hits != 0)
            {
                return i + BitOperations.TrailingZeroCount(hits);
            }
        }

        for (; i < count; i++)
        {
            if (x[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// One block of the fast pass outside its loop: the sixteen classes from <paramref name="i"/>, of which lanes
    /// [<paramref name="from"/>, 16) are this block's (the lanes below belong to the last whole block and count as −∞,
    /// whose exponential is 0); their exponentials stored (the lanes below keep their logits in place, and get 0 in a
    /// separate buffer), and their
    /// contributions to the lane sums added to <paramref name="contributions"/> (16 exponentials, then 16 shifted
    /// logits) in double, with the exponential of class <paramref name="first"/> left out when it is exp(0) = 1.
    /// Whole vectors, no staging: the row is at least sixteen classes long.
    /// </summary>
    [MethodImpl(Compile.HotLoop)]
    private static void EdgeBlock<TF, TD>(float* x, int i, int from, int first, float max, bool uniformLinear, float* exponentials, double* contributions)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TF lane = TF.LaneIndices;
        TF others = TF.LessThan(lane, TF.Create(from));
        TF m = TF.Create(max);
        TF raw = TF.Load(x + i);
        TF v = TF.Select(others, TF.Create(float.NegativeInfinity), raw);
        TF shifted = v - m;
        TF e = VectorMath.ExpNonPositive<TF, TD>(shifted);
        if (exponentials != null)
        {
            // In place, the other block's lanes keep their logits (the loop has not read them yet); in a separate
            // buffer their 0 is written over later, so the buffer is not read (it may not be in cache).
            TF.Store(exponentials == x && from > 0 ? TF.Select(others, TF.Load(exponentials + i), e) : e, exponentials + i);
        }

        // The first maximum's exp(0) = 1 is counted apart (RowStatistics.MaxCount); not where x − m is not 0 (m = +∞).
        TF firstMaximum = TF.Equal(lane, TF.Create(first - i));
        e = TF.Select(firstMaximum, TF.Select(TF.Equal(shifted, TF.Create(0f)), TF.Create(0f), e), e);
        (TD low, TD high) = TF.Widen(e);
        TD.Store(TD.Load(contributions) + low, contributions);
        TD.Store(TD.Load(contributions + 8) + high, contributions + 8);
        if (uniformLinear)
        {
            // (double)x − m in double, 0 in the other block's lanes (their logit taken as m).
            TD md = TD.Create(max);
            (TD xLow, TD xHigh) = TF.Widen(TF.Select(others, m, raw));
            TD.Store(TD.Load(contributions + 16) + (xLow - md), contributions + 16);
            TD.Store(TD.Load(contributions + 24) + (xHigh - md), contributions + 24);
        }
    }

    /// <summary>
    /// Eight logits (fewer when <paramref name="lanes"/> &lt; 8: the others are −∞, whose exponential is 0), soft-capped
    /// when <paramref name="cap"/> is not 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD LoadLogits<T, TD, TCap>(byte* source, int lanes, double cap)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        if (!TCap.On)
        {
            return lanes >= 8 ? Elements<T>.Load<TD>(source) : Elements<T>.LoadPartial<TD>(source, lanes, double.NegativeInfinity);
        }

        return LoadCapped<T, TD>(source, lanes, cap);
    }

    /// <summary>z = cap·tanh(x / cap), the soft cap, for one logit.</summary>
    public static double Cap(double x, double cap) => cap == 0.0 ? x : cap * double.Tanh(x / cap);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TD LoadCapped<T, TD>(byte* source, int lanes, double cap)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        Eight staged = default;
        for (int k = 0; k < 8; k++)
        {
            staged[k] = k < lanes ? Cap(Elements<T>.Read(source, k), cap) : double.NegativeInfinity;
        }

        return TD.Load((double*)Unsafe.AsPointer(ref staged[0]));
    }

    /// <summary>The coefficients a[c] of classes [first, first + 8) (0 past the row's end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD LoadCoefficients<T, TD>(in Coefficients coefficients, byte* targetRow, int first, int lanes)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        int size = Elements<T>.Size;
        TD one = lanes >= 8 ? TD.Create(1.0) : Elements<T>.LoadPartialOnes<TD>(lanes);
        TD weight = coefficients.Kind == CoefficientKind.Uniform || coefficients.Weight == null
            ? one
            : Elements<T>.LoadBlock<TD>(coefficients.Weight + (nint)first * size, lanes);
        TD probability = coefficients.Kind == CoefficientKind.Probabilities ? Elements<T>.LoadBlock<TD>(targetRow + (nint)first * size, lanes) : one;
        return CoefficientOf(coefficients, weight, probability, one);
    }

    /// <summary>Sixteen floats (fewer when <paramref name="lanes"/> &lt; 16: the others are −∞).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF LoadFloats<TF, TD>(float* source, int lanes)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD> =>
        lanes >= 16 ? TF.Load(source) : LoadPartialFloats<TF, TD>(source, lanes);

    // The partial form stages through the stack, which keeps it out of the hot loop it is called from.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static TF LoadPartialFloats<TF, TD>(float* source, int lanes)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        float* staged = stackalloc float[16];
        for (int k = 0; k < 16; k++)
        {
            staged[k] = k < lanes ? source[k] : float.NegativeInfinity;
        }

        return TF.Load(staged);
    }
}
