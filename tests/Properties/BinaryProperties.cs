using System;
using System.Globalization;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>An element-wise case: logits (or probabilities), targets, weights and positive weights broadcast along a last dimension.</summary>
public sealed record BinaryCase(double[] Logits, double[] Targets, double[]? Weight, double[]? PosWeight, int LastDimension, int Scale)
{
    public int Count => Logits.Length;

    public int Rows => LastDimension == 0 ? 0 : Count / LastDimension;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"BinaryCase(n={Count}, last={LastDimension}, scale={Scale}, x=[{string.Join(", ", Logits.Select(Tolerance.R))}], t=[{string.Join(", ", Targets.Select(Tolerance.R))}], w={(Weight is null ? "none" : "[" + string.Join(", ", Weight.Select(Tolerance.R)) + "]")}, pw={(PosWeight is null ? "none" : "[" + string.Join(", ", PosWeight.Select(Tolerance.R)) + "]")})");
}

/// <summary>Generators for <see cref="BinaryCase"/>: logits on a power-of-two grid at scales 1, 16 and 2^14, targets in [0, 1] (often exactly 0 or 1).</summary>
public class BinaryGenerators
{
    public static Arbitrary<BinaryCase> Cases() => Arb.From(CaseGen());

    private static Gen<double> Grid(int exponent) => Gen.Choose(-(1 << 20), 1 << 20).Select(k => Math.ScaleB(k, exponent - 20));

    private static Gen<BinaryCase> CaseGen() =>
        from last in Gen.Choose(1, 6)
        from rows in Gen.Frequency((1, Gen.Constant(0)), (9, Gen.Choose(1, 8)))
        from scale in Gen.Elements(0, 4, 14)
        from logits in Gen.ArrayOf(Grid(scale), rows * last)
        from targets in Gen.ArrayOf(Gen.Frequency((2, Gen.Elements(0.0, 1.0)), (3, Gen.Choose(0, 1 << 16).Select(k => Math.ScaleB(k, -16)))), rows * last)
        from weightKind in Gen.Choose(0, 2)
        from weight in Gen.ArrayOf(Gen.Choose(0, 64).Select(k => k / 16.0), weightKind == 1 ? rows * last : last)
        from hasPosWeight in Gen.Elements(false, true)
        from posWeight in Gen.ArrayOf(Gen.Choose(0, 64).Select(k => k / 16.0), last)
        select new BinaryCase(logits, targets, weightKind == 0 ? null : weight, hasPosWeight ? posWeight : null, last, scale);
}

/// <summary>Laws of binary cross entropy (on logits and on probabilities) and of the KL-divergence loss.</summary>
[Properties(Arbitrary = new[] { typeof(BinaryGenerators) })]
public class BinaryProperties
{
    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    private static double[] BceWithLogitsNone(BinaryCase c)
    {
        var losses = new double[c.Count];
        Functional.BinaryCrossEntropyWithLogits(c.Logits, c.Targets, Reduction.None, c.Weight, c.PosWeight, losses: losses);
        return losses;
    }

    /// <summary>
    /// σ(x) = softmax([0, x])[1], so BCE with logits x and target t is cross entropy of the logits [0, x] with the
    /// probability target [1 − t, t]; a weight w multiplies both, and pos_weight pw weighs the target: [1 − t, pw·t].
    /// Both sides are computed in double from the same exponentials up to rounding: 1e-12 relative, with an absolute
    /// floor of 1e-12 times the logit's scale (the loss can be a difference of terms of that size).
    /// </summary>
    [Property]
    public void BceWithLogits_EqualsTwoClassCrossEntropyOnZeroAndX(BinaryCase c)
    {
        double[] bce = BceWithLogitsNone(c);
        for (int i = 0; i < c.Count; i++)
        {
            double w = c.Weight is null ? 1 : c.Weight[i % c.Weight.Length];
            double pw = c.PosWeight is null ? 1 : c.PosWeight[i % c.PosWeight.Length];
            double[] target = [1 - c.Targets[i], pw * c.Targets[i]];
            double ce = w * Functional.CrossEntropyProbabilities([0.0, c.Logits[i]], target, 2, new CrossEntropyOptions<double> { Reduction = Reduction.Sum }).Loss;
            Tolerance.AssertClose(ce, bce[i], Tol.Double.WithFloor(1e-12 * Math.Max(1, Math.Abs(c.Logits[i]))), $"element {i} of {c}");
        }
    }

