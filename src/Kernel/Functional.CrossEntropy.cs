using System;
using System.Numerics;
using Xent.Internal;
using Xent.Internal.Rows;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Cross entropy between logits and class-index targets, reduced to a scalar (PyTorch
    /// <c>torch.nn.functional.cross_entropy(input, target, weight, ignore_index=ignoreIndex, reduction, label_smoothing)</c>).
    /// For position n with target yₙ ≠ ignoreIndex and ε = <paramref name="labelSmoothing"/>:
    /// ℓₙ = (1 − ε)·w[yₙ]·(lseₙ − xₙ[yₙ]) + (ε / C)·Σ_c w[c]·(lseₙ − xₙ[c]), where lseₙ = log Σ_c exp(xₙ[c]);
    /// ignored positions have ℓₙ = 0. <see cref="Reduction.Sum"/> returns Σ ℓₙ; <see cref="Reduction.Mean"/> returns
    /// Σ ℓₙ / Σ_{n not ignored} w[yₙ], or what <paramref name="emptyMean"/> says when no position counts.
    /// </summary>
    /// <typeparam name="T">float or double (any IEEE 754 type works; rows are computed in double).</typeparam>
    /// <param name="input">Logits, row-major, shape (N, C, d1, ..., dk) flattened: (outer, <paramref name="classes"/>, <paramref name="inner"/>). Empty is allowed.</param>
    /// <param name="target">One class index per position, shape (N, d1, ..., dk) flattened: each in [0, C) or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="classes">C, the size of the class dimension, at least 1.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>; for <see cref="Reduction.None"/> call <see cref="CrossEntropyPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, ReadOnlySpan{T}, int, double, int)"/>.</param>
    /// <param name="weight">Per-class weights w (PyTorch <c>weight</c>), C values, or empty for all ones. Any values are accepted.</param>
    /// <param name="ignoreIndex">Target value whose positions contribute nothing, neither to the loss nor to the mean's normalizer (PyTorch <c>ignore_index</c>, default -100). It may be a real class.</param>
    /// <param name="labelSmoothing">ε in [0, 1] (PyTorch <c>label_smoothing</c>): the target becomes (1 − ε)·onehot + ε / C.</param>
    /// <param name="inner">d1·…·dk, the product of the dimensions after the class dimension; 1 (default) for (N, C) input.</param>
    /// <param name="emptyMean">What <see cref="Reduction.Mean"/> returns when no position counts (every target equals <paramref name="ignoreIndex"/>, or the batch is empty): <see cref="EmptyMean.NaN"/> (default, 0/0 as PyTorch) or <see cref="EmptyMean.Zero"/> (as Keras and Liger-Kernel). Weights summing to zero over targets that count still give what the division gives. <see cref="Reduction.Sum"/> is unaffected.</param>
    /// <returns>The reduced loss, computed in double and rounded once to <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1; <paramref name="labelSmoothing"/> is outside [0, 1] or NaN; <paramref name="emptyMean"/> is not a defined value; a target is outside [0, C) and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="reduction"/> is <see cref="Reduction.None"/>; the input length is not a multiple of C × inner; the target count is not the number of positions; <paramref name="weight"/> is neither empty nor of length C.</exception>
    /// <remarks>
    /// <para>Stable: lse − x[y] is computed as log Σ exp(x − m) − (x[y] − m) with m the row maximum, never through a
    /// materialized log-softmax, so logits of 1e4, 1e30 or 3e38 give exact results.</para>
    /// <para>Special values: a row holding NaN or +∞ (or only −∞) gives NaN, as in PyTorch; a −∞ logit at the target
    /// gives +∞; −∞ elsewhere is fine. An ignored row contributes nothing even if it holds NaN. Every target ignored
    /// (or an empty batch) with <see cref="Reduction.Mean"/> gives NaN (0/0, as PyTorch) by default, or 0 with
    /// <see cref="EmptyMean.Zero"/>; with <see cref="Reduction.Sum"/> 0. Weights summing to zero over the non-ignored
    /// targets give what the division gives for the mean (NaN, or ±∞ with signed weights), whatever
    /// <paramref name="emptyMean"/> says. A term whose coefficient is zero
    /// (a zero weight, or the target's own term (1 − ε)·w[y] when ε = 1) contributes exactly 0 even where its
    /// log-probability is −∞; PyTorch gives NaN there (0·∞).</para>
    /// </remarks>
    public static T CrossEntropy<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        int classes,
        Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> weight = default,
        int ignoreIndex = DefaultIgnoreIndex,
        double labelSmoothing = 0.0,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateIndexLoss(input, target, classes, inner, weight, labelSmoothing);
        ValidateScalarReduction(reduction);
        ValidateEmptyMean(emptyMean);
        CountedTargets counted = ValidateTargets(target, classes, ignoreIndex, weight);
        double loss = IndexLoss(input, target, layout, weight, ignoreIndex, labelSmoothing, fromLogits: true, reduction, counted.WeightSum, default, default, default);
        return T.CreateTruncating(EmptyMeanValue(loss, reduction, counted.Count, emptyMean));
    }

    /// <summary>
    /// Cross entropy between logits and class-index targets, one loss per position (PyTorch
    /// <c>cross_entropy(..., reduction='none')</c>): destination[n] = (1 − ε)·w[yₙ]·(lseₙ − xₙ[yₙ]) + (ε / C)·Σ_c w[c]·(lseₙ − xₙ[c]),
    /// and 0 where yₙ = ignoreIndex.
    /// </summary>
    /// <param name="input">Logits, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">One class index per position, each in [0, C) or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="destination">Receives one loss per position, in target order; at least as long as <paramref name="target"/>; must not overlap <paramref name="input"/> or <paramref name="weight"/>.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="weight">Per-class weights, C values, or empty for all ones.</param>
    /// <param name="ignoreIndex">Target value whose positions get a loss of 0 (default -100); it may be a real class.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="CrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/>.</exception>
    /// <exception cref="ArgumentException">As the reduced overload; also <paramref name="destination"/> is too short or overlaps an input. Nothing is written when an exception is thrown.</exception>
    /// <remarks>Special values as the reduced overload; an ignored position gets exactly 0 whatever its logits.</remarks>
    public static void CrossEntropyPerElement<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        Span<T> destination,
        int classes,
        ReadOnlySpan<T> weight = default,
        int ignoreIndex = DefaultIgnoreIndex,
        double labelSmoothing = 0.0,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateIndexLoss(input, target, classes, inner, weight, labelSmoothing);
        ValidateLossDestination(destination, target.Length, input, weight);
        ValidateTargets(target, classes, ignoreIndex, weight);
        IndexLoss(input, target, layout, weight, ignoreIndex, labelSmoothing, fromLogits: true, Reduction.None, 0.0, destination, default, default);
    }

    private static ClassLayout ValidateIndexLoss<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<int> target, int classes, int inner, ReadOnlySpan<T> weight, double labelSmoothing)
    {
        ClassLayout layout = ClassLayout.Create(input.Length, classes, inner);
        if (target.Length != layout.Positions)
        {
            ThrowHelper.TargetLengthMismatch(target.Length, layout.Positions);
        }

        ValidateWeight(weight, classes);
        ValidateLabelSmoothing(labelSmoothing);
        return layout;
    }

    private static void ValidateLossDestination<T>(Span<T> destination, int required, ReadOnlySpan<T> input, ReadOnlySpan<T> weight)
    {
        ValidateDestination(destination, required, input);
        if (destination[..required].Overlaps(weight))
        {
            ThrowHelper.DestinationOverlaps("weight");
        }
    }

    /// <summary>
    /// The shared core of index-target cross entropy (<paramref name="fromLogits"/>: through the row engine) and NLL
    /// (log-probabilities in), with or without the gradient. With <see cref="Reduction.None"/> it writes one loss per
    /// position into <paramref name="destination"/> and returns 0; otherwise it returns the reduced loss. With a non-empty
    /// <paramref name="gradient"/> it writes d(loss)/d(input) there, scaled per position by <paramref name="gradOutput"/>
    /// (reduction None), 1 (Sum) or 1 / <paramref name="weightSum"/> (Mean). Arguments are already validated; the
    /// gradient may be the input itself, because each row is read before its gradient is written.
    /// </summary>
    private static double IndexLoss<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        ClassLayout layout,
        ReadOnlySpan<T> weight,
        int ignoreIndex,
        double labelSmoothing,
        bool fromLogits,
        Reduction reduction,
        double weightSum,
        Span<T> destination,
        ReadOnlySpan<T> gradOutput,
        Span<T> gradient)
        where T : IFloatingPointIeee754<T>
    {
        if (fromLogits)
        {
            return EngineLoss(TargetKind.Index, input, target, default, layout, weight, ignoreIndex, labelSmoothing, reduction, weightSum, destination, gradOutput, gradient);
        }

        // NLL: ℓ = −w[t]·x[t] on log-probabilities, whose gradient is −s·w[t] at the target and 0 elsewhere.
        int classes = layout.Classes;
        int stride = layout.Inner;
        bool withGradient = !gradient.IsEmpty;
        double reducedScale = reduction == Reduction.Mean ? 1.0 / weightSum : 1.0;
        CompensatedSum nllSum = default;
        for (int p = 0; p < target.Length; p++)
        {
            int t = target[p];
            int start = layout.RowStart(p);
            if (withGradient)
            {
                StridedRow<T>.Clear(gradient, start, stride, classes);
            }

            if (t == ignoreIndex)
            {
                if (reduction == Reduction.None)
                {
                    destination[p] = T.Zero;
                }

                continue;
            }

            double wt = Weight(weight, t);
            double nll = Zero.Term(wt, -double.CreateTruncating(input[start + t * stride]));
            if (withGradient)
            {
                double scale = reduction == Reduction.None ? double.CreateTruncating(gradOutput[p]) : reducedScale;
                gradient[start + t * stride] = T.CreateTruncating(-scale * wt);
            }

            if (reduction == Reduction.None)
            {
                destination[p] = T.CreateTruncating(nll);
            }
            else
            {
                nllSum.Add(nll);
            }
        }

        return reduction switch
        {
            Reduction.None => 0.0,
            Reduction.Mean => nllSum.Value / weightSum,
            _ => nllSum.Value,
        };
    }

}
