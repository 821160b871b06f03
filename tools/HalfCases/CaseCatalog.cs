using System;
using System.Collections.Generic;
using System.Linq;

namespace Xent.HalfCases;

/// <summary>
/// The cases, generated from one fixed seed: every run produces the same inputs, all of them exactly representable in
/// float16 (each is a multiple of a power of two small enough for float16's 11-bit significand at its magnitude).
/// </summary>
internal sealed class CaseCatalog
{
    /// <summary>The seed of <see cref="Random"/> (whose seeded sequence is fixed across .NET versions).</summary>
    public const int Seed = 20261124;

    private static readonly string[] Reductions = ["mean", "sum", "none"];

    private readonly Random _random = new(Seed);
    private readonly List<HalfCase> _cases = [];

    private CaseCatalog()
    {
    }

    /// <summary>Every case, in file order.</summary>
    public static IReadOnlyList<HalfCase> Build()
    {
        var catalog = new CaseCatalog();
        catalog.CrossEntropyIndex();
        catalog.CrossEntropyProbabilities();
        catalog.NllLoss();
        catalog.Normalizers();
        catalog.BceWithLogits();
        catalog.KlDiv();
        return catalog._cases;
    }

    /// <summary>
    /// Numbers the case and appends it. Cases of 1000 elements or more leave out libtorch's float32 gradient, which no
    /// test reads, to keep the file under 2 MB.
    /// </summary>
    private void Add(HalfCase golden) => _cases.Add(golden with
    {
        Id = $"{golden.Id}_{_cases.Count + 1:D4}",
        WithFloat32Gradient = golden.Input.Data.Length < 1000,
    });

    /// <summary>
    /// Index targets over 1, 3, 10, 1000 and 32000 classes, logits of scale 1, 8 and 60, the three reductions, and in
    /// turn: nothing else, class weights, label smoothing, weights with smoothing and ignored targets, and an
    /// ignore_index that is a real class.
    /// </summary>
    private void CrossEntropyIndex()
    {
        (int Rows, int Classes)[] shapes = [(4, 1), (1, 3), (5, 3), (2, 10), (8, 10)];
        int variant = 0;
        foreach ((int rows, int classes) in shapes)
        {
            foreach (double scale in new[] { 1.0, 8.0, 60.0 })
            {
                foreach (string reduction in Reductions)
                {
                    int v = variant++ % 5;
                    int ignoreIndex = v == 4 ? Math.Min(1, classes - 1) : -100;
                    bool ignoreSome = v is 3 or 4;
                    Add(IndexCase("ce_index", [rows, classes], scale, reduction,
                        weighted: v is 1 or 3, labelSmoothing: v switch { 2 => 0.1, 3 => 0.25, _ => 0.0 }, ignoreIndex, ignoreSome));
                }
            }
        }

        Add(IndexCase("ce_index", [1, 1000], 8.0, "mean", weighted: true, labelSmoothing: 0.1, -100, ignoreSome: false));
        Add(IndexCase("ce_index", [1, 1000], 60.0, "none", weighted: false, labelSmoothing: 0.0, -100, ignoreSome: false));

        // (N, C, d): class dimension 1 with a trailing spatial dimension, as PyTorch's K-dimensional loss.
        Add(IndexCase("ce_kdim", [2, 10, 3], 8.0, "mean", weighted: true, labelSmoothing: 0.0, -100, ignoreSome: true));
        Add(IndexCase("ce_kdim", [2, 3, 4], 1.0, "none", weighted: false, labelSmoothing: 0.2, -100, ignoreSome: false));

        // A language-model vocabulary: one row of 32000 logits, on a grid of 1/16 and without label smoothing (whose
        // ε/C term would make every float16 gradient a long subnormal number) to keep the file small.
        Add(IndexCase("ce_vocab", [1, 32000], 16.0, "mean", weighted: false, labelSmoothing: 0.0, -100, ignoreSome: false, step: 1.0 / 16));
    }

