using System;

namespace Xent;

/// <summary>
/// What one shard of a row's classes contributes to that row's cross entropy (vocabulary-parallel training, or a row
/// read as a stream of class chunks): the mergeable log-sum-exp of its (soft-capped) logits, its largest logit and
/// where it is, the target's logit if the target falls in the shard, and the sum of its logits (for label smoothing).
/// Partials of disjoint shards merge (<see cref="Merge(CrossEntropyPartial, CrossEntropyPartial)"/>) into the partial
/// of their union; once every shard is merged, the row's loss, z-loss, prediction and gradient follow exactly as from
/// the whole row (<see cref="Functional.CrossEntropyFromPartials{T, TLabel}(ReadOnlySpan{CrossEntropyPartial}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{int})"/>, <see cref="Functional.CrossEntropyShardGradient{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, ReadOnlySpan{CrossEntropyPartial}, Span{T}, int, int, int, CrossEntropyOptions{T}?, ReadOnlySpan{T})"/>).
/// </summary>
/// <remarks>
/// <para><c>default</c> is the empty partial (no class seen) and the identity of the merge. Merging is commutative bit
/// for bit; it is associative bit for bit in everything but the two sums (<see cref="LogSumExpState.Sum"/> and
/// <see cref="LogitSum"/>), which any grouping gives to within a few double ulps.</para>
/// <para>The prediction follows <c>torch.argmax</c>: the largest logit wins, NaN counts as the largest, and of equal
/// values the lowest class index wins, so the merged prediction is the whole row's whatever the sharding.</para>
/// </remarks>
public readonly record struct CrossEntropyPartial
{
    private readonly int _argMaxPlusOne;

    /// <summary>Creates a partial from its parts (normally written by <see cref="Functional.CrossEntropyShard{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, Span{CrossEntropyPartial}, int, int, int, CrossEntropyOptions{T}?)"/>).</summary>
    /// <param name="logSumExp">The mergeable log-sum-exp of the shard's logits.</param>
    /// <param name="maxLogit">The largest logit of the shard (NaN if it holds one); ignored when <paramref name="argMax"/> is −1.</param>
    /// <param name="argMax">The global class index of the largest logit (the first one), or −1 for an empty shard.</param>
    /// <param name="targetLogit">The target's logit if the target falls in the shard, otherwise 0.</param>
    /// <param name="logitSum">Σ of the shard's logits, each times its class weight when there are class weights (used by label smoothing; 0 when not computed).</param>
    /// <param name="classes">How many classes the shard covers (merging adds them up: a finished row must cover all C).</param>
    /// <param name="coverage">The fingerprint of the shard's classes, <see cref="CoverageOf(int, int)"/>(offset, count).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="argMax"/> is less than −1 or <paramref name="classes"/> is negative.</exception>
    public CrossEntropyPartial(LogSumExpState logSumExp, double maxLogit, int argMax, double targetLogit, double logitSum, int classes, ulong coverage)
    {
        Coverage = coverage;
        ArgumentOutOfRangeException.ThrowIfLessThan(argMax, -1);
        ArgumentOutOfRangeException.ThrowIfNegative(classes);
        Classes = classes;
        LogSumExp = logSumExp;
        MaxLogit = argMax < 0 ? 0.0 : maxLogit;
        _argMaxPlusOne = argMax + 1;
        TargetLogit = targetLogit;
        LogitSum = logitSum;
    }

    /// <summary>The empty partial, equal to <c>default</c>.</summary>
    public static CrossEntropyPartial Empty => default;

    /// <summary>The mergeable log-sum-exp (m, s) of the logits seen (after soft-capping, when it is on).</summary>
    public LogSumExpState LogSumExp { get; }

    /// <summary>The largest logit seen (NaN if any was NaN); 0 when <see cref="ArgMax"/> is −1.</summary>
    public double MaxLogit { get; }

    /// <summary>The global class index of the largest logit (the lowest such index), or −1 if no class was seen.</summary>
    public int ArgMax => _argMaxPlusOne - 1;

    /// <summary>The target's logit if the target's class was seen, otherwise 0 (shards that lack it add 0).</summary>
    public double TargetLogit { get; }

    /// <summary>
    /// How many classes the partial covers: the sum over the merged shards. Finishing a row checks that it is C.
    /// </summary>
    public int Classes { get; }

    /// <summary>
    /// A 64-bit fingerprint of the set of classes covered: the sum (modulo 2⁶⁴) of a hash of each class index, added up
    /// by merging. Finishing a row checks it against the fingerprint of all C classes, so a missing shard, a shard merged
    /// twice or overlapping shards are refused even when the class count comes out right (unless the hashes collide,
    /// with a chance of about 2⁻⁶⁴).
    /// </summary>
    public ulong Coverage { get; }

    /// <summary>
    /// The fingerprint of the classes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>):
    /// Σⱼ h(j) modulo 2⁶⁴, with h the SplitMix64 finalizer. The fingerprints of disjoint sets add up to that of their union.
    /// </summary>
    /// <param name="offset">The first class index, at least 0.</param>
    /// <param name="count">The number of classes, at least 0.</param>
    /// <returns>The fingerprint (0 for no class).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is negative.</exception>
    public static ulong CoverageOf(int offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ulong sum = 0;
        for (long j = offset; j < (long)offset + count; j++)
        {
            ulong z = (ulong)j + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            sum += z ^ (z >> 31);
        }

        return sum;
    }

    /// <summary>Σ of the logits seen, each times its class weight when the options have class weights, for label smoothing (0 when the shard was computed without smoothing).</summary>
    public double LogitSum { get; }

    /// <summary>
    /// The partial of the union of two disjoint shards of the same row: log-sum-exp states merged, the larger maximum
    /// kept (NaN the largest, the lower index on ties), target logits, logit sums, class counts and coverage fingerprints added.
    /// </summary>
    /// <param name="left">One shard's partial.</param>
    /// <param name="right">Another shard's partial, of classes disjoint from <paramref name="left"/>'s.</param>
    /// <returns>The merged partial; <see cref="Empty"/> is the identity.</returns>
    public static CrossEntropyPartial Merge(CrossEntropyPartial left, CrossEntropyPartial right)
    {
        int argMax;
        double maxLogit;
        if (left.ArgMax < 0 || (right.ArgMax >= 0 && RightWins(left, right)))
        {
            argMax = right.ArgMax;
            maxLogit = right.MaxLogit;
        }
        else
        {
            argMax = left.ArgMax;
            maxLogit = left.MaxLogit;
        }

        return new CrossEntropyPartial(
            LogSumExpState.Merge(left.LogSumExp, right.LogSumExp),
            maxLogit,
            argMax,
            left.TargetLogit + right.TargetLogit,
            left.LogitSum + right.LogitSum,
            left.Classes + right.Classes,
            left.Coverage + right.Coverage);
    }

    /// <summary>This partial merged with <paramref name="other"/>: <see cref="Merge(CrossEntropyPartial, CrossEntropyPartial)"/>.</summary>
    /// <param name="other">The partial of a disjoint shard of the same row.</param>
    /// <returns>The merged partial.</returns>
    public CrossEntropyPartial Merge(CrossEntropyPartial other) => Merge(this, other);

    /// <summary>torch.argmax's order: NaN above everything, then by value, then the lower index first.</summary>
    private static bool RightWins(CrossEntropyPartial left, CrossEntropyPartial right)
    {
        bool leftNaN = double.IsNaN(left.MaxLogit);
        bool rightNaN = double.IsNaN(right.MaxLogit);
        if (leftNaN || rightNaN)
        {
            return rightNaN && (!leftNaN || right.ArgMax < left.ArgMax);
        }

        return right.MaxLogit > left.MaxLogit || (right.MaxLogit == left.MaxLogit && right.ArgMax < left.ArgMax);
    }
}
