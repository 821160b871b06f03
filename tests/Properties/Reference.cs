using System;
using System.Collections.Generic;
using System.Linq;

namespace Xent.Properties;

/// <summary>
/// Straightforward float64 implementations written from the documented formulas, independent of the kernel's code
/// (scalar loops, Math.Exp/Math.Log, Neumaier sums), plus the coefficient sums the tolerances are derived from.
/// </summary>
public static class Reference
{
    /// <summary>Neumaier's compensated sum (infinities and NaN propagate as in a plain sum).</summary>
    public static double Sum(IEnumerable<double> values)
    {
        double sum = 0.0;
        double compensation = 0.0;
        foreach (double v in values)
        {
            double t = sum + v;
            compensation += Math.Abs(sum) >= Math.Abs(v) ? (sum - t) + v : (v - t) + sum;
            sum = t;
        }

        return double.IsFinite(sum) ? sum + compensation : sum;
    }

    /// <summary>log softmax of one row of finite values: (x − m) − log Σ exp(x − m).</summary>
    public static double[] LogSoftmaxRow(double[] row)
    {
        double m = row.Max();
        double logSum = Math.Log(Sum(row.Select(x => Math.Exp(x - m))));
        return row.Select(x => (x - m) - logSum).ToArray();
    }

    public static double LogSumExpRow(double[] row)
    {
        double m = row.Max();
        return m + Math.Log(Sum(row.Select(x => Math.Exp(x - m))));
    }

    /// <summary>Softmax along the class dimension of (outer, classes, inner) finite data.</summary>
    public static double[] SoftmaxOf(double[] logits, int outer, int classes, int inner)
    {
        var shape = new Problem(outer, classes, inner, logits, Array.Empty<int>(), 0, null, 0.0, logits);
        var result = new double[logits.Length];
        for (int p = 0; p < shape.Positions; p++)
        {
            double[] ls = LogSoftmaxRow(shape.Row(logits, p));
            for (int c = 0; c < classes; c++)
            {
                result[shape.At(p, c)] = Math.Exp(ls[c]);
            }
        }

        return result;
    }

    /// <summary>coefficient · (−log p), with the documented convention that a zero coefficient contributes 0.</summary>
    public static double Term(double coefficient, double negLogP) => coefficient == 0.0 ? 0.0 : coefficient * negLogP;

    /// <summary>
    /// ℓₙ = (1 − ε)·w[yₙ]·(−log pₙ[yₙ]) + (ε / C)·Σ_c w[c]·(−log pₙ[c]); 0 at ignored positions.
    /// </summary>
    public static double[] IndexCrossEntropy(Problem pr)
    {
        double eps = pr.LabelSmoothing;
        var result = new double[pr.Positions];
        for (int p = 0; p < pr.Positions; p++)
        {
            if (pr.IsIgnored(p))
            {
                continue;
            }

            double[] ls = LogSoftmaxRow(pr.Row(pr.Logits, p));
            int y = pr.Targets[p];
            double smooth = Sum(Enumerable.Range(0, pr.Classes).Select(c => Term(pr.Weight(c), -ls[c])));
            result[p] = ((1.0 - eps) * Term(pr.Weight(y), -ls[y])) + (eps / pr.Classes * smooth);
        }

        return result;
    }

    /// <summary>ℓₙ = −Σ_c w[c]·p′ₙ[c]·log softmax(xₙ)[c], p′ = (1 − ε)·p + ε / C.</summary>
    public static double[] ProbabilityCrossEntropy(Problem pr)
    {
        double eps = pr.LabelSmoothing;
        var result = new double[pr.Positions];
        for (int p = 0; p < pr.Positions; p++)
        {
            double[] ls = LogSoftmaxRow(pr.Row(pr.Logits, p));
            double[] q = pr.Row(pr.Probabilities, p);
            result[p] = Sum(Enumerable.Range(0, pr.Classes)
                .Select(c => Term(pr.Weight(c) * (((1.0 - eps) * q[c]) + (eps / pr.Classes)), -ls[c])));
        }

        return result;
    }

