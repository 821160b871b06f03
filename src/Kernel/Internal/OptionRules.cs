using System;

namespace Xent.Internal;

/// <summary>
/// The rules of the loss options, each once: the kernel's arguments, <see cref="CrossEntropyOptions{T}"/> and the facade
/// call these. Each returns the value when it is valid and otherwise throws an <see cref="ArgumentOutOfRangeException"/>
/// naming <c>paramName</c> and carrying the value (which the runtime prints once, as "Actual value was …").
/// </summary>
internal static class OptionRules
{
    /// <summary>None, Mean or Sum: the reductions of every loss but the KL divergence (which adds BatchMean).</summary>
    public static Reduction Reduction(Reduction value, string paramName) =>
        value is Xent.Reduction.None or Xent.Reduction.Mean or Xent.Reduction.Sum
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, value == Xent.Reduction.BatchMean
                ? "Reduction.BatchMean is defined for the KL divergence only; this loss takes None, Mean or Sum."
                : "Reduction must be None, Mean or Sum.");

    /// <summary>ε in [0, 1]; NaN fails.</summary>
    public static double LabelSmoothing(double value, string paramName) =>
        value >= 0.0 && value <= 1.0
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, "Label smoothing must be between 0.0 and 1.0.");

    /// <summary>λ finite and at least 0.</summary>
    public static double ZLossScale(double value, string paramName) =>
        value >= 0.0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, "The z-loss scale must be finite and at least 0.");

    /// <summary>A cap finite and positive, or 0 for none.</summary>
    public static double SoftCap(double value, string paramName) =>
        value >= 0.0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, "The soft cap must be finite and positive, or 0 for none.");

    /// <summary>NaN or Zero.</summary>
    public static EmptyMean EmptyMean(EmptyMean value, string paramName) =>
        value is Xent.EmptyMean.NaN or Xent.EmptyMean.Zero
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, "EmptyMean must be NaN or Zero.");
}
