using System;
using System.Linq;
using Xunit;

namespace Xent.Conformance;

/// <summary>Tests that change <see cref="Functional.MaxDegreeOfParallelism"/> run alone, so the degree they set is the one in force.</summary>
[CollectionDefinition(nameof(ParallelismCollection), DisableParallelization = true)]
public sealed class ParallelismCollection
{
}

/// <summary>Issue 5's guarantees: results do not depend on the number of threads, and the span API allocates nothing after warm-up.</summary>
[Collection(nameof(ParallelismCollection))]
public sealed class DeterminismAndAllocationTests
{
    private static (float[] X, int[] Y) Problem(int rows, int classes, int seed)
    {
        var random = new Random(seed);
        float[] x = Enumerable.Range(0, rows * classes).Select(_ => (float)(random.NextDouble() * 30 - 15)).ToArray();
        int[] y = Enumerable.Range(0, rows).Select(i => i % 7 == 3 ? -100 : random.Next(classes)).ToArray();
        return (x, y);
    }

    [Theory]
    [InlineData(300, 1000)]   // 10 chunks of 32 rows
    [InlineData(5000, 10)]    // 2 chunks of 3276 rows and a rest
    [InlineData(64, 3000)]    // 10 rows per chunk
    [InlineData(3, 40000)]    // one row per chunk
    public void Results_AreTheSameBitForBit_AtEveryNumberOfThreads(int rows, int classes)
    {
        (float[] x, int[] y) = Problem(rows, classes, rows + classes);
        float[] weight = Enumerable.Range(0, classes).Select(c => 0.5f + (c % 5) / 4f).ToArray();
        var weighted = new CrossEntropyOptions<float> { Weight = weight };
        var summed = new CrossEntropyOptions<float> { Reduction = Reduction.Sum };
        var smoothing = new CrossEntropyOptions<float> { LabelSmoothing = 0.1 };
        var perPosition = new CrossEntropyOptions<float> { Reduction = Reduction.None };
        int saved = Functional.MaxDegreeOfParallelism;
        try
        {
            (int[] Values, int[] Gradient)? reference = null;
            foreach (int threads in new[] { 1, 2, 3, 8 })
            {
                Functional.MaxDegreeOfParallelism = threads;
                var gradient = new float[x.Length];
                var perRow = new float[rows];
                float mean = (float)Functional.CrossEntropy(x, y, classes, weighted, gradient: gradient).Loss;
                float sum = (float)Functional.CrossEntropy(x, y, classes, summed).Loss;
                float smoothed = (float)Functional.CrossEntropy(x, y, classes, smoothing).Loss;
                Functional.CrossEntropy(x, y, classes, perPosition, losses: perRow);
                int[] values = new[] { mean, sum, smoothed }.Concat(perRow).Select(BitConverter.SingleToInt32Bits).ToArray();
                int[] bits = gradient.Select(BitConverter.SingleToInt32Bits).ToArray();
                if (reference is null)
                {
                    reference = (values, bits);
                    continue;
                }

                Assert.Equal(reference.Value.Values, values);
                Assert.Equal(reference.Value.Gradient, bits);
            }
        }
        finally
        {
            Functional.MaxDegreeOfParallelism = saved;
        }
    }

