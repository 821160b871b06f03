using System.Numerics;
using System.Runtime.CompilerServices;
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
    public readonly double LogSum => Zero.Log1P((MaxCount - 1) + SumOthers);

    /// <summary>
    /// The statistics of a row known only through its merged log-sum-exp state (m, S) and Σ z (shards): the count of
    /// maximal classes is folded into S, so log S is log1p(S − 1).
    /// </summary>
    public static RowStatistics OfMerged(LogSumExpState state, double logitSum, int classes, int argMax) => new()
    {
        Max = state.Max,
        SumOthers = state.Sum - 1.0,
        MaxCount = 1,
        Linear = logitSum - classes * state.Max,
        CoefficientSum = classes,
        ArgMax = argMax,
    };

    /// <summary>log Σ exp(x) = m + log S; −∞ for a row of −∞ (every exponential is 0).</summary>
    public readonly double LogSumExp => double.IsNegativeInfinity(Max) ? double.NegativeInfinity : Max + LogSum;
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
    public static RowStatistics Exact<T, TD>(byte* x, int count, in Coefficients coefficients, byte* targetRow, double cap, bool findArgMax)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD> =>
        cap == 0.0
            ? Exact<T, TD, NoSoftCap>(x, count, coefficients, targetRow, cap, findArgMax)
            : Exact<T, TD, SoftCapped>(x, count, coefficients, targetRow, cap, findArgMax);

    private static RowStatistics Exact<T, TD, TCap>(byte* x, int count, in Coefficients coefficients, byte* targetRow, double cap, bool findArgMax)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        int size = Elements<T>.Size;
        int full = count & ~7;
        int tail = count - full;
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

        // The partial block, and its coefficients' sources, from copies on the stack padded with −∞ (logits) and 0, so
        // the second pass's loop reads whole blocks only and makes no call.
        TD paddedLogits = tail > 0 ? LoadLogits<T, TD, TCap>(x + (nint)full * size, tail, cap) : negativeInfinity;
        m1 = TD.Max(m1, paddedLogits);
        double max = TD.MaxAcross(TD.Max(TD.Max(m0, m1), TD.Max(m2, m3)));
        CoefficientKind kind = coefficients.Kind;
        byte* weight = kind is CoefficientKind.Weights or CoefficientKind.Probabilities ? coefficients.Weight : null;
        byte* paddedWeight = stackalloc byte[8 * size];
        byte* paddedTarget = stackalloc byte[8 * size];
        if (tail > 0 && kind != CoefficientKind.None)
        {
            Pad<T>(weight == null ? null : weight + (nint)full * size, paddedWeight, tail, one: true);
            Pad<T>(targetRow == null ? null : targetRow + (nint)full * size, paddedTarget, tail, one: false);
        }

        TD m = TD.Create(max);
        TD zero = TD.Create(0.0);
        TD ones = TD.Create(1.0);
        TD tailOnes = tail > 0 ? Elements<T>.LoadPartialOnes<TD>(tail) : ones;
        TD sum = zero, sumTotal = zero, sumCompensation = zero;
        TD linear = zero, linearTotal = zero, linearCompensation = zero;
        TD coefficientSum = zero, coefficientTotal = zero, coefficientCompensation = zero;
        TD counts = zero;
        int inBlock = 0;
        int argMax = findArgMax ? -1 : int.MaxValue;
        bool nanMax = double.IsNaN(max);
        int blocks = (count + 7) >> 3;
        for (int b = 0; b < blocks; b++)
        {
            i = b << 3;
            bool inRow = i < full;
            TD v = inRow ? LoadLogits<T, TD, TCap>(x + (nint)i * size, 8, cap) : paddedLogits;
            TD d = v - m;
            TD atMax = TD.Equal(d, zero);
            counts += TD.Select(atMax, ones, zero);
            if (argMax < 0)
            {
                uint hits = TD.MaskBits(nanMax ? TD.IsNaN(v) : TD.Equal(v, m));
                if (hits != 0)
                {
                    argMax = i + BitOperations.TrailingZeroCount(hits);
                }
            }

            sum += TD.Select(atMax, zero, VectorMath.Exp(d));
            if (kind != CoefficientKind.None)
            {
                TD a = Coefficient<T, TD>(
                    coefficients,
                    kind == CoefficientKind.Uniform || weight == null ? null : inRow ? weight + (nint)i * size : paddedWeight,
                    kind != CoefficientKind.Probabilities ? null : inRow ? targetRow + (nint)i * size : paddedTarget,
                    inRow ? ones : tailOnes);
                linear += TD.Select(TD.Equal(a, zero), zero, a * d);
                coefficientSum += a;
            }

            if (++inBlock == BlockedSum.BlockLength)
            {
                (sumTotal, sumCompensation) = BlockedSum.Add(sumTotal, sumCompensation, sum);
                (linearTotal, linearCompensation) = BlockedSum.Add(linearTotal, linearCompensation, linear);
                (coefficientTotal, coefficientCompensation) = BlockedSum.Add(coefficientTotal, coefficientCompensation, coefficientSum);
                sum = zero;
                linear = zero;
                coefficientSum = zero;
                inBlock = 0;
            }
        }

        (sumTotal, sumCompensation) = BlockedSum.Add(sumTotal, sumCompensation, sum);
        (linearTotal, linearCompensation) = BlockedSum.Add(linearTotal, linearCompensation, linear);
        (coefficientTotal, coefficientCompensation) = BlockedSum.Add(coefficientTotal, coefficientCompensation, coefficientSum);
        return new RowStatistics
        {
            Max = max,
            SumOthers = TD.Sum(BlockedSum.Total(sumTotal, sumCompensation)),
            MaxCount = (int)TD.Sum(counts),
            Linear = TD.Sum(BlockedSum.Total(linearTotal, linearCompensation)),
            CoefficientSum = TD.Sum(BlockedSum.Total(coefficientTotal, coefficientCompensation)),
            ArgMax = argMax == int.MaxValue ? -1 : argMax < 0 && double.IsNegativeInfinity(max) ? 0 : argMax,
        };
    }

    /// <summary>Copies <paramref name="count"/> elements into an 8-element block, the rest 0 (or all 1 from a null source with <paramref name="one"/>: unit weights).</summary>
    private static void Pad<T>(byte* source, byte* block, int count, bool one)
        where T : IFloatingPointIeee754<T>
    {
        for (int k = 0; k < 8; k++)
        {
            T value = k >= count ? T.Zero : source != null ? Unsafe.Read<T>(source + (nint)k * Elements<T>.Size) : one ? T.One : T.Zero;
            Unsafe.Write(block + (nint)k * Elements<T>.Size, value);
        }
    }

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
    /// widened logits (a[c] = 1), so a shifted logit past float's range never overflows.
    /// </summary>
    public static RowStatistics Fast<TF, TD>(float* x, int count, bool uniformLinear, float* exponentials, bool findArgMax)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        // The machine's own maximum, one instruction: a NaN it may pass over still reaches the sum below (NaN − m).
        TF negativeInfinity = TF.Create(float.NegativeInfinity);
        TF m0 = negativeInfinity, m1 = negativeInfinity, m2 = negativeInfinity, m3 = negativeInfinity;
        int i = 0;
        for (; i <= count - 64; i += 64)
        {
            m0 = TF.MaxNative(m0, TF.Load(x + i));
            m1 = TF.MaxNative(m1, TF.Load(x + i + 16));
            m2 = TF.MaxNative(m2, TF.Load(x + i + 32));
            m3 = TF.MaxNative(m3, TF.Load(x + i + 48));
        }

        for (; i <= count - 16; i += 16)
        {
            m0 = TF.MaxNative(m0, TF.Load(x + i));
        }

        if (i < count)
        {
            m1 = TF.MaxNative(m1, LoadPartialFloats<TF, TD>(x + i, count - i));
        }

        float max = TF.MaxAcross(TF.MaxNative(TF.MaxNative(m0, m1), TF.MaxNative(m2, m3)));

        // One loop over every block; the last, partial one is read from (and its exponentials written to) a copy on
        // the stack padded with −∞, so the loop has no call and its sums stay in registers.
        int full = count & ~15;
        int tail = count - full;
        float* padded = stackalloc float[16];
        float* paddedExponentials = stackalloc float[16];
        for (int k = 0; k < 16; k++)
        {
            padded[k] = k < tail ? x[full + k] : float.NegativeInfinity;
        }

        double linearTail = 0.0;
        if (uniformLinear)
        {
            for (int k = 0; k < tail; k++)
            {
                linearTail += (double)x[full + k] - max;
            }
        }

        TF m = TF.Create(max);
        TD md = TD.Create(max);
        TF zero = TF.Create(0f);
        TF one = TF.Create(1f);
        TF counts = zero;
        TD sumLow = TD.Create(0.0), sumHigh = sumLow, linearLow = sumLow, linearHigh = sumLow;
        int argMax = findArgMax ? -1 : int.MaxValue;
        int blocks = (count + 15) >> 4;
        for (int b = 0; b < blocks; b++)
        {
            i = b << 4;
            bool inRow = i < full;
            TF v = TF.Load(inRow ? x + i : padded);
            TF d = v - m;
            TF atMax = TF.Equal(d, zero);
            counts += TF.Select(atMax, one, zero);
            if (argMax < 0)
            {
                uint hits = TF.MaskBits(TF.Equal(v, m)) & LaneMask(count - i);
                if (hits != 0)
                {
                    argMax = i + BitOperations.TrailingZeroCount(hits);
                }
            }

            if (uniformLinear && inRow)
            {
                (TD vLow, TD vHigh) = TF.Widen(v);
                linearLow += vLow - md;
                linearHigh += vHigh - md;
            }

            // After the logits are read: in place, the exponentials overwrite them.
            TF e = VectorMath.ExpNonPositive<TF, TD>(d);
            if (exponentials != null)
            {
                TF.Store(e, inRow ? exponentials + i : paddedExponentials);
            }

            (TD low, TD high) = TF.Widen(TF.Select(atMax, zero, e));
            sumLow += low;
            sumHigh += high;
        }

        if (exponentials != null)
        {
            for (int k = 0; k < tail; k++)
            {
                exponentials[full + k] = paddedExponentials[k];
            }
        }

        double sumOthers = TD.Sum(sumLow + sumHigh);
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
            MaxCount = (int)TF.SumOfCounts(counts),
            Linear = uniformLinear ? TD.Sum(linearLow + linearHigh) + linearTail : 0.0,
            CoefficientSum = uniformLinear ? count : 0.0,
            ArgMax = argMax == int.MaxValue ? -1 : argMax < 0 && float.IsNegativeInfinity(max) ? 0 : argMax,
        };
    }

    /// <summary>Bits [0, lanes) of a float block's 16 set (all 16 for a full block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint LaneMask(int lanes) => lanes >= 16 ? 0xFFFFu : (1u << lanes) - 1;

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

    /// <summary>Stores lanes [0, lanes) of a float block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFloats<TF, TD>(TF value, float* destination, int lanes)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        if (lanes >= 16)
        {
            TF.Store(value, destination);
        }
        else
        {
            StorePartialFloats<TF, TD>(value, destination, lanes);
        }
    }

    // The partial forms stage through the stack, which keeps them out of the hot loops they are called from.
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StorePartialFloats<TF, TD>(TF value, float* destination, int lanes)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        float* staged = stackalloc float[16];
        TF.Store(value, staged);
        for (int k = 0; k < lanes; k++)
        {
            destination[k] = staged[k];
        }
    }
}
