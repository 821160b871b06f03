using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using FsCheck.Xunit;
using Xent.Internal;

namespace Xent.Properties;

/// <summary>
/// A generated <see cref="Case"/> as the large-vocabulary API sees it: its rows (positions × classes, inner = 1) with
/// no class weights (the API has none), plus the options, the cut of the classes into shards and the order in which
/// the shards are merged, all drawn from the case's <see cref="Case.Special"/> (as <see cref="Gradients.Upstream"/>
/// draws upstream gradients), so a replayed case draws the same.
/// </summary>
/// <param name="Problem">The rows; ignore index and label smoothing are the generated ones.</param>
/// <param name="Options">Ignore index and ε from the problem; z-loss scale, soft cap, reduction and empty-mean rule drawn (no class weights; the references read them in double, <see cref="Detailed{T}.Options"/> gives them to the kernel in its element type).</param>
/// <param name="Bounds">Shard boundaries 0 = b₀ &lt; b₁ &lt; … &lt; b_k = C: 1 to 5 shards at random cut points.</param>
/// <param name="Order">The order in which the k shards' partials are merged.</param>
/// <param name="GradOutput">The upstream gradient g of the reduced loss (the kernel takes it in its element type: see <see cref="GradOutputOf{T}"/>).</param>
public sealed record VocabularyCase(Problem Problem, CrossEntropyOptions<double> Options, int[] Bounds, int[] Order, double GradOutput)
{
    public int Shards => Bounds.Length - 1;

    /// <summary>g as the kernel of element type <typeparamref name="T"/> receives it (rounded to T; exact for float and double), for the references to use the same value.</summary>
    public double GradOutputOf<T>()
        where T : IFloatingPointIeee754<T> =>
        double.CreateTruncating(T.CreateTruncating(GradOutput));

    public override string ToString() =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"ε = {Format.Number(Options.LabelSmoothing)}, λ = {Format.Number(Options.ZLossScale)}, cap = {Format.Number(Options.SoftCap)}, {Options.Reduction}, empty mean {Options.EmptyMean}, ignore {Options.IgnoreIndex}, g = {Format.Number(GradOutput)}, shard bounds {Format.Array(Bounds)}, merge order {Format.Array(Order)}");
}

/// <summary>The per-row results of one large-vocabulary evaluation, the gradient widened to double (empty without one).</summary>
public sealed record DetailedRun(CrossEntropySummary Summary, RowResult[] Rows, double[] Gradient);

/// <summary>
/// One row's results, as the tests compare them (the 0.1 kernel's per-row record, which 0.2 replaced by the
/// <c>losses</c>, <c>logSumExp</c> and <c>predicted</c> outputs): the log-sum-exp and the loss as the kernel writes
/// them (in its element type, widened), the z-loss λ·lse² (derived from the written lse; 0 for λ = 0 or an ignored
/// row), the prediction, and whether it is the target.
/// </summary>
public readonly record struct RowResult(double LogSumExp, double Loss, double ZLoss, int Predicted, bool Correct)
{
    /// <summary>Whether the row was ignored: the kernel writes the prediction −1 for it.</summary>
    public bool Ignored => Predicted < 0;

    /// <summary>The row as read from the kernel's outputs for a row with <paramref name="target"/> and z-loss scale λ.</summary>
    public static RowResult Of(double logSumExp, double loss, int predicted, int target, double zLossScale) =>
        predicted < 0
            ? new RowResult(logSumExp, loss, 0.0, predicted, false)
            : new RowResult(logSumExp, loss, zLossScale == 0.0 ? 0.0 : zLossScale * logSumExp * logSumExp, predicted, predicted == target);

    /// <summary>
    /// The row with its log-sum-exp and loss rounded to <typeparamref name="T"/>, as the kernel of element type T writes
    /// them (a reference row, computed in double, made comparable with them). The z-loss stays: on the kernel's side it
    /// is derived in double from the written lse.
    /// </summary>
    public RowResult RoundedTo<T>()
        where T : IFloatingPointIeee754<T> =>
        this with
        {
            LogSumExp = double.CreateTruncating(T.CreateTruncating(LogSumExp)),
            Loss = double.CreateTruncating(T.CreateTruncating(Loss)),
        };
}

/// <summary>
/// The documented formula of the large-vocabulary cross entropy, in float64, written from the XML docs and
/// independent of the kernel's code: zⱼ = cap·tanh(xⱼ / cap) (xⱼ without a cap), lse = log Σ exp(z),
/// ℓ = (1 − ε)·(lse − z_y) + (ε / C)·Σⱼ (lse − zⱼ) + λ·lse², prediction = torch.argmax(z), gradient
/// (1 − (zⱼ / cap)²)·(softmax(z)ⱼ·(1 + 2λ·lse) − ε / C − (1 − ε)·[j = y]) per unit of scale.
/// </summary>
public static class DetailedReference
{
    public static double Cap(double x, double cap) => cap == 0.0 ? x : cap * Math.Tanh(x / cap);

    public static double[] Capped(double[] row, double cap) => row.Select(x => Cap(x, cap)).ToArray();

    /// <summary>torch.argmax: the first NaN if there is one, else the first largest value (0 for a row of −∞).</summary>
    public static int ArgMax(double[] z)
    {
        int best = 0;
        for (int j = 0; j < z.Length; j++)
        {
            if (double.IsNaN(z[j]))
            {
                return j;
            }

            if (z[j] > z[best])
            {
                best = j;
            }
        }

        return best;
    }

    /// <summary>A row of finite logits: lse, loss, z-loss, prediction. −log softmax is taken as (m − z) + log S, stably.</summary>
    public static RowResult Row(double[] x, int target, CrossEntropyOptions<double> o)
    {
        double[] z = Capped(x, o.SoftCap);
        double eps = o.LabelSmoothing;
        double[] negLogP = Reference.LogSoftmaxRow(z).Select(l => -l).ToArray();
        double lse = Reference.LogSumExpRow(z);
        double zLoss = o.ZLossScale * lse * lse;
        double loss = Reference.Term(1.0 - eps, negLogP[target]) + (eps / z.Length * Reference.Sum(negLogP)) + zLoss;
        int predicted = ArgMax(z);
        return new RowResult(lse, loss, zLoss, predicted, predicted == target);
    }

    /// <summary>The row loss alone (what finite differences differentiate).</summary>
    public static double Loss(double[] x, int target, CrossEntropyOptions<double> o) => Row(x, target, o).Loss;

    /// <summary>∂ℓ/∂x of one row of finite logits, for scale 1.</summary>
    public static double[] Gradient(double[] x, int target, CrossEntropyOptions<double> o)
    {
        double cap = o.SoftCap;
        double[] z = Capped(x, cap);
        double[] logP = Reference.LogSoftmaxRow(z);
        double a = 1.0 + (2.0 * o.ZLossScale * Reference.LogSumExpRow(z));
        double eps = o.LabelSmoothing;
        var g = new double[z.Length];
        for (int j = 0; j < z.Length; j++)
        {
            double d = (Math.Exp(logP[j]) * a) - (eps / z.Length) - (j == target ? 1.0 - eps : 0.0);
            g[j] = cap == 0.0 ? d : d * (1.0 - ((z[j] / cap) * (z[j] / cap)));
        }

        return g;
    }

    /// <summary>The entry the API writes for an ignored row (loss 0, lse NaN, prediction −1).</summary>
    public static RowResult IgnoredRow { get; } = new(double.NaN, 0.0, 0.0, -1, false);
}

