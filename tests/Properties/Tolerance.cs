using System;
using System.Globalization;
using System.Numerics;

namespace Xent.Properties;

/// <summary>
/// How far two values may be apart: |a − b| ≤ max(<see cref="Absolute"/>, <see cref="Relative"/> · max(|a|, |b|)).
/// </summary>
/// <remarks>
/// The presets are the starting point of every comparison in this suite; a property that compares quantities whose
/// error is not relative to their own size (a difference of two ~1e30 numbers, a log of a sum) raises the absolute
/// floor with <see cref="WithFloor"/> and says why in a comment.
/// </remarks>
public readonly record struct Tol(double Relative, double Absolute)
{
    /// <summary>Bit-for-bit (up to the sign of zero): for results that the documentation makes identical.</summary>
    public static Tol Exact { get; } = new(0.0, 0.0);

    /// <summary>
    /// Float64 results of algebraically equal quantities reached along different paths at moderate scale. The kernel
    /// rounds a handful of times per term; within a row it sums up to C ≤ 2048 terms of one sign (plain vectorized
    /// sums, relative error ≤ C·2^-53 ≈ 2.3e-13) and across rows it uses compensated summation. 1e-12 covers that with
    /// margin and still catches any real algebra, indexing or normalizer error (the mutants tried while writing this
    /// suite were off by 1e-10 or far more). The absolute floor 1e-15 (about 4.5 ulp of 1) covers O(1) quantities
    /// that cancel to near zero; losses whose error is absolute (a log of a sum) get a larger, derived floor from
    /// <see cref="Floors"/>.
    /// </summary>
    public static Tol Double { get; } = new(1e-12, 1e-15);

    /// <summary>
    /// Float32 results: the kernel computes in double and rounds once (relative 2^-24 ≈ 6e-8), and float inputs
    /// such as a float log-softmax fed back into NLL add one more rounding each; 1e-5 relative / 1e-6 absolute is
    /// two orders of magnitude above that and still far below any real error.
    /// </summary>
    public static Tol Float { get; } = new(1e-5, 1e-6);

    /// <summary>The preset for the element type under test.</summary>
    public static Tol Of<T>()
        where T : IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Float : Double;

    /// <summary>The same tolerance with its absolute floor raised to at least <paramref name="absolute"/>.</summary>
    public Tol WithFloor(double absolute) => this with { Absolute = Math.Max(Absolute, absolute) };

    /// <summary>The same tolerance with <paramref name="relative"/> added to the relative part.</summary>
    public Tol PlusRelative(double relative) => this with { Relative = Relative + relative };

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"(relative {Relative:G3}, absolute {Absolute:G3})");
}

/// <summary>The one comparison helper of the suite, plus the unit roundoffs the tolerances are derived from.</summary>
public static class Tolerance
{
    /// <summary>2^-53: the relative rounding error of one float64 operation.</summary>
    public const double UnitRoundoffDouble = 1.1102230246251565e-16;

    /// <summary>2^-24: the relative rounding error of rounding to float32.</summary>
    public const double UnitRoundoffFloat = 5.9604644775390625e-08;

    public static double UnitRoundoff<T>()
        where T : IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? UnitRoundoffFloat : UnitRoundoffDouble;

    /// <summary>
    /// NaN is close only to NaN; an infinity only to the same infinity; finite values when
    /// |a − b| ≤ max(absolute, relative · max(|a|, |b|)). A NaN tolerance (e.g. a floor divided by a zero normalizer)
    /// accepts nothing but two NaNs.
    /// </summary>
    public static bool AreClose(double expected, double actual, Tol tol)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual))
        {
            return double.IsNaN(expected) && double.IsNaN(actual);
        }

        if (double.IsInfinity(expected) || double.IsInfinity(actual))
        {
            return expected == actual;
        }

        double difference = Math.Abs(expected - actual);
        double scale = Math.Max(Math.Abs(expected), Math.Abs(actual));
        return difference <= Math.Max(tol.Absolute, tol.Relative * scale);
    }

    public static void AssertClose(double expected, double actual, Tol tol, string what)
    {
        if (!AreClose(expected, actual, tol))
        {
            throw new PropertyFailedException(
                $"{what}: expected {R(expected)}, actual {R(actual)}, difference {R(Math.Abs(expected - actual))}, allowed {tol}.");
        }
    }

    /// <summary>Element-wise <see cref="AssertClose"/>; <paramref name="floors"/> (if given) raises the absolute floor per element.</summary>
    public static void AssertAllClose(double[] expected, double[] actual, Tol tol, string what, double[]? floors = null)
    {
        if (expected.Length != actual.Length)
        {
            throw new PropertyFailedException($"{what}: expected {expected.Length} values, got {actual.Length}.");
        }

        for (int i = 0; i < expected.Length; i++)
        {
            Tol t = floors is null ? tol : tol.WithFloor(floors[i]);
            if (!AreClose(expected[i], actual[i], t))
            {
                throw new PropertyFailedException(
                    $"{what} [{i}]: expected {R(expected[i])}, actual {R(actual[i])}, difference {R(Math.Abs(expected[i] - actual[i]))}, allowed {t}.");
            }
        }
    }

    /// <summary>actual ≥ bound, or close to it within <paramref name="tol"/>. NaN never passes.</summary>
    public static void AssertAtLeast(double actual, double bound, Tol tol, string what)
    {
        if (double.IsNaN(actual) || double.IsNaN(bound) || (actual < bound && !AreClose(bound, actual, tol)))
        {
            throw new PropertyFailedException(
                $"{what}: expected at least {R(bound)}, actual {R(actual)}, short by {R(bound - actual)}, allowed {tol}.");
        }
    }

    /// <summary>actual ≤ bound, or close to it within <paramref name="tol"/>. NaN never passes.</summary>
    public static void AssertAtMost(double actual, double bound, Tol tol, string what)
    {
        if (double.IsNaN(actual) || double.IsNaN(bound) || (actual > bound && !AreClose(bound, actual, tol)))
        {
            throw new PropertyFailedException(
                $"{what}: expected at most {R(bound)}, actual {R(actual)}, over by {R(actual - bound)}, allowed {tol}.");
        }
    }

    /// <summary>A plain condition with a message (for exact laws such as 0 ≤ p ≤ 1).</summary>
    public static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new PropertyFailedException(message);
        }
    }

    public static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Thrown by the assertions of this suite; FsCheck reports it together with the generated case.</summary>
public sealed class PropertyFailedException : Exception
{
    public PropertyFailedException(string message)
        : base(message)
    {
    }

    public PropertyFailedException()
    {
    }

    public PropertyFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
