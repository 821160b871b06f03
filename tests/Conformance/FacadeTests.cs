using System;
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using Xunit;

namespace Xent.Conformance;

/// <summary>Example-based tests of the facade for what the golden file does not cover: options, overloads, layouts and messages.</summary>
public sealed class FacadeTests
{
    /// <summary>The reductions of cross entropy and NLL (BatchMean belongs to the KL divergence alone).</summary>
    private static readonly Reduction[] CrossEntropyReductions = [Reduction.None, Reduction.Mean, Reduction.Sum];

    // 3 × 4 logits with distinct values per row.
    private static readonly double[] Logits =
    [
        0.5, -1.25, 2.0, 0.0,
        -0.75, 1.5, 0.25, -2.0,
        3.0, 0.125, -0.5, 1.0,
    ];

    private static readonly int[] Targets = [2, 0, 3];

    private static readonly double[] Probabilities =
    [
        0.1, 0.2, 0.3, 0.4,
        0.25, 0.25, 0.25, 0.25,
        0.7, 0.0, 0.2, 0.1,
    ];

    // ---- ToString ----

    [Fact]
    public void ToString_ShowsTheOptions()
    {
        Assert.Equal("CrossEntropyLoss(reduction: Mean, weight: none, ignoreIndex: -100, labelSmoothing: 0, emptyMean: NaN)", new CrossEntropyLoss<double>().ToString());
        Assert.Equal(
            "CrossEntropyLoss(reduction: Sum, weight: [1, 0.5, 2], ignoreIndex: 3, labelSmoothing: 0.1, emptyMean: NaN)",
            new CrossEntropyLoss<double>(Reduction.Sum, [1.0, 0.5, 2.0], 3, 0.1).ToString());
        Assert.Equal("CrossEntropyLoss(reduction: None, weight: none, ignoreIndex: -100, labelSmoothing: 1, emptyMean: NaN)", new CrossEntropyLoss<double>(Reduction.None, labelSmoothing: 1.0).ToString());
        Assert.Equal("NllLoss(reduction: Mean, weight: none, ignoreIndex: -100, emptyMean: NaN)", new NllLoss<double>().ToString());
        Assert.Equal("NllLoss(reduction: None, weight: [0.25, 4], ignoreIndex: 0, emptyMean: NaN)", new NllLoss<double>(Reduction.None, [0.25, 4.0], 0).ToString());
        Assert.Equal("Softmax(dim: 1)", new Softmax(1).ToString());
        Assert.Equal("Softmax(dim: -1)", new Softmax(-1).ToString());
        Assert.Equal("LogSoftmax(dim: 0)", new LogSoftmax(0).ToString());
        Assert.Equal("LogSoftmax(dim: -1)", new LogSoftmax(-1).ToString());
    }

    [Fact]
    public void Properties_ReturnTheOptions_AndTheWeightIsACopy()
    {
        double[] weight = [1.0, 2.0, 3.0, 4.0];
        var loss = new CrossEntropyLoss<double>(Reduction.Sum, weight, 7, 0.25);
        weight[0] = 100.0;

        Assert.Equal(Reduction.Sum, loss.Reduction);
        Assert.Equal([1.0, 2.0, 3.0, 4.0], loss.Weight.ToArray());
        Assert.Equal(7L, loss.IgnoreIndex);
        Assert.Equal(0.25, loss.LabelSmoothing);
        // No weights: the property is empty (it was null when weights were an IReadOnlyList<double>).
        Assert.True(new CrossEntropyLoss<double>().Weight.IsEmpty);
        Assert.Equal(-100L, new NllLoss<double>().IgnoreIndex);
        Assert.Equal(-1, new Softmax(-1).Dim);
        Assert.Equal(2, new LogSoftmax(2).Dim);

        // The copy is what the loss uses: changing the caller's array afterwards changes nothing.
        double expected = new CrossEntropyLoss<double>(Reduction.Sum, [1.0, 2.0, 3.0, 4.0], 7, 0.25).Forward(Logits, [3, 4], Targets).Value;
        Assert.Equal(expected, loss.Forward(Logits, [3, 4], Targets).Value);
    }

