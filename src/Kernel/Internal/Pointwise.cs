using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xent.Internal.Parallel;
using Xent.Internal.Rows;
using Xent.Internal.Vectors;

namespace Xent.Internal;

/// <summary>An element-wise loss ℓ(x, t) with weights, and ∂ℓ/∂x, over blocks of eight elements in double.</summary>
/// <remarks>
/// The one definition of each formula: every element, the last partial block included (its unused lanes padded), goes
/// through it, at every vector width (the same operations lane by lane: the same bits) and for every storage type (a
/// float or Half call widens its inputs exactly and rounds each output once).
/// </remarks>
internal interface IPointwiseLoss
{
    /// <summary>Whether t is a variable too, with a derivative (the information measures, where t is p); else it is 0.</summary>
    static abstract bool HasTargetDerivative { get; }

    /// <summary>
    /// Whether the reduced sum adds the terms one by one in element order (Neumaier, on the calling thread), so that an
    /// element whose term is exactly 0 changes nothing, not even a rounding (the information measures' rule for a class
    /// of probability 0); else the terms are summed per vector lane and over chunks of elements on several threads.
    /// </summary>
    static abstract bool SumsInOrder { get; }

    /// <summary>
    /// The weighted losses of eight elements and, when <paramref name="derivative"/> is true (a constant in every
    /// caller: the other branch is not compiled), their derivatives with respect to x, and when
    /// <paramref name="targetDerivative"/> is true, with respect to t; a derivative not asked for is 0. The outputs are
    /// made together, so that what they share (a logarithm) is computed once.
    /// </summary>
    static abstract (TD Loss, TD Derivative, TD TargetDerivative) Evaluate<TD>(
        TD x, TD t, TD weight, TD posWeight, bool derivative, bool targetDerivative)
        where TD : unmanaged, IDoubleBlock<TD>;
}

/// <summary>
/// BCE with logits as PyTorch's <c>binary_cross_entropy_with_logits</c>, in the form
/// ℓ = w·(pw·t·softplus(−x) + (1 − t)·softplus(x)), softplus(z) = max(z, 0) + log1p(exp(−|z|)): algebraically
/// PyTorch's (1 − t)·x + (1 + (pw − 1)·t)·softplus(−x), stable for every finite x, and with a zero coefficient
/// contributing 0 at an infinite logit. ∂ℓ/∂x = w·((1 − t)·σ(x) − pw·t·σ(−x)), σ(±|x|) from e = exp(−|x|) without
/// overflow: 1/(1 + e) and e·(1/(1 + e)).
/// </summary>
internal readonly struct BceWithLogitsLoss : IPointwiseLoss
{
    public static bool HasTargetDerivative => false;

    public static bool SumsInOrder => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TD Loss, TD Derivative, TD TargetDerivative) Evaluate<TD>(
        TD x, TD t, TD weight, TD posWeight, bool derivative, bool targetDerivative)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD zero = TD.Create(0.0);
        TD one = TD.Create(1.0);
        TD e = VectorMath.Exp(-TD.Abs(x)); // exp(−|x|) ≤ 1
        TD tail = VectorMath.Log1P(e);
        TD softplusPositive = TD.Max(x, zero) + tail;
        TD softplusNegative = TD.Max(-x, zero) + tail;
        TD positive = posWeight * t;
        TD negative = one - t;
        TD loss = weight * (Zero.Term(positive, softplusNegative) + Zero.Term(negative, softplusPositive));
        if (!derivative)
        {
            return (loss, zero, zero);
        }

        TD inverse = one / (one + e);
        TD small = e * inverse;
        TD nonNegative = TD.GreaterThanOrEqual(x, zero);
        TD sigmoid = TD.Select(nonNegative, inverse, small);
        TD sigmoidNegative = TD.Select(nonNegative, small, inverse);
        return (loss, weight * (negative * sigmoid - positive * sigmoidNegative), zero);
    }
}

