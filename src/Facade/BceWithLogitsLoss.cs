using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// Binary cross entropy of logits, PyTorch's <c>torch.nn.BCEWithLogitsLoss</c>: ℓᵢ = −w[i]·(pw[i]·tᵢ·log σ(xᵢ) +
/// (1 − tᵢ)·log(1 − σ(xᵢ))), computed stably as w[i]·(pw[i]·tᵢ·softplus(−xᵢ) + (1 − tᵢ)·softplus(xᵢ)), reduced as
/// <see cref="Reduction"/> says (the mean divides by the number of elements). An immutable record; values are computed
/// by <see cref="Functional.BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, ReadOnlySpan{T})"/>.
/// </summary>
/// <remarks>Input and target have the same shape, any rank. Edge cases as the kernel function: stable for every finite logit.</remarks>
public sealed record BceWithLogitsLoss : ElementwiseLoss
{
    private readonly Reduction _reduction;
    private readonly ClassWeights? _weight;
    private readonly ClassWeights? _posWeight;

    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="weight">PyTorch <c>weight</c>: one weight per element, or one per position of the last dimension (broadcast); null (default) for none.</param>
    /// <param name="posWeight">PyTorch <c>pos_weight</c>: the weight of positive examples, one per position of the last dimension (one per class of a multi-label problem); null (default) for none.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> or <paramref name="posWeight"/> is empty.</exception>
    public BceWithLogitsLoss(Reduction reduction = Reduction.Mean, IReadOnlyList<double>? weight = null, IReadOnlyList<double>? posWeight = null)
    {
        Reduction = reduction;
        Weight = weight;
        PosWeight = posWeight;
    }

    /// <summary>How the element losses are combined (PyTorch <c>reduction</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public Reduction Reduction { get => _reduction; init => _reduction = OptionChecks.Reduction(value); }

    /// <summary>The element weights (PyTorch <c>weight</c>), copied when set; null for none.</summary>
    /// <exception cref="ArgumentException">Set to an empty list.</exception>
    public IReadOnlyList<double>? Weight { get => _weight?.Values; init => _weight = ClassWeights.Create(value); }

    /// <summary>The weights of positive examples along the last dimension (PyTorch <c>pos_weight</c>), copied when set; null for none.</summary>
    /// <exception cref="ArgumentException">Set to an empty list.</exception>
    public IReadOnlyList<double>? PosWeight { get => _posWeight?.Values; init => _posWeight = ClassWeights.Create(value, "posWeight"); }

    private protected override bool Reduces => Reduction != Reduction.None;

    private protected override T Reduced<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, Span<T> gradient)
    {
        CheckWeights(shape);
        ReadOnlySpan<T> w = _weight is null ? default : _weight.As<T>();
        ReadOnlySpan<T> pw = _posWeight is null ? default : _posWeight.As<T>();
        return gradient.IsEmpty
            ? Functional.BinaryCrossEntropyWithLogits(input, target, Reduction, w, pw)
            : Functional.BinaryCrossEntropyWithLogits(input, target, Reduction, w, pw, gradient);
    }

    private protected override void PerElement<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, ReadOnlySpan<T> gradOutput, Span<T> destination, Span<T> gradient)
    {
        CheckWeights(shape);
        ReadOnlySpan<T> w = _weight is null ? default : _weight.As<T>();
        ReadOnlySpan<T> pw = _posWeight is null ? default : _posWeight.As<T>();
        if (gradient.IsEmpty)
        {
            Functional.BinaryCrossEntropyWithLogits(input, target, Reduction.None, w, pw, losses: destination);
        }
        else
        {
            Functional.BinaryCrossEntropyWithLogits(input, target, Reduction.None, w, pw, gradient, destination, gradOutput);
        }
    }

    private void CheckWeights(ReadOnlySpan<nint> shape)
    {
        ElementwiseEvaluation.CheckBroadcast(_weight, shape, "weight");
        ElementwiseEvaluation.CheckBroadcast(_posWeight, shape, "posWeight", lastDimensionOnly: true);
    }

    /// <summary>Whether <paramref name="other"/> has the same options (weights compared value by value).</summary>
    /// <param name="other">Another loss, or null.</param>
    /// <returns>True when every option is equal.</returns>
    public bool Equals(BceWithLogitsLoss? other) =>
        other is not null && Reduction == other.Reduction && ClassWeights.AreEqual(_weight, other._weight) && ClassWeights.AreEqual(_posWeight, other._posWeight);

    /// <summary>A hash of the options, consistent with <see cref="Equals(BceWithLogitsLoss)"/>.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => HashCode.Combine(Reduction, ClassWeights.HashOf(_weight), ClassWeights.HashOf(_posWeight));

    /// <summary>The options: <c>BceWithLogitsLoss(reduction: Mean, weight: none, posWeight: [2, 1])</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"BceWithLogitsLoss(reduction: {Reduction}, weight: {_weight?.ToString() ?? "none"}, posWeight: {_posWeight?.ToString() ?? "none"})";
}
