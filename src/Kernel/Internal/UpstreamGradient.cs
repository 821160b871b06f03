using System;
using System.Numerics;

namespace Xent.Internal;

/// <summary>
/// The rules of <c>gradOutput</c>, the upstream gradient of a loss, for every loss: given only with a gradient; for
/// <see cref="Reduction.None"/> one value per position (or none, for ones), otherwise the one value of the reduced loss
/// (or none, for 1).
/// </summary>
internal static class UpstreamGradient
{
    /// <summary>Checks the length of an upstream gradient of <paramref name="length"/> values for <paramref name="count"/> positions (or elements: <paramref name="unit"/>).</summary>
    /// <exception cref="ArgumentException">Given without a gradient, or of the wrong length; names <c>gradOutput</c>.</exception>
    public static void CheckLength(int length, bool withGradient, Reduction reduction, long count, string unit)
    {
        if (length != 0 && !withGradient)
        {
            throw new ArgumentException(
                "gradOutput is the upstream gradient of the loss: pass it with a gradient buffer, or leave it empty.", "gradOutput");
        }

        long expected = reduction == Reduction.None ? count : 1;
        if (length != 0 && length != expected)
        {
            throw new ArgumentException(
                reduction == Reduction.None
                    ? $"With Reduction.None, gradOutput holds one upstream gradient per {unit} ({count}), or is empty for all ones; got {length}."
                    : $"With Reduction.{reduction}, gradOutput holds the one upstream gradient of the reduced loss, or is empty for 1; got {length} values.",
                "gradOutput");
        }
    }

    /// <summary>The scalar upstream gradient of a reduced loss: the one value given, else 1; 1 for None (its values are per position).</summary>
    public static double Scalar<T>(ReadOnlySpan<T> gradOutput, Reduction reduction)
        where T : IFloatingPointIeee754<T> =>
        reduction != Reduction.None && !gradOutput.IsEmpty ? double.CreateTruncating(gradOutput[0]) : 1.0;
}
