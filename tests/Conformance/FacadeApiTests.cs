using System;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// What the 0.2 facade adds (issue 13): losses generic in the element type with weights stored in it, targets of any
/// integer type, the summary of cross entropy, the kernel's options (z-loss, soft cap) passed through, and
/// <c>ForwardWithGradient</c> into the caller's buffer: the allocating call's gradient bit for bit, in place where the
/// kernel allows it, buffers and upstream gradients of the wrong shape refused before anything is written.
/// </summary>
public sealed class FacadeApiTests
{
    private static readonly Reduction[] ClassReductions = [Reduction.None, Reduction.Mean, Reduction.Sum];

    // (N, C, d) = (3, 5, 2): six positions, the class dimension at 1; targets (3, 2), two of them the ignore index 2.
    private static readonly int[] SpatialShape = [3, 5, 2];
    private static readonly int[] SpatialLabels = [4, 0, 2, 1, 3, 2];

    // (N, C) = (4, 5); the third row's target is the ignore index.
    private static readonly int[] RowShape = [4, 5];
    private static readonly int[] RowLabels = [1, 4, 2, 0];

    private const int Ignore = 2;

    private static readonly double[] ClassWeight = [0.5, 2.0, 1.0, 1.5, 0.25];

    private static T[] Values<T>(int count, int seed, double low, double high)
        where T : IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => T.CreateTruncating(low + (high - low) * random.NextDouble()))];
    }

    private static T[] As<T>(double[] values)
        where T : IFloatingPointIeee754<T> =>
        Array.ConvertAll(values, T.CreateTruncating);

    private static nint[] Dims(int[] shape) => Array.ConvertAll(shape, d => (nint)d);

    private static nint[] LossDims(int[] shape) => shape.Length < 2 ? [] : [shape[0], .. Dims(shape[2..])];

    private static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    private static long Bits<T>(T value)
        where T : IFloatingPointIeee754<T> =>
        BitConverter.DoubleToInt64Bits(double.CreateTruncating(value));

    private static void AssertSameBits<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string what)
        where T : IFloatingPointIeee754<T>
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Bits(expected[i]) == Bits(actual[i]), $"{what}: element {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    private static void AssertSameBits<T>(T expected, T actual, string what)
        where T : IFloatingPointIeee754<T> =>
        Assert.True(Bits(expected) == Bits(actual), $"{what}: {actual}, expected {expected}");

    private static void AssertSameResult<T>(LossResult<T> expected, LossResult<T> actual, string what)
        where T : IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.IsScalar, actual.IsScalar);
        if (expected.IsScalar)
        {
            AssertSameBits(expected.Value, actual.Value, what + " value");
        }
        else
        {
            Assert.Equal(expected.Elements!.Lengths.ToArray(), actual.Elements!.Lengths.ToArray());
            AssertSameBits<T>(expected.ToArray(), actual.ToArray(), what + " losses");
        }

        Assert.Equal(expected.Summary, actual.Summary);
        Assert.Equal(expected.Gradient is null, actual.Gradient is null);
        if (expected.Gradient is not null)
        {
            AssertSameBits<T>(expected.GradientToArray(), actual.GradientToArray(), what + " gradient");
        }
    }

    private static T[] Filled<T>(int length, T value)
    {
        var values = new T[length];
        Array.Fill(values, value);
        return values;
    }

    private static T Sentinel<T>()
        where T : IFloatingPointIeee754<T> =>
        T.CreateTruncating(42.0);

    private static void AssertUntouched<T>(T[] buffer, string what)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            Assert.True(buffer[i] == Sentinel<T>(), $"{what}: element {i} was written ({buffer[i]})");
        }
    }

    // ---- Targets of any integer type ----

    [Fact]
    public void LongAndByteTargets_GiveTheIntResults_BitForBit()
    {
        foreach (int[] shape in new[] { SpatialShape, RowShape })
        {
            int[] labels = shape == SpatialShape ? SpatialLabels : RowLabels;
            OtherLabelTypes<float>(shape, labels);
            OtherLabelTypes<double>(shape, labels);
            OtherLabelTypes<Half>(shape, labels);
        }
    }

    private static void OtherLabelTypes<T>(int[] shape, int[] labels)
        where T : IFloatingPointIeee754<T>
    {
        T[] x = Values<T>(Count(shape), Count(shape), -4, 4);
        nint[] dims = Dims(shape);
        nint[] targetDims = LossDims(shape);
        foreach (Reduction reduction in ClassReductions)
        {
            var ce = new CrossEntropyLoss<T>(reduction, As<T>(ClassWeight), Ignore, 0.1);
            var nll = new NllLoss<T>(reduction, As<T>(ClassWeight), Ignore);
            string what = $"{typeof(T).Name} {reduction} [{string.Join(", ", shape)}]";
            AssertLabelTypeAgrees<T, long>(ce, nll, x, dims, targetDims, labels, Array.ConvertAll(labels, l => (long)l), what + " long");
            AssertLabelTypeAgrees<T, byte>(ce, nll, x, dims, targetDims, labels, Array.ConvertAll(labels, l => (byte)l), what + " byte");
            AssertLabelTypeAgrees<T, short>(ce, nll, x, dims, targetDims, labels, Array.ConvertAll(labels, l => (short)l), what + " short");
            AssertLabelTypeAgrees<T, ulong>(ce, nll, x, dims, targetDims, labels, Array.ConvertAll(labels, l => (ulong)l), what + " ulong");
        }
    }

    private static void AssertLabelTypeAgrees<T, TLabel>(
        CrossEntropyLoss<T> ce, NllLoss<T> nll, T[] x, nint[] dims, nint[] targetDims, int[] labels, TLabel[] other, string what)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        var input = new ReadOnlyTensorSpan<T>(x, dims);
        var y = new ReadOnlyTensorSpan<int>(labels, targetDims);
        var z = new ReadOnlyTensorSpan<TLabel>(other, targetDims);
        int[] shape = Array.ConvertAll(dims, d => (int)d);

        // Forward, the allocating gradient, the tensor and array overloads.
        AssertSameResult(ce.Forward(input, y), ce.Forward(input, z), what + " Forward");
        AssertSameResult(ce.ForwardWithGradient(input, y), ce.ForwardWithGradient(input, z), what + " ForwardWithGradient");
        AssertSameResult(ce.Forward(input, y), ce.Forward(Tensor.Create(x, dims), Tensor.Create(other, targetDims)), what + " Forward(Tensor)");
        AssertSameResult(ce.Forward(input, y), ce.Forward(x, shape, other), what + " Forward(arrays)");
        AssertSameResult(ce.ForwardWithGradient(input, y), ce.ForwardWithGradient(x, shape, other), what + " ForwardWithGradient(arrays)");
        AssertSameResult(nll.Forward(input, y), nll.Forward(input, z), what + " NLL Forward");
        AssertSameResult(nll.ForwardWithGradient(input, y), nll.ForwardWithGradient(input, z), what + " NLL ForwardWithGradient");
        AssertSameResult(nll.Forward(input, y), nll.Forward(x, shape, other), what + " NLL Forward(arrays)");

        // The gradient into the caller's buffer: the same summary and the same gradient.
        T[] expected = new T[x.Length];
        T[] actual = new T[x.Length];
        T[] fromArrays = new T[x.Length];
        CrossEntropySummary a = ce.ForwardWithGradient(input, y, new TensorSpan<T>(expected, dims));
        CrossEntropySummary b = ce.ForwardWithGradient(input, z, new TensorSpan<T>(actual, dims));
        Assert.Equal(a, b);
        AssertSameBits<T>(expected, actual, what + " gradient into a buffer");
        Assert.Equal(a, ce.ForwardWithGradient(x, shape, other, fromArrays));
        AssertSameBits<T>(expected, fromArrays, what + " gradient into an array");
        T nllInt = nll.ForwardWithGradient(input, y, new TensorSpan<T>(expected, dims));
        T nllOther = nll.ForwardWithGradient(input, z, new TensorSpan<T>(actual, dims));
        AssertSameBits(nllInt, nllOther, what + " NLL into a buffer");
        AssertSameBits<T>(expected, actual, what + " NLL gradient into a buffer");
    }

    [Fact]
    public void LongTargets_AreComparedWhole_NeverNarrowedToInt()
    {
        // 2³² + 1 narrowed to int would be class 1: it is out of range, and as an ignore index it matches only itself.
        const long Wide = (1L << 32) + 1;
        double[] x = Values<double>(8, 5, -3, 3);
        var ce = new CrossEntropyLoss<double>(Reduction.Sum);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ce.Forward(x, [2, 4], new[] { 0L, Wide }));
        Assert.Equal("target", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NllLoss<double>().Forward(x, [2, 4], new[] { Wide, 0L }));

        var wideIgnore = new CrossEntropyLoss<double>(Reduction.Sum, ignoreIndex: Wide);
        Assert.Equal(Wide, wideIgnore.IgnoreIndex);
        LossResult<double> ignored = wideIgnore.Forward(x, [2, 4], new[] { 3L, Wide });
        LossResult<double> firstRowOnly = ce.Forward(x, [2, 4], new[] { 3, -100 });
        AssertSameResult(firstRowOnly, ignored, "long ignore index");
        Assert.Equal(1, ignored.Summary!.Value.Count);

        // With int targets the wide ignore index matches nothing: target 1 is a class.
        LossResult<double> notIgnored = wideIgnore.Forward(x, [2, 4], new[] { 3, 1 });
        AssertSameResult(ce.Forward(x, [2, 4], new[] { 3, 1 }), notIgnored, "int targets, long ignore index");
        Assert.Equal(2, notIgnored.Summary!.Value.Count);

        // A byte target of 255 is the ignore index 255, not −1.
        var byteIgnore = new CrossEntropyLoss<double>(Reduction.Sum, ignoreIndex: 255);
        AssertSameResult(firstRowOnly, byteIgnore.Forward(x, [2, 4], new byte[] { 3, 255 }), "byte ignore index");
        Assert.Throws<ArgumentOutOfRangeException>(() => ce.Forward(x, [2, 4], new byte[] { 3, 255 }));
    }

    // ---- The summary ----

    [Fact]
    public void Summary_CountsTheTargetsAndTheCorrectPredictions_AndReportsTheZLoss()
    {
        Summary<double>(1e-13);
        Summary<float>(1e-6);
    }

    private static void Summary<T>(double tolerance)
        where T : IFloatingPointIeee754<T>
    {
        // 5 rows of 4 classes; row n's maximum is at class n % 4. Targets: right, wrong, ignored, right, wrong.
        double[] logits =
        [
            3.0, 0.5, -1.0, 0.25,
            0.1, 2.5, -0.5, 1.0,
            -2.0, 0.0, 4.0, 1.0,
            0.5, -0.5, 1.5, 2.0,
            1.75, 1.5, -1.0, 0.0,
        ];
        int[] targets = [0, 3, -100, 3, 2];
        T[] x = As<T>(logits);
        double[] lse = [.. Enumerable.Range(0, 5).Select(n => Math.Log(Enumerable.Range(0, 4).Sum(c => Math.Exp(double.CreateTruncating(x[n * 4 + c])))))];
        double zSum = new[] { 0, 1, 3, 4 }.Sum(n => lse[n] * lse[n]);

        foreach (Reduction reduction in ClassReductions)
        {
            var plain = new CrossEntropyLoss<T>(reduction);
            LossResult<T> forward = plain.Forward(x, [5, 4], targets);
            CrossEntropySummary s = forward.Summary!.Value;
            Assert.Equal(4, s.Count);
            Assert.Equal(2, s.Correct);
            Assert.Equal(0.5, s.Accuracy);
            Assert.Equal(0.0, s.ZLoss);
            if (reduction == Reduction.None)
            {
                // Σ ℓ for None (the per-position losses are the result's elements).
                double sum = forward.ToArray().Sum(double.CreateTruncating);
                Assert.True(Math.Abs(sum - s.Loss) <= tolerance * Math.Abs(sum), $"{reduction}: Σ ℓ {sum} vs {s.Loss}");
            }
            else
            {
                Assert.Equal(forward.Value, T.CreateTruncating(s.Loss));
            }

            // The same summary from both gradient calls.
            Assert.Equal(s, plain.ForwardWithGradient(x, [5, 4], targets).Summary);
            Assert.Equal(s, plain.ForwardWithGradient(x, [5, 4], targets, new T[20]));

            // The z-loss λ·lse², reduced as the loss is (the mean over the counted positions without weights), and in the loss.
            const double Lambda = 0.01;
            CrossEntropySummary z = (plain with { ZLossScale = Lambda }).Forward(x, [5, 4], targets).Summary!.Value;
            double expectedZ = Lambda * (reduction == Reduction.Mean ? zSum / 4 : zSum);
            Assert.True(Math.Abs(expectedZ - z.ZLoss) <= tolerance * expectedZ, $"{typeof(T).Name} {reduction}: z-loss {z.ZLoss}, expected {expectedZ}");
            Assert.True(Math.Abs(s.Loss + expectedZ - z.Loss) <= tolerance * z.Loss, $"{typeof(T).Name} {reduction}: loss {z.Loss}, expected {s.Loss + expectedZ}");
            Assert.Equal((4L, 2L, 0.5), (z.Count, z.Correct, z.Accuracy));
        }

        // Probability targets name no class: every position counts, none is "correct", the accuracy is NaN.
        CrossEntropySummary soft = new CrossEntropyLoss<T>().ForwardProbabilities(x, [5, 4], Filled(20, T.CreateTruncating(0.25))).Summary!.Value;
        Assert.Equal(5, soft.Count);
        Assert.Equal(0, soft.Correct);
        Assert.True(double.IsNaN(soft.Accuracy));

        // Unbatched input: one position.
        CrossEntropySummary single = new CrossEntropyLoss<T>().Forward(x[..4], [4], [0]).Summary!.Value;
        Assert.Equal((1L, 1L, 1.0), (single.Count, single.Correct, single.Accuracy));

        // Every target ignored: no position counts; the accuracy follows the empty-mean rule.
        int[] none = [-100, -100, -100, -100, -100];
        CrossEntropySummary nan = new CrossEntropyLoss<T>().Forward(x, [5, 4], none).Summary!.Value;
        Assert.Equal((0L, 0L), (nan.Count, nan.Correct));
        Assert.True(double.IsNaN(nan.Accuracy));
        CrossEntropySummary zero = new CrossEntropyLoss<T> { EmptyMean = EmptyMean.Zero }.Forward(x, [5, 4], none).Summary!.Value;
        Assert.Equal(0.0, zero.Accuracy);
        Assert.Equal(0.0, zero.Loss);

        // The other losses have no summary.
        Assert.Null(new NllLoss<T>().Forward(x, [5, 4], targets).Summary);
        Assert.Null(new NllLoss<T>().ForwardWithGradient(x, [5, 4], targets).Summary);
        T[] probabilities = Filled(20, T.CreateTruncating(0.5));
        Assert.Null(new BceWithLogitsLoss<T>().Forward(x, [5, 4], probabilities).Summary);
        Assert.Null(new BceLoss<T>().ForwardWithGradient(probabilities, [5, 4], probabilities).Summary);
        Assert.Null(new KlDivLoss<T>().Forward(x, [5, 4], probabilities).Summary);
    }

    // ---- The kernel's options ----

    [Fact]
    public void Options_ArePassedThrough_ZLossAndSoftCapGiveTheKernelsValues()
    {
        foreach (Reduction reduction in ClassReductions)
        {
            OptionsPassThrough<float>(reduction, SpatialShape, SpatialLabels);
            OptionsPassThrough<double>(reduction, SpatialShape, SpatialLabels);
            OptionsPassThrough<double>(reduction, RowShape, RowLabels);
            OptionsPassThrough<Half>(reduction, RowShape, RowLabels);
        }
    }

    private static void OptionsPassThrough<T>(Reduction reduction, int[] shape, int[] labels)
        where T : IFloatingPointIeee754<T>
    {
        int classes = shape[1];
        int inner = Count(shape[2..]);
        int positions = Count(shape) / classes;
        T[] x = Values<T>(Count(shape), 11, -6, 6);
        T[] p = Values<T>(Count(shape), 12, 0, 1);
        var options = new CrossEntropyOptions<T>
        {
            Reduction = reduction,
            Weight = As<T>(ClassWeight),
            IgnoreIndex = Ignore,
            LabelSmoothing = 0.1,
            ZLossScale = 0.01,
            SoftCap = 3.0,
            EmptyMean = EmptyMean.Zero,
        };
        string what = $"{typeof(T).Name} {reduction} [{string.Join(", ", shape)}]";

        // Three ways to the same loss: the options themselves, WithOptions, and the properties.
        var fromOptions = new CrossEntropyLoss<T>(options);
        CrossEntropyLoss<T> withOptions = new CrossEntropyLoss<T>().WithOptions(options);
        CrossEntropyLoss<T> fromProperties = new CrossEntropyLoss<T>(reduction, As<T>(ClassWeight), Ignore, 0.1) { ZLossScale = 0.01, SoftCap = 3.0, EmptyMean = EmptyMean.Zero };
        Assert.Same(options, fromOptions.Options);
        Assert.Same(options, withOptions.Options);
        Assert.Equal(options, fromProperties.Options);
        Assert.Equal(fromOptions, withOptions);
        Assert.Equal(fromOptions, fromProperties);
        Assert.Equal(fromOptions.GetHashCode(), fromProperties.GetHashCode());
        Assert.Equal((0.01, 3.0), (fromOptions.ZLossScale, fromOptions.SoftCap));

        // The kernel's values: the summary, the per-position losses, the gradient.
        T[] kernelGradient = new T[x.Length];
        T[] kernelLosses = new T[positions];
        Functional.CrossEntropy<T, int>(x, labels, classes, options with { Reduction = Reduction.None }, default, kernelLosses, inner: inner);
        CrossEntropySummary kernel = Functional.CrossEntropy<T, int>(x, labels, classes, options, kernelGradient, inner: inner);
        T[] kernelProbabilityGradient = new T[x.Length];
        CrossEntropySummary kernelProbabilities = Functional.CrossEntropyProbabilities<T>(x, p, classes, options, kernelProbabilityGradient, inner: inner);
        Assert.True(kernel.ZLoss > 0, what + ": the z-loss is on");

        foreach (CrossEntropyLoss<T> loss in new[] { fromOptions, withOptions, fromProperties })
        {
            LossResult<T> result = loss.ForwardWithGradient(x, shape, labels);
            Assert.Equal(kernel, result.Summary);
            if (reduction == Reduction.None)
            {
                AssertSameBits<T>(kernelLosses, result.ToArray(), what + " losses");
            }
            else
            {
                AssertSameBits(T.CreateTruncating(kernel.Loss), result.Value, what + " loss");
            }

            AssertSameBits<T>(kernelGradient, result.GradientToArray(), what + " gradient");
            T[] buffer = new T[x.Length];
            Assert.Equal(kernel, loss.ForwardWithGradient(x, shape, labels, buffer));
            AssertSameBits<T>(kernelGradient, buffer, what + " gradient into a buffer");

            LossResult<T> soft = loss.ForwardProbabilitiesWithGradient(x, shape, p);
            Assert.Equal(kernelProbabilities, soft.Summary);
            AssertSameBits<T>(kernelProbabilityGradient, soft.GradientToArray(), what + " probability gradient");
        }

        // Not vacuous: the soft cap and the z-loss change the value.
        var uncapped = new CrossEntropyLoss<T>(options with { SoftCap = 0.0 });
        var noZLoss = new CrossEntropyLoss<T>(options with { ZLossScale = 0.0 });
        Assert.NotEqual(kernel.Loss, uncapped.Forward(x, shape, labels).Summary!.Value.Loss);
        Assert.NotEqual(kernel.Loss, noZLoss.Forward(x, shape, labels).Summary!.Value.Loss);
        Assert.NotEqual(fromOptions, uncapped);
        Assert.NotEqual(fromOptions, noZLoss);
    }

    [Fact]
    public void Options_AreValidatedWhenSet_AndPrintedOnlyWhenSet()
    {
        var loss = new CrossEntropyLoss<float>();
        Assert.Equal(CrossEntropyOptions<float>.Default, loss.Options);
        Assert.Throws<ArgumentOutOfRangeException>(() => loss with { ZLossScale = -1.0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => loss with { ZLossScale = double.PositiveInfinity });
        Assert.Throws<ArgumentOutOfRangeException>(() => loss with { SoftCap = double.NaN });
        Assert.Throws<ArgumentOutOfRangeException>(() => loss with { SoftCap = -2.0 });
        Assert.Throws<ArgumentNullException>(() => new CrossEntropyLoss<float>((CrossEntropyOptions<float>)null!));
        Assert.Throws<ArgumentNullException>(() => loss.WithOptions(null!));
        Assert.Throws<ArgumentNullException>(() => loss with { Options = null! });

        // The constructor's parameters name the refused option.
        Assert.Equal("reduction", Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<float>(Reduction.BatchMean)).ParamName);
        Assert.Equal("reduction", Assert.Throws<ArgumentOutOfRangeException>(() => loss with { Reduction = Reduction.BatchMean }).ParamName);
        Assert.Equal("labelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<float>(labelSmoothing: 1.5)).ParamName);
        Assert.Equal("reduction", Assert.Throws<ArgumentOutOfRangeException>(() => new NllLoss<float>(Reduction.BatchMean)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => new NllLoss<float>(weight: [])).ParamName);
        Assert.Equal("reduction", Assert.Throws<ArgumentOutOfRangeException>(() => new BceWithLogitsLoss<float>(Reduction.BatchMean)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => new BceWithLogitsLoss<float>(weight: [])).ParamName);
        Assert.Equal("posWeight", Assert.Throws<ArgumentException>(() => new BceWithLogitsLoss<float>(posWeight: [])).ParamName);
        Assert.Equal("reduction", Assert.Throws<ArgumentOutOfRangeException>(() => new BceLoss<float>((Reduction)9)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => new BceLoss<float>(weight: [])).ParamName);
        Assert.Equal("reduction", Assert.Throws<ArgumentOutOfRangeException>(() => new KlDivLoss<float>((Reduction)9)).ParamName);
        Assert.Equal(Reduction.BatchMean, new KlDivLoss<float>(Reduction.BatchMean).Reduction);

        const string Plain = "CrossEntropyLoss(reduction: Mean, weight: none, ignoreIndex: -100, labelSmoothing: 0, emptyMean: NaN";
        Assert.Equal(Plain + ")", loss.ToString());
        Assert.Equal(Plain + ", zLossScale: 0.0001)", (loss with { ZLossScale = 1e-4 }).ToString());
        Assert.Equal(Plain + ", softCap: 30)", (loss with { SoftCap = 30.0 }).ToString());
        Assert.Equal(Plain + ", zLossScale: 0.0001, softCap: 30)", new CrossEntropyLoss<float>(new CrossEntropyOptions<float> { ZLossScale = 1e-4, SoftCap = 30.0 }).ToString());
    }

    [Fact]
    public void NllLoss_RefusesTheOptionsOfCrossEntropy_AndTakesTheRest()
    {
        foreach (CrossEntropyOptions<double> refused in new[]
        {
            new CrossEntropyOptions<double> { LabelSmoothing = 0.1 },
            new CrossEntropyOptions<double> { ZLossScale = 1e-4 },
            new CrossEntropyOptions<double> { SoftCap = 30.0 },
        })
        {
            ArgumentException e = Assert.Throws<ArgumentException>(() => new NllLoss<double>(refused));
            Assert.Contains("label smoothing", e.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => new NllLoss<double>().WithOptions(refused));
            Assert.Throws<ArgumentException>(() => new NllLoss<double>() with { Options = refused });
        }

        Assert.Throws<ArgumentNullException>(() => new NllLoss<double>((CrossEntropyOptions<double>)null!));
        Assert.Throws<ArgumentNullException>(() => new NllLoss<double>().WithOptions(null!));

        var options = new CrossEntropyOptions<double> { Reduction = Reduction.Sum, Weight = ClassWeight, IgnoreIndex = Ignore, EmptyMean = EmptyMean.Zero };
        var nll = new NllLoss<double>(options);
        Assert.Same(options, nll.Options);
        Assert.Equal(new NllLoss<double>(Reduction.Sum, ClassWeight, Ignore) { EmptyMean = EmptyMean.Zero }, nll);
        Assert.Equal(nll, new NllLoss<double>().WithOptions(options));
        double[] x = Values<double>(20, 3, -5, 0);
        Assert.Equal(Functional.NllLoss<double, int>(x, RowLabels, 5, options), nll.Forward(x, RowShape, RowLabels).Value);
    }

    // ---- Weights in the element type ----

    [Fact]
    public void Weights_AreStoredInTheElementType_AndCopied()
    {
        float[] weight = [0.1f, 1f, 2f, 0.3f, 1f];
        var ce = new CrossEntropyLoss<float>(Reduction.Sum, weight);
        var nll = new NllLoss<float>(Reduction.Sum, weight);
        var bce = new BceWithLogitsLoss<float>(Reduction.Sum, weight, weight);
        var bceProbabilities = new BceLoss<float>(Reduction.Sum, weight);
        weight[0] = 100f;

        // The float 0.1f exactly, not the double 0.1 rounded some other way.
        foreach (ReadOnlyMemory<float> stored in new[] { ce.Weight, ce.Options.Weight, nll.Weight, bce.Weight, bce.PosWeight, bceProbabilities.Weight })
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(0.1f), BitConverter.SingleToInt32Bits(stored.Span[0]));
            Assert.Equal(0.3f, stored.Span[3]);
        }

        // The loss is the kernel's with the float weights.
        float[] x = Values<float>(20, 9, -3, 3);
        float[] kernelWeight = [0.1f, 1f, 2f, 0.3f, 1f];
        float[] kernelGradient = new float[20];
        CrossEntropySummary kernel = Functional.CrossEntropy<float, int>(x, RowLabels, 5, new CrossEntropyOptions<float> { Reduction = Reduction.Sum, Weight = kernelWeight }, kernelGradient);
        LossResult<float> result = ce.ForwardWithGradient(x, RowShape, RowLabels);
        Assert.Equal(kernel, result.Summary);
        AssertSameBits<float>(kernelGradient, result.GradientToArray(), "float weights");
        float[] t = Values<float>(20, 10, 0, 1);
        float bceKernel = Functional.BinaryCrossEntropyWithLogits<float>(x, t, Reduction.Sum, kernelWeight, kernelWeight);
        Assert.Equal(BitConverter.SingleToInt32Bits(bceKernel), BitConverter.SingleToInt32Bits(bce.Forward(x, RowShape, t).Value));

        // Setting a weight through `with` copies it too.
        float[] replacement = [1f, 1f, 1f, 1f, 0.5f];
        CrossEntropyLoss<float> replaced = ce with { Weight = replacement };
        BceWithLogitsLoss<float> replacedBce = bce with { PosWeight = replacement };
        replacement[4] = 9f;
        Assert.Equal(0.5f, replaced.Weight.Span[4]);
        Assert.Equal(0.5f, replacedBce.PosWeight.Span[4]);
    }

    [Fact]
    public void Equality_AndHash_CompareWeightsByValue()
    {
        AssertEqualLosses(new CrossEntropyLoss<float>(weight: [0.1f, 2f]), new CrossEntropyLoss<float>(weight: [0.1f, 2f]));
        AssertEqualLosses(new CrossEntropyLoss<double>(weight: [double.NaN, -0.0]), new CrossEntropyLoss<double>(weight: [double.NaN, 0.0]));
        AssertEqualLosses(new NllLoss<float>(Reduction.Sum, [0.5f, 1f]), new NllLoss<float>(Reduction.Sum, [0.5f, 1f]));
        AssertEqualLosses(new BceWithLogitsLoss<float>(weight: [1f, 2f], posWeight: [3f]), new BceWithLogitsLoss<float>(weight: [1f, 2f], posWeight: [3f]));
        AssertEqualLosses(new BceLoss<Half>(weight: [(Half)0.5]), new BceLoss<Half>(weight: [(Half)0.5]));
        AssertEqualLosses(new KlDivLoss<float>(Reduction.BatchMean), new KlDivLoss<float>(Reduction.BatchMean));

        // A copy through `with` given equal values in another array is equal.
        var ce = new CrossEntropyLoss<float>(weight: [0.1f, 2f]);
        AssertEqualLosses(ce, ce with { Weight = new[] { 0.1f, 2f } });
        AssertEqualLosses(new CrossEntropyLoss<float>(), ce with { Weight = ReadOnlyMemory<float>.Empty });

        // Different values, lengths, options or element types are not equal.
        Assert.NotEqual(ce, new CrossEntropyLoss<float>(weight: [0.1f, 2.5f]));
        Assert.NotEqual(ce, new CrossEntropyLoss<float>(weight: [0.1f, 2f, 1f]));
        Assert.NotEqual(ce, new CrossEntropyLoss<float>());
        Assert.NotEqual(ce, ce with { ZLossScale = 1e-4 });
        Assert.NotEqual(ce, ce with { SoftCap = 30.0 });
        Assert.NotEqual(new CrossEntropyLoss<float>(weight: [1f, 1f]), new CrossEntropyLoss<float>());
        Assert.NotEqual(new NllLoss<float>(weight: [0.5f]), new NllLoss<float>(weight: [0.25f]));
        Assert.NotEqual(new BceWithLogitsLoss<float>(weight: [3f]), new BceWithLogitsLoss<float>(posWeight: [3f]));
        Assert.NotEqual(new BceLoss<float>(weight: [3f]), new BceLoss<float>(weight: [3f, 3f]));
        Assert.NotEqual(new KlDivLoss<float>(), new KlDivLoss<float>(logTarget: true));
        Assert.False(new CrossEntropyLoss<float>().Equals((object)new CrossEntropyLoss<double>()));
        Assert.False(new BceLoss<float>().Equals((object)new BceWithLogitsLoss<float>()));
    }

    private static void AssertEqualLosses<TLoss>(TLoss a, TLoss b)
        where TLoss : class
    {
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.True(a.Equals((object)b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    // ---- The gradient into the caller's buffer ----

    [Fact]
    public void GradientIntoABuffer_IsTheAllocatingGradient_BitForBit()
    {
        IntoBuffer<float>();
        IntoBuffer<double>();
        IntoBuffer<Half>();
    }

    private static void IntoBuffer<T>()
        where T : IFloatingPointIeee754<T>
    {
        foreach (int[] shape in new[] { SpatialShape, RowShape, [5] })
        {
            int[] labels = shape == SpatialShape ? SpatialLabels : shape == RowShape ? RowLabels : [3];
            nint[] dims = Dims(shape);
            T[] x = Values<T>(Count(shape), 21, -5, 5);
            T[] p = Values<T>(Count(shape), 22, 0, 1);
            T[] logP = Values<T>(Count(shape), 23, -4, -0.01);
            T[] q = Values<T>(Count(shape), 24, 0.01, 0.99);
            T[] lastWeight = Values<T>(shape[^1], 25, 0.5, 2);
            foreach (Reduction reduction in ClassReductions)
            {
                string what = $"{typeof(T).Name} {reduction} [{string.Join(", ", shape)}]";
                var ce = new CrossEntropyLoss<T>(reduction, As<T>(ClassWeight), Ignore, 0.2) { ZLossScale = 1e-3 };
                ClassBuffer(ce, x, labels, dims, what + " CE int");
                ClassBuffer(ce, x, Array.ConvertAll(labels, l => (long)l), dims, what + " CE long");
                ProbabilityBuffer(ce, x, p, dims, what + " CE probabilities");
                NllBuffer(new NllLoss<T>(reduction, As<T>(ClassWeight), Ignore), x, labels, dims, what + " NLL");

                ElementwiseBuffer(new BceWithLogitsLoss<T>(reduction, lastWeight, lastWeight), x, p, dims, what + " BCE with logits",
                    (g, l, go) => Functional.BinaryCrossEntropyWithLogits<T>(x, p, reduction, lastWeight, lastWeight, g, l, go));
                ElementwiseBuffer(new BceLoss<T>(reduction, lastWeight), q, p, dims, what + " BCE",
                    (g, l, go) => Functional.BinaryCrossEntropy<T>(q, p, reduction, lastWeight, g, l, go));
                ElementwiseBuffer(new KlDivLoss<T>(reduction), logP, q, dims, what + " KL",
                    (g, l, go) => Functional.KlDiv<T>(logP, q, reduction, false, shape[0], g, l, go));
            }

            ElementwiseBuffer(new KlDivLoss<T>(Reduction.BatchMean, logTarget: true), logP, logP, dims, $"{typeof(T).Name} BatchMean KL",
                (g, l, go) => Functional.KlDiv<T>(logP, logP, Reduction.BatchMean, true, shape[0], g, l, go));
        }
    }

    /// <summary>Per-position upstream gradients for a loss of <paramref name="count"/> positions: powers of two (exact scalings) of both signs.</summary>
    private static T[] UpstreamGradient<T>(int count)
        where T : IFloatingPointIeee754<T> =>
        [.. Enumerable.Range(0, count).Select(i => T.CreateTruncating(new[] { 2.0, -0.5, 4.0, 1.0, -1.0, 0.25 }[i % 6]))];

    private static void ClassBuffer<T, TLabel>(CrossEntropyLoss<T> loss, T[] x, TLabel[] labels, nint[] dims, string what)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        var input = new ReadOnlyTensorSpan<T>(x, dims);
        nint[] targetDims = dims.Length < 2 ? [labels.Length] : LossDims(Array.ConvertAll(dims, d => (int)d));
        var target = new ReadOnlyTensorSpan<TLabel>(labels, targetDims);
        LossResult<T> allocating = loss.ForwardWithGradient(input, target);
        LossResult<T> forward = loss.Forward(input, target);
        T[] gradient = Filled(x.Length, T.NaN);
        CrossEntropySummary summary = loss.ForwardWithGradient(input, target, new TensorSpan<T>(gradient, dims));
        AssertSameBits<T>(allocating.GradientToArray(), gradient, what + " gradient");
        Assert.Equal(forward.Summary, summary);
        Assert.Equal(allocating.Summary, summary);
        if (forward.IsScalar)
        {
            AssertSameBits(forward.Value, T.CreateTruncating(summary.Loss), what + " loss");
        }

        // The Tensor and array overloads write the same.
        T[] viaTensor = Filled(x.Length, T.NaN);
        Assert.Equal(summary, loss.ForwardWithGradient(Tensor.Create(x, dims), Tensor.Create(labels, targetDims), Tensor.Create(viaTensor, dims)));
        AssertSameBits<T>(gradient, viaTensor, what + " gradient (Tensor)");
        T[] viaArrays = Filled(x.Length, T.NaN);
        Assert.Equal(summary, loss.ForwardWithGradient(x, Array.ConvertAll(dims, d => (int)d), labels, viaArrays));
        AssertSameBits<T>(gradient, viaArrays, what + " gradient (arrays)");

        // An upstream gradient: the kernel's answer to the same call, and for powers of two the scaled gradient exactly.
        bool perPosition = loss.Reduction == Reduction.None && dims.Length >= 2;
        T[] upstream = UpstreamGradient<T>(perPosition ? labels.Length : 1);
        T[] scaled = Filled(x.Length, T.NaN);
        nint[] upstreamDims = perPosition ? targetDims : [1];
        CrossEntropySummary withUpstream = loss.ForwardWithGradient(input, target, new TensorSpan<T>(scaled, dims), new ReadOnlyTensorSpan<T>(upstream, upstreamDims));
        Assert.Equal(summary, withUpstream);
        int inner = dims.Length < 3 ? 1 : (int)dims[2..].ToArray().Aggregate((a, b) => a * b);
        int classes = (int)dims[dims.Length < 2 ? 0 : 1];
        T[] kernel = Filled(x.Length, T.NaN);
        Functional.CrossEntropy<T, TLabel>(x, labels, classes, loss.Options, kernel, gradOutput: upstream, inner: inner);
        AssertSameBits<T>(kernel, scaled, what + " gradient with gradOutput");
        for (int i = 0; i < x.Length; i++)
        {
            int position = perPosition ? i / (classes * inner) * inner + i % inner : 0;
            Assert.True(scaled[i] == upstream[position] * gradient[i], $"{what}: element {i} is {scaled[i]}, expected {upstream[position]}·{gradient[i]}");
        }

        T[] scaledArrays = Filled(x.Length, T.NaN);
        Assert.Equal(summary, loss.ForwardWithGradient(x, Array.ConvertAll(dims, d => (int)d), labels, scaledArrays, upstream));
        AssertSameBits<T>(kernel, scaledArrays, what + " gradient with gradOutput (arrays)");
    }

    private static void ProbabilityBuffer<T>(CrossEntropyLoss<T> loss, T[] x, T[] p, nint[] dims, string what)
        where T : IFloatingPointIeee754<T>
    {
        var input = new ReadOnlyTensorSpan<T>(x, dims);
        var target = new ReadOnlyTensorSpan<T>(p, dims);
        LossResult<T> allocating = loss.ForwardProbabilitiesWithGradient(input, target);
        T[] gradient = Filled(x.Length, T.NaN);
        CrossEntropySummary summary = loss.ForwardProbabilitiesWithGradient(input, target, new TensorSpan<T>(gradient, dims));
        AssertSameBits<T>(allocating.GradientToArray(), gradient, what + " gradient");
        Assert.Equal(loss.ForwardProbabilities(input, target).Summary, summary);
        Assert.Equal(allocating.Summary, summary);

        bool perPosition = loss.Reduction == Reduction.None && dims.Length >= 2;
        int classes = (int)dims[dims.Length < 2 ? 0 : 1];
        T[] upstream = UpstreamGradient<T>(perPosition ? x.Length / classes : 1);
        nint[] upstreamDims = perPosition ? LossDims(Array.ConvertAll(dims, d => (int)d)) : [1];
        T[] scaled = Filled(x.Length, T.NaN);
        Assert.Equal(summary, loss.ForwardProbabilitiesWithGradient(input, target, new TensorSpan<T>(scaled, dims), new ReadOnlyTensorSpan<T>(upstream, upstreamDims)));
        int inner = dims.Length < 3 ? 1 : (int)dims[2..].ToArray().Aggregate((a, b) => a * b);
        T[] kernel = Filled(x.Length, T.NaN);
        Functional.CrossEntropyProbabilities<T>(x, p, classes, loss.Options, kernel, gradOutput: upstream, inner: inner);
        AssertSameBits<T>(kernel, scaled, what + " gradient with gradOutput");
    }

    private static void NllBuffer<T>(NllLoss<T> loss, T[] x, int[] labels, nint[] dims, string what)
        where T : IFloatingPointIeee754<T>
    {
        var input = new ReadOnlyTensorSpan<T>(x, dims);
        nint[] targetDims = dims.Length < 2 ? [labels.Length] : LossDims(Array.ConvertAll(dims, d => (int)d));
        var target = new ReadOnlyTensorSpan<int>(labels, targetDims);
        LossResult<T> allocating = loss.ForwardWithGradient(input, target);
        LossResult<T> forward = loss.Forward(input, target);
        T[] gradient = Filled(x.Length, T.NaN);
        T value = loss.ForwardWithGradient(input, target, new TensorSpan<T>(gradient, dims));
        AssertSameBits<T>(allocating.GradientToArray(), gradient, what + " gradient");
        int classes = (int)dims[dims.Length < 2 ? 0 : 1];
        int inner = dims.Length < 3 ? 1 : (int)dims[2..].ToArray().Aggregate((a, b) => a * b);
        if (forward.IsScalar)
        {
            AssertSameBits(forward.Value, value, what + " loss");
        }
        else
        {
            // Σ ℓ for None: the kernel's return value.
            T[] losses = new T[labels.Length];
            AssertSameBits(Functional.NllLoss<T, int>(x, labels, classes, loss.Options, losses: losses, inner: inner), value, what + " Σ ℓ");
            AssertSameBits<T>(losses, forward.ToArray(), what + " losses");
        }

        bool perPosition = loss.Reduction == Reduction.None && dims.Length >= 2;
        T[] upstream = UpstreamGradient<T>(perPosition ? labels.Length : 1);
        T[] scaled = Filled(x.Length, T.NaN);
        AssertSameBits(value, loss.ForwardWithGradient(input, target, new TensorSpan<T>(scaled, dims), new ReadOnlyTensorSpan<T>(upstream, perPosition ? targetDims : [1])), what + " loss with gradOutput");
        T[] kernel = Filled(x.Length, T.NaN);
        Functional.NllLoss<T, int>(x, labels, classes, loss.Options, kernel, gradOutput: upstream, inner: inner);
        AssertSameBits<T>(kernel, scaled, what + " gradient with gradOutput");
    }

    private delegate T ElementwiseKernel<T>(Span<T> gradient, Span<T> losses, ReadOnlySpan<T> gradOutput);

    private static void ElementwiseBuffer<T>(ElementwiseLoss<T> loss, T[] x, T[] t, nint[] dims, string what, ElementwiseKernel<T> kernelCall)
        where T : IFloatingPointIeee754<T>
    {
        var input = new ReadOnlyTensorSpan<T>(x, dims);
        var target = new ReadOnlyTensorSpan<T>(t, dims);
        LossResult<T> allocating = loss.ForwardWithGradient(input, target);
        LossResult<T> forward = loss.Forward(input, target);
        T[] gradient = Filled(x.Length, T.NaN);
        T value = loss.ForwardWithGradient(input, target, new TensorSpan<T>(gradient, dims));
        AssertSameBits<T>(allocating.GradientToArray(), gradient, what + " gradient");
        T[] losses = new T[x.Length];
        T kernelValue = kernelCall(default, losses, default);
        AssertSameBits(kernelValue, value, what + " loss");
        if (forward.IsScalar)
        {
            AssertSameBits(forward.Value, value, what + " loss = Forward");
        }
        else
        {
            AssertSameBits<T>(losses, forward.ToArray(), what + " losses");
        }

        T[] viaTensor = Filled(x.Length, T.NaN);
        AssertSameBits(value, loss.ForwardWithGradient(Tensor.Create(x, dims), Tensor.Create(t, dims), Tensor.Create(viaTensor, dims)), what + " loss (Tensor)");
        AssertSameBits<T>(gradient, viaTensor, what + " gradient (Tensor)");
        int[] shape = Array.ConvertAll(dims, d => (int)d);
        T[] viaArrays = Filled(x.Length, T.NaN);
        AssertSameBits(value, loss.ForwardWithGradient(x, shape, t, viaArrays), what + " loss (arrays)");
        AssertSameBits<T>(gradient, viaArrays, what + " gradient (arrays)");

        bool perElement = loss.Reduction == Reduction.None;
        T[] upstream = UpstreamGradient<T>(perElement ? x.Length : 1);
        T[] scaled = Filled(x.Length, T.NaN);
        AssertSameBits(value, loss.ForwardWithGradient(input, target, new TensorSpan<T>(scaled, dims), new ReadOnlyTensorSpan<T>(upstream, perElement ? dims : [1])), what + " loss with gradOutput");
        T[] kernel = Filled(x.Length, T.NaN);
        kernelCall(kernel, default, upstream);
        AssertSameBits<T>(kernel, scaled, what + " gradient with gradOutput");
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(scaled[i] == upstream[perElement ? i : 0] * gradient[i], $"{what}: element {i} is {scaled[i]}, expected {upstream[perElement ? i : 0]}·{gradient[i]}");
        }

        T[] scaledArrays = Filled(x.Length, T.NaN);
        AssertSameBits(value, loss.ForwardWithGradient(x, shape, t, scaledArrays, upstream), what + " loss with gradOutput (arrays)");
        AssertSameBits<T>(kernel, scaledArrays, what + " gradient with gradOutput (arrays)");
    }

    [Theory]
    [InlineData(EmptyMean.NaN)]
    [InlineData(EmptyMean.Zero)]
    public void GradientIntoABuffer_EveryTargetIgnored_WritesZeros_AndTheLossFollowsTheEmptyMeanRule(EmptyMean emptyMean)
    {
        double[] x = Values<double>(20, 61, -4, 4);
        int[] ignored = [Ignore, Ignore, Ignore, Ignore];
        var ce = new CrossEntropyLoss<double>(weight: ClassWeight, ignoreIndex: Ignore, labelSmoothing: 0.1) { EmptyMean = emptyMean, ZLossScale = 1e-3 };
        var nll = new NllLoss<double>(weight: ClassWeight, ignoreIndex: Ignore) { EmptyMean = emptyMean };
        double[] gradient = Filled(20, 42.0);
        CrossEntropySummary summary = ce.ForwardWithGradient(x, RowShape, ignored, gradient, [2.0]);
        Assert.All(gradient, g => Assert.Equal(0.0, g));
        Assert.Equal(0, summary.Count);
        Assert.Equal(emptyMean == EmptyMean.NaN, double.IsNaN(summary.Loss));
        Assert.Equal(emptyMean == EmptyMean.NaN, double.IsNaN(summary.Accuracy));
        Assert.Equal(ce.Forward(x, RowShape, ignored).Summary, summary);

        gradient = Filled(20, 42.0);
        double loss = nll.ForwardWithGradient(new ReadOnlyTensorSpan<double>(x, [4, 5]), new ReadOnlyTensorSpan<int>(ignored, [4]), new TensorSpan<double>(gradient, [4, 5]));
        Assert.All(gradient, g => Assert.Equal(0.0, g));
        Assert.Equal(emptyMean == EmptyMean.NaN ? double.NaN : 0.0, loss);
    }

    [Fact]
    public void GradientBuffer_MayBeTheInputItself_ForCrossEntropyAndNll()
    {
        InPlace<float>();
        InPlace<double>();
    }

    private static void InPlace<T>()
        where T : IFloatingPointIeee754<T>
    {
        int[] shape = SpatialShape;
        nint[] dims = Dims(shape);
        nint[] targetDims = LossDims(shape);
        T[] x = Values<T>(Count(shape), 31, -5, 5);
        T[] p = Values<T>(Count(shape), 32, 0, 1);
        foreach (Reduction reduction in ClassReductions)
        {
            string what = $"{typeof(T).Name} {reduction}";
            var ce = new CrossEntropyLoss<T>(reduction, As<T>(ClassWeight), Ignore, 0.1) { SoftCap = 4.0 };
            var nll = new NllLoss<T>(reduction, As<T>(ClassWeight), Ignore);
            T[] upstream = UpstreamGradient<T>(reduction == Reduction.None ? SpatialLabels.Length : 1);
            var gradOutput = new ReadOnlyTensorSpan<T>(upstream, reduction == Reduction.None ? targetDims : [1]);
            var y = new ReadOnlyTensorSpan<int>(SpatialLabels, targetDims);

            T[] outOfPlace = new T[x.Length];
            CrossEntropySummary expected = ce.ForwardWithGradient(new ReadOnlyTensorSpan<T>(x, dims), y, new TensorSpan<T>(outOfPlace, dims), gradOutput);
            T[] logits = [.. x];
            Assert.Equal(expected, ce.ForwardWithGradient(new ReadOnlyTensorSpan<T>(logits, dims), y, new TensorSpan<T>(logits, dims), gradOutput));
            AssertSameBits<T>(outOfPlace, logits, what + " CE in place");

            // The array overload with the input array as the gradient array.
            logits = [.. x];
            Assert.Equal(expected, ce.ForwardWithGradient(logits, shape, SpatialLabels, logits, upstream));
            AssertSameBits<T>(outOfPlace, logits, what + " CE in place (arrays)");

            CrossEntropySummary expectedSoft = ce.ForwardProbabilitiesWithGradient(new ReadOnlyTensorSpan<T>(x, dims), new ReadOnlyTensorSpan<T>(p, dims), new TensorSpan<T>(outOfPlace, dims), gradOutput);
            logits = [.. x];
            Assert.Equal(expectedSoft, ce.ForwardProbabilitiesWithGradient(new ReadOnlyTensorSpan<T>(logits, dims), new ReadOnlyTensorSpan<T>(p, dims), new TensorSpan<T>(logits, dims), gradOutput));
            AssertSameBits<T>(outOfPlace, logits, what + " CE probabilities in place");

            T expectedNll = nll.ForwardWithGradient(new ReadOnlyTensorSpan<T>(x, dims), y, new TensorSpan<T>(outOfPlace, dims), gradOutput);
            logits = [.. x];
            AssertSameBits(expectedNll, nll.ForwardWithGradient(new ReadOnlyTensorSpan<T>(logits, dims), y, new TensorSpan<T>(logits, dims), gradOutput), what + " NLL in place");
            AssertSameBits<T>(outOfPlace, logits, what + " NLL gradient in place");
        }

        // Overlapping the input other than exactly is refused before anything is written.
        T[] shared = [.. x, T.Zero];
        T[] before = [.. shared];
        var crossEntropy = new CrossEntropyLoss<T>();
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => crossEntropy.ForwardWithGradient(
            new ReadOnlyTensorSpan<T>(shared.AsSpan(0, x.Length), dims, default), new ReadOnlyTensorSpan<int>(SpatialLabels, targetDims), new TensorSpan<T>(shared.AsSpan(1), dims, default)));
        Assert.Equal("gradient", e.ParamName);
        AssertSameBits<T>(before, shared, "a partially overlapping gradient");
    }

    [Fact]
    public void ElementwiseLosses_TakeTheInputAsTheirGradient_ButRefuseAPartialOverlap()
    {
        float[] x = Values<float>(12, 41, -3, 3);
        float[] t = Values<float>(12, 42, 0, 1);
        foreach (ElementwiseLoss<float> loss in new ElementwiseLoss<float>[] { new BceWithLogitsLoss<float>(), new KlDivLoss<float>() })
        {
            // In place: the gradient overwrites the input, and equals the gradient written elsewhere.
            float[] expected = new float[12];
            float value = loss.ForwardWithGradient(x, [3, 4], t, expected);
            float[] inPlace = [.. x];
            Assert.Equal(value, loss.ForwardWithGradient(inPlace, [3, 4], t, inPlace));
            Assert.Equal(expected, inPlace);

            // A buffer that starts one element into the input is refused before anything is written.
            float[] shared = new float[13];
            Array.Copy(x, shared, 12);
            float[] before = [.. shared];
            ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => loss.ForwardWithGradient(
                new ReadOnlyTensorSpan<float>(shared.AsSpan(0, 12), [3, 4]), new ReadOnlyTensorSpan<float>(t, [3, 4]), new TensorSpan<float>(shared.AsSpan(1, 12), [3, 4])));
            Assert.Equal("gradient", e.ParamName);
            Assert.Equal(before, shared);
        }
    }

    [Fact]
    public void GradientBuffer_OfAnotherShape_NotDense_OrWithAWrongGradOutput_IsRefusedBeforeWriting()
    {
        Refusals<float>();
        Refusals<double>();
    }

    private static void Refusals<T>()
        where T : IFloatingPointIeee754<T>
    {
        int[] shape = [3, 4];
        nint[] dims = [3, 4];
        T[] x = Values<T>(12, 51, -3, 3);
        T[] p = Values<T>(12, 52, 0, 1);
        int[] y = [0, 3, 1];
        foreach (Reduction reduction in ClassReductions)
        {
            var ce = new CrossEntropyLoss<T>(reduction);
            var nll = new NllLoss<T>(reduction);
            var bce = new BceWithLogitsLoss<T>(reduction);
            var kl = new KlDivLoss<T>(reduction);

            // Calls into a gradient buffer (an array viewed from start with lengths and strides, none for dense) and an upstream gradient.
            var calls = new (string Name, BufferCall<T> Call)[]
            {
                ("CE", (g, at, gd, gs, o, od) => ce.ForwardWithGradient(new ReadOnlyTensorSpan<T>(x, dims), new ReadOnlyTensorSpan<int>(y, [3]), View(g, at, gd, gs), new ReadOnlyTensorSpan<T>(o, od))),
                ("CE probabilities", (g, at, gd, gs, o, od) => ce.ForwardProbabilitiesWithGradient(new ReadOnlyTensorSpan<T>(x, dims), new ReadOnlyTensorSpan<T>(p, dims), View(g, at, gd, gs), new ReadOnlyTensorSpan<T>(o, od))),
                ("NLL", (g, at, gd, gs, o, od) => nll.ForwardWithGradient(new ReadOnlyTensorSpan<T>(x, dims), new ReadOnlyTensorSpan<int>(y, [3]), View(g, at, gd, gs), new ReadOnlyTensorSpan<T>(o, od))),
                ("BCE with logits", (g, at, gd, gs, o, od) => bce.ForwardWithGradient(new ReadOnlyTensorSpan<T>(x, dims), new ReadOnlyTensorSpan<T>(p, dims), View(g, at, gd, gs), new ReadOnlyTensorSpan<T>(o, od))),
                ("KL", (g, at, gd, gs, o, od) => kl.ForwardWithGradient(new ReadOnlyTensorSpan<T>(x, dims), new ReadOnlyTensorSpan<T>(p, dims), View(g, at, gd, gs), new ReadOnlyTensorSpan<T>(o, od))),
            };
            foreach ((string name, BufferCall<T> call) in calls)
            {
                string what = $"{typeof(T).Name} {reduction} {name}";
                bool elementwise = name is "BCE with logits" or "KL";
                bool perPosition = reduction == Reduction.None;
                nint[] lossDims = !perPosition ? [1] : elementwise ? dims : [3];
                T[] ones = Filled(Count(Array.ConvertAll(lossDims, d => (int)d)), T.One);

                // The right buffers are accepted (so that each refusal below is the buffer's).
                call(new T[12], 0, dims, [], ones, lossDims);

                // The transposed shape (the same element count), one row short, and flat.
                AssertRefused<T>(what + ", gradient [4, 3]", "gradient", g => call(g, 0, [4, 3], [], ones, lossDims), 12);
                AssertRefused<T>(what + ", gradient [2, 4]", "gradient", g => call(g, 0, [2, 4], [], ones, lossDims), 8);
                AssertRefused<T>(what + ", gradient [12]", "gradient", g => call(g, 0, [12], [], ones, lossDims), 12);

                // Not dense: columns 1..4 of a 3 × 6 array.
                AssertRefused<T>(what + ", a non-dense gradient", "gradient", g => call(g, 1, dims, [6, 1], ones, lossDims), 18);

                // An upstream gradient of another shape: one value too many, or the right count in another shape.
                nint[] longer = perPosition ? [lossDims[0] + 1, .. lossDims[1..]] : [2];
                T[] moreOnes = Filled(Count(Array.ConvertAll(longer, d => (int)d)), T.One);
                AssertRefused<T>(what + ", gradOutput too long", "gradOutput", g => call(g, 0, dims, [], moreOnes, longer), 12);
                nint[] reshaped = !perPosition ? [1, 1] : elementwise ? [12] : [3, 1];
                AssertRefused<T>(what + ", gradOutput reshaped", "gradOutput", g => call(g, 0, dims, [], ones, reshaped), 12);
            }

            // The array overloads: a gradient array of another length, an upstream gradient of another length.
            int lossLength = reduction == Reduction.None ? 3 : 1;
            AssertRefused<T>($"{typeof(T).Name} {reduction} CE (arrays), gradient of 11", "gradient", g => ce.ForwardWithGradient(x, shape, y, g), 11);
            AssertRefused<T>($"{typeof(T).Name} {reduction} CE (arrays), gradient of 13", "gradient", g => ce.ForwardWithGradient(x, shape, y, g), 13);
            AssertRefused<T>($"{typeof(T).Name} {reduction} CE (arrays), gradOutput", "gradOutput", g => ce.ForwardWithGradient(x, shape, y, g, Filled(lossLength + 1, T.One)), 12);
            AssertRefused<T>($"{typeof(T).Name} {reduction} BCE (arrays), gradient of 11", "gradient", g => bce.ForwardWithGradient(x, shape, p, g), 11);
            int elementLength = reduction == Reduction.None ? 12 : 1;
            AssertRefused<T>($"{typeof(T).Name} {reduction} BCE (arrays), gradOutput", "gradOutput", g => bce.ForwardWithGradient(x, shape, p, g, Filled(elementLength + 1, T.One)), 12);

            // A target out of range is refused before the gradient is written, too.
            AssertRefused<T>($"{typeof(T).Name} {reduction} CE, target 4 of 4 classes", "target", g => ce.ForwardWithGradient(new ReadOnlyTensorSpan<T>(x, dims), new ReadOnlyTensorSpan<int>(new[] { 0, 4, 1 }, [3]), new TensorSpan<T>(g, dims)), 12);
            AssertRefused<T>($"{typeof(T).Name} {reduction} BCE, target 1.5", "target", g => bce.ForwardWithGradient(new ReadOnlyTensorSpan<T>(x, dims), new ReadOnlyTensorSpan<T>([.. p[..11], T.CreateTruncating(1.5)], dims), new TensorSpan<T>(g, dims)), 12);
        }
    }

    private delegate object BufferCall<T>(T[] gradient, int start, nint[] lengths, nint[] strides, T[] gradOutput, nint[] gradOutputLengths);

    /// <summary>A gradient buffer over <paramref name="array"/>: dense when no strides are given.</summary>
    private static TensorSpan<T> View<T>(T[] array, int start, nint[] lengths, nint[] strides) =>
        strides.Length == 0 ? new TensorSpan<T>(array, lengths) : new TensorSpan<T>(array, start, lengths, strides);

    private static void AssertRefused<T>(string what, string paramName, Func<T[], object> call, int length)
        where T : IFloatingPointIeee754<T>
    {
        T[] buffer = Filled(length, Sentinel<T>());
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => call(buffer));
        Assert.True(e.ParamName == paramName, $"{what}: ParamName {e.ParamName}, expected {paramName} ({e.Message})");
        AssertUntouched(buffer, what);
    }
}

