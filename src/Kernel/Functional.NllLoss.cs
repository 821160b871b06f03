using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Negative log-likelihood of class-index targets given log-probabilities, reduced to a scalar (PyTorch
    /// <c>torch.nn.functional.nll_loss(input, target, weight, ignore_index=ignoreIndex, reduction)</c>):
    /// ℓₙ = −w[yₙ]·xₙ[yₙ] for yₙ ≠ ignoreIndex, 0 otherwise; <see cref="Reduction.Sum"/> returns Σ ℓₙ and
    /// <see cref="Reduction.Mean"/> returns Σ ℓₙ / Σ_{n not ignored} w[yₙ], or what <paramref name="emptyMean"/> says
    /// when no position counts.
    /// </summary>
    /// <param name="input">Log-probabilities (for example from <see cref="LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>), (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major. They are not checked to be log-probabilities, as in PyTorch.</param>
    /// <param name="target">One class index per position, each in [0, C) or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>; for <see cref="Reduction.None"/> call <see cref="NllLossPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, ReadOnlySpan{T}, int, int)"/>.</param>
    /// <param name="weight">Per-class weights, C values, or empty for all ones.</param>
    /// <param name="ignoreIndex">Target value whose positions contribute nothing (default -100); it may be a real class.</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <param name="emptyMean">What <see cref="Reduction.Mean"/> returns when no position counts (every target equals <paramref name="ignoreIndex"/>, or the batch is empty): <see cref="EmptyMean.NaN"/> (default, 0/0 as PyTorch) or <see cref="EmptyMean.Zero"/> (as Keras and Liger-Kernel). Weights summing to zero over targets that count still give what the division gives. <see cref="Reduction.Sum"/> is unaffected.</param>
    /// <returns>The reduced loss, computed in double and rounded once to <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1; <paramref name="emptyMean"/> is not a defined value; a target is outside [0, C) and is not <paramref name="ignoreIndex"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="reduction"/> is <see cref="Reduction.None"/>; the input length is not a multiple of C × inner; the target count is not the number of positions; <paramref name="weight"/> is neither empty nor of length C.</exception>
    /// <remarks>
    /// Every target ignored (or an empty batch) with <see cref="Reduction.Mean"/> gives NaN (0/0, as PyTorch) by
    /// default, or 0 with <see cref="EmptyMean.Zero"/>. Weights summing to zero over the non-ignored targets give what
    /// the division gives, whatever <paramref name="emptyMean"/> says. NaN at an ignored position does not reach the
    /// result. A zero weight times a −∞ log-probability contributes 0.
    /// </remarks>
    public static T NllLoss<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        int classes,
        Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> weight = default,
        int ignoreIndex = DefaultIgnoreIndex,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateIndexLoss(input, target, classes, inner, weight, 0.0);
        ValidateScalarReduction(reduction);
        ValidateEmptyMean(emptyMean);
        CountedTargets counted = ValidateTargets(target, classes, ignoreIndex, weight);
        double loss = IndexLoss(input, target, layout, weight, ignoreIndex, 0.0, fromLogits: false, reduction, counted.WeightSum, default, default, default);
        return T.CreateTruncating(EmptyMeanValue(loss, reduction, counted.Count, emptyMean));
    }

    /// <summary>
    /// Negative log-likelihood, one loss per position (PyTorch <c>nll_loss(..., reduction='none')</c>):
    /// destination[n] = −w[yₙ]·xₙ[yₙ], and 0 where yₙ = ignoreIndex.
    /// </summary>
    /// <param name="input">Log-probabilities, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">One class index per position, each in [0, C) or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="destination">Receives one loss per position; at least as long as <paramref name="target"/>; must not overlap <paramref name="input"/> or <paramref name="weight"/>.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="weight">Per-class weights, C values, or empty for all ones.</param>
    /// <param name="ignoreIndex">Target value whose positions get 0 (default -100).</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="NllLoss{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, int, EmptyMean)"/>.</exception>
    /// <exception cref="ArgumentException">As <see cref="NllLoss{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, int, EmptyMean)"/>; also <paramref name="destination"/> is too short or overlaps an input. Nothing is written when an exception is thrown.</exception>
    public static void NllLossPerElement<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        Span<T> destination,
        int classes,
        ReadOnlySpan<T> weight = default,
        int ignoreIndex = DefaultIgnoreIndex,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateIndexLoss(input, target, classes, inner, weight, 0.0);
        ValidateLossDestination(destination, target.Length, input, weight);
        ValidateTargets(target, classes, ignoreIndex, weight);
        IndexLoss(input, target, layout, weight, ignoreIndex, 0.0, fromLogits: false, Reduction.None, 0.0, destination, default, default);
    }

    /// <summary>
    /// Negative log-likelihood and its gradient: returns the reduced loss L of <see cref="NllLoss{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, int, EmptyMean)"/> and writes
    /// gradient = ∂L/∂input, which is −w[yₙ] at (n, yₙ) for each non-ignored position, scaled by 1
    /// (<see cref="Reduction.Sum"/>) or 1 / Σ_{n not ignored} w[yₙ] (<see cref="Reduction.Mean"/>), and 0 elsewhere.
    /// </summary>
    /// <param name="input">Log-probabilities, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">One class index per position.</param>
    /// <param name="gradient">Receives ∂L/∂input in the input's layout; at least as long as <paramref name="input"/>; must not overlap any argument.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <param name="weight">Per-class weights, C values, or empty.</param>
    /// <param name="ignoreIndex">Target value whose positions contribute nothing (default -100).</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <param name="emptyMean">What <see cref="Reduction.Mean"/> returns when no position counts (every target ignored, or an empty batch): <see cref="EmptyMean.NaN"/> (default, as PyTorch) or <see cref="EmptyMean.Zero"/>. The gradient is then exactly 0 either way.</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="NllLoss{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, int, EmptyMean)"/>.</exception>
    /// <exception cref="ArgumentException">As <see cref="NllLoss{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, int, EmptyMean)"/>; also <paramref name="gradient"/> is too short or overlaps an input.</exception>
    /// <remarks>Every target ignored (or an empty batch) with <see cref="Reduction.Mean"/> gives a NaN loss by default, or 0 with <see cref="EmptyMean.Zero"/>, and a gradient of 0 everywhere. Weights summing to zero over the non-ignored targets with <see cref="Reduction.Mean"/> give a NaN loss and NaN at each non-ignored target (0/0), as PyTorch, whatever <paramref name="emptyMean"/> says.</remarks>
    public static T NllLossWithGradient<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        Span<T> gradient,
        int classes,
        Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> weight = default,
        int ignoreIndex = DefaultIgnoreIndex,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateIndexLoss(input, target, classes, inner, weight, 0.0);
        ValidateScalarReduction(reduction);
        ValidateEmptyMean(emptyMean);
        Span<T> g = ValidateGradient(gradient, input, inPlace: false, weight, default, "", default);
        CountedTargets counted = ValidateTargets(target, classes, ignoreIndex, weight);
        double loss = IndexLoss(input, target, layout, weight, ignoreIndex, 0.0, fromLogits: false, reduction, counted.WeightSum, default, default, g);
        return T.CreateTruncating(EmptyMeanValue(loss, reduction, counted.Count, emptyMean));
    }

    /// <summary>
    /// Negative log-likelihood, one loss per position, and the vector-Jacobian product with an upstream gradient:
    /// destination[n] = −w[yₙ]·xₙ[yₙ] and gradient[n, yₙ] = −gradOutput[n]·w[yₙ], 0 elsewhere and at ignored positions.
    /// </summary>
    /// <param name="input">Log-probabilities, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">One class index per position.</param>
    /// <param name="gradOutput">One upstream gradient per position.</param>
    /// <param name="destination">Receives one loss per position.</param>
    /// <param name="gradient">Receives the gradient in the input's layout.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="weight">Per-class weights, C values, or empty.</param>
    /// <param name="ignoreIndex">Target value whose positions get loss and gradient 0 (default -100).</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="NllLoss{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, int, EmptyMean)"/>.</exception>
    /// <exception cref="ArgumentException">As <see cref="NllLoss{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, int, EmptyMean)"/>; also <paramref name="gradOutput"/> does not hold one value per position, or an output is too short or overlaps another argument.</exception>
    public static void NllLossPerElementWithGradient<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        ReadOnlySpan<T> gradOutput,
        Span<T> destination,
        Span<T> gradient,
        int classes,
        ReadOnlySpan<T> weight = default,
        int ignoreIndex = DefaultIgnoreIndex,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateIndexLoss(input, target, classes, inner, weight, 0.0);
        ValidateGradOutput(gradOutput, layout.Positions);
        ValidateLossDestination(destination, layout.Positions, input, weight);
        if (destination[..layout.Positions].Overlaps(gradOutput))
        {
            ThrowHelper.Overlaps(nameof(destination), nameof(gradOutput));
        }

        Span<T> g = ValidateGradient(gradient, input, inPlace: false, weight, gradOutput, nameof(gradOutput), destination[..layout.Positions]);
        ValidateTargets(target, classes, ignoreIndex, weight);
        IndexLoss(input, target, layout, weight, ignoreIndex, 0.0, fromLogits: false, Reduction.None, 0.0, destination, gradOutput, g);
    }
}
