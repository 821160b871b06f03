using System;
using System.Linq;
using System.Reflection;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// The shape of the 0.2 API and its rules: one entry per target kind, labels of any integer type with the same checks,
/// one options record, outputs asked for by passing a buffer, the upstream gradient's shape, and refusals before
/// anything is written.
/// </summary>
public sealed class PublicApiTests
{
    private const float Sentinel = 42f;

    // 3 rows of 4 classes.
    private static readonly float[] Logits = [0.5f, -1f, 2f, 0.25f, 1.5f, 0.25f, -0.75f, 3f, 0f, 0f, 1f, -2f];

    [Fact]
    public void Functional_HasAtMostFiftyMethods_TwelveNamedCrossEntropy_AndOneReductionEnum()
    {
        MethodInfo[] methods = typeof(Functional).GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName)
            .ToArray();
        Assert.InRange(methods.Length, 1, 50);
        Assert.InRange(methods.Count(m => m.Name.StartsWith("CrossEntropy", StringComparison.Ordinal)), 1, 12);

        Type[] enums = typeof(Reduction).Assembly.GetExportedTypes().Where(t => t.IsEnum && t.Name.Contains("Reduction", StringComparison.Ordinal)).ToArray();
        Assert.Equal([typeof(Reduction)], enums);
        Assert.Equal(["None", "Mean", "Sum", "BatchMean"], Enum.GetNames<Reduction>());
    }

    [Fact]
    public void ArrayOverloads_TakeTheSpanOverloadsParameters_InTheSameOrder()
    {
        var spanOverloads = typeof(Functional).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.GetParameters().Any(p => p.ParameterType.IsByRefLike))
            .ToArray();
        var arrayOverloads = typeof(Functional).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.GetParameters().Any(p => p.ParameterType.IsArray) && !m.GetParameters().Any(p => p.ParameterType.IsByRefLike))
            .ToArray();
        Assert.NotEmpty(arrayOverloads);
        foreach (MethodInfo array in arrayOverloads)
        {
            string[] names = array.GetParameters().Select(p => p.Name!).ToArray();
            Assert.Contains(spanOverloads, span => span.Name == array.Name && span.GetParameters().Select(p => p.Name!).SequenceEqual(names)
                && span.ReturnType.Name == array.ReturnType.Name);
        }
    }

    [Fact]
    public void Labels_OfEveryIntegerType_GiveTheSameResult()
    {
        CrossEntropySummary expected = Functional.CrossEntropy(Logits, new[] { 2, 3, 0 }, 4);
        Assert.Equal(expected, Functional.CrossEntropy(Logits, new long[] { 2, 3, 0 }, 4));
        Assert.Equal(expected, Functional.CrossEntropy(Logits, new byte[] { 2, 3, 0 }, 4));
        Assert.Equal(expected, Functional.CrossEntropy(Logits, new ushort[] { 2, 3, 0 }, 4));
        Assert.Equal(expected, Functional.CrossEntropy(Logits, new sbyte[] { 2, 3, 0 }, 4));
        Assert.Equal(expected, Functional.CrossEntropy(Logits, new uint[] { 2, 3, 0 }, 4));
        Assert.Equal(expected, Functional.CrossEntropy(Logits, new ulong[] { 2, 3, 0 }, 4));
        Assert.Equal(expected, Functional.CrossEntropy(Logits, new short[] { 2, 3, 0 }, 4));
        Assert.Equal(Functional.NllLoss(Logits, new[] { 2, 3, 0 }, 4), Functional.NllLoss(Logits, new long[] { 2, 3, 0 }, 4));

        // 128-bit labels are refused, not misread.
        var wide = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Logits, new Int128[] { 2, 3, 0 }, 4));
        Assert.Equal("target", wide.ParamName);
    }

    [Fact]
    public void IgnoreIndex_IsComparedExactly_WhateverTheLabelType()
    {
        // 255 is ignored as a byte only when the ignore index is 255; −100 never matches an unsigned label.
        var ignore255 = new CrossEntropyOptions<float> { IgnoreIndex = 255 };
        CrossEntropySummary twoRows = Functional.CrossEntropy(Logits.AsSpan(0, 8), new[] { 2, 3 }, 4);
        Assert.Equal(twoRows, Functional.CrossEntropy(Logits, new byte[] { 2, 3, 255 }, 4, ignore255));
        Assert.Equal(twoRows, Functional.CrossEntropy(Logits, new long[] { 2, 3, 255 }, 4, ignore255));
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(Logits, new byte[] { 2, 3, 255 }, 4));

        // A long label that truncates to the ignore index is not the ignore index: 2³² − 100 is out of range.
        long wraps = (1L << 32) - 100;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(Logits, new long[] { 2, 3, wraps }, 4));
        Assert.Equal(wraps, e.ActualValue);
        Assert.StartsWith($"Target {wraps} at position 2 is out of bounds for 4 classes", e.Message, StringComparison.Ordinal);

        // An ignore index beyond int's range works with long labels.
        var big = new CrossEntropyOptions<float> { IgnoreIndex = long.MaxValue };
        Assert.Equal(twoRows, Functional.CrossEntropy(Logits, new long[] { 2, 3, long.MaxValue }, 4, big));

        // A ulong beyond long's range is out of range, named with its own value.
        var huge = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(Logits, new ulong[] { 2, 3, ulong.MaxValue }, 4));
        Assert.Equal(ulong.MaxValue, huge.ActualValue);
    }

    [Fact]
    public void Outputs_AreWrittenOnlyWhereAsked_AndAgreeWithEachOther()
    {
        var options = new CrossEntropyOptions<float> { IgnoreIndex = 1, ZLossScale = 1e-3 };
        int[] target = [2, 1, 0];
        float[] losses = Enumerable.Repeat(Sentinel, 3).ToArray();
        float[] lse = Enumerable.Repeat(Sentinel, 3).ToArray();
        int[] predicted = [7, 7, 7];
        CrossEntropySummary summary = Functional.CrossEntropy(Logits, target, 4, options, losses: losses, logSumExp: lse, predicted: predicted);

        Assert.Equal(2, summary.Count);
        Assert.Equal([2, -1, 2], predicted);
        Assert.Equal(1, summary.Correct);
        Assert.Equal(0.5, summary.Accuracy);
        Assert.Equal(0f, losses[1]);
        Assert.True(float.IsNaN(lse[1]));
        double mean = ((double)losses[0] + losses[2]) / 2;
        Assert.Equal(mean, summary.Loss, 6);
        double z = (1e-3 * lse[0] * lse[0] + 1e-3 * lse[2] * lse[2]) / 2;
        Assert.Equal(z, summary.ZLoss, 6);

        // The summary does not depend on which outputs were asked for.
        Assert.Equal(summary, Functional.CrossEntropy(Logits, target, 4, options));
    }

    [Fact]
    public void ReductionNone_ReturnsTheSum_AndTakesOneUpstreamGradientPerPosition()
    {
        var none = new CrossEntropyOptions<double> { Reduction = Reduction.None };
        var sum = new CrossEntropyOptions<double> { Reduction = Reduction.Sum };
        double[] x = Array.ConvertAll(Logits, v => (double)v);
        int[] target = [2, 3, 0];
        double[] losses = new double[3];
        CrossEntropySummary perRow = Functional.CrossEntropy(x, target, 4, none, losses: losses);
        Assert.Equal(Functional.CrossEntropy(x, target, 4, sum).Loss, perRow.Loss);

        // Upstream gradients per row scale each row's gradient.
        double[] g1 = new double[12];
        double[] g2 = new double[12];
        Functional.CrossEntropy(x, target, 4, none, g1);
        Functional.CrossEntropy(x, target, 4, none, g2, gradOutput: [2.0, 0.0, -1.0]);
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal(2.0 * g1[c], g2[c]);
            Assert.Equal(0.0, g2[4 + c]);
            Assert.Equal(-g1[8 + c], g2[8 + c]);
        }

        // A reduced loss takes one upstream gradient, not one per row.
        var e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(x, target, 4, sum, new double[12], gradOutput: [1.0, 1.0, 1.0]));
        Assert.Equal("gradOutput", e.ParamName);
        var alone = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(x, target, 4, sum, gradOutput: [1.0]));
        Assert.Equal("gradOutput", alone.ParamName);
    }

    [Fact]
    public void TheGradient_MayBeTheInput_ButMayNotOverlapItOtherwise()
    {
        float[] expected = new float[12];
        Functional.CrossEntropy(Logits, new[] { 2, 3, 0 }, 4, gradient: expected);
        float[] inPlace = (float[])Logits.Clone();
        Functional.CrossEntropy(inPlace, new[] { 2, 3, 0 }, 4, gradient: inPlace);
        Assert.Equal(expected, inPlace);

        float[] buffer = new float[16];
        Array.Copy(Logits, 0, buffer, 0, 12);
        var e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(buffer.AsSpan(0, 12), new[] { 2, 3, 0 }, 4, gradient: buffer.AsSpan(4, 12)));
        Assert.Equal("gradient", e.ParamName);
    }

    [Fact]
    public void OverlappingOutputs_AreRefused_BeforeAnythingIsWritten()
    {
        float[] shared = Enumerable.Repeat(Sentinel, 6).ToArray();
        int[] target = [2, 3, 0];
        var e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Logits, target, 4, losses: shared.AsSpan(0, 3), logSumExp: shared.AsSpan(2, 3)));
        Assert.Equal("logSumExp", e.ParamName);
        Assert.All(shared, v => Assert.Equal(Sentinel, v));

        // Predictions must not overlap the targets, even of another element type.
        var p = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Logits, target, 4, predicted: target));
        Assert.Equal("predicted", p.ParamName);
        Assert.Equal([2, 3, 0], target);

        // A bad target is found after the outputs are checked, still before anything is written.
        float[] losses = Enumerable.Repeat(Sentinel, 3).ToArray();
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(Logits, new[] { 2, 9, 0 }, 4, losses: losses));
        Assert.All(losses, v => Assert.Equal(Sentinel, v));
    }

    [Fact]
    public void ProbabilityTargets_ScoreNoPrediction()
    {
        float[] p = [0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0];
        int[] predicted = new int[3];
        CrossEntropySummary summary = Functional.CrossEntropyProbabilities(Logits, p, 4, predicted: predicted);
        Assert.Equal(3, summary.Count);
        Assert.Equal(0, summary.Correct);
        Assert.True(double.IsNaN(summary.Accuracy));
        Assert.Equal([2, 3, 2], predicted);
        Assert.Equal(Functional.CrossEntropy(Logits, new[] { 2, 3, 0 }, 4).Loss, summary.Loss, 12);
    }

    [Fact]
    public void Options_AreValidatedWhenBuilt_AndCompareByValue()
    {
        Assert.Equal("LabelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyOptions<float> { LabelSmoothing = 2 }).ParamName);
        Assert.Equal("Reduction", Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyOptions<float> { Reduction = Reduction.BatchMean }).ParamName);
        Assert.Equal("ZLossScale", Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropyOptions<float>.Default.WithZLossScale(-1)).ParamName);

        float[] weights = [1f, 2f, 3f, 4f];
        var a = new CrossEntropyOptions<float> { Weight = weights, LabelSmoothing = 0.1 };
        var b = CrossEntropyOptions<float>.Default.WithWeight([1f, 2f, 3f, 4f]).WithLabelSmoothing(0.1);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        weights[0] = 100f;
        Assert.Equal(1f, a.Weight.Span[0]);
        Assert.NotEqual(a, b.WithIgnoreIndex(0));

        // The weights' length is checked against C at the call.
        var e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Logits, new[] { 2, 3, 0 }, 4, new CrossEntropyOptions<float> { Weight = new[] { 1f, 2f } }));
        Assert.Equal("weight", e.ParamName);
    }

    [Fact]
    public void Nll_RefusesTheOptionsOfCrossEntropy_AndTheShardsTakeWeightsOfAllClasses()
    {
        var smoothing = new CrossEntropyOptions<float> { LabelSmoothing = 0.1 };
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => Functional.NllLoss(Logits, new[] { 2, 3, 0 }, 4, smoothing)).ParamName);

        // A shard takes the weights of all C classes (0.2 refused weights); the finish gives the weighted loss.
        var weighted = new CrossEntropyOptions<float> { Weight = new[] { 1f, 2f, 3f, 4f } };
        var partials = new CrossEntropyPartial[3];
        Assert.Equal("weight", Assert.Throws<ArgumentException>(
            () => Functional.CrossEntropyShard(Logits, new[] { 2, 3, 0 }, partials, 4, 0, 4, weighted with { Weight = new[] { 1f, 2f } })).ParamName);
        Assert.All(partials, p => Assert.Equal(default, p));
        Functional.CrossEntropyShard(Logits, new[] { 2, 3, 0 }, partials, 4, 0, 4, weighted);
        CrossEntropySummary sharded = Functional.CrossEntropyFromPartials<float, int>(partials, new[] { 2, 3, 0 }, 4, weighted);
        CrossEntropySummary whole = Functional.CrossEntropy(Logits, new[] { 2, 3, 0 }, 4, weighted);
        Assert.Equal(whole.Loss, sharded.Loss, 1e-6);
    }

    [Fact]
    public void ElementwiseLosses_WriteLossesWithAnyReduction_AndReturnTheReducedValue()
    {
        double[] x = [1.0, -1.0, 0.5, 2.0];
        double[] t = [1.0, 0.0, 0.25, 1.0];
        double[] losses = new double[4];
        double mean = Functional.BinaryCrossEntropyWithLogits(x, t, losses: losses);
        Assert.Equal(losses.Sum() / 4, mean, 15);
        double[] none = new double[4];
        Assert.Equal(Functional.BinaryCrossEntropyWithLogits(x, t, Reduction.Sum), Functional.BinaryCrossEntropyWithLogits(x, t, Reduction.None, losses: none));
        Assert.Equal(losses, none);

        // With None and no upstream gradient, the gradient is that of Σ ℓ.
        double[] g = new double[4];
        double[] gSum = new double[4];
        Functional.BinaryCrossEntropyWithLogits(x, t, Reduction.None, gradient: g);
        Functional.BinaryCrossEntropyWithLogits(x, t, Reduction.Sum, gradient: gSum);
        Assert.Equal(gSum, g);
    }

    [Fact]
    public void ElementwiseGradients_MayBeTheInput()
    {
        double[] x = [1.0, -1.0, 0.5, 2.0, -3.0, 0.25, 4.0, -0.5, 1.5];
        double[] t = [1.0, 0.0, 0.25, 1.0, 0.5, 0.0, 1.0, 0.75, 0.5];
        double[] expected = new double[9];
        double loss = Functional.BinaryCrossEntropyWithLogits(x, t, gradient: expected);
        double[] inPlace = (double[])x.Clone();
        Assert.Equal(loss, Functional.BinaryCrossEntropyWithLogits(inPlace, t, gradient: inPlace));
        Assert.Equal(expected, inPlace);

        double[] logQ = [-1.0, -2.0, -0.5, -3.0];
        double[] p = [0.25, 0.25, 0.25, 0.25];
        double[] kl = new double[4];
        Functional.KlDiv(logQ, p, Reduction.Sum, gradient: kl);
        double[] klInPlace = (double[])logQ.Clone();
        Functional.KlDiv(klInPlace, p, Reduction.Sum, gradient: klInPlace);
        Assert.Equal(kl, klInPlace);

        // A partial overlap is still refused.
        double[] buffer = new double[10];
        Array.Copy(x, buffer, 9);
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => Functional.BinaryCrossEntropyWithLogits(buffer.AsSpan(0, 9), t, gradient: buffer.AsSpan(1, 9))).ParamName);
    }

    [Theory]
    [InlineData(Reduction.Mean, 1)]
    [InlineData(Reduction.Sum, 1)]
    [InlineData(Reduction.Mean, 3)]
    public void AllOptionsTogether_GiveTheGradientOfTheLoss(Reduction reduction, int inner)
    {
        // Weights, label smoothing, z-loss and soft cap at once (0.1 could not combine weights with the z-loss): the
        // gradient the kernel writes is the central difference of the loss it returns, in double.
        var options = new CrossEntropyOptions<double>
        {
            Weight = new[] { 0.5, 2.0, 1.0, 1.5 },
            LabelSmoothing = 0.2,
            ZLossScale = 0.05,
            SoftCap = 3.0,
            Reduction = reduction,
            IgnoreIndex = 1,
        };
        int positions = 3 * inner;
        double[] x = new double[positions * 4];
        var random = new Random(13);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = random.NextDouble() * 6 - 3;
        }

        int[] y = [.. Enumerable.Range(0, positions).Select(p => p % 3 == 1 ? 1 : (p * 3) % 4)];
        double[] gradient = new double[x.Length];
        double loss = Functional.CrossEntropy(x, y, 4, options, gradient, inner: inner).Loss;
        Assert.True(double.IsFinite(loss));
        for (int i = 0; i < x.Length; i++)
        {
            const double h = 1e-6;
            double[] plus = (double[])x.Clone();
            double[] minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (Functional.CrossEntropy(plus, y, 4, options, inner: inner).Loss - Functional.CrossEntropy(minus, y, 4, options, inner: inner).Loss) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-7 * (1 + Math.Abs(numeric)), $"element {i}: numeric {numeric:R}, kernel {gradient[i]:R}");
        }
    }

    [Fact]
    public void NullArrays_AreArgumentNullExceptions_NamingTheParameter()
    {
        Assert.Equal("input", Assert.Throws<ArgumentNullException>(() => Functional.CrossEntropy((float[])null!, new[] { 1 }, 2)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentNullException>(() => Functional.CrossEntropy(new float[2], (int[])null!, 2)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentNullException>(() => Functional.Softmax(new float[2], (float[])null!, 2)).ParamName);
    }
}
