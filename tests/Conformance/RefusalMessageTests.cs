using System;
using System.Linq;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// Refusals a user meets first: binary targets outside [0, 1], class indices out of range or passed as floats, and
/// <see cref="Reduction.BatchMean"/> outside the KL divergence. Each names the parameter, the rule and the value
/// (once), and nothing is written.
/// </summary>
public sealed class RefusalMessageTests
{
    private const float Sentinel = 42f;

    public static TheoryData<float> BadBinaryTargets => new() { -0.5f, 1.5f, float.NaN, float.PositiveInfinity, -float.Epsilon, 1.0000001f };

    [Theory]
    [MemberData(nameof(BadBinaryTargets))]
    public void BinaryCrossEntropy_TargetOutsideZeroOne_IsRefused_NamingIndexAndValue_BeforeWriting(float bad)
    {
        float[] logits = [0.5f, -1f, 2f, 0.25f];
        float[] probabilities = [0.5f, 0.25f, 0.75f, 0.125f];
        float[] target = [0f, 1f, bad, 0.5f];
        float[] gradOutput = [1f, 1f, 1f, 1f];
        float[] destination = Enumerable.Repeat(Sentinel, 4).ToArray();
        float[] gradient = Enumerable.Repeat(Sentinel, 4).ToArray();
        Action[] calls =
        [
            () => Functional.BinaryCrossEntropyWithLogits<float>(logits, target),
            () => Functional.BinaryCrossEntropyWithLogits<float>(logits, target, Reduction.Sum, posWeight: [2f, 2f, 2f, 2f]),
            () => Functional.BinaryCrossEntropyWithLogits<float>(logits, target, Reduction.None, losses: destination),
            () => Functional.BinaryCrossEntropyWithLogits<float>(logits, target, gradient: gradient),
            () => Functional.BinaryCrossEntropyWithLogits<float>(logits, target, Reduction.None, gradient: gradient, losses: destination, gradOutput: gradOutput),
            () => Functional.BinaryCrossEntropy<float>(probabilities, target),
            () => Functional.BinaryCrossEntropy<float>(probabilities, target, Reduction.None, losses: destination),
            () => Functional.BinaryCrossEntropy<float>(probabilities, target, gradient: gradient),
            () => Functional.BinaryCrossEntropy<float>(probabilities, target, Reduction.None, gradient: gradient, losses: destination, gradOutput: gradOutput),
        ];
        foreach (Action call in calls)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(call);
            Assert.Equal("target", e.ParamName);
            Assert.Equal(bad, (float)e.ActualValue!);
            Assert.StartsWith($"target[2] is {bad}; binary cross entropy needs targets in [0, 1]", e.Message, StringComparison.Ordinal);
            Assert.All(destination, v => Assert.Equal(Sentinel, v));
            Assert.All(gradient, v => Assert.Equal(Sentinel, v));
        }
    }

    [Fact]
    public void BinaryCrossEntropy_TargetsAtTheBounds_AreAccepted()
    {
        // 0, 1 and everything between are probabilities; −0 is 0.
        double[] target = [0.0, 1.0, -0.0, 0.5, double.Epsilon, 1.0 - double.Epsilon / 2];
        double[] logits = [1.0, -1.0, 0.0, 2.0, 3.0, -3.0];
        Assert.True(double.IsFinite(Functional.BinaryCrossEntropyWithLogits<double>(logits, target)));
        Assert.True(double.IsFinite(Functional.BinaryCrossEntropy<double>([0.5, 0.5, 0.5, 0.5, 0.5, 0.5], target)));
    }

    [Fact]
    public void TargetOutOfRange_SaysTargetsAreZeroBased_AndGivesTheValueOnce()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy<float, int>([1f, 2f, 3f, 1f, 2f, 3f], [0, 3], 3));
        Assert.Equal("target", e.ParamName);
        Assert.Equal(3, e.ActualValue);
        Assert.StartsWith("Target 3 at position 1 is out of bounds for 3 classes: targets are 0-based class indices in [0, 3), or the ignore index.", e.Message, StringComparison.Ordinal);
        Assert.Single(e.Message.Split("Actual value was").Skip(1));
    }

    [Fact]
    public void OutOfRangeOptions_StateTheValueOnce()
    {
        // Options are validated when they are built, each naming its property.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy<float, int>([1f, 2f], [0], 2, new CrossEntropyOptions<float> { LabelSmoothing = 1.5 }));
        Assert.Equal("LabelSmoothing", e.ParamName);
        Assert.Equal(1.5, e.ActualValue);
        Assert.DoesNotContain("got", e.Message, StringComparison.Ordinal);
        Assert.Single(e.Message.Split("Actual value was").Skip(1));

        var classes = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.Softmax<float>([1f], new float[1], 0));
        Assert.DoesNotContain("got", classes.Message, StringComparison.Ordinal);
        Assert.Single(classes.Message.Split("Actual value was").Skip(1));
    }

    [Fact]
    public void FloatLabelsOnePerRow_PassedAsProbabilities_AreExplained()
    {
        // Class indices 2 and 1 as floats: one value per row, where probabilities need one per logit.
        var e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropyProbabilities<float>([1f, 2f, 3f, 1f, 2f, 3f], [2f, 1f], 3));
        Assert.Equal("target", e.ParamName);
        Assert.Contains("input has 6 elements but target has 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("class indices must be passed as integers", e.Message, StringComparison.Ordinal);

        // A target of another wrong length is not mistaken for class indices.
        var other = Assert.Throws<ArgumentException>(() => Functional.CrossEntropyProbabilities<float>([1f, 2f, 3f, 1f, 2f, 3f], [2f, 1f, 0f], 3));
        Assert.DoesNotContain("class indices", other.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchMean_IsRefusedOutsideTheKlDivergence()
    {
        // An ArgumentException (its ArgumentOutOfRangeException subclass, naming the options' property).
        var ce = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy<float, int>([1f, 2f], [0], 2, new CrossEntropyOptions<float> { Reduction = Reduction.BatchMean }));
        Assert.Equal("Reduction", ce.ParamName);
        Assert.Contains("KL divergence only", ce.Message, StringComparison.Ordinal);
        var bce = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.BinaryCrossEntropyWithLogits<float>([1f], [0f], Reduction.BatchMean));
        Assert.Equal("reduction", bce.ParamName);
        Assert.Contains("KL divergence only", bce.Message, StringComparison.Ordinal);
        var facade = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss<float>(Reduction.BatchMean));
        Assert.Contains("KL divergence only", facade.Message, StringComparison.Ordinal);

        // KL's batchmean: Σ ℓ / batch size.
        float sum = Functional.KlDiv<float>([-1f, -2f, -1f, -2f], [0.5f, 0.5f, 0.5f, 0.5f], Reduction.Sum);
        float batchMean = Functional.KlDiv<float>([-1f, -2f, -1f, -2f], [0.5f, 0.5f, 0.5f, 0.5f], Reduction.BatchMean, batchSize: 2);
        Assert.Equal(sum / 2, batchMean);
    }
}
