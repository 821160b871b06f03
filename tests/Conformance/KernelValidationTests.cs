using System;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// The kernel's destination checks: a destination that is too short, or overlaps an input, is refused with an
/// <see cref="ArgumentException"/> naming it (<c>losses</c> for the per-position losses of cross entropy and NLL,
/// <c>destination</c> for the normalizers), before anything is written.
/// </summary>
public sealed class KernelValidationTests
{
    private const double Sentinel = 42.0;

    // Per-position losses (the old PerElement functions): no reduction.
    private static readonly CrossEntropyOptions<double> PerPosition = new() { Reduction = Reduction.None };

    // 2 × 3 logits.
    private static readonly double[] Input = [0.5, -1.0, 2.0, 1.5, 0.25, -0.75];

    private static readonly int[] Targets = [2, 0];

    private static readonly double[] Probabilities = [0.2, 0.3, 0.5, 1.0, 0.0, 0.0];

    [Fact]
    public void CrossEntropy_ShortDestination_IsRefused_AndUntouched()
    {
        double[] destination = [Sentinel];
        var e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy<double, int>(Input, Targets, 3, PerPosition, losses: destination));
        Assert.Equal("losses", e.ParamName);
        Assert.Equal([Sentinel], destination);

        var probabilities = Assert.Throws<ArgumentException>(() => Functional.CrossEntropyProbabilities<double>(Input, Probabilities, 3, PerPosition, losses: destination));
        Assert.Equal("losses", probabilities.ParamName);
        Assert.Equal([Sentinel], destination);
    }

    [Fact]
    public void NllLoss_ShortDestination_IsRefused_AndUntouched()
    {
        float[] destination = [(float)Sentinel];
        var e = Assert.Throws<ArgumentException>(() =>
            Functional.NllLoss<float, int>([0f, -1f, -2f, -3f, -4f, -5f], Targets, 3, new CrossEntropyOptions<float> { Reduction = Reduction.None }, losses: destination));
        Assert.Equal("losses", e.ParamName);
        Assert.Equal([(float)Sentinel], destination);
    }

    [Fact]
    public void LogSumExp_ShortDestination_IsRefused_AndUntouched()
    {
        double[] destination = [Sentinel];
        var e = Assert.Throws<ArgumentException>(() => Functional.LogSumExp<double>(Input, destination, 3));
        Assert.Equal("destination", e.ParamName);
        Assert.Equal([Sentinel], destination);
    }

    [Fact]
    public void SoftmaxAndLogSoftmax_ShortDestination_IsRefused_AndUntouched()
    {
        double[] destination = [Sentinel, Sentinel, Sentinel, Sentinel, Sentinel];
        var softmax = Assert.Throws<ArgumentException>(() => Functional.Softmax<double>(Input, destination, 3));
        Assert.Equal("destination", softmax.ParamName);
        var logSoftmax = Assert.Throws<ArgumentException>(() => Functional.LogSoftmax<double>(Input, destination, 3));
        Assert.Equal("destination", logSoftmax.ParamName);
        Assert.All(destination, v => Assert.Equal(Sentinel, v));
    }

    [Fact]
    public void PerElement_DestinationOverlappingAnInput_IsRefused_AndNothingChanges()
    {
        // Input and destination share one buffer: destination is the last two elements of the input.
        double[] buffer = [.. Input];
        var e = Assert.Throws<ArgumentException>(() =>
            Functional.CrossEntropy<double, int>(buffer, Targets, 3, PerPosition, losses: buffer.AsSpan(4, 2)));
        Assert.Equal("losses", e.ParamName);
        Assert.Equal(Input, buffer);

        // Destination sharing the caller's weight array: the options hold a copy of the weights (taken when they are
        // built), so the two cannot overlap; the call writes the losses computed with the weights as they were.
        double[] weightAndDestination = [1.0, 2.0, 3.0, Sentinel];
        CrossEntropyOptions<double> weighted = PerPosition with { Weight = weightAndDestination.AsMemory(0, 3) };
        double[] expected = new double[2];
        Functional.CrossEntropy<double, int>(Input, Targets, 3, PerPosition with { Weight = new[] { 1.0, 2.0, 3.0 } }, losses: expected);
        Functional.CrossEntropy<double, int>(Input, Targets, 3, weighted, losses: weightAndDestination.AsSpan(2, 2));
        Assert.Equal([1.0, 2.0, expected[0], expected[1]], weightAndDestination);
        Assert.Equal([1.0, 2.0, 3.0], weighted.Weight.ToArray());

        // Destination overlapping the probability target.
        double[] probabilities = [.. Probabilities];
        var target = Assert.Throws<ArgumentException>(() =>
            Functional.CrossEntropyProbabilities<double>(Input, probabilities, 3, PerPosition, losses: probabilities.AsSpan(0, 2)));
        Assert.Equal("losses", target.ParamName);
        Assert.Equal(Probabilities, probabilities);

        double[] nllBuffer = [.. Input];
        var nll = Assert.Throws<ArgumentException>(() => Functional.NllLoss<double, int>(nllBuffer, Targets, 3, PerPosition, losses: nllBuffer.AsSpan(1, 2)));
        Assert.Equal("losses", nll.ParamName);
        Assert.Equal(Input, nllBuffer);
    }

    [Fact]
    public void LogSumExp_DestinationOverlappingTheInput_IsRefused()
    {
        double[] buffer = [.. Input];
        var e = Assert.Throws<ArgumentException>(() => Functional.LogSumExp<double>(buffer, buffer.AsSpan(0, 2), 3));
        Assert.Equal("destination", e.ParamName);
        Assert.Equal(Input, buffer);
    }

    [Fact]
    public void SoftmaxAndLogSoftmax_PartialOverlap_IsRefused_ButInPlaceWorks()
    {
        // input = buffer[0..6], destination = buffer[1..7]: a partial overlap.
        double[] buffer = [.. Input, Sentinel];
        var softmax = Assert.Throws<ArgumentException>(() => Functional.Softmax<double>(buffer.AsSpan(0, 6), buffer.AsSpan(1, 6), 3));
        Assert.Equal("destination", softmax.ParamName);
        var logSoftmax = Assert.Throws<ArgumentException>(() => Functional.LogSoftmax<double>(buffer.AsSpan(0, 6), buffer.AsSpan(1, 6), 3));
        Assert.Equal("destination", logSoftmax.ParamName);
        Assert.Equal([.. Input, Sentinel], buffer);

        // Exactly in place (same start) is allowed and equals the out-of-place result.
        double[] expected = new double[6];
        Functional.Softmax<double>(Input, expected, 3);
        double[] inPlace = [.. Input];
        Functional.Softmax<double>(inPlace, inPlace, 3);
        Assert.Equal(expected, inPlace);

        Functional.LogSoftmax<double>(Input, expected, 3);
        inPlace = [.. Input];
        Functional.LogSoftmax<double>(inPlace, inPlace, 3);
        Assert.Equal(expected, inPlace);
    }

    [Fact]
    public void InvalidTarget_IsRefused_BeforeAnythingIsWritten()
    {
        // The first position is valid, the second is not: nothing may be written for the first.
        double[] destination = [Sentinel, Sentinel];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy<double, int>(Input, [0, 3], 3, PerPosition, losses: destination));
        Assert.Equal("target", e.ParamName);
        Assert.Equal([Sentinel, Sentinel], destination);
    }
}
