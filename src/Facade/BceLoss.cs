using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

/// <summary>
/// Binary cross entropy of probabilities, PyTorch's <c>torch.nn.BCELoss</c>: ℓᵢ = −w[i]·(tᵢ·max(log xᵢ, −100) +
/// (1 − tᵢ)·max(log(1 − xᵢ), −100)), reduced as <see cref="Reduction"/> says (the mean divides by the number of
/// elements). Prefer <see cref="BceWithLogitsLoss{T}"/> on logits, which is more accurate. An immutable record; values
/// are computed by <see cref="Functional.BinaryCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, Span{T}, Span{T}, ReadOnlySpan{T})"/>.
/// </summary>
/// <typeparam name="T">The element type of the probabilities and of the weights: float, double or Half.</typeparam>
/// <remarks>Input values and targets must lie in [0, 1] (an <see cref="ArgumentOutOfRangeException"/> otherwise, as PyTorch refuses them).</remarks>
public sealed record BceLoss<T> : ElementwiseLoss<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly Reduction _reduction;
    private readonly T[] _weight = [];

    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="weight">PyTorch <c>weight</c>: one weight per element, or one per position of the last dimension (broadcast), copied; null (default) for none.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is BatchMean or not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> is empty.</exception>
    public BceLoss(Reduction reduction = Reduction.Mean, T[]? weight = null)
    {
        Reduction = reduction;
        _weight = FacadeWeights.Of(weight, nameof(weight));
    }

    /// <summary>How the element losses are combined (PyTorch <c>reduction</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to BatchMean or to an undefined value.</exception>
    public override Reduction Reduction { get => _reduction; init => _reduction = OptionRules.Reduction(value, "reduction"); }

    /// <summary>The element weights (PyTorch <c>weight</c>), copied when set; empty for none.</summary>
    public ReadOnlyMemory<T> Weight { get => _weight; init => _weight = value.ToArray(); }

    private protected override T Run(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> gradOutput)
    {
        FacadeWeights.CheckBroadcast(_weight, shape, "weight");
        return Functional.BinaryCrossEntropy(input, target, Reduction, _weight, gradient, losses, gradOutput);
    }

    /// <summary>Whether <paramref name="other"/> has the same options (weights compared value by value).</summary>
    /// <param name="other">Another loss, or null.</param>
    /// <returns>True when every option is equal.</returns>
    public bool Equals(BceLoss<T>? other) => other is not null && Reduction == other.Reduction && WeightValues.Equal<T>(_weight, other._weight);

    /// <summary>A hash of the options, consistent with <see cref="Equals(BceLoss{T})"/>.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => HashCode.Combine(Reduction, WeightValues.Hash<T>(_weight));

    /// <summary>The options: <c>BceLoss(reduction: Mean, weight: none)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"BceLoss(reduction: {Reduction}, weight: {FacadeWeights.Format<T>(_weight)})";
}
