using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Xent.Internal;

/// <summary>Applies a kernel normalizer (softmax or log-softmax) along one dimension of a tensor.</summary>
internal static class DimFunction
{
    public static Tensor<T> Apply<T>(ReadOnlyTensorSpan<T> input, int dim, bool logarithm)
        where T : IFloatingPointIeee754<T>
    {
        int d = TensorShapes.NormalizeDim(dim, input.Rank, nameof(input));
        (_, int size, int inner) = TensorShapes.Split(input.Lengths, d, nameof(input));
        var output = new T[checked((int)input.FlattenedLength)];
        if (output.Length > 0)
        {
            ReadOnlySpan<T> x = TensorShapes.RowMajor(input);
            if (logarithm)
            {
                Functional.LogSoftmax(x, output, size, inner);
            }
            else
            {
                Functional.Softmax(x, output, size, inner);
            }
        }

        return Tensor.Create(output, input.Lengths);
    }

    public static Tensor<T> Backward<T>(ReadOnlyTensorSpan<T> output, ReadOnlyTensorSpan<T> gradOutput, int dim, bool logarithm)
        where T : IFloatingPointIeee754<T>
    {
        int d = TensorShapes.NormalizeDim(dim, output.Rank, nameof(output));
        if (!gradOutput.Lengths.SequenceEqual(output.Lengths))
        {
            throw new ArgumentException(
                $"gradOutput must have the output's shape {TensorShapes.Format(output.Lengths)}; got {TensorShapes.Format(gradOutput.Lengths)}.",
                nameof(gradOutput));
        }

        (_, int size, int inner) = TensorShapes.Split(output.Lengths, d, nameof(output));
        var gradInput = new T[checked((int)output.FlattenedLength)];
        if (gradInput.Length > 0)
        {
            ReadOnlySpan<T> y = TensorShapes.RowMajor(output);
            ReadOnlySpan<T> g = TensorShapes.RowMajor(gradOutput);
            if (logarithm)
            {
                Functional.LogSoftmaxBackward(y, g, gradInput, size, inner);
            }
            else
            {
                Functional.SoftmaxBackward(y, g, gradInput, size, inner);
            }
        }

        return Tensor.Create(gradInput, output.Lengths);
    }
}
