using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Xent.Internal;

/// <summary>
/// Throw helpers of <see cref="Information"/>, named as the condition that failed. Every message names the parameter,
/// the rule and the value received.
/// </summary>
internal static class InformationThrowHelper
{
    private static string Str(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The shortest round-trip text of a probability in its own type (a float −0.1 prints as -0.1).</summary>
    private static string Str<T>(T value)
        where T : IFormattable =>
        value.ToString(null, CultureInfo.InvariantCulture);

    [DoesNotReturn]
    public static void EmptyDistribution(string paramName) =>
        throw new ArgumentException(
            $"A distribution must hold at least one probability; {paramName} is empty.", paramName);

    [DoesNotReturn]
    public static void LengthMismatch(int pLength, int qLength) =>
        throw new ArgumentException(
            $"p and q must hold one probability per class each: p has {pLength} classes but q has {qLength}.", "q");

    [DoesNotReturn]
    public static void LogBaseOutOfRange(double logBase) =>
        throw new ArgumentOutOfRangeException("logBase", logBase,
            $"The logarithm base must be finite and greater than 1 (Information.Nats = e, Information.Bits = 2).");

    [DoesNotReturn]
    public static void NegativeProbability<T>(string paramName, int index, T value)
        where T : IFormattable =>
        throw new ArgumentOutOfRangeException(paramName, value,
            $"{paramName}[{index}] is {Str(value)}; probabilities must be non-negative.");

    [DoesNotReturn]
    public static void NaNProbability<T>(string paramName, int index, T value)
        where T : IFormattable =>
        throw new ArgumentOutOfRangeException(paramName, value,
            $"{paramName}[{index}] is NaN; probabilities must be non-negative numbers.");

    [DoesNotReturn]
    public static void InfiniteProbability<T>(string paramName, int index, T value)
        where T : IFormattable =>
        throw new ArgumentOutOfRangeException(paramName, value,
            $"{paramName}[{index}] is {Str(value)}; probabilities must be finite.");

    [DoesNotReturn]
    public static void GradientTooShort(string paramName, int length, int required) =>
        throw new ArgumentException(
            $"{paramName} is too short: it receives one value per class ({required}) but holds {length}.", paramName);

    [DoesNotReturn]
    public static void Overlaps(string paramName, string otherName) =>
        throw new ArgumentException($"{paramName} must not overlap {otherName}.", paramName);
}