/// <summary>
/// BCE on probabilities as PyTorch's <c>binary_cross_entropy</c>: ℓ = −w·(t·max(log x, −100) + (1 − t)·max(log(1 − x), −100)),
/// log(1 − x) as log1p(−x); ∂ℓ/∂x = w·(x − t) / max(x·(1 − x), ε) with PyTorch's ε = 1e-12f.
/// </summary>
internal readonly struct BceLoss : IPointwiseLoss
{
    /// <summary>PyTorch's EPSILON of the backward pass: the float 1e-12, widened.</summary>
    private const double Epsilon = (double)1e-12f;

    public static bool HasTargetDerivative => false;

    public static bool SumsInOrder => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TD Loss, TD Derivative, TD TargetDerivative) Evaluate<TD>(
        TD x, TD t, TD weight, TD posWeight, bool derivative, bool targetDerivative)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD one = TD.Create(1.0);
        TD floor = TD.Create(-100.0);
        TD logX = TD.Max(VectorMath.Log(x), floor);
        TD logOneMinusX = TD.Max(VectorMath.Log1P(-x), floor);
        TD loss = -weight * (t * logX + (one - t) * logOneMinusX);
        TD zero = TD.Create(0.0);
        return derivative
            ? (loss, weight * (x - t) / TD.Max(x * (one - x), TD.Create(Epsilon)), zero)
            : (loss, zero, zero);
    }
}

/// <summary>
/// KL divergence as PyTorch's <c>kl_div</c> with probability targets: ℓ = t·(log t − x) with ℓ = 0 where t = 0
/// (0·log 0 = 0, even at x = ±∞; a NaN input stays NaN); ∂ℓ/∂x = −t. A negative target gives NaN (log of a
/// negative), as PyTorch.
/// </summary>
internal readonly struct KlDivLoss : IPointwiseLoss
{
    public static bool HasTargetDerivative => false;

    public static bool SumsInOrder => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TD Loss, TD Derivative, TD TargetDerivative) Evaluate<TD>(
        TD x, TD t, TD weight, TD posWeight, bool derivative, bool targetDerivative)
        where TD : unmanaged, IDoubleBlock<TD> =>
        (TD.Select(TD.Equal(t, TD.Create(0.0)), ZeroTarget(x), t * (VectorMath.Log(t) - x)), derivative ? -t : TD.Create(0.0), TD.Create(0.0));

    /// <summary>What a zero target contributes: 0 (0·log 0 = 0) whatever the input, infinite included; a NaN input stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD ZeroTarget<TD>(TD x)
        where TD : unmanaged, IDoubleBlock<TD> =>
        TD.Select(TD.IsNaN(x), x, TD.Create(0.0));
}

/// <summary>
/// KL divergence as PyTorch's <c>kl_div(log_target=True)</c>: ℓ = exp(t)·(t − x), 0 where exp(t) = 0 (as
/// <see cref="KlDivLoss.ZeroTarget{TD}"/>); ∂ℓ/∂x = −exp(t).
/// </summary>
internal readonly struct KlDivLogTargetLoss : IPointwiseLoss
{
    public static bool HasTargetDerivative => false;

    public static bool SumsInOrder => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TD Loss, TD Derivative, TD TargetDerivative) Evaluate<TD>(
        TD x, TD t, TD weight, TD posWeight, bool derivative, bool targetDerivative)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD p = VectorMath.Exp(t);
        TD zero = TD.Create(0.0);
        return (TD.Select(TD.Equal(p, zero), KlDivLoss.ZeroTarget(x), p * (t - x)), derivative ? -p : zero, zero);
    }
}

/// <summary>The zero-coefficient rule shared by the losses.</summary>
internal static class Zero
{
    /// <summary>
    /// coefficient · value, except that a zero coefficient times an infinity is 0 (the limit, as 0·log 0 = 0: a term
    /// that does not take part contributes nothing, whichever sign its infinite log-probability carries after a
    /// negative weight); NaN still propagates.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Term(double coefficient, double value) =>
        coefficient == 0.0 && double.IsInfinity(value) ? 0.0 : coefficient * value;

