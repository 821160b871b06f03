using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Xent.Conformance;

/// <summary>The complete facade: the element-wise losses, copies with changed options, value equality, and sharing one instance across threads.</summary>
public sealed class FamilyFacadeTests
{
    private static readonly float[] Logits = [-3f, -0.5f, 0f, 0.75f, 2f, 12f];
    private static readonly float[] Targets = [0f, 1f, 0.5f, 1f, 0f, 1f];

    [Fact]
    public void With_CopiesAndChangesOneOption_AndValidatesIt()
    {
        var loss = new CrossEntropyLoss<double>(Reduction.Sum, [1.0, 2.0], ignoreIndex: 3, labelSmoothing: 0.1);
        CrossEntropyLoss<double> smoothed = loss with { LabelSmoothing = 0.25 };

        Assert.Equal(0.25, smoothed.LabelSmoothing);
        Assert.Equal(0.1, loss.LabelSmoothing);
        Assert.Equal(Reduction.Sum, smoothed.Reduction);
        Assert.Equal([1.0, 2.0], smoothed.Weight.ToArray());
        Assert.Equal(3L, smoothed.IgnoreIndex);

        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => loss with { LabelSmoothing = -0.1 });
        Assert.Equal("labelSmoothing", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => loss with { Reduction = (Reduction)7 });
        // An empty weight array is refused where weights are given as an array (the constructors); the property is a
        // ReadOnlyMemory<T> in which empty means "no weights", so `with { Weight = empty }` removes them.
        ArgumentException emptyWeight = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss<double>(Reduction.Sum, [], ignoreIndex: 3, labelSmoothing: 0.1));
        Assert.Equal("weight", emptyWeight.ParamName);
        CrossEntropyLoss<double> unweighted = loss with { Weight = ReadOnlyMemory<double>.Empty };
        Assert.True(unweighted.Weight.IsEmpty);
        Assert.Equal(new CrossEntropyLoss<double>(Reduction.Sum, ignoreIndex: 3, labelSmoothing: 0.1), unweighted);
        Assert.Throws<ArgumentOutOfRangeException>(() => new KlDivLoss<float>() with { Reduction = (Reduction)9 });

        Assert.Equal(-1, (new Softmax(1) with { Dim = -1 }).Dim);
        Assert.True((new KlDivLoss<float>() with { LogTarget = true }).LogTarget);
        Assert.Equal([2.0, 1.0], (new BceWithLogitsLoss<double>() with { PosWeight = new[] { 2.0, 1.0 } }).PosWeight.ToArray());
    }

    [Fact]
    public void Records_HaveValueEquality_WeightsComparedByValue()
    {
        Assert.Equal(new CrossEntropyLoss<double>(weight: [1.0, 2.0]), new CrossEntropyLoss<double>(weight: [1.0, 2.0]));
        Assert.Equal(new CrossEntropyLoss<double>(weight: [1.0, 2.0]).GetHashCode(), new CrossEntropyLoss<double>(weight: [1.0, 2.0]).GetHashCode());
        Assert.NotEqual(new CrossEntropyLoss<double>(weight: [1.0, 2.0]), new CrossEntropyLoss<double>(weight: [1.0, 3.0]));
        Assert.NotEqual(new CrossEntropyLoss<double>(), new CrossEntropyLoss<double>(weight: [1.0]));
        Assert.Equal(new NllLoss<double>(Reduction.Sum, [0.5]), new NllLoss<double>(Reduction.Sum, [0.5]));
        Assert.Equal(new BceWithLogitsLoss<double>(posWeight: [3.0]), new BceWithLogitsLoss<double>(posWeight: [3.0]));
        Assert.NotEqual(new BceWithLogitsLoss<double>(weight: [3.0]), new BceWithLogitsLoss<double>(posWeight: [3.0]));
        Assert.Equal(new BceLoss<double>(Reduction.None), new BceLoss<double>(Reduction.None));
        Assert.Equal(new KlDivLoss<double>(Reduction.BatchMean, true), new KlDivLoss<double>(Reduction.BatchMean, true));
        Assert.Equal(new Softmax(1), new Softmax(1));
    }

    [Fact]
    public void ToString_ShowsTheOptions_OfTheFamily()
    {
        Assert.Equal("BceWithLogitsLoss(reduction: Mean, weight: none, posWeight: [2, 0.5])", new BceWithLogitsLoss<double>(posWeight: [2.0, 0.5]).ToString());
        Assert.Equal("BceLoss(reduction: Sum, weight: [1, 3])", new BceLoss<double>(Reduction.Sum, [1.0, 3.0]).ToString());
        Assert.Equal("KlDivLoss(reduction: BatchMean, logTarget: true)", new KlDivLoss<double>(Reduction.BatchMean, logTarget: true).ToString());
        Assert.Equal("Softmax(dim: -1)", new Softmax(-1).ToString());
        Assert.Equal("LogSoftmax(dim: 1)", new LogSoftmax(1).ToString());
    }

    [Fact]
    public void BceWithLogits_Facade_AgreesWithTheKernel_ForEveryReduction()
    {
        var x = Tensor.Create(Logits, [2, 3]);
        var t = Tensor.Create(Targets, [2, 3]);
        float[] posWeight = [2f, 1f, 0.5f];

        LossResult<float> none = new BceWithLogitsLoss<float>(Reduction.None, posWeight: posWeight).Forward(x, t);
        Assert.Equal([2, 3], none.Elements!.Lengths.ToArray());
        var expected = new float[6];
        Functional.BinaryCrossEntropyWithLogits<float>(Logits, Targets, Reduction.None, posWeight: [2f, 1f, 0.5f], losses: expected);
        Assert.Equal(expected, Flatten(none.Elements));

        float mean = new BceWithLogitsLoss<float>(posWeight: posWeight).Forward(x, t).Value;
        Assert.Equal(Functional.BinaryCrossEntropyWithLogits<float>(Logits, Targets, Reduction.Mean, posWeight: [2f, 1f, 0.5f]), mean);
    }

    [Fact]
    public void BceWithLogits_WeightThatCannotBroadcast_IsRefused_NamingIt()
    {
        var x = Tensor.Create(Logits, [2, 3]);
        var t = Tensor.Create(Targets, [2, 3]);
        ArgumentException e = Assert.Throws<ArgumentException>(() => new BceWithLogitsLoss<float>(weight: [1f, 2f]).Forward(x, t));
        Assert.Equal("weight", e.ParamName);
        Assert.Contains("[2, 3]", e.Message, StringComparison.Ordinal);
        ArgumentException p = Assert.Throws<ArgumentException>(() => new BceWithLogitsLoss<float>(posWeight: [1f, 2f, 3f, 4f, 5f, 6f]).Forward(x, t));
        Assert.Equal("posWeight", p.ParamName);
        Assert.Contains("input shape [2, 3]: give 3", p.Message, StringComparison.Ordinal);

        // A weight per element, and one per position of the last dimension, are both accepted.
        new BceWithLogitsLoss<float>(weight: [1, 2, 3, 4, 5, 6]).Forward(x, t);
        new BceWithLogitsLoss<float>(weight: [1, 2, 3]).Forward(x, t);
    }

    [Fact]
    public void Bce_OfSigmoid_IsRefusedOutsideZeroOne_AndAgreesWithLogitsInside()
    {
        float[] probabilities = Logits.Select(v => 1f / (1f + MathF.Exp(-v))).ToArray();
        var loss = new BceLoss<float>();
        float onProbabilities = loss.Forward(Tensor.Create(probabilities, [6]), Tensor.Create(Targets, [6])).Value;
        float onLogits = new BceWithLogitsLoss<float>().Forward(Tensor.Create(Logits, [6]), Tensor.Create(Targets, [6])).Value;
        Assert.Equal(onLogits, onProbabilities, 4);

        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(
            () => loss.Forward(Tensor.Create(new[] { 0.5f, 1.5f }, [2]), Tensor.Create(new[] { 1f, 0f }, [2])));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("input[1] is 1.5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ElementwiseLosses_RefuseATargetOfAnotherShape()
    {
        var x = Tensor.Create(new float[] { 0.1f, 0.2f, 0.3f }, [3]);
        var t = Tensor.Create(new float[] { 0f, 1f, 0f, 1f }, [4]);
        foreach (Func<LossResult<float>> call in new Func<LossResult<float>>[]
        {
            () => new BceWithLogitsLoss<float>().Forward(x, t),
            () => new BceLoss<float>().Forward(x, t),
            () => new KlDivLoss<float>().Forward(x, t),
        })
        {
            ArgumentException e = Assert.Throws<ArgumentException>(call);
            Assert.Equal("target", e.ParamName);
            Assert.Equal("Target size ([4]) must be the same as input size ([3]). (Parameter 'target')", e.Message);
        }
    }

    [Fact]
    public void KlDiv_BatchMean_IsSumOverDimensionZero_AndIsTheKlDivergencePerSample()
    {
        // Two samples of three classes: rows of log q and of p.
        double[] q = [0.2, 0.3, 0.5, 0.6, 0.3, 0.1];
        double[] p = [0.1, 0.1, 0.8, 0.5, 0.5, 0.0];
        var input = Tensor.Create(q.Select(v => Math.Log(v)).ToArray(), [2, 3]);
        var target = Tensor.Create(p, [2, 3]);

        double sum = new KlDivLoss<double>(Reduction.Sum).Forward(input, target).Value;
        double batchMean = new KlDivLoss<double>(Reduction.BatchMean).Forward(input, target).Value;
        double mean = new KlDivLoss<double>().Forward(input, target).Value;
        Assert.Equal(sum / 2, batchMean, 15);
        Assert.Equal(sum / 6, mean, 15);

        // Σ p log(p/q) per row, with 0·log 0 = 0, averaged over the two samples.
        double kl0 = 0.1 * Math.Log(0.1 / 0.2) + 0.1 * Math.Log(0.1 / 0.3) + 0.8 * Math.Log(0.8 / 0.5);
        double kl1 = 0.5 * Math.Log(0.5 / 0.6) + 0.5 * Math.Log(0.5 / 0.3);
        Assert.Equal((kl0 + kl1) / 2, batchMean, 14);
    }

    [Fact]
    public void KlDiv_ZeroTarget_ContributesZeroAtInfiniteInput_ButNaNStaysNaN()
    {
        var perElement = new double[4];
        Functional.KlDiv<double>([double.NegativeInfinity, double.PositiveInfinity, double.NaN, -1.0], [0.0, 0.0, 0.0, 0.0], Reduction.None, losses: perElement);
        Assert.Equal(0.0, perElement[0]);
        Assert.Equal(0.0, perElement[1]);
        Assert.True(double.IsNaN(perElement[2]));
        Assert.Equal(0.0, perElement[3]);

        Functional.KlDiv<double>([double.NegativeInfinity, double.NaN], [double.NegativeInfinity, double.NegativeInfinity], Reduction.None, logTarget: true, losses: perElement);
        Assert.Equal(0.0, perElement[0]);
        Assert.True(double.IsNaN(perElement[1]));
    }

    [Fact]
    public void OneSharedInstance_UsedFrom16Threads_GivesTheSerialResults_BitForBit()
    {
        var loss = new CrossEntropyLoss<float>(Reduction.Mean, [1f, 0.5f, 2f, 1.5f], ignoreIndex: 1, labelSmoothing: 0.1);
        var bce = new BceWithLogitsLoss<float>(posWeight: [2f, 1f, 0.5f, 1f]);
        var random = new Random(20261124);
        var inputs = new List<(Tensor<float> X, Tensor<int> Y, Tensor<float> T)>();
        for (int i = 0; i < 64; i++)
        {
            int rows = 1 + random.Next(32);
            float[] x = Enumerable.Range(0, rows * 4).Select(_ => (float)(random.NextDouble() * 20 - 10)).ToArray();
            int[] y = Enumerable.Range(0, rows).Select(_ => random.Next(4)).ToArray();
            float[] t = Enumerable.Range(0, rows * 4).Select(_ => (float)random.NextDouble()).ToArray();
            inputs.Add((Tensor.Create(x, [rows, 4]), Tensor.Create(y, [rows]), Tensor.Create(t, [rows, 4])));
        }

        (float Ce, float[] CeGradient, float Bce) Evaluate((Tensor<float> X, Tensor<int> Y, Tensor<float> T) input)
        {
            LossResult<float> ce = loss.ForwardWithGradient(input.X, input.Y);
            return (ce.Value, Flatten(ce.Gradient!), bce.Forward(input.X, input.T).Value);
        }

        var serial = inputs.Select(input => Evaluate(input)).ToArray();
        var parallel = new (float Ce, float[] CeGradient, float Bce)[16][];
        using var start = new Barrier(16);
        var threads = Enumerable.Range(0, 16).Select(k => new Thread(() =>
        {
            start.SignalAndWait();
            // Each thread walks the inputs from a different starting point, so calls overlap in every combination.
            parallel[k] = new (float, float[], float)[inputs.Count];
            for (int j = 0; j < inputs.Count; j++)
            {
                int i = (j + 4 * k) % inputs.Count;
                parallel[k][i] = Evaluate(inputs[i]);
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        for (int k = 0; k < 16; k++)
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(serial[i].Ce), BitConverter.SingleToInt32Bits(parallel[k][i].Ce));
                Assert.Equal(BitConverter.SingleToInt32Bits(serial[i].Bce), BitConverter.SingleToInt32Bits(parallel[k][i].Bce));
                Assert.Equal(serial[i].CeGradient.Select(v => BitConverter.SingleToInt32Bits(v)), parallel[k][i].CeGradient.Select(v => BitConverter.SingleToInt32Bits(v)));
            }
        }
    }

    private static float[] Flatten(Tensor<float> tensor)
    {
        var values = new float[tensor.FlattenedLength];
        tensor.FlattenTo(values);
        return values;
    }
}