    private HalfCase IndexCase(
        string family, long[] shape, double scale, string reduction, bool weighted, double labelSmoothing, int ignoreIndex, bool ignoreSome, double? step = null)
    {
        int classes = (int)shape[1];
        long[] targetShape = [shape[0], .. shape[2..]];
        int positions = (int)targetShape.Aggregate(1L, (a, b) => a * b);
        var targets = new double[positions];
        for (int p = 0; p < positions; p++)
        {
            targets[p] = ignoreSome && p % 3 == 1 ? ignoreIndex : _random.Next(classes);
        }

        if (ignoreIndex >= 0 && positions > 1)
        {
            targets[0] = ignoreIndex;
        }

        return new HalfCase
        {
            Id = family,
            Op = "cross_entropy",
            Input = Logits(shape, scale, step),
            TargetKind = "index",
            Target = new Values(targetShape, targets),
            Weight = weighted ? Weights(classes) : null,
            IgnoreIndex = ignoreIndex,
            Reduction = reduction,
            LabelSmoothing = labelSmoothing,
            GradOutput = reduction == "none" ? GradOutput(targetShape) : null,
        };
    }

    /// <summary>Probability targets (rows of random probabilities, some with zeros) with weights and label smoothing in turn.</summary>
    private void CrossEntropyProbabilities()
    {
        (int Rows, int Classes)[] shapes = [(1, 3), (4, 10), (3, 1)];
        int variant = 0;
        foreach ((int rows, int classes) in shapes)
        {
            foreach (double scale in new[] { 1.0, 8.0, 60.0 })
            {
                foreach (string reduction in new[] { Reductions[variant % 3], Reductions[(variant + 1) % 3] })
                {
                    int v = variant++ % 4;
                    Add(ProbabilityCase([rows, classes], scale, reduction, weighted: v is 1 or 3, labelSmoothing: v switch { 2 => 0.1, 3 => 0.2, _ => 0.0 }));
                }
            }
        }

        Add(ProbabilityCase([1, 1000], 8.0, "mean", weighted: true, labelSmoothing: 0.0));
    }

    private HalfCase ProbabilityCase(long[] shape, double scale, string reduction, bool weighted, double labelSmoothing)
    {
        int classes = (int)shape[1];
        return new HalfCase
        {
            Id = "ce_prob",
            Op = "cross_entropy",
            Input = Logits(shape, scale),
            TargetKind = "probabilities",
            Target = new Values(shape, ProbabilityRows((int)shape[0], classes)),
            Weight = weighted ? Weights(classes) : null,
            IgnoreIndex = -100,
            Reduction = reduction,
            LabelSmoothing = labelSmoothing,
            GradOutput = reduction == "none" ? GradOutput([shape[0]]) : null,
        };
    }

    /// <summary>NLL of log-probabilities (log-softmax of logits of scale 1 and 60); every third target is ignored (-100).</summary>
    private void NllLoss()
    {
        (int Rows, int Classes)[] shapes = [(1, 3), (5, 10), (4, 1)];
        int variant = 0;
        foreach ((int rows, int classes) in shapes)
        {
            foreach (double scale in new[] { 1.0, 60.0 })
            {
                foreach (string reduction in Reductions)
                {
                    Add(NllCase(rows, classes, scale, reduction, weighted: variant++ % 2 == 1));
                }
            }
        }

        Add(NllCase(1, 1000, 8.0, "mean", weighted: true));
        Add(NllCase(2, 1000, 8.0, "none", weighted: false));
    }

    private HalfCase NllCase(int rows, int classes, double scale, string reduction, bool weighted)
    {
        var targets = new double[rows];
        for (int n = 0; n < rows; n++)
        {
            targets[n] = n % 3 == 1 ? -100 : _random.Next(classes);
        }

        return new HalfCase
        {
            Id = "nll",
            Op = "nll_loss",
            Input = new Values([rows, classes], LogProbabilityRows(rows, classes, scale)),
            TargetKind = "index",
            Target = new Values([rows], targets),
            Weight = weighted ? Weights(classes) : null,
            IgnoreIndex = -100,
            Reduction = reduction,
            GradOutput = reduction == "none" ? GradOutput([rows]) : null,
        };
    }

