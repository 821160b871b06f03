using System;
using System.Globalization;
using System.Numerics;

namespace Xent.Internal;

/// <summary>Weights and numbers as the loss objects take and print them.</summary>
internal static class FacadeWeights
{
    /// <summary>A weight argument of a loss constructor: null for none (empty), otherwise a copy; an empty array is refused.</summary>
    public static T[] Of<T>(T[]? weight, string paramName)
    {
        if (weight is null)
        {
            return [];
        }

        if (weight.Length == 0)
        {
            throw new ArgumentException($"{paramName} must hold at least one value; pass null for none.", paramName);
        }

        return (T[])weight.Clone();
    }

    /// <summary>Weights as PyTorch would print them, or "none".</summary>
    public static string Format<T>(ReadOnlySpan<T> weight)
        where T : IFloatingPointIeee754<T>
    {
        if (weight.IsEmpty)
        {
            return "none";
        }

        var parts = new string[weight.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            // In the element type, as PyTorch prints a tensor of its dtype: a float 0.1 is 0.1, not its double value.
            parts[i] = weight[i].ToString(null, CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>
    /// Per-element weights broadcast as PyTorch broadcasts a 1-D tensor: one value per element, or one per position of
    /// the last dimension (only the latter when <paramref name="lastDimensionOnly"/>, as for <c>pos_weight</c>). Empty is none.
    /// </summary>
    public static void CheckBroadcast<T>(ReadOnlySpan<T> weights, ReadOnlySpan<nint> shape, string paramName, bool lastDimensionOnly = false)
    {
        if (weights.IsEmpty)
        {
            return;
        }

        long count = 1;
        foreach (nint length in shape)
        {
            count *= length;
        }

        long last = shape.Length == 0 ? 1 : shape[^1];
        if (lastDimensionOnly ? weights.Length != last : weights.Length != count && weights.Length != last)
        {
            string allowed = lastDimensionOnly ? $"{last} (one per position of the last dimension)" : $"{count} (one per element) or {last} (one per position of the last dimension)";
            throw new ArgumentException(
                $"{paramName} has {weights.Length} values and cannot be broadcast to input shape {TensorShapes.Format(shape)}: give {allowed}.",
                paramName);
        }
    }

    /// <summary>A number in the invariant culture, round-trip.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
