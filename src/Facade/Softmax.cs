using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// Softmax along one dimension, PyTorch's <c>torch.nn.Softmax(dim)</c>: yᵢ = exp(xᵢ − m) / Σ_k exp(x_k − m) over
/// that dimension, m its maximum. An immutable record (<c>with</c> makes a copy with another <see cref="Dim"/>); computed by <see cref="Functional.Softmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>.
/// </summary>
public sealed record Softmax
{
    /// <summary>Creates the function for dimension <paramref name="dim"/>.</summary>
    /// <param name="dim">The normalized dimension; negative values count from the end (-1 is the last), as in PyTorch. Checked against the input's rank when applied.</param>
    public Softmax(int dim)
    {
        Dim = dim;
    }

    /// <summary>The normalized dimension (PyTorch <c>dim</c>).</summary>
    public int Dim { get; init; }

    /// <summary>Applies softmax along <see cref="Dim"/>.</summary>
    /// <param name="input">Values of any shape with at least one dimension; need not be dense.</param>
    /// <returns>A new tensor of the input's shape whose slices along <see cref="Dim"/> sum to one.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="Dim"/> is outside [−rank, rank).</exception>
    /// <exception cref="ArgumentException">The input has no dimensions, or <see cref="Dim"/> has size 0.</exception>
    /// <remarks>Special values as <see cref="Functional.Softmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>: a slice holding NaN or +∞, or only −∞, becomes NaN.</remarks>
    public Tensor<T> Forward<T>(ReadOnlyTensorSpan<T> input)
        where T : IFloatingPointIeee754<T> =>
        DimFunction.Apply(input, Dim, logarithm: false);

    /// <summary>
    /// The backward pass: the gradient with respect to the input of this softmax, given its output y and the upstream
    /// gradient g, along <see cref="Dim"/>: y[c]·(g[c] − Σ_k g[k]·y[k]) (see <see cref="Functional.SoftmaxBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>).
    /// </summary>
    /// <param name="output">The output of <see cref="Forward{T}(ReadOnlyTensorSpan{T})"/>.</param>
    /// <param name="gradOutput">The upstream gradient, the output's shape.</param>
    /// <returns>A new tensor of the output's shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="Dim"/> is outside [−rank, rank).</exception>
    /// <exception cref="ArgumentException">The shapes differ, or <see cref="Dim"/> has size 0.</exception>
    public Tensor<T> Backward<T>(ReadOnlyTensorSpan<T> output, ReadOnlyTensorSpan<T> gradOutput)
        where T : IFloatingPointIeee754<T> =>
        DimFunction.Backward(output, gradOutput, Dim, logarithm: false);

    /// <inheritdoc cref="Forward{T}(ReadOnlyTensorSpan{T})"/>
    public Tensor<T> Forward<T>(Tensor<T> input)
        where T : IFloatingPointIeee754<T> =>
        Forward(input.AsReadOnlyTensorSpan());

    /// <summary>Applies softmax along <see cref="Dim"/> to row-major values of the given shape.</summary>
    /// <param name="input">Values, row-major (C order).</param>
    /// <param name="shape">Their shape, at least one dimension.</param>
    /// <returns>A new tensor of that shape.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward{T}(ReadOnlyTensorSpan{T})"/>.</exception>
    public Tensor<T> Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<nint> shape)
        where T : IFloatingPointIeee754<T> =>
        Forward(TensorShapes.View(input, shape, nameof(input)));

    /// <summary>Applies softmax along <see cref="Dim"/> to row-major values of the given shape, from arrays: the form for F# and for callers without spans or <c>nint</c> shapes.</summary>
    /// <param name="input">Values, row-major (C order).</param>
    /// <param name="shape">Their shape, at least one dimension.</param>
    /// <returns>A new tensor of that shape (a tensor enumerates its values in row-major order).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{nint})"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public Tensor<T> Forward<T>(T[] input, int[] shape)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        return Forward(TensorShapes.View<T>(input, TensorShapes.Dims(shape), nameof(input)));
    }

    /// <summary>The options: <c>Softmax(dim: 1)</c>.</summary>
    public override string ToString() => $"Softmax(dim: {Dim})";
}
