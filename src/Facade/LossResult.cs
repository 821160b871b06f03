using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Xent;

/// <summary>
/// The value of a loss: a scalar (PyTorch's 0-d tensor, for <see cref="Reduction.Mean"/>, <see cref="Reduction.Sum"/>
/// and unbatched input) or one loss per position (for <see cref="Reduction.None"/> on batched input).
/// </summary>
/// <typeparam name="T">The element type of the input.</typeparam>
/// <remarks>
/// The result owns its tensor: no other object refers to it. <see cref="Tensor{T}"/> cannot be 0-d, which is why a
/// scalar is held as <see cref="Value"/> rather than as a tensor.
/// </remarks>
public sealed class LossResult<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly T _value;

    internal LossResult(T value, Tensor<T>? gradient)
    {
        _value = value;
        Gradient = gradient;
    }

    internal LossResult(Tensor<T> elements, Tensor<T>? gradient)
    {
        Elements = elements;
        Gradient = gradient;
        _value = T.NaN;
    }

    /// <summary>True when the loss is a scalar (PyTorch shape []); then <see cref="Value"/> holds it and <see cref="Elements"/> is null.</summary>
    public bool IsScalar => Elements is null;

    /// <summary>The scalar loss: the mean or sum, or the single loss of an unbatched input.</summary>
    /// <exception cref="InvalidOperationException">The result holds one loss per position; read <see cref="Elements"/>.</exception>
    public T Value => Elements is null
        ? _value
        : throw new InvalidOperationException("This result holds one loss per position (Reduction.None on batched input); read Elements.");

    /// <summary>One loss per position, shaped like the target of index losses: (N) or (N, d1, ..., dk); null for a scalar result.</summary>
    public Tensor<T>? Elements { get; }

    /// <summary>
    /// ∂L/∂input, the input's shape: the gradient of the scalar loss, or for per-position losses the vector-Jacobian
    /// product with the upstream gradient given (all ones by default). Null when the loss was computed without it.
    /// </summary>
    public Tensor<T>? Gradient { get; }

    /// <summary>The scalar, or the shape of <see cref="Elements"/>, for display.</summary>
    public override string ToString() =>
        (Elements is null ? $"LossResult({_value}" : $"LossResult(shape {Internal.TensorShapes.Format(Elements.Lengths)}")
        + (Gradient is null ? ")" : ", with gradient)");
}
