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

    internal LossResult(T value, Tensor<T>? gradient, CrossEntropySummary? summary = null)
    {
        _value = value;
        Gradient = gradient;
        Summary = summary;
    }

    internal LossResult(Tensor<T> elements, Tensor<T>? gradient, CrossEntropySummary? summary = null)
    {
        Elements = elements;
        Gradient = gradient;
        Summary = summary;
        _value = T.NaN;
    }

    /// <summary>
    /// For cross entropy: the summary of the call, in double: the loss (Σ ℓ for <see cref="Reduction.None"/>), the
    /// z-loss, the counted positions, the correct predictions (argmax = target) and the accuracy. Null for the other losses.
    /// </summary>
    public CrossEntropySummary? Summary { get; }

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

    /// <summary>
    /// The loss's values in a new array: [<see cref="Value"/>] (one element) for a scalar result, or the losses of
    /// <see cref="Elements"/> in row-major order (the order of the targets) for per-position results. For F# and for
    /// any caller who wants plain values rather than a tensor.
    /// </summary>
    /// <returns>A new array, allocated by this call and owned by the caller.</returns>
    public T[] ToArray() => Elements is null ? [_value] : Flatten(Elements);

    /// <summary>
    /// ∂L/∂input (<see cref="Gradient"/>) in a new array, in the row-major layout of the input: the gradient of the
    /// scalar loss, or the vector-Jacobian product with the upstream gradient for per-position losses.
    /// </summary>
    /// <returns>A new array of the input's element count, allocated by this call and owned by the caller.</returns>
    /// <exception cref="InvalidOperationException">The loss was computed without its gradient (by <c>Forward</c> rather than <c>ForwardWithGradient</c>).</exception>
    public T[] GradientToArray() => Gradient is null
        ? throw new InvalidOperationException("This result holds no gradient: it was computed by Forward; call ForwardWithGradient.")
        : Flatten(Gradient);

    private static T[] Flatten(Tensor<T> tensor)
    {
        var values = new T[checked((int)tensor.FlattenedLength)];
        tensor.FlattenTo(values);
        return values;
    }

    /// <summary>The scalar, or the shape of <see cref="Elements"/>, for display.</summary>
    public override string ToString() =>
        (Elements is null ? $"LossResult({_value}" : $"LossResult(shape {Internal.TensorShapes.Format(Elements.Lengths)}")
        + (Gradient is null ? ")" : ", with gradient)");
}
