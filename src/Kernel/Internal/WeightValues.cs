using System;
using System.Numerics;

namespace Xent.Internal;

/// <summary>Class weights: a class's weight (1 without weights), and value equality and hashing of weight vectors for the option records of the kernel and the facade.</summary>
internal static class WeightValues
{
    /// <summary>The weight of class <paramref name="cls"/> in double: 1 when there are no weights (empty).</summary>
    public static double Of<T>(ReadOnlySpan<T> weight, int cls)
        where T : IFloatingPointIeee754<T> =>
        weight.IsEmpty ? 1.0 : double.CreateTruncating(weight[cls]);

    /// <summary>Whether the two vectors hold the same values (NaN equals NaN, as <see cref="IEquatable{T}.Equals(T)"/> says).</summary>
    public static bool Equal<T>(ReadOnlySpan<T> left, ReadOnlySpan<T> right)
        where T : IFloatingPointIeee754<T>
    {
        if (left.Length != right.Length)
        {
            return false;
        }

        for (int i = 0; i < left.Length; i++)
        {
            if (!left[i].Equals(right[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A hash of the values, consistent with <see cref="Equal{T}"/>.</summary>
    public static void AddTo<T>(ref HashCode hash, ReadOnlySpan<T> values)
    {
        foreach (T value in values)
        {
            hash.Add(value);
        }
    }

    /// <summary>A hash of the values alone.</summary>
    public static int Hash<T>(ReadOnlySpan<T> values)
    {
        var hash = new HashCode();
        AddTo(ref hash, values);
        return hash.ToHashCode();
    }
}
