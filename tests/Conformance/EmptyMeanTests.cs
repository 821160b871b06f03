using System;
using System.Numerics;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// <see cref="EmptyMean"/>: what a <see cref="Reduction.Mean"/> over no counted position returns (every target
/// ignored, or an empty batch) in the kernel and the facade. NaN by default (PyTorch's 0/0), 0 with
/// <see cref="EmptyMean.Zero"/>; the gradient is 0 everywhere either way; a mean whose counted weights sum to zero is
/// the division's result whatever is chosen; <see cref="Reduction.Sum"/> is unaffected; an undefined value is refused
/// before anything is written.
/// </summary>
public sealed class EmptyMeanTests
{
    private const int Ignored = Functional.DefaultIgnoreIndex;
    private const double Sentinel = 42.0;

    // 3 × 4 logits; the last row holds NaN and ±∞, which an ignored row must not let through.
    private static readonly double[] Logits =
    [
        0.5, -1.25, 2.0, 0.0,
        -0.75, 1.5, 0.25, -2.0,
        double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1.0,
    ];

    private static readonly int[] AllIgnored = [Ignored, Ignored, Ignored];

    private static T[] As<T>(double[] values)
        where T : IFloatingPointIeee754<T> =>
        Array.ConvertAll(values, T.CreateTruncating);

    private static T[] Filled<T>(int length)
        where T : IFloatingPointIeee754<T>
    {
        var values = new T[length];
        Array.Fill(values, T.CreateTruncating(Sentinel));
        return values;
    }

