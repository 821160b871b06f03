using System;
using System.Numerics;
using Xent.Internal;
using Xent.Internal.Rows;
using Xent.Internal.Vectors;

namespace Xent;

public static partial class Functional
{
    /// <summary>The partial of each row of a shard (<see cref="CrossEntropyPartial"/>), everything validated; ignored rows get the empty partial.</summary>
    private static unsafe void ShardPartials<T>(
        ReadOnlySpan<T> shard, Labels labels, int rows, Span<CrossEntropyPartial> partials, int shardOffset, int shardClasses, double labelSmoothing, double softCap)
        where T : IFloatingPointIeee754<T>
    {
        bool smoothing = labelSmoothing > 0.0;
        ulong coverage = CrossEntropyPartial.CoverageOf(shardOffset, shardClasses);
        var coefficients = new Coefficients(smoothing ? CoefficientKind.Uniform : CoefficientKind.None, null, 0.0, 0.0);
        nint rowBytes = (nint)shardClasses * Elements<T>.Size;
        fixed (byte* x = &AsBytes(shard))
        {
            for (int n = 0; n < rows; n++)
            {
                int t = labels.ClassOf(n);
                if (t < 0)
                {
                    partials[n] = default;
                    continue;
                }

                byte* row = x + n * rowBytes;
                RowStatistics s = Width.Bits switch
                {
                    512 => RowStatisticsPass.Exact<T, Double512>(row, shardClasses, coefficients, null, softCap, findArgMax: true),
                    256 => RowStatisticsPass.Exact<T, Double256>(row, shardClasses, coefficients, null, softCap, findArgMax: true),
                    _ => RowStatisticsPass.Exact<T, Double128>(row, shardClasses, coefficients, null, softCap, findArgMax: true),
                };
                int local = t - shardOffset;
                double targetLogit = (uint)local < (uint)shardClasses ? RowStatisticsPass.Cap(Elements<T>.Read(row, local), softCap) : 0.0;
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
    /// The gradient of a shard's rows from their merged partials, everything validated: s·(softmax·(1 + 2λ·lse) − ε/C −
    /// (1 − ε)·onehot) with s = <paramref name="scale"/>, or each row's upstream gradient when <paramref name="gradOutput"/>
    /// holds one per row; ignored rows get 0.
    /// </summary>
    private static unsafe void ShardGradient<T>(
        ReadOnlySpan<T> shard, Labels labels, int rows, ReadOnlySpan<CrossEntropyPartial> partials, Span<T> gradient,
        int classes, int shardOffset, int shardClasses, double smoothing, double zLossScale, double softCap, double scale, ReadOnlySpan<T> gradOutput)
        where T : IFloatingPointIeee754<T>
    {
        var coefficients = new Coefficients(smoothing > 0.0 ? CoefficientKind.Uniform : CoefficientKind.None, null, 0.0, 0.0);
        nint rowBytes = (nint)shardClasses * Elements<T>.Size;
        fixed (byte* x = &AsBytes(shard))
        fixed (byte* gradientStart = &AsBytes((ReadOnlySpan<T>)gradient))
        {
            for (int n = 0; n < rows; n++)
            {
                int t = labels.ClassOf(n);
                byte* g = gradientStart + n * rowBytes;
                if (t < 0)
                {
                    new Span<byte>(g, (int)rowBytes).Clear();
                    continue;
                }

                LogSumExpState state = partials[n].LogSumExp;
                double s = gradOutput.IsEmpty ? scale : double.CreateTruncating(gradOutput[n]);
                double a = 1.0 + (zLossScale > 0.0 ? 2.0 * zLossScale * state.Value : 0.0);
                double factor = s * a / state.Sum;
                double coefficientScale = s * smoothing / classes;
                double targetTerm = s * (1.0 - smoothing);
                byte* row = x + n * rowBytes;
                switch (Width.Bits)
                {
                    case 512:
                        RowGradient.Exact<T, Double512>(row, g, shardClasses, state.Max, softCap, coefficients, null, factor, coefficientScale, t - shardOffset, targetTerm, null);
                        break;
                    case 256:
                        RowGradient.Exact<T, Double256>(row, g, shardClasses, state.Max, softCap, coefficients, null, factor, coefficientScale, t - shardOffset, targetTerm, null);
                        break;
                    default:
                        RowGradient.Exact<T, Double128>(row, g, shardClasses, state.Max, softCap, coefficients, null, factor, coefficientScale, t - shardOffset, targetTerm, null);
                        break;
                }
            }
        }
    }

    /// <summary>The shard's sizes: C and S at least 1, [offset, offset + S) within [0, C), S values per row.</summary>
    private static void ValidateShardLayout(int shardLength, int rows, int classes, int shardOffset, int shardClasses)
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

        if ((long)rows * shardClasses != shardLength)
        {
            throw new ArgumentException(
                $"The shard must hold {shardClasses} classes for each of the {rows} targets ({(long)rows * shardClasses} values); it holds {shardLength}.", "shard");
        }
    }

    /// <summary>One partial per row, and each counted row's partial merged from every class exactly once.</summary>
    private static void ValidatePartials(ReadOnlySpan<CrossEntropyPartial> partials, Labels labels, int rows, int classes)
    {
        if (partials.Length != rows)
        {
            throw new ArgumentException(
                $"Expected one partial per target ({rows}); got {partials.Length}.", nameof(partials));
        }

        ulong whole = CrossEntropyPartial.CoverageOf(0, classes);
        for (int n = 0; n < partials.Length; n++)
        {
            if (labels.ClassOf(n) < 0)
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

    /// <summary>
    /// The first step of cross entropy over logits split by classes (a vocabulary sharded over devices, or computed in
    /// chunks): for each row n, the <see cref="CrossEntropyPartial"/> of its <paramref name="shardClasses"/> classes
    /// [offset, offset + S): their log-sum-exp state (max, Σ exp(z − max)), their largest logit and its class, the
    /// target's logit when the target falls in the shard, and Σ z for label smoothing. Merge the partials of every shard
    /// (<see cref="MergeCrossEntropyPartials(ReadOnlySpan{CrossEntropyPartial}, Span{CrossEntropyPartial})"/>), then finish
    /// with <see cref="CrossEntropyFromPartials{T, TLabel}(ReadOnlySpan{CrossEntropyPartial}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{int})"/>;
    /// the gradient comes from <see cref="CrossEntropyShardGradient{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, ReadOnlySpan{CrossEntropyPartial}, Span{T}, int, int, int, CrossEntropyOptions{T}?, ReadOnlySpan{T})"/>.
    /// </summary>
    /// <typeparam name="T">float, double or Half; computed in double.</typeparam>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="shard">The shard's logits, (N, S) row-major: row n holds classes [offset, offset + S) of row n.</param>
    /// <param name="target">One class index per row, over all C classes, in [0, C) or equal to the ignore index.</param>
    /// <param name="partials">Receives one partial per row (N at least); an ignored row's is <see cref="CrossEntropyPartial.Empty"/>.</param>
    /// <param name="classes">C, the number of classes over all shards, at least 1.</param>
    /// <param name="shardOffset">The shard's first class.</param>
    /// <param name="shardClasses">S, the number of classes in the shard, at least 1, with offset + S ≤ C.</param>
    /// <param name="options">The options the finish will use (ignore index, label smoothing, soft cap); class weights are not supported here.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="shardClasses"/> is less than 1; the shard does not fit in [0, C); a target is out of range.</exception>
    /// <exception cref="ArgumentException">The shard does not hold N × S values; <paramref name="partials"/> is too short; the options have class weights. Nothing is written when an exception is thrown.</exception>
    public static void CrossEntropyShard<T, TLabel>(
        ReadOnlySpan<T> shard,
        ReadOnlySpan<TLabel> target,
        Span<CrossEntropyPartial> partials,
        int classes,
        int shardOffset,
        int shardClasses,
        CrossEntropyOptions<T>? options = null)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        options ??= CrossEntropyOptions<T>.Default;
        ValidateShardOptions(options);
        ValidateShardLayout(shard.Length, target.Length, classes, shardOffset, shardClasses);
        if (partials.Length < target.Length)
        {
            throw new ArgumentException($"Partials must hold one entry per row ({target.Length}); it holds {partials.Length}.", nameof(partials));
        }

        Labels.Validate(target, classes, options.IgnoreIndex, ReadOnlySpan<T>.Empty);
        unsafe
        {
            fixed (TLabel* y = target)
            {
                ShardPartials(shard, Labels.Of(y, options.IgnoreIndex), target.Length, partials, shardOffset, shardClasses, options.LabelSmoothing, options.SoftCap);
            }
        }
    }

    /// <summary>
    /// The last step of sharded cross entropy: from each row's merged partial (covering all C classes) its lse, loss,
    /// z-loss and prediction, exactly as <see cref="CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
    /// computes them from the whole row, and the summary.
    /// </summary>
    /// <typeparam name="T">The element type of the per-row outputs.</typeparam>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="partials">One merged partial per row.</param>
    /// <param name="target">One class index per row, in [0, C) or equal to the ignore index.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="options">The options given to the shards; the reduction and the empty-mean rule apply here. No class weights.</param>
    /// <param name="losses">Empty, or one value per row: each ℓₙ (z-loss included; 0 where ignored).</param>
    /// <param name="logSumExp">Empty, or one value per row: each lseₙ (NaN where ignored).</param>
    /// <param name="predicted">Empty, or one value per row: each prediction (−1 where ignored).</param>
    /// <returns>The summary, as <see cref="CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/> returns it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is less than 1; a target is out of range.</exception>
    /// <exception cref="ArgumentException">The partials are not one per row, or a counted row's partial does not cover the C classes exactly once; an output is too short or overlaps another; the options have class weights.</exception>
    public static CrossEntropySummary CrossEntropyFromPartials<T, TLabel>(
        ReadOnlySpan<CrossEntropyPartial> partials,
        ReadOnlySpan<TLabel> target,
        int classes,
        CrossEntropyOptions<T>? options = null,
        Span<T> losses = default,
        Span<T> logSumExp = default,
        Span<int> predicted = default)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        options ??= CrossEntropyOptions<T>.Default;
        ValidateShardOptions(options);
        if (classes < 1)
        {
            ThrowHelper.ClassesNotPositive(classes);
        }

        int rows = target.Length;
        var outputs = new LossOutputs<T>(default, default, ClassLayout.Create(rows, 1, 1), options, default, losses, logSumExp, predicted, default);
        outputs.RefuseOverlap(Bytes.Of(target), nameof(target));
        outputs.RefuseOverlap(Bytes.Of(partials), nameof(partials));
        (_, long count) = Labels.Validate(target, classes, options.IgnoreIndex, ReadOnlySpan<T>.Empty);
        var job = new LossRowsJob
        {
            Kind = TargetKind.Index,
            Classes = classes,
            Keep = 1.0 - options.LabelSmoothing,
            Spread = options.LabelSmoothing / classes,
            Smoothing = options.LabelSmoothing > 0.0,
            ZScale = options.ZLossScale,
        };
        CompensatedSum targetSum = default, linearSum = default, zLoss = default;
        long correct = 0;
        unsafe
        {
            fixed (TLabel* y = target)
            {
                Labels labels = Labels.Of(y, options.IgnoreIndex);
                ValidatePartials(partials, labels, rows, classes);
                for (int n = 0; n < rows; n++)
                {
                    int t = labels.ClassOf(n);
                    LossRows.MergedRow row = default;
                    if (t >= 0)
                    {
                        CrossEntropyPartial partial = partials[n];
                        RowStatistics s = RowStatistics.OfMerged(partial.LogSumExp, partial.LogitSum, classes, partial.ArgMax);
                        row = LossRows.FinishMerged(job, s, partial.TargetLogit - s.Max);
                        targetSum.Add(row.Target);
                        linearSum.Add(row.Linear);
                        zLoss.Add(row.ZLoss);
                        correct += row.Predicted == t ? 1 : 0;
                    }

                    if (!outputs.Losses.IsEmpty)
                    {
                        outputs.Losses[n] = T.CreateTruncating(t >= 0 ? row.Loss : 0.0);
                    }

                    if (!outputs.LogSumExp.IsEmpty)
                    {
                        outputs.LogSumExp[n] = T.CreateTruncating(t >= 0 ? row.LogSumExp : double.NaN);
                    }

                    if (!outputs.Predicted.IsEmpty)
                    {
                        outputs.Predicted[n] = t >= 0 ? row.Predicted : -1;
                    }
                }
            }
        }

        var sums = new LossPartial { Target = targetSum.Value, Linear = linearSum.Value, Z = zLoss.Value, Correct = correct };
        return Summarize(sums, TargetKind.Index, count, count, classes, options);
    }

    /// <summary>
    /// The gradient of sharded cross entropy for one shard, from the merged partials: ∂L/∂zₙⱼ =
    /// g·s·(softmax(zₙ)ⱼ·(1 + 2λ·lseₙ) − ε / C − (1 − ε)·[j = yₙ]) for the shard's classes j (times the soft cap's chain
    /// factor), with s = 1 / n (Mean), 1 (Sum) or the row's upstream gradient (None); ignored rows get 0.
    /// </summary>
    /// <typeparam name="T">float, double or Half.</typeparam>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="shard">The shard's logits, (N, S) row-major.</param>
    /// <param name="target">One class index per row, over all C classes.</param>
    /// <param name="partials">One merged partial per row, covering all C classes.</param>
    /// <param name="gradient">Receives ∂L/∂shard, at least N × S values; it may be the shard itself.</param>
    /// <param name="classes">C.</param>
    /// <param name="shardOffset">The shard's first class.</param>
    /// <param name="shardClasses">S.</param>
    /// <param name="options">The options given to the shards and the finish.</param>
    /// <param name="gradOutput">The upstream gradient: empty or one value (Mean, Sum), empty or one per row (None).</param>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="CrossEntropyShard{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, Span{CrossEntropyPartial}, int, int, int, CrossEntropyOptions{T}?)"/>.</exception>
    /// <exception cref="ArgumentException">As the shard step and the finish; <paramref name="gradient"/> is too short or overlaps an input other than the shard itself; <paramref name="gradOutput"/> has the wrong length. Nothing is written when an exception is thrown.</exception>
    public static void CrossEntropyShardGradient<T, TLabel>(
        ReadOnlySpan<T> shard,
        ReadOnlySpan<TLabel> target,
        ReadOnlySpan<CrossEntropyPartial> partials,
        Span<T> gradient,
        int classes,
        int shardOffset,
        int shardClasses,
        CrossEntropyOptions<T>? options = null,
        ReadOnlySpan<T> gradOutput = default)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        options ??= CrossEntropyOptions<T>.Default;
        ValidateShardOptions(options);
        ValidateShardLayout(shard.Length, target.Length, classes, shardOffset, shardClasses);
        if (gradient.Length < shard.Length)
        {
            ThrowHelper.GradientTooShort(gradient.Length, shard.Length);
        }

        var outputs = new LossOutputs<T>(shard, default, ClassLayout.Create(shard.Length, shardClasses, 1), options, gradient, default, default, default, gradOutput);
        outputs.RefuseOverlap(Bytes.Of(target), nameof(target));
        outputs.RefuseOverlap(Bytes.Of(partials), nameof(partials));
        (_, long count) = Labels.Validate(target, classes, options.IgnoreIndex, ReadOnlySpan<T>.Empty);
        double scale = ShardGradientScale(options.Reduction, count, outputs.Upstream);
        unsafe
        {
            fixed (TLabel* y = target)
            {
                Labels labels = Labels.Of(y, options.IgnoreIndex);
                ValidatePartials(partials, labels, target.Length, classes);
                ShardGradient(shard, labels, target.Length, partials, outputs.Gradient, classes, shardOffset, shardClasses,
                    options.LabelSmoothing, options.ZLossScale, options.SoftCap, scale, options.Reduction == Reduction.None ? gradOutput : default);
            }
        }
    }

    /// <summary>The sharded cross entropy takes every option but class weights.</summary>
    private static void ValidateShardOptions<T>(CrossEntropyOptions<T> options)
        where T : IFloatingPointIeee754<T>
    {
        if (!options.Weight.IsEmpty)
        {
            throw new ArgumentException(
                "Class weights are not supported by the sharded cross entropy; compute the weighted loss with CrossEntropy on whole rows.", nameof(options));
        }
    }
}
