using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

/// <summary>
/// Binary cross entropy of logits, PyTorch's <c>torch.nn.BCEWithLogitsLoss</c>: ℓᵢ = −w[i]·(pw[i]·tᵢ·log σ(xᵢ) +
/// (1 − tᵢ)·log(1 − σ(xᵢ))), computed stably as w[i]·(pw[i]·tᵢ·softplus(−xᵢ) + (1 − tᵢ)·softplus(xᵢ)), reduced as
/// <see cref="Reduction"/> says (the mean divides by the number of elements). An immutable record; values are computed
/// by <see cref="Functional.BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, ReadOnlySpan{T})"/>.
/// </summary>
/// <typeparam name="T">The element type of the logits and of the weights: float, double or Half.</typeparam>
/// <remarks>Input and target have the same shape, any rank; targets must be in [0, 1] (checked, unlike PyTorch; see docs/semantics.md). Stable for every finite logit.</remarks>
public sealed record BceWithLogitsLoss<T> : ElementwiseLoss<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly Reduction _reduction;
    private readonly T[] _weight = [];
    private readonly T[] _posWeight = [];

    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="weight">PyTorch <c>weight</c>: one weight per element, or one per position of the last dimension (broadcast), copied; null (default) for none.</param>
    /// <param name="posWeight">PyTorch <c>pos_weight</c>: the weight of positive examples, one per position of the last dimension (one per class of a multi-label problem), copied; null (default) for none.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is BatchMean or not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> or <paramref name="posWeight"/> is empty.</exception>
    public BceWithLogitsLoss(Reduction reduction = Reduction.Mean, T[]? weight = null, T[]? posWeight = null)
    {
        Reduction = reduction;
        _weight = FacadeWeights.Of(weight, nameof(weight));
        _posWeight = FacadeWeights.Of(posWeight, nameof(posWeight));
    }

    /// <summary>How the element losses are combined (PyTorch <c>reduction</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to BatchMean or to an undefined value.</exception>
    public override Reduction Reduction { get => _reduction; init => _reduction = OptionRules.Reduction(value, "reduction"); }

    /// <summary>The element weights (PyTorch <c>weight</c>), copied when set; empty for none.</summary>
    public ReadOnlyMemory<T> Weight { get => _weight; init => _weight = value.ToArray(); }

    /// <summary>The weights of positive examples along the last dimension (PyTorch <c>pos_weight</c>), copied when set; empty for none.</summary>
    public ReadOnlyMemory<T> PosWeight { get => _posWeight; init => _posWeight = value.ToArray(); }

    private protected override T Run(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> gradOutput)
    {
        FacadeWeights.CheckBroadcast(_weight, shape, "weight");
        FacadeWeights.CheckBroadcast(_posWeight, shape, "posWeight", lastDimensionOnly: true);
        return Functional.BinaryCrossEntropyWithLogits(input, target, Reduction, _weight, _posWeight, gradient, losses, gradOutput);
    }

    /// <summary>Whether <paramref name="other"/> has the same options (weights compared value by value).</summary>
    /// <param name="other">Another loss, or null.</param>
    /// <returns>True when every option is equal.</returns>
    public bool Equals(BceWithLogitsLoss<T>? other) =>
        other is not null && Reduction == other.Reduction && WeightValues.Equal<T>(_weight, other._weight) && WeightValues.Equal<T>(_posWeight, other._posWeight);

    /// <summary>A hash of the options, consistent with <see cref="Equals(BceWithLogitsLoss{T})"/>.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => HashCode.Combine(Reduction, WeightValues.Hash<T>(_weight), WeightValues.Hash<T>(_posWeight));

    /// <summary>The options: <c>BceWithLogitsLoss(reduction: Mean, weight: none, posWeight: [2, 1])</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"BceWithLogitsLoss(reduction: {Reduction}, weight: {FacadeWeights.Format<T>(_weight)}, posWeight: {FacadeWeights.Format<T>(_posWeight)})";
}