    /// <summary>log_softmax, softmax and logsumexp over the last and a middle dimension, at scales 1 and 60, and one row of 1000.</summary>
    private void Normalizers()
    {
        (long[] Shape, int Dim)[] layouts = [([3, 1], 1), ([2, 3], 1), ([4, 10], 1), ([2, 4, 3], 1), ([2, 4, 3], 2)];
        foreach (string op in new[] { "log_softmax", "softmax", "logsumexp" })
        {
            foreach ((long[] shape, int dim) in layouts)
            {
                foreach (double scale in new[] { 1.0, 60.0 })
                {
                    Add(NormalizerCase(op, shape, dim, scale));
                }
            }

            Add(NormalizerCase(op, [1, 1000], 1, 8.0));
        }
    }

    private HalfCase NormalizerCase(string op, long[] shape, int dim, double scale)
    {
        long[] outputShape = op == "logsumexp" ? [.. shape.Where((_, d) => d != dim)] : shape;
        return new HalfCase
        {
            Id = op,
            Op = op,
            Input = Logits(shape, scale),
            Dim = dim,
            GradOutput = GradOutput(outputShape),
        };
    }

    /// <summary>
    /// BCE with logits over (4), (3, 5) and (2, 3, 4) at scales 1, 8 and 60, the three reductions, with hard and soft
    /// targets, and in turn: nothing else, weights of the last dimension, pos_weight, both, and per-element weights.
    /// </summary>
    private void BceWithLogits()
    {
        long[][] shapes = [[4], [3, 5], [2, 3, 4]];
        int variant = 0;
        foreach (long[] shape in shapes)
        {
            int count = (int)shape.Aggregate(1L, (a, b) => a * b);
            int last = (int)shape[^1];
            foreach (double scale in new[] { 1.0, 8.0, 60.0 })
            {
                foreach (string reduction in Reductions)
                {
                    int v = variant++ % 5;
                    var target = new double[count];
                    for (int i = 0; i < count; i++)
                    {
                        target[i] = v % 2 == 0 ? _random.Next(2) : Quantize(_random.NextDouble(), 1.0 / 2048);
                    }

                    Add(new HalfCase
                    {
                        Id = "bce_logits",
                        Op = "binary_cross_entropy_with_logits",
                        Input = Logits(shape, scale),
                        TargetKind = "probabilities",
                        Target = new Values(shape, target),
                        Weight = v switch { 1 or 3 => Weights(last), 4 => Weights(count), _ => null },
                        PosWeight = v is 2 or 3 ? Weights(last) : null,
                        Reduction = reduction,
                        GradOutput = reduction == "none" ? GradOutput(shape) : null,
                    });
                }
            }
        }
    }

    /// <summary>KL divergence of log-probabilities from probabilities or log-probabilities, every reduction.</summary>
    private void KlDiv()
    {
        (int Rows, int Classes)[] shapes = [(4, 6), (2, 10)];
        foreach ((int rows, int classes) in shapes)
        {
            foreach (bool logTarget in new[] { false, true })
            {
                foreach (string reduction in new[] { "none", "mean", "sum", "batchmean" })
                {
                    Add(KlDivCase(rows, classes, logTarget, reduction, scale: logTarget ? 8.0 : 1.0));
                }
            }
        }

        Add(KlDivCase(1, 1000, logTarget: false, "sum", scale: 8.0));
    }

    private HalfCase KlDivCase(int rows, int classes, bool logTarget, string reduction, double scale)
    {
        double[] target = logTarget ? LogProbabilityRows(rows, classes, scale) : ProbabilityRows(rows, classes);
        return new HalfCase
        {
            Id = "kl_div",
            Op = "kl_div",
            Input = new Values([rows, classes], LogProbabilityRows(rows, classes, scale)),
            TargetKind = "probabilities",
            Target = new Values([rows, classes], target),
            Reduction = reduction,
            LogTarget = logTarget,
            GradOutput = reduction == "none" ? GradOutput([rows, classes]) : null,
        };
    }

