using System;
using System.Globalization;
using System.Linq;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>
/// A language-model head: N hidden states of D features, a weight of V classes × D, an optional bias, class-index
/// targets (every <see cref="IgnoredEvery"/>-th row ignored when it is not 0) and every option of cross entropy.
/// </summary>
public sealed record LinearCase(
    int Rows, int Features, int Classes, bool Bias, bool Weighted, double Smoothing, double ZLoss, double SoftCap, Reduction Reduction,
    EmptyMean EmptyMean, int IgnoredEvery, bool Accumulate, double GradOutput, int Seed)
{
    public const int IgnoreIndex = -100;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"N={Rows}, D={Features}, V={Classes}, bias {Bias}, weights {Weighted}, ε={Smoothing}, λ={ZLoss}, cap={SoftCap}, {Reduction}, empty {EmptyMean}, ignored every {IgnoredEvery}, accumulate {Accumulate}, g={GradOutput}, seed {Seed}");

    public CrossEntropyOptions<T> Options<T>(double[]? weights)
        where T : IFloatingPointIeee754<T> => new()
        {
            Weight = weights is null ? null : Run<T>.To(weights),
            IgnoreIndex = IgnoreIndex,
            LabelSmoothing = Smoothing,
            ZLossScale = ZLoss,
            SoftCap = SoftCap,
            Reduction = Reduction,
            EmptyMean = EmptyMean,
        };
}

/// <summary>Shapes of 1, primes and sizes around the tile widths, the class block (256) and, now and then, the row blocks (512 rows make one block, 513 two, 1031 three of unequal rows).</summary>
public class LinearGenerators
{
    public static Arbitrary<LinearCase> Cases() => Arb.From(
        from rows in Gen.Frequency((1, Gen.Constant(0)), (12, Gen.Elements(1, 2, 3, 5, 7, 11, 12, 13, 31, 37)), (1, Gen.Elements(512, 513, 1031)))
        from features in Gen.Elements(1, 2, 3, 5, 7, 16, 17, 31, 33)
        from classes in Gen.Frequency((4, Gen.Elements(1, 2, 3, 5, 7, 31, 32, 33)), (1, Gen.Elements(255, 256, 257, 300)))
        from bias in Gen.Elements(false, true)
        from weighted in Gen.Elements(false, false, true)
        from smoothing in Gen.Elements(0.0, 0.0, 0.1, 1.0)
        from zLoss in Gen.Elements(0.0, 0.0, 1e-3)
        from cap in Gen.Elements(0.0, 0.0, 3.0)
        from reduction in Gen.Elements(Reduction.Mean, Reduction.Sum, Reduction.None)
        from emptyMean in Gen.Elements(EmptyMean.NaN, EmptyMean.Zero)
        from ignored in Gen.Elements(0, 0, 1, 3)
        from accumulate in Gen.Elements(false, true)
        from gradOutput in Gen.Elements(1.0, 1.0, -0.5, 3.0)
        from seed in Gen.Choose(0, int.MaxValue)
        select new LinearCase(rows, features, classes, bias, weighted, smoothing, zLoss, cap, reduction, emptyMean, ignored, accumulate, gradOutput, seed));
}

/// <summary>
/// <see cref="Functional.LinearCrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, ReadOnlySpan{T}, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, bool)"/> against the unfused path: the logits H·Wᵀ + b in double, then
/// the library's cross entropy in double, then ∂H = G·W, ∂W = Gᵀ·H, ∂b = Σ G in double. The bound (docs/large-vocabulary.md):
/// a logit of row n is within δₙ = (D + 2)·u·maxⱼ(Σ_d |hₙd·wⱼd| + |bⱼ|) of its exact value (u the unit roundoff of T),
/// so the loss of row n is within 2·(w_max + λ·|lseₙ|)·δₙ plus its rounding, each gradient entry G within
/// Eₙⱼ = s·pₙⱼ·(4A + 2λ)·δₙ (+ the soft cap's 2δₙ/cap share) plus its rounding, and each product within Σ E·|factor| plus
/// (K + 2)·u·Σ |G|·|factor| for K terms; the comparisons allow twice that.
/// </summary>
[Properties(Arbitrary = new[] { typeof(LinearGenerators) })]
public class LinearCrossEntropyProperties
{
    /// <summary>The data of a case, rounded to T (so that both paths read the same numbers), and its buffers' initial values.</summary>
    private sealed class Data<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly T[] H, W, B, InitialW, InitialB;
        public readonly int[] Y;
        public readonly double[]? ClassWeights;

