using System;
using System.Linq;
using System.Numerics;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>
/// Numerical stability: logits up to 1.27e30 with single entries of ±3e38 give finite, accurate results wherever
/// the exact result is representable, and losses with non-negative coefficients are never negative.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class StabilityProperties
{
    [Property]
    public void LargeLogits_LossesAreFiniteAndMatchDefiningFormula_Double(LargeCase c) => LossesAreFinite<double>(c.Value);

    [Property]
    public void LargeLogits_LossesAreFiniteAndMatchDefiningFormula_Float(LargeCase c) => LossesAreFinite<float>(c.Value);

    [Property]
    public void LargeLogits_NormalizersAreFiniteAndMatchDefiningFormula_Double(LargeCase c) => NormalizersAreFinite<double>(c.Value);

    [Property]
    public void LargeLogits_NormalizersAreFiniteAndMatchDefiningFormula_Float(LargeCase c) => NormalizersAreFinite<float>(c.Value);

    [Property]
    public void CrossEntropy_IsNonNegative_Double(Case c) => NonNegative<double>(c.Problem);

    [Property]
    public void CrossEntropy_IsNonNegative_Float(Case c) => NonNegative<float>(c.Problem);

    [Property]
    public void LargeLogits_CrossEntropy_IsNonNegative_Double(LargeCase c) => NonNegative<double>(c.Value.Problem);

    [Property]
    public void LargeLogits_CrossEntropy_IsNonNegative_Float(LargeCase c) => NonNegative<float>(c.Value.Problem);

    private static void LossesAreFinite<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>();
        double sumW = pr.TargetWeightSum();
        double[] index = Reference.IndexCrossEntropy(pr);
        double[] probability = Reference.ProbabilityCrossEntropy(pr);
        foreach (Reduction reduction in Run<T>.AllReductions)
        {
            bool zeroNormalizer = reduction == Reduction.Mean && sumW == 0.0;
            double[] wantDouble = zeroNormalizer ? new[] { double.NaN } : Reference.Reduce(index, reduction, sumW);
            Check<T>("index CE", reduction, wantDouble, Run<T>.IndexCrossEntropy(pr, reduction), Floors.Reduced(Reference.IndexCoefficientSums(pr), Floors.LogSum(pr.Classes), reduction, sumW));

            bool empty = reduction == Reduction.Mean && pr.Positions == 0;
            wantDouble = empty ? new[] { double.NaN } : Reference.Reduce(probability, reduction, pr.Positions);
            Check<T>("probability CE", reduction, wantDouble, Run<T>.ProbabilityCrossEntropy(pr, reduction), Floors.Reduced(Reference.ProbabilityCoefficientSums(pr), Floors.LogSum(pr.Classes), reduction, pr.Positions));
        }
    }

    private static void Check<T>(string name, Reduction reduction, double[] wantDouble, double[] actual, double[] floors)
        where T : IFloatingPointIeee754<T>
    {
        // In double every such loss is far below the overflow threshold (|x| ≤ 3e38, w ≤ 10, at most 32 positions), so
        // the reference itself must be finite except for the documented 0/0 of an empty mean: this keeps the
        // property from passing vacuously on a NaN reference.
        foreach (double w in wantDouble)
        {
            Tolerance.Require(double.IsFinite(w) || (double.IsNaN(w) && reduction == Reduction.Mean), $"{name} {reduction}: reference is {Tolerance.R(w)}");
        }

        // The kernel rounds its double result once to T; where that rounding overflows (a float sum of several 3e38
        // losses) +∞ is the correctly rounded answer. Everywhere else the result must be finite and accurate.
        double[] want = Problem.Round<T>(wantDouble);
        for (int i = 0; i < want.Length; i++)
        {
            if (double.IsFinite(want[i]))
            {
                Tolerance.Require(double.IsFinite(actual[i]), $"{name} {reduction} [{i}] is {Tolerance.R(actual[i])} but the exact value {Tolerance.R(wantDouble[i])} is representable");
            }
        }

        Tolerance.AssertAllClose(want, actual, Tol.Of<T>(), $"{name} vs formula, {reduction}", floors);
    }

    private static void NormalizersAreFinite<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>();
        double[] s = Run<T>.Softmax(pr);
        double[] ls = Run<T>.LogSoftmax(pr);
        double[] lse = Run<T>.LogSumExp(pr);
        double allowedRowError = (2.0 * pr.Classes * Tolerance.UnitRoundoff<T>()) + (8.0 * pr.Classes * Tolerance.UnitRoundoffDouble);
        for (int p = 0; p < pr.Positions; p++)
        {
            double[] row = pr.Row(pr.Logits, p);
            double[] wantLogSoftmax = Problem.Round<T>(Reference.LogSoftmaxRow(row));
            for (int k = 0; k < pr.Classes; k++)
            {
                int at = pr.At(p, k);
                Tolerance.Require(double.IsFinite(s[at]) && s[at] >= 0.0 && s[at] <= 1.0, $"softmax[{at}] = {Tolerance.R(s[at])}");
                Tolerance.Require(double.IsFinite(ls[at]) && ls[at] <= 0.0, $"log_softmax[{at}] = {Tolerance.R(ls[at])}");

                // Both are (x − m) − log S: relative accuracy in (x − m), plus the log-sum's absolute error.
                Tolerance.AssertClose(wantLogSoftmax[k], ls[at], Tol.Of<T>().WithFloor(Floors.LogSum(pr.Classes)), $"log_softmax[{at}] vs formula");
            }

            Tolerance.AssertClose(1.0, Reference.Sum(pr.Row(s, p)), new Tol(0.0, allowedRowError), $"softmax row {p} sum");
            Tolerance.Require(double.IsFinite(lse[p]) && lse[p] >= row.Max(), $"logsumexp[{p}] = {Tolerance.R(lse[p])} vs max {Tolerance.R(row.Max())}");
            double wantLse = double.CreateTruncating(T.CreateTruncating(Reference.LogSumExpRow(row)));
            Tolerance.AssertClose(wantLse, lse[p], Tol.Of<T>().WithFloor(Floors.LogSum(pr.Classes)), $"logsumexp[{p}] vs formula");
        }
    }

    private static void NonNegative<T>(Problem problem)
        where T : IFloatingPointIeee754<T>
    {
        // Exact law: every term is a non-negative coefficient times −log q = log S − (x − m) with log S ≥ 0 and
        // x − m ≤ 0, so no rounding can make a loss negative (weights and probabilities are ≥ 0 here).
        Problem pr = problem.RoundedTo<T>();
        foreach (Problem variant in new[] { pr, pr with { LabelSmoothing = 0.0 } })
        {
            foreach (Reduction reduction in Run<T>.AllReductions)
            {
                foreach ((string name, double[] values) in new[]
                {
                    ("index CE", Run<T>.IndexCrossEntropy(variant, reduction)),
                    ("probability CE", Run<T>.ProbabilityCrossEntropy(variant, reduction)),
                })
                {
                    for (int i = 0; i < values.Length; i++)
                    {
                        // NaN only where documented: the mean over a zero normalizer.
                        bool documentedNaN = reduction == Reduction.Mean && double.IsNaN(values[i])
                            && (name == "index CE" ? variant.TargetWeightSum() == 0.0 : variant.Positions == 0);
                        Tolerance.Require(documentedNaN || values[i] >= 0.0, $"{name} {reduction} [{i}] = {Tolerance.R(values[i])} (label smoothing {Tolerance.R(variant.LabelSmoothing)})");
                    }
                }
            }
        }
    }
}
