using System;
using System.Linq;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// <see cref="Functional.LinearCrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, ReadOnlySpan{T}, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, bool)"/>: its refusals (each before anything is written), its gradients
/// against finite differences of its own loss, an empty batch, and gradient accumulation.
/// </summary>
public class LinearCrossEntropyTests
{
    private const double Sentinel = 42.0;

    // N = 3 rows, D = 2 features, V = 4 classes.
    private static readonly double[] Hidden = [0.5, -1.0, 1.5, 0.25, -0.75, 2.0];
    private static readonly double[] Weight = [1.0, 0.5, -0.5, 1.0, 0.25, -1.5, 2.0, 0.75];
    private static readonly double[] Bias = [0.1, -0.2, 0.3, 0.0];
    private static readonly int[] Targets = [2, 0, 3];

    private static double[] Filled(int count) => Enumerable.Repeat(Sentinel, count).ToArray();

    private static void AssertRefused<TException>(Action call, string paramName, params string[] fragments)
        where TException : ArgumentException
    {
        TException e = Assert.Throws<TException>(call);
        Assert.Equal(paramName, e.ParamName);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BadShapesAndValues_AreRefused_NamingTheParameter_BeforeAnythingIsWritten()
    {
        double[] dh = Filled(6), dw = Filled(8), db = Filled(4), losses = Filled(3);
        void Call(double[] hidden, double[] weight, int[] target, int features, double[]? bias = null, CrossEntropyOptions<double>? options = null,
            double[]? hiddenGradient = null, double[]? weightGradient = null, double[]? gradOutput = null) =>
            Functional.LinearCrossEntropy<double, int>(
                hidden, weight, target, features, bias ?? Bias, options, hiddenGradient ?? dh, weightGradient ?? dw, db, losses, gradOutput: gradOutput);

        AssertRefused<ArgumentOutOfRangeException>(() => Call(Hidden, Weight, Targets, 0), "features", "at least 1");
        AssertRefused<ArgumentException>(() => Call(Hidden, Weight, Targets, 3), "hidden", "(3 × 3 = 9)", "it holds 6");
        AssertRefused<ArgumentException>(() => Call(Hidden, Weight[..7], Targets, 2), "weight", "V rows of D = 2", "it holds 7");
        AssertRefused<ArgumentException>(() => Call(Hidden, [], Targets, 2), "weight", "V ≥ 1");
        AssertRefused<ArgumentException>(() => Call(Hidden, Weight, Targets, 2, bias: [1.0, 2.0]), "bias", "(V = 4)", "it holds 2");
        AssertRefused<ArgumentException>(
            () => Call(Hidden, Weight, Targets, 2, options: new CrossEntropyOptions<double> { Weight = new[] { 1.0, 2.0 } }), "weight", "(4)", "got 2");
        AssertRefused<ArgumentOutOfRangeException>(() => Call(Hidden, Weight, [2, 4, 0], 2), "target", "position 1", "4");
        AssertRefused<ArgumentOutOfRangeException>(() => Call(Hidden, Weight, [2, -1, 0], 2), "target", "position 1", "-1");
        AssertRefused<ArgumentException>(() => Call(Hidden, Weight, Targets, 2, hiddenGradient: Filled(5)), "hiddenGradient", "(6)", "holds 5");
        AssertRefused<ArgumentException>(() => Call(Hidden, Weight, Targets, 2, weightGradient: Filled(7)), "weightGradient", "(8)", "holds 7");
        AssertRefused<ArgumentException>(() => Call(Hidden, Weight, Targets, 2, gradOutput: [1.0, 2.0]), "gradOutput", "one upstream gradient");

        // Outputs may not overlap inputs or each other.
        double[] shared = Filled(16);
        AssertRefused<ArgumentException>(
            () => Functional.LinearCrossEntropy<double, int>(shared.AsSpan(0, 6), Weight, Targets, 2, Bias, null, shared.AsSpan(4, 6), dw, db), "hiddenGradient", "hidden");
        AssertRefused<ArgumentException>(
            () => Functional.LinearCrossEntropy<double, int>(Hidden, Weight, Targets, 2, Bias, null, shared.AsSpan(0, 6), shared.AsSpan(5, 8), db), "weightGradient", "hiddenGradient");

        // gradOutput without a gradient.
        AssertRefused<ArgumentException>(
            () => Functional.LinearCrossEntropy<double, int>(Hidden, Weight, Targets, 2, Bias, gradOutput: new[] { 1.0 }), "gradOutput", "with a gradient buffer");

        Assert.All(dh.Concat(dw).Concat(db).Concat(losses), v => Assert.Equal(Sentinel, v));
        Assert.All(shared, v => Assert.Equal(Sentinel, v));
    }

    /// <summary>Sum of the loss over Hidden, Weight and Bias with every option on, at a point: what finite differences differentiate.</summary>
    private static double Loss(double[] hidden, double[] weight, double[] bias, CrossEntropyOptions<double> options) =>
        Functional.LinearCrossEntropy<double, int>(hidden, weight, [2, -100, 3], 2, bias, options).Loss;

    [Fact]
    public void Gradients_MatchCentralDifferences_WithEveryOption()
    {
        var options = new CrossEntropyOptions<double>
        {
            Weight = new[] { 0.5, 2.0, 1.0, 1.5 },
            IgnoreIndex = -100,
            LabelSmoothing = 0.2,
            ZLossScale = 0.01,
            SoftCap = 2.5,
            Reduction = Reduction.Mean,
        };
        double[] dh = new double[6], dw = new double[8], db = new double[4];
        Functional.LinearCrossEntropy<double, int>(Hidden, Weight, [2, -100, 3], 2, Bias, options, dh, dw, db);
        const double step = 1e-6;
        void Compare(double[] point, double[] analytic, string name)
        {
            for (int i = 0; i < point.Length; i++)
            {
                double saved = point[i];
                point[i] = saved + step;
                double up = Loss(Hidden, Weight, Bias, options);
                point[i] = saved - step;
                double down = Loss(Hidden, Weight, Bias, options);
                point[i] = saved;
                double numeric = (up - down) / (2 * step);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-7 * Math.Max(1.0, Math.Abs(numeric)), $"{name}[{i}]: analytic {analytic[i]}, central difference {numeric}");
            }
        }

        Compare(Hidden, dh, "∂H");
        Compare(Weight, dw, "∂W");
        Compare(Bias, db, "∂b");
        Assert.Equal(0.0, dh[2]);
        Assert.Equal(0.0, dh[3]);
    }

