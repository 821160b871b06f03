using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xent.Internal;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Binary cross entropy of logits (PyTorch <c>F.binary_cross_entropy_with_logits(input, target, weight,
    /// pos_weight=posWeight, reduction)</c>): ℓᵢ = −w[i]·(pw[i]·tᵢ·log σ(xᵢ) + (1 − tᵢ)·log(1 − σ(xᵢ))), computed as
    /// w[i]·(pw[i]·tᵢ·softplus(−xᵢ) + (1 − tᵢ)·softplus(xᵢ)) with softplus(z) = max(z, 0) + log1p(exp(−|z|)), and what
    /// else the caller asks for from the same pass: the gradient ∂L/∂xᵢ = s·w[i]·((1 − tᵢ)·σ(xᵢ) − pw[i]·tᵢ·σ(−xᵢ)) and
    /// the per-element losses.
    /// </summary>
    /// <typeparam name="T">float, double or Half; computed in double.</typeparam>
    /// <param name="input">Logits x, any shape, row-major; n elements (empty allowed).</param>
    /// <param name="target">Targets t, the input's shape, each in [0, 1] (checked: stricter than PyTorch, which accepts any target here; see docs/semantics.md).</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default, Σ ℓᵢ / n), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/> (the per-element losses into <paramref name="losses"/>; the return value is then Σ ℓᵢ).</param>
    /// <param name="weight">PyTorch <c>weight</c>: empty (all ones), n values, or the size of the last dimension, broadcast along it (element i uses weight[i mod length]).</param>
    /// <param name="posWeight">PyTorch <c>pos_weight</c>, the weight of positive examples: empty (all ones) or the size of the last dimension, broadcast along it.</param>
    /// <param name="gradient">Empty, or at least n values: receives ∂L/∂x, with s = 1 / n (Mean), 1 (Sum) or the element's upstream gradient (None), times <paramref name="gradOutput"/> for Mean and Sum. It may be the input itself (the gradient then overwrites it), but must not overlap it otherwise.</param>
    /// <param name="losses">Empty, or at least n values: receives each ℓᵢ, whatever the reduction.</param>
    /// <param name="gradOutput">The upstream gradient, only with a gradient: empty (1) or one value for Mean and Sum; empty (all ones) or n values for None.</param>
    /// <returns>The loss as the reduction says (Σ ℓᵢ for None), computed in double and rounded once to <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, 1] or NaN (the first one is named with its index and value); <paramref name="reduction"/> is BatchMean or undefined.</exception>
    /// <exception cref="ArgumentException"><paramref name="target"/> is not the input's length; a weight's length does not divide n; an output is too short or overlaps an input or the other output; <paramref name="gradOutput"/> is given without a gradient or has the wrong length. Nothing is written when an exception is thrown.</exception>
    /// <remarks>
    /// Stable for every finite logit (x = ±1e4 gives 1e4, not ∞ or NaN); the gradient is finite for every logit. A zero
    /// coefficient (tᵢ = 1 for the negative term, tᵢ = 0 or pw = 0 for the positive one) contributes 0 even at an infinite
    /// logit, where PyTorch gives NaN (0·∞). NaN in a logit propagates. An empty input gives NaN for the mean and 0 for
    /// the sum. Runs on up to <see cref="MaxDegreeOfParallelism"/> threads, the same bits at any count; allocates nothing.
    /// </remarks>
    public static T BinaryCrossEntropyWithLogits<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> weight = default,
        ReadOnlySpan<T> posWeight = default,
        Span<T> gradient = default,
        Span<T> losses = default,
        ReadOnlySpan<T> gradOutput = default)
        where T : IFloatingPointIeee754<T>
    {
        ValidateBinaryWithLogits(input, target, weight, posWeight);
        OptionRules.Reduction(reduction, nameof(reduction));
        var outputs = new ElementwiseOutputs<T>(input, target, weight, posWeight, reduction, gradient, losses, gradOutput);
        return T.CreateTruncating(outputs.Run<BceWithLogitsLoss>(input, target, weight, posWeight, Divisor(reduction, input.Length)));
    }

    /// <summary>
    /// Binary cross entropy of probabilities (PyTorch <c>F.binary_cross_entropy(input, target, weight, reduction)</c>):
    /// ℓᵢ = −w[i]·(tᵢ·max(log xᵢ, −100) + (1 − tᵢ)·max(log(1 − xᵢ), −100)), the logarithms clamped at −100 as PyTorch
    /// clamps them, so x = 0 or 1 gives at most 100·w; with the gradient ∂L/∂xᵢ = s·w[i]·(xᵢ − tᵢ) / max(xᵢ·(1 − xᵢ), ε)
    /// (ε = PyTorch's 1e-12) and the per-element losses from the same pass.
    /// </summary>
    /// <typeparam name="T">float, double or Half; computed in double.</typeparam>
    /// <param name="input">Probabilities x in [0, 1] (for example σ of logits; prefer <see cref="BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, ReadOnlySpan{T})"/>, which is more accurate), n elements.</param>
    /// <param name="target">Targets t, n elements, each in [0, 1].</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>, as for BCE with logits.</param>
    /// <param name="weight">Empty, n values, or the last dimension's size (broadcast).</param>
    /// <param name="gradient">Empty, or at least n values: receives ∂L/∂x; it may be the input itself.</param>
    /// <param name="losses">Empty, or at least n values: receives each ℓᵢ.</param>
    /// <param name="gradOutput">The upstream gradient, as for BCE with logits.</param>
    /// <returns>The loss as the reduction says (Σ ℓᵢ for None).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target or an input value is outside [0, 1] or NaN (PyTorch refuses them too; targets are checked first); <paramref name="reduction"/> is BatchMean or undefined.</exception>
    /// <exception cref="ArgumentException">As for BCE with logits.</exception>
    /// <remarks>log(1 − x) is computed as log1p(−x), accurate for small x. An empty input gives NaN for the mean.</remarks>
    public static T BinaryCrossEntropy<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        Reduction reduction = Reduction.Mean,
        ReadOnlySpan<T> weight = default,
        Span<T> gradient = default,
        Span<T> losses = default,
        ReadOnlySpan<T> gradOutput = default)
        where T : IFloatingPointIeee754<T>
    {
        ValidateProbabilities(input, target, weight);
        OptionRules.Reduction(reduction, nameof(reduction));
        var outputs = new ElementwiseOutputs<T>(input, target, weight, default, reduction, gradient, losses, gradOutput);
        return T.CreateTruncating(outputs.Run<BceLoss>(input, target, weight, default, Divisor(reduction, input.Length)));
    }

    /// <summary>
    /// The outputs of an element-wise loss call (BCE with logits, BCE, KL divergence), checked once: the gradient and the
    /// per-element losses (each empty or at least n long, overlapping no input and not each other) and the upstream
    /// gradient (only with a gradient; n values or none for None, one or none otherwise).
    /// </summary>
    private readonly ref struct ElementwiseOutputs<T>
        where T : IFloatingPointIeee754<T>
    {
        private readonly Span<T> _gradient;
        private readonly Span<T> _losses;
        private readonly ReadOnlySpan<T> _gradOutput;
        private readonly bool _perElementUpstream;
        private readonly double _upstream;

        public ElementwiseOutputs(
            ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> weight, ReadOnlySpan<T> posWeight, Reduction reduction,
            Span<T> gradient, Span<T> losses, ReadOnlySpan<T> gradOutput)
        {
            int n = input.Length;
            bool withGradient = !gradient.IsEmpty;
            UpstreamGradient.CheckLength(gradOutput.Length, withGradient, reduction, n, "element");

            ValidatePointwiseOutputs(!losses.IsEmpty, losses, withGradient, gradient, gradOutput, input, target, weight, posWeight);
            _gradient = withGradient ? gradient[..n] : default;
            _losses = losses.IsEmpty ? default : losses[..n];
            _gradOutput = gradOutput;
            _perElementUpstream = reduction == Reduction.None && !gradOutput.IsEmpty;
            _upstream = UpstreamGradient.Scalar(gradOutput, reduction);
        }

        /// <summary>Runs the loss on the element-wise engine and returns Σ ℓᵢ / <paramref name="divisor"/>.</summary>
        public double Run<TLoss>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> weight, ReadOnlySpan<T> posWeight, double divisor)
            where TLoss : IPointwiseLoss =>
            Pointwise<T>.Run<TLoss>(
                input, target, weight, posWeight, !_losses.IsEmpty || _perElementUpstream, divisor, _losses,
                _perElementUpstream ? _gradOutput : default, _gradient, default, _upstream);
    }

    /// <summary>The divisor of a reduction over n elements: n for Mean, 1 for Sum and None (whose scalar is Σ ℓ).</summary>
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
        bool withLosses, Span<T> losses, bool withGradient, Span<T> gradient, ReadOnlySpan<T> gradOutput,
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> weight, ReadOnlySpan<T> posWeight)
    {
        int n = input.Length;
        if (withLosses && losses.Length < n)
        {
            ThrowHelper.OutputTooShort(nameof(losses), losses.Length, n, "element");
        }

        if (withGradient && gradient.Length < n)
        {
            ThrowHelper.GradientTooShort(gradient.Length, n);
        }

        Span<T> l = withLosses ? losses[..n] : default;
        Span<T> g = withGradient ? gradient[..n] : default;
        ValidateOutputOverlap(l, nameof(losses), input, target, weight, posWeight, gradOutput);

        // The gradient may be the input itself (each block of eight is read before its gradient is written).
        bool inPlace = withGradient && n > 0 && Unsafe.AreSame(ref MemoryMarshal.GetReference(g), ref MemoryMarshal.GetReference(input));
        if (!inPlace)
        {
            ValidateOutputOverlap(g, nameof(gradient), input, target, weight, posWeight, gradOutput);
        }
        else
        {
            ValidateOutputOverlap(g, nameof(gradient), default, target, weight, posWeight, gradOutput);
        }

        if (l.Overlaps(g))
        {
            ThrowHelper.Overlaps(nameof(gradient), nameof(losses));
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
