using System;
using System.Globalization;

namespace Xent.Parity;

/// <summary>The first difference between an expected and an actual tensor.</summary>
/// <param name="What">Which quantity: <c>value</c> or <c>grad_input</c>.</param>
/// <param name="Message">A one-line description: the shapes, or the first mismatching index with both values.</param>
public sealed record Mismatch(string What, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => Message;
}

/// <summary>Compares tensors element by element within a <see cref="Tolerance"/>; shapes must match exactly.</summary>
public static class Comparison
{
    /// <summary>The first mismatch, or null when <paramref name="actual"/> matches <paramref name="expected"/>.</summary>
    public static Mismatch? FirstMismatch(TensorData expected, TensorData actual, Tolerance tolerance, string what = "value")
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (!expected.Shape.AsSpan().SequenceEqual(actual.Shape) || expected.Data.Length != actual.Data.Length)
        {
            return new Mismatch(what,
                $"{what} shape {TensorData.FormatShape(actual.Shape)} ({actual.Data.Length} values), expected {TensorData.FormatShape(expected.Shape)} ({expected.Data.Length} values)");
        }

        for (int i = 0; i < expected.Data.Length; i++)
        {
            double e = expected.Data[i];
            double a = actual.Data[i];
            if (!tolerance.Accepts(e, a))
            {
                string where = expected.Shape.Length == 0 ? what : $"{what}{expected.FormatIndex(i)} (flat {i})";
                string difference = double.IsFinite(e) && double.IsFinite(a)
                    ? $", |diff| {Number(Math.Abs(a - e))} > {tolerance.Allowed(e).ToString("G3", CultureInfo.InvariantCulture)}"
                    : string.Empty;
                return new Mismatch(what, $"{where}: expected {Number(e)}, got {Number(a)}{difference}");
            }
        }

        return null;
    }

    /// <summary>A double as the golden format writes it: round-trip digits, or NaN / Infinity / -Infinity.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