/// <summary>
/// Calls the large-vocabulary API in element type <typeparamref name="T"/> on float64 problem data (converted to T),
/// whole or sharded, with every per-row output (losses, log-sum-exps, predictions). Every output buffer is prefilled
/// with a sentinel, so an entry the kernel fails to write fails every comparison.
/// </summary>
public static class Detailed<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>The sentinel of the per-row outputs (loss, lse and prediction 42).</summary>
    public const int Unwritten = 42;

    public static CrossEntropyPartial UnwrittenPartial { get; } = new(new LogSumExpState(42.0, 42.0), 42.0, 7, 42.0, 42.0, 3, 42);

    /// <summary>The case's options in element type T (class weights, when a property adds them, rounded to T).</summary>
    public static CrossEntropyOptions<T> Options(CrossEntropyOptions<double> o)
    {
        return new CrossEntropyOptions<T>
        {
            Weight = o.Weight.IsEmpty ? null : Run<T>.To(o.Weight.ToArray()),
            IgnoreIndex = o.IgnoreIndex,
            Reduction = o.Reduction,
            LabelSmoothing = o.LabelSmoothing,
            ZLossScale = o.ZLossScale,
            SoftCap = o.SoftCap,
            EmptyMean = o.EmptyMean,
        };
    }

    /// <summary>Per-row outputs of <paramref name="count"/> rows, prefilled with the sentinel.</summary>
    public static (T[] Losses, T[] LogSumExp, int[] Predicted) UnwrittenRows(int count)
    {
        var losses = new T[count];
        var logSumExp = new T[count];
        var predicted = new int[count];
        Array.Fill(losses, T.CreateTruncating(Unwritten));
        Array.Fill(logSumExp, T.CreateTruncating(Unwritten));
        Array.Fill(predicted, Unwritten);
        return (losses, logSumExp, predicted);
    }

    /// <summary>The rows as read from the per-row outputs.</summary>
    public static RowResult[] Rows((T[] Losses, T[] LogSumExp, int[] Predicted) outputs, int[] targets, double zLossScale) =>
        Enumerable.Range(0, targets.Length)
            .Select(n => RowResult.Of(
                double.CreateTruncating(outputs.LogSumExp[n]), double.CreateTruncating(outputs.Losses[n]), outputs.Predicted[n], targets[n], zLossScale))
            .ToArray();

    /// <summary>
    /// <see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
    /// on the whole rows, with the gradient and every per-row output; <paramref name="gradOutput"/> is passed rounded to T.
    /// </summary>
    public static DetailedRun Whole(Problem pr, CrossEntropyOptions<double> options, double gradOutput)
    {
        T[] x = Run<T>.To(pr.Logits);
        T[] gradient = Grad<T>.Unwritten(x.Length);
        (T[] Losses, T[] LogSumExp, int[] Predicted) rows = UnwrittenRows(pr.Positions);
        CrossEntropySummary summary = Functional.CrossEntropy(
            x.AsSpan(), pr.Targets.AsSpan(), pr.Classes, Options(options), gradient.AsSpan(), rows.Losses.AsSpan(), rows.LogSumExp.AsSpan(), rows.Predicted.AsSpan(),
            GradOutput(gradient.Length, gradOutput));
        return new DetailedRun(summary, Rows(rows, pr.Targets, options.ZLossScale), Run<T>.Widen(gradient));
    }

    /// <summary>
    /// The upstream gradient as the kernel takes it: one value of T, or none where the gradient buffer is empty (an
    /// empty batch), which the kernel reads as "no gradient asked for" and so refuses a gradOutput with.
    /// </summary>
    public static T[] GradOutput(int gradientLength, double gradOutput) => gradientLength == 0 ? [] : [T.CreateTruncating(gradOutput)];

    /// <summary>The same call without a gradient (the loss and the per-row outputs only).</summary>
    public static DetailedRun LossOnly(Problem pr, CrossEntropyOptions<double> options)
    {
        T[] x = Run<T>.To(pr.Logits);
        (T[] Losses, T[] LogSumExp, int[] Predicted) rows = UnwrittenRows(pr.Positions);
        CrossEntropySummary summary = Functional.CrossEntropy(
            x.AsSpan(), pr.Targets.AsSpan(), pr.Classes, Options(options), losses: rows.Losses.AsSpan(), logSumExp: rows.LogSumExp.AsSpan(), predicted: rows.Predicted.AsSpan());
        return new DetailedRun(summary, Rows(rows, pr.Targets, options.ZLossScale), []);
    }

    /// <summary>Shard s of (N, C) data: columns [bounds[s], bounds[s + 1]) of every row, as (N, S) row-major.</summary>
    public static T[] ShardOf(T[] x, int rows, int classes, int[] bounds, int s)
    {
        int width = bounds[s + 1] - bounds[s];
        var shard = new T[rows * width];
        for (int n = 0; n < rows; n++)
        {
            Array.Copy(x, (n * classes) + bounds[s], shard, n * width, width);
        }

        return shard;
    }

    /// <summary>
    /// The shards' partials (<see cref="Functional.CrossEntropyShard{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, Span{CrossEntropyPartial}, int, int, int, CrossEntropyOptions{T}?)"/>),
    /// merged in <paramref name="order"/> into a default accumulator.
    /// </summary>
    public static CrossEntropyPartial[] MergedPartials(Problem pr, CrossEntropyOptions<double> options, int[] bounds, int[] order)
    {
        T[] x = Run<T>.To(pr.Logits);
        var accumulator = new CrossEntropyPartial[pr.Positions];
        foreach (int s in order)
        {
            CrossEntropyPartial[] partials = Enumerable.Repeat(UnwrittenPartial, pr.Positions).ToArray();
            Functional.CrossEntropyShard(
                ShardOf(x, pr.Positions, pr.Classes, bounds, s).AsSpan(), pr.Targets.AsSpan(), partials.AsSpan(), pr.Classes, bounds[s], bounds[s + 1] - bounds[s], Options(options));
            Functional.MergeCrossEntropyPartials(partials.AsSpan(), accumulator.AsSpan());
        }

        return accumulator;
    }

    /// <summary>
    /// The sharded computation: partials merged in order, finished by <see cref="Functional.CrossEntropyFromPartials{T, TLabel}(ReadOnlySpan{CrossEntropyPartial}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{int})"/>
    /// with every per-row output, and each shard's <see cref="Functional.CrossEntropyShardGradient{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, ReadOnlySpan{CrossEntropyPartial}, Span{T}, int, int, int, CrossEntropyOptions{T}?, ReadOnlySpan{T})"/>
    /// (<paramref name="gradOutput"/> passed rounded to T) put back side by side.
    /// </summary>
    public static DetailedRun Sharded(Problem pr, CrossEntropyOptions<double> options, int[] bounds, int[] order, double gradOutput)
    {
        int rowCount = pr.Positions;
        int classes = pr.Classes;
        T[] x = Run<T>.To(pr.Logits);
        CrossEntropyPartial[] merged = MergedPartials(pr, options, bounds, order);
        (T[] Losses, T[] LogSumExp, int[] Predicted) rows = UnwrittenRows(rowCount);
        CrossEntropySummary summary = Functional.CrossEntropyFromPartials<T, int>(
            merged.AsSpan(), pr.Targets.AsSpan(), classes, Options(options), rows.Losses.AsSpan(), rows.LogSumExp.AsSpan(), rows.Predicted.AsSpan());
        var gradient = new double[x.Length];
        for (int s = 0; s < bounds.Length - 1; s++)
        {
            int width = bounds[s + 1] - bounds[s];
            T[] g = Grad<T>.Unwritten(rowCount * width);
            Functional.CrossEntropyShardGradient(
                ShardOf(x, rowCount, classes, bounds, s).AsSpan(), pr.Targets.AsSpan(), merged.AsSpan(), g.AsSpan(), classes, bounds[s], width, Options(options),
                GradOutput(g.Length, gradOutput));
            double[] wide = Run<T>.Widen(g);
            for (int n = 0; n < rowCount; n++)
            {
                Array.Copy(wide, n * width, gradient, (n * classes) + bounds[s], width);
            }
        }

        return new DetailedRun(summary, Rows(rows, pr.Targets, options.ZLossScale), gradient);
    }
}

/// <summary>
/// Draws <see cref="VocabularyCase"/>s, and derives the error floors of the large-vocabulary kernel from a row's
/// (soft-capped) logits.
/// </summary>
/// <remarks>
/// <para>The floors, per row with z = capped logits, m = max z, lse, p = softmax(z), a = 1 + 2λ·lse:</para>
/// <para>δS, two correct evaluations of log Σ exp(z − m): the double paths (scalar sums of C terms in [0, 1] whose
/// total is in [1, C], and for shards k ≤ 5 partial sums rescaled once and added) are within
/// <see cref="Floors.LogSum"/> + 16u; the fused float path (float rows without a cap on AVX-512) computes each
/// exponential in float from a float-rounded shifted logit and sums in float blocks: within u_f·(18 + Σ pⱼ|zⱼ − m|)
/// per evaluation (<see cref="FastPathBounds"/>; a shard's own maximum m_s ≤ m only shortens |zⱼ − m_s|), twice that
/// between two.</para>
/// <para>lse = m + log S rounds once more: δ_lse = δS + 4u·|lse|. The loss adds (1 − ε)·(δS + 2u·|z_y − m|) for the
/// target term (z_y − m is one rounding), ε·(δ_lse + Σz error) for the smoothing term, whose Σⱼ zⱼ is a plain sum of
/// C terms (each evaluation within (C − 1)·u·Σ|z|, divided by C; the fused path also rounds each z − m to float), and
/// 2λ·|lse|·δ_lse for the z-loss. The gradient of class j moves with pⱼ·a: relative δ_lse plus the rounding of
/// zⱼ − lse (2u·|zⱼ − lse|) and, on the fused path, the float exponential (4u_f + u_f·|zⱼ − m|); a moves by
/// 2λ·δ_lse; the result is rounded to T (4u_T of the terms).</para>
/// </remarks>
public static class LargeVocabulary
{
    private const double U = Tolerance.UnitRoundoffDouble;

    /// <summary>2^-11: the relative rounding error of rounding to half precision.</summary>
    public const double UnitRoundoffHalf = 4.8828125e-4;

    private static readonly double[] ZLossScales = [0.0, 0.0, 1e-4, 1e-2, 0.5];

    /// <summary>The case's positions as rows of the (N, C) layout, without class weights.</summary>
    public static Problem Rows(Case c) => c.Problem.Transposed() with { Weights = null };

    /// <summary>Logits that fit in half precision: the problem unchanged, or moved into [−16, 16] by <see cref="Gradients.Moderate"/>.</summary>
    public static Problem HalfRange(Problem pr) => pr.MaxAbsLogit() <= 60000.0 ? pr : Gradients.Moderate(pr);

    public static double UnitRoundoff<T>()
        where T : IFloatingPointIeee754<T> =>
        typeof(T) == typeof(Half) ? UnitRoundoffHalf : Tolerance.UnitRoundoff<T>();

    /// <summary>The comparison preset for values of type <typeparamref name="T"/> (the gradient, and the per-row lse and loss; the summary is double).</summary>
    public static Tol TolOf<T>()
        where T : IFloatingPointIeee754<T> =>
        typeof(T) == typeof(Half) ? new Tol(4.0 * UnitRoundoffHalf, Math.ScaleB(1.0, -24)) : Tol.Of<T>(); // a Half subnormal ulp

    /// <summary>Whether rows of <typeparamref name="T"/> go through the fused float path (documented: float, no soft cap, on every machine).</summary>
    public static bool Fused<T>(double cap) => Functional.UsesFastRows<T>(smoothing: false, weighted: false, cap);

