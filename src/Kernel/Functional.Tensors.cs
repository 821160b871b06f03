using System;
using System.Numerics.Tensors;

namespace Xent;

public static partial class Functional
{
    /// <summary>The class count of a dense row-major (N, C) tensor span with N = <paramref name="rowCount"/>.</summary>
    private static int ValidateMatrix<T>(ReadOnlyTensorSpan<T> matrix, int rowCount, string paramName)
    {
        if (matrix.Rank != 2)
        {
            throw new ArgumentException($"Expected a two-dimensional (N, C) tensor; got rank {matrix.Rank}.", paramName);
        }

        nint n = matrix.Lengths[0];
        nint c = matrix.Lengths[1];
        if (c < 1 || c > int.MaxValue)
        {
            throw new ArgumentException($"The class dimension must hold between 1 and {int.MaxValue} classes; got {c}.", paramName);
        }

        if (n != rowCount)
        {
            throw new ArgumentException($"Expected one target per row: {paramName} has {n} rows but target has {rowCount} elements.", paramName);
        }

        if (n > 1 && matrix.Strides[0] != c || c > 1 && matrix.Strides[1] != 1)
        {
            throw new ArgumentException(
                $"{paramName} must be dense and row-major (strides {c} and 1); got strides {matrix.Strides[0]} and {matrix.Strides[1]}.", paramName);
        }

        return (int)c;
    }
}
