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

    public static ClassWeights? Create(double[]? weight)
    {
        if (weight is null)
        {
            return null;
        }

        if (weight.Length == 0)
        {
            throw new ArgumentException("Weight must hold one value per class; pass null for no weights.", nameof(weight));
        }

        return new ClassWeights((double[])weight.Clone());
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
        if (!Enum.IsDefined(reduction))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"Reduction must be None, Mean or Sum; got {(int)reduction}.");
        }

        return reduction;
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
