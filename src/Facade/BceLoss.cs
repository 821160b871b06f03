using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// Binary cross entropy of probabilities, PyTorch's <c>torch.nn.BCELoss</c>: ℓᵢ = −w[i]·(tᵢ·max(log xᵢ, −100) +
/// (1 − tᵢ)·max(log(1 − xᵢ), −100)), reduced as <see cref="Reduction"/> says (the mean divides by the number of
/// elements). Prefer <see cref="BceWithLogitsLoss"/> on logits, which is more accurate. An immutable record; values are
/// computed by <see cref="Functional.BinaryCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, Span{T}, Span{T}, ReadOnlySpan{T})"/>.
/// </summary>
/// <remarks>Input values must lie in [0, 1] (an <see cref="ArgumentOutOfRangeException"/> otherwise, as PyTorch refuses them).</remarks>
public sealed record BceLoss : ElementwiseLoss
{
    private readonly Reduction _reduction;
    private readonly ClassWeights? _weight;

    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="weight">PyTorch <c>weight</c>: one weight per element, or one per position of the last dimension (broadcast); null (default) for none.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> is empty.</exception>
    public BceLoss(Reduction reduction = Reduction.Mean, IReadOnlyList<double>? weight = null)
    {
        Reduction = reduction;
        Weight = weight;
    }

    /// <summary>How the element losses are combined (PyTorch <c>reduction</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public Reduction Reduction { get => _reduction; init => _reduction = OptionChecks.Reduction(value); }

    /// <summary>The element weights (PyTorch <c>weight</c>), copied when set; null for none.</summary>
    /// <exception cref="ArgumentException">Set to an empty list.</exception>
    public IReadOnlyList<double>? Weight { get => _weight?.Values; init => _weight = ClassWeights.Create(value); }

    private protected override bool Reduces => Reduction != Reduction.None;

    private protected override T Reduced<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, Span<T> gradient)
    {
        ReadOnlySpan<T> w = Weights<T>(shape);
        return gradient.IsEmpty
            ? Functional.BinaryCrossEntropy(input, target, Reduction, w)
            : Functional.BinaryCrossEntropy(input, target, Reduction, w, gradient);
    }

    private protected override void PerElement<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, ReadOnlySpan<T> gradOutput, Span<T> destination, Span<T> gradient)
    {
        ReadOnlySpan<T> w = Weights<T>(shape);
        if (gradient.IsEmpty)
        {
            Functional.BinaryCrossEntropy(input, target, Reduction.None, w, losses: destination);
        }
        else
        {
            Functional.BinaryCrossEntropy(input, target, Reduction.None, w, gradient, destination, gradOutput);
        }
    }

    private ReadOnlySpan<T> Weights<T>(ReadOnlySpan<nint> shape)
        where T : IFloatingPointIeee754<T>
    {
        ElementwiseEvaluation.CheckBroadcast(_weight, shape, "weight");
        return _weight is null ? default : _weight.As<T>();
    }

    /// <summary>Whether <paramref name="other"/> has the same options (weights compared value by value).</summary>
    /// <param name="other">Another loss, or null.</param>
    /// <returns>True when every option is equal.</returns>
    public bool Equals(BceLoss? other) =>
        other is not null && Reduction == other.Reduction && ClassWeights.AreEqual(_weight, other._weight);

    /// <summary>A hash of the options, consistent with <see cref="Equals(BceLoss)"/>.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => HashCode.Combine(Reduction, ClassWeights.HashOf(_weight));

    /// <summary>The options: <c>BceLoss(reduction: Mean, weight: none)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"BceLoss(reduction: {Reduction}, weight: {_weight?.ToString() ?? "none"})";
}