    public static VocabularyCase Draw(Case c, int salt) => Draw(c, salt, Rows(c));

    public static VocabularyCase Draw(Case c, int salt, Problem pr)
    {
        var random = new Random(c.Special ^ (salt * 0x5bd1e995));
        double scale = pr.Logits.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0.0).Max();
        var options = new CrossEntropyOptions<double>
        {
            IgnoreIndex = pr.IgnoreIndex,
            LabelSmoothing = pr.LabelSmoothing,
            ZLossScale = ZLossScales[random.Next(ZLossScales.Length)],

            // Off often; a cap at which the logits saturate (1), Gemma 2's 30, and one at a quarter of the logits' scale.
            SoftCap = random.Next(5) switch
            {
                < 2 => 0.0,
                2 => 1.0,
                3 => 30.0,
                _ => scale > 0.0 ? scale / 4.0 : 1.0,
            },
            Reduction = random.Next(2) == 0 ? Reduction.Mean : Reduction.Sum,
            EmptyMean = random.Next(2) == 0 ? EmptyMean.NaN : EmptyMean.Zero,
        };
        int k = 1 + random.Next(Math.Min(5, pr.Classes));
        var cuts = new SortedSet<int>();
        while (cuts.Count < k - 1)
        {
            cuts.Add(1 + random.Next(pr.Classes - 1));
        }

        int[] bounds = [0, .. cuts, pr.Classes];
        int[] order = Enumerable.Range(0, k).OrderBy(_ => random.Next()).ToArray();
        return new VocabularyCase(pr, options, bounds, order, Gradients.Upstream(c, salt, 1)[0]);
    }

    /// <summary>Counted rows: those whose target is not the ignore index.</summary>
    public static int Count(Problem pr) => Enumerable.Range(0, pr.Positions).Count(p => !pr.IsIgnored(p));

    /// <summary>The documented scale of each counted row's gradient: g / n for the mean (0 with no counted row), g for the sum.</summary>
    public static double Scale(Problem pr, CrossEntropyOptions<double> options, double gradOutput)
    {
        int count = Count(pr);
        return options.Reduction == Reduction.Mean ? (count == 0 ? 0.0 : gradOutput / count) : gradOutput;
    }

    /// <summary>The documented reduction of per-row values: Σ / n (mean; the empty-mean value when n = 0) or Σ.</summary>
    public static double Reduce(IEnumerable<double> perRow, int count, CrossEntropyOptions<double> options)
    {
        if (options.Reduction == Reduction.Sum)
        {
            return Reference.Sum(perRow);
        }

        return count == 0 ? Empty(options) : Reference.Sum(perRow) / count;
    }

    public static double Empty(CrossEntropyOptions<double> options) => options.EmptyMean == EmptyMean.Zero ? 0.0 : double.NaN;

    /// <summary>Correct / n, or the empty-mean value when n = 0.</summary>
    public static double Accuracy(long correct, long count, CrossEntropyOptions<double> options) =>
        count == 0 ? Empty(options) : (double)correct / count;

    /// <summary>What the floors of one row are derived from.</summary>
    public sealed record RowFacts(double[] Z, double Max, double Lse, double[] P, double AbsSum, double ShiftedAbsSum, double Spread, bool Finite);

    /// <summary>The facts of row <paramref name="position"/> (from its finite capped logits; Finite is false if any is NaN or ±∞).</summary>
    public static RowFacts Facts(Problem pr, int position, double cap)
    {
        double[] z = DetailedReference.Capped(pr.Row(pr.Logits, position), cap);
        double[] finite = z.Where(double.IsFinite).ToArray();
        bool allFinite = finite.Length == z.Length;
        if (finite.Length == 0)
        {
            return new RowFacts(z, 0.0, 0.0, new double[z.Length], 0.0, 0.0, 0.0, false);
        }

        double max = finite.Max();
        double lse = Reference.LogSumExpRow(finite);
        double[] p = z.Select(v => double.IsFinite(v) ? Math.Exp(v - lse) : 0.0).ToArray();
        double spread = finite.Sum(v => Math.Exp(v - lse) * (max - v));
        return new RowFacts(z, max, lse, p, finite.Sum(Math.Abs), finite.Sum(v => max - v), spread, allFinite);
    }

    /// <summary>δS: how far two correct evaluations of log S of this row may be apart (see the class remarks).</summary>
    public static double LogSumError<T>(RowFacts f, int classes, double cap)
        where T : IFloatingPointIeee754<T> =>
        Fused<T>(cap)
            ? 2.0 * Tolerance.UnitRoundoffFloat * (18.0 + f.Spread)
            : Floors.LogSum(classes) + (16.0 * U);

    public static double LseFloor<T>(RowFacts f, int classes, double cap)
        where T : IFloatingPointIeee754<T> =>
        LogSumError<T>(f, classes, cap) + (4.0 * U * Math.Abs(f.Lse));

    public static double LossFloor<T>(RowFacts f, int target, int classes, CrossEntropyOptions<double> o)
        where T : IFloatingPointIeee754<T>
    {
        double eps = o.LabelSmoothing;
        double dS = LogSumError<T>(f, classes, o.SoftCap);
        double dLse = LseFloor<T>(f, classes, o.SoftCap);
        double targetTerm = dS + (2.0 * U * Math.Abs(f.Z[target] - f.Max));
        double sumError = (2.0 * U * f.AbsSum) + (Fused<T>(o.SoftCap) ? 2.0 * Tolerance.UnitRoundoffFloat * f.ShiftedAbsSum / classes : 0.0);
        return ((1.0 - eps) * targetTerm) + (eps * (dLse + sumError)) + ZFloor<T>(f, classes, o);
    }

    public static double ZFloor<T>(RowFacts f, int classes, CrossEntropyOptions<double> o)
        where T : IFloatingPointIeee754<T> =>
        2.0 * o.ZLossScale * Math.Abs(f.Lse) * LseFloor<T>(f, classes, o.SoftCap);

    /// <summary>The floor of the gradient of class j of a counted row with scale s.</summary>
    public static double GradientFloor<T>(RowFacts f, int j, int target, int classes, CrossEntropyOptions<double> o, double scale)
        where T : IFloatingPointIeee754<T>
    {
        double cap = o.SoftCap;
        double chain = cap == 0.0 ? 1.0 : Math.Abs(1.0 - ((f.Z[j] / cap) * (f.Z[j] / cap)));
        double a = Math.Abs(1.0 + (2.0 * o.ZLossScale * f.Lse));
        double dLse = LseFloor<T>(f, classes, cap);
        double exponential = dLse + (2.0 * U * Math.Abs(f.Z[j] - f.Lse))
            + (Fused<T>(cap) ? Tolerance.UnitRoundoffFloat * (4.0 + Math.Abs(f.Z[j] - f.Max)) : 0.0);
        double rounding = 4.0 * UnitRoundoff<T>() * ((f.P[j] * a) + (o.LabelSmoothing / classes) + (j == target ? 1.0 : 0.0));
        return Math.Abs(scale) * chain * ((f.P[j] * ((a * exponential) + (2.0 * o.ZLossScale * dLse))) + rounding);
    }

    /// <summary>Per-row floors (0 for ignored or non-finite rows, which are compared exactly) and the reduced ones.</summary>
    public sealed record RunFloors(double[] Lse, double[] Loss, double[] ZLoss, double[] Gradient, double SummaryLoss, double SummaryZLoss);

    public static RunFloors FloorsOf<T>(Problem pr, CrossEntropyOptions<double> o, double gradOutput)
        where T : IFloatingPointIeee754<T>
    {
        int n = pr.Positions;
        int classes = pr.Classes;
        double scale = Scale(pr, o, gradOutput);
        var lse = new double[n];
        var loss = new double[n];
        var z = new double[n];
        var gradient = new double[pr.Logits.Length];
        for (int p = 0; p < n; p++)
        {
            if (pr.IsIgnored(p))
            {
                continue;
            }

            RowFacts f = Facts(pr, p, o.SoftCap);
            if (!f.Finite)
            {
                continue;
            }

            int y = pr.Targets[p];
            lse[p] = LseFloor<T>(f, classes, o.SoftCap);
            loss[p] = LossFloor<T>(f, y, classes, o);
            z[p] = ZFloor<T>(f, classes, o);
            for (int j = 0; j < classes; j++)
            {
                gradient[(p * classes) + j] = GradientFloor<T>(f, j, y, classes, o, scale);
            }
        }

        double divisor = o.Reduction == Reduction.Mean ? Math.Max(1, Count(pr)) : 1.0;
        return new RunFloors(lse, loss, z, gradient, loss.Sum() / divisor, z.Sum() / divisor);
    }

    /// <summary>Rows compared field by field: lse, loss and z-loss within tolerance plus their floors, prediction and correctness exactly.</summary>
    public static void AssertRowsClose(RowResult[] expected, RowResult[] actual, Tol tol, RunFloors floors, string what)
    {
        Tolerance.Require(expected.Length == actual.Length, $"{what}: {expected.Length} rows expected, {actual.Length} written");
        for (int i = 0; i < expected.Length; i++)
        {
            RowResult e = expected[i];
            RowResult a = actual[i];
            Tolerance.AssertClose(e.LogSumExp, a.LogSumExp, tol.WithFloor(floors.Lse[i]), $"{what}: row {i} log-sum-exp");
            Tolerance.AssertClose(e.Loss, a.Loss, tol.WithFloor(floors.Loss[i]), $"{what}: row {i} loss");
            Tolerance.AssertClose(e.ZLoss, a.ZLoss, tol.WithFloor(floors.ZLoss[i]), $"{what}: row {i} z-loss");
            Tolerance.Require(e.Predicted == a.Predicted, $"{what}: row {i} predicted {a.Predicted}, expected {e.Predicted}");
            Tolerance.Require(e.Correct == a.Correct, $"{what}: row {i} correct {a.Correct}, expected {e.Correct}");
        }
    }

    /// <summary>Summaries: count, correct and accuracy exactly; loss and z-loss within tolerance plus the reduced floors.</summary>
    public static void AssertSummaryClose(CrossEntropySummary expected, CrossEntropySummary actual, Tol tol, RunFloors floors, string what)
    {
        Tolerance.Require(expected.Count == actual.Count, $"{what}: count {actual.Count}, expected {expected.Count}");
        Tolerance.Require(expected.Correct == actual.Correct, $"{what}: correct {actual.Correct}, expected {expected.Correct}");
        Tolerance.AssertClose(expected.Accuracy, actual.Accuracy, Tol.Exact, $"{what}: accuracy");
        Tolerance.AssertClose(expected.Loss, actual.Loss, tol.WithFloor(floors.SummaryLoss), $"{what}: loss");
        Tolerance.AssertClose(expected.ZLoss, actual.ZLoss, tol.WithFloor(floors.SummaryZLoss), $"{what}: z-loss");
    }

    /// <summary>Bit-for-bit equality of two runs (any NaN equals any NaN).</summary>
    public static void AssertSameBits(DetailedRun expected, DetailedRun actual, string what)
    {
        Tolerance.Require(expected.Summary.Count == actual.Summary.Count && expected.Summary.Correct == actual.Summary.Correct, $"{what}: counts {actual.Summary}, expected {expected.Summary}");
        Gradients.AssertBitwise(
            [expected.Summary.Loss, expected.Summary.ZLoss, expected.Summary.Accuracy],
            [actual.Summary.Loss, actual.Summary.ZLoss, actual.Summary.Accuracy],
            $"{what}: summary (loss, z-loss, accuracy)");
        for (int i = 0; i < expected.Rows.Length; i++)
        {
            RowResult e = expected.Rows[i];
            RowResult a = actual.Rows[i];
            Gradients.AssertBitwise([e.LogSumExp, e.Loss, e.ZLoss], [a.LogSumExp, a.Loss, a.ZLoss], $"{what}: row {i} (lse, loss, z-loss)");
            Tolerance.Require(e.Predicted == a.Predicted && e.Correct == a.Correct, $"{what}: row {i} is {a}, expected {e}");
        }

        Gradients.AssertBitwise(expected.Gradient, actual.Gradient, $"{what}: gradient");
    }

    /// <summary>The partial's fields as numbers, for <see cref="Gradients.AssertBitwise"/>.</summary>
    public static double[] Fields(CrossEntropyPartial p) =>
        [p.LogSumExp.Max, p.LogSumExp.Sum, p.MaxLogit, p.ArgMax, p.TargetLogit, p.LogitSum, p.Classes];
}

