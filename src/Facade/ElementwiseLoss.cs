using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// The losses whose target has the input's shape and which compare them element by element: <see cref="BceWithLogitsLoss"/>,
/// <see cref="BceLoss"/> and <see cref="KlDivLoss"/> (each documents its formula). This base holds what they share: the
/// ways to call them, from tensors, tensor spans or arrays, with or without the gradient.
/// </summary>
/// <remarks>Only the losses of this library derive from it. One instance may be used from many threads at once.</remarks>
public abstract record ElementwiseLoss
{
    private protected ElementwiseLoss()
    {
    }

    /// <summary>Whether the loss reduces to a scalar (any reduction but None).</summary>
    private protected abstract bool Reduces { get; }

    /// <summary>The loss of input and target of the same shape, without gradient work.</summary>
    /// <param name="input">The input (logits for BCE with logits, probabilities for BCE, log-probabilities for KL divergence), any shape with at least one dimension; need not be dense.</param>
    /// <param name="target">The target, the input's shape.</param>
    /// <returns>The scalar loss, or one loss per element (the input's shape) for reduction None.</returns>
    /// <exception cref="ArgumentException">The shapes differ, a weight cannot be broadcast to the input's shape, or a value is outside the loss's domain (an <see cref="ArgumentOutOfRangeException"/>; BCE takes probabilities in [0, 1]).</exception>
    public LossResult<T> Forward<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target)
        where T : IFloatingPointIeee754<T> =>
        ElementwiseEvaluation.Evaluate(this, input, target, false, default, false);

    /// <summary>
    /// The loss and its gradient ∂L/∂input from the same pass (see the derived class for the formula). For reduction
    /// None, the gradient of the sum of the element losses.
    /// </summary>
    /// <param name="input">The input, any shape.</param>
    /// <param name="target">The target, the input's shape.</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target)
        where T : IFloatingPointIeee754<T> =>
        ElementwiseEvaluation.Evaluate(this, input, target, true, default, false);

    /// <summary>The loss and the vector-Jacobian product of its gradient with <paramref name="gradOutput"/> (PyTorch's <c>loss.backward(grad_output)</c>).</summary>
    /// <param name="input">The input, any shape.</param>
    /// <param name="target">The target, the input's shape.</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape: the input's shape for reduction None, otherwise one element.</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>, or <paramref name="gradOutput"/> does not have the loss's shape.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target, ReadOnlyTensorSpan<T> gradOutput)
        where T : IFloatingPointIeee754<T> =>
        ElementwiseEvaluation.Evaluate(this, input, target, true, gradOutput, true);

    /// <inheritdoc cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> Forward<T>(Tensor<T> input, Tensor<T> target)
        where T : IFloatingPointIeee754<T> =>
        Forward(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> ForwardWithGradient<T>(Tensor<T> input, Tensor<T> target)
        where T : IFloatingPointIeee754<T> =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <summary>The loss of row-major input and target of the given shape, from arrays: the form for F# and for callers without tensors.</summary>
    /// <param name="input">The input, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target, at least one dimension.</param>
    /// <param name="target">The target, row-major, the input's shape.</param>
    /// <returns>The scalar loss, or one loss per element for reduction None (<see cref="LossResult{T}.ToArray"/> reads either as an array).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="target"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    /// <remarks>In C#, an overload taking tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> Forward<T>(T[] input, int[] shape, T[] target)
        where T : IFloatingPointIeee754<T>
    {
        nint[] dims = ArrayShape(input, shape, target);
        return Forward(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <summary>The loss and its gradient (<see cref="LossResult{T}.GradientToArray"/>) from row-major arrays of the given shape. For reduction None, the gradient of the sum of the element losses.</summary>
    /// <param name="input">The input, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target, at least one dimension.</param>
    /// <param name="target">The target, row-major, the input's shape.</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(T[], int[], T[])"/>.</exception>
    /// <remarks>In C#, an overload taking tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> ForwardWithGradient<T>(T[] input, int[] shape, T[] target)
        where T : IFloatingPointIeee754<T>
    {
        nint[] dims = ArrayShape(input, shape, target);
        return ForwardWithGradient(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <summary>The reduced loss of flat data of the given shape, writing the gradient when <paramref name="gradient"/> is not empty.</summary>
    private protected abstract T Reduced<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, Span<T> gradient)
        where T : IFloatingPointIeee754<T>;

    /// <summary>One loss per element, and the vector-Jacobian product with <paramref name="gradOutput"/> when <paramref name="gradient"/> is not empty.</summary>
    private protected abstract void PerElement<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, ReadOnlySpan<T> gradOutput, Span<T> destination, Span<T> gradient)
        where T : IFloatingPointIeee754<T>;

    internal bool ReducesToScalar => Reduces;

    internal T ReducedLoss<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, Span<T> gradient)
        where T : IFloatingPointIeee754<T> =>
        Reduced(input, target, shape, gradient);

    internal void PerElementLoss<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, ReadOnlySpan<T> gradOutput, Span<T> destination, Span<T> gradient)
        where T : IFloatingPointIeee754<T> =>
        PerElement(input, target, shape, gradOutput, destination, gradient);

    private static nint[] ArrayShape<T>(T[] input, int[] shape, T[] target)
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return dims;
    }
}
