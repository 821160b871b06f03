using System;
using System.Numerics;

namespace Xent;

/// <summary>
/// A mergeable log-sum-exp: the pair (m, s) stands for log Σ exp(xₖ) = m + log s over a set of values, with m their
/// maximum and s = Σ exp(xₖ − m) ≥ 1 the sum scaled by it. States of disjoint parts of a row merge into the state of
/// their union (<see cref="Merge(LogSumExpState, LogSumExpState)"/>), in any order and grouping, so a row split into
/// shards (vocabulary-parallel training) or read as a stream of chunks gives the log-sum-exp of the whole row.
/// </summary>
/// <remarks>
/// <para>The empty state is <c>default</c>: s = 0 (and m = 0 by convention), log-sum-exp −∞. Values that are all −∞
/// give the empty state too. Every state with s = 0 is stored as <c>default</c>, so merging is commutative bit for
/// bit and the empty state is its identity.</para>
/// <para>Merging rounds once per merge in double: (m, s) ⊕ (m′, s′) = (M, s·exp(m − M) + s′·exp(m′ − M)) with
/// M = max(m, m′). Any grouping of the same parts agrees to within a few double ulps, far below float or half
/// precision; the order of the two operands never matters.</para>
/// <para>Special values follow cross entropy (PyTorch's <c>log_softmax</c>), not <c>torch.logsumexp</c>: a NaN or a
/// +∞ anywhere makes s NaN, so <see cref="Value"/> is NaN; −∞ entries contribute nothing.</para>
/// </remarks>
/// <param name="Max">m, the largest value seen (0 in the empty state); NaN if a NaN was seen.</param>
/// <param name="Sum">s = Σ exp(xₖ − m): at least 1 when any value is finite, 0 in the empty state, NaN after a NaN or +∞.</param>
public readonly record struct LogSumExpState(double Max, double Sum)
{
    /// <summary>The empty state (no values, or only −∞): log-sum-exp −∞. Equal to <c>default</c>.</summary>
    public static LogSumExpState Empty => default;

    /// <summary>Whether the state holds no finite value: s = 0, log-sum-exp −∞.</summary>
    public bool IsEmpty => Sum == 0.0;

    /// <summary>log Σ exp(xₖ) = m + log s: −∞ for the empty state, NaN after a NaN or +∞.</summary>
    public double Value => IsEmpty ? double.NegativeInfinity : Max + Math.Log(Sum);

    /// <summary>
    /// The state of <paramref name="values"/>: m = max values, s = Σ exp(xₖ − m), accumulated in double.
    /// </summary>
    /// <typeparam name="T">float, double, Half or any IEEE 754 type; values are converted to double.</typeparam>
    /// <param name="values">Any number of values, including none (the empty state).</param>
    /// <returns>The state; NaN in s when a value is NaN or +∞; the empty state when every value is −∞.</returns>
    public static LogSumExpState Of<T>(ReadOnlySpan<T> values)
        where T : IFloatingPointIeee754<T>
    {
        double max = double.NegativeInfinity;
        foreach (T value in values)
        {
            max = Math.Max(max, double.CreateTruncating(value));
        }

        if (double.IsNegativeInfinity(max))
        {
            return default;
        }

        double sum = 0.0;
        foreach (T value in values)
        {
            sum += Math.Exp(double.CreateTruncating(value) - max);
        }

        return new LogSumExpState(max, sum);
    }

    /// <summary>
    /// The state of the union of two disjoint sets of values: (M, s·exp(m − M) + s′·exp(m′ − M)) with M = max(m, m′).
    /// Commutative bit for bit; associative to within a few double ulps; <see cref="Empty"/> is the identity.
    /// </summary>
    /// <param name="left">One part's state.</param>
    /// <param name="right">The other part's state.</param>
    /// <returns>The merged state; NaN propagates.</returns>
    public static LogSumExpState Merge(LogSumExpState left, LogSumExpState right)
    {
        if (left.IsEmpty)
        {
            return right.IsEmpty ? default : right;
        }

        if (right.IsEmpty)
        {
            return left;
        }

        double max = Math.Max(left.Max, right.Max);
        // exp(m − M) is exactly 1 for the part holding the maximum; the other part is scaled down.
        double sum = left.Sum * Math.Exp(left.Max - max) + right.Sum * Math.Exp(right.Max - max);
        return new LogSumExpState(max, sum);
    }

    /// <summary>This state merged with <paramref name="other"/>: <see cref="Merge(LogSumExpState, LogSumExpState)"/>.</summary>
    /// <param name="other">The state of values disjoint from this state's.</param>
    /// <returns>The state of the union.</returns>
    public LogSumExpState Merge(LogSumExpState other) => Merge(this, other);
}