/// <summary>
/// <c>ForwardWithGradient</c> into the caller's buffer allocates nothing on dense input, as the kernel call it makes:
/// cross entropy, NLL and BCE with logits over a 256 × 1000 float batch, with <c>int</c> and <c>long</c> targets.
/// (The allocating overloads and the array overloads, which build shapes, are not covered by this promise.)
/// </summary>
[Collection(nameof(ParallelismCollection))]
public sealed class FacadeAllocationTests
{
    private const int Rows = 256;
    private const int Classes = 1000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ForwardWithGradient_IntoABuffer_AllocatesNothing_AfterWarmUp(int threads)
    {
        var random = new Random(20261203);
        float[] x = [.. Enumerable.Range(0, Rows * Classes).Select(_ => (float)(random.NextDouble() * 30 - 15))];
        float[] probabilities = [.. Enumerable.Range(0, Rows * Classes).Select(_ => (float)random.NextDouble())];
        int[] y = [.. Enumerable.Range(0, Rows).Select(i => i % 7 == 3 ? -100 : random.Next(Classes))];
        long[] yLong = Array.ConvertAll(y, v => (long)v);
        float[] gradient = new float[x.Length];
        float[] work = new float[x.Length];
        float[] scalarUpstream = [0.5f];
        float[] rowUpstream = [.. Enumerable.Range(0, Rows).Select(i => 1f + i % 3)];
        nint[] shape = [Rows, Classes];
        nint[] rows = [Rows];
        nint[] one = [1];
        Tensor<float> xTensor = Tensor.Create(x, shape);
        Tensor<int> yTensor = Tensor.Create(y, rows);
        Tensor<float> probabilityTensor = Tensor.Create(probabilities, shape);
        Tensor<float> gradientTensor = Tensor.Create(new float[x.Length], shape);

        // Built before the measured calls: creating a loss (its options) allocates once.
        var ce = new CrossEntropyLoss<float>();
        var ceWeighted = new CrossEntropyLoss<float>(Reduction.Sum, [.. Enumerable.Range(0, Classes).Select(c => 0.5f + c % 3)], labelSmoothing: 0.1) { ZLossScale = 1e-4, SoftCap = 30.0 };
        var cePerPosition = new CrossEntropyLoss<float>(Reduction.None, labelSmoothing: 0.1);
        var nll = new NllLoss<float>();
        var nllPerPosition = new NllLoss<float>(Reduction.None);
        var bce = new BceWithLogitsLoss<float>(posWeight: [.. Enumerable.Range(0, Classes).Select(c => 1f + c % 2)]);
        var bcePerElement = new BceWithLogitsLoss<float>(Reduction.None);

        void CrossEntropyCalls()
        {
            var input = new ReadOnlyTensorSpan<float>(x, shape);
            var g = new TensorSpan<float>(gradient, shape);
            ce.ForwardWithGradient(input, new ReadOnlyTensorSpan<int>(y, rows), g);
            ce.ForwardWithGradient(input, new ReadOnlyTensorSpan<long>(yLong, rows), g);
            ceWeighted.ForwardWithGradient(input, new ReadOnlyTensorSpan<long>(yLong, rows), g, new ReadOnlyTensorSpan<float>(scalarUpstream, one));
            cePerPosition.ForwardWithGradient(input, new ReadOnlyTensorSpan<int>(y, rows), g, new ReadOnlyTensorSpan<float>(rowUpstream, rows));
            ce.ForwardProbabilitiesWithGradient(input, new ReadOnlyTensorSpan<float>(probabilities, shape), g);
            ce.ForwardWithGradient(xTensor, yTensor, gradientTensor);

            // In place: the logits (a copy, so that every round starts from them) become the gradient.
            Array.Copy(x, work, x.Length);
            ce.ForwardWithGradient(new ReadOnlyTensorSpan<float>(work, shape), new ReadOnlyTensorSpan<long>(yLong, rows), new TensorSpan<float>(work, shape));
        }

        void NllCalls()
        {
            var input = new ReadOnlyTensorSpan<float>(x, shape);
            var g = new TensorSpan<float>(gradient, shape);
            nll.ForwardWithGradient(input, new ReadOnlyTensorSpan<int>(y, rows), g);
            nll.ForwardWithGradient(input, new ReadOnlyTensorSpan<long>(yLong, rows), g, new ReadOnlyTensorSpan<float>(scalarUpstream, one));
            nllPerPosition.ForwardWithGradient(input, new ReadOnlyTensorSpan<long>(yLong, rows), g, new ReadOnlyTensorSpan<float>(rowUpstream, rows));
            Array.Copy(x, work, x.Length);
            nll.ForwardWithGradient(new ReadOnlyTensorSpan<float>(work, shape), new ReadOnlyTensorSpan<int>(y, rows), new TensorSpan<float>(work, shape));
        }

        void BceCalls()
        {
            var input = new ReadOnlyTensorSpan<float>(x, shape);
            var target = new ReadOnlyTensorSpan<float>(probabilities, shape);
            var g = new TensorSpan<float>(gradient, shape);
            bce.ForwardWithGradient(input, target, g);
            bce.ForwardWithGradient(input, target, g, new ReadOnlyTensorSpan<float>(scalarUpstream, one));
            bcePerElement.ForwardWithGradient(input, target, g, new ReadOnlyTensorSpan<float>(probabilities, shape));
            bce.ForwardWithGradient(xTensor, probabilityTensor, gradientTensor);
        }

        int saved = Functional.MaxDegreeOfParallelism;
        try
        {
            Functional.MaxDegreeOfParallelism = threads;
            Assert.Equal(0, AllocationProbe.FewestBytes(CrossEntropyCalls, 10));
            Assert.Equal(0, AllocationProbe.FewestBytes(NllCalls, 10));
            Assert.Equal(0, AllocationProbe.FewestBytes(BceCalls, 10));

            // The measured calls computed what the allocating overload computes.
            LossResult<float> allocating = ce.ForwardWithGradient(new ReadOnlyTensorSpan<float>(x, shape), new ReadOnlyTensorSpan<int>(y, rows));
            ce.ForwardWithGradient(new ReadOnlyTensorSpan<float>(x, shape), new ReadOnlyTensorSpan<int>(y, rows), new TensorSpan<float>(gradient, shape));
            Assert.Equal(allocating.GradientToArray(), gradient);
        }
        finally
        {
            Functional.MaxDegreeOfParallelism = saved;
        }
    }
}
