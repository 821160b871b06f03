using System;
using System.Numerics;
using Xent.Internal;
using Xent.Internal.Rows;
using Xent.Internal.Vectors;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// The partials of one shard of the classes (vocabulary-parallel training, or one chunk of a stream): for each row n,
    /// the mergeable log-sum-exp of zₙⱼ over the shard's classes j ∈ [offset, offset + S), their largest value and its
    /// global class index, zₙ,yₙ if yₙ falls in the shard, and Σⱼ zₙⱼ when label smoothing is on, with
    /// zₙⱼ = cap·tanh(xₙⱼ / cap) (or xₙⱼ). Merge the partials of every shard
    /// (<see cref="MergeCrossEntropyPartials(ReadOnlySpan{CrossEntropyPartial}, Span{CrossEntropyPartial})"/>), then finish with <see cref="CrossEntropyFromPartials(ReadOnlySpan{CrossEntropyPartial}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/> and
    /// <see cref="CrossEntropyShardGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{CrossEntropyPartial}, Span{T}, int, int, int, CrossEntropyOptions?, double)"/>: the results equal those of the whole row.
    /// </summary>
    /// <typeparam name="T">float, double or Half (any IEEE 754 type); computed in double.</typeparam>
    /// <param name="shard">The shard's logits, (N, S) row-major: row n holds classes offset … offset + S − 1 of row n.</param>
    /// <param name="target">The N global targets, in [0, <paramref name="classes"/>) or equal to the ignore index.</param>
    /// <param name="partials">Receives one partial per row (N values); ignored rows get <see cref="CrossEntropyPartial.Empty"/>.</param>
    /// <param name="classes">C, the size of the whole class dimension, at least 1.</param>
    /// <param name="shardOffset">The global index of the shard's first class, in [0, C).</param>
    /// <param name="shardClasses">S, the number of classes in the shard, at least 1, with offset + S ≤ C.</param>
    /// <param name="options">The options (the soft cap, ignore index and label smoothing matter here); null for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="shardClasses"/> is less than 1; the shard does not fit in [0, C); a target is out of range.</exception>
    /// <exception cref="ArgumentException">The shard's length is not N × S; <paramref name="partials"/> is shorter than N.</exception>
    public static void CrossEntropyShard<T>(
        ReadOnlySpan<T> shard,
        ReadOnlySpan<int> target,
        Span<CrossEntropyPartial> partials,
        int classes,
        int shardOffset,
        int shardClasses,
        CrossEntropyOptions? options = null)
        where T : IFloatingPointIeee754<T>
    {
        options ??= CrossEntropyOptions.Default;
        ValidateShard(shard.Length, target, classes, shardOffset, shardClasses, options);
        if (partials.Length < target.Length)
        {
            throw new ArgumentException($"Partials must hold one entry per row ({target.Length}); it holds {partials.Length}.", nameof(partials));
        }

        ShardPartials(shard, target, partials, shardOffset, shardClasses, options);
    }

    /// <summary>
    /// Each counted row's partial from the row engine's exact statistic pass (in double): the log-sum-exp state (m, S),
    /// the maximum and its global index, the target logit if the target is in the shard, and Σ z with smoothing.
    /// </summary>
    private static unsafe void ShardPartials<T>(
        ReadOnlySpan<T> shard, ReadOnlySpan<int> target, Span<CrossEntropyPartial> partials, int shardOffset, int shardClasses, CrossEntropyOptions options)
        where T : IFloatingPointIeee754<T>
    {
        bool smoothing = options.LabelSmoothing > 0.0;
        ulong coverage = CrossEntropyPartial.CoverageOf(shardOffset, shardClasses);
        var coefficients = new Coefficients(smoothing ? CoefficientKind.Uniform : CoefficientKind.None, null, 0.0, 0.0);
        nint rowBytes = (nint)shardClasses * Elements<T>.Size;
        fixed (byte* x = &AsBytes(shard))
        {
            for (int n = 0; n < target.Length; n++)
            {
                int t = target[n];
                if (t == options.IgnoreIndex)
                {
                    partials[n] = default;
                    continue;
                }

                byte* row = x + n * rowBytes;
                RowStatistics s = Width.Bits switch
                {
                    512 => RowStatisticsPass.Exact<T, Double512>(row, shardClasses, coefficients, null, options.SoftCap, findArgMax: true),
                    256 => RowStatisticsPass.Exact<T, Double256>(row, shardClasses, coefficients, null, options.SoftCap, findArgMax: true),
                    _ => RowStatisticsPass.Exact<T, Double128>(row, shardClasses, coefficients, null, options.SoftCap, findArgMax: true),
                };
                int local = t - shardOffset;
                double targetLogit = (uint)local < (uint)shardClasses ? RowStatisticsPass.Cap(Elements<T>.Read(row, local), options.SoftCap) : 0.0;
                bool empty = double.IsNegativeInfinity(s.Max);
                LogSumExpState state = empty ? default : new LogSumExpState(s.Max, s.SumExp);
                double logitSum = !smoothing ? 0.0 : empty ? double.NegativeInfinity : s.Linear + shardClasses * s.Max;
                partials[n] = new CrossEntropyPartial(state, s.Max, shardOffset + s.ArgMax, targetLogit, logitSum, shardClasses, coverage);
            }
        }
    }

    /// <summary>
    /// Merges the partials of another shard into an accumulator, row by row:
    /// accumulator[n] = <see cref="CrossEntropyPartial.Merge(CrossEntropyPartial, CrossEntropyPartial)"/>(accumulator[n], source[n]).
    /// Start from <c>default</c> (empty) partials; the order in which shards are merged does not matter.
    /// </summary>
    /// <param name="source">One shard's partials, N values.</param>
    /// <param name="accumulator">The partials merged so far, N values; updated in place (that is its purpose).</param>
    /// <exception cref="ArgumentException">The two spans differ in length, or overlap other than exactly.</exception>
    public static void MergeCrossEntropyPartials(ReadOnlySpan<CrossEntropyPartial> source, Span<CrossEntropyPartial> accumulator)
    {
        if (source.Length != accumulator.Length)
        {
            throw new ArgumentException(
                $"The accumulator must hold one partial per row of the source ({source.Length}); it holds {accumulator.Length}.", nameof(accumulator));
        }

        if (source.Overlaps(accumulator, out int elementOffset) && elementOffset != 0)
        {
            throw new ArgumentException(
                $"The accumulator overlaps the source shifted by {elementOffset} rows: a row would be merged with another row's partial.", nameof(accumulator));
        }

        for (int n = 0; n < source.Length; n++)
        {
            accumulator[n] = CrossEntropyPartial.Merge(accumulator[n], source[n]);
        }
    }

    /// <summary>
    /// Finishes rows from their merged partials: lseₙ = mₙ + log sₙ, ℓₙ = (1 − ε)·(lseₙ − zₙ,yₙ) + ε·(lseₙ − Σⱼ zₙⱼ / C)
    /// + λ·lseₙ², the z-loss, the prediction and whether it is right, reduced over the counted rows exactly as
    /// <see cref="CrossEntropyDetailed{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/>
    /// reduces them.
    /// </summary>
    /// <param name="partials">One merged partial per row (N values), each covering all C classes (ignored rows: anything).</param>
    /// <param name="target">The N global targets, in [0, C) or equal to the ignore index.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="options">The options; use the ones the shards were computed with. Null for the defaults.</param>
    /// <param name="rows">Empty, or at least N entries that receive each row's results.</param>
    /// <returns>The summary: reduced loss (z-loss included), reduced z-loss, counted rows, correct predictions, accuracy.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is less than 1; a target is out of range.</exception>
    /// <exception cref="ArgumentException">The partials are not one per target; a counted row's partial does not cover each of the C classes exactly once (a shard is missing, merged twice, or overlaps another; checked by count and by <see cref="CrossEntropyPartial.Coverage"/>); <paramref name="rows"/> is too short.</exception>
    /// <remarks>The sums run in row order on the calling thread; they equal the whole-row results to within a few double ulps.</remarks>
    public static CrossEntropySummary CrossEntropyFromPartials(
        ReadOnlySpan<CrossEntropyPartial> partials,
        ReadOnlySpan<int> target,
        int classes,
        CrossEntropyOptions? options = null,
        Span<CrossEntropyRow> rows = default)
    {
        options ??= CrossEntropyOptions.Default;
        if (classes < 1)
        {
            ThrowHelper.ClassesNotPositive(classes);
        }

        long count = ValidateDetailed(target.Length, classes, target, options, rows);
        ValidatePartials(partials, target, classes, options.IgnoreIndex);
        var job = new LossRowsJob
        {
            Kind = TargetKind.Index,
            Classes = classes,
            Keep = 1.0 - options.LabelSmoothing,
            Spread = options.LabelSmoothing / classes,
            Smoothing = options.LabelSmoothing > 0.0,
            ZScale = options.ZLossScale,
        };
        CompensatedSum loss = default;
        CompensatedSum zLoss = default;
        long correct = 0;
        for (int n = 0; n < target.Length; n++)
        {
            int t = target[n];
            if (t == options.IgnoreIndex)
            {
                if (!rows.IsEmpty)
                {
                    rows[n] = CrossEntropyRow.OfIgnored;
                }

                continue;
            }

            CrossEntropyPartial partial = partials[n];
            RowStatistics s = RowStatistics.OfMerged(partial.LogSumExp, partial.LogitSum, classes, partial.ArgMax);
            CrossEntropyRow row = LossRows.DetailOf(job, s, partial.TargetLogit - s.Max, 1.0, t);
            if (!rows.IsEmpty)
            {
                rows[n] = row;
            }

            loss.Add(row.Loss);
            zLoss.Add(row.ZLoss);
            correct += row.Correct ? 1 : 0;
        }

        return Summarize(new DetailedSums(loss.Value, zLoss.Value, correct), count, options);
    }

    /// <summary>
    /// One shard's part of the gradient, from the rows' merged partials: for j in the shard,
    /// ∂L/∂xₙⱼ = g·s·(1 − (zₙⱼ / cap)²)·(exp(zₙⱼ − lseₙ)·(1 + 2λ·lseₙ) − ε / C − (1 − ε)·[j = yₙ]), with lseₙ from
    /// the merged partial, s = 1 / n (mean over the n counted rows) or 1 (sum), g = <paramref name="gradOutput"/>;
    /// ignored rows get 0. The shards' gradients, side by side, are the whole row's gradient.
    /// </summary>
    /// <typeparam name="T">float, double or Half (any IEEE 754 type); computed in double.</typeparam>
    /// <param name="shard">The shard's logits, (N, S) row-major.</param>
    /// <param name="target">The N global targets.</param>
    /// <param name="partials">The N merged partials (every shard merged), as passed to <see cref="CrossEntropyFromPartials(ReadOnlySpan{CrossEntropyPartial}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/>.</param>
    /// <param name="gradient">Receives the shard's gradient, (N, S) row-major; must not overlap <paramref name="shard"/>.</param>
    /// <param name="classes">C, the size of the whole class dimension.</param>
    /// <param name="shardOffset">The global index of the shard's first class.</param>
    /// <param name="shardClasses">S, the number of classes in the shard.</param>
    /// <param name="options">The options the partials were computed with; null for the defaults.</param>
    /// <param name="gradOutput">g, the upstream gradient of the reduced loss (1 by default).</param>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="CrossEntropyShard{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{CrossEntropyPartial}, int, int, int, CrossEntropyOptions?)"/>.</exception>
    /// <exception cref="ArgumentException">As <see cref="CrossEntropyShard{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{CrossEntropyPartial}, int, int, int, CrossEntropyOptions?)"/> and <see cref="CrossEntropyFromPartials(ReadOnlySpan{CrossEntropyPartial}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/>; also <paramref name="gradient"/> is too short or overlaps <paramref name="shard"/>. Nothing is written when an exception is thrown.</exception>
    public static void CrossEntropyShardGradient<T>(
        ReadOnlySpan<T> shard,
        ReadOnlySpan<int> target,
        ReadOnlySpan<CrossEntropyPartial> partials,
        Span<T> gradient,
        int classes,
        int shardOffset,
        int shardClasses,
        CrossEntropyOptions? options = null,
        double gradOutput = 1.0)
        where T : IFloatingPointIeee754<T>
    {
        options ??= CrossEntropyOptions.Default;
        long count = ValidateShard(shard.Length, target, classes, shardOffset, shardClasses, options);
        ValidatePartials(partials, target, classes, options.IgnoreIndex);
        ValidateDetailedGradient(gradient, shard);
        double scale = GradientScale(options, count, gradOutput);
        ShardGradient(shard, target, partials, gradient, classes, shardOffset, shardClasses, options, scale);
    }

    /// <summary>
    /// Each row's part of the gradient through the row engine's one gradient writer, with the merged state (M, S):
    /// exp(z − M) ≤ 1 for every shard's logits, so no exponent overflows and no 0·∞ arises from a large lse.
    /// </summary>
    private static unsafe void ShardGradient<T>(
        ReadOnlySpan<T> shard, ReadOnlySpan<int> target, ReadOnlySpan<CrossEntropyPartial> partials, Span<T> gradient,
        int classes, int shardOffset, int shardClasses, CrossEntropyOptions options, double scale)
        where T : IFloatingPointIeee754<T>
    {
        double smoothing = options.LabelSmoothing;
        var coefficients = new Coefficients(smoothing > 0.0 ? CoefficientKind.Uniform : CoefficientKind.None, null, 0.0, 0.0);
        nint rowBytes = (nint)shardClasses * Elements<T>.Size;
        fixed (byte* x = &AsBytes(shard))
        fixed (byte* gradientStart = &AsBytes((ReadOnlySpan<T>)gradient))
        {
            for (int n = 0; n < target.Length; n++)
            {
                int t = target[n];
                byte* g = gradientStart + n * rowBytes;
                if (t == options.IgnoreIndex)
                {
                    new Span<byte>(g, (int)rowBytes).Clear();
                    continue;
                }

                LogSumExpState state = partials[n].LogSumExp;
                double a = 1.0 + (options.ZLossScale > 0.0 ? 2.0 * options.ZLossScale * state.Value : 0.0);
                double factor = scale * a / state.Sum;
                double coefficientScale = scale * smoothing / classes;
                double targetTerm = scale * (1.0 - smoothing);
                byte* row = x + n * rowBytes;
                switch (Width.Bits)
                {
                    case 512:
                        RowGradient.Exact<T, Double512>(row, g, shardClasses, state.Max, options.SoftCap, coefficients, null, factor, coefficientScale, t - shardOffset, targetTerm, null);
                        break;
                    case 256:
                        RowGradient.Exact<T, Double256>(row, g, shardClasses, state.Max, options.SoftCap, coefficients, null, factor, coefficientScale, t - shardOffset, targetTerm, null);
                        break;
                    default:
                        RowGradient.Exact<T, Double128>(row, g, shardClasses, state.Max, options.SoftCap, coefficients, null, factor, coefficientScale, t - shardOffset, targetTerm, null);
                        break;
                }
            }
        }
    }

    /// <summary>Validates a shard's geometry and the targets; returns the number of counted rows.</summary>
    private static long ValidateShard(int shardLength, ReadOnlySpan<int> target, int classes, int shardOffset, int shardClasses, CrossEntropyOptions options)
    {
        if (classes < 1)
        {
            ThrowHelper.ClassesNotPositive(classes);
        }

        if (shardClasses < 1)
        {
            ThrowHelper.ClassesNotPositive(shardClasses, nameof(shardClasses));
        }

        if (shardOffset < 0 || shardOffset > classes - shardClasses)
        {
            throw new ArgumentOutOfRangeException(nameof(shardOffset), shardOffset,
                $"The shard's classes [{shardOffset}, {(long)shardOffset + shardClasses}) must lie within the {classes} classes.");
        }

        if ((long)target.Length * shardClasses != shardLength)
        {
            throw new ArgumentException(
                $"The shard must hold {shardClasses} classes for each of the {target.Length} targets ({(long)target.Length * shardClasses} values); it holds {shardLength}.", "shard");
        }

        return CountTargets(target, classes, options.IgnoreIndex);
    }

    private static void ValidatePartials(ReadOnlySpan<CrossEntropyPartial> partials, ReadOnlySpan<int> target, int classes, int ignoreIndex)
    {
        if (partials.Length != target.Length)
        {
            throw new ArgumentException(
                $"Expected one partial per target ({target.Length}); got {partials.Length}.", nameof(partials));
        }

        ulong whole = CrossEntropyPartial.CoverageOf(0, classes);
        for (int n = 0; n < partials.Length; n++)
        {
            if (target[n] == ignoreIndex)
            {
                continue;
            }

            if (partials[n].Classes != classes)
            {
                throw new ArgumentException(
                    $"The partial of row {n} covers {partials[n].Classes} of the {classes} classes: merge every shard's partial, each once, before finishing.",
                    nameof(partials));
            }

            if (partials[n].Coverage != whole)
            {
                throw new ArgumentException(
                    $"The partial of row {n} covers {classes} classes but not the classes 0 to {classes - 1} each once: a shard is missing and another was merged twice, or shards overlap.",
                    nameof(partials));
            }
        }
    }
}