    /// <summary>
    /// For moderate logits (|x| ≤ 16) BCE of σ(x) equals BCE with logits x. σ(x) is rounded in double, and
    /// log(1 − σ(x)) then carries a relative error up to ~u/(1 − σ) ≤ 2^-53·e^16 ≈ 1e-9: 1e-8 relative, 1e-9 absolute.
    /// </summary>
    [Property]
    public void BceWithLogits_EqualsBceOfSigmoid_ForModerateLogits(BinaryCase c)
    {
        if (c.Scale > 4)
        {
            return;
        }

        double[] probabilities = c.Logits.Select(Sigmoid).ToArray();
        var onProbabilities = new double[c.Count];
        var onLogits = new double[c.Count];
        Functional.BinaryCrossEntropy(probabilities, c.Targets, Reduction.None, c.Weight, losses: onProbabilities);
        Functional.BinaryCrossEntropyWithLogits(c.Logits, c.Targets, Reduction.None, c.Weight, losses: onLogits);
        Tolerance.AssertAllClose(onLogits, onProbabilities, new Tol(1e-8, 1e-9), c.ToString());
    }

    /// <summary>Stable at every scale: finite, non-negative for t in [0, 1] and non-negative weights, and ≥ the exact bound max(x, 0)·(1 − t)… in its limit form.</summary>
    [Property]
    public void BceWithLogits_IsFiniteAndNonNegative_AtEveryScale(BinaryCase c)
    {
        double[] losses = BceWithLogitsNone(c);
        Tolerance.Require(losses.All(l => double.IsFinite(l) && l >= 0), $"a loss is negative or not finite: [{string.Join(", ", losses.Select(Tolerance.R))}] for {c}");
    }

    /// <summary>Without weights, ∂ℓ/∂x = σ(x) − t exactly as a formula; 1e-12 relative with an absolute floor of 1e-15.</summary>
    [Property]
    public void BceWithLogits_GradientIsSigmoidMinusTarget(BinaryCase c)
    {
        var gradient = new double[c.Count];
        Functional.BinaryCrossEntropyWithLogits(c.Logits, c.Targets, Reduction.Sum, gradient: gradient);
        double[] expected = c.Logits.Select((x, i) => Sigmoid(x) - c.Targets[i]).ToArray();
        Tolerance.AssertAllClose(expected, gradient, Tol.Double, c.ToString());
    }

    /// <summary>Sum equals the sum of the per-element losses and Mean equals Sum / n, for BCE with logits, BCE and KL divergence.</summary>
    [Property]
    public void Sum_EqualsSumOfNone_AndMean_EqualsSumOverCount(BinaryCase c)
    {
        double[] none = BceWithLogitsNone(c);
        double sum = Functional.BinaryCrossEntropyWithLogits(c.Logits, c.Targets, Reduction.Sum, c.Weight, c.PosWeight);
        double mean = Functional.BinaryCrossEntropyWithLogits(c.Logits, c.Targets, Reduction.Mean, c.Weight, c.PosWeight);
        Tolerance.AssertClose(none.Sum(), sum, Tol.Double.WithFloor(1e-15 * none.Sum(Math.Abs)), $"BCE sum of {c}");
        if (c.Count == 0)
        {
            Tolerance.Require(double.IsNaN(mean) && sum == 0, $"empty input: mean {mean}, sum {sum}");
            return;
        }

        Tolerance.AssertClose(sum / c.Count, mean, Tol.Double, $"BCE mean of {c}");

        double[] logQ = LogSoftmaxRows(c);
        double[] p = SoftmaxRows(c.Targets, c.LastDimension);
        var kl = new double[c.Count];
        Functional.KlDiv(logQ, p, Reduction.None, losses: kl);
        double klSum = Functional.KlDiv(logQ, p, Reduction.Sum);
        Tolerance.AssertClose(kl.Sum(), klSum, Tol.Double.WithFloor(1e-15 * kl.Sum(Math.Abs)), $"KL sum of {c}");
        Tolerance.AssertClose(klSum / c.Count, Functional.KlDiv<double>(logQ, p, Reduction.Mean), Tol.Double, $"KL mean of {c}");
        Tolerance.AssertClose(klSum / c.Rows, Functional.KlDiv<double>(logQ, p, Reduction.BatchMean, batchSize: c.Rows), Tol.Double, $"KL batchmean of {c}");
    }

    /// <summary>
    /// With rows that are distributions (q = softmax of the logits, p = softmax of the targets), batchmean is the mean
    /// over rows of KL(p ‖ q) ≥ 0, which is 0 for q = p. Rounding of log q allows −1e-12 relative to the row's scale.
    /// </summary>
    [Property]
    public void KlDiv_OfDistributions_IsNonNegative_AndZeroForEqualRows(BinaryCase c)
    {
        if (c.Count == 0)
        {
            return;
        }

        double[] logQ = LogSoftmaxRows(c);
        double[] p = SoftmaxRows(c.Targets, c.LastDimension);
        double klValue = Functional.KlDiv<double>(logQ, p, Reduction.BatchMean, batchSize: c.Rows);
        double scale = logQ.Select(v => Math.Abs(v)).Max();
        Tolerance.AssertAtLeast(klValue, 0.0, new Tol(0, 1e-12 * Math.Max(1, scale)), $"KL of {c}");

        double[] logP = p.Select(v => Math.Log(v)).ToArray();
        double self = Functional.KlDiv<double>(logP, p, Reduction.BatchMean, batchSize: c.Rows);
        Tolerance.AssertClose(0.0, self, new Tol(0, 1e-15), $"KL(p‖p) of {c}");
    }

