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
}