    /// <summary><see cref="Term(double, double)"/> lane by lane: the same rule over a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Term<TD>(TD coefficient, TD value)
        where TD : unmanaged, IDoubleBlock<TD> =>
        TD.Select(
            TD.Equal(coefficient, TD.Create(0.0)) & TD.Equal(TD.Abs(value), TD.Create(double.PositiveInfinity)),
            TD.Create(0.0),
            coefficient * value);
}

/// <summary>What a pointwise call writes: per-element losses or their sum, with or without the gradient (constants of the instantiation).</summary>
internal interface IPointwiseOutputs
{
    /// <summary>One loss per element into the destination (else the losses are summed).</summary>
    static abstract bool PerElement { get; }

    /// <summary>The gradient too: the upstream gradient (per element) or the reduction's scale times ∂ℓ/∂x.</summary>
    static abstract bool Gradient { get; }

    /// <summary>The gradient with respect to the target too (reduced calls of a loss whose target is a variable): the scale times ∂ℓ/∂t.</summary>
    static abstract bool TargetGradient { get; }
}

/// <summary>The reduced loss only.</summary>
internal readonly struct SumOnly : IPointwiseOutputs
{
    public static bool PerElement => false;

    public static bool Gradient => false;

    public static bool TargetGradient => false;
}

/// <summary>The reduced loss and the gradient scaled by the reduction.</summary>
internal readonly struct SumWithGradient : IPointwiseOutputs
{
    public static bool PerElement => false;

    public static bool Gradient => true;

    public static bool TargetGradient => false;
}

/// <summary>The reduced loss and the gradient with respect to the target, scaled by the reduction.</summary>
internal readonly struct SumWithTargetGradient : IPointwiseOutputs
{
    public static bool PerElement => false;

    public static bool Gradient => false;

    public static bool TargetGradient => true;
}

/// <summary>The reduced loss and both gradients, scaled by the reduction.</summary>
internal readonly struct SumWithBothGradients : IPointwiseOutputs
{
    public static bool PerElement => false;

    public static bool Gradient => true;

    public static bool TargetGradient => true;
}

/// <summary>The per-element losses only.</summary>
internal readonly struct PerElementOnly : IPointwiseOutputs
{
    public static bool PerElement => true;

    public static bool Gradient => false;

    public static bool TargetGradient => false;
}

/// <summary>The per-element losses and the vector-Jacobian product with the upstream gradient.</summary>
internal readonly struct PerElementWithGradient : IPointwiseOutputs
{
    public static bool PerElement => true;

    public static bool Gradient => true;

    public static bool TargetGradient => false;
}

/// <summary>
/// A weight applied cyclically (element i uses weight[i mod Length]) as blocks of eight: a short weight (the usual last
/// dimension) as a pattern of doubles on the caller's stack, Period + 8 values with value k = weight[k mod Length] and
/// Period the smallest multiple of Length that is at least 8, so that the block at offset o &lt; Period is the eight
/// values from o; a long one read from its storage, with the one block in Length that wraps around staged.
/// </summary>
internal unsafe struct CyclicWeight
{
    /// <summary>The most doubles a pattern takes (4 KiB): weights of up to 504 values are patterns.</summary>
    public const int PatternCapacity = 512;

    /// <summary>The pattern, or null for a long weight (or none).</summary>
    public double* Pattern;

    /// <summary>The weight's storage (storage type).</summary>
    public byte* Values;

    /// <summary>The weight's length; 0 for no weight (all ones).</summary>
    public int Length;

    /// <summary>The offset of the next block advances by 8 modulo this: the pattern's period, or Length.</summary>
    public int Period;

    /// <summary>The doubles a weight of <paramref name="length"/> values needs for its pattern: 0 for none or a long weight.</summary>
    public static int PatternLength(int length)
    {
        int period = PeriodOf(length);
        return length > 0 && period + 8 <= PatternCapacity ? period + 8 : 0;
    }

