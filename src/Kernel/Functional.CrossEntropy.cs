using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xent.Internal;
using Xent.Internal.Rows;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Cross entropy of logits and class-index targets (PyTorch <c>F.cross_entropy(input, target, weight,
    /// ignore_index, reduction, label_smoothing)</c>, with Liger-Kernel's z-loss and soft cap), with whatever else the
    /// caller asks for from the same pass over the logits: the gradient, the per-position losses, log-sum-exps and
    /// predictions. For position n with target yₙ ≠ ignore index and (soft-capped) logits z:
    /// ℓₙ = (1 − ε)·w[yₙ]·(lseₙ − zₙ[yₙ]) + (ε / C)·Σ_c w[c]·(lseₙ − zₙ[c]) + λ·lseₙ², lseₙ = log Σ_c exp(zₙ[c]);
    /// an ignored position has ℓₙ = 0 and counts for nothing. <see cref="Reduction.Mean"/> is Σ ℓₙ / Σ_{n counted} w[yₙ]
    /// (the count without weights), <see cref="Reduction.Sum"/> Σ ℓₙ.
    /// </summary>
    /// <typeparam name="T">float, double or Half (any IEEE 754 type); rows are computed in double.</typeparam>
    /// <typeparam name="TLabel">The targets' integer type: <c>int</c>, <c>long</c> (PyTorch's int64), <c>byte</c>, <c>ushort</c>, or any other binary integer.</typeparam>
    /// <param name="input">Logits (N, C, d1, …, dk) row-major, viewed as (outer, <paramref name="classes"/>, <paramref name="inner"/>); (N, C) is the default inner = 1. Empty is allowed.</param>
    /// <param name="target">One class index per position, (N, d1, …, dk) flattened: each in [0, C) or equal to the ignore index.</param>
    /// <param name="classes">C, the size of the class dimension, at least 1.</param>
    /// <param name="options">Class weights, ignore index, reduction, label smoothing ε, z-loss scale λ, soft cap and empty-mean rule; null for <see cref="CrossEntropyOptions{T}.Default"/>.</param>
    /// <param name="gradient">Empty, or at least the input's length: receives ∂L/∂input = g·s·(softmax(z)·(A + 2λ·lse) − ε·w / C − (1 − ε)·w[y]·onehot(y)) per position (times the soft cap's 1 − (z/cap)², A the total coefficient), with s = 1 / Σ w[y] (Mean), 1 (Sum) or the position's upstream gradient (None); 0 at ignored positions. It may be the input itself (the gradient then overwrites the logits), but must not overlap it otherwise.</param>
    /// <param name="losses">Empty, or at least one value per position: receives each ℓₙ (z-loss included; 0 where ignored), whatever the reduction.</param>
    /// <param name="logSumExp">Empty, or at least one value per position: receives each lseₙ of the (soft-capped) logits; NaN where ignored (not computed).</param>
    /// <param name="predicted">Empty, or at least one value per position: receives each prediction argmax_c zₙ[c] (as <c>torch.argmax</c>: the first largest, a NaN the largest); −1 where ignored.</param>
    /// <param name="gradOutput">The upstream gradient g (PyTorch's <c>loss.backward(grad_output)</c>), only with a gradient: for Mean and Sum empty (g = 1) or one value; for None empty (all ones) or one value per position.</param>
    /// <param name="inner">d1·…·dk, the product of the dimensions after the class dimension; 1 (default) for (N, C).</param>
    /// <returns>
    /// The summary, in double: the loss as the reduction says (for <see cref="Reduction.None"/>, Σ ℓₙ, the per-position
    /// values being in <paramref name="losses"/>), the z-loss reduced the same way, the counted positions, the correct
    /// predictions and the accuracy (correct / counted). <c>(T)summary.Loss</c> is PyTorch's value rounded once.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1; a target is neither a class nor the ignore index (named with its position and value).</exception>
    /// <exception cref="ArgumentException">The input length is not a multiple of C × inner; the target count is not the number of positions; <typeparamref name="TLabel"/> is wider than 8 bytes (Int128); the weights are neither empty nor C values; an output is too short or overlaps an input or another output; <paramref name="gradOutput"/> is given without a gradient or has the wrong length. Nothing is written when an exception is thrown.</exception>
    /// <remarks>
    /// <para>Stable: lse − z[y] is computed as log Σ exp(z − m) − (z[y] − m) with m the row maximum, never through a
    /// materialized log-softmax, so logits of 1e30 or 3e38 give exact results. Precision and special values are in
    /// docs/semantics.md: a row holding NaN or +∞ (or only −∞) has a NaN loss, a −∞ target logit gives +∞, and a term with
    /// a zero coefficient contributes exactly 0 even where its log-probability is −∞ (PyTorch gives NaN there).</para>
    /// <para>With no counted position, a mean and the accuracy are NaN, or 0 under <see cref="EmptyMean.Zero"/>; a sum
    /// is 0. Weights summing to zero over counted targets give what the division gives.</para>
    /// <para>Runs on up to <see cref="MaxDegreeOfParallelism"/> threads; every result is the same, bit for bit, at any
    /// thread count and vector width. Allocates nothing.</para>
    /// </remarks>
    public static CrossEntropySummary CrossEntropy<T, TLabel>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<TLabel> target,
        int classes,
        CrossEntropyOptions<T>? options = null,
        Span<T> gradient = default,
        Span<T> losses = default,
        Span<T> logSumExp = default,
        Span<int> predicted = default,
        ReadOnlySpan<T> gradOutput = default,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        options ??= CrossEntropyOptions<T>.Default;
        ClassLayout layout = ValidateIndexCall(input, target, classes, inner, options, gradient, losses, logSumExp, predicted, gradOutput, out LossOutputs<T> outputs, out double weightSum, out long count);
        LossPartial sums = IndexRows(input, target, layout, options, outputs, weightSum);
        return Summarize(sums, TargetKind.Index, weightSum, count, classes, options);
    }

    /// <summary>
    /// The checks of a class-index call, in the documented order: sizes, the target count, the options against C, the
    /// outputs (lengths, upstream gradient, overlaps, the targets' memory included), then every target. Returns the
    /// layout, the checked outputs, Σ w[t] over the counted targets and their count.
    /// </summary>
    private static ClassLayout ValidateIndexCall<T, TLabel>(
        ReadOnlySpan<T> input, ReadOnlySpan<TLabel> target, int classes, int inner, CrossEntropyOptions<T> options,
        Span<T> gradient, Span<T> losses, Span<T> logSumExp, Span<int> predicted, ReadOnlySpan<T> gradOutput,
        out LossOutputs<T> outputs, out double weightSum, out long count)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        ClassLayout layout = ClassLayout.Create(input.Length, classes, inner);
        if (target.Length != layout.Positions)
        {
            ThrowHelper.TargetLengthMismatch(target.Length, layout.Positions);
        }

        outputs = new LossOutputs<T>(input, default, layout, options, gradient, losses, logSumExp, predicted, gradOutput);
        outputs.RefuseOverlap(Bytes.Of(target), nameof(target));
        (weightSum, count) = Labels.Validate(target, classes, options.IgnoreIndex, options.WeightSpan);
        return layout;
    }

    /// <summary>
    /// Cross entropy of logits and probability targets (soft labels or one-hot; PyTorch <c>F.cross_entropy</c> with a
    /// floating-point target of the input's shape), with the same optional outputs as the class-index form: for position
    /// n with target row pₙ and p′ = (1 − ε)·pₙ + ε / C, ℓₙ = Σ_c w[c]·p′[c]·(lseₙ − zₙ[c]) + λ·lseₙ².
    /// <see cref="Reduction.Mean"/> divides Σ ℓₙ by the number of positions, as PyTorch does.
    /// </summary>
    /// <typeparam name="T">float, double or Half (any IEEE 754 type); rows are computed in double.</typeparam>
    /// <param name="input">Logits, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">Target probabilities of the input's shape; rows need not sum to one and values are not checked, as in PyTorch.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="options">As for class indices; the ignore index is unused.</param>
    /// <param name="gradient">Empty, or at least the input's length: receives ∂L/∂input = g·s·(softmax(z)·(Σ_c w[c]·p′[c] + 2λ·lse) − w·p′); it may be the input itself.</param>
    /// <param name="losses">Empty, or one value per position: each ℓₙ.</param>
    /// <param name="logSumExp">Empty, or one value per position: each lseₙ.</param>
    /// <param name="predicted">Empty, or one value per position: each argmax_c zₙ[c].</param>
    /// <param name="gradOutput">As for class indices.</param>
    /// <param name="inner">d1·…·dk; 1 (default) for (N, C).</param>
    /// <returns>The summary: the loss, the z-loss, the positions counted (all of them). A probability target names no one class, so no prediction is scored: correct is 0 and the accuracy NaN.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">As for class indices; the target does not have the input's length (with a hint when it holds one value per position: class indices are passed as integers).</exception>
    /// <remarks>Special values, precision, threads and allocation as for class indices; a class whose coefficient w[c]·p′[c] is 0 contributes 0 even at a −∞ logit.</remarks>
    public static CrossEntropySummary CrossEntropyProbabilities<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        int classes,
        CrossEntropyOptions<T>? options = null,
        Span<T> gradient = default,
        Span<T> losses = default,
        Span<T> logSumExp = default,
        Span<int> predicted = default,
        ReadOnlySpan<T> gradOutput = default,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        options ??= CrossEntropyOptions<T>.Default;
        ClassLayout layout = ClassLayout.Create(input.Length, classes, inner);
        if (target.Length != input.Length)
        {
            ThrowHelper.ProbabilityTargetShapeMismatch(target.Length, input.Length, layout.Positions);
        }

        var outputs = new LossOutputs<T>(input, target, layout, options, gradient, losses, logSumExp, predicted, gradOutput);
        LossPartial sums = ProbabilityRows(input, target, layout, options, outputs);
        return Summarize(sums, TargetKind.Probabilities, layout.Positions, layout.Positions, classes, options);
    }

    /// <summary>
    /// <see cref="CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
    /// over (N, C) logits of any size, including more than 2³¹ elements (for example 8192 × 262144 for a language model's
    /// vocabulary): the same results, computed over blocks of whole rows of at most 2³¹ − 1 elements, sums combined in
    /// block order.
    /// </summary>
    /// <typeparam name="T">float, double or Half.</typeparam>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Logits of shape (N, C), dense and row-major (strides C and 1); C at most 2³¹ − 1.</param>
    /// <param name="target">One class index per row (N values).</param>
    /// <param name="options">As the span overload.</param>
    /// <param name="gradient">Empty, or the input's shape, dense and row-major: receives ∂L/∂input; it may be the input itself.</param>
    /// <param name="losses">Empty, or at least N values.</param>
    /// <param name="logSumExp">Empty, or at least N values.</param>
    /// <param name="predicted">Empty, or at least N values.</param>
    /// <param name="gradOutput">As the span overload (N values for None).</param>
    /// <returns>The summary, as the span overload.</returns>
    /// <exception cref="ArgumentOutOfRangeException">As the span overload.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not two-dimensional, not dense row-major, has no class or more than 2³¹ − 1 classes, or a row count other than N; <paramref name="gradient"/> has another shape or layout; otherwise as the span overload.</exception>
    public static CrossEntropySummary CrossEntropy<T, TLabel>(
        ReadOnlyTensorSpan<T> input,
        ReadOnlySpan<TLabel> target,
        CrossEntropyOptions<T>? options = null,
        TensorSpan<T> gradient = default,
        Span<T> losses = default,
        Span<T> logSumExp = default,
        Span<int> predicted = default,
        ReadOnlySpan<T> gradOutput = default)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        options ??= CrossEntropyOptions<T>.Default;
        int classes = ValidateMatrix(input, target.Length, nameof(input));
        bool withGradient = !gradient.IsEmpty;
        if (withGradient)
        {
            ValidateMatrix((ReadOnlyTensorSpan<T>)gradient, target.Length, nameof(gradient));
            if (gradient.Lengths[1] != classes)
            {
                throw new ArgumentException(
                    $"The gradient must have the input's shape ({target.Length} × {classes}); got {gradient.Lengths[0]} × {gradient.Lengths[1]}.", nameof(gradient));
            }
        }

        double weightSum = 0.0;
        long counted = 0;
        LossRows.ChunkSums sums = default;
        int rows = target.Length;
        int rowsPerBlock = Math.Max(1, int.MaxValue / classes);
        ref T x0 = ref Unsafe.AsRef(in input.GetPinnableReference());
        ref T g0 = ref withGradient ? ref gradient.GetPinnableReference() : ref Unsafe.NullRef<T>();
        LossOutputs<T>.CheckLengths(rows, (long)rows * classes, options.Reduction, withGradient ? (long)rows * classes : 0, losses.Length, logSumExp.Length, predicted.Length, gradOutput.Length);
        if (withGradient)
        {
            // The whole gradient against the whole input (the blocks below only see their own rows).
            var wholeInput = Bytes.Of(ref x0, (nint)rows * classes);
            var wholeGradient = Bytes.Of(ref g0, (nint)rows * classes);
            if (wholeGradient.Overlaps(wholeInput) && !wholeGradient.SameStart(wholeInput))
            {
                ThrowHelper.GradientOverlapsInputPartially();
            }
        }

        // Every check before anything is written: the first walk over the blocks only checks their outputs, then every
        // target is checked, then the second walk computes.
        for (int pass = 0; pass < 2; pass++)
        {
            if (pass == 1)
            {
                (weightSum, counted) = Labels.Validate(target, classes, options.IgnoreIndex, options.WeightSpan);
            }

            for (int first = 0; first < rows; first += rowsPerBlock)
            {
                int count = Math.Min(rowsPerBlock, rows - first);
                nint offset = (nint)first * classes;
                ReadOnlySpan<T> x = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref x0, offset), count * classes);
                var block = new LossOutputs<T>(
                    x, default, ClassLayout.Create(x.Length, classes, 1), options,
                    withGradient ? MemoryMarshal.CreateSpan(ref Unsafe.Add(ref g0, offset), count * classes) : default,
                    Part(losses, first, count), Part(logSumExp, first, count), Part(predicted, first, count),
                    options.Reduction == Reduction.None ? Part(gradOutput, first, count) : gradOutput);
                block.RefuseOverlap(Bytes.Of(target), nameof(target));
                if (pass == 1)
                {
                    sums.Add(IndexRows(x, target.Slice(first, count), ClassLayout.Create(x.Length, classes, 1), options, block, weightSum));
                }
            }
        }

        return Summarize(sums.ToPartial(), TargetKind.Index, weightSum, counted, classes, options);
    }

    /// <summary>The <paramref name="count"/> values of an optional per-position span from <paramref name="first"/> on (empty stays empty).</summary>
    private static Span<TElement> Part<TElement>(Span<TElement> span, int first, int count) => span.IsEmpty ? default : span.Slice(first, count);

    private static ReadOnlySpan<TElement> Part<TElement>(ReadOnlySpan<TElement> span, int first, int count) => span.IsEmpty ? default : span.Slice(first, count);

    /// <summary>
    /// Negative log-likelihood of log-probabilities and class-index targets (PyTorch <c>F.nll_loss(input, target,
    /// weight, ignore_index, reduction)</c>): ℓₙ = −w[yₙ]·xₙ[yₙ], 0 where yₙ is the ignore index.
    /// <see cref="Reduction.Mean"/> is Σ ℓₙ / Σ_{n counted} w[yₙ], <see cref="Reduction.Sum"/> Σ ℓₙ.
    /// </summary>
    /// <typeparam name="T">float, double or Half.</typeparam>
    /// <typeparam name="TLabel">The targets' integer type (<c>int</c>, <c>long</c>, <c>byte</c>, <c>ushort</c>, ...).</typeparam>
    /// <param name="input">Log-probabilities (for example from <see cref="LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>), (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major; not checked to be log-probabilities, as in PyTorch.</param>
    /// <param name="target">One class index per position, each in [0, C) or equal to the ignore index.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="options">Class weights, ignore index, reduction and empty-mean rule; null for the defaults. Label smoothing, z-loss and soft cap belong to cross entropy and must be 0.</param>
    /// <param name="gradient">Empty, or at least the input's length: receives ∂L/∂input, −g·s·w[yₙ] at each counted target and 0 elsewhere (s as for cross entropy); it may be the input itself.</param>
    /// <param name="losses">Empty, or one value per position: each ℓₙ (0 where ignored).</param>
    /// <param name="gradOutput">The upstream gradient, as for cross entropy.</param>
    /// <param name="inner">d1·…·dk; 1 (default) for (N, C).</param>
    /// <returns>The loss as the reduction says (Σ ℓₙ for <see cref="Reduction.None"/>), computed in double and rounded once.</returns>
    /// <exception cref="ArgumentOutOfRangeException">As for cross entropy.</exception>
    /// <exception cref="ArgumentException">As for cross entropy; also the options ask for label smoothing, a z-loss or a soft cap.</exception>
    /// <remarks>A zero weight contributes exactly 0 even at a −∞ log-probability (PyTorch: NaN). With no counted position the mean is NaN, or 0 under <see cref="EmptyMean.Zero"/>. Runs on the calling thread; allocates nothing.</remarks>
    public static T NllLoss<T, TLabel>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<TLabel> target,
        int classes,
        CrossEntropyOptions<T>? options = null,
        Span<T> gradient = default,
        Span<T> losses = default,
        ReadOnlySpan<T> gradOutput = default,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        options ??= CrossEntropyOptions<T>.Default;
        if (options.LabelSmoothing != 0.0 || options.ZLossScale != 0.0 || options.SoftCap != 0.0)
        {
            throw new ArgumentException(
                "NLL takes log-probabilities: label smoothing, the z-loss and the soft cap are options of cross entropy on logits and must be 0 here.",
                nameof(options));
        }

        ClassLayout layout = ValidateIndexCall(input, target, classes, inner, options, gradient, losses, default, default, gradOutput, out LossOutputs<T> outputs, out double weightSum, out long count);
        var sums = new LossPartial { Target = NllRows(input, target, layout, options, outputs, weightSum) };
        return T.CreateTruncating(Summarize(sums, TargetKind.Index, weightSum, count, classes, options).Loss);
    }

    /// <summary>
    /// NLL's rows, everything validated: ℓ = −w[t]·x[t], the per-position losses, the gradient (−s·w[t] at the target,
    /// 0 elsewhere; the target's value is read before its row is cleared, so the gradient may be the input); returns Σ ℓ.
    /// </summary>
    private static unsafe double NllRows<T, TLabel>(
        ReadOnlySpan<T> input, ReadOnlySpan<TLabel> target, ClassLayout layout, CrossEntropyOptions<T> options, in LossOutputs<T> outputs, double weightSum)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        ReadOnlySpan<T> weight = options.WeightSpan;
        Reduction reduction = options.Reduction;
        Span<T> gradient = outputs.Gradient;
        bool withGradient = !gradient.IsEmpty;
        double reducedScale = reduction == Reduction.Mean ? outputs.Upstream / weightSum : outputs.Upstream;
        CompensatedSum sum = default;
        fixed (TLabel* y = target)
        {
            Labels labels = Labels.Of(y, options.IgnoreIndex);
            for (int p = 0; p < target.Length; p++)
            {
                int t = labels.ClassOf(p);
                int start = layout.RowStart(p);
                double wt = t < 0 ? 0.0 : WeightValues.Of(weight, t);
                double nll = t < 0 ? 0.0 : Zero.Term(wt, -double.CreateTruncating(input[start + t * layout.Inner]));
                if (withGradient)
                {
                    StridedRow<T>.Clear(gradient, start, layout.Inner, layout.Classes);
                    if (t >= 0)
                    {
                        double scale = reduction == Reduction.None
                            ? (outputs.GradOutput.IsEmpty ? 1.0 : double.CreateTruncating(outputs.GradOutput[p]))
                            : reducedScale;
                        gradient[start + t * layout.Inner] = T.CreateTruncating(-scale * wt);
                    }
                }

                if (!outputs.Losses.IsEmpty)
                {
                    outputs.Losses[p] = T.CreateTruncating(nll);
                }

                if (t >= 0)
                {
                    sum.Add(nll);
                }
            }
        }

        return sum.Value;
    }

    /// <summary>The summary of a call from its sums: the reduction, the empty-mean rule, the z-loss and the accuracy, each once.</summary>
    private static CrossEntropySummary Summarize<T>(in LossPartial sums, TargetKind kind, double normalizer, long count, int classes, CrossEntropyOptions<T> options)
        where T : IFloatingPointIeee754<T>
    {
        double empty = options.EmptyMean == EmptyMean.Zero ? 0.0 : double.NaN;
        bool emptyAverage = options.Reduction == Reduction.Mean && count == 0;
        double divisor = options.Reduction == Reduction.Mean ? normalizer : 1.0;
        double zLoss = emptyAverage ? empty : sums.Z / divisor;
        double loss = emptyAverage ? empty : ReducedLoss(sums, kind, divisor, options.LabelSmoothing, classes) + (options.ZLossScale > 0.0 ? zLoss : 0.0);
        long correct = kind == TargetKind.Index ? sums.Correct : 0;
        double accuracy = kind != TargetKind.Index ? double.NaN : count == 0 ? empty : (double)correct / count;
        return new CrossEntropySummary(loss, zLoss, count, correct, accuracy);
    }

    /// <summary>
    /// The reduced cross entropy from its sums, as PyTorch combines them: for class indices (1 − ε)·(Σ w[t]·(lse − x[t]) / d)
    /// + (ε / C)·(Σ (K·log S − Σ a·(x − m)) / d), each part divided before they are added, so that weights summing to zero
    /// give NaN (0/0 + ∞) as PyTorch does, and a zero coefficient (ε = 1) contributes 0 even where its part is infinite;
    /// for probabilities Σ ℓ / d.
    /// </summary>
    private static double ReducedLoss(in LossPartial sums, TargetKind kind, double divisor, double labelSmoothing, int classes)
    {
        if (kind == TargetKind.Probabilities)
        {
            return sums.Linear / divisor;
        }

        double target = sums.Target / divisor;
        return labelSmoothing > 0.0
            ? Zero.Term(1.0 - labelSmoothing, target) + labelSmoothing / classes * (sums.Linear / divisor)
            : target;
    }

    /// <summary>Class-index rows through the engine, everything validated; returns the sums.</summary>
    private static unsafe LossPartial IndexRows<T, TLabel>(
        ReadOnlySpan<T> input, ReadOnlySpan<TLabel> target, ClassLayout layout, CrossEntropyOptions<T> options, in LossOutputs<T> outputs, double weightSum)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        fixed (TLabel* y = target)
        {
            return EngineRows(TargetKind.Index, input, Labels.Of(y, options.IgnoreIndex), default, layout, options, outputs, weightSum);
        }
    }

    /// <summary>Probability rows through the engine, everything validated; returns the sums.</summary>
    private static LossPartial ProbabilityRows<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, ClassLayout layout, CrossEntropyOptions<T> options, in LossOutputs<T> outputs)
        where T : IFloatingPointIeee754<T> =>
        EngineRows(TargetKind.Probabilities, input, default, target, layout, options, outputs, layout.Positions);

    /// <summary>
    /// The one call of the row engine for cross entropy: a job from the options and the outputs. <paramref name="normalizer"/>
    /// is the mean's divisor (Σ w[t] over the counted rows for class indices, the positions for probabilities).
    /// </summary>
    private static unsafe LossPartial EngineRows<T>(
        TargetKind kind, ReadOnlySpan<T> input, Labels labels, ReadOnlySpan<T> probabilities, ClassLayout layout,
        CrossEntropyOptions<T> options, in LossOutputs<T> outputs, double normalizer)
        where T : IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> weight = options.WeightSpan;
        bool smoothing = options.LabelSmoothing > 0.0;
        Reduction reduction = options.Reduction;
        fixed (byte* x = &AsBytes(input))
        fixed (byte* p = &AsBytes(probabilities))
        fixed (byte* w = &AsBytes(weight))
        fixed (byte* d = &AsBytes((ReadOnlySpan<T>)outputs.Losses))
        fixed (byte* lse = &AsBytes((ReadOnlySpan<T>)outputs.LogSumExp))
        fixed (int* predicted = outputs.Predicted)
        fixed (byte* go = &AsBytes(outputs.GradOutput))
        fixed (byte* g = &AsBytes((ReadOnlySpan<T>)outputs.Gradient))
        {
            double upstream = outputs.Upstream;
            var job = new LossRowsJob
            {
                Input = x,
                Classes = layout.Classes,
                Rows = layout.Positions,
                Inner = layout.Inner,
                Kind = kind,
                Labels = labels,
                Probabilities = p,
                Weight = weight.IsEmpty ? null : w,
                Keep = 1.0 - options.LabelSmoothing,
                Spread = options.LabelSmoothing / layout.Classes,
                Smoothing = smoothing,
                ZScale = options.ZLossScale,
                Cap = options.SoftCap,
                Fast = kind == TargetKind.Index && layout.Inner == 1 && UsesFastRows<T>(smoothing, !weight.IsEmpty, options.SoftCap),
                Predict = kind == TargetKind.Index || !outputs.Predicted.IsEmpty,
                PerRow = outputs.Losses.IsEmpty ? null : d,
                LogSumExp = outputs.LogSumExp.IsEmpty ? null : lse,
                Predicted = outputs.Predicted.IsEmpty ? null : predicted,
                Gradient = outputs.Gradient.IsEmpty ? null : g,
                GradOutput = reduction == Reduction.None && !outputs.GradOutput.IsEmpty ? go : null,
                Scale = LossRows.ScaleOf(reduction, upstream, normalizer),
            };
            return LossRows.Run<T>(ref job);
        }
    }
}
