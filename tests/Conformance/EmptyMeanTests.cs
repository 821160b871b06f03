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
        AssertEmptyMean(Functional.CrossEntropy<T>(x, AllIgnored, classes, emptyMean: emptyMean), emptyMean, "CrossEntropy");
        AssertEmptyMean(Functional.CrossEntropy<T>(x, AllIgnored, classes, Reduction.Mean, w, Ignored, 0.25, 1, emptyMean), emptyMean, "CrossEntropy, weighted and smoothed");
        AssertEmptyMean(Functional.NllLoss<T>(x, AllIgnored, classes, emptyMean: emptyMean), emptyMean, "NllLoss");
        AssertEmptyMean(Functional.NllLoss<T>(x, AllIgnored, classes, Reduction.Mean, w, Ignored, 1, emptyMean), emptyMean, "NllLoss, weighted");

        // The default is NaN, PyTorch's 0/0.
        Assert.True(T.IsNaN(Functional.CrossEntropy<T>(x, AllIgnored, classes)));
        Assert.True(T.IsNaN(Functional.NllLoss<T>(x, AllIgnored, classes)));

        // An ignore index that is a real class: every target is that class.
        int[] allClassOne = [1, 1, 1];
        AssertEmptyMean(Functional.CrossEntropy<T>(x, allClassOne, classes, ignoreIndex: 1, emptyMean: emptyMean), emptyMean, "CrossEntropy, ignoreIndex = 1");

        // Sum is unaffected: 0 either way.
        AssertSameBits(0.0, double.CreateTruncating(Functional.CrossEntropy<T>(x, AllIgnored, classes, Reduction.Sum, emptyMean: emptyMean)), "CrossEntropy, Sum");
        AssertSameBits(0.0, double.CreateTruncating(Functional.NllLoss<T>(x, AllIgnored, classes, Reduction.Sum, emptyMean: emptyMean)), "NllLoss, Sum");
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
            T loss = Functional.CrossEntropyWithGradient<T>(x, AllIgnored, gradient, classes, Reduction.Mean, default, Ignored, smoothing, 1, emptyMean);
            AssertEmptyMean(loss, emptyMean, $"CrossEntropyWithGradient, ε = {smoothing}");
            AssertAllZero<T>(gradient, $"CrossEntropyWithGradient gradient, ε = {smoothing}");

            T[] logits = [.. x];
            T inPlace = Functional.CrossEntropyWithGradientInPlace<T>(logits, AllIgnored, classes, Reduction.Mean, w, Ignored, smoothing, 1, emptyMean);
            AssertEmptyMean(inPlace, emptyMean, $"CrossEntropyWithGradientInPlace, ε = {smoothing}");
            AssertAllZero<T>(logits, $"CrossEntropyWithGradientInPlace gradient, ε = {smoothing}");
        }

        T[] nllGradient = Filled<T>(x.Length);
        AssertEmptyMean(Functional.NllLossWithGradient<T>(x, AllIgnored, nllGradient, classes, Reduction.Mean, w, Ignored, 1, emptyMean), emptyMean, "NllLossWithGradient");
        AssertAllZero<T>(nllGradient, "NllLossWithGradient gradient");

        // The array overloads pass the option through (those returning a scalar are reached from F#, tests/FSharp).
        LossWithGradient<T> fromArrays = Functional.CrossEntropyWithGradient<T>(x, AllIgnored, classes, emptyMean: emptyMean);
        AssertEmptyMean(fromArrays.Loss, emptyMean, "CrossEntropyWithGradient (arrays)");
        AssertAllZero<T>(fromArrays.Gradient, "CrossEntropyWithGradient (arrays) gradient");
        LossWithGradient<T> nllFromArrays = Functional.NllLossWithGradient<T>(x, AllIgnored, classes, emptyMean: emptyMean);
        AssertEmptyMean(nllFromArrays.Loss, emptyMean, "NllLossWithGradient (arrays)");
        AssertAllZero<T>(nllFromArrays.Gradient, "NllLossWithGradient (arrays) gradient");

        // Sum: 0 and a zero gradient, whatever the option.
        T[] sumGradient = Filled<T>(x.Length);
        AssertSameBits(0.0, double.CreateTruncating(Functional.CrossEntropyWithGradient<T>(x, AllIgnored, sumGradient, classes, Reduction.Sum, emptyMean: emptyMean)), "CrossEntropyWithGradient, Sum");
        AssertAllZero<T>(sumGradient, "CrossEntropyWithGradient, Sum, gradient");
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
        AssertEmptyMean(Functional.CrossEntropy<T>(none, noTargets, 3, emptyMean: emptyMean), emptyMean, "CrossEntropy, index, empty");
        AssertEmptyMean(Functional.CrossEntropy<T>(none, noTargets, 3, inner: 4, emptyMean: emptyMean), emptyMean, "CrossEntropy, index, empty, inner 4");
        AssertEmptyMean(Functional.NllLoss<T>(none, noTargets, 3, emptyMean: emptyMean), emptyMean, "NllLoss, empty");
        AssertEmptyMean(Functional.CrossEntropyWithGradient<T>(none, noTargets, Span<T>.Empty, 3, emptyMean: emptyMean), emptyMean, "CrossEntropyWithGradient, index, empty");
        AssertEmptyMean(Functional.CrossEntropyWithGradientInPlace<T>(Span<T>.Empty, noTargets, 3, emptyMean: emptyMean), emptyMean, "CrossEntropyWithGradientInPlace, index, empty");
        AssertEmptyMean(Functional.NllLossWithGradient<T>(none, noTargets, Span<T>.Empty, 3, emptyMean: emptyMean), emptyMean, "NllLossWithGradient, empty");

        // Probability targets: an empty batch is the only way no position counts.
        AssertEmptyMean(Functional.CrossEntropy<T>(none, none, 3, emptyMean: emptyMean), emptyMean, "CrossEntropy, probabilities, empty");
        AssertEmptyMean(Functional.CrossEntropyWithGradient<T>(none, none, Span<T>.Empty, 3, emptyMean: emptyMean), emptyMean, "CrossEntropyWithGradient, probabilities, empty");
        AssertEmptyMean(Functional.CrossEntropyWithGradientInPlace<T>(Span<T>.Empty, none, 3, emptyMean: emptyMean), emptyMean, "CrossEntropyWithGradientInPlace, probabilities, empty");
        AssertEmptyMean(Functional.CrossEntropyWithGradient(none, none, 3, emptyMean: emptyMean).Loss, emptyMean, "CrossEntropyWithGradient (arrays), probabilities, empty");

        AssertSameBits(0.0, double.CreateTruncating(Functional.CrossEntropy<T>(none, none, 3, Reduction.Sum, emptyMean: emptyMean)), "CrossEntropy, probabilities, empty, Sum");
        AssertSameBits(0.0, double.CreateTruncating(Functional.CrossEntropy<T>(none, noTargets, 3, Reduction.Sum, emptyMean: emptyMean)), "CrossEntropy, index, empty, Sum");
    }

    [Fact]
    public void ProbabilityTargets_NonEmptyBatch_IsUnchangedByZero()
    {
        double[] x = [0.5, -1.25, 2.0, -0.75, 1.5, 0.25];
        double[] p = [0.2, 0.3, 0.5, 1.0, 0.0, 0.0];
        AssertSameBits(Functional.CrossEntropy<double>(x, p, 3), Functional.CrossEntropy<double>(x, p, 3, emptyMean: EmptyMean.Zero), "probability CE, Mean");

        // A NaN mean over positions that count stays NaN.
        double[] poisoned = [double.NaN, -1.25, 2.0, -0.75, 1.5, 0.25];
        Assert.True(double.IsNaN(Functional.CrossEntropy<double>(poisoned, p, 3, emptyMean: EmptyMean.Zero)));
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

        T byDefault = Functional.CrossEntropy<T>(x, y, 3, Reduction.Mean, w);
        T zero = Functional.CrossEntropy<T>(x, y, 3, Reduction.Mean, w, emptyMean: EmptyMean.Zero);
        Assert.True(T.IsInfinity(byDefault), $"Σℓ / 0 should be infinite, got {byDefault}");
        AssertSameBits(double.CreateTruncating(byDefault), double.CreateTruncating(zero), "signed weights, CrossEntropy");

        T[] defaultGradient = new T[x.Length];
        T[] zeroGradient = new T[x.Length];
        T loss = Functional.CrossEntropyWithGradient<T>(x, y, defaultGradient, 3, Reduction.Mean, w);
        T zeroLoss = Functional.CrossEntropyWithGradient<T>(x, y, zeroGradient, 3, Reduction.Mean, w, emptyMean: EmptyMean.Zero);
        AssertSameBits(double.CreateTruncating(loss), double.CreateTruncating(zeroLoss), "signed weights, CrossEntropyWithGradient");
        for (int i = 0; i < x.Length; i++)
        {
            AssertSameBits(double.CreateTruncating(defaultGradient[i]), double.CreateTruncating(zeroGradient[i]), $"signed weights, gradient[{i}]");
        }

        AssertSameBits(
            double.CreateTruncating(Functional.NllLoss<T>(x, y, 3, Reduction.Mean, w)),
            double.CreateTruncating(Functional.NllLoss<T>(x, y, 3, Reduction.Mean, w, emptyMean: EmptyMean.Zero)),
            "signed weights, NllLoss");

        // Every counted weight zero: 0/0 is NaN, and stays NaN with Zero (a position counts).
        T[] zeros = As<T>([0.0, 0.0, 2.0]);
        Assert.True(T.IsNaN(Functional.CrossEntropy<T>(x, y, 3, Reduction.Mean, zeros, emptyMean: EmptyMean.Zero)));
        T[] nllGradient = new T[x.Length];
        Assert.True(T.IsNaN(Functional.NllLossWithGradient<T>(x, y, nllGradient, 3, Reduction.Mean, zeros, emptyMean: EmptyMean.Zero)));
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

        AssertRefused(bad, () => Functional.CrossEntropy<double>(x, y, 4, emptyMean: bad));
        AssertRefused(bad, () => Functional.CrossEntropy<double>(x, y, 4, Reduction.Sum, emptyMean: bad));
        AssertRefused(bad, () => Functional.NllLoss<double>(x, y, 4, emptyMean: bad));
        AssertRefused(bad, () => Functional.CrossEntropy<double>(x, p, 4, emptyMean: bad));
        AssertRefused(bad, () => Functional.CrossEntropyWithGradient(x, p, 4, emptyMean: bad)); // the array overload
        AssertRefused(bad, () => Functional.NllLossWithGradient(x, y, 4, emptyMean: bad)); // the array overload

        // Outputs untouched.
        double[] gradient = Filled<double>(x.Length);
        AssertRefused(bad, () => Functional.CrossEntropyWithGradient<double>(x, y, gradient, 4, emptyMean: bad));
        AssertRefused(bad, () => Functional.NllLossWithGradient<double>(x, y, gradient, 4, emptyMean: bad));
        AssertRefused(bad, () => Functional.CrossEntropyWithGradient<double>(x, p, gradient, 4, emptyMean: bad));
        Assert.All(gradient, v => Assert.Equal(Sentinel, v));

        float[] floatGradient = Filled<float>(x.Length);
        float[] floatX = As<float>(x);
        AssertRefused(bad, () => Functional.CrossEntropyWithGradient<float>(floatX, y, floatGradient, 4, emptyMean: bad));
        Assert.All(floatGradient, v => Assert.Equal((float)Sentinel, v));

        double[] logits = [.. x];
        AssertRefused(bad, () => Functional.CrossEntropyWithGradientInPlace<double>(logits, y, 4, emptyMean: bad));
        AssertRefused(bad, () => Functional.CrossEntropyWithGradientInPlace<double>(logits, p, 4, emptyMean: bad));
        Assert.Equal(x, logits);

        // Checked with the reduction, before the targets: an out-of-range target does not hide it.
        int[] outOfRange = [2, 9, 0];
        AssertRefused(bad, () => Functional.CrossEntropy<double>(x, outOfRange, 4, emptyMean: bad));

        // ... and after the reduction.
        var reduction = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy<double>(x, y, 4, Reduction.None, emptyMean: bad));
        Assert.Equal("reduction", reduction.ParamName);
    }

    private static void AssertRefused<TResult>(EmptyMean bad, Func<TResult> call)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => call());
        Assert.Equal("emptyMean", e.ParamName);
        Assert.Equal(bad, e.ActualValue);
        Assert.Contains(((int)bad).ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    // ---- Facade ----

    [Fact]
    public void Facade_DefaultsToNaN_AndValidatesTheOption()
    {
        Assert.Equal(EmptyMean.NaN, new CrossEntropyLoss().EmptyMean);
        Assert.Equal(EmptyMean.NaN, new NllLoss().EmptyMean);
        Assert.Equal(EmptyMean.Zero, new CrossEntropyLoss { EmptyMean = EmptyMean.Zero }.EmptyMean);
        Assert.Equal(EmptyMean.Zero, (new NllLoss() with { EmptyMean = EmptyMean.Zero }).EmptyMean);

        var bad = (EmptyMean)7;
        var ce = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss { EmptyMean = bad });
        Assert.Equal("emptyMean", ce.ParamName);
        Assert.Equal(bad, ce.ActualValue);
        Assert.Contains("7", ce.Message, StringComparison.Ordinal);
        var withCe = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss() with { EmptyMean = bad });
        Assert.Equal("emptyMean", withCe.ParamName);
        var nll = Assert.Throws<ArgumentOutOfRangeException>(() => new NllLoss { EmptyMean = (EmptyMean)(-1) });
        Assert.Equal("emptyMean", nll.ParamName);
    }

    [Fact]
    public void Facade_EqualityHashAndToString_IncludeTheOption()
    {
        var nan = new CrossEntropyLoss();
        var zero = new CrossEntropyLoss { EmptyMean = EmptyMean.Zero };
        Assert.NotEqual(nan, zero);
        Assert.Equal(zero, nan with { EmptyMean = EmptyMean.Zero });
        Assert.Equal(zero.GetHashCode(), (nan with { EmptyMean = EmptyMean.Zero }).GetHashCode());
        Assert.Equal("CrossEntropyLoss(reduction: Mean, weight: none, ignoreIndex: -100, labelSmoothing: 0, emptyMean: Zero)", zero.ToString());

        var nllZero = new NllLoss { EmptyMean = EmptyMean.Zero };
        Assert.NotEqual(new NllLoss(), nllZero);
        Assert.Equal(nllZero, new NllLoss() with { EmptyMean = EmptyMean.Zero });
        Assert.Equal(nllZero.GetHashCode(), (new NllLoss() with { EmptyMean = EmptyMean.Zero }).GetHashCode());
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
        var ce = new CrossEntropyLoss(weight: [1.0, 2.0, 0.5, 3.0], labelSmoothing: 0.1) { EmptyMean = emptyMean };
        AssertEmptyMean(ce.Forward(x, shape, AllIgnored).Value, emptyMean, "CrossEntropyLoss.Forward");
        LossResult<T> withGradient = ce.ForwardWithGradient(x, shape, AllIgnored);
        AssertEmptyMean(withGradient.Value, emptyMean, "CrossEntropyLoss.ForwardWithGradient");
        AssertAllZero<T>(withGradient.GradientToArray(), "CrossEntropyLoss gradient");

        var nll = new NllLoss { EmptyMean = emptyMean };
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
        var ce = new CrossEntropyLoss { EmptyMean = emptyMean };
        AssertEmptyMean(ce.Forward(Array.Empty<double>(), shape, Array.Empty<int>()).Value, emptyMean, "CrossEntropyLoss, index, empty");
        AssertEmptyMean(ce.Forward(Array.Empty<double>(), shape, Array.Empty<double>()).Value, emptyMean, "CrossEntropyLoss, probabilities, empty");
        AssertEmptyMean(ce.ForwardWithGradient(Array.Empty<float>(), shape, Array.Empty<float>()).Value, emptyMean, "CrossEntropyLoss.ForwardWithGradient, probabilities, empty");
        AssertEmptyMean(new NllLoss { EmptyMean = emptyMean }.Forward(Array.Empty<double>(), shape, Array.Empty<int>()).Value, emptyMean, "NllLoss, empty");
    }

    [Fact]
    public void Facade_SignedWeightsSummingToZero_AreUnchangedByZero()
    {
        double[] x = [0.5, -1.25, 2.0, -0.75, 1.5, 0.25];
        int[] shape = [2, 3];
        int[] y = [0, 1];
        var byDefault = new CrossEntropyLoss(weight: [1.0, -1.0, 2.0]);
        var zero = byDefault with { EmptyMean = EmptyMean.Zero };
        LossResult<double> a = byDefault.ForwardWithGradient(x, shape, y);
        LossResult<double> b = zero.ForwardWithGradient(x, shape, y);
        Assert.True(double.IsInfinity(a.Value));
        AssertSameBits(a.Value, b.Value, "CrossEntropyLoss, signed weights");
        Assert.Equal(a.GradientToArray(), b.GradientToArray());

        var nll = new NllLoss(weight: [1.0, -1.0, 2.0]);
        AssertSameBits(nll.Forward(x, shape, y).Value, (nll with { EmptyMean = EmptyMean.Zero }).Forward(x, shape, y).Value, "NllLoss, signed weights");
    }
}