    // ---- Constructor validation ----

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(-1e-300)]
    public void LabelSmoothing_OutsideZeroOne_IsRefused(double labelSmoothing)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<double>(labelSmoothing: labelSmoothing));
        Assert.Equal("labelSmoothing", e.ParamName);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void LabelSmoothing_Bounds_AreAccepted(double labelSmoothing)
    {
        Assert.Equal(labelSmoothing, new CrossEntropyLoss<double>(labelSmoothing: labelSmoothing).LabelSmoothing);
    }

    [Fact]
    public void EmptyWeight_IsRefused()
    {
        var ce = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<double>(weight: []));
        Assert.Equal("weight", ce.ParamName);
        var nll = Assert.Throws<ArgumentException>(() => new NllLoss<double>(weight: []));
        Assert.Equal("weight", nll.ParamName);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void UndefinedReduction_IsRefused(int value)
    {
        var ce = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<double>((Reduction)value));
        Assert.Equal("reduction", ce.ParamName);
        var nll = Assert.Throws<ArgumentOutOfRangeException>(() => new NllLoss<double>((Reduction)value));
        Assert.Equal("reduction", nll.ParamName);
    }

    // ---- Layouts and overloads ----

    [Fact]
    public void NonDenseInput_GivesTheSameAsADenseCopy()
    {
        // A 3 × 6 buffer whose columns 1..4 are the logits: the slice is 3 × 4 with a row stride of 6.
        var wide = new double[3 * 6];
        var wideProbabilities = new double[3 * 6];
        for (int n = 0; n < 3; n++)
        {
            wide[n * 6] = 1000.0 + n;
            wide[n * 6 + 5] = double.NaN; // outside the slice: must not be seen
            wideProbabilities[n * 6] = double.NaN;
            for (int c = 0; c < 4; c++)
            {
                wide[n * 6 + 1 + c] = Logits[n * 4 + c];
                wideProbabilities[n * 6 + 1 + c] = Probabilities[n * 4 + c];
            }
        }

        ReadOnlyTensorSpan<double> slice = new ReadOnlyTensorSpan<double>(wide, [3, 6])[NRange.All, new NRange(1, 5)];
        ReadOnlyTensorSpan<double> probabilitySlice = new ReadOnlyTensorSpan<double>(wideProbabilities, [3, 6])[NRange.All, new NRange(1, 5)];
        Assert.False(slice.IsDense);
        Assert.Equal([3, 4], slice.Lengths.ToArray());

        var dense = new ReadOnlyTensorSpan<double>(Logits, [3, 4]);
        var denseProbabilities = new ReadOnlyTensorSpan<double>(Probabilities, [3, 4]);
        var targets = new ReadOnlyTensorSpan<int>(Targets, [3]);

        foreach (Reduction reduction in CrossEntropyReductions)
        {
            var ce = new CrossEntropyLoss<double>(reduction, [1.0, 0.5, 2.0, 1.5], labelSmoothing: 0.2);
            AssertSameResult(ce.Forward(dense, targets), ce.Forward(slice, targets));
            AssertSameResult(ce.ForwardProbabilities(dense, denseProbabilities), ce.ForwardProbabilities(slice, probabilitySlice));
            var nll = new NllLoss<double>(reduction, [1.0, 0.5, 2.0, 1.5]);
            AssertSameResult(nll.Forward(dense, targets), nll.Forward(slice, targets));
        }

        AssertSameTensor(new Softmax(1).Forward(dense), new Softmax(1).Forward(slice));
        AssertSameTensor(new LogSoftmax(1).Forward(dense), new LogSoftmax(1).Forward(slice));
        AssertSameTensor(new Softmax(0).Forward(dense), new Softmax(0).Forward(slice));
    }

    [Fact]
    public void TensorOverloads_MatchTheSpanOverloads()
    {
        float[] logits = Array.ConvertAll(Logits, v => (float)v);
        float[] probabilities = Array.ConvertAll(Probabilities, v => (float)v);
        Tensor<float> input = Tensor.Create(logits, [3, 4]);
        Tensor<int> target = Tensor.Create(Targets, [3]);
        Tensor<float> probabilityTarget = Tensor.Create(probabilities, [3, 4]);

        foreach (Reduction reduction in CrossEntropyReductions)
        {
            var ce = new CrossEntropyLoss<float>(reduction, labelSmoothing: 0.1);
            AssertSameResult(ce.Forward(logits, [3, 4], Targets), ce.Forward(input, target));
            AssertSameResult(ce.ForwardProbabilities(logits, [3, 4], probabilities), ce.ForwardProbabilities(input, probabilityTarget));
            var nll = new NllLoss<float>(reduction);
            AssertSameResult(nll.Forward(logits, [3, 4], Targets), nll.Forward(input, target));
        }

        AssertSameTensor(new Softmax(1).Forward<float>(logits, [3, 4]), new Softmax(1).Forward(input));
        AssertSameTensor(new LogSoftmax(1).Forward<float>(logits, [3, 4]), new LogSoftmax(1).Forward(input));
    }

    [Fact]
    public void ReductionNone_GivesOneLossPerPosition_InTheTargetShape()
    {
        // (N, C, d) = (2, 3, 2): losses of shape (2, 2).
        double[] input = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, -0.1, -0.2, -0.3, -0.4, -0.5, -0.6];
        LossResult<double> result = new CrossEntropyLoss<double>(Reduction.None).Forward(input, [2, 3, 2], [0, 2, 1, -100]);

        Assert.False(result.IsScalar);
        Assert.NotNull(result.Elements);
        Assert.Equal([2, 2], result.Elements.Lengths.ToArray());
        Assert.Equal(0.0, result.Elements[1, 1]);
        Assert.Throws<InvalidOperationException>(() => result.Value);

        // Unbatched input: the single loss is a scalar even without reduction.
        LossResult<double> unbatched = new CrossEntropyLoss<double>(Reduction.None).Forward([0.1, 0.2, 0.3], [3], [1]);
        Assert.True(unbatched.IsScalar);
        Assert.Null(unbatched.Elements);
    }

    // ---- Softmax / LogSoftmax dimensions ----

    [Fact]
    public void NegativeDim_CountsFromTheEnd()
    {
        double[] values = new double[2 * 3 * 4];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Math.Sin(i) * 3.0;
        }

        AssertSameTensor(new Softmax(2).Forward<double>(values, [2, 3, 4]), new Softmax(-1).Forward<double>(values, [2, 3, 4]));
        AssertSameTensor(new Softmax(1).Forward<double>(values, [2, 3, 4]), new Softmax(-2).Forward<double>(values, [2, 3, 4]));
        AssertSameTensor(new Softmax(0).Forward<double>(values, [2, 3, 4]), new Softmax(-3).Forward<double>(values, [2, 3, 4]));
        AssertSameTensor(new LogSoftmax(2).Forward<double>(values, [2, 3, 4]), new LogSoftmax(-1).Forward<double>(values, [2, 3, 4]));
        AssertSameTensor(new LogSoftmax(0).Forward<double>(values, [2, 3, 4]), new LogSoftmax(-3).Forward<double>(values, [2, 3, 4]));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-4)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void OutOfRangeDim_IsRefused(int dim)
    {
        double[] values = new double[24];
        var softmax = Assert.Throws<ArgumentOutOfRangeException>(() => new Softmax(dim).Forward<double>(values, [2, 3, 4]));
        Assert.Contains("[-3, 2]", softmax.Message, StringComparison.Ordinal);
        Assert.Equal(dim, softmax.ActualValue);
        var logSoftmax = Assert.Throws<ArgumentOutOfRangeException>(() => new LogSoftmax(dim).Forward<double>(values, [2, 3, 4]));
        Assert.Contains("[-3, 2]", logSoftmax.Message, StringComparison.Ordinal);
    }

    // ---- Error messages and shape errors ----

    [Fact]
    public void TargetOutOfRange_NamesTheTargetAndTheClassCount()
    {
        double[] input = new double[2 * 5];
        var ce = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<double>().Forward(input, [2, 5], [0, 7]));
        Assert.Equal("target", ce.ParamName);
        Assert.Contains("Target 7", ce.Message, StringComparison.Ordinal);
        Assert.Contains("5 classes", ce.Message, StringComparison.Ordinal);
        Assert.Equal(7, ce.ActualValue);

        var nll = Assert.Throws<ArgumentOutOfRangeException>(() => new NllLoss<float>(Reduction.None).Forward(new float[10], [2, 5], [-3, 1]));
        Assert.Equal("target", nll.ParamName);
        Assert.Contains("Target -3", nll.Message, StringComparison.Ordinal);
        Assert.Contains("5 classes", nll.Message, StringComparison.Ordinal);

        // The ignored value is accepted even outside [0, C); another out-of-range value is not.
        Assert.Equal(0.0, new CrossEntropyLoss<double>(Reduction.Sum, ignoreIndex: 9).Forward(input, [2, 5], [9, 9]).Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<double>(ignoreIndex: 9).Forward(input, [2, 5], [9, -100]));
    }

    [Fact]
    public void ClassDimensionOfSizeZero_IsRefused()
    {
        Assert.ThrowsAny<ArgumentException>(() => new CrossEntropyLoss<double>().Forward([], [2, 0], [0, 0]));
        Assert.ThrowsAny<ArgumentException>(() => new CrossEntropyLoss<double>().ForwardProbabilities([], [2, 0], ReadOnlySpan<double>.Empty));
        Assert.ThrowsAny<ArgumentException>(() => new CrossEntropyLoss<double>().Forward([], [0], [0]));
        Assert.ThrowsAny<ArgumentException>(() => new NllLoss<double>().Forward([], [2, 0, 3], [0, 0, 0, 0, 0, 0]));
        Assert.ThrowsAny<ArgumentException>(() => new Softmax(1).Forward<double>([], [2, 0]));
        Assert.ThrowsAny<ArgumentException>(() => new LogSoftmax(0).Forward<double>([], [0]));
    }

    [Fact]
    public void MismatchedTargetShape_ForSpatialInput_IsRefused()
    {
        // Input (N, C, d) = (2, 3, 4): index targets must be (2, 4) and probability targets (2, 3, 4).
        Tensor<double> input = Tensor.Create(new double[24], [2, 3, 4]);

        var wrongIndexShape = Assert.ThrowsAny<ArgumentException>(() => new CrossEntropyLoss<double>().Forward(input, Tensor.Create(new int[6], [2, 3])));
        Assert.Equal("target", wrongIndexShape.ParamName);
        var transposed = Assert.ThrowsAny<ArgumentException>(() => new CrossEntropyLoss<double>().Forward(input, Tensor.Create(new int[8], [4, 2])));
        Assert.Equal("target", transposed.ParamName);
        var nll = Assert.ThrowsAny<ArgumentException>(() => new NllLoss<double>().Forward(input, Tensor.Create(new int[8], [8])));
        Assert.Equal("target", nll.ParamName);

        // Same element count, different shape.
        var wrongProbabilityShape = Assert.ThrowsAny<ArgumentException>(() => new CrossEntropyLoss<double>().ForwardProbabilities(input, Tensor.Create(new double[24], [2, 4, 3])));
        Assert.Equal("target", wrongProbabilityShape.ParamName);

        // The span overload: too few targets for the shape.
        var spanOverload = Assert.ThrowsAny<ArgumentException>(() => new CrossEntropyLoss<double>().Forward(new double[24], [2, 3, 4], new int[6]));
        Assert.Equal("target", spanOverload.ParamName);
    }

    [Fact]
    public void InputNotMatchingItsShape_IsRefused()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new CrossEntropyLoss<double>().Forward(new double[5], [2, 3], [0, 1]));
        Assert.Equal("input", e.ParamName);
        Assert.ThrowsAny<ArgumentException>(() => new Softmax(0).Forward<double>(new double[5], [2, 3]));
    }

    [Fact]
    public void WeightLengthNotC_IsRefused()
    {
        var ce = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<double>(weight: [1.0, 2.0]).Forward(Logits, [3, 4], Targets));
        Assert.Equal("weight", ce.ParamName);
        Assert.Contains("4", ce.Message, StringComparison.Ordinal);
        var probability = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<double>(weight: [1.0, 2.0, 3.0, 4.0, 5.0]).ForwardProbabilities(Logits, [3, 4], Probabilities));
        Assert.Equal("weight", probability.ParamName);
        var nll = Assert.Throws<ArgumentException>(() => new NllLoss<double>(weight: [1.0]).Forward(Logits, [3, 4], Targets));
        Assert.Equal("weight", nll.ParamName);
    }

    // ---- Inputs are never modified ----

    [Fact]
    public void Inputs_AreNeverModified()
    {
        double[] logits = [.. Logits];
        logits[1] = double.NegativeInfinity;
        logits[6] = double.NaN;
        double[] probabilities = [.. Probabilities];
        int[] targets = [.. Targets];
        double[] weight = [1.0, 0.0, 2.0, 0.5];
        double[] logitsBefore = [.. logits];
        double[] probabilitiesBefore = [.. probabilities];
        int[] targetsBefore = [.. targets];
        double[] weightBefore = [.. weight];

        foreach (Reduction reduction in CrossEntropyReductions)
        {
            new CrossEntropyLoss<double>(reduction, weight, labelSmoothing: 0.3).Forward(logits, [3, 4], targets);
            new CrossEntropyLoss<double>(reduction, weight, labelSmoothing: 0.3).ForwardProbabilities(logits, [3, 4], probabilities);
            new NllLoss<double>(reduction, weight).Forward(logits, [3, 4], targets);
            new CrossEntropyLoss<double>(reduction).Forward(logits, [2, 2, 3], [0, 1, 1, 0, 1, 1]);
        }

        new Softmax(1).Forward<double>(logits, [3, 4]);
        new LogSoftmax(0).Forward<double>(logits, [3, 4]);
        Functional.LogSumExp<double>(logits, new double[4], 3, 4);
        var perPosition = new CrossEntropyOptions<double> { Reduction = Reduction.None, Weight = weight };
        Functional.CrossEntropy<double, int>(logits, targets, 4, perPosition with { LabelSmoothing = 0.5 }, losses: new double[3]);
        Functional.CrossEntropyProbabilities<double>(logits, probabilities, 4, perPosition with { LabelSmoothing = 0.5 }, losses: new double[3]);
        Functional.NllLoss<double, int>(logits, targets, 4, perPosition, losses: new double[3]);
        Functional.Softmax<double>(logits, new double[12], 4);
        Functional.LogSoftmax<double>(logits, new double[12], 4);

        Assert.Equal(logitsBefore, logits);
        Assert.Equal(probabilitiesBefore, probabilities);
        Assert.Equal(targetsBefore, targets);
        Assert.Equal(weightBefore, weight);
    }

    private static void AssertSameResult<T>(LossResult<T> expected, LossResult<T> actual)
        where T : IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.IsScalar, actual.IsScalar);
        if (expected.IsScalar)
        {
            Assert.Equal(expected.Value, actual.Value);
        }
        else
        {
            AssertSameTensor(expected.Elements!, actual.Elements!);
        }
    }

    private static void AssertSameTensor<T>(Tensor<T> expected, Tensor<T> actual)
    {
        Assert.Equal(expected.Lengths.ToArray(), actual.Lengths.ToArray());
        var e = new T[checked((int)expected.FlattenedLength)];
        var a = new T[checked((int)actual.FlattenedLength)];
        expected.FlattenTo(e);
        actual.FlattenTo(a);
        Assert.Equal(e, a);
    }
}