    /// <summary>A weight of the storage type <typeparamref name="T"/>; <paramref name="pattern"/> has <see cref="PatternLength"/> doubles.</summary>
    public static CyclicWeight Of<T>(byte* values, int length, double* pattern)
        where T : IFloatingPointIeee754<T>
    {
        int patternLength = PatternLength(length);
        for (int k = 0; k < patternLength; k++)
        {
            pattern[k] = Elements<T>.Read(values, k % length);
        }

        return new CyclicWeight
        {
            Pattern = patternLength > 0 ? pattern : null,
            Values = values,
            Length = length,
            Period = patternLength > 0 ? PeriodOf(length) : length,
        };
    }

    private static int PeriodOf(int length) => length >= 8 ? length : length * ((8 + length - 1) / Math.Max(1, length));
}

/// <summary>One element-wise call: its spans (storage type), outputs, weights and chunking.</summary>
internal unsafe struct PointwiseJob
{
    public byte* Input;
    public byte* Target;
    public byte* Destination;
    public byte* GradOutput;
    public byte* Gradient;
    public byte* TargetGradient;
    public int Length;
    public CyclicWeight Weight;
    public CyclicWeight PosWeight;

    /// <summary>The factor of the reduced gradient: 1 / divisor.</summary>
    public double Scale;

    /// <summary>Blocks of eight elements per chunk (<see cref="ChunkDriver.Split"/>).</summary>
    public int BlocksPerChunk;

    /// <summary>One partial sum per chunk.</summary>
    public double* Partials;
}