    /// <summary>log_target = true with log t gives the probability-target loss with t, value and gradient (1e-12 relative: exp(log t) rounds).</summary>
    [Property]
    public void KlDiv_LogTarget_EqualsProbabilityTarget(BinaryCase c)
    {
        double[] logQ = LogSoftmaxRows(c);
        double[] p = SoftmaxRows(c.Targets, c.LastDimension);
        double[] logP = p.Select(v => Math.Log(v)).ToArray();
        var g1 = new double[c.Count];
        var g2 = new double[c.Count];
        double a = Functional.KlDiv(logQ, p, Reduction.Sum, gradient: g1);
        double b = Functional.KlDiv(logQ, logP, Reduction.Sum, logTarget: true, gradient: g2);
        Tolerance.AssertClose(a, b, Tol.Double.WithFloor(1e-13 * Math.Max(1, logQ.Sum(Math.Abs))), $"value of {c}");
        Tolerance.AssertAllClose(g1, g2, Tol.Double, $"gradient of {c}");
    }

    /// <summary>
    /// Central finite differences in double of the weighted, pos-weighted BCE with logits (|x| ≤ 16), of BCE on
    /// probabilities in [0.05, 0.95], and of KL divergence. h = 1e-6: truncation ~h²·|ℓ'''| ≤ 1e-12·w·pw, rounding
    /// ~u·|ℓ|/h ≤ 1e-10·|ℓ|; allowed 1e-6 relative with a floor of 1e-7.
    /// </summary>
    [Property]
    public void Gradients_MatchFiniteDifferences(BinaryCase c)
    {
        if (c.Scale > 4 || c.Count == 0)
        {
            return;
        }

        Check(c.Logits, x => Functional.BinaryCrossEntropyWithLogits<double>(x, c.Targets, Reduction.Mean, c.Weight, c.PosWeight),
            (x, g) => Functional.BinaryCrossEntropyWithLogits(x, c.Targets, Reduction.Mean, c.Weight, c.PosWeight, gradient: g), "BCE with logits");

        double[] probabilities = c.Logits.Select(x => 0.05 + 0.9 * Sigmoid(x)).ToArray();
        Check(probabilities, x => Functional.BinaryCrossEntropy<double>(x, c.Targets, Reduction.Sum, c.Weight),
            (x, g) => Functional.BinaryCrossEntropy(x, c.Targets, Reduction.Sum, c.Weight, gradient: g), "BCE");

        double[] p = SoftmaxRows(c.Targets, c.LastDimension);
        Check(c.Logits, x => Functional.KlDiv<double>(x, p, Reduction.BatchMean, batchSize: c.Rows),
            (x, g) => Functional.KlDiv(x, p, Reduction.BatchMean, batchSize: c.Rows, gradient: g), "KL");

        void Check(double[] x, Func<double[], double> f, Func<double[], double[], double> withGradient, string what)
        {
            var gradient = new double[x.Length];
            double value = withGradient(x, gradient);
            Tolerance.Require(value.Equals(f(x)), $"{what}: the value with gradient differs from the loss-only value for {c}");
            const double h = 1e-6;
            for (int i = 0; i < x.Length; i++)
            {
                double[] plus = (double[])x.Clone();
                double[] minus = (double[])x.Clone();
                plus[i] += h;
                minus[i] -= h;
                double numeric = (f(plus) - f(minus)) / (2 * h);
                Tolerance.AssertClose(numeric, gradient[i], new Tol(1e-6, 1e-7), $"{what} ∂/∂x[{i}] of {c}");
            }
        }
    }

    /// <summary>Row-wise log-softmax of the case's logits (rows of the last dimension), through the kernel.</summary>
    private static double[] LogSoftmaxRows(BinaryCase c)
    {
        var result = new double[c.Count];
        if (c.Count > 0)
        {
            Functional.LogSoftmax<double>(c.Logits, result, c.LastDimension);
        }

        return result;
    }

    private static double[] SoftmaxRows(double[] values, int last)
    {
        var result = new double[values.Length];
        if (values.Length > 0)
        {
            Functional.Softmax<double>(values, result, last);
        }

        return result;
    }
}