        public Data(LinearCase c)
        {
            var random = new Random(c.Seed);
            double scale = 3.0 / Math.Sqrt(c.Features);
            H = Make(random, c.Rows * c.Features, 1.0);
            W = Make(random, c.Classes * c.Features, scale);
            B = c.Bias ? Make(random, c.Classes, 1.0) : [];
            InitialW = Make(random, c.Classes * c.Features, 1.0);
            InitialB = Make(random, c.Classes, 1.0);
            Y = Enumerable.Range(0, c.Rows).Select(n => c.IgnoredEvery > 0 && n % c.IgnoredEvery == 0 ? LinearCase.IgnoreIndex : random.Next(c.Classes)).ToArray();
            ClassWeights = c.Weighted ? Enumerable.Range(0, c.Classes).Select(_ => Math.ScaleB(1.0, random.Next(-2, 3))).ToArray() : null;
        }

        private static T[] Make(Random random, int count, double scale) =>
            Enumerable.Range(0, count).Select(_ => T.CreateTruncating((random.NextDouble() * 2 - 1) * scale)).ToArray();

        public static double D(T value) => double.CreateTruncating(value);
    }

    /// <summary>Everything a call writes.</summary>
    private sealed record Outputs(CrossEntropySummary Summary, double[] Losses, double[] Lse, int[] Predicted, double[] DH, double[] DW, double[] DB);

    private static Outputs Fused<T>(LinearCase c, Data<T> d, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dh = Enumerable.Repeat(T.CreateTruncating(42.0), c.Rows * c.Features).ToArray();
        var dw = c.Accumulate ? (T[])d.InitialW.Clone() : Enumerable.Repeat(T.CreateTruncating(42.0), d.InitialW.Length).ToArray();
        var db = c.Accumulate ? (T[])d.InitialB.Clone() : Enumerable.Repeat(T.CreateTruncating(42.0), c.Classes).ToArray();
        var losses = new T[c.Rows];
        var lse = new T[c.Rows];
        var predicted = new int[c.Rows];
        T[] gradOutput = c.Reduction == Reduction.None
            ? Enumerable.Range(0, c.Rows).Select(n => T.CreateTruncating(c.GradOutput * (1 + (n % 3)))).ToArray()
            : [T.CreateTruncating(c.GradOutput)];
        int saved = Functional.MaxDegreeOfParallelism;
        Functional.MaxDegreeOfParallelism = threads;
        try
        {
            CrossEntropySummary summary = Functional.LinearCrossEntropy<T, int>(
                d.H, d.W, d.Y, c.Features, d.B, c.Options<T>(d.ClassWeights), dh, dw, db, losses, lse, predicted, gradOutput, c.Accumulate);
            return new Outputs(summary, Run<T>.Widen(losses), Run<T>.Widen(lse), predicted, Run<T>.Widen(dh), Run<T>.Widen(dw), Run<T>.Widen(db));
        }
        finally
        {
            Functional.MaxDegreeOfParallelism = saved;
        }
    }

    /// <summary>The unfused path in double, with the bounds of the fused one's differences from it.</summary>
    private sealed record Expected(Outputs Values, Outputs Bounds, bool[] ClearPrediction);

    private static Expected Unfused<T>(LinearCase c, Data<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = c.Rows, f = c.Features, v = c.Classes;
        double u = typeof(T) == typeof(float) ? Tolerance.UnitRoundoffFloat : Tolerance.UnitRoundoffDouble;
        double[] h = Run<T>.Widen(d.H), w = Run<T>.Widen(d.W), b = Run<T>.Widen(d.B);
        var z = new double[n * v];
        var delta = new double[n];
        for (int r = 0; r < n; r++)
        {
            for (int j = 0; j < v; j++)
            {
                double sum = b.Length == 0 ? 0.0 : b[j], magnitude = b.Length == 0 ? 0.0 : Math.Abs(b[j]);
                for (int k = 0; k < f; k++)
                {
                    sum += h[r * f + k] * w[j * f + k];
                    magnitude += Math.Abs(h[r * f + k] * w[j * f + k]);
                }

                z[r * v + j] = sum;
                delta[r] = Math.Max(delta[r], (f + 2) * u * magnitude);
            }
        }

        var g = new double[n * v];
        var losses = new double[n];
        var lse = new double[n];
        var predicted = new int[n];
        double[] gradOutput = c.Reduction == Reduction.None
            ? Enumerable.Range(0, n).Select(r => double.CreateTruncating(T.CreateTruncating(c.GradOutput * (1 + (r % 3))))).ToArray()
            : [double.CreateTruncating(T.CreateTruncating(c.GradOutput))];
        CrossEntropySummary summary = Functional.CrossEntropy<double, int>(
            z, d.Y, v, c.Options<double>(d.ClassWeights), n == 0 ? default : g.AsSpan(), losses, lse, predicted, n == 0 ? default : gradOutput.AsSpan());

        // The bound of each G entry from δ.
        double wMax = d.ClassWeights?.Max() ?? 1.0;
        double lambda = c.ZLoss;
        var errorG = new double[n * v];
        var lossBound = new double[n];
        var lseBound = new double[n];
        var clear = new bool[n];
        double weightSum = 0.0;
        for (int r = 0; r < n; r++)
        {
            if (d.Y[r] == LinearCase.IgnoreIndex)
            {
                clear[r] = true;
                continue;
            }

            weightSum += d.ClassWeights?[d.Y[r]] ?? 1.0;
            double[] capped = Enumerable.Range(0, v).Select(j => c.SoftCap == 0 ? z[r * v + j] : c.SoftCap * Math.Tanh(z[r * v + j] / c.SoftCap)).ToArray();
            double m = capped.Max();
            double[] p = capped.Select(x => Math.Exp(x - m)).ToArray();
            double total = p.Sum();
            double s = c.Reduction == Reduction.None ? gradOutput[r] : gradOutput[0];
            double a = wMax + 2 * lambda * Math.Abs(lse[r]);
            for (int j = 0; j < v; j++)
            {
                double pj = p[j] / total;
                double dj = Math.Abs(pj * a) + (c.Smoothing * wMax / v) + (j == d.Y[r] ? wMax : 0.0);
                errorG[r * v + j] = Math.Abs(s) * ((pj * (4 * a + 2 * lambda) * delta[r]) + (c.SoftCap > 0 ? dj * 2 * delta[r] / c.SoftCap : 0.0));
            }

            lossBound[r] = 2 * (wMax + lambda * Math.Abs(lse[r])) * delta[r] + 8 * u * Math.Abs(losses[r]);
            lseBound[r] = delta[r] + 4 * u * Math.Abs(lse[r]);
            double[] sorted = capped.OrderByDescending(x => x).ToArray();
            clear[r] = v == 1 || sorted[0] - sorted[1] > 4 * delta[r];
        }

        double scaleOfG = c.Reduction == Reduction.Mean ? (weightSum == 0 ? 0.0 : 1.0 / weightSum) : 1.0;
        for (int e = 0; e < errorG.Length; e++)
        {
            errorG[e] = errorG[e] * scaleOfG + 2 * u * Math.Abs(g[e]);
        }

        // The products and their bounds.
        var dh = new double[n * f];
        var dhBound = new double[n * f];
        for (int r = 0; r < n; r++)
        {
            for (int k = 0; k < f; k++)
            {
                double sum = 0, err = 0, mag = 0;
                for (int j = 0; j < v; j++)
                {
                    sum += g[r * v + j] * w[j * f + k];
                    err += errorG[r * v + j] * Math.Abs(w[j * f + k]);
                    mag += Math.Abs(g[r * v + j] * w[j * f + k]);
                }

                dh[r * f + k] = sum;
                dhBound[r * f + k] = err + (v + 2) * u * mag;
            }
        }

        var dw = new double[v * f];
        var dwBound = new double[v * f];
        var db = new double[v];
        var dbBound = new double[v];
        for (int j = 0; j < v; j++)
        {
            double initialB = c.Accumulate ? Data<T>.D(d.InitialB[j]) : 0.0;
            double sumB = initialB, errB = 0, magB = Math.Abs(initialB);
            for (int r = 0; r < n; r++)
            {
                sumB += g[r * v + j];
                errB += errorG[r * v + j];
                magB += Math.Abs(g[r * v + j]);
            }

            db[j] = sumB;
            dbBound[j] = errB + (n + 2) * u * magB;
            for (int k = 0; k < f; k++)
            {
                double initial = c.Accumulate ? Data<T>.D(d.InitialW[j * f + k]) : 0.0;
                double sum = initial, err = 0, mag = Math.Abs(initial);
                for (int r = 0; r < n; r++)
                {
                    sum += g[r * v + j] * h[r * f + k];
                    err += errorG[r * v + j] * Math.Abs(h[r * f + k]);
                    mag += Math.Abs(g[r * v + j] * h[r * f + k]);
                }

                dw[j * f + k] = sum;
                dwBound[j * f + k] = err + (n + 2) * u * mag;
            }
        }

        double summaryBound = lossBound.Sum() / (c.Reduction == Reduction.Mean && weightSum > 0 ? weightSum : 1.0) + 8 * u * Math.Abs(summary.Loss);
        var bounds = new Outputs(new CrossEntropySummary(summaryBound, 0, 0, 0, 0), lossBound, lseBound, [], dhBound, dwBound, dbBound);
        return new Expected(new Outputs(summary, losses, lse, predicted, dh, dw, db), bounds, clear);
    }

    private static void AssertWithin(double[] expected, double[] actual, double[] bound, string what, LinearCase c)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = expected[i] == actual[i] || (double.IsNaN(expected[i]) && double.IsNaN(actual[i]));
            Tolerance.Require(
                same || Math.Abs(expected[i] - actual[i]) <= 2 * bound[i] + 1e-300,
                $"{what}[{i}] = {Tolerance.R(actual[i])}, unfused {Tolerance.R(expected[i])}, bound {Tolerance.R(2 * bound[i])}, for {c}");
        }
    }

    private static void Check<T>(LinearCase c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = new Data<T>(c);
        Outputs fused = Fused(c, data, threads: 2);
        Expected expected = Unfused(c, data);
        Outputs e = expected.Values;
        string type = typeof(T).Name;

        // The summary: loss within the reduced bound; count always; the accuracy where no prediction is a near tie.
        bool sameLoss = e.Summary.Loss.Equals(fused.Summary.Loss);
        Tolerance.Require(
            sameLoss || Math.Abs(e.Summary.Loss - fused.Summary.Loss) <= 2 * expected.Bounds.Summary.Loss,
            $"{type} loss {Tolerance.R(fused.Summary.Loss)}, unfused {Tolerance.R(e.Summary.Loss)}, bound {Tolerance.R(2 * expected.Bounds.Summary.Loss)}, for {c}");
        Tolerance.Require(e.Summary.Count == fused.Summary.Count, $"{type} count {fused.Summary.Count}, unfused {e.Summary.Count}, for {c}");
        if (expected.ClearPrediction.All(x => x))
        {
            Tolerance.Require(e.Summary.Correct == fused.Summary.Correct, $"{type} correct {fused.Summary.Correct}, unfused {e.Summary.Correct}, for {c}");
            Tolerance.Require(e.Predicted.SequenceEqual(fused.Predicted), $"{type} predictions differ, for {c}");
        }

        AssertWithin(e.Losses, fused.Losses, expected.Bounds.Losses, $"{type} losses", c);
        AssertWithin(e.Lse, fused.Lse, expected.Bounds.Lse, $"{type} logSumExp", c);
        AssertWithin(e.DH, fused.DH, expected.Bounds.DH, $"{type} ∂H", c);
        AssertWithin(e.DW, fused.DW, expected.Bounds.DW, $"{type} ∂W", c);
        AssertWithin(e.DB, fused.DB, expected.Bounds.DB, $"{type} ∂b", c);

        // The same bits at 1 and 3 threads as at 2.
        foreach (int threads in new[] { 1, 3 })
        {
            Outputs other = Fused(c, data, threads);
            Tolerance.Require(
                other.Summary.Equals(fused.Summary) && other.Losses.SequenceEqual(fused.Losses) && other.Lse.SequenceEqual(fused.Lse)
                && other.Predicted.SequenceEqual(fused.Predicted) && other.DH.SequenceEqual(fused.DH) && other.DW.SequenceEqual(fused.DW)
                && other.DB.SequenceEqual(fused.DB),
                $"{type}: {threads} threads give other bits than 2, for {c}");
        }
    }

    [Property(MaxTest = 40)]
    public void Float_EqualsTheUnfusedPath_WithinItsBound_AtEveryThreadCount(LinearCase c) => Check<float>(c);

    [Property(MaxTest = 40)]
    public void Double_EqualsTheUnfusedPath_WithinItsBound_AtEveryThreadCount(LinearCase c) => Check<double>(c);

    /// <summary>An ignored row contributes nothing: changing its hidden state changes no output, bit for bit, and its ∂H row is 0.</summary>
    [Property(MaxTest = 30)]
    public void IgnoredRows_ContributeNothing(LinearCase c)
    {
        c = c with { IgnoredEvery = 2 };
        var data = new Data<float>(c);
        Outputs first = Fused(c, data, 2);
        for (int r = 0; r < c.Rows; r += 2)
        {
            for (int k = 0; k < c.Features; k++)
            {
                data.H[r * c.Features + k] = 1000f * (k % 2 == 0 ? 1 : -1);
            }
        }

        Outputs second = Fused(c, data, 2);
        Tolerance.Require(first.Summary.Equals(second.Summary), $"the summary changed with an ignored row's hidden state, for {c}");
        Tolerance.Require(first.DW.SequenceEqual(second.DW) && first.DB.SequenceEqual(second.DB), $"∂W or ∂b changed with an ignored row's hidden state, for {c}");
        Tolerance.Require(first.DH.SequenceEqual(second.DH), $"∂H changed with an ignored row's hidden state, for {c}");
        for (int r = 0; r < c.Rows; r += 2)
        {
            for (int k = 0; k < c.Features; k++)
            {
                Tolerance.Require(second.DH[r * c.Features + k] == 0.0, $"∂H[{r}, {k}] of an ignored row is {second.DH[r * c.Features + k]}, for {c}");
            }
        }
    }

    /// <summary>The loss alone (no gradient buffer) is the same summary and per-row outputs, bit for bit.</summary>
    [Property(MaxTest = 30)]
    public void LossOnly_IsTheSameSummary(LinearCase c)
    {
        var data = new Data<float>(c);
        Outputs full = Fused(c, data, 2);
        var losses = new float[c.Rows];
        var lse = new float[c.Rows];
        var predicted = new int[c.Rows];
        CrossEntropySummary summary = Functional.LinearCrossEntropy<float, int>(
            data.H, data.W, data.Y, c.Features, data.B, c.Options<float>(data.ClassWeights), losses: losses, logSumExp: lse, predicted: predicted);
        Tolerance.Require(summary.Equals(full.Summary), $"loss only {summary}, with gradients {full.Summary}, for {c}");
        Tolerance.Require(Run<float>.Widen(losses).SequenceEqual(full.Losses) && predicted.SequenceEqual(full.Predicted), $"per-row outputs differ, for {c}");
    }
}
