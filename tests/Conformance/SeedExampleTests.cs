using System;
using System.Numerics;
using System.Numerics.Tensors;
using Xunit;

namespace Xent.Conformance;

/// <summary>The two worked examples of the specification, checked at four decimals in float and double.</summary>
public sealed class SeedExampleTests
{
    private static readonly double[] Seed001Logits = [1.2372, -0.9604, 1.5415];

    private static readonly double[] Seed004Logits =
    [
        0.1, 0.2, 0.3, 0.4,
        0.2, 0.3, 0.35, 0.15,
        0.28, 0.32, 0.2, 0.3,
    ];

    [Fact]
    public void Seed001_WorkedExample()
    {
        Seed001<double>();
        Seed001<float>();
    }

    [Fact]
    public void Seed004_WorkedExample()
    {
        Seed004<double>();
        Seed004<float>();
    }

    private static void Seed001<T>()
        where T : IFloatingPointIeee754<T>
    {
        T[] logits = Convert<T>(Seed001Logits);

        // Unbatched (C) with dim 0, and the same row as a batch of one with dim -1.
        AssertClose([0.4054, 0.0450, 0.5496], new Softmax(0).Forward<T>(logits, [3]));
        AssertClose([0.4054, 0.0450, 0.5496], new Softmax(-1).Forward<T>(logits, [1, 3]));
        Tensor<T> logProbabilities = new LogSoftmax(1).Forward<T>(logits, [1, 3]);
        AssertClose([-0.9029, -3.1005, -0.5986], logProbabilities);
        AssertClose([-0.9029, -3.1005, -0.5986], new LogSoftmax(0).Forward<T>(logits, [3]));

        T[] logProbabilityValues = new T[3];
        logProbabilities.FlattenTo(logProbabilityValues);
        AssertClose(0.5986, new NllLoss<T>().Forward(logProbabilityValues, [1, 3], [2]));
        AssertClose(0.5986, new CrossEntropyLoss<T>().Forward(logits, [1, 3], [2]));
        AssertClose(0.5986, new CrossEntropyLoss<T>().Forward(logits, [3], [2]));
        AssertClose(0.5986, new CrossEntropyLoss<T>().ForwardProbabilities(logits, [1, 3], Convert<T>([0, 0, 1])));
    }

    private static void Seed004<T>()
        where T : IFloatingPointIeee754<T>
    {
        T[] logits = Convert<T>(Seed004Logits);
        T[] oneHot = Convert<T>(
        [
            0, 0, 0, 1,
            0, 0, 1, 0,
            0, 1, 0, 0,
        ]);

        LossResult<T> soft = new CrossEntropyLoss<T>().ForwardProbabilities(logits, [3, 4], oneHot);
        LossResult<T> index = new CrossEntropyLoss<T>().Forward(logits, [3, 4], [3, 2, 1]);
        AssertClose(1.2914, soft);
        AssertClose(1.2914, index);

        // One-hot probabilities and the equivalent indices are the same loss, to the last bits of T.
        double tolerance = typeof(T) == typeof(float) ? 1e-6 : 1e-14;
        Assert.Equal(double.CreateTruncating(index.Value), double.CreateTruncating(soft.Value), tolerance);
    }

    private static T[] Convert<T>(double[] values)
        where T : IFloatingPointIeee754<T> =>
        Array.ConvertAll(values, T.CreateTruncating);

    private static void AssertClose<T>(double expected, LossResult<T> actual)
        where T : IFloatingPointIeee754<T>
    {
        Assert.True(actual.IsScalar);
        Assert.Equal(expected, double.CreateTruncating(actual.Value), 4);
    }

    private static void AssertClose<T>(double[] expected, Tensor<T> actual)
        where T : IFloatingPointIeee754<T>
    {
        var values = new T[checked((int)actual.FlattenedLength)];
        actual.FlattenTo(values);
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], double.CreateTruncating(values[i]), 4);
        }
    }
}
