using System;
using System.Numerics;

namespace Xent.Internal;

/// <summary>
/// One row of the class dimension of a (outer, classes, inner) tensor: <c>count</c> elements starting at <c>offset</c>,
/// <c>stride</c> apart (1 for (N, C) input, the inner size for (N, C, d1, ..., dk)). NLL's gradient is written with it;
/// everything that reduces over a row goes through the row engine (<see cref="Rows.LossRows"/>).
/// </summary>
internal static class StridedRow<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>Sets the row to zero.</summary>
    public static void Clear(Span<T> destination, int offset, int stride, int count)
    {
        if (stride == 1)
        {
            destination.Slice(offset, count).Clear();
            return;
        }

        for (int k = 0; k < count; k++)
        {
            destination[offset + k * stride] = T.Zero;
        }
    }
}