    [Theory]
    [InlineData(67001, 3)]   // 201,003 elements in 7 chunks and a partial last block; weights of 3 as a pattern
    [InlineData(201, 1000)]  // 201,000 elements; weights of 1000 read in place, wrapping every 1000 elements
    [InlineData(1, 98307)]   // one row: the weight as long as the input, 4 chunks
    public void PointwiseLosses_AreTheSameBitForBit_AtEveryNumberOfThreads(int rows, int last)
    {
        var random = new Random(rows + last);
        int n = rows * last;
        float[] x = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 30 - 15)).ToArray();
        float[] t = Enumerable.Range(0, n).Select(i => i % 5 == 0 ? 0f : (float)random.NextDouble()).ToArray();
        float[] probability = x.Select(v => 1f / (1f + MathF.Exp(-v))).ToArray();
        float[] weight = Enumerable.Range(0, last).Select(c => 0.5f + (c % 5) / 4f).ToArray();
        float[] posWeight = Enumerable.Range(0, last).Select(c => 2f - (c % 3) / 2f).ToArray();
        double[] xd = x.Select(v => (double)v).ToArray();
        double[] td = t.Select(v => (double)v).ToArray();
        int saved = Functional.MaxDegreeOfParallelism;
        try
        {
            int[]? reference = null;
            foreach (int threads in new[] { 1, 2, 3, 8 })
            {
                Functional.MaxDegreeOfParallelism = threads;
                var gradient = new float[n];
                var perElement = new float[n];
                var gradientD = new double[n];
                var values = new System.Collections.Generic.List<int>();
                void Add(float[] a) => values.AddRange(a.Select(BitConverter.SingleToInt32Bits));
                void AddD(double d)
                {
                    long bits = BitConverter.DoubleToInt64Bits(d);
                    values.Add((int)bits);
                    values.Add((int)(bits >> 32));
                }

                values.Add(BitConverter.SingleToInt32Bits(Functional.BinaryCrossEntropyWithLogits<float>(x, t, Reduction.Mean, weight, posWeight, gradient)));
                Add(gradient);
                Functional.BinaryCrossEntropyWithLogits<float>(x, t, Reduction.None, weight, posWeight, gradient, perElement, gradOutput: t);
                Add(perElement);
                Add(gradient);
                AddD(Functional.BinaryCrossEntropyWithLogits<double>(xd, td, Reduction.Sum));
                values.Add(BitConverter.SingleToInt32Bits(Functional.BinaryCrossEntropy<float>(probability, t, Reduction.Sum, weight, gradient)));
                Add(gradient);
                AddD(Functional.KlDiv<double>(xd, td, Reduction.BatchMean, batchSize: rows, gradient: gradientD));
                foreach (double g in gradientD)
                {
                    AddD(g);
                }
                Functional.KlDiv<float>(x, x, Reduction.None, logTarget: true, gradient: gradient, losses: perElement, gradOutput: t);
                Add(perElement);
                Add(gradient);
                values.Add(BitConverter.SingleToInt32Bits(Functional.KlDiv<float>(x, t, Reduction.Sum)));

                // The information measures run on the same engine: t and the probabilities are valid distributions.
                values.Add(BitConverter.SingleToInt32Bits(Information.EntropyWithGradient<float>(t, gradient, Information.Bits)));
                Add(gradient);
                values.Add(BitConverter.SingleToInt32Bits(Information.CrossEntropyWithGradient<float>(t, probability, perElement, gradient)));
                Add(perElement);
                Add(gradient);
                double[] probabilityD = probability.Select(v => (double)v).ToArray();
                AddD(Information.KlDivergenceWithGradient<double>(td, probabilityD, gradientD, default, 10.0));
                foreach (double g in gradientD)
                {
                    AddD(g);
                }

                if (reference is null)
                {
                    reference = values.ToArray();
                    continue;
                }

                Assert.Equal(reference, values.ToArray());
            }
        }
        finally
        {
            Functional.MaxDegreeOfParallelism = saved;
        }
    }

    /// <summary>
    /// The fast pass's edge blocks (the block of the first maximum, and the partial last block read as the row's last
    /// sixteen classes) write the right exponentials whichever block holds the maximum, in place or not: the
    /// in-place gradient is the out-of-place one bit for bit, the loss is the loss-only call's, and the gradient is the
    /// float64 gradient within 1e-6 (a block left at 0 or holding logits would be off by about 1/C or more).
    /// </summary>
    [Theory]
    [InlineData(33, 16)]    // maximum in the last whole block, one class in the partial block
    [InlineData(40, 31)]    // maximum at the end of the last whole block, which the partial block overlaps
    [InlineData(40, 35)]    // maximum in the partial block
    [InlineData(47, 0)]     // maximum in the first block
    [InlineData(1005, 991)] // maximum in the last whole block of a long row
    public void FastPassEdgeBlocks_InPlaceGradient_IsOutOfPlace_BitForBit(int classes, int maximumAt)
    {
        const int Rows = 3;
        var random = new Random(classes + maximumAt);
        float[] x = new float[Rows * classes];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(random.NextDouble() * 6 - 3);
        }

        int[] y = [maximumAt, (maximumAt + 1) % classes, classes - 1];
        for (int r = 0; r < Rows; r++)
        {
            x[(r * classes) + maximumAt] = 5f;
        }

        float[] outOfPlace = new float[x.Length];
        float loss = (float)Functional.CrossEntropy(x, y, classes, gradient: outOfPlace).Loss;
        float[] inPlace = (float[])x.Clone();
        float lossInPlace = (float)Functional.CrossEntropy(inPlace, y, classes, gradient: inPlace).Loss;
        Assert.Equal(BitConverter.SingleToInt32Bits(loss), BitConverter.SingleToInt32Bits(lossInPlace));
        Assert.Equal(outOfPlace.Select(BitConverter.SingleToInt32Bits), inPlace.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(loss, (float)Functional.CrossEntropy(x, y, classes).Loss);

        double[] gradient = new double[x.Length];
        Functional.CrossEntropy(x.Select(v => (double)v).ToArray(), y, classes, gradient: gradient);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(outOfPlace[i] - gradient[i]) <= 1e-6, $"gradient [{i}]: {outOfPlace[i]} vs {gradient[i]}");
        }
    }

    /// <summary>
    /// The fast pass finds the first maximal class in its maximum pass (each lane keeps the block where it last rose):
    /// the prediction is the first of tied maxima wherever they lie (the same lane in a later block, another running
    /// maximum, the overlapping last sixteen classes), and the loss counts each tie's exp(0) = 1 but once apart.
    /// </summary>
    [Theory]
    [InlineData(33, new[] { 20, 32 })]        // a tie in the partial block, which overlaps the last whole block
    [InlineData(40, new[] { 31, 35 })]        // the first in the overlapped lanes, the second in the partial block
    [InlineData(40, new[] { 36 })]            // only in the partial block
    [InlineData(100, new[] { 70, 6, 99 })]    // the first in the first block, ties in other running maxima
    [InlineData(1000, new[] { 999, 516, 580 })] // a tie in the same lane and running maximum, 64 classes on, and the last class
    public void FastPass_PredictsTheFirstOfTiedMaxima(int classes, int[] maxima)
    {
        var random = new Random(classes);
        float[] x = Enumerable.Range(0, classes).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        foreach (int at in maxima)
        {
            x[at] = 4.5f;
        }

        int first = maxima.Min();
        int[] y = [first];
        var predicted = new int[1];
        CrossEntropySummary summary = Functional.CrossEntropy(x, y, classes, predicted: predicted);
        Assert.Equal(first, predicted[0]);
        Assert.True(predicted[0] == y[0]); // correct
        Assert.Equal(1, summary.Correct);

        // log S = log1p((ties − 1) + Σ others) against the double row: the float pass is within its documented bound.
        double exact = Functional.CrossEntropy(x.Select(v => (double)v).ToArray(), y, classes).Loss;
        Assert.True(Math.Abs(summary.Loss - exact) <= 1e-6 * (1 + Math.Abs(exact)), $"loss {summary.Loss} vs {exact}");
    }

    [Fact]
    public void MaxDegreeOfParallelism_BelowOne_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.MaxDegreeOfParallelism = 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SpanApi_AllocatesNothing_AfterWarmUp(int threads)
    {
        (float[] x, int[] y) = Problem(256, 1000, 7);
        double[] xd = x.Select(v => (double)v).ToArray();
        float[] probabilities = new float[x.Length];
        Functional.Softmax<float>(x, probabilities, 1000);
        var gradient = new float[x.Length];
        var gradientD = new double[x.Length];
        var perRow = new float[256];
        var normalized = new float[x.Length];
        // Built before the measured calls: creating an options object allocates once.
        var summed = new CrossEntropyOptions<float> { Reduction = Reduction.Sum };
        var smoothedPerPosition = new CrossEntropyOptions<float> { Reduction = Reduction.None, LabelSmoothing = 0.2 };
        int saved = Functional.MaxDegreeOfParallelism;
        try
        {
            Functional.MaxDegreeOfParallelism = threads;
            void Calls()
            {
                Functional.CrossEntropy<float, int>(x, y, 1000);
                Functional.CrossEntropy<float, int>(x, y, 1000, summed, gradient: gradient);
                Functional.CrossEntropy<float, int>(x, y, 1000, smoothedPerPosition, losses: perRow);
                Functional.CrossEntropyProbabilities<float>(x, probabilities, 1000);
                Functional.CrossEntropy<double, int>(xd, y, 1000, gradient: gradientD);
                Functional.NllLoss<float, int>(x, y, 1000);
                Functional.LogSoftmax<float>(x, normalized, 1000);
                Functional.LogSumExp<float>(x, perRow, 1000);
                Functional.BinaryCrossEntropyWithLogits<float>(x, probabilities);
                Information.KlDivergenceWithGradient<float>(probabilities, probabilities, gradient, default);
            }

            // Many rounds: at 2 threads a blocking wait on the helpers once allocated now and then; it must never.
            Assert.Equal(0, AllocationProbe.FewestBytes(Calls, 200));
        }
        finally
        {
            Functional.MaxDegreeOfParallelism = saved;
        }
    }

    [Fact]
    public void FusedFloatPath_WithSignedWeightsSummingToZero_GivesTheDoublePathsSpecialValues()
    {
        // Mean over weights 1 and −1: the normalizer is 0, so the scale is ±∞; the float path must not turn the
        // absent smoothing term into ∞·0 = NaN everywhere.
        float[] x = [0.5f, -1f, 2f, 1f, 0.25f, -0.5f];
        int[] y = [0, 1];
        float[] weight = [1f, -1f, 1f];
        var gradient = new float[6];
        var gradientD = new double[6];
        float loss = (float)Functional.CrossEntropy(x, y, 3, new CrossEntropyOptions<float> { Reduction = Reduction.Mean, Weight = weight }, gradient: gradient).Loss;
        double lossD = Functional.CrossEntropy(
            x.Select(v => (double)v).ToArray(), y, 3, new CrossEntropyOptions<double> { Reduction = Reduction.Mean, Weight = new[] { 1.0, -1.0, 1.0 } }, gradient: gradientD).Loss;
        Assert.Equal(double.IsNaN(lossD), float.IsNaN(loss));
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(double.IsNaN(gradientD[i]), float.IsNaN(gradient[i]));
            if (!double.IsNaN(gradientD[i]))
            {
                Assert.Equal(Math.Sign(gradientD[i]), Math.Sign(gradient[i]));
                Assert.Equal(double.IsInfinity(gradientD[i]), float.IsInfinity(gradient[i]));
            }
        }
    }
}
