using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// The losses whose target has the input's shape and which compare them element by element: <see cref="BceWithLogitsLoss{T}"/>,
/// <see cref="BceLoss{T}"/> and <see cref="KlDivLoss{T}"/> (each documents its formula). This base holds what they
/// share: the ways to call them, from tensors, tensor spans or arrays, with the gradient in a new tensor or in the
/// caller's buffer.
/// </summary>
/// <typeparam name="T">The element type: float, double or Half.</typeparam>
/// <remarks>Only the losses of this library derive from it. One instance may be used from many threads at once.</remarks>
public abstract record ElementwiseLoss<T>
    where T : IFloatingPointIeee754<T>
{
    private protected ElementwiseLoss()
    {
    }

    /// <summary>How the element losses are combined (PyTorch <c>reduction</c>).</summary>
    public abstract Reduction Reduction { get; init; }

    /// <summary>The loss of input and target of the same shape, without gradient work.</summary>
    /// <param name="input">The input (logits for BCE with logits, probabilities for BCE, log-probabilities for KL divergence), any shape with at least one dimension; need not be dense.</param>
    /// <param name="target">The target, the input's shape.</param>
    /// <returns>The scalar loss, or one loss per element (the input's shape) for reduction None.</returns>
    /// <exception cref="ArgumentException">The shapes differ, a weight cannot be broadcast to the input's shape, or a value is outside the loss's domain (an <see cref="ArgumentOutOfRangeException"/>: BCE takes probabilities in [0, 1], and both BCE losses targets in [0, 1]).</exception>
    public LossResult<T> Forward(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target) => Evaluate(input, target, withGradient: false);

    /// <summary>
    /// The loss and its gradient ∂L/∂input from the same pass, in a new tensor (see the derived class for the formula).
    /// For reduction None, the gradient of the sum of the element losses.
    /// </summary>
    /// <param name="input">The input, any shape.</param>
    /// <param name="target">The target, the input's shape.</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    public LossResult<T> ForwardWithGradient(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target) => Evaluate(input, target, withGradient: true);

    /// <summary>
    /// The loss, its gradient g·∂L/∂input written into the caller's buffer, with g the upstream gradient (PyTorch's
    /// <c>loss.backward(grad_output)</c>). Allocates nothing for dense input and target.
    /// </summary>
    /// <param name="input">The input, any shape.</param>
    /// <param name="target">The target, the input's shape.</param>
    /// <param name="gradient">Receives ∂L/∂input: the input's shape, dense, not overlapping an input.</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape (the input's shape for reduction None, otherwise one element); empty (default) for ones.</param>
    /// <returns>The loss (Σ ℓ for reduction None).</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>; the gradient is not dense or not of the input's shape, or overlaps an input; <paramref name="gradOutput"/> is neither empty nor of the loss's shape.</exception>
    public T ForwardWithGradient(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target, TensorSpan<T> gradient, ReadOnlyTensorSpan<T> gradOutput = default)
    {
        CheckShapes(input, target);
        if (!gradient.Lengths.SequenceEqual(input.Lengths) || !gradient.IsDense)
        {
            throw new ArgumentException(
                $"The gradient must be dense and have the input's shape {TensorShapes.Format(input.Lengths)}; got {TensorShapes.Format(gradient.Lengths)}{(gradient.IsDense ? string.Empty : ", not dense")}.",
                nameof(gradient));
        }

        if (!(gradOutput.FlattenedLength == 0 && gradOutput.Rank <= 1))
        {
            bool matches = Reduction == Reduction.None
                ? gradOutput.Lengths.SequenceEqual(input.Lengths)
                : gradOutput.FlattenedLength == 1 && gradOutput.Rank <= 1;
            if (!matches)
            {
                throw new ArgumentException(
                    $"gradOutput must have the loss's shape {(Reduction == Reduction.None ? TensorShapes.Format(input.Lengths) : "[] (one element)")}; got {TensorShapes.Format(gradOutput.Lengths)}.",
                    nameof(gradOutput));
            }
        }

        return Run(TensorShapes.RowMajor(input), TensorShapes.RowMajor(target), input.Lengths, TensorShapes.RowMajor(gradient), default, TensorShapes.RowMajor(gradOutput));
    }

    /// <inheritdoc cref="Forward(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> Forward(Tensor<T> input, Tensor<T> target) => Forward(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> ForwardWithGradient(Tensor<T> input, Tensor<T> target) => ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T}, TensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public T ForwardWithGradient(Tensor<T> input, Tensor<T> target, Tensor<T> gradient) =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan(), gradient.AsTensorSpan());

    /// <summary>The loss of row-major input and target of the given shape, from arrays: the form for F# and for callers without tensors.</summary>
    /// <param name="input">The input, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target, at least one dimension.</param>
    /// <param name="target">The target, row-major, the input's shape.</param>
    /// <returns>The scalar loss, or one loss per element for reduction None (<see cref="LossResult{T}.ToArray"/> reads either as an array).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="target"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    /// <remarks>In C#, an overload taking tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> Forward(T[] input, int[] shape, T[] target)
    {
        nint[] dims = ArrayShape(input, shape, target);
        return Forward(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <summary>The loss and its gradient in a new tensor (<see cref="LossResult{T}.GradientToArray"/>), from row-major arrays of the given shape. For reduction None, the gradient of the sum of the element losses.</summary>
    /// <param name="input">The input, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target, at least one dimension.</param>
    /// <param name="target">The target, row-major, the input's shape.</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward(T[], int[], T[])"/>.</exception>
    /// <remarks>In C#, an overload taking tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> ForwardWithGradient(T[] input, int[] shape, T[] target)
    {
        nint[] dims = ArrayShape(input, shape, target);
        return ForwardWithGradient(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <summary>The loss, its gradient written into the caller's array (see the tensor overload), from row-major arrays of the given shape.</summary>
    /// <param name="input">The input, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target.</param>
    /// <param name="target">The target, row-major, the input's shape.</param>
    /// <param name="gradient">Receives ∂L/∂input, the input's element count.</param>
    /// <param name="gradOutput">The upstream gradient, row-major in the loss's shape (one value when reduced); null (default) for ones.</param>
    /// <returns>The loss (Σ ℓ for reduction None).</returns>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">As the tensor overload.</exception>
    /// <remarks>In C#, an overload taking tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public T ForwardWithGradient(T[] input, int[] shape, T[] target, T[] gradient, T[]? gradOutput = null)
    {
        nint[] dims = ArrayShape(input, shape, target);
        ArgumentNullException.ThrowIfNull(gradient);
        ReadOnlyTensorSpan<T> x = TensorShapes.View<T>(input, dims, nameof(input));
        CheckShapes(x, TensorShapes.View<T>(target, dims, nameof(target)));
        TensorShapes.View<T>(gradient, dims, nameof(gradient));
        return Run(input, target, dims, gradient, default, gradOutput);
    }

    /// <summary>
    /// The kernel call on flat row-major data of the given shape: the loss as <see cref="Reduction"/> says (Σ ℓ for
    /// None), the gradient and the per-element losses where asked. The kernel validates values and outputs.
    /// </summary>
    private protected abstract T Run(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> gradOutput);

    private LossResult<T> Evaluate(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target, bool withGradient)
    {
        CheckShapes(input, target);
        ReadOnlySpan<T> x = TensorShapes.RowMajor(input);
        T[]? gradient = withGradient ? new T[x.Length] : null;
        T[]? losses = Reduction == Reduction.None ? new T[x.Length] : null;
        T value = Run(x, TensorShapes.RowMajor(target), input.Lengths, gradient, losses, default);
        Tensor<T>? g = gradient is null ? null : Tensor.Create(gradient, input.Lengths);
        return losses is null ? new LossResult<T>(value, g) : new LossResult<T>(Tensor.Create(losses, input.Lengths), g);
    }

    private static void CheckShapes(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target)
    {
        if (!target.Lengths.SequenceEqual(input.Lengths))
        {
            throw new ArgumentException(
                $"Target size ({TensorShapes.Format(target.Lengths)}) must be the same as input size ({TensorShapes.Format(input.Lengths)}).",
                nameof(target));
        }
    }

    private static nint[] ArrayShape(T[] input, int[] shape, T[] target)
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return dims;
    }
}
