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
/// computed by <see cref="Functional.BinaryCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T})"/>.
/// </summary>
/// <remarks>Input values must lie in [0, 1] (an <see cref="ArgumentOutOfRangeException"/> otherwise, as PyTorch refuses them).</remarks>
public sealed record BceLoss : IElementwiseLoss
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

    bool IElementwiseLoss.Reduces => Reduction != Reduction.None;

    /// <summary>The loss of probabilities and targets of the same shape, without gradient work.</summary>
    /// <param name="input">Probabilities in [0, 1], any shape.</param>
    /// <param name="target">Targets, the input's shape.</param>
    /// <returns>The scalar loss, or one loss per element (the input's shape) for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentException">The shapes differ, a weight cannot be broadcast, or an input value is outside [0, 1] (an <see cref="ArgumentOutOfRangeException"/>).</exception>
    public LossResult<T> Forward<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target)
        where T : IFloatingPointIeee754<T> =>
        ElementwiseEvaluation.Evaluate(this, input, target, false, default, false);

    /// <summary>The loss and its gradient ∂L/∂input = w·(x − t)/max(x·(1 − x), 1e-12), scaled by the reduction (PyTorch's backward).</summary>
    /// <param name="input">Probabilities in [0, 1], any shape.</param>
    /// <param name="target">Targets, the input's shape.</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target)
        where T : IFloatingPointIeee754<T> =>
        ElementwiseEvaluation.Evaluate(this, input, target, true, default, false);

    /// <summary>The loss and the vector-Jacobian product of its gradient with <paramref name="gradOutput"/>.</summary>
    /// <param name="input">Probabilities in [0, 1], any shape.</param>
    /// <param name="target">Targets, the input's shape.</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape (the input's shape for <see cref="Reduction.None"/>, otherwise one element).</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>, or <paramref name="gradOutput"/> does not have the loss's shape.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target, ReadOnlyTensorSpan<T> gradOutput)
        where T : IFloatingPointIeee754<T> =>
        ElementwiseEvaluation.Evaluate(this, input, target, true, gradOutput, true);

    /// <summary>The loss of row-major probabilities in [0, 1] of the given shape and targets of the same shape (see the class summary), from arrays: the form for F# and for callers without tensors.</summary>
    /// <param name="input">Probabilities in [0, 1], row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target, at least one dimension.</param>
    /// <param name="target">Targets, row-major, the input's shape.</param>
    /// <returns>The scalar loss, or one loss per element for reduction None (<see cref="LossResult{T}.ToArray"/> reads either as an array).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="target"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    /// <remarks>In C#, an overload taking tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> Forward<T>(T[] input, int[] shape, T[] target)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return Forward(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <summary>The loss of row-major probabilities in [0, 1] and targets of the given shape and its gradient ∂L/∂input = w·(x − t)/max(x·(1 − x), 1e-12), scaled by the reduction (<see cref="LossResult{T}.GradientToArray"/>), from arrays. For reduction None, the gradient of the sum of the element losses.</summary>
    /// <param name="input">Probabilities in [0, 1], row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target, at least one dimension.</param>
    /// <param name="target">Targets, row-major, the input's shape.</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(T[], int[], T[])"/>.</exception>
    /// <remarks>In C#, an overload taking tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> ForwardWithGradient<T>(T[] input, int[] shape, T[] target)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return ForwardWithGradient(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <inheritdoc cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> Forward<T>(Tensor<T> input, Tensor<T> target)
        where T : IFloatingPointIeee754<T> =>
        Forward(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> ForwardWithGradient<T>(Tensor<T> input, Tensor<T> target)
        where T : IFloatingPointIeee754<T> =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    T IElementwiseLoss.Reduced<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, Span<T> gradient)
    {
        ReadOnlySpan<T> w = Weights<T>(shape);
        return gradient.IsEmpty
            ? Functional.BinaryCrossEntropy(input, target, Reduction, w)
            : Functional.BinaryCrossEntropyWithGradient(input, target, gradient, Reduction, w);
    }

    void IElementwiseLoss.PerElement<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, ReadOnlySpan<T> gradOutput, Span<T> destination, Span<T> gradient)
    {
        ReadOnlySpan<T> w = Weights<T>(shape);
        if (gradient.IsEmpty)
        {
            Functional.BinaryCrossEntropyPerElement(input, target, destination, w);
        }
        else
        {
            Functional.BinaryCrossEntropyPerElementWithGradient(input, target, gradOutput, destination, gradient, w);
        }
    }

    private ReadOnlySpan<T> Weights<T>(ReadOnlySpan<nint> shape)
        where T : IFloatingPointIeee754<T>
    {
        ElementwiseEvaluation.CheckBroadcast(_weight, shape, nameof(Weight));
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
