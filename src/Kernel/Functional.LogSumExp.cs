using System;
using System.Numerics;
using Xent.Internal;
using Xent.Internal.Rows;
using Xent.Internal.Vectors;

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

        return T.CreateTruncating(LogSumExpOfRow(x));
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

        Normalize(Normalizer.LogSumExp, input, destination, layout);
    }

    /// <summary>log Σ exp(x) of one contiguous row through the row engine's exact statistic pass.</summary>
    private static unsafe double LogSumExpOfRow<T>(ReadOnlySpan<T> x)
        where T : IFloatingPointIeee754<T>
    {
        fixed (byte* p = &AsBytes(x))
        {
            RowStatistics s = Width.Bits switch
            {
                512 => RowStatisticsPass.Exact<T, Double512>(p, x.Length, default, null, 0.0, findArgMax: false),
                256 => RowStatisticsPass.Exact<T, Double256>(p, x.Length, default, null, 0.0, findArgMax: false),
                _ => RowStatisticsPass.Exact<T, Double128>(p, x.Length, default, null, 0.0, findArgMax: false),
            };
            return NormalizerRows.LogSumExp(s);
        }
    }
}