/// <summary>
/// Laws of the large-vocabulary API (<see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
/// with its per-row outputs, and the shard functions): the mergeable log-sum-exp and partials form a commutative monoid, any sharding gives the
/// whole row's results, the formula (label smoothing, z-loss, soft cap) and its gradient hold, the prediction is
/// torch.argmax, Half agrees with float, the default options are plain cross entropy, and an empty mean is NaN or 0.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class LargeVocabularyProperties
{
    private const double U = Tolerance.UnitRoundoffDouble;

    // ---- LogSumExpState ----

    [Property]
    public void LogSumExpState_Merge_IsACommutativeMonoid_AndOfConcatenationIsTheMerge(Case c)
    {
        Problem pr = LargeVocabulary.Rows(c).PoisonIgnoredRows(c.PoisonValue);
        var random = new Random(c.Special);
        for (int p = 0; p < pr.Positions; p++)
        {
            double[] row = pr.Row(pr.Logits, p);
            if (random.Next(4) == 0)
            {
                // A non-finite entry where a row holds none: NaN and +∞ make S NaN, −∞ contributes nothing.
                row[random.Next(row.Length)] = random.Next(3) switch { 0 => double.NaN, 1 => double.PositiveInfinity, _ => double.NegativeInfinity };
            }

            int first = random.Next(row.Length + 1);
            int second = first + random.Next(row.Length - first + 1);
            LogSumExpState a = LogSumExpState.Of<double>(row.AsSpan(0, first));
            LogSumExpState b = LogSumExpState.Of<double>(row.AsSpan(first, second - first));
            LogSumExpState d = LogSumExpState.Of<double>(row.AsSpan(second));
            string what = $"row {p} split at {first} and {second} of {row.Length}";

            // Commutative bit for bit: the same two products and one addition in either order.
            Gradients.AssertBitwise(Fields(LogSumExpState.Merge(a, b)), Fields(LogSumExpState.Merge(b, a)), $"a ⊕ b vs b ⊕ a, {what}");
            Tolerance.Require(LogSumExpState.Merge(a, b) == b.Merge(a), $"a ⊕ b ≠ b ⊕ a as records, {what}");

            // Empty is the identity, exactly, on both sides.
            foreach (LogSumExpState s in new[] { a, b, d })
            {
                Gradients.AssertBitwise(Fields(s), Fields(LogSumExpState.Merge(s, LogSumExpState.Empty)), $"s ⊕ Empty vs s, {what}");
                Gradients.AssertBitwise(Fields(s), Fields(LogSumExpState.Merge(LogSumExpState.Empty, s)), $"Empty ⊕ s vs s, {what}");
            }

            // Associative: the maximum exactly; each grouping rounds its two rescalings and additions once each
            // (exp within an ulp, product and sum within half an ulp), so two groupings of S are within 16u relative.
            LogSumExpState left = LogSumExpState.Merge(LogSumExpState.Merge(a, b), d);
            LogSumExpState right = LogSumExpState.Merge(a, LogSumExpState.Merge(b, d));
            Tolerance.AssertClose(left.Max, right.Max, Tol.Exact, $"(a ⊕ b) ⊕ d vs a ⊕ (b ⊕ d): m, {what}");
            Tolerance.AssertClose(left.Sum, right.Sum, new Tol(16.0 * U, 0.0), $"(a ⊕ b) ⊕ d vs a ⊕ (b ⊕ d): S, {what}");

            // Of(a ++ b ++ d) is the merge: the same maximum; S is a plain sum of C terms exp(x − m) ≤ 1 either way,
            // within Floors.LogSum relative, and the log-sum-exp within that plus the rounding of m + log S.
            LogSumExpState whole = LogSumExpState.Of<double>(row);
            double relative = Floors.LogSum(row.Length) + (16.0 * U);
            Tolerance.AssertClose(whole.Max, left.Max, Tol.Exact, $"Of(row) vs merged parts: m, {what}");
            Tolerance.AssertClose(whole.Sum, left.Sum, new Tol(relative, 0.0), $"Of(row) vs merged parts: S, {what}");
            Tolerance.AssertClose(whole.Value, left.Value, Tol.Double.WithFloor(relative + (4.0 * U * Math.Abs(whole.Max))), $"Of(row) vs merged parts: log-sum-exp, {what}");
            // And the value is the log-sum-exp: NaN after a NaN or +∞, −∞ for no finite value, −∞ entries contribute nothing.
            double[] finite = row.Where(double.IsFinite).ToArray();
            double expected = row.Any(v => double.IsNaN(v) || double.IsPositiveInfinity(v)) ? double.NaN
                : finite.Length == 0 ? double.NegativeInfinity
                : Reference.LogSumExpRow(finite);
            Tolerance.AssertClose(expected, whole.Value, Tol.Double.WithFloor(relative + (4.0 * U * Math.Abs(whole.Max))), $"Of(row).Value vs log Σ exp, {what}");
        }
    }

    // ---- CrossEntropyPartial ----

    [Property]
    public void CrossEntropyPartial_Merge_IsCommutativeBitwise_AndAssociative_Double(Case c) => PartialMergeLaws<double>(c);

    [Property]
    public void CrossEntropyPartial_Merge_IsCommutativeBitwise_AndAssociative_Float(Case c) => PartialMergeLaws<float>(c);

    // ---- Sharded equals whole ----

    [Property]
    public void Sharded_EqualsWhole_Double(Case c) => ShardedEqualsWhole<double>(c);

    [Property]
    public void Sharded_EqualsWhole_Float(Case c) => ShardedEqualsWhole<float>(c);

    // ---- The formula ----

    [Property]
    public void CrossEntropy_WithPerRowOutputs_MatchesDefiningFormula_Double(Case c) => MatchesDefiningFormula<double>(c, LargeVocabulary.Rows(c));

    [Property]
    public void CrossEntropy_WithPerRowOutputs_MatchesDefiningFormula_Float(Case c) => MatchesDefiningFormula<float>(c, LargeVocabulary.Rows(c));

    [Property]
    public void CrossEntropy_WithPerRowOutputs_MatchesDefiningFormula_Half(Case c) => MatchesDefiningFormula<Half>(c, LargeVocabulary.HalfRange(LargeVocabulary.Rows(c)));

    [Property]
    public void ZLossAndSoftCapGradient_MatchesFiniteDifferences_Double(Case c)
    {
        VocabularyCase drawn = LargeVocabulary.Draw(c, 3, Gradients.Moderate(LargeVocabulary.Rows(c)));
        var random = new Random(c.Special ^ 0x2545f491);

        // At least one of the two is on: λ in {1e-4, 1e-2, 0.5}, the cap in {0, 1, 4, 30} (the logits are in [−16, 16]).
        CrossEntropyOptions<double> options = drawn.Options with
        {
            ZLossScale = new[] { 1e-4, 1e-2, 0.5 }[random.Next(3)],
            SoftCap = new[] { 0.0, 1.0, 4.0, 30.0 }[random.Next(4)],
        };
        if (random.Next(3) == 0)
        {
            options = options with { ZLossScale = 0.0, SoftCap = options.SoftCap == 0.0 ? 4.0 : options.SoftCap };
        }

        Problem pr = drawn.Problem;
        double g = drawn.GradOutput;
        double[] gradient = Detailed<double>.Whole(pr, options, g).Gradient;
        double scale = LargeVocabulary.Scale(pr, options, g);
        string what = $"ε = {Tolerance.R(options.LabelSmoothing)}, λ = {Tolerance.R(options.ZLossScale)}, cap = {Tolerance.R(options.SoftCap)}, {options.Reduction}, g = {Tolerance.R(g)}";
        foreach ((int p, int j) in Gradients.Coordinates(pr, c.Special))
        {
            double actual = gradient[pr.At(p, j)];
            if (pr.IsIgnored(p))
            {
                Tolerance.AssertClose(0.0, actual, Tol.Exact, $"ignored row {p}, class {j}, {what}");
                continue;
            }

            double[] x = pr.Row(pr.Logits, p);
            int y = pr.Targets[p];
            double fd = Gradients.CentralDifference(v => DetailedReference.Loss(v, y, options), x, j, out double h);
            double bound = DifferenceError(x, pr.Classes, options, h);
            Tolerance.AssertClose(
                scale * fd,
                actual,
                Tol.Double.WithFloor(Math.Abs(scale) * bound),
                $"gradient at row {p}, class {j} vs central difference with h = {Tolerance.R(h)}, {what}");
        }
    }

    // ---- The soft cap's limit ----

    [Property]
    public void LargeSoftCap_TendsToThePlainLoss_Double(Case c)
    {
        VocabularyCase drawn = LargeVocabulary.Draw(c, 4);
        Problem pr = drawn.Problem.PoisonIgnoredRows(c.PoisonValue);
        CrossEntropyOptions<double> plain = drawn.Options with { SoftCap = 0.0 };
        double maxAbs = drawn.Problem.MaxAbsLogit();
        CrossEntropyOptions<double> capped = plain with { SoftCap = maxAbs > 0.0 ? 1e6 * maxAbs : 1.0 };
        string what = $"cap {Tolerance.R(capped.SoftCap)} vs none, λ = {Tolerance.R(plain.ZLossScale)}, ε = {Tolerance.R(plain.LabelSmoothing)}, {plain.Reduction}";

        // z = cap·tanh(x / cap) = x − x³ / (3cap²) + …, and Math.Tanh, the division and the product round three times:
        // |z − x| ≤ |x|·(t² / 3 + 4u) with t = |x| / cap ≤ 1e-6. The loss is Lipschitz in z with Σⱼ |∂ℓ/∂zⱼ| ≤ |a| + 1,
        // so it moves by at most (|a| + 1)·dz, the log-sum-exp by dz and the z-loss by 2λ·|lse|·dz; each side also
        // carries its own rounding (twice the floors).
        double t = maxAbs > 0.0 ? maxAbs / capped.SoftCap : 0.0;
        double dz = maxAbs * ((t * t / 3.0) + (4.0 * U));
        DetailedRun expected = Detailed<double>.LossOnly(pr, plain);
        DetailedRun actual = Detailed<double>.LossOnly(pr, capped);
        LargeVocabulary.RunFloors floors = LargeVocabulary.FloorsOf<double>(pr, plain, 1.0);
        var lse = new double[pr.Positions];
        var loss = new double[pr.Positions];
        var zLoss = new double[pr.Positions];
        for (int p = 0; p < pr.Positions; p++)
        {
            if (pr.IsIgnored(p))
            {
                continue;
            }

            double l = Math.Abs(expected.Rows[p].LogSumExp);
            double a = Math.Abs(1.0 + (2.0 * plain.ZLossScale * l));
            lse[p] = (2.0 * floors.Lse[p]) + dz;
            loss[p] = (2.0 * floors.Loss[p]) + ((a + 1.0) * dz);
            zLoss[p] = (2.0 * floors.ZLoss[p]) + (2.0 * plain.ZLossScale * (l + dz) * dz);
        }

        double divisor = plain.Reduction == Reduction.Mean ? Math.Max(1, LargeVocabulary.Count(pr)) : 1.0;
        var limit = new LargeVocabulary.RunFloors(lse, loss, zLoss, [], loss.Sum() / divisor, zLoss.Sum() / divisor);
        LargeVocabulary.AssertRowsClose(expected.Rows, actual.Rows, Tol.Double, limit, what);
        LargeVocabulary.AssertSummaryClose(expected.Summary, actual.Summary, Tol.Double, limit, what);

        // The gradient, at moderate logits (|x| ≤ 16, so that exp(z − lse) moves by a relative 2·dz at most): pⱼ·a
        // moves by pⱼ·(|a| + 2λ)·3dz, the chain factor 1 − t² by t² of the at most |a| + 1 it multiplies, plus each
        // side's own rounding.
        Problem moderate = Gradients.Moderate(drawn.Problem).PoisonIgnoredRows(c.PoisonValue);
        double moderateMax = Gradients.Moderate(drawn.Problem).MaxAbsLogit();
        CrossEntropyOptions<double> moderateCap = plain with { SoftCap = moderateMax > 0.0 ? 1e6 * moderateMax : 1.0 };
        double tm = moderateMax > 0.0 ? moderateMax / moderateCap.SoftCap : 0.0;
        double dzm = moderateMax * ((tm * tm / 3.0) + (4.0 * U));
        double g = drawn.GradOutput;
        double scale = Math.Abs(LargeVocabulary.Scale(moderate, plain, g));
        double[] plainGradient = Detailed<double>.Whole(moderate, plain, g).Gradient;
        double[] cappedGradient = Detailed<double>.Whole(moderate, moderateCap, g).Gradient;
        LargeVocabulary.RunFloors gradientFloors = LargeVocabulary.FloorsOf<double>(moderate, plain, g);
        for (int p = 0; p < moderate.Positions; p++)
        {
            if (moderate.IsIgnored(p))
            {
                continue;
            }

            LargeVocabulary.RowFacts f = LargeVocabulary.Facts(moderate, p, 0.0);
            double a = Math.Abs(1.0 + (2.0 * plain.ZLossScale * f.Lse));
            for (int j = 0; j < moderate.Classes; j++)
            {
                int at = moderate.At(p, j);
                double floor = (2.0 * gradientFloors.Gradient[at]) + (scale * ((f.P[j] * (a + (2.0 * plain.ZLossScale)) * 3.0 * dzm) + ((a + 1.0) * tm * tm)));
                Tolerance.AssertClose(plainGradient[at], cappedGradient[at], Tol.Double.WithFloor(floor), $"gradient at row {p}, class {j}, moderate logits, cap {Tolerance.R(moderateCap.SoftCap)} vs none");
            }
        }
    }

    // ---- Prediction and accuracy ----

    [Property]
    public void Prediction_IsTorchArgmax_AndAccuracyCountsIt_Double(Case c) => PredictionIsArgMax<double>(c);

    [Property]
    public void Prediction_IsTorchArgmax_AndAccuracyCountsIt_Float(Case c) => PredictionIsArgMax<float>(c);

    [Property]
    public void Prediction_IsTorchArgmax_AndAccuracyCountsIt_Half(Case c) => PredictionIsArgMax<Half>(c);

    // ---- Half against float ----

    [Property]
    public void Half_AgreesWithFloat_OnTheSameValues(Case c)
    {
        VocabularyCase drawn = LargeVocabulary.Draw(c, 5, LargeVocabulary.HalfRange(LargeVocabulary.Rows(c)).RoundedTo<Half>());
        Problem pr = drawn.Problem.PoisonIgnoredRows(c.PoisonValue);
        CrossEntropyOptions<double> o = drawn.Options;
        double g = drawn.GradOutputOf<Half>(); // a value of both types: the two kernels get the same upstream gradient
        string what = $"Half vs float, {drawn}";

        // Every Half value is a float value: both kernels read the same numbers. Rows are computed in double, so
        // where float takes the general path too (a soft cap, or no AVX-512) the results are bit for bit the same
        // doubles: the summaries bit for bit, the predictions exactly, and each per-row lse and loss, which each kernel
        // rounds once to its own type, consistently (the Half value is the Half rounding of a double whose float
        // rounding is the float value). The fused float path is within its own bound of the double computation
        // (LargeVocabulary's floors): the summaries within it, the rows within it once the float rows are rounded to
        // Half, with the Half preset.
        DetailedRun half = Detailed<Half>.Whole(pr, o, g);
        DetailedRun single = Detailed<float>.Whole(pr, o, g);
        if (!LargeVocabulary.Fused<float>(o.SoftCap))
        {
            AssertSameSummary(single.Summary, half.Summary, what);
            for (int p = 0; p < pr.Positions; p++)
            {
                RowResult f = single.Rows[p];
                RowResult h = half.Rows[p];
                Tolerance.Require(f.Predicted == h.Predicted && f.Correct == h.Correct, $"{what}: row {p} is {h} in Half, {f} in float");
                AssertSameDoubleRounded(f.LogSumExp, h.LogSumExp, $"{what}: row {p} log-sum-exp");
                AssertSameDoubleRounded(f.Loss, h.Loss, $"{what}: row {p} loss");
            }
        }
        else
        {
            LargeVocabulary.RunFloors floors = LargeVocabulary.FloorsOf<float>(pr, o, g);
            LargeVocabulary.AssertRowsClose(single.Rows.Select(r => r.RoundedTo<Half>()).ToArray(), half.Rows, LargeVocabulary.TolOf<Half>(), floors, what);
            LargeVocabulary.AssertSummaryClose(single.Summary, half.Summary, Tol.Double, floors, what);
        }

        // The Half gradient is the double value rounded once to Half; the float one is within its floor of the double
        // value, rounded to float. Rounded to Half, the float gradient may land on the other side of a Half rounding
        // boundary: one Half ulp (of the larger value), plus the float gradient's own floor.
        LargeVocabulary.RunFloors floatFloors = LargeVocabulary.FloorsOf<float>(pr, o, g);
        for (int i = 0; i < half.Gradient.Length; i++)
        {
            double h = half.Gradient[i];
            double f = double.CreateTruncating((Half)(float)single.Gradient[i]);
            double larger = Math.Max(Math.Abs(h), Math.Abs(f));
            double ulp = double.IsFinite(larger) ? (double)Half.BitIncrement((Half)larger) - (double)(Half)larger : 0.0;
            Tolerance.AssertClose(f, h, new Tol(0.0, ulp + floatFloors.Gradient[i]), $"{what}: gradient [{i}] (float gradient {Tolerance.R(single.Gradient[i])} rounded to Half)");
        }
    }

    // ---- Default options are plain cross entropy ----

    [Property]
    public void DefaultOptions_AreFunctionalCrossEntropy_Float(Case c)
    {
        Problem pr = (LargeVocabulary.Rows(c).RoundedTo<float>() with { LabelSmoothing = 0.0 }).PoisonIgnoredRows(c.PoisonValue);
        float[] x = Run<float>.To(pr.Logits);

        // Since 0.2 one entry serves both: the plain call (the loss, or the loss and the gradient) and the detailed call
        // (the same with every per-row output) are the same CrossEntropy with the default options. Documented: bit for
        // bit when C > 16 (both run the fused row kernel with the same chunks). Below, the loss-only path vectorizes
        // across rows and is only within its own documented bound (FastPathBounds) of the double loss, an absolute error
        // of the float log-sum, not an ulp of a small loss (seen: 0.0019771568 vs the exact 0.0019771142, which the
        // detailed loss gives to the ulp); so that bound, plus the detailed loss's own floor, is what is checked there.
        bool exact = pr.Classes > 16;
        foreach (Reduction reduction in Gradients.Scalar)
        {
            var options = new CrossEntropyOptions<double> { IgnoreIndex = pr.IgnoreIndex, Reduction = reduction };
            var kernelOptions = new CrossEntropyOptions<float> { IgnoreIndex = pr.IgnoreIndex, Reduction = reduction };
            string what = $"C = {pr.Classes}, {reduction}, ignore {pr.IgnoreIndex}";
            (float[] Losses, float[] LogSumExp, int[] Predicted) rows = Detailed<float>.UnwrittenRows(pr.Positions);
            CrossEntropySummary detailed = Functional.CrossEntropy(
                x.AsSpan(), pr.Targets.AsSpan(), pr.Classes, kernelOptions, losses: rows.Losses.AsSpan(), logSumExp: rows.LogSumExp.AsSpan(), predicted: rows.Predicted.AsSpan());
            float loss = (float)Functional.CrossEntropy(x.AsSpan(), pr.Targets.AsSpan(), pr.Classes, kernelOptions).Loss;
            LargeVocabulary.RunFloors floors = LargeVocabulary.FloorsOf<float>(pr, options, 1.0);
            double lossFloor = FastPathBounds.Floors(pr, reduction)[0] + floors.SummaryLoss;
            AssertFloatLoss(loss, detailed.Loss, exact, lossFloor, $"(float)CrossEntropy loss vs (float) the loss of CrossEntropy with per-row outputs, {what}");

            float[] gradient = Grad<float>.Unwritten(x.Length);
            float[] detailedGradient = Grad<float>.Unwritten(x.Length);
            float withGradient = (float)Functional.CrossEntropy(x.AsSpan(), pr.Targets.AsSpan(), pr.Classes, kernelOptions, gradient.AsSpan()).Loss;
            rows = Detailed<float>.UnwrittenRows(pr.Positions);
            CrossEntropySummary detailedWithGradient = Functional.CrossEntropy(
                x.AsSpan(), pr.Targets.AsSpan(), pr.Classes, kernelOptions, detailedGradient.AsSpan(), rows.Losses.AsSpan(), rows.LogSumExp.AsSpan(), rows.Predicted.AsSpan());
            AssertFloatLoss(withGradient, detailedWithGradient.Loss, exact, lossFloor, $"(float)CrossEntropy loss with gradient vs (float) the loss of CrossEntropy with gradient and per-row outputs, {what}");
            if (exact)
            {
                for (int i = 0; i < x.Length; i++)
                {
                    AssertUlps(gradient[i], detailedGradient[i], 0, $"gradient [{i}], {what}");
                }
            }
            else
            {
                // Not promised below 17 classes, where the two compute differently: both are within the float
                // gradient's error of the exact one, which is not an ulp of the result where pⱼ − [j = y] cancels
                // (seen: −1.2734532e-4 and −1.2737513e-4, 3e-8 apart, for terms of size 1 / n).
                Tolerance.AssertAllClose(
                    Run<float>.Widen(gradient), Run<float>.Widen(detailedGradient), Tol.Float, $"gradient, {what}", floors.Gradient.Select(f => 2.0 * f).ToArray());
            }
        }
    }

    // ---- Empty mean ----

    [Property]
    public void AllRowsIgnored_GiveTheEmptyMean_AndZeroGradient_Double(Case c) => AllRowsIgnored<double>(c);

    [Property]
    public void AllRowsIgnored_GiveTheEmptyMean_AndZeroGradient_Float(Case c) => AllRowsIgnored<float>(c);

    // ---- Shared bodies ----

    private static double[] Fields(LogSumExpState s) => [s.Max, s.Sum];

    private static void PartialMergeLaws<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        VocabularyCase drawn = LargeVocabulary.Draw(c, 1);
        Problem pr = drawn.Problem.RoundedTo<T>();

        // Label smoothing on, so that the logit sums are computed and merged too; three shards where C allows,
        // the missing ones empty (which also exercises the identity).
        CrossEntropyOptions<double> options = drawn.Options with { LabelSmoothing = 0.25 };
        int classes = pr.Classes;
        var random = new Random(c.Special);
        int first = classes >= 2 ? 1 + random.Next(classes - 1) : classes;
        int second = classes >= 3 ? 1 + random.Next(classes - 1) : classes;
        int[] bounds = new[] { 0, first, second, classes }.Distinct().Order().ToArray();
        int shards = bounds.Length - 1;
        var parts = new CrossEntropyPartial[3][];
        for (int s = 0; s < 3; s++)
        {
            parts[s] = s < shards
                ? Detailed<T>.MergedPartials(pr, options, bounds, [s])
                : new CrossEntropyPartial[pr.Positions];
        }

        for (int p = 0; p < pr.Positions; p++)
        {
            CrossEntropyPartial a = parts[0][p];
            CrossEntropyPartial b = parts[1][p];
            CrossEntropyPartial d = parts[2][p];
            string what = $"row {p}, shards {Format.Array(bounds)}";

            CrossEntropyPartial ab = CrossEntropyPartial.Merge(a, b);
            Tolerance.Require(ab == b.Merge(a) && ab.Coverage == b.Merge(a).Coverage, $"a ⊕ b ≠ b ⊕ a as records: {ab} vs {b.Merge(a)}, {what}");
            Gradients.AssertBitwise(LargeVocabulary.Fields(ab), LargeVocabulary.Fields(b.Merge(a)), $"a ⊕ b vs b ⊕ a, {what}");
            foreach (CrossEntropyPartial s in new[] { a, b, d })
            {
                Tolerance.Require(s.Merge(CrossEntropyPartial.Empty) == s && CrossEntropyPartial.Empty.Merge(s) == s, $"Empty is not the identity for {s}, {what}");
            }

            // Associative: everything but the two sums exactly (the maximum, its position, the class count; the
            // target logit is added to zeros); S within 16u relative as for LogSumExpState; the logit sum is a sum
            // of three terms of any sign, within 4u of Σ|terms|.
            CrossEntropyPartial left = CrossEntropyPartial.Merge(ab, d);
            CrossEntropyPartial right = CrossEntropyPartial.Merge(a, CrossEntropyPartial.Merge(b, d));
            Tolerance.Require(left.ArgMax == right.ArgMax && left.Classes == right.Classes && left.Coverage == right.Coverage, $"(a ⊕ b) ⊕ d = {left} vs a ⊕ (b ⊕ d) = {right}, {what}");
            Tolerance.AssertClose(left.MaxLogit, right.MaxLogit, Tol.Exact, $"associativity: max logit, {what}");
            Tolerance.AssertClose(left.LogSumExp.Max, right.LogSumExp.Max, Tol.Exact, $"associativity: m, {what}");
            Tolerance.AssertClose(left.TargetLogit, right.TargetLogit, Tol.Exact, $"associativity: target logit, {what}");
            Tolerance.AssertClose(left.LogSumExp.Sum, right.LogSumExp.Sum, new Tol(16.0 * U, 0.0), $"associativity: S, {what}");
            double terms = Math.Abs(a.LogitSum) + Math.Abs(b.LogitSum) + Math.Abs(d.LogitSum);
            Tolerance.AssertClose(left.LogitSum, right.LogitSum, Tol.Double.WithFloor(4.0 * U * terms), $"associativity: logit sum, {what}");
            if (!pr.IsIgnored(p))
            {
                Tolerance.Require(
                    left.Classes == classes && left.Coverage == CrossEntropyPartial.CoverageOf(0, classes),
                    $"the merged partial covers {left.Classes} of {classes} classes (coverage {left.Coverage}), {what}");
            }
        }
    }

    private static void ShardedEqualsWhole<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        VocabularyCase drawn = LargeVocabulary.Draw(c, 2, LargeVocabulary.Rows(c).RoundedTo<T>());
        Problem pr = drawn.Problem.PoisonIgnoredRows(c.PoisonValue);
        CrossEntropyOptions<double> o = drawn.Options;
        string what = $"sharded vs whole, {drawn}";
        DetailedRun whole = Detailed<T>.Whole(pr, o, drawn.GradOutputOf<T>());
        DetailedRun sharded = Detailed<T>.Sharded(pr, o, drawn.Bounds, drawn.Order, drawn.GradOutputOf<T>());

        // Both evaluate the same formula from the same numbers; only the grouping of the sums differs (and, for float
        // without a cap, each shard's own maximum in the fused pass): see LargeVocabulary's floors.
        LargeVocabulary.RunFloors floors = LargeVocabulary.FloorsOf<T>(pr, o, drawn.GradOutputOf<T>());
        Tol tol = Tol.Of<T>();
        LargeVocabulary.AssertRowsClose(whole.Rows, sharded.Rows, tol, floors, what);
        LargeVocabulary.AssertSummaryClose(whole.Summary, sharded.Summary, tol, floors, what);
        Tolerance.AssertAllClose(whole.Gradient, sharded.Gradient, tol, $"{what}: gradient", floors.Gradient);
    }

    [Property]
    public void Sharded_EqualsWhole_WithClassWeights_Double(Case c) => ShardedEqualsWholeWeighted<double>(c);

    [Property]
    public void Sharded_EqualsWhole_WithClassWeights_Float(Case c) => ShardedEqualsWholeWeighted<float>(c);

    /// <summary>
    /// With class weights (powers of two in [1/4, 4], exact in every element type), the sharded computation equals the
    /// whole-row one: weighted target term, weighted smoothing term (Σ w·z carried by the partials), Mean over Σ w[y]. The
    /// floors of the unweighted case grow by at most the largest weight (4) times the largest factor the weighted mean's
    /// divisor can add over the count (4): 16.
    /// </summary>
    private static void ShardedEqualsWholeWeighted<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        VocabularyCase drawn = LargeVocabulary.Draw(c, 2, LargeVocabulary.Rows(c).RoundedTo<T>());
        Problem pr = drawn.Problem.PoisonIgnoredRows(c.PoisonValue);
        var random = new Random(pr.Classes * 7919 + pr.Positions);
        double[] weights = Enumerable.Range(0, pr.Classes).Select(_ => Math.ScaleB(1.0, random.Next(-2, 3))).ToArray();
        CrossEntropyOptions<double> o = drawn.Options with { Weight = weights };
        string what = $"sharded vs whole with class weights [{string.Join(", ", weights)}], {drawn}";
        DetailedRun whole = Detailed<T>.Whole(pr, o, drawn.GradOutputOf<T>());
        DetailedRun sharded = Detailed<T>.Sharded(pr, o, drawn.Bounds, drawn.Order, drawn.GradOutputOf<T>());
        LargeVocabulary.RunFloors unweighted = LargeVocabulary.FloorsOf<T>(pr, drawn.Options, drawn.GradOutputOf<T>());
        const double k = 16.0;
        var floors = new LargeVocabulary.RunFloors(
            unweighted.Lse, unweighted.Loss.Select(f => k * f).ToArray(), unweighted.ZLoss, unweighted.Gradient.Select(f => k * f).ToArray(),
            k * unweighted.SummaryLoss, k * unweighted.SummaryZLoss);
        Tol tol = Tol.Of<T>();
        LargeVocabulary.AssertRowsClose(whole.Rows, sharded.Rows, tol, floors, what);
        LargeVocabulary.AssertSummaryClose(whole.Summary, sharded.Summary, tol, floors, what);
        Tolerance.AssertAllClose(whole.Gradient, sharded.Gradient, tol, $"{what}: gradient", floors.Gradient);
    }

    private static void MatchesDefiningFormula<T>(Case c, Problem problem)
        where T : IFloatingPointIeee754<T>
    {
        VocabularyCase drawn = LargeVocabulary.Draw(c, 6, problem.RoundedTo<T>());
        Problem clean = drawn.Problem;
        Problem pr = clean.PoisonIgnoredRows(c.PoisonValue);
        CrossEntropyOptions<double> o = drawn.Options;
        double g = drawn.GradOutputOf<T>();
        string what = $"{typeof(T).Name} kernel vs formula, {drawn}";

        DetailedRun actual = Detailed<T>.Whole(pr, o, g);

        // The loss-only overload gives the same summary and rows bit for bit (documented: "The summary, as the loss-only overload").
        LargeVocabulary.AssertSameBits(Detailed<T>.LossOnly(pr, o), actual with { Gradient = [] }, $"{what}: loss only vs with gradient");

        double scale = LargeVocabulary.Scale(pr, o, g);
        var rows = new RowResult[pr.Positions];
        var gradient = new double[pr.Logits.Length];
        long correct = 0;
        for (int p = 0; p < pr.Positions; p++)
        {
            if (pr.IsIgnored(p))
            {
                rows[p] = DetailedReference.IgnoredRow;
                continue;
            }

            double[] x = pr.Row(pr.Logits, p);
            rows[p] = DetailedReference.Row(x, pr.Targets[p], o);
            correct += rows[p].Correct ? 1 : 0;
            double[] d = DetailedReference.Gradient(x, pr.Targets[p], o);
            for (int j = 0; j < pr.Classes; j++)
            {
                gradient[pr.At(p, j)] = double.CreateTruncating(T.CreateTruncating(scale * d[j]));
            }
        }

        int count = LargeVocabulary.Count(pr);
        var summary = new CrossEntropySummary(
            LargeVocabulary.Reduce(rows.Select(r => r.Loss), count, o),
            LargeVocabulary.Reduce(rows.Select(r => r.ZLoss), count, o),
            count,
            correct,
            LargeVocabulary.Accuracy(correct, count, o));

        // The summary's values are doubles whatever T (the rows are computed in double). The per-row lse and loss are
        // written in T, rounded once: they are compared with the reference rounded to T, for float and double with the
        // tolerance the double rows had (the float rounding is far inside Tol.Float), for Half with the Half preset
        // (4 units of Half roundoff; both sides are roundings of doubles that agree far more closely). The row z-loss
        // λ·lse², derived from the written lse, is within 2 units of T's roundoff of the reference, inside the same.
        LargeVocabulary.RunFloors floors = LargeVocabulary.FloorsOf<T>(pr, o, g);
        Tol tol = typeof(T) == typeof(float) ? Tol.Float : Tol.Double;
        Tol rowTol = typeof(T) == typeof(Half) ? LargeVocabulary.TolOf<Half>() : tol;
        LargeVocabulary.AssertRowsClose(rows.Select(r => r.RoundedTo<T>()).ToArray(), actual.Rows, rowTol, floors, what);
        LargeVocabulary.AssertSummaryClose(summary, actual.Summary, tol, floors, what);
        Tolerance.AssertAllClose(gradient, actual.Gradient, LargeVocabulary.TolOf<T>(), $"{what}: gradient", floors.Gradient);
    }

    private static void PredictionIsArgMax<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        VocabularyCase drawn = LargeVocabulary.Draw(c, 7, LargeVocabulary.Rows(c).RoundedTo<T>());
        Problem clean = drawn.Problem;
        CrossEntropyOptions<double> o = drawn.Options;
        if (clean.Classes < 2)
        {
            return; // one class: always predicted; the conformance tests cover it
        }

        // Special values and ties, one kind per row: NaN (once or twice), +∞, −∞, a row of −∞, the row's maximum
        // copied to a later class (a tie), or the row left as generated.
        var random = new Random(c.Special ^ 0x68e31da4);
        double[] logits = (double[])clean.Logits.Clone();
        for (int p = 0; p < clean.Positions; p++)
        {
            int at = clean.At(p, random.Next(clean.Classes));
            int other = clean.At(p, random.Next(clean.Classes));
            switch (random.Next(9))
            {
                case 0:
                    logits[at] = double.NaN;
                    break;
                case 1:
                    logits[at] = double.NaN;
                    logits[other] = double.NaN;
                    break;
                case 2:
                    logits[at] = double.PositiveInfinity;
                    break;
                case 3:
                    logits[at] = double.NegativeInfinity;
                    break;
                case 4:
                    for (int j = 0; j < clean.Classes; j++)
                    {
                        logits[clean.At(p, j)] = double.NegativeInfinity;
                    }

                    break;
                case 5:
                    double[] row = clean.Row(clean.Logits, p);
                    logits[clean.At(p, clean.Classes - 1)] = row.Max();
                    break;
                default:
                    break;
            }
        }

        Problem pr = clean with { Logits = Problem.Round<T>(logits) };
        string what = $"{typeof(T).Name}, {drawn}";
        DetailedRun whole = Detailed<T>.Whole(pr, o, drawn.GradOutputOf<T>());
        DetailedRun sharded = Detailed<T>.Sharded(pr, o, drawn.Bounds, drawn.Order, drawn.GradOutputOf<T>());
        long correct = 0;
        int count = 0;
        for (int p = 0; p < pr.Positions; p++)
        {
            foreach ((string how, RowResult row) in new[] { ("whole", whole.Rows[p]), ("sharded", sharded.Rows[p]) })
            {
                if (pr.IsIgnored(p))
                {
                    Tolerance.Require(row.Predicted == -1 && !row.Correct && row.Ignored, $"{how}: ignored row {p} is {row}, {what}");
                    continue;
                }

                double[] z = DetailedReference.Capped(pr.Row(pr.Logits, p), o.SoftCap);
                int expected = DetailedReference.ArgMax(z);
                Tolerance.Require(
                    row.Predicted == expected && row.Correct == (expected == pr.Targets[p]) && !row.Ignored,
                    $"{how}: row {p} predicted {row.Predicted} (correct {row.Correct}), torch.argmax {expected}, target {pr.Targets[p]}, z = {Format.Array(z)}, {what}");
            }

            if (!pr.IsIgnored(p))
            {
                count++;
                correct += whole.Rows[p].Correct ? 1 : 0;
            }
        }

        foreach ((string how, CrossEntropySummary s) in new[] { ("whole", whole.Summary), ("sharded", sharded.Summary) })
        {
            Tolerance.Require(s.Count == count && s.Correct == correct, $"{how}: summary {s}, expected {correct} correct of {count}, {what}");
            Tolerance.AssertClose(LargeVocabulary.Accuracy(correct, count, o), s.Accuracy, Tol.Exact, $"{how}: accuracy, {what}");
        }
    }

    private static void AllRowsIgnored<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        VocabularyCase drawn = LargeVocabulary.Draw(c, 8, LargeVocabulary.Rows(c).RoundedTo<T>());
        Problem clean = drawn.Problem;
        Problem pr = (clean with { Targets = Enumerable.Repeat(clean.IgnoreIndex, clean.Positions).ToArray() })
            .PoisonIgnoredRows(c.PoisonValue ?? double.NaN);
        CrossEntropyOptions<double> o = drawn.Options;
        string what = $"every row ignored, {drawn}";

        // Documented: with no counted row the mean and the accuracy are NaN, or 0 under EmptyMean.Zero; a sum of
        // nothing is 0; the gradient is 0 everywhere (ignored rows get 0 whatever they hold).
        double empty = LargeVocabulary.Empty(o);
        double reduced = o.Reduction == Reduction.Mean ? empty : 0.0;
        foreach ((string how, DetailedRun run) in new[]
        {
            ("whole", Detailed<T>.Whole(pr, o, drawn.GradOutputOf<T>())),
            ("sharded", Detailed<T>.Sharded(pr, o, drawn.Bounds, drawn.Order, drawn.GradOutputOf<T>())),
        })
        {
            CrossEntropySummary s = run.Summary;
            Tolerance.Require(s.Count == 0 && s.Correct == 0, $"{how}: {s}, {what}");
            Gradients.AssertBitwise([reduced, reduced, empty], [s.Loss, s.ZLoss, s.Accuracy], $"{how}: summary (loss, z-loss, accuracy), {what}");
            for (int p = 0; p < pr.Positions; p++)
            {
                RowResult row = run.Rows[p];
                Tolerance.Require(double.IsNaN(row.LogSumExp) && row.Predicted == -1 && !row.Correct && row.Ignored, $"{how}: row {p} is {row}, {what}");
                Gradients.AssertBitwise([0.0, 0.0], [row.Loss, row.ZLoss], $"{how}: row {p} loss and z-loss, {what}");
            }

            Gradients.AssertBitwise(new double[run.Gradient.Length], run.Gradient, $"{how}: gradient, {what}");
        }
    }

    /// <summary>
    /// The error allowed between ∂ℓ/∂xⱼ of one row and its central difference, for scale 1. With z = cap·tanh(x / cap)
    /// and f₁ = ∂ℓ/∂zⱼ = pⱼ·a − ε/C − (1 − ε)[j = y], a = 1 + 2λ·lse: f₂ = pⱼ(1 − pⱼ)a + 2λpⱼ², f₃ =
    /// pⱼ(1 − pⱼ)(1 − 2pⱼ)a + 6λpⱼ²(1 − pⱼ), so |f₁| ≤ A + 1, |f₂| ≤ A/4 + 2λ, |f₃| ≤ A/10 + λ with A ≥ |a| along the
    /// step (|lse| ≤ max|z| + ln C). Through the cap, z′ ≤ 1, |z″| ≤ 0.77/cap, |z‴| ≤ 2/cap², and ℓ‴ in xⱼ is
    /// f₃z′³ + 3f₂z′z″ + f₁z‴: truncation h²/6 times that bound. The reference evaluates each −log softmax within
    /// 3u·(R + ln C + 1) and lse within 4u·(|m| + ln C + 2) (R = the spread of z), the z-loss adds 2λ·|lse|·that plus
    /// its own rounding, and zⱼ itself (the only capped logit the step changes) is within 3u·|zⱼ|, which moves ℓ by
    /// (A + 1) times that: δ per evaluation, δ/h in the quotient. The kernel's own gradient is within
    /// 2(A + 1)·(Floors.LogSum + 8u).
    /// </summary>
    private static double DifferenceError(double[] x, int classes, CrossEntropyOptions<double> o, double h)
    {
        double cap = o.SoftCap;
        double lambda = o.ZLossScale;
        double[] z = DetailedReference.Capped(x, cap);
        double zMax = z.Max(Math.Abs) + h;
        double lnC = Math.Log(classes);
        double lse = zMax + lnC;
        double a = 1.0 + (2.0 * lambda * lse);
        double k3 = (a / 10.0) + lambda;
        if (cap > 0.0)
        {
            k3 += (3.0 * ((a / 4.0) + (2.0 * lambda)) * 0.77 / cap) + (2.0 * (a + 1.0) / (cap * cap));
        }

        double spread = z.Max() - z.Min() + h;
        double lseError = 4.0 * U * (zMax + lnC + 2.0);
        double delta = (8.0 * U * (spread + lnC + 2.0)) + (2.0 * lambda * lse * lseError) + (3.0 * U * lambda * lse * lse) + (6.0 * U * (a + 1.0) * zMax);
        double kernel = 2.0 * (a + 1.0) * (Floors.LogSum(classes) + (8.0 * U));
        return (delta / h) + (h * h * k3 / 6.0) + kernel;
    }

    /// <summary>Two summaries bit for bit: counts exactly; loss, z-loss and accuracy to the bit (any NaN equals any NaN).</summary>
    private static void AssertSameSummary(CrossEntropySummary expected, CrossEntropySummary actual, string what)
    {
        Tolerance.Require(expected.Count == actual.Count && expected.Correct == actual.Correct, $"{what}: counts {actual}, expected {expected}");
        Gradients.AssertBitwise(
            [expected.Loss, expected.ZLoss, expected.Accuracy],
            [actual.Loss, actual.ZLoss, actual.Accuracy],
            $"{what}: summary (loss, z-loss, accuracy)");
    }

    /// <summary>
    /// Whether <paramref name="half"/> (a Half value, widened) and <paramref name="single"/> (a float value, widened) can
    /// be the roundings of one double d: the Half rounding of some d in the interval that rounds to the float value.
    /// Rounding is monotone and the interval is narrower than a Half ulp, so the Half roundings of its two ends are the
    /// only candidates (both the same unless the float value is a midpoint of two Halfs, or next to one).
    /// </summary>
    private static void AssertSameDoubleRounded(double single, double half, string what)
    {
        if (double.IsNaN(single) || double.IsNaN(half) || double.IsInfinity(single))
        {
            Tolerance.AssertClose(single, half, Tol.Exact, $"{what} (Half vs float)");
            return;
        }

        float f = (float)single;
        double below = ((double)MathF.BitDecrement(f) + f) / 2.0;
        double above = ((double)MathF.BitIncrement(f) + f) / 2.0;
        Half low = (Half)below;
        Half high = (Half)above;
        short actual = BitConverter.HalfToInt16Bits((Half)half);
        Tolerance.Require(
            actual == BitConverter.HalfToInt16Bits(low) || actual == BitConverter.HalfToInt16Bits(high) || actual == BitConverter.HalfToInt16Bits((Half)f),
            $"{what}: Half {Tolerance.R(half)} is not the Half rounding of a double whose float rounding is {Tolerance.R(single)} (candidates {Tolerance.R((double)low)}, {Tolerance.R((double)high)})");
    }

    private static void AssertFloatLoss(float loss, double detailed, bool exact, double floor, string what)
    {
        if (exact)
        {
            AssertUlps(loss, (float)detailed, 0, what);
        }
        else
        {
            Tolerance.AssertClose((float)detailed, loss, new Tol(2.0 * Tolerance.UnitRoundoffFloat, 0.0).WithFloor(floor), what);
        }
    }

    /// <summary>|a − b| in float ulps at most <paramref name="allowed"/> (NaN only with NaN, infinities only with themselves).</summary>
    private static void AssertUlps(float expected, float actual, int allowed, string what)
    {
        if (float.IsNaN(expected) || float.IsNaN(actual) || float.IsInfinity(expected) || float.IsInfinity(actual))
        {
            Tolerance.AssertClose(expected, actual, Tol.Exact, what);
            return;
        }

        double larger = Math.Max(Math.Abs(expected), Math.Abs(actual));
        double ulp = (double)MathF.BitIncrement((float)larger) - (float)larger;
        Tolerance.AssertClose(expected, actual, new Tol(0.0, allowed * ulp), $"{what} (at most {allowed} ulp)");
        if (allowed == 0 && BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(actual))
        {
            throw new PropertyFailedException($"{what}: expected {Tolerance.R(expected)}, actual {Tolerance.R(actual)} (sign of zero differs).");
        }
    }
}
