using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Xent.Internal;

/// <summary>
/// Throw helpers whose names read as the condition that failed. An <see cref="ArgumentOutOfRangeException"/> carries
/// the value it refuses as its <see cref="ArgumentOutOfRangeException.ActualValue"/>, which the runtime prints once
/// ("Actual value was …"); its message states the rule without repeating the value.
/// </summary>
internal static class ThrowHelper
{
    private static string Str(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    [DoesNotReturn]
    public static void ClassesNotPositive(int classes, string paramName = "classes") =>
        throw new ArgumentOutOfRangeException(paramName, classes,
            "The class dimension must hold at least one class.");

    [DoesNotReturn]
    public static void InnerNotPositive(int inner) =>
        throw new ArgumentOutOfRangeException(nameof(inner), inner,
            $"The number of positions per class (inner, the product of the dimensions after the class dimension) must be at least 1.");

    [DoesNotReturn]
    public static void InputLengthNotWholeRows(int length, int classes, int inner, string paramName = "input") =>
        throw new ArgumentException(
            $"Input has {length} elements, which is not a whole number of blocks of {classes} classes × {inner} positions ({(long)classes * inner} elements).",
            paramName);

    [DoesNotReturn]
    public static void TargetLengthMismatch(int targetLength, int positions) =>
        throw new ArgumentException(
            $"Expected one target per position: the input has {positions} positions (batch × spatial) but target has {targetLength} elements.",
            "target");

    [DoesNotReturn]
    public static void ProbabilityTargetShapeMismatch(int targetLength, int inputLength, int positions) =>
        throw new ArgumentException(
            $"A probability target must have the input's shape: input has {inputLength} elements but target has {targetLength}."
            + (targetLength == positions
                ? " That is one value per position: class indices must be passed as integers (int, long, byte, ushort), not as floating-point values."
                : string.Empty),
            "target");

    [DoesNotReturn]
    public static void WeightLengthMismatch(int weightLength, int classes) =>
        throw new ArgumentException(
            $"Weight must hold one value per class ({classes}) or be empty; got {weightLength} values.",
            "weight");

    /// <summary>A class-index target of any integer type, shown as <paramref name="shown"/>, is neither a class nor the ignore index.</summary>
    [DoesNotReturn]
    public static void TargetOutOfRange(string shown, int classes, int position, object target) =>
        throw new ArgumentOutOfRangeException("target", target,
            $"Target {shown} at position {position} is out of bounds for {classes} classes: targets are 0-based class indices in [0, {classes}), or the ignore index.");

    [DoesNotReturn]
    public static void DestinationTooShort(int destinationLength, int required) =>
        throw new ArgumentException(
            $"Destination is too short: {required} values are written but it holds {destinationLength}.",
            "destination");

    [DoesNotReturn]
    public static void DestinationOverlaps(string otherName) =>
        throw new ArgumentException(
            $"Destination must not overlap {otherName}.", "destination");

    [DoesNotReturn]
    public static void DestinationOverlapsInputPartially() =>
        throw new ArgumentException(
            "Destination may be the input itself (same start) but must not overlap it partially.", "destination");

    /// <summary>An optional output (losses, log-sum-exps, predictions) is neither empty nor long enough.</summary>
    [DoesNotReturn]
    public static void OutputTooShort(string name, int length, long required, string unit) =>
        throw new ArgumentException($"{name} must be empty or hold one value per {unit} ({required}); it holds {length}.", name);

    /// <summary>The gradient overlaps the input without being the input itself.</summary>
    [DoesNotReturn]
    public static void GradientOverlapsInputPartially() =>
        throw new ArgumentException("The gradient may be the input itself (in-place) but must not overlap it otherwise.", "gradient");

    [DoesNotReturn]
    public static void GradientTooShort(int gradientLength, long required) =>
        throw new ArgumentException(
            $"Gradient is too short: it receives one value per input element ({required}) but holds {gradientLength}.",
            "gradient");

    [DoesNotReturn]
    public static void GradOutputLengthMismatch(int gradOutputLength, int required) =>
        throw new ArgumentException(
            $"gradOutput must hold one upstream gradient per output value ({required}); got {gradOutputLength}.",
            "gradOutput");

    [DoesNotReturn]
    public static void Overlaps(string paramName, string otherName) =>
        throw new ArgumentException($"{paramName} must not overlap {otherName}.", paramName);

    [DoesNotReturn]
    public static void EmptyInput(string paramName) =>
        throw new ArgumentException("The input must hold at least one element (a class dimension of size 0 is refused).", paramName);
}