    private static void AssertAllZero<T>(ReadOnlySpan<T> values, string what)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(T.IsZero(values[i]), $"{what}: element {i} is {values[i]}, expected 0");
        }
    }

    private static void AssertSameBits(double expected, double actual, string what) =>
        Assert.True(
            BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual),
            $"{what}: expected {expected} (0x{BitConverter.DoubleToInt64Bits(expected):X16}), got {actual} (0x{BitConverter.DoubleToInt64Bits(actual):X16})");

    /// <summary>The options of a call, as the old functions' arguments gave them.</summary>
    private static CrossEntropyOptions<T> Options<T>(
        EmptyMean emptyMean, Reduction reduction = Reduction.Mean, T[]? weight = null, long ignoreIndex = Ignored, double labelSmoothing = 0.0)
        where T : IFloatingPointIeee754<T> =>
        new() { Reduction = reduction, Weight = weight ?? [], IgnoreIndex = ignoreIndex, LabelSmoothing = labelSmoothing, EmptyMean = emptyMean };

    /// <summary>The loss of a summary in the element type: the value the old functions returned.</summary>
    private static T Loss<T>(CrossEntropySummary summary)
        where T : IFloatingPointIeee754<T> =>
        T.CreateTruncating(summary.Loss);

    private static void AssertEmptyMean<T>(T value, EmptyMean emptyMean, string what)
        where T : IFloatingPointIeee754<T>
    {
        if (emptyMean == EmptyMean.NaN)
        {
            Assert.True(T.IsNaN(value), $"{what}: expected NaN, got {value}");
        }
        else
        {
            // +0, not −0: a padding-only batch adds exactly nothing to a running loss.
            AssertSameBits(0.0, double.CreateTruncating(value), what);
        }
    }

    // ---- Kernel: every target ignored ----

    public static TheoryData<EmptyMean, int> AllIgnoredCases()
    {
        var data = new TheoryData<EmptyMean, int>();
        foreach (EmptyMean emptyMean in new[] { EmptyMean.NaN, EmptyMean.Zero })
        {
            // 4 and 20 classes (the small-class rows, in lane tiles), 40 classes (the long-row float path).
            data.Add(emptyMean, 4);
            data.Add(emptyMean, 20);
            data.Add(emptyMean, 40);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllIgnoredCases))]
    public void AllIgnored_Mean_KernelValue_IsNaNByDefault_OrZero(EmptyMean emptyMean, int classes)
    {
        AllIgnoredValue<double>(emptyMean, classes);
        AllIgnoredValue<float>(emptyMean, classes);
    }

    private static void AllIgnoredValue<T>(EmptyMean emptyMean, int classes)
        where T : IFloatingPointIeee754<T>
    {
        T[] x = As<T>(Rows(classes));
        T[] w = As<T>(Weights(classes));
        AssertEmptyMean(Loss<T>(Functional.CrossEntropy(x, AllIgnored, classes, Options<T>(emptyMean))), emptyMean, "CrossEntropy");
        AssertEmptyMean(Loss<T>(Functional.CrossEntropy(x, AllIgnored, classes, Options(emptyMean, Reduction.Mean, w, Ignored, 0.25), inner: 1)), emptyMean, "CrossEntropy, weighted and smoothed");
        AssertEmptyMean(Functional.NllLoss(x, AllIgnored, classes, Options<T>(emptyMean)), emptyMean, "NllLoss");
        AssertEmptyMean(Functional.NllLoss(x, AllIgnored, classes, Options(emptyMean, Reduction.Mean, w, Ignored), inner: 1), emptyMean, "NllLoss, weighted");

        // The default is NaN, PyTorch's 0/0.
        Assert.True(T.IsNaN(Loss<T>(Functional.CrossEntropy(x, AllIgnored, classes))));
        Assert.True(T.IsNaN(Functional.NllLoss(x, AllIgnored, classes)));

        // An ignore index that is a real class: every target is that class.
        int[] allClassOne = [1, 1, 1];
        AssertEmptyMean(Loss<T>(Functional.CrossEntropy(x, allClassOne, classes, Options<T>(emptyMean, ignoreIndex: 1))), emptyMean, "CrossEntropy, ignoreIndex = 1");

        // Sum is unaffected: 0 either way.
        AssertSameBits(0.0, double.CreateTruncating(Loss<T>(Functional.CrossEntropy(x, AllIgnored, classes, Options<T>(emptyMean, Reduction.Sum)))), "CrossEntropy, Sum");
        AssertSameBits(0.0, double.CreateTruncating(Functional.NllLoss(x, AllIgnored, classes, Options<T>(emptyMean, Reduction.Sum))), "NllLoss, Sum");
    }

    [Theory]
    [MemberData(nameof(AllIgnoredCases))]
    public void AllIgnored_Mean_KernelWithGradient_GivesTheChosenValue_AndAZeroGradient(EmptyMean emptyMean, int classes)
    {
        AllIgnoredWithGradient<double>(emptyMean, classes);
        AllIgnoredWithGradient<float>(emptyMean, classes);
    }

    private static void AllIgnoredWithGradient<T>(EmptyMean emptyMean, int classes)
        where T : IFloatingPointIeee754<T>
    {
        T[] x = As<T>(Rows(classes));
        T[] w = As<T>(Weights(classes));
        foreach (double smoothing in new[] { 0.0, 0.25 })
        {
            T[] gradient = Filled<T>(x.Length);
            T loss = Loss<T>(Functional.CrossEntropy(x, AllIgnored, classes, Options<T>(emptyMean, Reduction.Mean, null, Ignored, smoothing), gradient: gradient, inner: 1));
            AssertEmptyMean(loss, emptyMean, $"CrossEntropy with gradient, ε = {smoothing}");
            AssertAllZero<T>(gradient, $"CrossEntropy gradient, ε = {smoothing}");

            T[] logits = [.. x];
            T inPlace = Loss<T>(Functional.CrossEntropy(logits, AllIgnored, classes, Options(emptyMean, Reduction.Mean, w, Ignored, smoothing), gradient: logits, inner: 1));
            AssertEmptyMean(inPlace, emptyMean, $"CrossEntropy with gradient in place, ε = {smoothing}");
            AssertAllZero<T>(logits, $"CrossEntropy gradient in place, ε = {smoothing}");
        }

        T[] nllGradient = Filled<T>(x.Length);
        AssertEmptyMean(Functional.NllLoss(x, AllIgnored, classes, Options(emptyMean, Reduction.Mean, w, Ignored), gradient: nllGradient, inner: 1), emptyMean, "NllLoss with gradient");
        AssertAllZero<T>(nllGradient, "NllLoss gradient");

        // The array overloads pass the option through (C# binds to the span overloads; these are the overloads F# calls, tests/FSharp).
        T[] arrayGradient = Filled<T>(x.Length);
        var fromArrays = (CrossEntropySummary)ArrayOverloads.Invoke<T>(nameof(Functional.CrossEntropy), x, AllIgnored, classes, Options<T>(emptyMean), arrayGradient, null, null, null, null, 1)!;
        AssertEmptyMean(Loss<T>(fromArrays), emptyMean, "CrossEntropy with gradient (arrays)");
        AssertAllZero<T>(arrayGradient, "CrossEntropy with gradient (arrays) gradient");
        T[] nllArrayGradient = Filled<T>(x.Length);
        var nllFromArrays = (T)ArrayOverloads.Invoke<T>(nameof(Functional.NllLoss), x, AllIgnored, classes, Options<T>(emptyMean), nllArrayGradient, null, null, 1)!;
        AssertEmptyMean(nllFromArrays, emptyMean, "NllLoss with gradient (arrays)");
        AssertAllZero<T>(nllArrayGradient, "NllLoss with gradient (arrays) gradient");

        // Sum: 0 and a zero gradient, whatever the option.
        T[] sumGradient = Filled<T>(x.Length);
        AssertSameBits(0.0, double.CreateTruncating(Loss<T>(Functional.CrossEntropy(x, AllIgnored, classes, Options<T>(emptyMean, Reduction.Sum), gradient: sumGradient))), "CrossEntropy with gradient, Sum");
        AssertAllZero<T>(sumGradient, "CrossEntropy with gradient, Sum, gradient");
    }

    /// <summary>The 3 × 4 logits, widened to <paramref name="classes"/> columns (the extra columns hold small values).</summary>
    private static double[] Rows(int classes)
    {
        var rows = new double[3 * classes];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < classes; c++)
            {
                rows[(r * classes) + c] = c < 4 ? Logits[(r * 4) + c] : 0.125 * (c - r);
            }
        }

        return rows;
    }

    private static double[] Weights(int classes)
    {
        var w = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            w[c] = 0.5 + c;
        }

        return w;
    }

    // ---- Kernel: empty batch ----

    [Theory]
    [InlineData(EmptyMean.NaN)]
    [InlineData(EmptyMean.Zero)]
    public void EmptyBatch_Mean_GivesTheChosenValue_ForIndexAndProbabilityTargets(EmptyMean emptyMean)
    {
        EmptyBatch<double>(emptyMean);
        EmptyBatch<float>(emptyMean);
    }

    private static void EmptyBatch<T>(EmptyMean emptyMean)
        where T : IFloatingPointIeee754<T>
    {
        T[] none = [];
        int[] noTargets = [];
        CrossEntropyOptions<T> options = Options<T>(emptyMean);
        AssertEmptyMean(Loss<T>(Functional.CrossEntropy(none, noTargets, 3, options)), emptyMean, "CrossEntropy, index, empty");
        AssertEmptyMean(Loss<T>(Functional.CrossEntropy(none, noTargets, 3, options, inner: 4)), emptyMean, "CrossEntropy, index, empty, inner 4");
        AssertEmptyMean(Functional.NllLoss(none, noTargets, 3, options), emptyMean, "NllLoss, empty");
        AssertEmptyMean(Loss<T>(Functional.CrossEntropy<T, int>(none, noTargets, 3, options, gradient: Span<T>.Empty)), emptyMean, "CrossEntropy with gradient, index, empty");
        AssertEmptyMean(Loss<T>(Functional.CrossEntropy<T, int>(Span<T>.Empty, noTargets, 3, options, gradient: Span<T>.Empty)), emptyMean, "CrossEntropy with gradient in place, index, empty");
        AssertEmptyMean(Functional.NllLoss<T, int>(none, noTargets, 3, options, gradient: Span<T>.Empty), emptyMean, "NllLoss with gradient, empty");

        // Probability targets: an empty batch is the only way no position counts.
        AssertEmptyMean(Loss<T>(Functional.CrossEntropyProbabilities(none, none, 3, options)), emptyMean, "CrossEntropyProbabilities, empty");
        AssertEmptyMean(Loss<T>(Functional.CrossEntropyProbabilities<T>(none, none, 3, options, gradient: Span<T>.Empty)), emptyMean, "CrossEntropyProbabilities with gradient, empty");
        AssertEmptyMean(Loss<T>(Functional.CrossEntropyProbabilities<T>(Span<T>.Empty, none, 3, options, gradient: Span<T>.Empty)), emptyMean, "CrossEntropyProbabilities with gradient in place, empty");
        var fromArrays = (CrossEntropySummary)ArrayOverloads.Invoke<T>(nameof(Functional.CrossEntropyProbabilities), none, none, 3, options, Array.Empty<T>(), null, null, null, null, 1)!;
        AssertEmptyMean(Loss<T>(fromArrays), emptyMean, "CrossEntropyProbabilities with gradient (arrays), empty");

        AssertSameBits(0.0, double.CreateTruncating(Loss<T>(Functional.CrossEntropyProbabilities(none, none, 3, Options<T>(emptyMean, Reduction.Sum)))), "CrossEntropyProbabilities, empty, Sum");
        AssertSameBits(0.0, double.CreateTruncating(Loss<T>(Functional.CrossEntropy(none, noTargets, 3, Options<T>(emptyMean, Reduction.Sum)))), "CrossEntropy, index, empty, Sum");
    }

    [Fact]
    public void ProbabilityTargets_NonEmptyBatch_IsUnchangedByZero()
    {
        double[] x = [0.5, -1.25, 2.0, -0.75, 1.5, 0.25];
        double[] p = [0.2, 0.3, 0.5, 1.0, 0.0, 0.0];
        AssertSameBits(
            Functional.CrossEntropyProbabilities(x, p, 3).Loss,
            Functional.CrossEntropyProbabilities(x, p, 3, Options<double>(EmptyMean.Zero)).Loss,
            "probability CE, Mean");

        // A NaN mean over positions that count stays NaN.
        double[] poisoned = [double.NaN, -1.25, 2.0, -0.75, 1.5, 0.25];
        Assert.True(double.IsNaN(Functional.CrossEntropyProbabilities(poisoned, p, 3, Options<double>(EmptyMean.Zero)).Loss));
    }

    // ---- Kernel: weights summing to zero over targets that count ----

    [Fact]
    public void SignedWeightsSummingToZero_AreTheDivisionsResult_WhateverTheOption()
    {
        SignedWeights<double>();
        SignedWeights<float>();
    }

    private static void SignedWeights<T>()
        where T : IFloatingPointIeee754<T>
    {
        // Targets 0 and 1 count, with weights 1 and −1: the normalizer is 0 and the numerator is not.
        T[] x = As<T>([0.5, -1.25, 2.0, -0.75, 1.5, 0.25, 3.0, 0.0, 1.0]);
        int[] y = [0, 1, Ignored];
        T[] w = As<T>([1.0, -1.0, 2.0]);

        T byDefault = Loss<T>(Functional.CrossEntropy(x, y, 3, Options(EmptyMean.NaN, Reduction.Mean, w)));
        T zero = Loss<T>(Functional.CrossEntropy(x, y, 3, Options(EmptyMean.Zero, Reduction.Mean, w)));
        Assert.True(T.IsInfinity(byDefault), $"Σℓ / 0 should be infinite, got {byDefault}");
        AssertSameBits(double.CreateTruncating(byDefault), double.CreateTruncating(zero), "signed weights, CrossEntropy");

        T[] defaultGradient = new T[x.Length];
        T[] zeroGradient = new T[x.Length];
        T loss = Loss<T>(Functional.CrossEntropy(x, y, 3, Options(EmptyMean.NaN, Reduction.Mean, w), gradient: defaultGradient));
        T zeroLoss = Loss<T>(Functional.CrossEntropy(x, y, 3, Options(EmptyMean.Zero, Reduction.Mean, w), gradient: zeroGradient));
        AssertSameBits(double.CreateTruncating(loss), double.CreateTruncating(zeroLoss), "signed weights, CrossEntropy with gradient");
        for (int i = 0; i < x.Length; i++)
        {
            AssertSameBits(double.CreateTruncating(defaultGradient[i]), double.CreateTruncating(zeroGradient[i]), $"signed weights, gradient[{i}]");
        }

        AssertSameBits(
            double.CreateTruncating(Functional.NllLoss(x, y, 3, Options(EmptyMean.NaN, Reduction.Mean, w))),
            double.CreateTruncating(Functional.NllLoss(x, y, 3, Options(EmptyMean.Zero, Reduction.Mean, w))),
            "signed weights, NllLoss");

        // Every counted weight zero: 0/0 is NaN, and stays NaN with Zero (a position counts).
        T[] zeros = As<T>([0.0, 0.0, 2.0]);
        Assert.True(T.IsNaN(Loss<T>(Functional.CrossEntropy(x, y, 3, Options(EmptyMean.Zero, Reduction.Mean, zeros)))));
        T[] nllGradient = new T[x.Length];
        Assert.True(T.IsNaN(Functional.NllLoss(x, y, 3, Options(EmptyMean.Zero, Reduction.Mean, zeros), gradient: nllGradient)));
        Assert.True(T.IsNaN(nllGradient[0]), "the gradient at a counted target is NaN (0/0), as PyTorch");
    }

    // ---- Kernel: an undefined value ----

    public static TheoryData<int> UndefinedValues() => new() { 2, -1, 255 };

    [Theory]
    [MemberData(nameof(UndefinedValues))]
    public void UndefinedValue_IsRefused_NamingTheParameter_BeforeAnythingIsWritten(int raw)
    {
        var bad = (EmptyMean)raw;
        double[] x = Rows(4);
        int[] y = [2, Ignored, 0];
        double[] p = [0.25, 0.25, 0.25, 0.25, 0.0, 1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0];

        // The options are validated when they are built (so before any call, and whatever the overload); each call
        // below builds them inside the refused lambda.
        AssertRefused(bad, () => Functional.CrossEntropy(x, y, 4, new CrossEntropyOptions<double> { EmptyMean = bad }));
        AssertRefused(bad, () => Functional.CrossEntropy(x, y, 4, new CrossEntropyOptions<double> { Reduction = Reduction.Sum, EmptyMean = bad }));
        AssertRefused(bad, () => Functional.NllLoss(x, y, 4, new CrossEntropyOptions<double> { EmptyMean = bad }));
        AssertRefused(bad, () => Functional.CrossEntropyProbabilities(x, p, 4, new CrossEntropyOptions<double> { EmptyMean = bad }));
        AssertRefused(bad, () => ArrayOverloads.Invoke<double>(nameof(Functional.CrossEntropyProbabilities), x, p, 4, new CrossEntropyOptions<double> { EmptyMean = bad }, new double[x.Length], null, null, null, null, 1)); // the array overload
        AssertRefused(bad, () => ArrayOverloads.Invoke<double>(nameof(Functional.NllLoss), x, y, 4, new CrossEntropyOptions<double> { EmptyMean = bad }, new double[x.Length], null, null, 1)); // the array overload
        AssertRefused(bad, () => CrossEntropyOptions<double>.Default with { EmptyMean = bad });
        AssertRefused(bad, () => CrossEntropyOptions<double>.Default.WithEmptyMean(bad));

        // Outputs untouched.
        double[] gradient = Filled<double>(x.Length);
        AssertRefused(bad, () => Functional.CrossEntropy(x, y, 4, new CrossEntropyOptions<double> { EmptyMean = bad }, gradient: gradient));
        AssertRefused(bad, () => Functional.NllLoss(x, y, 4, new CrossEntropyOptions<double> { EmptyMean = bad }, gradient: gradient));
        AssertRefused(bad, () => Functional.CrossEntropyProbabilities(x, p, 4, new CrossEntropyOptions<double> { EmptyMean = bad }, gradient: gradient));
        Assert.All(gradient, v => Assert.Equal(Sentinel, v));

        float[] floatGradient = Filled<float>(x.Length);
        float[] floatX = As<float>(x);
        AssertRefused(bad, () => Functional.CrossEntropy(floatX, y, 4, new CrossEntropyOptions<float> { EmptyMean = bad }, gradient: floatGradient));
        Assert.All(floatGradient, v => Assert.Equal((float)Sentinel, v));

        double[] logits = [.. x];
        AssertRefused(bad, () => Functional.CrossEntropy(logits, y, 4, new CrossEntropyOptions<double> { EmptyMean = bad }, gradient: logits));
        AssertRefused(bad, () => Functional.CrossEntropyProbabilities(logits, p, 4, new CrossEntropyOptions<double> { EmptyMean = bad }, gradient: logits));
        Assert.Equal(x, logits);

        // Checked before the targets: an out-of-range target does not hide it.
        int[] outOfRange = [2, 9, 0];
        AssertRefused(bad, () => Functional.CrossEntropy(x, outOfRange, 4, new CrossEntropyOptions<double> { EmptyMean = bad }));

        // Each option is checked when it is set, in the order the initializer sets them: Reduction.None is valid now (its
        // losses go to the caller's buffer), so the empty-mean rule is refused after it; a reduction refused first hides it.
        AssertRefused(bad, () => Functional.CrossEntropy(x, y, 4, new CrossEntropyOptions<double> { Reduction = Reduction.None, EmptyMean = bad }));
        var reduction = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Functional.CrossEntropy(x, y, 4, new CrossEntropyOptions<double> { Reduction = Reduction.BatchMean, EmptyMean = bad }));
        Assert.Equal("Reduction", reduction.ParamName);
    }

    private static void AssertRefused<TResult>(EmptyMean bad, Func<TResult> call)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => call());
        Assert.Equal("EmptyMean", e.ParamName);
        Assert.Equal(bad, e.ActualValue);
        Assert.Contains(((int)bad).ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    // ---- Facade ----

    [Fact]
    public void Facade_DefaultsToNaN_AndValidatesTheOption()
    {
        Assert.Equal(EmptyMean.NaN, new CrossEntropyLoss<double>().EmptyMean);
        Assert.Equal(EmptyMean.NaN, new NllLoss<double>().EmptyMean);
        Assert.Equal(EmptyMean.Zero, new CrossEntropyLoss<double> { EmptyMean = EmptyMean.Zero }.EmptyMean);
        Assert.Equal(EmptyMean.Zero, (new NllLoss<double>() with { EmptyMean = EmptyMean.Zero }).EmptyMean);

        var bad = (EmptyMean)7;
        var ce = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<double> { EmptyMean = bad });
        Assert.Equal("emptyMean", ce.ParamName);
        Assert.Equal(bad, ce.ActualValue);
        Assert.Contains("7", ce.Message, StringComparison.Ordinal);
        var withCe = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<double>() with { EmptyMean = bad });
        Assert.Equal("emptyMean", withCe.ParamName);
        var nll = Assert.Throws<ArgumentOutOfRangeException>(() => new NllLoss<double> { EmptyMean = (EmptyMean)(-1) });
        Assert.Equal("emptyMean", nll.ParamName);
    }

    [Fact]
    public void Facade_EqualityHashAndToString_IncludeTheOption()
    {
        var nan = new CrossEntropyLoss<double>();
        var zero = new CrossEntropyLoss<double> { EmptyMean = EmptyMean.Zero };
        Assert.NotEqual(nan, zero);
        Assert.Equal(zero, nan with { EmptyMean = EmptyMean.Zero });
        Assert.Equal(zero.GetHashCode(), (nan with { EmptyMean = EmptyMean.Zero }).GetHashCode());
        Assert.Equal("CrossEntropyLoss(reduction: Mean, weight: none, ignoreIndex: -100, labelSmoothing: 0, emptyMean: Zero)", zero.ToString());

        var nllZero = new NllLoss<double> { EmptyMean = EmptyMean.Zero };
        Assert.NotEqual(new NllLoss<double>(), nllZero);
        Assert.Equal(nllZero, new NllLoss<double>() with { EmptyMean = EmptyMean.Zero });
        Assert.Equal(nllZero.GetHashCode(), (new NllLoss<double>() with { EmptyMean = EmptyMean.Zero }).GetHashCode());
        Assert.Equal("NllLoss(reduction: Mean, weight: none, ignoreIndex: -100, emptyMean: Zero)", nllZero.ToString());
    }

    [Theory]
    [InlineData(EmptyMean.NaN)]
    [InlineData(EmptyMean.Zero)]
    public void Facade_AllIgnored_Mean_GivesTheChosenValue_AndAZeroGradient(EmptyMean emptyMean)
    {
        FacadeAllIgnored<double>(emptyMean);
        FacadeAllIgnored<float>(emptyMean);
    }

    private static void FacadeAllIgnored<T>(EmptyMean emptyMean)
        where T : IFloatingPointIeee754<T>
    {
        T[] x = As<T>(Logits);
        int[] shape = [3, 4];
        var ce = new CrossEntropyLoss<T>(weight: As<T>([1.0, 2.0, 0.5, 3.0]), labelSmoothing: 0.1) { EmptyMean = emptyMean };
        AssertEmptyMean(ce.Forward(x, shape, AllIgnored).Value, emptyMean, "CrossEntropyLoss.Forward");
        LossResult<T> withGradient = ce.ForwardWithGradient(x, shape, AllIgnored);
        AssertEmptyMean(withGradient.Value, emptyMean, "CrossEntropyLoss.ForwardWithGradient");
        AssertAllZero<T>(withGradient.GradientToArray(), "CrossEntropyLoss gradient");

        var nll = new NllLoss<T> { EmptyMean = emptyMean };
        AssertEmptyMean(nll.Forward(x, shape, AllIgnored).Value, emptyMean, "NllLoss.Forward");
        LossResult<T> nllWithGradient = nll.ForwardWithGradient(x, shape, AllIgnored);
        AssertEmptyMean(nllWithGradient.Value, emptyMean, "NllLoss.ForwardWithGradient");
        AssertAllZero<T>(nllWithGradient.GradientToArray(), "NllLoss gradient");

        // Sum and None are unaffected.
        AssertSameBits(0.0, double.CreateTruncating((ce with { Reduction = Reduction.Sum }).Forward(x, shape, AllIgnored).Value), "CrossEntropyLoss, Sum");
        AssertAllZero<T>((nll with { Reduction = Reduction.None }).Forward(x, shape, AllIgnored).ToArray(), "NllLoss, None");
    }

    [Theory]
    [InlineData(EmptyMean.NaN)]
    [InlineData(EmptyMean.Zero)]
    public void Facade_EmptyBatch_Mean_GivesTheChosenValue(EmptyMean emptyMean)
    {
        int[] shape = [0, 3];
        // One loss object per element type (the old one object served double and float).
        var ce = new CrossEntropyLoss<double> { EmptyMean = emptyMean };
        var ceFloat = new CrossEntropyLoss<float> { EmptyMean = emptyMean };
        AssertEmptyMean(ce.Forward(Array.Empty<double>(), shape, Array.Empty<int>()).Value, emptyMean, "CrossEntropyLoss, index, empty");
        AssertEmptyMean(ce.ForwardProbabilities(Array.Empty<double>(), shape, Array.Empty<double>()).Value, emptyMean, "CrossEntropyLoss, probabilities, empty");
        AssertEmptyMean(ceFloat.ForwardProbabilitiesWithGradient(Array.Empty<float>(), shape, Array.Empty<float>()).Value, emptyMean, "CrossEntropyLoss.ForwardWithGradient, probabilities, empty");
        AssertEmptyMean(new NllLoss<double> { EmptyMean = emptyMean }.Forward(Array.Empty<double>(), shape, Array.Empty<int>()).Value, emptyMean, "NllLoss, empty");
    }

    [Fact]
    public void Facade_SignedWeightsSummingToZero_AreUnchangedByZero()
    {
        double[] x = [0.5, -1.25, 2.0, -0.75, 1.5, 0.25];
        int[] shape = [2, 3];
        int[] y = [0, 1];
        var byDefault = new CrossEntropyLoss<double>(weight: [1.0, -1.0, 2.0]);
        var zero = byDefault with { EmptyMean = EmptyMean.Zero };
        LossResult<double> a = byDefault.ForwardWithGradient(x, shape, y);
        LossResult<double> b = zero.ForwardWithGradient(x, shape, y);
        Assert.True(double.IsInfinity(a.Value));
        AssertSameBits(a.Value, b.Value, "CrossEntropyLoss, signed weights");
        Assert.Equal(a.GradientToArray(), b.GradientToArray());

        var nll = new NllLoss<double>(weight: [1.0, -1.0, 2.0]);
        AssertSameBits(nll.Forward(x, shape, y).Value, (nll with { EmptyMean = EmptyMean.Zero }).Forward(x, shape, y).Value, "NllLoss, signed weights");
    }
}