    [Fact]
    public void AnEmptyBatch_HasTheEmptyMean_AndZeroParameterGradients_OrLeavesThemWhenAccumulating()
    {
        double[] dw = Filled(8), db = Filled(4);
        CrossEntropySummary summary = Functional.LinearCrossEntropy<double, int>([], Weight, [], 2, Bias, null, default, dw, db);
        Assert.True(double.IsNaN(summary.Loss));
        Assert.Equal(0, summary.Count);
        Assert.All(dw.Concat(db), v => Assert.Equal(0.0, v));

        dw = Filled(8);
        db = Filled(4);
        summary = Functional.LinearCrossEntropy<double, int>(
            [], Weight, [], 2, Bias, new CrossEntropyOptions<double> { EmptyMean = EmptyMean.Zero }, default, dw, db, accumulate: true);
        Assert.Equal(0.0, summary.Loss);
        Assert.All(dw.Concat(db), v => Assert.Equal(Sentinel, v));
    }

    [Fact]
    public void Accumulate_AddsTheParameterGradients_AndOverwritesTheHiddenGradient()
    {
        double[] dh = new double[6], dw = new double[8], db = new double[4];
        Functional.LinearCrossEntropy<double, int>(Hidden, Weight, Targets, 2, Bias, null, dh, dw, db);
        double[] dh2 = Filled(6), dw2 = Filled(8), db2 = Filled(4);
        Functional.LinearCrossEntropy<double, int>(Hidden, Weight, Targets, 2, Bias, null, dh2, dw2, db2, accumulate: true);
        Assert.Equal(dh, dh2);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(Sentinel + dw[i], dw2[i], 1e-14);
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(Sentinel + db[i], db2[i], 1e-14);
        }
    }

    /// <summary>Half is stored as Half and computed in float: every output is the float call's on the widened inputs, rounded once.</summary>
    [Fact]
    public void Half_IsTheFloatComputation_RoundedOnce()
    {
        var random = new Random(5);
        const int n = 37, d = 19, v = 300;
        Half[] h = Enumerable.Range(0, n * d).Select(_ => (Half)(random.NextDouble() * 2 - 1)).ToArray();
        Half[] w = Enumerable.Range(0, v * d).Select(_ => (Half)(random.NextDouble() - 0.5)).ToArray();
        Half[] b = Enumerable.Range(0, v).Select(_ => (Half)(random.NextDouble() - 0.5)).ToArray();
        int[] y = Enumerable.Range(0, n).Select(i => i % 5 == 0 ? -100 : random.Next(v)).ToArray();
        Half[] classWeights = Enumerable.Range(0, v).Select(i => (Half)(1 + (i % 3))).ToArray();
        var halfOptions = new CrossEntropyOptions<Half> { Weight = classWeights, LabelSmoothing = 0.1, ZLossScale = 1e-3, SoftCap = 20.0, Reduction = Reduction.None };
        var floatOptions = new CrossEntropyOptions<float> { Weight = classWeights.Select(x => (float)x).ToArray(), LabelSmoothing = 0.1, ZLossScale = 1e-3, SoftCap = 20.0, Reduction = Reduction.None };
        Half[] initialW = Enumerable.Range(0, v * d).Select(i => (Half)(i % 7)).ToArray();
        Half[] initialB = Enumerable.Range(0, v).Select(i => (Half)(i % 5)).ToArray();
        Half[] gradOutput = Enumerable.Range(0, n).Select(i => (Half)(0.5 + (i % 2))).ToArray();

        Half[] dh = new Half[n * d], dw = (Half[])initialW.Clone(), db = (Half[])initialB.Clone(), losses = new Half[n], lse = new Half[n];
        int[] predicted = new int[n];
        CrossEntropySummary half = Functional.LinearCrossEntropy<Half, int>(h, w, y, d, b, halfOptions, dh, dw, db, losses, lse, predicted, gradOutput, accumulate: true);

        float[] F(Half[] values) => values.Select(x => (float)x).ToArray();
        float[] fdh = new float[n * d], fdw = F(initialW), fdb = F(initialB), flosses = new float[n], flse = new float[n];
        int[] fpredicted = new int[n];
        CrossEntropySummary single = Functional.LinearCrossEntropy<float, int>(
            F(h), F(w), y, d, F(b), floatOptions, fdh, fdw, fdb, flosses, flse, fpredicted, F(gradOutput), accumulate: true);

        Assert.Equal(single, half);
        Assert.Equal(fpredicted, predicted);
        Assert.Equal(fdh.Select(x => (Half)x), dh);
        Assert.Equal(fdw.Select(x => (Half)x), dw);
        Assert.Equal(fdb.Select(x => (Half)x), db);
        Assert.Equal(flosses.Select(x => (Half)x), losses);
        Assert.Equal(flse.Select(x => (Half)x), lse);
    }
}
