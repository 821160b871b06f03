using System;
using System.Linq;
using System.Numerics;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>
/// Laws of cross entropy with index and probability targets. Tolerances for losses are Tol.Double / Tol.Float plus an
/// absolute floor of (coefficient sum) × (largest possible error of one −log p), see <see cref="Floors"/>.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class CrossEntropyProperties
{
    [Property]
    public void CrossEntropy_IsShiftInvariant_Double(Case c) => ShiftInvariant<double>(c);

    [Property]
    public void CrossEntropy_IsShiftInvariant_Float(Case c) => ShiftInvariant<float>(c);

    [Property]
    public void CrossEntropy_IsAtLeastEntropyOfTarget_Double(Case c)
    {
        Problem pr = c.Problem with { Weights = null, LabelSmoothing = 0.0 };
        double[] ce = Run<double>.ProbabilityCrossEntropy(pr, Reduction.None);
        for (int p = 0; p < pr.Positions; p++)
        {
            double entropy = Reference.Entropy(pr.Row(pr.Probabilities, p));

            // Gibbs' inequality H(p, q) ≥ H(p), with equality at q = p (ProbabilityKind.SoftmaxOfLogits makes the
            // bound tight). The coefficients p sum to 1, so the kernel's −log q error (Floors.LogSum) enters once.
            Tolerance.AssertAtLeast(ce[p], entropy, Tol.Double.WithFloor(Floors.LogSum(pr.Classes)), $"H(p, q) vs H(p) at row {p}");
        }
    }

    [Property]
    public void CrossEntropy_EqualsEntropyPlusKl_Double(Case c)
    {
        Problem pr = c.Problem with { Weights = null, LabelSmoothing = 0.0 };
        double[] ce = Run<double>.ProbabilityCrossEntropy(pr, Reduction.None);
        for (int p = 0; p < pr.Positions; p++)
        {
            double[] target = pr.Row(pr.Probabilities, p);
            double[] logQ = Reference.LogSoftmaxRow(pr.Row(pr.Logits, p));
            double entropy = Reference.Entropy(target);
            double kl = Reference.KullbackLeibler(target, logQ);

            // The KL sum has terms of both signs; computed with compensated summation its error is a few u times the
            // sum of |terms| ≤ H + H(p, q). Plus the log-sum floor on each side.
            double floor = Floors.LogSum(pr.Classes) + (8.0 * Tolerance.UnitRoundoffDouble * (entropy + Math.Abs(kl) + Math.Abs(ce[p])));
            Tolerance.AssertClose(entropy + kl, ce[p], Tol.Double.WithFloor(floor), $"H(p) + KL(p‖q) vs H(p, q) at row {p}");
        }
    }

    [Property]
    public void IndexTargets_EqualOneHotTargets_PerElementAndSum_Double(Case c) => IndexEqualsOneHot<double>(c.Problem);

    [Property]
    public void IndexTargets_EqualOneHotTargets_PerElementAndSum_Float(Case c) => IndexEqualsOneHot<float>(c.Problem);

    [Property]
    public void IndexMeanTimesTargetWeightSum_EqualsProbabilityMeanTimesCount_Double(Case c) => MeanNormalizers<double>(c.Problem);

    [Property]
    public void IndexMeanTimesTargetWeightSum_EqualsProbabilityMeanTimesCount_Float(Case c) => MeanNormalizers<float>(c.Problem);

    [Property]
    public void CrossEntropy_EqualsNllOfLogSoftmax_Double(Case c) => EqualsNllOfLogSoftmax<double>(c);

    [Property]
    public void CrossEntropy_EqualsNllOfLogSoftmax_Float(Case c) => EqualsNllOfLogSoftmax<float>(c);

    [Property]
    public void SmoothedCrossEntropy_EqualsMixtureOfNllOfLogSoftmax_Double(Case c)
    {
        Problem pr = c.Problem.PoisonIgnoredRows(c.PoisonValue);
        double eps = pr.LabelSmoothing;
        double[] ls = Run<double>.LogSoftmax(pr);
        double[] nll = Run<double>.NllLoss(pr, ls, Reduction.None);
        var expected = new double[pr.Positions];
        for (int p = 0; p < pr.Positions; p++)
        {
            if (pr.IsIgnored(p))
            {
                continue;
            }

            // Σ_c w[c]·(−log_softmax[c]): the NLL of every class at this position.
            double everyClass = Reference.Sum(Enumerable.Range(0, pr.Classes).Select(k => Reference.Term(pr.Weight(k), -ls[pr.At(p, k)])));
            expected[p] = ((1.0 - eps) * nll[p]) + (eps / pr.Classes * everyClass);
        }

        double[] coefficients = Reference.IndexCoefficientSums(pr);
        double sumW = pr.TargetWeightSum();
        foreach (Reduction reduction in Run<double>.AllReductions)
        {
            double[] want = reduction switch
            {
                Reduction.None => expected,
                Reduction.Sum => new[] { Reference.Sum(expected) },

                // Documented: weights summing to zero over the non-ignored targets give NaN (also for an empty batch).
                _ => new[] { sumW == 0.0 ? double.NaN : Reference.Sum(expected) / sumW },
            };
            Tolerance.AssertAllClose(
                want,
                Run<double>.IndexCrossEntropy(pr, reduction),
                Tol.Double,
                $"smoothed CE vs (1 − ε)·NLL(log_softmax) + ε/C·Σ_c NLL_c, {reduction}",
                Floors.Reduced(coefficients, Floors.LogSum(pr.Classes), reduction, sumW));
        }
    }

    [Property]
    public void LabelSmoothing_IsMixtureWithUniformTarget_Double(Case c)
    {
        Problem pr = c.Problem;
        double eps = pr.LabelSmoothing;
        Problem plain = pr with { LabelSmoothing = 0.0 };
        Problem uniform = plain with { Probabilities = Enumerable.Repeat(1.0 / pr.Classes, pr.Logits.Length).ToArray() };
        double[] towardUniform = Run<double>.ProbabilityCrossEntropy(uniform, Reduction.None);

        double[] index = Run<double>.IndexCrossEntropy(pr, Reduction.None);
        double[] indexPlain = Run<double>.IndexCrossEntropy(plain, Reduction.None);
        double[] indexExpected = Enumerable.Range(0, pr.Positions)
            .Select(p => pr.IsIgnored(p) ? 0.0 : ((1.0 - eps) * indexPlain[p]) + (eps * towardUniform[p]))
            .ToArray();
        Tolerance.AssertAllClose(
            indexExpected,
            index,
            Tol.Double,
            "index CE_ε vs (1 − ε)·CE_0 + ε·CE(uniform)",
            Reference.IndexCoefficientSums(pr).Select(a => a * Floors.LogSum(pr.Classes)).ToArray());

        double[] probability = Run<double>.ProbabilityCrossEntropy(pr, Reduction.None);
        double[] probabilityPlain = Run<double>.ProbabilityCrossEntropy(plain, Reduction.None);
        double[] probabilityExpected = probabilityPlain.Select((v, p) => ((1.0 - eps) * v) + (eps * towardUniform[p])).ToArray();
        Tolerance.AssertAllClose(
            probabilityExpected,
            probability,
            Tol.Double,
            "probability CE_ε vs (1 − ε)·CE_0 + ε·CE(uniform)",
            Reference.ProbabilityCoefficientSums(pr).Select(a => a * Floors.LogSum(pr.Classes)).ToArray());
    }

    [Property]
    public void ProbabilityCrossEntropy_IsLinearInTarget_Double(Case c)
    {
        Problem pr = c.Problem.WithoutIgnoredTargets() with { LabelSmoothing = 0.0 };
        double[] oneHot = pr.OneHotTargets();
        Problem both = pr with { Probabilities = pr.Probabilities.Select((v, i) => v + oneHot[i]).ToArray() };
        double[] first = Run<double>.ProbabilityCrossEntropy(pr, Reduction.None);
        double[] second = Run<double>.ProbabilityCrossEntropy(pr with { Probabilities = oneHot }, Reduction.None);
        Tolerance.AssertAllClose(
            first.Select((v, p) => v + second[p]).ToArray(),
            Run<double>.ProbabilityCrossEntropy(both, Reduction.None),
            Tol.Double,
            "CE(x, p + r) vs CE(x, p) + CE(x, r)",
            Reference.ProbabilityCoefficientSums(both).Select(a => a * Floors.LogSum(pr.Classes)).ToArray());
    }

    [Property]
    public void CrossEntropy_MatchesDefiningFormula_Double(Case c) => MatchesDefiningFormula<double>(c);

    [Property]
    public void CrossEntropy_MatchesDefiningFormula_Float(Case c) => MatchesDefiningFormula<float>(c);

    private static void ShiftInvariant<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>();
        Problem moved = pr with { Logits = Shift.Apply<T>(pr.Logits, c.Shift, out double delta) };

        // Error analysis of |CE(x′) − CE(x)|, x′ = fl_T(x + c) the stored shifted input:
        // • Exact math: ℓ = Σ_c a_c·(lse − x_c) with a_c ≥ 0 is exactly shift invariant, and ∂ℓ/∂x_j = A·softmax_j − a_j
        //   (A = Σ a_c), whose absolute values sum to at most 2A; x′ differs from x + c by at most delta per element
        //   (the rounding of the shifted input, 0 for exact shifts), so ℓ(x′) is within 2·delta·A of ℓ(x). This bound
        //   is attained: with one dominant class, ℓ ≈ A·x_max − Σ a_c·x_c, and x_max and x_target rounding by delta in
        //   opposite directions (ties on the grid, e.g. x + 1e6 in float) move ℓ by exactly 2·delta·A.
        // • Each side's kernel error before its final rounding: the double evaluation of log S, A·Floors.LogSum for
        //   both sides together, plus, on the fused float path of index targets, the documented FastPathBounds floor of
        //   each side.
        // • Each side's own roundings: the result rounded once to T (the fused path's documented 2u_T), after at most
        //   8 double roundings of non-negative terms (difference, log-sum addition, weight, smoothing mix, reduction's
        //   sum and division), i.e. ρ·|result| per side.
        // The bound is the sum of these terms. The last one is not covered by the relative part of Tol.Float: the
        // comparison takes the larger of floor and relative·|ℓ|, not their sum, and with the shift's term 2·delta·A
        // attained exactly, the two results' roundings (up to half an ulp of a ~5e4 loss each) decide.
        double u = Tolerance.UnitRoundoff<T>();
        string what = $"CE(x + {Tolerance.R(c.Shift)}) vs CE(x), input rounding {Tolerance.R(delta)}";
        double perUnit = (2.0 * delta) + Floors.LogSum(pr.Classes);
        bool fused = typeof(T) == typeof(float) && FastPathBounds.Applies(pr);
        double indexRho = ((fused ? 2.0 : 1.0) * u) + (8.0 * Tolerance.UnitRoundoffDouble);
        double probabilityRho = u + (8.0 * Tolerance.UnitRoundoffDouble);
        foreach (Reduction reduction in Run<T>.AllReductions)
        {
            double[] index = Run<T>.IndexCrossEntropy(pr, reduction);
            double[] indexMoved = Run<T>.IndexCrossEntropy(moved, reduction);
            double[] indexFloors = Floors.Reduced(Reference.IndexCoefficientSums(pr), perUnit, reduction, pr.TargetWeightSum());
            double[]? fusedBefore = fused ? FastPathBounds.Floors(pr, reduction) : null;
            double[]? fusedAfter = fused ? FastPathBounds.Floors(moved, reduction) : null;
            for (int i = 0; i < indexFloors.Length; i++)
            {
                indexFloors[i] += (indexRho * (Math.Abs(index[i]) + Math.Abs(indexMoved[i])))
                    + (fused ? fusedBefore![i] + fusedAfter![i] : 0.0);
            }

            Tolerance.AssertAllClose(index, indexMoved, Tol.Of<T>(), $"index {what}, {reduction}", indexFloors);

            double[] probability = Run<T>.ProbabilityCrossEntropy(pr, reduction);
            double[] probabilityMoved = Run<T>.ProbabilityCrossEntropy(moved, reduction);
            double[] probabilityFloors = Floors.Reduced(Reference.ProbabilityCoefficientSums(pr), perUnit, reduction, pr.Positions);
            for (int i = 0; i < probabilityFloors.Length; i++)
            {
                probabilityFloors[i] += probabilityRho * (Math.Abs(probability[i]) + Math.Abs(probabilityMoved[i]));
            }

            Tolerance.AssertAllClose(probability, probabilityMoved, Tol.Of<T>(), $"probability {what}, {reduction}", probabilityFloors);
        }
    }

    private static void IndexEqualsOneHot<T>(Problem problem)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = problem.RoundedTo<T>().WithoutIgnoredTargets();
        Problem oneHot = pr with { Probabilities = pr.OneHotTargets() };
        double[] coefficients = Reference.IndexCoefficientSums(pr);

        // Same formula, ℓ = (1 − ε)·w[y]·(−log q[y]) + (ε/C)·Σ w[c]·(−log q[c]), grouped differently; all terms ≥ 0.
        foreach (Reduction reduction in new[] { Reduction.None, Reduction.Sum })
        {
            Tolerance.AssertAllClose(
                Run<T>.IndexCrossEntropy(pr, reduction),
                Run<T>.ProbabilityCrossEntropy(oneHot, reduction),
                Tol.Of<T>(),
                $"index targets vs one-hot probability targets, {reduction}",
                Floors.Reduced(coefficients, Floors.LogSum(pr.Classes), reduction, 1.0));
        }
    }

    private static void MeanNormalizers<T>(Problem problem)
        where T : IFloatingPointIeee754<T> =>
        MeanNormalizersOf<T>(problem.RoundedTo<T>().WithoutIgnoredTargets());

    private static void MeanNormalizersOf<T>(Problem pr)
        where T : IFloatingPointIeee754<T>
    {
        Problem oneHot = pr with { Probabilities = pr.OneHotTargets() };
        double indexMean = Run<T>.IndexCrossEntropy(pr, Reduction.Mean)[0];
        double probabilityMean = Run<T>.ProbabilityCrossEntropy(oneHot, Reduction.Mean)[0];
        double sumW = pr.TargetWeightSum();
        if (sumW == 0.0)
        {
            // Documented: a zero normalizer (all target weights 0, or no position) gives NaN for index targets.
            Tolerance.Require(double.IsNaN(indexMean), $"index mean with Σ w[y] = 0 should be NaN, got {Tolerance.R(indexMean)}");
            return;
        }

        if (typeof(T) == typeof(float) && !(double.IsFinite(indexMean) && double.IsFinite(probabilityMean)))
        {
            // One float mean overflowed (e.g. Σℓ / N = 1.5e39 while Σℓ / Σw = 3e38): multiplying it back cannot
            // recover Σℓ, so check the law on the double results for these same float inputs instead (that the float
            // results are those rounded once is PrecisionProperties' business).
            MeanNormalizersOf<double>(pr);
            return;
        }

        // Documented difference: index mean = Σℓ / Σ w[yₙ], probability mean = Σℓ / N, for the same Σℓ.
        double floor = Reference.IndexCoefficientSums(pr).Sum() * Floors.LogSum(pr.Classes);
        Tolerance.AssertClose(
            probabilityMean * pr.Positions,
            indexMean * sumW,
            Tol.Of<T>().WithFloor(floor),
            $"index mean × Σ w[y] (= {Tolerance.R(sumW)}) vs probability mean × N (= {pr.Positions})");
    }

    private static void EqualsNllOfLogSoftmax<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = (c.Problem.RoundedTo<T>() with { LabelSmoothing = 0.0 }).PoisonIgnoredRows(c.PoisonValue);
        double[] ls = Run<T>.LogSoftmax(pr);
        double[] coefficients = Reference.IndexCoefficientSums(pr);
        foreach (Reduction reduction in Run<T>.AllReductions)
        {
            // In float the log-softmax is rounded to float before NLL reads it: one more u_T relative per term.
            Tolerance.AssertAllClose(
                Run<T>.NllLoss(pr, ls, reduction),
                Run<T>.IndexCrossEntropy(pr, reduction),
                Tol.Of<T>(),
                $"CE vs NLL(log_softmax), {reduction}",
                Floors.Reduced(coefficients, Floors.LogSum(pr.Classes), reduction, pr.TargetWeightSum()));
        }
    }

    private static void MatchesDefiningFormula<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>().PoisonIgnoredRows(c.PoisonValue);
        double sumW = pr.TargetWeightSum();
        double[] index = Reference.IndexCrossEntropy(pr);
        double[] probability = Reference.ProbabilityCrossEntropy(c.Problem.RoundedTo<T>());
        foreach (Reduction reduction in Run<T>.AllReductions)
        {
            // The kernel rounds its double result once to T, so the expectation is rounded the same way (in float a
            // sum of ~3e38 losses overflows to +inf on both sides).
            double[] wantIndex = reduction == Reduction.Mean && sumW == 0.0
                ? new[] { double.NaN } // documented: a zero normalizer gives NaN
                : Problem.Round<T>(Reference.Reduce(index, reduction, sumW));
            Tolerance.AssertAllClose(
                wantIndex,
                Run<T>.IndexCrossEntropy(pr, reduction),
                Tol.Of<T>(),
                $"index CE vs formula, {reduction}",
                Floors.Reduced(Reference.IndexCoefficientSums(pr), Floors.LogSum(pr.Classes), reduction, sumW));
            Tolerance.AssertAllClose(
                Problem.Round<T>(Reference.Reduce(probability, reduction, pr.Positions)),
                Run<T>.ProbabilityCrossEntropy(c.Problem.RoundedTo<T>(), reduction),
                Tol.Of<T>(),
                $"probability CE vs formula, {reduction}",
                Floors.Reduced(Reference.ProbabilityCoefficientSums(pr), Floors.LogSum(pr.Classes), reduction, pr.Positions));
        }
    }
}
