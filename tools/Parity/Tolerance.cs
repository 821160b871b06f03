using System;

namespace Xent.Parity;

/// <summary>
/// How close a value must be to libtorch's float64 <c>expected</c> (the golden README): |actual − expected| ≤
/// max(<see cref="AbsoluteFloor"/>, <see cref="Relative"/> · |expected|); an infinity equals only the same infinity and
/// NaN only NaN.
/// </summary>
/// <param name="Relative">The relative tolerance.</param>
/// <param name="AbsoluteFloor">The smallest allowed difference, for expected values near zero.</param>
public readonly record struct Tolerance(double Relative, double AbsoluteFloor)
{
    /// <summary>A float32 implementation: relative 1e-5 with an absolute floor of 1e-6.</summary>
    public static Tolerance Float32 { get; } = new(1e-5, 1e-6);

    /// <summary>A float64 implementation: relative 1e-12 with an absolute floor of 1e-12.</summary>
    public static Tolerance Float64 { get; } = new(1e-12, 1e-12);

    /// <summary>The tolerance of <paramref name="dtype"/>.</summary>
    public static Tolerance For(Dtype dtype) => dtype switch
    {
        Dtype.Float32 => Float32,
        Dtype.Float64 => Float64,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Undefined dtype."),
    };

    /// <summary>The largest difference accepted around a finite <paramref name="expected"/>.</summary>
    public double Allowed(double expected) => Math.Max(AbsoluteFloor, Relative * Math.Abs(expected));

    /// <summary>True when <paramref name="actual"/> matches <paramref name="expected"/>.</summary>
    public bool Accepts(double expected, double actual)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual))
        {
            return double.IsNaN(expected) && double.IsNaN(actual);
        }

        if (double.IsInfinity(expected) || double.IsInfinity(actual))
        {
            return expected == actual;
        }

        return Math.Abs(actual - expected) <= Allowed(expected);
    }
}
