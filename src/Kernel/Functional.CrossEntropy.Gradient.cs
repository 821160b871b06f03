using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Cross entropy with class-index targets and its gradient in one pass: returns the reduced loss L of
    /// <see cref="CrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/>
    /// and writes gradient = ∂L/∂input. For a non-ignored position n with p = softmax(xₙ):
    /// ∂ℓₙ/∂xₙ[j] = p[j]·((1 − ε)·w[yₙ] + (ε / C)·Σ_c w[c]) − (1 − ε)·w[yₙ]·[j = yₙ] − (ε / C)·w[j],
    /// scaled by 1 for <see cref="Reduction.Sum"/> and by 1 / Σ_{n not ignored} w[yₙ] for <see cref="Reduction.Mean"/>;
    /// without smoothing or weights this is the familiar (softmax(xₙ) − onehot(yₙ)) / N.
    /// </summary>
    /// <param name="input">Logits, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">One class index per position, each in [0, C) or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="gradient">Receives ∂L/∂input in the input's layout; at least as long as <paramref name="input"/>; must not overlap any argument (use <see cref="CrossEntropyWithGradientInPlace{T}(Span{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/> to overwrite the logits).</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>; for <see cref="Reduction.None"/> call <see cref="CrossEntropyPerElementWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, Span{T}, Span{T}, int, ReadOnlySpan{T}, int, double, int)"/>.</param>
    /// <param name="weight">Per-class weights, C values, or empty for all ones.</param>
    /// <param name="ignoreIndex">Target value whose positions contribute nothing (default -100).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <param name="emptyMean">What <see cref="Reduction.Mean"/> returns when no position counts (every target equals <paramref name="ignoreIndex"/>, or the batch is empty): <see cref="EmptyMean.NaN"/> (default, 0/0 as PyTorch) or <see cref="EmptyMean.Zero"/> (as Keras and Liger-Kernel). The gradient is then exactly 0 either way. Weights summing to zero over targets that count still give what the division gives.</param>
    /// <returns>The reduced loss, bit for bit the value the loss-only overload returns.</returns>
    /// <exception cref="ArgumentOutOfRangeException">As the loss-only overload.</exception>
    /// <exception cref="ArgumentException">As the loss-only overload; also <paramref name="gradient"/> is too short or overlaps an input. Nothing is written when an exception is thrown.</exception>
    /// <remarks>
    /// One exponential per element: the exponentials of the loss pass are stored in <paramref name="gradient"/> and
    /// rescaled there; no other memory proportional to the input is used. An ignored position's gradient is exactly
    /// 0, even when its logits are NaN or infinite (PyTorch lets them through), so when every target is ignored the
    /// whole gradient is 0 and the loss is NaN or 0 as <paramref name="emptyMean"/> says. A row holding NaN or +∞ gets
    /// NaN; weights summing to zero over the non-ignored targets with <see cref="Reduction.Mean"/> give NaN (0/0), as
    /// PyTorch, whatever <paramref name="emptyMean"/> says.
    /// </remarks>
    public static T CrossEntropyWithGradient<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        Span<T> gradient,
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
        Span<T> g = ValidateGradient(gradient, input, inPlace: false, weight, default, "", default);
        CountedTargets counted = ValidateTargets(target, classes, ignoreIndex, weight);
        double loss = IndexLoss(input, target, layout, weight, ignoreIndex, labelSmoothing, fromLogits: true, reduction, counted.WeightSum, default, default, g);
        return T.CreateTruncating(EmptyMeanValue(loss, reduction, counted.Count, emptyMean));
    }

    /// <summary>
    /// In place: computes the loss and gradient of
    /// <see cref="CrossEntropyWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/>
    /// and writes the gradient over <paramref name="logits"/>, for callers who no longer need the logits and want no
    /// second buffer. The gradient is bit for bit the out-of-place one.
    /// </summary>
    /// <param name="logits">The logits on entry, ∂L/∂logits on return, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">One class index per position.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <param name="weight">Per-class weights, C values, or empty; must not overlap <paramref name="logits"/>.</param>
    /// <param name="ignoreIndex">Target value whose positions contribute nothing (default -100).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <param name="emptyMean">What <see cref="Reduction.Mean"/> returns when no position counts (every target ignored, or an empty batch): <see cref="EmptyMean.NaN"/> (default, as PyTorch) or <see cref="EmptyMean.Zero"/>; the logits are then overwritten with zeros either way.</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">As the out-of-place overload.</exception>
    /// <exception cref="ArgumentException">As the out-of-place overload. The logits are untouched when an exception is thrown.</exception>
    public static T CrossEntropyWithGradientInPlace<T>(
        Span<T> logits,
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
        ClassLayout layout = ValidateIndexLoss<T>(logits, target, classes, inner, weight, labelSmoothing);
        ValidateScalarReduction(reduction);
        ValidateEmptyMean(emptyMean);
        ValidateGradient(logits, logits, inPlace: true, weight, default, "", default);
        CountedTargets counted = ValidateTargets(target, classes, ignoreIndex, weight);
        double loss = IndexLoss(logits, target, layout, weight, ignoreIndex, labelSmoothing, fromLogits: true, reduction, counted.WeightSum, default, default, logits);
        return T.CreateTruncating(EmptyMeanValue(loss, reduction, counted.Count, emptyMean));
    }

    /// <summary>
    /// Cross entropy with class-index targets, one loss per position, and the vector-Jacobian product with an upstream
    /// gradient: destination[n] = ℓₙ as in <see cref="CrossEntropyPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, ReadOnlySpan{T}, int, double, int)"/>,
    /// and gradient[n, j] = gradOutput[n]·∂ℓₙ/∂xₙ[j] (PyTorch's backward of <c>reduction='none'</c>).
    /// </summary>
    /// <param name="input">Logits, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">One class index per position.</param>
    /// <param name="gradOutput">One upstream gradient per position (∂(anything)/∂ℓₙ).</param>
    /// <param name="destination">Receives one loss per position.</param>
    /// <param name="gradient">Receives the gradient in the input's layout.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="weight">Per-class weights, C values, or empty.</param>
    /// <param name="ignoreIndex">Target value whose positions get loss and gradient 0 (default -100).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="CrossEntropyPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, ReadOnlySpan{T}, int, double, int)"/>.</exception>
    /// <exception cref="ArgumentException">As that method; also <paramref name="gradOutput"/> does not hold one value per position, or an output is too short or overlaps another argument.</exception>
    public static void CrossEntropyPerElementWithGradient<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        ReadOnlySpan<T> gradOutput,
        Span<T> destination,
        Span<T> gradient,
        int classes,
        ReadOnlySpan<T> weight = default,
        int ignoreIndex = DefaultIgnoreIndex,
        double labelSmoothing = 0.0,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateIndexLoss(input, target, classes, inner, weight, labelSmoothing);
        ValidateGradOutput(gradOutput, layout.Positions);
        ValidateLossDestination(destination, layout.Positions, input, weight);
        Span<T> g = ValidateGradient(gradient, input, inPlace: false, weight, gradOutput, nameof(gradOutput), destination[..layout.Positions]);
        if (destination[..layout.Positions].Overlaps(gradOutput))
        {
            ThrowHelper.Overlaps(nameof(destination), nameof(gradOutput));
        }

        ValidateTargets(target, classes, ignoreIndex, weight);
        IndexLoss(input, target, layout, weight, ignoreIndex, labelSmoothing, fromLogits: true, Reduction.None, 0.0, destination, gradOutput, g);
    }

    /// <summary>
    /// Cross entropy with probability targets and its gradient in one pass: returns the reduced loss L of
    /// <see cref="CrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Reduction, ReadOnlySpan{T}, double, int, EmptyMean)"/> and
    /// writes gradient = ∂L/∂input: with a[c] = w[c]·p′ₙ[c] and p = softmax(xₙ),
    /// ∂ℓₙ/∂xₙ[j] = p[j]·Σ_c a[c] − a[j], scaled by 1 (<see cref="Reduction.Sum"/>) or 1 / N (<see cref="Reduction.Mean"/>).
    /// </summary>
    /// <param name="input">Logits, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">Target probabilities, the input's shape.</param>
    /// <param name="gradient">Receives ∂L/∂input; at least as long as <paramref name="input"/>; must not overlap any argument.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <param name="weight">Per-class weights, C values, or empty.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <param name="emptyMean">What <see cref="Reduction.Mean"/> returns for an empty batch (no position counts): <see cref="EmptyMean.NaN"/> (default, 0/0 as PyTorch) or <see cref="EmptyMean.Zero"/>; there is no gradient to write then.</param>
    /// <returns>The reduced loss, bit for bit the value the loss-only overload returns.</returns>
    /// <exception cref="ArgumentOutOfRangeException">As the loss-only overload.</exception>
    /// <exception cref="ArgumentException">As the loss-only overload; also <paramref name="gradient"/> is too short or overlaps an input.</exception>
    /// <remarks>For normalized targets without weights each row's gradient sums to zero. One exponential per element.</remarks>
    public static T CrossEntropyWithGradient<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        Span<T> gradient,
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
        Span<T> g = ValidateGradient(gradient, input, inPlace: false, weight, target, nameof(target), default);
        double loss = ProbabilityLoss(input, target, layout, weight, labelSmoothing, reduction, default, default, g);
        return T.CreateTruncating(EmptyMeanValue(loss, reduction, layout.Positions, emptyMean));
    }

    /// <summary>
    /// In place: the loss and gradient of
    /// <see cref="CrossEntropyWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, Reduction, ReadOnlySpan{T}, double, int, EmptyMean)"/>,
    /// with the gradient written over <paramref name="logits"/> (bit for bit the out-of-place gradient).
    /// </summary>
    /// <param name="logits">The logits on entry, ∂L/∂logits on return.</param>
    /// <param name="target">Target probabilities, the logits' shape; must not overlap <paramref name="logits"/>.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <param name="weight">Per-class weights, C values, or empty.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <param name="emptyMean">What <see cref="Reduction.Mean"/> returns for an empty batch: <see cref="EmptyMean.NaN"/> (default, as PyTorch) or <see cref="EmptyMean.Zero"/>.</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">As the out-of-place overload.</exception>
    /// <exception cref="ArgumentException">As the out-of-place overload. The logits are untouched when an exception is thrown.</exception>
    public static T CrossEntropyWithGradientInPlace<T>(
        Span<T> logits,
        ReadOnlySpan<T> target,
        int classes,
        Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> weight = default,
        double labelSmoothing = 0.0,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateProbabilityLoss<T>(logits, target, classes, inner, weight, labelSmoothing);
        ValidateScalarReduction(reduction);
        ValidateEmptyMean(emptyMean);
        ValidateGradient(logits, logits, inPlace: true, weight, target, nameof(target), default);
        double loss = ProbabilityLoss(logits, target, layout, weight, labelSmoothing, reduction, default, default, logits);
        return T.CreateTruncating(EmptyMeanValue(loss, reduction, layout.Positions, emptyMean));
    }

    /// <summary>
    /// Cross entropy with probability targets, one loss per position, and the vector-Jacobian product with an upstream
    /// gradient: destination[n] = ℓₙ and gradient[n, j] = gradOutput[n]·(softmax(xₙ)[j]·Σ_c a[c] − a[j]).
    /// </summary>
    /// <param name="input">Logits, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="target">Target probabilities, the input's shape.</param>
    /// <param name="gradOutput">One upstream gradient per position.</param>
    /// <param name="destination">Receives one loss per position.</param>
    /// <param name="gradient">Receives the gradient in the input's layout.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="weight">Per-class weights, C values, or empty.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="inner">Product of the dimensions after the class dimension; 1 for (N, C).</param>
    /// <exception cref="ArgumentOutOfRangeException">As the loss-only overload.</exception>
    /// <exception cref="ArgumentException">As the loss-only overload; also <paramref name="gradOutput"/> does not hold one value per position, or an output is too short or overlaps another argument.</exception>
    public static void CrossEntropyPerElementWithGradient<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        ReadOnlySpan<T> gradOutput,
        Span<T> destination,
        Span<T> gradient,
        int classes,
        ReadOnlySpan<T> weight = default,
        double labelSmoothing = 0.0,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateProbabilityLoss(input, target, classes, inner, weight, labelSmoothing);
        ValidateGradOutput(gradOutput, layout.Positions);
        ValidateLossDestination(destination, layout.Positions, input, weight);
        Span<T> outputs = destination[..layout.Positions];
        if (outputs.Overlaps(target) || outputs.Overlaps(gradOutput))
        {
            ThrowHelper.Overlaps(nameof(destination), outputs.Overlaps(target) ? nameof(target) : nameof(gradOutput));
        }

        Span<T> g = ValidateGradient(gradient, input, inPlace: false, weight, target, nameof(target), outputs);
        if (g.Overlaps(gradOutput))
        {
            ThrowHelper.Overlaps(nameof(gradient), nameof(gradOutput));
        }

        ProbabilityLoss(input, target, layout, weight, labelSmoothing, Reduction.None, destination, gradOutput, g);
    }

    private static void ValidateGradOutput<T>(ReadOnlySpan<T> gradOutput, int positions)
    {
        if (gradOutput.Length != positions)
        {
            ThrowHelper.GradOutputLengthMismatch(gradOutput.Length, positions);
        }
    }

    /// <summary>
    /// Checks the gradient's length and that it overlaps no input (the in-place variants pass the logits as both) and
    /// returns the part that is written.
    /// </summary>
    private static Span<T> ValidateGradient<T>(
        Span<T> gradient, ReadOnlySpan<T> input, bool inPlace, ReadOnlySpan<T> weight, ReadOnlySpan<T> other, string otherName, ReadOnlySpan<T> destination)
    {
        if (gradient.Length < input.Length)
        {
            ThrowHelper.GradientTooShort(gradient.Length, input.Length);
        }

        Span<T> g = gradient[..input.Length];
        if (!inPlace && g.Overlaps(input))
        {
            ThrowHelper.Overlaps(nameof(gradient), nameof(input));
        }

        if (g.Overlaps(weight))
        {
            ThrowHelper.Overlaps(inPlace ? "logits" : nameof(gradient), nameof(weight));
        }

        if (g.Overlaps(other))
        {
            ThrowHelper.Overlaps(inPlace ? "logits" : nameof(gradient), otherName);
        }

        if (g.Overlaps(destination))
        {
            ThrowHelper.Overlaps(nameof(gradient), nameof(destination));
        }

        return g;
    }
}
