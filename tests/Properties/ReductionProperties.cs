using System;
using System.Linq;
using System.Numerics;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>How Sum and Mean relate to the per-position losses (Reduction.None), and what NLL is per position.</summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class ReductionProperties
{
    [Property]
    public void Sum_EqualsSumOfNone_Double(Case c) => SumIsSumOfNone<double>(c);

    [Property]
    public void Sum_EqualsSumOfNone_Float(Case c) => SumIsSumOfNone<float>(c);

    [Property]
    public void WeightedMean_EqualsSumOverSumOfTargetWeights_Double(Case c) => WeightedMean<double>(c);

    [Property]
    public void WeightedMean_EqualsSumOverSumOfTargetWeights_Float(Case c) => WeightedMean<float>(c);

    [Property]
    public void ProbabilityMean_EqualsSumOverPositionCount_Double(Case c) => ProbabilityMean<double>(c.Problem);

    [Property]
    public void ProbabilityMean_EqualsSumOverPositionCount_Float(Case c) => ProbabilityMean<float>(c.Problem);

    [Property]
    public void NllLoss_PerElement_IsMinusTargetWeightTimesTargetInput_Double(Case c) => NllPerElement<double>(c);

    [Property]
    public void NllLoss_PerElement_IsMinusTargetWeightTimesTargetInput_Float(Case c) => NllPerElement<float>(c);

    /// <summary>
    /// The per-position losses the reductions are checked against, in double: the kernel in T reduces its double
    /// per-position values and rounds the total once, so the law is Sum_T = round_T(Σ ℓ) with ℓ the double values.
    /// Summing the float None outputs instead would be wrong once a single term overflows float (10 × 3e38 = +∞)
    /// while the mean stays representable. That the float None outputs are those double values rounded once is
    /// <see cref="PrecisionProperties"/>' business.
    /// </summary>
    private static double[] IndexNone(Problem pr) => Run<double>.IndexCrossEntropy(pr, Reduction.None);

    private static double[] ProbabilityNone(Problem pr) => Run<double>.ProbabilityCrossEntropy(pr, Reduction.None);

    private static double[] NllNone(Problem pr) => Run<double>.NllLoss(pr, pr.Logits, Reduction.None);

    /// <summary>
    /// Per-position values are the double results rounded to T (u_T relative each) and the kernel's sum is the
    /// compensated double sum rounded once, so the two totals differ by at most u_T·Σ|ℓ| + u_T·|Σℓ|: 4·u_T·Σ|ℓ| is
    /// allowed. This matters for NLL of raw logits, whose terms have both signs and may cancel.
    /// </summary>
    private static double SumFloor<T>(double[] perPosition)
        where T : IFloatingPointIeee754<T> =>
        4.0 * Tolerance.UnitRoundoff<T>() * perPosition.Sum(Math.Abs);

    /// <summary>The float64 value rounded to T, as the kernel rounds its float64 result once (overflow gives ±∞).</summary>
    private static double InT<T>(double value)
        where T : IFloatingPointIeee754<T> =>
        double.CreateTruncating(T.CreateTruncating(value));

    private static void SumIsSumOfNone<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem clean = c.Problem.RoundedTo<T>();
        Problem pr = clean.PoisonIgnoredRows(c.PoisonValue);

        double[] index = IndexNone(pr);
        Tolerance.AssertClose(InT<T>(Reference.Sum(index)), Run<T>.IndexCrossEntropy(pr, Reduction.Sum)[0], Tol.Of<T>().WithFloor(SumFloor<T>(index)), "index CE: Sum vs Σ None");

        double[] probability = ProbabilityNone(clean);
        Tolerance.AssertClose(InT<T>(Reference.Sum(probability)), Run<T>.ProbabilityCrossEntropy(clean, Reduction.Sum)[0], Tol.Of<T>().WithFloor(SumFloor<T>(probability)), "probability CE: Sum vs Σ None");

        double[] nll = NllNone(pr);
        Tolerance.AssertClose(InT<T>(Reference.Sum(nll)), Run<T>.NllLoss(pr, pr.Logits, Reduction.Sum)[0], Tol.Of<T>().WithFloor(SumFloor<T>(nll)), "NLL of raw logits: Sum vs Σ None");
    }

    private static void WeightedMean<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>().PoisonIgnoredRows(c.PoisonValue);
        double sumW = pr.TargetWeightSum();
        foreach ((string name, double[] none, double mean) in new[]
        {
            ("index CE", IndexNone(pr), Run<T>.IndexCrossEntropy(pr, Reduction.Mean)[0]),
            ("NLL of raw logits", NllNone(pr), Run<T>.NllLoss(pr, pr.Logits, Reduction.Mean)[0]),
        })
        {
            if (sumW == 0.0)
            {
                // Documented: all targets ignored, an empty batch, or target weights summing to 0 give NaN.
                Tolerance.Require(double.IsNaN(mean), $"{name}: Mean with Σ w[y] = 0 should be NaN, got {Tolerance.R(mean)}");
                continue;
            }

            Tolerance.AssertClose(InT<T>(Reference.Sum(none) / sumW), mean, Tol.Of<T>().WithFloor(SumFloor<T>(none) / sumW), $"{name}: Mean vs Σ None / Σ w[y] (= {Tolerance.R(sumW)})");
        }
    }

    private static void ProbabilityMean<T>(Problem problem)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = problem.RoundedTo<T>();
        double[] none = ProbabilityNone(pr);
        double mean = Run<T>.ProbabilityCrossEntropy(pr, Reduction.Mean)[0];

        // Documented: the probability-target mean divides by the number of positions, whatever the weights;
        // an empty batch gives NaN (0/0).
        double expected = pr.Positions == 0 ? double.NaN : InT<T>(Reference.Sum(none) / pr.Positions);
        Tolerance.AssertClose(expected, mean, Tol.Of<T>().WithFloor(SumFloor<T>(none) / Math.Max(pr.Positions, 1)), $"probability CE: Mean vs Σ None / N (N = {pr.Positions})");
    }

    private static void NllPerElement<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>().PoisonIgnoredRows(c.PoisonValue);
        double[] nll = Run<T>.NllLoss(pr, pr.Logits, Reduction.None);
        for (int p = 0; p < pr.Positions; p++)
        {
            // Exact: ℓₙ = −w[yₙ]·xₙ[yₙ], one double product rounded once to T; exactly 0 at ignored positions,
            // whatever they hold.
            double expected = pr.IsIgnored(p)
                ? 0.0
                : double.CreateTruncating(T.CreateTruncating(pr.Weight(pr.Targets[p]) * -pr.Logits[pr.At(p, pr.Targets[p])]));
            Tolerance.AssertClose(expected, nll[p], Tol.Exact, $"NLL at position {p}");
        }
    }
}
