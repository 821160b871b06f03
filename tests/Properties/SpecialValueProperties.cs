using System;
using System.Linq;
using System.Numerics;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>The documented behaviour for NaN, +∞ and −∞ logits.</summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class SpecialValueProperties
{
    [Property]
    public void NonFiniteLogit_AffectsOnlyItsOwnPosition_Double(Case c) => NonFiniteLogit<double>(c);

    [Property]
    public void NonFiniteLogit_AffectsOnlyItsOwnPosition_Float(Case c) => NonFiniteLogit<float>(c);

    [Property]
    public void MinusInfinityAtTarget_GivesInfiniteLoss_Double(Case c) => MinusInfinityAtTarget<double>(c);

    [Property]
    public void MinusInfinityAtTarget_GivesInfiniteLoss_Float(Case c) => MinusInfinityAtTarget<float>(c);

    [Property]
    public void MinusInfinityAtZeroWeightTarget_ContributesNothing_Double(Case c) => ZeroWeightTarget<double>(c);

    [Property]
    public void MinusInfinityAtZeroWeightTarget_ContributesNothing_Float(Case c) => ZeroWeightTarget<float>(c);

    [Property]
    public void MinusInfinityClassWithZeroCoefficient_IsLikeAbsentClass_Double(Case c) => AbsentClass<double>(c);

    [Property]
    public void MinusInfinityClassWithZeroCoefficient_IsLikeAbsentClass_Float(Case c) => AbsentClass<float>(c);

    private static void NonFiniteLogit<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>();
        if (pr.Positions == 0)
        {
            return;
        }

        int s = c.SpecialPosition;
        double value = (c.Special & 1) == 0 ? double.NaN : double.PositiveInfinity;
        double[] logits = (double[])pr.Logits.Clone();
        logits[pr.At(s, c.SpecialClass)] = value;
        Problem bad = pr with { Logits = logits };
        string what = $"{Tolerance.R(value)} at position {s}, class {c.SpecialClass}";

        // Rows are independent: every other position is computed from the same values, so it is bit-for-bit unchanged.
        // Documented: a row holding NaN or +∞ gives NaN (index CE: unless the position is ignored, then 0).
        bool ignored = pr.IsIgnored(s);
        double[] before = Run<T>.IndexCrossEntropy(pr, Reduction.None);
        double[] expected = (double[])before.Clone();
        expected[s] = ignored ? 0.0 : double.NaN;
        Tolerance.AssertAllClose(expected, Run<T>.IndexCrossEntropy(bad, Reduction.None), Tol.Exact, $"index CE per position, {what}");
        foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum })
        {
            double want = ignored ? Run<T>.IndexCrossEntropy(pr, reduction)[0] : double.NaN;
            Tolerance.AssertClose(want, Run<T>.IndexCrossEntropy(bad, reduction)[0], Tol.Exact, $"index CE {reduction}, {what}");
        }

        expected = Run<T>.ProbabilityCrossEntropy(pr, Reduction.None);
        expected[s] = double.NaN;
        Tolerance.AssertAllClose(expected, Run<T>.ProbabilityCrossEntropy(bad, Reduction.None), Tol.Exact, $"probability CE per position, {what}");
        foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum })
        {
            Tolerance.AssertClose(double.NaN, Run<T>.ProbabilityCrossEntropy(bad, reduction)[0], Tol.Exact, $"probability CE {reduction}, {what}");
        }

        // Documented for logsumexp: NaN gives NaN, otherwise +∞ gives +∞.
        expected = Run<T>.LogSumExp(pr);
        expected[s] = value;
        Tolerance.AssertAllClose(expected, Run<T>.LogSumExp(bad), Tol.Exact, $"logsumexp, {what}");
        Tolerance.AssertClose(value, Run<T>.LogSumExp(bad.Row(bad.Logits, s)), Tol.Exact, $"vector logsumexp of the row, {what}");

        // Documented for softmax and log_softmax: the whole row becomes NaN.
        foreach ((string name, double[] clean, double[] dirty) in new[]
        {
            ("softmax", Run<T>.Softmax(pr), Run<T>.Softmax(bad)),
            ("log_softmax", Run<T>.LogSoftmax(pr), Run<T>.LogSoftmax(bad)),
        })
        {
            for (int k = 0; k < pr.Classes; k++)
            {
                clean[pr.At(s, k)] = double.NaN;
            }

            Tolerance.AssertAllClose(clean, dirty, Tol.Exact, $"{name}, {what}");
        }
    }

    private static void MinusInfinityAtTarget<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>();
        int[] candidates = Enumerable.Range(0, pr.Positions).Where(p => !pr.IsIgnored(p)).ToArray();
        if (candidates.Length == 0)
        {
            return;
        }

        int n = candidates[c.Special % candidates.Length];
        int y = pr.Targets[n];
        double[] logits = (double[])pr.Logits.Clone();
        logits[pr.At(n, y)] = double.NegativeInfinity;
        Problem bad = pr with { Logits = logits };
        double[] loss = Run<T>.IndexCrossEntropy(bad, Reduction.None);
        string what = $"−∞ at the target (position {n}, class {y}, w[y] = {Tolerance.R(pr.Weight(y))}, ε = {Tolerance.R(pr.LabelSmoothing)})";

        if (pr.Classes == 1)
        {
            // Documented: a row of only −∞ gives NaN.
            Tolerance.AssertClose(double.NaN, loss[n], Tol.Exact, what);
            return;
        }

        // Documented: "a −∞ logit at the target gives +∞". With w[y] = 0 every term holding −log q[y] = +∞ has a
        // zero coefficient, and "a term whose coefficient is zero contributes exactly 0", so the loss stays finite.
        if (pr.Weight(y) > 0.0)
        {
            Tolerance.AssertClose(double.PositiveInfinity, loss[n], Tol.Exact, $"index CE with {what}");
        }
        else
        {
            // Finite, as the rule says, wherever the true value fits in T: the other terms (smoothing over logits near
            // ±1e30) can exceed float's range, and then the float loss is that value rounded, +∞ (seen: 4.53e38).
            double exact = Run<double>.IndexCrossEntropy(bad, Reduction.None)[n];
            if (Math.Abs(exact) <= double.CreateTruncating(T.BitDecrement(T.PositiveInfinity)))
            {
                Tolerance.Require(double.IsFinite(loss[n]), $"index CE with {what} is {Tolerance.R(loss[n])}, expected finite (zero coefficient)");
            }
            else
            {
                Tolerance.Require(
                    double.IsFinite(exact) && loss[n] == double.CreateTruncating(T.CreateTruncating(exact)),
                    $"index CE with {what} is {Tolerance.R(loss[n])}; the double value {Tolerance.R(exact)} is past {typeof(T).Name}'s range and rounds to {Tolerance.R(double.CreateTruncating(T.CreateTruncating(exact)))}");
            }
        }

        // The same position with a one-hot probability target must agree (same formula, same conventions).
        Problem oneHot = bad with { Probabilities = bad.OneHotTargets() };
        double viaProbability = Run<T>.ProbabilityCrossEntropy(oneHot, Reduction.None)[n];
        double floor = Reference.IndexCoefficientSums(pr)[n] * Floors.LogSum(pr.Classes);
        Tolerance.AssertClose(viaProbability, loss[n], Tol.Of<T>().WithFloor(floor), $"index vs one-hot probability target with {what}");
    }

    private static void ZeroWeightTarget<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem original = c.Problem.RoundedTo<T>();
        int[] candidates = Enumerable.Range(0, original.Positions).Where(p => !original.IsIgnored(p)).ToArray();
        if (candidates.Length == 0 || original.Classes == 1)
        {
            return; // needs a kept position, and a row that is not all −∞
        }

        int n = candidates[c.Special % candidates.Length];
        int y = original.Targets[n];
        double[] weights = original.Weights is null ? Enumerable.Repeat(1.0, original.Classes).ToArray() : (double[])original.Weights.Clone();
        weights[y] = 0.0;
        double[] logits = (double[])original.Logits.Clone();
        logits[original.At(n, y)] = double.NegativeInfinity;
        Problem pr = original with { Weights = weights, Logits = logits };
        string what = $"−∞ at a zero-weight target (position {n}, class {y}, ε = {Tolerance.R(pr.LabelSmoothing)})";

        // Documented: "a term whose coefficient is zero (a zero weight) contributes exactly 0 even where its
        // log-probability is −∞". Every term holding −log q[y] = +∞ has coefficient w[y] = 0 here, so the loss is
        // finite and equals the defining formula under that convention (Reference.Term).
        double sumW = pr.TargetWeightSum();
        foreach (Reduction reduction in Run<T>.AllReductions)
        {
            double[] actual = Run<T>.IndexCrossEntropy(pr, reduction);
            double[] want = reduction == Reduction.Mean && sumW == 0.0
                ? new[] { double.NaN }
                : Problem.Round<T>(Reference.Reduce(Reference.IndexCrossEntropy(pr), reduction, sumW));
            Tolerance.AssertAllClose(
                want,
                actual,
                Tol.Of<T>(),
                $"index CE {reduction} with {what}",
                Floors.Reduced(Reference.IndexCoefficientSums(pr), Floors.LogSum(pr.Classes), reduction, sumW));
        }

        // NLL of the log-softmax, whose entry at (n, y) is −∞: documented "a zero weight times a −∞ log-probability
        // contributes 0".
        double[] ls = Run<T>.LogSoftmax(pr);
        Tolerance.AssertClose(double.NegativeInfinity, ls[pr.At(n, y)], Tol.Exact, $"log_softmax with {what}");
        double[] nll = Run<T>.NllLoss(pr, ls, Reduction.None);
        Tolerance.AssertClose(0.0, nll[n], Tol.Exact, $"NLL with {what}");
        // The Sum is that of the other positions (not 0·∞ = NaN); in float it may legitimately overflow to +∞ when
        // several ~3e38 terms add up, hence the comparison with the correctly rounded double sum.
        double[] terms = Enumerable.Range(0, pr.Positions)
            .Select(p => p == n || pr.IsIgnored(p) ? 0.0 : pr.Weight(pr.Targets[p]) * -ls[pr.At(p, pr.Targets[p])])
            .ToArray();
        Tolerance.AssertClose(
            Problem.Round<T>(new[] { Reference.Sum(terms) })[0],
            Run<T>.NllLoss(pr, ls, Reduction.Sum)[0],
            Tol.Of<T>().WithFloor(4.0 * Tolerance.UnitRoundoff<T>() * terms.Sum(Math.Abs)),
            $"NLL Sum with {what}");
    }

    private static void AbsentClass<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // A class whose logit is −∞ everywhere and whose every coefficient is zero (weight 0 if there are weights,
        // probability 0, never a target, no smoothing) contributes exp(−∞) = 0 to every sum and, by the documented
        // convention, 0 (not 0·∞ = NaN) to every loss: the result is that of the problem without it.
        Problem pr = c.Problem.RoundedTo<T>() with { LabelSmoothing = 0.0 };
        int k = c.Special % (pr.Classes + 1);
        Problem wider = pr.InsertClass(k, double.NegativeInfinity);
        double perUnit = Floors.LogSum(wider.Classes);
        Tol tol = Tol.Of<T>();
        string what = $"−∞ class inserted at {k}";
        foreach (Reduction reduction in Run<T>.AllReductions)
        {
            Tolerance.AssertAllClose(
                Run<T>.IndexCrossEntropy(pr, reduction),
                Run<T>.IndexCrossEntropy(wider, reduction),
                tol,
                $"index CE, {reduction}, {what}",
                Floors.Reduced(Reference.IndexCoefficientSums(pr), perUnit, reduction, pr.TargetWeightSum()));
            Tolerance.AssertAllClose(
                Run<T>.ProbabilityCrossEntropy(pr, reduction),
                Run<T>.ProbabilityCrossEntropy(wider, reduction),
                tol,
                $"probability CE, {reduction}, {what}",
                Floors.Reduced(Reference.ProbabilityCoefficientSums(pr), perUnit, reduction, pr.Positions));
        }

        Tolerance.AssertAllClose(Run<T>.LogSumExp(pr), Run<T>.LogSumExp(wider), tol.WithFloor(perUnit), $"logsumexp, {what}");
        double[] s = Run<T>.Softmax(pr);
        double[] ls = Run<T>.LogSoftmax(pr);
        double[] sWide = Run<T>.Softmax(wider);
        double[] lsWide = Run<T>.LogSoftmax(wider);
        for (int p = 0; p < pr.Positions; p++)
        {
            for (int j = 0; j < wider.Classes; j++)
            {
                int at = wider.At(p, j);
                if (j == k)
                {
                    // Documented: −∞ entries become exactly 0 in softmax and stay −∞ in log_softmax.
                    Tolerance.AssertClose(0.0, sWide[at], Tol.Exact, $"softmax of the −∞ class at position {p}");
                    Tolerance.AssertClose(double.NegativeInfinity, lsWide[at], Tol.Exact, $"log_softmax of the −∞ class at position {p}");
                }
                else
                {
                    int old = pr.At(p, j < k ? j : j - 1);
                    Tolerance.AssertClose(s[old], sWide[at], tol.PlusRelative(perUnit), $"softmax at position {p}, class {j}");
                    Tolerance.AssertClose(ls[old], lsWide[at], tol.WithFloor(perUnit), $"log_softmax at position {p}, class {j}");
                }
            }
        }

        // With weights, label smoothing keeps the zero-weight −∞ class at 0 too (the ε/C factor changes with C, so
        // compare with the defining formula, which applies the same zero-coefficient convention).
        if (pr.Weights is not null && c.Problem.LabelSmoothing > 0.0)
        {
            Problem smoothed = wider with { LabelSmoothing = c.Problem.LabelSmoothing };
            Tolerance.AssertAllClose(
                Problem.Round<T>(Reference.IndexCrossEntropy(smoothed)),
                Run<T>.IndexCrossEntropy(smoothed, Reduction.None),
                tol,
                $"smoothed index CE with a zero-weight {what}",
                Reference.IndexCoefficientSums(smoothed).Select(a => a * perUnit).ToArray());
            Tolerance.AssertAllClose(
                Problem.Round<T>(Reference.ProbabilityCrossEntropy(smoothed)),
                Run<T>.ProbabilityCrossEntropy(smoothed, Reduction.None),
                tol,
                $"smoothed probability CE with a zero-weight {what}",
                Reference.ProbabilityCoefficientSums(smoothed).Select(a => a * perUnit).ToArray());
        }
    }
}