    /// <summary>Reduces per-position losses: None → themselves, Sum → Σ, Mean → Σ / normalizer.</summary>
    public static double[] Reduce(double[] perPosition, Reduction reduction, double normalizer) => reduction switch
    {
        Reduction.None => perPosition,
        Reduction.Sum => new[] { Sum(perPosition) },
        _ => new[] { Sum(perPosition) / normalizer },
    };

    /// <summary>H(p) = −Σ p log p with 0·log 0 = 0.</summary>
    public static double Entropy(double[] p) => Sum(p.Select(v => v == 0.0 ? 0.0 : -v * Math.Log(v)));

    /// <summary>KL(p ‖ q) = Σ p·(log p − log q), terms with p = 0 are 0; <paramref name="logQ"/> = log q.</summary>
    public static double KullbackLeibler(double[] p, double[] logQ) =>
        Sum(p.Select((v, c) => v == 0.0 ? 0.0 : v * (Math.Log(v) - logQ[c])));

    /// <summary>
    /// Per position, the sum of the non-negative coefficients a_c of ℓₙ = Σ_c a_c·(−log pₙ[c]) for index targets:
    /// (1 − ε)·w[yₙ] + (ε / C)·Σ_c w[c]; 0 at ignored positions. ℓₙ moves by at most (this sum) × (the largest
    /// change of any −log p), which is how errors in log-sum-exp or in the logits propagate to the loss.
    /// </summary>
    public static double[] IndexCoefficientSums(Problem pr)
    {
        double eps = pr.LabelSmoothing;
        double all = Enumerable.Range(0, pr.Classes).Sum(pr.Weight);
        return Enumerable.Range(0, pr.Positions)
            .Select(p => pr.IsIgnored(p) ? 0.0 : ((1.0 - eps) * pr.Weight(pr.Targets[p])) + (eps / pr.Classes * all))
            .ToArray();
    }

    /// <summary>Σ_c w[c]·p′ₙ[c] per position, for probability targets.</summary>
    public static double[] ProbabilityCoefficientSums(Problem pr)
    {
        double eps = pr.LabelSmoothing;
        return Enumerable.Range(0, pr.Positions)
            .Select(p => pr.Row(pr.Probabilities, p)
                .Select((q, c) => pr.Weight(c) * (((1.0 - eps) * q) + (eps / pr.Classes)))
                .Sum())
            .ToArray();
    }
}

/// <summary>Absolute error floors of losses, derived from the coefficient sums of <see cref="Reference"/>.</summary>
public static class Floors
{
    /// <summary>
    /// The absolute error of log Σ_c exp(x_c − m): the sum holds C terms in (0, 1], one of them exactly 1, so it lies
    /// in [1, C] and carries a relative error of at most ~C·u (u = 2^-53); since d(log S) = dS / S, log S is off by at
    /// most ~C·u in absolute terms whatever the scale of the logits. Two correct evaluations that sum in different
    /// orders (the kernel's vectorized sum, a permuted row, the test's scalar loop) can differ by twice that; 4·C·u is
    /// allowed. Every −log p the kernel produces inherits this absolute error, which matters when a loss is tiny
    /// (a dominant target class), where a purely relative tolerance would be too strict.
    /// </summary>
    public static double LogSum(int classes) => 4.0 * Math.Max(classes, 1) * Tolerance.UnitRoundoffDouble;

    /// <summary>
    /// Per-position floors <paramref name="perUnit"/> × coefficient sum, reduced like the losses: Sum adds them, Mean
    /// divides the total by the normalizer (Σ w[y] for index targets, the count for probability targets).
    /// </summary>
    public static double[] Reduced(double[] coefficientSums, double perUnit, Reduction reduction, double normalizer)
    {
        double[] each = coefficientSums.Select(a => a * perUnit).ToArray();
        return reduction switch
        {
            Reduction.None => each,
            Reduction.Sum => new[] { each.Sum() },
            _ => new[] { each.Sum() / normalizer },
        };
    }
}