/// <summary>
/// Runs an element-wise loss over spans on the block engine: blocks of eight elements in double at the machine's vector
/// width, chunks of about <see cref="ChunkDriver.ElementsPerChunk"/> elements over threads (a small call stays on the
/// calling thread). The sum of the losses is compensated: plain lane sums of <see cref="BlockedSum.BlockLength"/>
/// blocks, Neumaier across them, the lanes of a chunk added in <see cref="IDoubleBlock{TSelf}.Sum"/>'s fixed order, and
/// the chunks' partial sums combined in chunk order; chunks start at multiples of eight elements, so lane i always holds
/// the elements i mod 8, and the result is the same, bit for bit, at every width and every thread count. A loss that
/// <see cref="IPointwiseLoss.SumsInOrder"/> is reduced in one chunk, its terms computed a block at a time and added one
/// by one in element order (Neumaier).
/// </summary>
internal static unsafe class Pointwise<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>
    /// Returns Σ ℓᵢ / <paramref name="divisor"/>; with <paramref name="perElement"/> it also writes one loss per element
    /// into <paramref name="destination"/>. Derivatives are scaled by the element's upstream gradient where
    /// <paramref name="perElement"/> and <paramref name="gradOutput"/> is not empty, and otherwise by
    /// <paramref name="upstream"/> / divisor. An empty <paramref name="gradient"/> skips the gradient; a non-empty
    /// <paramref name="targetGradient"/> (reduced calls of a loss with <see cref="IPointwiseLoss.HasTargetDerivative"/>
    /// only) receives ∂ℓ/∂t scaled the same way. Weights apply cyclically (element i uses weight[i mod length]).
    /// Arguments are validated.
    /// </summary>
    public static double Run<TLoss>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        ReadOnlySpan<T> weight,
        ReadOnlySpan<T> posWeight,
        bool perElement,
        double divisor,
        Span<T> destination,
        ReadOnlySpan<T> gradOutput,
        Span<T> gradient,
        Span<T> targetGradient = default,
        double upstream = 1.0)
        where TLoss : IPointwiseLoss
    {
        bool withGradient = !gradient.IsEmpty;
        bool withTargetGradient = !targetGradient.IsEmpty;
        Debug.Assert(!withTargetGradient || (TLoss.HasTargetDerivative && !perElement), "a target gradient is a reduced call's, of a loss that has one");
        if (input.IsEmpty)
        {
            return 0.0 / divisor;
        }

        var job = new PointwiseJob { Length = input.Length, Scale = upstream / divisor };
        double* weightPattern = stackalloc double[CyclicWeight.PatternLength(weight.Length)];
        double* posWeightPattern = stackalloc double[CyclicWeight.PatternLength(posWeight.Length)];
        int blocks = (int)(((long)input.Length + 7) / 8);
        (job.BlocksPerChunk, int chunks) = TLoss.SumsInOrder && !perElement ? (blocks, 1) : ChunkDriver.Split(blocks, 8);
        double* partials = stackalloc double[chunks];
        job.Partials = partials;
        fixed (byte* x = &AsBytes(input))
        fixed (byte* t = &AsBytes(target))
        fixed (byte* w = &AsBytes(weight))
        fixed (byte* pw = &AsBytes(posWeight))
        fixed (byte* d = &AsBytes((ReadOnlySpan<T>)destination))
        fixed (byte* go = &AsBytes(gradOutput))
        fixed (byte* g = &AsBytes((ReadOnlySpan<T>)gradient))
        fixed (byte* tg = &AsBytes((ReadOnlySpan<T>)targetGradient))
        {
            job.Input = x;
            job.Target = t;
            job.Destination = destination.IsEmpty ? null : d;
            job.GradOutput = gradOutput.IsEmpty ? null : go;
            job.Gradient = g;
            job.TargetGradient = tg;
            job.Weight = CyclicWeight.Of<T>(w, weight.Length, weightPattern);
            job.PosWeight = CyclicWeight.Of<T>(pw, posWeight.Length, posWeightPattern);
            delegate*<void*, int, void> body = (perElement, withGradient, withTargetGradient) switch
            {
                (false, false, false) => Body<TLoss, SumOnly>(),
                (false, true, false) => Body<TLoss, SumWithGradient>(),
                (false, false, true) => Body<TLoss, SumWithTargetGradient>(),
                (false, true, true) => Body<TLoss, SumWithBothGradients>(),
                (true, false, _) => Body<TLoss, PerElementOnly>(),
                _ => Body<TLoss, PerElementWithGradient>(),
            };
            ChunkDriver.For(chunks, body, &job);
        }

        CompensatedSum total = default;
        for (int c = 0; c < chunks; c++)
        {
            total.Add(partials[c]);
        }

        return total.Value / divisor;
    }

    /// <summary>The chunk body of the machine's width.</summary>
    private static delegate*<void*, int, void> Body<TLoss, TOutputs>()
        where TLoss : IPointwiseLoss
        where TOutputs : IPointwiseOutputs =>
        Width.Pick(&Chunk<TLoss, TOutputs, Double512>, &Chunk<TLoss, TOutputs, Double256>, &Chunk<TLoss, TOutputs, Double128>);

    private static ref byte AsBytes(ReadOnlySpan<T> span) => ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(span));

    /// <summary>
    /// The elements of one chunk, a block of eight at a time (the last block of the call padded: its unused lanes are
    /// neither summed nor stored). The running sums are locals of this method and nothing in the loop is a call (for
    /// float and double), so the JIT keeps them in registers.
    /// </summary>
    [MethodImpl(Compile.HotLoop)]
    private static void Chunk<TLoss, TOutputs, TD>(void* state, int chunk)
        where TLoss : IPointwiseLoss
        where TOutputs : IPointwiseOutputs
        where TD : unmanaged, IDoubleBlock<TD>
    {
        ref PointwiseJob job = ref Unsafe.AsRef<PointwiseJob>(state);
        int size = Elements<T>.Size;
        long chunkStart = (long)chunk * job.BlocksPerChunk * 8;
        int start = (int)chunkStart;
        int end = (int)Math.Min(job.Length, chunkStart + (long)job.BlocksPerChunk * 8);
        byte* input = job.Input;
        byte* target = job.Target;
        byte* destination = job.Destination;
        byte* gradOutput = job.GradOutput;
        byte* gradient = job.Gradient;
        byte* targetGradient = job.TargetGradient;
        double* weightPattern = job.Weight.Pattern;
        byte* weightValues = job.Weight.Values;
        int weightLength = job.Weight.Length;
        int weightPeriod = job.Weight.Period;
        int weightOffset = weightLength == 0 ? 0 : start % weightPeriod;
        double* posWeightPattern = job.PosWeight.Pattern;
        byte* posWeightValues = job.PosWeight.Values;
        int posWeightLength = job.PosWeight.Length;
        int posWeightPeriod = job.PosWeight.Period;
        int posWeightOffset = posWeightLength == 0 ? 0 : start % posWeightPeriod;

        TD zero = TD.Create(0.0);
        TD one = TD.Create(1.0);
        TD scale = TD.Create(job.Scale);
        // The compensated total lives in memory, joined once per BlockLength blocks out of line (see BlockedSum.AddTo).
        double* totals = stackalloc double[BlockedSum.TotalDoubles];
        new Span<double>(totals, BlockedSum.TotalDoubles).Clear();
        CompensatedSum inOrder = default;
        int i = start;
        while (i < end)
        {
            int stop = (int)Math.Min(end, (long)i + 8 * BlockedSum.BlockLength);
            TD block = zero;
            for (; i < stop; i += 8)
            {
                int lanes = stop - i;
                nint at = (nint)i * size;
                TD x = Elements<T>.LoadBlock<TD>(input + at, lanes);
                TD t = Elements<T>.LoadBlock<TD>(target + at, lanes);
                TD w = weightLength == 0 ? one : LoadCyclic<TD>(weightPattern, weightValues, weightLength, weightOffset);
                TD pw = posWeightLength == 0 ? one : LoadCyclic<TD>(posWeightPattern, posWeightValues, posWeightLength, posWeightOffset);
                weightOffset = weightOffset + 8 >= weightPeriod ? weightOffset + 8 - weightPeriod : weightOffset + 8;
                posWeightOffset = posWeightOffset + 8 >= posWeightPeriod ? posWeightOffset + 8 - posWeightPeriod : posWeightOffset + 8;

                (TD loss, TD derivative, TD targetDerivative) = TLoss.Evaluate(x, t, w, pw, TOutputs.Gradient, TOutputs.TargetGradient);
                if (TOutputs.PerElement && destination != null)
                {
                    Elements<T>.StoreBlock(loss, destination + at, lanes);
                }

                if (TLoss.SumsInOrder)
                {
                    AddInOrder(ref inOrder, loss, Math.Min(lanes, 8));
                }
                else
                {
                    block += lanes >= 8 ? loss : TD.Select(TD.Equal(Elements<T>.LoadPartialOnes<TD>(lanes), one), loss, zero);
                }

                if (TOutputs.Gradient)
                {
                    TD upstream = TOutputs.PerElement && gradOutput != null ? Elements<T>.LoadBlock<TD>(gradOutput + at, lanes) : scale;
                    Elements<T>.StoreBlock(upstream * derivative, gradient + at, lanes);
                }

                if (TOutputs.TargetGradient)
                {
                    Elements<T>.StoreBlock(scale * targetDerivative, targetGradient + at, lanes);
                }
            }

            if (!TLoss.SumsInOrder)
            {
                BlockedSum.AddTo(totals, block);
            }
        }

        job.Partials[chunk] = TLoss.SumsInOrder ? inOrder.Value : BlockedSum.SumOf<TD>(totals);
    }

    /// <summary>The first <paramref name="lanes"/> terms of a block, added one by one in element order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddInOrder<TD>(ref CompensatedSum sum, TD terms, int lanes)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        Eight staged = default;
        TD.Store(terms, (double*)Unsafe.AsPointer(ref staged[0]));
        for (int k = 0; k < lanes; k++)
        {
            sum.Add(staged[k]);
        }
    }

    /// <summary>The eight weights from <paramref name="offset"/> on (see <see cref="CyclicWeight"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD LoadCyclic<TD>(double* pattern, byte* values, int length, int offset)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        if (pattern != null)
        {
            return TD.Load(pattern + offset);
        }

        if (offset + 8 <= length)
        {
            return Elements<T>.Load<TD>(values + (nint)offset * Elements<T>.Size);
        }

        Eight staged = default;
        for (int k = 0; k < 8; k++)
        {
            int index = offset + k;
            staged[k] = Elements<T>.Read(values, index < length ? index : index - length);
        }

        return TD.Load((double*)Unsafe.AsPointer(ref staged[0]));
    }
}
