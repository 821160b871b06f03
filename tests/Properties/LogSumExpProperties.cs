using System;
using System.Linq;
using System.Numerics;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>Laws of LogSumExp (the vector overload and the batched one along the class dimension).</summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class LogSumExpProperties
{
    [Property]
    public void LogSumExp_IsBetweenMaxAndMaxPlusLogC_Double(Case c) => Bounds<double>(c.Problem);

    [Property]
    public void LogSumExp_IsBetweenMaxAndMaxPlusLogC_Float(Case c) => Bounds<float>(c.Problem);

    [Property]
    public void LogSumExp_ShiftsWithItsInput_Double(Case c) => ShiftEquivariant<double>(c);

    [Property]
    public void LogSumExp_ShiftsWithItsInput_Float(Case c) => ShiftEquivariant<float>(c);

    [Property]
    public void LogSumExp_OfEachRow_EqualsBatchedLogSumExp_Double(Case c)
    {
        Problem pr = c.Problem;
        double[] batched = Run<double>.LogSumExp(pr);
        for (int p = 0; p < pr.Positions; p++)
        {
            // Same row, same algorithm; only the memory layout (stride) differs. The log-sum floor covers a different
            // summation order should the two paths vectorize differently.
            double single = Run<double>.LogSumExp(pr.Row(pr.Logits, p));
            Tolerance.AssertClose(single, batched[p], Tol.Double.WithFloor(Floors.LogSum(pr.Classes)), $"row {p}");
        }
    }

    [Property]
    public void LogSumExp_EqualsNaiveFormula_AtModerateScale_Double(Case c)
    {
        // Rescale the logits into [−16, 16], where log Σ exp(x) can be evaluated directly without overflow.
        Problem pr = c.Problem;
        double max = pr.MaxAbsLogit();
        double[] x = max > 16.0 ? pr.Logits.Select(v => v * (16.0 / max)).ToArray() : pr.Logits;
        double[] lse = Run<double>.LogSumExp(x, pr.Classes, pr.Inner);
        for (int p = 0; p < pr.Positions; p++)
        {
            double naive = Math.Log(Reference.Sum(pr.Row(x, p).Select(Math.Exp)));

            // exp(±16) is far from overflow; the naive sum is accurate to a few u relative, hence its log to a few u
            // absolute; the kernel's log-sum to ~C·u absolute (Floors.LogSum).
            Tolerance.AssertClose(naive, lse[p], Tol.Double.WithFloor(Floors.LogSum(pr.Classes)), $"log Σ exp at row {p}");
        }
    }

    private static void Bounds<T>(Problem problem)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = problem.RoundedTo<T>();
        double[] batched = Run<T>.LogSumExp(pr);
        for (int p = 0; p < pr.Positions; p++)
        {
            double[] row = pr.Row(pr.Logits, p);
            double max = row.Max();
            double vector = Run<T>.LogSumExp(row);
            foreach ((string name, double lse) in new[] { ("batched", batched[p]), ("vector", vector) })
            {
                // Lower bound, exact: the sum of exp(x − m) includes exp(0) = 1, so its log is ≥ 0 and
                // log S + m ≥ m; rounding to T is monotone and m is a T value.
                Tolerance.Require(lse >= max, $"{name} logsumexp of row {p} = {Tolerance.R(lse)} is below the row maximum {Tolerance.R(max)}");

                // Upper bound: S ≤ C exactly (C terms ≤ 1), so only the rounding of log, of the final addition and
                // of the conversion to T can push the result over m + ln C: a few u_T relative to that bound.
                double bound = max + Math.Log(pr.Classes);
                Tolerance.AssertAtMost(lse, bound, new Tol(4.0 * Tolerance.UnitRoundoff<T>(), 4.0 * Tolerance.UnitRoundoffDouble), $"{name} logsumexp of row {p} vs max + ln C");
            }
        }
    }

    private static void ShiftEquivariant<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>();
        double[] shifted = Shift.Apply<T>(pr.Logits, c.Shift, out double delta);
        double[] before = Run<T>.LogSumExp(pr);
        double[] after = Run<T>.LogSumExp(shifted, pr.Classes, pr.Inner);
        for (int p = 0; p < pr.Positions; p++)
        {
            // Exact math: lse(x + c) − c = lse(x). lse is 1-Lipschitz in the max-norm, so the rounding of the shifted
            // input moves it by ≤ delta; each side carries the log-sum error (Floors.LogSum); and both results are
            // rounded to T at their own magnitude, and the test's subtraction of c rounds at that magnitude too: a few
            // u_T·(|lse(x + c)| + |c|) absolute, which dominates when c is large compared with the logits.
            double floor = delta + Floors.LogSum(pr.Classes)
                + (4.0 * Tolerance.UnitRoundoff<T>() * (Math.Abs(after[p]) + Math.Abs(c.Shift)));
            Tolerance.AssertClose(before[p], after[p] - c.Shift, Tol.Of<T>().WithFloor(floor), $"lse(x + {Tolerance.R(c.Shift)}) − shift at row {p}");
        }
    }
}
