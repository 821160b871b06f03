using System;
using System.Numerics;
using Xent.Internal;
using Xent.Internal.Rows;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Softmax along the class dimension: destination[o, c, i] = exp(input[o, c, i] − m) / Σ_k exp(input[o, k, i] − m),
    /// with m the row's maximum (PyTorch <c>torch.softmax(input, dim)</c>).
    /// </summary>
    /// <param name="input">Row-major values of shape (outer, <paramref name="classes"/>, <paramref name="inner"/>).</param>
    /// <param name="destination">Receives the probabilities, same layout as <paramref name="input"/>; may be <paramref name="input"/> itself (same start) but must not overlap it partially.</param>
    /// <param name="classes">Size of the normalized dimension, at least 1.</param>
    /// <param name="inner">Product of the dimensions after the normalized one, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="input"/> is not a multiple of classes × inner; <paramref name="destination"/> is too short or overlaps <paramref name="input"/> partially.</exception>
    /// <remarks>
    /// Each row sums to one and lies in [0, 1]; stable for every finite input. Special values, as PyTorch: a row
    /// holding NaN or +∞, or only −∞, becomes all NaN; other −∞ entries become exactly 0.
    /// </remarks>
    public static void Softmax<T>(ReadOnlySpan<T> input, Span<T> destination, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ClassLayout.Create(input.Length, classes, inner);
        ValidateInPlaceDestination(input, destination);

        Normalize(Normalizer.Softmax, input, destination, layout);
    }

    /// <summary>
    /// Log-softmax along the class dimension: destination[o, c, i] = (input[o, c, i] − m) − log Σ_k exp(input[o, k, i] − m),
    /// with m the row's maximum (PyTorch <c>torch.log_softmax(input, dim)</c>).
    /// </summary>
    /// <param name="input">Row-major values of shape (outer, <paramref name="classes"/>, <paramref name="inner"/>).</param>
    /// <param name="destination">Receives the log-probabilities, same layout as <paramref name="input"/>; may be <paramref name="input"/> itself (same start) but must not overlap it partially.</param>
    /// <param name="classes">Size of the normalized dimension, at least 1.</param>
    /// <param name="inner">Product of the dimensions after the normalized one, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="input"/> is not a multiple of classes × inner; <paramref name="destination"/> is too short or overlaps <paramref name="input"/> partially.</exception>
    /// <remarks>
    /// Every value is at most 0; stable for every finite input (the shift is subtracted before the logarithm, so
    /// logits of 1e30 keep their differences). Special values, as PyTorch: a row holding NaN or +∞, or only −∞,
    /// becomes all NaN; other −∞ entries stay −∞.
    /// </remarks>
    public static void LogSoftmax<T>(ReadOnlySpan<T> input, Span<T> destination, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ClassLayout.Create(input.Length, classes, inner);
        ValidateInPlaceDestination(input, destination);

        Normalize(Normalizer.LogSoftmax, input, destination, layout);
    }

    /// <summary>Softmax, log-softmax or log-sum-exp of every position through the row engine (arguments already validated).</summary>
    private static unsafe void Normalize<T>(Normalizer kind, ReadOnlySpan<T> input, Span<T> output, ClassLayout layout)
        where T : IFloatingPointIeee754<T>
    {
        fixed (byte* x = &AsBytes(input))
        fixed (byte* y = &AsBytes((ReadOnlySpan<T>)output))
        {
            var job = new NormalizerJob { Kind = kind, Input = x, Output = y, Shape = new WalkShape(layout.Positions, layout.Classes, layout.Inner) };
            NormalizerRows.Run<T>(ref job);
        }
    }
}
