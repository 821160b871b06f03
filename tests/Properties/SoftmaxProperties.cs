using System;
using System.Linq;
using System.Numerics;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>Laws of Softmax and LogSoftmax along the class dimension, for (N, C) and (N, C, d…) layouts.</summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class SoftmaxProperties
{
    [Property]
    public void Softmax_RowsSumToOne_Double(Case c) => RowsSumToOne<double>(c.Problem);

    [Property]
    public void Softmax_RowsSumToOne_Float(Case c) => RowsSumToOne<float>(c.Problem);

    [Property]
    public void Softmax_LiesInUnitInterval_Double(Case c) => LiesInUnitInterval<double>(c.Problem);

    [Property]
    public void Softmax_LiesInUnitInterval_Float(Case c) => LiesInUnitInterval<float>(c.Problem);

    [Property]
    public void LogSoftmax_IsAtMostZero_Double(Case c) => LogSoftmaxIsAtMostZero<double>(c.Problem);

    [Property]
    public void LogSoftmax_IsAtMostZero_Float(Case c) => LogSoftmaxIsAtMostZero<float>(c.Problem);

    [Property]
    public void SoftmaxAndLogSoftmax_InPlace_EqualOutOfPlace_Double(Case c) => InPlaceEqualsOutOfPlace<double>(c.Problem);

    [Property]
    public void SoftmaxAndLogSoftmax_InPlace_EqualOutOfPlace_Float(Case c) => InPlaceEqualsOutOfPlace<float>(c.Problem);

    [Property]
    public void LogSoftmax_Exponentiated_EqualsSoftmax_Double(Case c) => ExpOfLogSoftmaxIsSoftmax<double>(c.Problem);

    [Property]
    public void LogSoftmax_Exponentiated_EqualsSoftmax_Float(Case c) => ExpOfLogSoftmaxIsSoftmax<float>(c.Problem);

    [Property]
    public void SoftmaxAndLogSoftmax_AreShiftInvariant_Double(Case c) => ShiftInvariant<double>(c);

    [Property]
    public void SoftmaxAndLogSoftmax_AreShiftInvariant_Float(Case c) => ShiftInvariant<float>(c);

    [Property]
    public void Softmax_MatchesDefiningFormula_Double(Case c)
    {
        Problem pr = c.Problem;
        double[] actual = Run<double>.Softmax(pr);
        double[] expected = Reference.SoftmaxOf(pr.Logits, pr.Outer, pr.Classes, pr.Inner);

        // Both are exp(x − m) / S: the same exponentials divided by sums that differ by ~C·u relative (summation
        // order), plus an ulp or two from the exponential itself.
        Tolerance.AssertAllClose(expected, actual, Tol.Double.PlusRelative(Floors.LogSum(pr.Classes)), "softmax vs exp(x − m) / Σ exp(x − m)");
    }

    private static void RowsSumToOne<T>(Problem problem)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = problem.RoundedTo<T>();
        double[] s = Run<T>.Softmax(pr);

        // Each value is exp(x − m) / S computed in double (a few u_d relative, and S itself is off by ≤ C·u_d
        // relative, the same factor for the whole row), then rounded to T (u_T relative). A row of C values summing to
        // 1 therefore sums to 1 within C·u_T + ~4·C·u_d; the test's compensated sum adds nothing. We allow twice that.
        double allowed = (2.0 * pr.Classes * Tolerance.UnitRoundoff<T>()) + (8.0 * pr.Classes * Tolerance.UnitRoundoffDouble);
        for (int p = 0; p < pr.Positions; p++)
        {
            double sum = Reference.Sum(pr.Row(s, p));
            Tolerance.AssertClose(1.0, sum, new Tol(0.0, allowed), $"sum of softmax row {p}");
        }
    }

    private static void LiesInUnitInterval<T>(Problem problem)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = problem.RoundedTo<T>();
        double[] s = Run<T>.Softmax(pr);

        // Exact: exp(x − m) ≤ 1 because x ≤ m, and S ≥ 1 because the maximum contributes exp(0) = 1.
        for (int i = 0; i < s.Length; i++)
        {
            Tolerance.Require(s[i] >= 0.0 && s[i] <= 1.0, $"softmax[{i}] = {Tolerance.R(s[i])} is outside [0, 1]");
        }
    }

    private static void LogSoftmaxIsAtMostZero<T>(Problem problem)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = problem.RoundedTo<T>();
        double[] ls = Run<T>.LogSoftmax(pr);

        // Exact: (x − m) ≤ 0 and log S ≥ 0, so their difference is ≤ 0 whatever the rounding.
        for (int i = 0; i < ls.Length; i++)
        {
            Tolerance.Require(ls[i] <= 0.0, $"log_softmax[{i}] = {Tolerance.R(ls[i])} is positive or NaN");
        }
    }

    private static void InPlaceEqualsOutOfPlace<T>(Problem problem)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = problem.RoundedTo<T>();

        // The same arithmetic on the same values: in-place must be bit-for-bit the out-of-place result.
        Tolerance.AssertAllClose(
            Run<T>.Softmax(pr),
            Run<T>.SoftmaxInPlace(pr.Logits, pr.Classes, pr.Inner),
            Tol.Exact,
            "in-place softmax");
        Tolerance.AssertAllClose(
            Run<T>.LogSoftmax(pr),
            Run<T>.LogSoftmaxInPlace(pr.Logits, pr.Classes, pr.Inner),
            Tol.Exact,
            "in-place log_softmax");
    }

    private static void ExpOfLogSoftmaxIsSoftmax<T>(Problem problem)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = problem.RoundedTo<T>();
        double[] s = Run<T>.Softmax(pr);
        double[] ls = Run<T>.LogSoftmax(pr);
        for (int i = 0; i < s.Length; i++)
        {
            // exp(ls) turns an absolute error of ls into a relative error of the result. ls carries the log-sum's
            // ~C·u_d (Floors.LogSum) and its own rounding to T, u_T·|ls|; |ls| only matters up to ~745 (double) or
            // ~104 (float): beyond that both sides are 0 or subnormal and the absolute floor decides.
            double magnitude = Math.Min(Math.Abs(ls[i]), 800.0);
            Tol tol = Tol.Of<T>().PlusRelative(Floors.LogSum(pr.Classes) + (4.0 * Tolerance.UnitRoundoff<T>() * magnitude));
            Tolerance.AssertClose(s[i], Math.Exp(ls[i]), tol, $"exp(log_softmax[{i}]) vs softmax[{i}]");
        }
    }

    private static void ShiftInvariant<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>();
        double[] shifted = Shift.Apply<T>(pr.Logits, c.Shift, out double delta);

        // Exact math: log_softmax(x + c) = log_softmax(x). The stored shifted input differs from x + c by at most
        // delta per element (0 for exact shifts), which moves each log-probability by at most 2·delta; each side also
        // carries the log-sum's absolute error (Floors.LogSum). Softmax values move by the same amount relatively
        // (|Δ exp(ls)| ≤ exp(ls)·|Δls|), plus the relative error of exp(x − m) from rounding x − m, at most
        // u_d·745 before the value underflows to 0 on both sides.
        double logShift = (2.0 * delta) + Floors.LogSum(pr.Classes);
        Problem moved = pr with { Logits = shifted };
        Tolerance.AssertAllClose(
            Run<T>.LogSoftmax(pr),
            Run<T>.LogSoftmax(moved),
            Tol.Of<T>().WithFloor(logShift),
            $"log_softmax(x + {Tolerance.R(c.Shift)}) vs log_softmax(x) (input rounding {Tolerance.R(delta)})");
        double relative = Math.Min(1.0, logShift + (2.0 * 745.0 * Tolerance.UnitRoundoffDouble));
        Tolerance.AssertAllClose(
            Run<T>.Softmax(pr),
            Run<T>.Softmax(moved),
            Tol.Of<T>().PlusRelative(relative),
            $"softmax(x + {Tolerance.R(c.Shift)}) vs softmax(x) (input rounding {Tolerance.R(delta)})");

        // Guard against a vacuous pass: the normalizers must actually produce finite values here.
        Tolerance.Require(Run<T>.LogSoftmax(moved).All(double.IsFinite), "log_softmax of a finite shifted input is not finite");
    }
}
