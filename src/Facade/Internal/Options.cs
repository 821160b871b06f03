using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;

namespace Xent.Internal;

/// <summary>Per-class weights held by a loss object: an immutable copy, with the float and double forms made once.</summary>
internal sealed class ClassWeights
{
    private readonly double[] _double;
    private readonly float[] _single;

    private ClassWeights(double[] values)
    {
        _double = values;
        _single = Array.ConvertAll(values, v => (float)v);
    }

    public IReadOnlyList<double> Values => _double;

    public static ClassWeights? Create(IEnumerable<double>? weight, string paramName = "weight")
    {
        if (weight is null)
        {
            return null;
        }

        double[] values = [.. weight];
        if (values.Length == 0)
        {
            throw new ArgumentException($"{paramName} must hold at least one value; pass null for none.", paramName);
        }

        return new ClassWeights(values);
    }

    public int Length => _double.Length;

    /// <summary>Value equality of two optional weight vectors (bitwise on each value, so NaN equals NaN).</summary>
    public static bool AreEqual(ClassWeights? a, ClassWeights? b) =>
        a is null ? b is null : b is not null && a._double.AsSpan().SequenceEqual(b._double);

    public static int HashOf(ClassWeights? weights)
    {
        var hash = new HashCode();
        if (weights is not null)
        {
            foreach (double value in weights._double)
            {
                hash.Add(value);
            }
        }

        return hash.ToHashCode();
    }

    /// <summary>The weights as <typeparamref name="T"/>: cached for float and double, converted per call otherwise.</summary>
    public ReadOnlySpan<T> As<T>()
        where T : IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
        {
            return (T[])(object)_double;
        }

        if (typeof(T) == typeof(float))
        {
            return (T[])(object)_single;
        }

        return Array.ConvertAll(_double, T.CreateTruncating);
    }

    public override string ToString()
    {
        var parts = new string[_double.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = _double[i].ToString("R", CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}

internal static class OptionChecks
{
    public static Reduction Reduction(Reduction reduction)
    {
        if (reduction is not (Xent.Reduction.None or Xent.Reduction.Mean or Xent.Reduction.Sum))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, reduction == Xent.Reduction.BatchMean
                ? "Reduction.BatchMean is defined for the KL divergence only (KlDivLoss); this loss takes None, Mean or Sum."
                : "Reduction must be None, Mean or Sum.");
        }

        return reduction;
    }

    public static EmptyMean EmptyMean(EmptyMean emptyMean)
    {
        if (!Enum.IsDefined(emptyMean))
        {
            throw new ArgumentOutOfRangeException(nameof(emptyMean), emptyMean, "EmptyMean must be NaN or Zero.");
        }

        return emptyMean;
    }

    public static double LabelSmoothing(double labelSmoothing)
    {
        if (!(labelSmoothing >= 0.0 && labelSmoothing <= 1.0))
        {
            ThrowHelper.LabelSmoothingOutOfRange(labelSmoothing);
        }

        return labelSmoothing;
    }

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
