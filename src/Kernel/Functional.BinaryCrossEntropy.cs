using System;
using System.Numerics;
using System.Numerics.Tensors;
using Xent.Internal;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Binary cross entropy of logits, reduced to a scalar (PyTorch <c>F.binary_cross_entropy_with_logits</c>):
    /// ℓᵢ = −w[i]·(pw[i]·tᵢ·log σ(xᵢ) + (1 − tᵢ)·log(1 − σ(xᵢ))), computed as
    /// w[i]·(pw[i]·tᵢ·softplus(−xᵢ) + (1 − tᵢ)·softplus(xᵢ)) with softplus(z) = max(z, 0) + log1p(exp(−|z|));
    /// <see cref="Reduction.Mean"/> returns Σ ℓᵢ / n, <see cref="Reduction.Sum"/> Σ ℓᵢ.
    /// </summary>
    /// <param name="input">Logits x, any shape, row-major; n elements (empty allowed).</param>
    /// <param name="target">Targets t, the input's shape, each in [0, 1] (checked: stricter than PyTorch, which accepts any target here; see docs/semantics.md).</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>; for <see cref="Reduction.None"/> call <see cref="BinaryCrossEntropyWithLogitsPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>.</param>
    /// <param name="weight">PyTorch <c>weight</c>: empty (all ones), n values, or the size of the last dimension, broadcast along it (element i uses weight[i mod length]).</param>
    /// <param name="posWeight">PyTorch <c>pos_weight</c>, the weight of positive examples: empty (all ones) or the size of the last dimension, broadcast along it.</param>
    /// <returns>The reduced loss, computed in double and rounded once to <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, 1] or NaN (the first one is named with its index and value).</exception>
    /// <exception cref="ArgumentException"><paramref name="reduction"/> is <see cref="Reduction.None"/> or undefined; <paramref name="target"/> is not the input's length; a weight's length does not divide n.</exception>
    /// <remarks>
    /// Stable for every finite logit (x = ±1e4 gives 1e4, not ∞ or NaN). A zero coefficient (tᵢ = 1 for the negative
    /// term, tᵢ = 0 or pw = 0 for the positive one) contributes 0 even at an infinite logit, where PyTorch gives NaN
    /// (0·∞). NaN propagates. An empty input gives NaN for the mean and 0 for the sum.
    /// </remarks>
    public static T BinaryCrossEntropyWithLogits<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, Reduction reduction = Reduction.Mean, ReadOnlySpan<T> weight = default, ReadOnlySpan<T> posWeight = default)
        where T : IFloatingPointIeee754<T>
    {
        ValidateBinaryWithLogits(input, target, weight, posWeight);
        ValidateScalarReduction(reduction);
        return T.CreateTruncating(Pointwise<T>.Run<BceWithLogitsLoss>(input, target, weight, posWeight, false, Divisor(reduction, input.Length), default, default, default));
    }

    /// <summary>
    /// Binary cross entropy of logits, one loss per element (PyTorch <c>reduction='none'</c>):
    /// destination[i] = w[i]·(pw[i]·tᵢ·softplus(−xᵢ) + (1 − tᵢ)·softplus(xᵢ)).
    /// </summary>
    /// <param name="input">Logits, n elements.</param>
    /// <param name="target">Targets, n elements.</param>
    /// <param name="destination">Receives n losses; must not overlap an input.</param>
    /// <param name="weight">Empty, n values, or the last dimension's size (broadcast).</param>
    /// <param name="posWeight">Empty or the last dimension's size (broadcast).</param>
    /// <exception cref="ArgumentException">As <see cref="BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T})"/>; also <paramref name="destination"/> is too short or overlaps an input.</exception>
    public static void BinaryCrossEntropyWithLogitsPerElement<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, Span<T> destination, ReadOnlySpan<T> weight = default, ReadOnlySpan<T> posWeight = default)
        where T : IFloatingPointIeee754<T>
    {
        ValidateBinaryWithLogits(input, target, weight, posWeight);
        ValidatePointwiseOutputs(true, destination, false, default, default, input, target, weight, posWeight);
        Pointwise<T>.Run<BceWithLogitsLoss>(input, target, weight, posWeight, true, double.NaN, destination, default, default);
    }

    /// <summary>
    /// Binary cross entropy of logits and its gradient: returns the reduced loss of
    /// <see cref="BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T})"/> and writes ∂L/∂xᵢ = w[i]·((1 − tᵢ)·σ(xᵢ) − pw[i]·tᵢ·σ(−xᵢ)),
    /// divided by n for <see cref="Reduction.Mean"/> (without weights, σ(x) − t).
    /// </summary>
    /// <param name="input">Logits, n elements.</param>
    /// <param name="target">Targets, n elements.</param>
    /// <param name="gradient">Receives n values; must not overlap an input.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <param name="weight">Empty, n values, or the last dimension's size (broadcast).</param>
    /// <param name="posWeight">Empty or the last dimension's size (broadcast).</param>
    /// <returns>The reduced loss, bit for bit that of <see cref="BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T})"/>.</returns>
    /// <exception cref="ArgumentException">As <see cref="BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T})"/>; also <paramref name="gradient"/> is too short or overlaps an input.</exception>
    /// <remarks>The gradient is finite for every logit, infinite ones included.</remarks>
    public static T BinaryCrossEntropyWithLogitsWithGradient<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, Span<T> gradient, Reduction reduction = Reduction.Mean, ReadOnlySpan<T> weight = default, ReadOnlySpan<T> posWeight = default)
        where T : IFloatingPointIeee754<T>
    {
        ValidateBinaryWithLogits(input, target, weight, posWeight);
        ValidateScalarReduction(reduction);
        ValidatePointwiseOutputs(false, default, true, gradient, default, input, target, weight, posWeight);
        return T.CreateTruncating(Pointwise<T>.Run<BceWithLogitsLoss>(input, target, weight, posWeight, false, Divisor(reduction, input.Length), default, default, gradient[..input.Length]));
    }

    /// <summary>
    /// Binary cross entropy of logits, one loss per element, and the vector-Jacobian product with an upstream gradient:
    /// gradient[i] = gradOutput[i]·∂ℓᵢ/∂xᵢ.
    /// </summary>
    /// <param name="input">Logits, n elements.</param>
    /// <param name="target">Targets, n elements.</param>
    /// <param name="gradOutput">n upstream gradients.</param>
    /// <param name="destination">Receives n losses.</param>
    /// <param name="gradient">Receives n values.</param>
    /// <param name="weight">Empty, n values, or the last dimension's size (broadcast).</param>
    /// <param name="posWeight">Empty or the last dimension's size (broadcast).</param>
    /// <exception cref="ArgumentException">As <see cref="BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T})"/>; also <paramref name="gradOutput"/> is not of length n, or an output is too short or overlaps another argument.</exception>
    public static void BinaryCrossEntropyWithLogitsPerElementWithGradient<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> gradOutput, Span<T> destination, Span<T> gradient,
        ReadOnlySpan<T> weight = default, ReadOnlySpan<T> posWeight = default)
        where T : IFloatingPointIeee754<T>
    {
        ValidateBinaryWithLogits(input, target, weight, posWeight);
        ValidateGradOutput(gradOutput, input.Length);
        ValidatePointwiseOutputs(true, destination, true, gradient, gradOutput, input, target, weight, posWeight);
        Pointwise<T>.Run<BceWithLogitsLoss>(input, target, weight, posWeight, true, double.NaN, destination, gradOutput, gradient[..input.Length]);
    }

    /// <summary>
    /// Binary cross entropy of probabilities, reduced to a scalar (PyTorch <c>F.binary_cross_entropy</c>):
    /// ℓᵢ = −w[i]·(tᵢ·max(log xᵢ, −100) + (1 − tᵢ)·max(log(1 − xᵢ), −100)); the logarithms are clamped at −100 as
    /// PyTorch clamps them, so x = 0 or 1 gives at most 100·w. Mean divides by n.
    /// </summary>
    /// <param name="input">Probabilities x in [0, 1] (for example σ of logits; prefer <see cref="BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T})"/>, which is more accurate), n elements.</param>
    /// <param name="target">Targets t, n elements.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>; for <see cref="Reduction.None"/> call <see cref="BinaryCrossEntropyPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T})"/>.</param>
    /// <param name="weight">Empty, n values, or the last dimension's size (broadcast).</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target or an input value is outside [0, 1] or NaN (PyTorch refuses them too); targets are checked first.</exception>
    /// <exception cref="ArgumentException"><paramref name="reduction"/> is <see cref="Reduction.None"/> or undefined; <paramref name="target"/> is not the input's length; the weight's length does not divide n.</exception>
    /// <remarks>log(1 − x) is computed as log1p(−x), accurate for small x. An empty input gives NaN for the mean.</remarks>
    public static T BinaryCrossEntropy<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, Reduction reduction = Reduction.Mean, ReadOnlySpan<T> weight = default)
        where T : IFloatingPointIeee754<T>
    {
        ValidateProbabilities(input, target, weight);
        ValidateScalarReduction(reduction);
        return T.CreateTruncating(Pointwise<T>.Run<BceLoss>(input, target, weight, default, false, Divisor(reduction, input.Length), default, default, default));
    }

    /// <summary>Binary cross entropy of probabilities, one loss per element: destination[i] = ℓᵢ as in <see cref="BinaryCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T})"/>.</summary>
    /// <param name="input">Probabilities in [0, 1], n elements.</param>
    /// <param name="target">Targets, n elements.</param>
    /// <param name="destination">Receives n losses; must not overlap an input.</param>
    /// <param name="weight">Empty, n values, or the last dimension's size (broadcast).</param>
    /// <exception cref="ArgumentOutOfRangeException">An input value is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException">As <see cref="BinaryCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T})"/>; also <paramref name="destination"/> is too short or overlaps an input.</exception>
    public static void BinaryCrossEntropyPerElement<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, Span<T> destination, ReadOnlySpan<T> weight = default)
        where T : IFloatingPointIeee754<T>
    {
        ValidateProbabilities(input, target, weight);
        ValidatePointwiseOutputs(true, destination, false, default, default, input, target, weight, default);
        Pointwise<T>.Run<BceLoss>(input, target, weight, default, true, double.NaN, destination, default, default);
    }

    /// <summary>
    /// Binary cross entropy of probabilities and its gradient: the reduced loss of <see cref="BinaryCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T})"/>
    /// and ∂L/∂xᵢ = w[i]·(xᵢ − tᵢ) / max(xᵢ·(1 − xᵢ), 1e-12) (PyTorch's backward, with its ε), divided by n for the mean.
    /// </summary>
    /// <param name="input">Probabilities in [0, 1], n elements.</param>
    /// <param name="target">Targets, n elements.</param>
    /// <param name="gradient">Receives n values; must not overlap an input.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default) or <see cref="Reduction.Sum"/>.</param>
    /// <param name="weight">Empty, n values, or the last dimension's size (broadcast).</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An input value is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException">As <see cref="BinaryCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T})"/>; also <paramref name="gradient"/> is too short or overlaps an input.</exception>
    /// <remarks>At a saturated input (x = 0 or 1 with t on the other side) the gradient is ±1e12 (PyTorch's ε is the float 1e-12).</remarks>
    public static T BinaryCrossEntropyWithGradient<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, Span<T> gradient, Reduction reduction = Reduction.Mean, ReadOnlySpan<T> weight = default)
        where T : IFloatingPointIeee754<T>
    {
        ValidateProbabilities(input, target, weight);
        ValidateScalarReduction(reduction);
        ValidatePointwiseOutputs(false, default, true, gradient, default, input, target, weight, default);
        return T.CreateTruncating(Pointwise<T>.Run<BceLoss>(input, target, weight, default, false, Divisor(reduction, input.Length), default, default, gradient[..input.Length]));
    }

    /// <summary>Binary cross entropy of probabilities, one loss per element, and the vector-Jacobian product gradient[i] = gradOutput[i]·∂ℓᵢ/∂xᵢ.</summary>
    /// <param name="input">Probabilities in [0, 1], n elements.</param>
    /// <param name="target">Targets, n elements.</param>
    /// <param name="gradOutput">n upstream gradients.</param>
    /// <param name="destination">Receives n losses.</param>
    /// <param name="gradient">Receives n values.</param>
    /// <param name="weight">Empty, n values, or the last dimension's size (broadcast).</param>
    /// <exception cref="ArgumentOutOfRangeException">An input value is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException">As <see cref="BinaryCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T})"/>; also <paramref name="gradOutput"/> is not of length n, or an output is too short or overlaps another argument.</exception>
    public static void BinaryCrossEntropyPerElementWithGradient<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> gradOutput, Span<T> destination, Span<T> gradient, ReadOnlySpan<T> weight = default)
        where T : IFloatingPointIeee754<T>
    {
        ValidateProbabilities(input, target, weight);
        ValidateGradOutput(gradOutput, input.Length);
        ValidatePointwiseOutputs(true, destination, true, gradient, gradOutput, input, target, weight, default);
        Pointwise<T>.Run<BceLoss>(input, target, weight, default, true, double.NaN, destination, gradOutput, gradient[..input.Length]);
    }

    private static double Divisor(Reduction reduction, int count) => reduction == Reduction.Mean ? count : 1.0;

    /// <summary>The checks of BCE with logits: <see cref="ValidateBinary{T}"/>, then every target in [0, 1].</summary>
    private static void ValidateBinaryWithLogits<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> weight, ReadOnlySpan<T> posWeight)
        where T : IFloatingPointIeee754<T>
    {
        ValidateBinary(input, target, weight, posWeight);
        ValidateBinaryTargets(target);
    }

    /// <summary>
    /// Every target of a binary cross entropy is a probability: in [0, 1] and not NaN (libtorch refuses others for BCE
    /// with "all elements of target should be between 0 and 1"; Xent refuses them for BCE with logits too, see
    /// docs/semantics.md). The first bad element is named with its index and value.
    /// </summary>
    private static void ValidateBinaryTargets<T>(ReadOnlySpan<T> target)
        where T : IFloatingPointIeee754<T>
    {
        // Min and max propagate NaN, so one vectorized pass of each settles the common case of valid targets.
        if (target.IsEmpty || (TensorPrimitives.Min(target) >= T.Zero && TensorPrimitives.Max(target) <= T.One))
        {
            return;
        }

        for (int i = 0; i < target.Length; i++)
        {
            T t = target[i];
            if (!(t >= T.Zero && t <= T.One))
            {
                throw new ArgumentOutOfRangeException(nameof(target), t,
                    $"target[{i}] is {t}; binary cross entropy needs targets in [0, 1] (probabilities of the positive class; NaN is refused).");
            }
        }
    }

    private static void ValidateBinary<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> weight, ReadOnlySpan<T> posWeight)
    {
        if (target.Length != input.Length)
        {
            throw new ArgumentException(
                $"Target size ({target.Length}) must be the same as input size ({input.Length}).", nameof(target));
        }

        ValidateBroadcast(weight, input.Length, nameof(weight));
        ValidateBroadcast(posWeight, input.Length, nameof(posWeight));
    }

    private static void ValidateBroadcast<T>(ReadOnlySpan<T> values, int count, string paramName)
    {
        if (!values.IsEmpty && count % values.Length != 0)
        {
            throw new ArgumentException(
                $"{paramName} has {values.Length} values, which cannot be broadcast over {count} elements: give one per element or one per position of the last dimension.",
                paramName);
        }
    }

    private static void ValidateProbabilities<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> weight)
        where T : IFloatingPointIeee754<T>
    {
        ValidateBinary(input, target, weight, default);
        ValidateBinaryTargets(target);
        for (int i = 0; i < input.Length; i++)
        {
            T x = input[i];
            if (!(x >= T.Zero && x <= T.One))
            {
                throw new ArgumentOutOfRangeException(nameof(input), x,
                    $"input[{i}] is {x}; binary cross entropy needs probabilities in [0, 1] (for logits use BinaryCrossEntropyWithLogits).");
            }
        }
    }

    /// <summary>Checks the lengths of the outputs a call writes and that no output overlaps an input or the other output.</summary>
    private static void ValidatePointwiseOutputs<T>(
        bool withDestination, Span<T> destination, bool withGradient, Span<T> gradient, ReadOnlySpan<T> gradOutput,
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> weight, ReadOnlySpan<T> posWeight)
    {
        int n = input.Length;
        if (withDestination && destination.Length < n)
        {
            ThrowHelper.DestinationTooShort(destination.Length, n);
        }

        if (withGradient && gradient.Length < n)
        {
            ThrowHelper.GradientTooShort(gradient.Length, n);
        }

        Span<T> d = withDestination ? destination[..n] : default;
        Span<T> g = withGradient ? gradient[..n] : default;
        ValidateOutputOverlap(d, nameof(destination), input, target, weight, posWeight, gradOutput);
        ValidateOutputOverlap(g, nameof(gradient), input, target, weight, posWeight, gradOutput);
        if (d.Overlaps(g))
        {
            ThrowHelper.Overlaps(nameof(gradient), nameof(destination));
        }
    }

    private static void ValidateOutputOverlap<T>(
        Span<T> output, string outputName, ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> weight, ReadOnlySpan<T> posWeight, ReadOnlySpan<T> gradOutput)
    {
        string? other = output.Overlaps(input) ? nameof(input)
            : output.Overlaps(target) ? nameof(target)
            : output.Overlaps(weight) ? nameof(weight)
            : output.Overlaps(posWeight) ? nameof(posWeight)
            : output.Overlaps(gradOutput) ? nameof(gradOutput)
            : null;
        if (other is not null)
        {
            ThrowHelper.Overlaps(outputName, other);
        }
    }
}