    /// <summary>
    /// Logits uniform in [-scale, scale] on a grid of <paramref name="step"/> (default 2^(⌈log2 scale⌉ − 10), the
    /// float16 spacing just below 2·scale); the first element of a row of three or more is pinned at ±scale so the
    /// extremes occur.
    /// </summary>
    private Values Logits(long[] shape, double scale, double? step = null)
    {
        double grid = step ?? Math.ScaleB(1.0, (int)Math.Ceiling(Math.Log2(scale)) - 10);
        int count = (int)shape.Aggregate(1L, (a, b) => a * b);
        var data = new double[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = Quantize((2 * _random.NextDouble() - 1) * scale, grid);
        }

        if (count >= 3)
        {
            data[0] = Quantize(scale, grid);
            data[count - 1] = -data[0];
        }

        return new Values(shape, data);
    }

    /// <summary>Rows of log-probabilities: the log-softmax of logits of <paramref name="scale"/>, quantized to 1/256 (1/32 below −8, 1/16 below −64).</summary>
    private double[] LogProbabilityRows(int rows, int classes, double scale)
    {
        double[] logits = Logits([rows, classes], scale).Data;
        var result = new double[logits.Length];
        for (int n = 0; n < rows; n++)
        {
            ReadOnlySpan<double> row = logits.AsSpan(n * classes, classes);
            double max = double.NegativeInfinity;
            foreach (double x in row)
            {
                max = Math.Max(max, x);
            }

            double sum = 0.0;
            foreach (double x in row)
            {
                sum += Math.Exp(x - max);
            }

            for (int c = 0; c < classes; c++)
            {
                double logProbability = row[c] - max - Math.Log(sum);
                result[n * classes + c] = Quantize(logProbability, logProbability > -8 ? 1.0 / 256 : logProbability > -64 ? 1.0 / 32 : 1.0 / 16);
            }
        }

        return result;
    }

    /// <summary>Rows of probabilities on a grid of 2⁻¹¹, summing to about 1 (not exactly: PyTorch does not ask it); about one in six is 0.</summary>
    private double[] ProbabilityRows(int rows, int classes)
    {
        var result = new double[rows * classes];
        for (int n = 0; n < rows; n++)
        {
            var raw = new double[classes];
            for (int c = 0; c < classes; c++)
            {
                raw[c] = _random.Next(6) == 0 && classes > 1 ? 0.0 : Math.Exp(4 * _random.NextDouble() - 2);
            }

            double sum = raw.Sum();
            for (int c = 0; c < classes; c++)
            {
                result[n * classes + c] = sum == 0.0 ? 0.0 : Quantize(raw[c] / sum, 1.0 / 2048);
            }
        }

        return result;
    }

    /// <summary>Weights in [0.25, 2] on a grid of 1/16.</summary>
    private double[] Weights(int count)
    {
        var weights = new double[count];
        for (int i = 0; i < count; i++)
        {
            weights[i] = Quantize(0.25 + 1.75 * _random.NextDouble(), 1.0 / 16);
        }

        return weights;
    }

    /// <summary>An upstream gradient in [-2, 2] on a grid of 1/64.</summary>
    private Values GradOutput(long[] shape)
    {
        int count = (int)shape.Aggregate(1L, (a, b) => a * b);
        var data = new double[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = Quantize(4 * _random.NextDouble() - 2, 1.0 / 64);
        }

        return new Values(shape, data);
    }

    /// <summary>The multiple of <paramref name="step"/> nearest <paramref name="value"/>, checked to be a float16 value.</summary>
    private static double Quantize(double value, double step)
    {
        double q = Math.Round(value / step) * step + 0.0; // + 0.0 turns −0 into +0
        if ((double)(Half)q != q)
        {
            throw new InvalidOperationException($"{q:R} (grid {step:R}) is not a float16 value.");
        }

        return q;
    }
}
