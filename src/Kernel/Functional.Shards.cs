using System;
using System.Numerics;
using Xent.Internal;
using Xent.Internal.Rows;
using Xent.Internal.Vectors;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// The smoothing coefficients of a shard's classes: none without label smoothing, else the class weights from the
    /// shard's first class (<paramref name="weight"/> points at all C weights), or ones.
    /// </summary>
    private static unsafe Coefficients ShardCoefficients<T>(byte* weight, int shardOffset, double labelSmoothing)
        where T : IFloatingPointIeee754<T> =>
        labelSmoothing <= 0.0 ? new Coefficients(CoefficientKind.None, null, 0.0, 0.0)
        : weight == null ? new Coefficients(CoefficientKind.Uniform, null, 0.0, 0.0)
        : new Coefficients(CoefficientKind.Weights, weight + (nint)shardOffset * Elements<T>.Size, 0.0, 0.0);

    /// <summary>
    /// The partial of each row of a shard (<see cref="CrossEntropyPartial"/>), everything validated; ignored rows get the
    /// empty partial. <paramref name="weight"/> is null or points at the C class weights (used for Σ w·z under label smoothing).
    /// </summary>
    private static unsafe void ShardPartials<T>(
        ReadOnlySpan<T> shard, Labels labels, int rows, Span<CrossEntropyPartial> partials, int shardOffset, int shardClasses, double labelSmoothing, double softCap,
        byte* weight)
        where T : IFloatingPointIeee754<T>
    {
        bool smoothing = labelSmoothing > 0.0;
        ulong coverage = CrossEntropyPartial.CoverageOf(shardOffset, shardClasses);
        Coefficients coefficients = ShardCoefficients<T>(weight, shardOffset, labelSmoothing);
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
                double logitSum = smoothing ? s.CoefficientLogitSum : 0.0;
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
    /// The gradient of a shard's rows from their merged partials, everything validated: each row's
    /// <see cref="RowGradient"/> with the factors of <see cref="LossRows.FactorsOf{TD}"/> (s = <paramref name="scale"/>,
    /// or the row's upstream gradient when <paramref name="gradOutput"/> holds one per row); ignored rows get 0.
    /// <paramref name="job"/> carries the options (<see cref="ShardJob{T}"/>), <paramref name="weight"/> the C class weights or null.
    /// </summary>
    private static unsafe void ShardGradient<T>(
        ReadOnlySpan<T> shard, Labels labels, int rows, ReadOnlySpan<CrossEntropyPartial> partials, Span<T> gradient,
        in LossRowsJob job, int shardOffset, int shardClasses, double scale, ReadOnlySpan<T> gradOutput, byte* weight, double coefficientSum)
        where T : IFloatingPointIeee754<T>
    {
        Coefficients coefficients = ShardCoefficients<T>(weight, shardOffset, job.Smoothing ? 1.0 : 0.0);
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

                CrossEntropyPartial partial = partials[n];
                LaneStatistics<Double1> lane = LaneStatistics<Double1>.Of(RowStatistics.OfMerged(partial.LogSumExp, partial.LogitSum, coefficientSum, partial.ArgMax));
                double s = gradOutput.IsEmpty ? scale : double.CreateTruncating(gradOutput[n]);
                double w = weight == null ? 1.0 : Elements<T>.Read(weight, t);
                LossRows.GradientFactors<Double1> f = LossRows.FactorsOf(
                    job, Double1.Create(s), Double1.Create(w), lane.CoefficientSum, LaneStatistics<Double1>.LogSumExpOf(lane.Max, lane.LogSum), lane.SumExp);
                double max = partial.LogSumExp.Max;
                byte* row = x + n * rowBytes;
                switch (Width.Bits)
                {
                    case 512:
                        RowGradient.Exact<T, Double512>(row, g, shardClasses, max, job.Cap, coefficients, null, f.Factor.Value, f.CoefficientScale.Value, t - shardOffset, f.TargetTerm.Value, null);
                        break;
                    case 256:
                        RowGradient.Exact<T, Double256>(row, g, shardClasses, max, job.Cap, coefficients, null, f.Factor.Value, f.CoefficientScale.Value, t - shardOffset, f.TargetTerm.Value, null);
                        break;
                    default:
                        RowGradient.Exact<T, Double128>(row, g, shardClasses, max, job.Cap, coefficients, null, f.Factor.Value, f.CoefficientScale.Value, t - shardOffset, f.TargetTerm.Value, null);
                        break;
                }
            }
        }
    }

    /// <summary>The engine's view of the options of a sharded call over C classes (what <see cref="LossRows.FinishMerged"/> and <see cref="LossRows.FactorsOf{TD}"/> read).</summary>
    private static LossRowsJob ShardJob<T>(CrossEntropyOptions<T> options, int classes)
        where T : IFloatingPointIeee754<T> => new()
        {
            Kind = TargetKind.Index,
            Classes = classes,
            Keep = 1.0 - options.LabelSmoothing,
            Spread = options.LabelSmoothing / classes,
            Smoothing = options.LabelSmoothing > 0.0,
            ZScale = options.ZLossScale,
            Cap = options.SoftCap,
        };

    /// <summary>K, the sum of the smoothing coefficients over all C classes: Σ w[c] with class weights (in double, in class order), else C.</summary>
    private static double CoefficientSumOf<T>(ReadOnlySpan<T> weight, int classes)
        where T : IFloatingPointIeee754<T>
    {
        if (weight.IsEmpty)
        {
            return classes;
        }

        CompensatedSum sum = default;
        foreach (T w in weight)
        {
            sum.Add(double.CreateTruncating(w));
        }

        return sum.Value;
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
    /// <param name="options">The options the finish will use (ignore index, label smoothing, soft cap, class weights: C values, for all classes).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="shardClasses"/> is less than 1; the shard does not fit in [0, C); a target is out of range.</exception>
    /// <exception cref="ArgumentException">The shard does not hold N × S values; <paramref name="partials"/> is too short; the class weights are neither empty nor C values. Nothing is written when an exception is thrown.</exception>
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
        ValidateShardLayout(shard.Length, target.Length, classes, shardOffset, shardClasses);
        ValidateShardWeights(options, classes);
        if (partials.Length < target.Length)
        {
            throw new ArgumentException($"Partials must hold one entry per row ({target.Length}); it holds {partials.Length}.", nameof(partials));
        }

        Labels.Validate(target, classes, options.IgnoreIndex, options.WeightSpan);
        unsafe
        {
            fixed (TLabel* y = target)
            fixed (byte* w = &AsBytes(options.WeightSpan))
            {
                ShardPartials(shard, Labels.Of(y, options.IgnoreIndex), target.Length, partials, shardOffset, shardClasses, options.LabelSmoothing, options.SoftCap,
                    options.WeightSpan.IsEmpty ? null : w);
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
    /// <param name="options">The options given to the shards; the reduction and the empty-mean rule apply here (with class weights, Mean divides by Σ w[yₙ] over the counted rows).</param>
    /// <param name="losses">Empty, or one value per row: each ℓₙ (z-loss included; 0 where ignored).</param>
    /// <param name="logSumExp">Empty, or one value per row: each lseₙ (NaN where ignored).</param>
    /// <param name="predicted">Empty, or one value per row: each prediction (−1 where ignored).</param>
    /// <returns>The summary, as <see cref="CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/> returns it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is less than 1; a target is out of range.</exception>
    /// <exception cref="ArgumentException">The partials are not one per row, or a counted row's partial does not cover the C classes exactly once; an output is too short or overlaps another; the class weights are neither empty nor C values.</exception>
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
        if (classes < 1)
        {
            ThrowHelper.ClassesNotPositive(classes);
        }

        ValidateShardWeights(options, classes);

        int rows = target.Length;
        var outputs = new LossOutputs<T>(default, default, ClassLayout.Create(rows, 1, 1), options, default, losses, logSumExp, predicted, default, weightClasses: classes);
        outputs.RefuseOverlap(Bytes.Of(target), nameof(target));
        outputs.RefuseOverlap(Bytes.Of(partials), nameof(partials));
        ReadOnlySpan<T> weight = options.WeightSpan;
        (double weightSum, long count) = Labels.Validate(target, classes, options.IgnoreIndex, weight);
        LossRowsJob job = ShardJob(options, classes);
        double coefficientSum = CoefficientSumOf(weight, classes);
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
                        RowStatistics s = RowStatistics.OfMerged(partial.LogSumExp, partial.LogitSum, coefficientSum, partial.ArgMax);
                        row = LossRows.FinishMerged(job, s, partial.TargetLogit - s.Max, WeightValues.Of(weight, t));
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
        return Summarize(sums, TargetKind.Index, weightSum, count, classes, options);
    }

    /// <summary>
    /// The gradient of sharded cross entropy for one shard, from the merged partials: ∂L/∂zₙⱼ =
    /// g·s·(softmax(zₙ)ⱼ·(A + 2λ·lseₙ) − ε·w[j] / C − (1 − ε)·w[yₙ]·[j = yₙ]) for the shard's classes j (times the soft
    /// cap's chain factor), with A = (1 − ε)·w[yₙ] + (ε / C)·Σ_c w[c] (1 without weights) and s = 1 / Σ w[yₙ] over the
    /// counted rows (Mean; their count without weights), 1 (Sum) or the row's upstream gradient (None); ignored rows get 0.
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
        ValidateShardLayout(shard.Length, target.Length, classes, shardOffset, shardClasses);
        ValidateShardWeights(options, classes);
        if (gradient.Length < shard.Length)
        {
            ThrowHelper.GradientTooShort(gradient.Length, shard.Length);
        }

        var outputs = new LossOutputs<T>(shard, default, ClassLayout.Create(shard.Length, shardClasses, 1), options, gradient, default, default, default, gradOutput, weightClasses: classes);
        outputs.RefuseOverlap(Bytes.Of(target), nameof(target));
        outputs.RefuseOverlap(Bytes.Of(partials), nameof(partials));
        ReadOnlySpan<T> weight = options.WeightSpan;
        (double weightSum, long count) = Labels.Validate(target, classes, options.IgnoreIndex, weight);
        double scale = count == 0 ? 0.0 : LossRows.ScaleOf(options.Reduction, outputs.Upstream, weightSum);
        unsafe
        {
            fixed (TLabel* y = target)
            fixed (byte* w = &AsBytes(weight))
            {
                Labels labels = Labels.Of(y, options.IgnoreIndex);
                ValidatePartials(partials, labels, target.Length, classes);
                ShardGradient(shard, labels, target.Length, partials, outputs.Gradient, ShardJob(options, classes), shardOffset, shardClasses, scale,
                    options.Reduction == Reduction.None ? gradOutput : default, weight.IsEmpty ? null : w, CoefficientSumOf(weight, classes));
            }
        }
    }

    /// <summary>Class weights, when given, are one per class of all C (a shard reads its own classes' weights).</summary>
    private static void ValidateShardWeights<T>(CrossEntropyOptions<T> options, int classes)
        where T : IFloatingPointIeee754<T>
    {
        int length = options.WeightSpan.Length;
        if (length != 0 && length != classes)
        {
            ThrowHelper.WeightLengthMismatch(length, classes);
        }
    }
}
