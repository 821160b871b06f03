using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Log-sum-exp of a vector: log Σₖ exp(xₖ), computed as m + log Σₖ exp(xₖ − m) with m = maxₖ xₖ
    /// (PyTorch <c>torch.logsumexp(x, dim=0)</c>).
    /// </summary>
    /// <param name="x">The values, at least one.</param>
    /// <returns>log Σ exp(xₖ): between max(x) and max(x) + log(x.Length).</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is empty.</exception>
    /// <remarks>
    /// Stable for every finite input (no overflow at 1e4 or 3e38). Special values, as PyTorch: any NaN gives NaN;
    /// otherwise any +∞ gives +∞; a vector of only −∞ gives −∞; other −∞ entries contribute nothing.
    /// </remarks>
    public static T LogSumExp<T>(ReadOnlySpan<T> x)
        where T : IFloatingPointIeee754<T>
    {
        if (x.IsEmpty)
        {
            ThrowHelper.EmptyInput(nameof(x));
        }

        return T.CreateTruncating(LogSumExpOfRow(x, 0, 1, x.Length));
    }

    /// <summary>
    /// Log-sum-exp along the class dimension: destination[o, i] = log Σ_c exp(input[o, c, i]), computed as
    /// m + log Σ_c exp(input[o, c, i] − m) with m the row's maximum (PyTorch <c>torch.logsumexp(input, dim)</c>).
    /// </summary>
    /// <param name="input">Row-major values of shape (outer, <paramref name="classes"/>, <paramref name="inner"/>).</param>
    /// <param name="destination">Receives outer × inner values in (outer, inner) order; must not overlap <paramref name="input"/>.</param>
    /// <param name="classes">Size of the reduced dimension, at least 1.</param>
    /// <param name="inner">Product of the dimensions after the reduced one, at least 1 (1 for a reduction over the last dimension).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="input"/> is not a multiple of classes × inner; <paramref name="destination"/> is too short or overlaps <paramref name="input"/>.</exception>
    /// <remarks>Special values per row as in <see cref="LogSumExp{T}(ReadOnlySpan{T})"/>.</remarks>
    public static void LogSumExp<T>(ReadOnlySpan<T> input, Span<T> destination, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ClassLayout.Create(input.Length, classes, inner);
        ValidateDestination(destination, layout.Positions, input);

        for (int p = 0; p < layout.Positions; p++)
        {
            destination[p] = T.CreateTruncating(LogSumExpOfRow(input, layout.RowStart(p), layout.Inner, classes));
        }
    }

    /// <summary>PyTorch's logsumexp: an infinite maximum is replaced by 0 as the shift, so +∞ gives +∞ and all −∞ gives −∞.</summary>
    private static double LogSumExpOfRow<T>(ReadOnlySpan<T> x, int offset, int stride, int count)
        where T : IFloatingPointIeee754<T>
    {
        double max = Rows<T>.Max(x, offset, stride, count);
        double shift = double.IsInfinity(max) ? 0.0 : max;
        return double.Log(Rows<T>.SumExp(x, offset, stride, count, shift)) + shift;
    }
}
