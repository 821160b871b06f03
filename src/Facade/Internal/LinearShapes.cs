using System;
using System.Numerics.Tensors;

namespace Xent.Internal;

/// <summary>The shapes of a linear cross entropy as PyTorch's <c>F.linear</c> takes them: input (…, D), weight (V, D), bias (V), targets (…).</summary>
internal readonly record struct LinearShapes(int Rows, int Features)
{
    /// <summary>Checks the shapes against one another; the kernel then checks the element counts, the targets' values and the class weights.</summary>
    public static LinearShapes Of<T>(ReadOnlySpan<nint> input, ReadOnlySpan<nint> weight, ReadOnlySpan<nint> target, ReadOnlyTensorSpan<T> bias)
    {
        if (input.Length == 0)
        {
            throw new ArgumentException("The input must have at least one dimension: (…, D).", nameof(input));
        }

        nint features = input[^1];
        if (weight.Length != 2 || weight[1] != features)
        {
            throw new ArgumentException(
                $"The weight must be (V, D) with D = {features}, the input's last dimension (nn.Linear's (out_features, in_features)); got {TensorShapes.Format(weight)}.", nameof(weight));
        }

        if (!target.SequenceEqual(input[..^1]) && !(input.Length == 1 && target.Length == 1 && target[0] == 1))
        {
            throw new ArgumentException(
                $"The target must have the input's shape without its last dimension, {TensorShapes.Format(input[..^1])}; got {TensorShapes.Format(target)}.", nameof(target));
        }

        if (bias.FlattenedLength != 0 && (bias.Rank != 1 || bias.Lengths[0] != weight[0]))
        {
            throw new ArgumentException($"The bias must be (V) with V = {weight[0]}, or empty; got {TensorShapes.Format(bias.Lengths)}.", nameof(bias));
        }

        long rows = 1;
        foreach (nint length in input[..^1])
        {
            rows *= length;
        }

        return new LinearShapes(checked((int)rows), checked((int)features));
    }

    /// <summary>A caller's gradient buffer as a span: its parameter's shape, dense.</summary>
    public static Span<T> Buffer<T>(TensorSpan<T> buffer, ReadOnlySpan<nint> shape, string paramName)
    {
        if (!buffer.Lengths.SequenceEqual(shape))
        {
            throw new ArgumentException($"{paramName} must have the shape {TensorShapes.Format(shape)}; got {TensorShapes.Format(buffer.Lengths)}.", paramName);
        }

        if (!buffer.IsDense)
        {
            throw new ArgumentException($"{paramName} must be dense (row-major, no gaps): the kernel writes it in place.", paramName);
        }

        return TensorShapes.RowMajor(buffer);
    }
}
