using System;
using System.Numerics;
using Xent.Internal;
using Xent.Internal.Rows;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Cross entropy between logits and probability targets (soft labels, or one-hot), reduced to a scalar (PyTorch
    /// <c>torch.nn.functional.cross_entropy</c> with a floating-point target of the input's shape). For position n with
    /// target row pₙ and ε = <paramref name="labelSmoothing"/>: ℓₙ = −Σ_c w[c]·p′ₙ[c]·log softmax(xₙ)[c] with
    /// p′ = (1 − ε)·p + ε / C. <see cref="Reduction.Sum"/> returns Σ ℓₙ; <see cref="Reduction.Mean"/> returns Σ ℓₙ / N,
    /// N the number of positions (not the sum of weights, unlike index targets: PyTorch's rule), or what
    /// <paramref name="emptyMean"/> says for an empty batch.
    /// </summary>
    /// <param name="input">Logits, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major. Empty is allowed.</param>
    /// <param name="target">Target probabilities, the input's shape. Rows need not sum to one and values are not checked, as in PyTorch.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>; for <see cref="Reduction.None"/> call <see cref="CrossEntropyPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, ReadOnlySpan{T}, double, int)"/>.</param>
    /// <param name="weight">Per-class weights, C values, or empty for all ones.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <param name="emptyMean">What <see cref="Reduction.Mean"/> returns when no position counts, which for probability targets means an empty batch: <see cref="EmptyMean.NaN"/> (default, 0/0 as PyTorch) or <see cref="EmptyMean.Zero"/> (as Keras and Liger-Kernel). <see cref="Reduction.Sum"/> is unaffected.</param>
    /// <returns>The reduced loss, computed in double and rounded once to <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1; <paramref name="labelSmoothing"/> is outside [0, 1] or NaN; <paramref name="emptyMean"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="reduction"/> is <see cref="Reduction.None"/>; the input length is not a multiple of C × inner; <paramref name="target"/> is not the input's length; <paramref name="weight"/> is neither empty nor of length C.</exception>
    /// <remarks>
    /// <para>Stable: each log-probability is (x[c] − m) − log Σ exp(x − m) with m the row maximum.</para>
    /// <para>Special values: NaN or +∞ in a row gives NaN, as PyTorch. A class whose coefficient w[c]·p′[c] is zero
    /// contributes exactly 0, even where its logit is −∞ (0·log 0 = 0); PyTorch gives NaN there (0·∞). An empty batch
    /// gives NaN for the mean (0/0, as PyTorch) by default, or 0 with <see cref="EmptyMean.Zero"/>, and 0 for the sum.</para>
    /// </remarks>
    public static T CrossEntropy<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        int classes,
        Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> weight = default,
        double labelSmoothing = 0.0,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateProbabilityLoss(input, target, classes, inner, weight, labelSmoothing);
        ValidateScalarReduction(reduction);
        ValidateEmptyMean(emptyMean);
        double loss = ProbabilityLoss(input, target, layout, weight, labelSmoothing, reduction, default, default, default);
        return T.CreateTruncating(EmptyMeanValue(loss, reduction, layout.Positions, emptyMean));
    }

    /// <summary>
    /// Cross entropy between logits and probability targets, one loss per position (PyTorch
    /// <c>cross_entropy(..., reduction='none')</c> with probability targets):
    /// destination[n] = −Σ_c w[c]·p′ₙ[c]·log softmax(xₙ)[c], p′ = (1 − ε)·p + ε / C.
    /// </summary>
    /// <param name="input">Logits, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">Target probabilities, the input's shape.</param>
    /// <param name="destination">Receives one loss per position (outer × inner values); must not overlap <paramref name="input"/>, <paramref name="target"/> or <paramref name="weight"/>.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="weight">Per-class weights, C values, or empty for all ones.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <exception cref="ArgumentOutOfRangeException">As the reduced overload.</exception>
    /// <exception cref="ArgumentException">As the reduced overload; also <paramref name="destination"/> is too short or overlaps an input.</exception>
    /// <remarks>Special values as the reduced overload.</remarks>
    public static void CrossEntropyPerElement<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        Span<T> destination,
        int classes,
        ReadOnlySpan<T> weight = default,
        double labelSmoothing = 0.0,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateProbabilityLoss(input, target, classes, inner, weight, labelSmoothing);
        ValidateLossDestination(destination, layout.Positions, input, weight);
        if (destination[..layout.Positions].Overlaps(target))
        {
            ThrowHelper.DestinationOverlaps("target");
        }

        ProbabilityLoss(input, target, layout, weight, labelSmoothing, Reduction.None, destination, default, default);
    }

    private static ClassLayout ValidateProbabilityLoss<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, int classes, int inner, ReadOnlySpan<T> weight, double labelSmoothing)
    {
        ClassLayout layout = ClassLayout.Create(input.Length, classes, inner);
        if (target.Length != input.Length)
        {
            ThrowHelper.ProbabilityTargetShapeMismatch(target.Length, input.Length, layout.Positions);
        }

        ValidateWeight(weight, classes);
        ValidateLabelSmoothing(labelSmoothing);
        return layout;
    }

    /// <summary>
    /// The core of probability-target cross entropy, with or without the gradient (see <c>IndexLoss</c> for the
    /// contract): per row, loss = K·log S − Σ a[c]·(x[c] − m) with a[c] = w[c]·p′[c] and K = Σ a[c], and gradient
    /// d/dx[j] = scale·(softmax[j]·K − a[j]).
    /// </summary>
    private static double ProbabilityLoss<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        ClassLayout layout,
        ReadOnlySpan<T> weight,
        double labelSmoothing,
        Reduction reduction,
        Span<T> destination,
        ReadOnlySpan<T> gradOutput,
        Span<T> gradient)
        where T : IFloatingPointIeee754<T>
    {
        return EngineLoss(TargetKind.Probabilities, input, default, target, layout, weight, 0, labelSmoothing, reduction, layout.Positions, destination, gradOutput, gradient);
    }
}
