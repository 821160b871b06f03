using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// The functions that normalize along one dimension, <see cref="Softmax"/> and <see cref="LogSoftmax"/> (each documents
/// its formula): what they share, the dimension and the ways to apply them and their backward pass.
/// </summary>
/// <remarks>Only the functions of this library derive from it. Immutable: <c>with</c> makes a copy with another <see cref="Dim"/>.</remarks>
public abstract record Normalizer
{
    private protected Normalizer(int dim)
    {
        Dim = dim;
    }

    /// <summary>The normalized dimension (PyTorch <c>dim</c>); negative values count from the end (-1 is the last). Checked against the input's rank when applied.</summary>
    public int Dim { get; init; }

    /// <summary>Whether this is the log-softmax.</summary>
    private protected abstract bool Logarithm { get; }

    /// <summary>Applies the function along <see cref="Dim"/>.</summary>
    /// <param name="input">Values of any shape with at least one dimension; need not be dense.</param>
    /// <returns>A new tensor of the input's shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="Dim"/> is outside [−rank, rank).</exception>
    /// <exception cref="ArgumentException">The input has no dimensions, or <see cref="Dim"/> has size 0.</exception>
    /// <remarks>Special values as the kernel's: a slice holding NaN or +∞, or only −∞, becomes NaN.</remarks>
    public Tensor<T> Forward<T>(ReadOnlyTensorSpan<T> input)
        where T : IFloatingPointIeee754<T> =>
        DimFunction.Apply(input, Dim, Logarithm);

    /// <inheritdoc cref="Forward{T}(ReadOnlyTensorSpan{T})"/>
    public Tensor<T> Forward<T>(Tensor<T> input)
        where T : IFloatingPointIeee754<T> =>
        Forward(input.AsReadOnlyTensorSpan());

    /// <summary>Applies the function along <see cref="Dim"/> to row-major values of the given shape.</summary>
    /// <param name="input">Values, row-major (C order).</param>
    /// <param name="shape">Their shape, at least one dimension.</param>
    /// <returns>A new tensor of that shape.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward{T}(ReadOnlyTensorSpan{T})"/>.</exception>
    public Tensor<T> Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<nint> shape)
        where T : IFloatingPointIeee754<T> =>
        Forward(TensorShapes.View(input, shape, nameof(input)));

    /// <summary>Applies the function along <see cref="Dim"/> to row-major values of the given shape, from arrays: the form for F# and for callers without spans or <c>nint</c> shapes.</summary>
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

    /// <summary>
    /// The backward pass: the gradient with respect to the input, given the function's output y and the upstream
    /// gradient g, along <see cref="Dim"/>: for softmax y[c]·(g[c] − Σ_k g[k]·y[k])
    /// (<see cref="Functional.SoftmaxBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>), for
    /// log-softmax g[c] − exp(y[c])·Σ_k g[k] (<see cref="Functional.LogSoftmaxBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>).
    /// </summary>
    /// <param name="output">The output of <see cref="Forward{T}(ReadOnlyTensorSpan{T})"/>.</param>
    /// <param name="gradOutput">The upstream gradient, the output's shape.</param>
    /// <returns>A new tensor of the output's shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="Dim"/> is outside [−rank, rank).</exception>
    /// <exception cref="ArgumentException">The shapes differ, or <see cref="Dim"/> has size 0.</exception>
    public Tensor<T> Backward<T>(ReadOnlyTensorSpan<T> output, ReadOnlyTensorSpan<T> gradOutput)
        where T : IFloatingPointIeee754<T> =>
        DimFunction.Backward(output, gradOutput, Dim, Logarithm);
}
