using System;
using System.Linq;
using System.Numerics;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>
/// Laws about the structure of the input: the order of the classes, ignored positions, and the (outer, classes,
/// inner) layout.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class StructureProperties
{
    [Property]
    public void PermutingClasses_ChangesNothing_Double(Case c) => PermutingClassesChangesNothing<double>(c);

    [Property]
    public void PermutingClasses_ChangesNothing_Float(Case c) => PermutingClassesChangesNothing<float>(c);

    [Property]
    public void IgnoredRows_BehaveAsIfRemoved_Double(Case c) => IgnoredRowsBehaveAsIfRemoved<double>(c);

    [Property]
    public void IgnoredRows_BehaveAsIfRemoved_Float(Case c) => IgnoredRowsBehaveAsIfRemoved<float>(c);

    [Property]
    public void InnerLayout_EqualsTransposedRows_Double(Case c)
    {
        Problem pr = c.Problem.PoisonIgnoredRows(c.PoisonValue);
        Problem rows = pr.Transposed();
        double perUnit = Floors.LogSum(pr.Classes);
        Tol tol = Tol.Double;

        // (outer, C, inner) read with stride `inner` must give what the same rows give contiguously, position by
        // position in (outer, inner) order; the log-sum floor covers a different summation grouping.
        foreach (Reduction reduction in Run<double>.AllReductions)
        {
            Tolerance.AssertAllClose(
                Run<double>.IndexCrossEntropy(rows, reduction),
                Run<double>.IndexCrossEntropy(pr, reduction),
                tol,
                $"index CE, {reduction}",
                Floors.Reduced(Reference.IndexCoefficientSums(pr), perUnit, reduction, pr.TargetWeightSum()));
            Tolerance.AssertAllClose(
                Run<double>.NllLoss(rows, rows.Logits, reduction),
                Run<double>.NllLoss(pr, pr.Logits, reduction),
                tol,
                $"NLL, {reduction}");
        }

        Problem clean = c.Problem;
        Problem cleanRows = clean.Transposed();
        foreach (Reduction reduction in Run<double>.AllReductions)
        {
            Tolerance.AssertAllClose(
                Run<double>.ProbabilityCrossEntropy(cleanRows, reduction),
                Run<double>.ProbabilityCrossEntropy(clean, reduction),
                tol,
                $"probability CE, {reduction}",
                Floors.Reduced(Reference.ProbabilityCoefficientSums(clean), perUnit, reduction, clean.Positions));
        }

        Tolerance.AssertAllClose(Run<double>.Softmax(cleanRows), clean.ToRows(Run<double>.Softmax(clean)), tol.PlusRelative(perUnit), "softmax");
        Tolerance.AssertAllClose(Run<double>.LogSoftmax(cleanRows), clean.ToRows(Run<double>.LogSoftmax(clean)), tol.WithFloor(perUnit), "log_softmax");
        Tolerance.AssertAllClose(Run<double>.LogSumExp(cleanRows), Run<double>.LogSumExp(clean), tol.WithFloor(perUnit), "logsumexp");
    }

    private static void PermutingClassesChangesNothing<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>();
        Problem permuted = pr.PermuteClasses(c.Permutation);

        // Every quantity is a symmetric function of the classes once targets, weights and probabilities move along;
        // only the order of the sums changes, which moves log Σ exp by at most Floors.LogSum.
        double perUnit = Floors.LogSum(pr.Classes);
        Tol tol = Tol.Of<T>();
        foreach (Reduction reduction in Run<T>.AllReductions)
        {
            Tolerance.AssertAllClose(
                Run<T>.IndexCrossEntropy(pr, reduction),
                Run<T>.IndexCrossEntropy(permuted, reduction),
                tol,
                $"index CE, {reduction}",
                Floors.Reduced(Reference.IndexCoefficientSums(pr), perUnit, reduction, pr.TargetWeightSum()));
            Tolerance.AssertAllClose(
                Run<T>.ProbabilityCrossEntropy(pr, reduction),
                Run<T>.ProbabilityCrossEntropy(permuted, reduction),
                tol,
                $"probability CE, {reduction}",
                Floors.Reduced(Reference.ProbabilityCoefficientSums(pr), perUnit, reduction, pr.Positions));
            Tolerance.AssertAllClose(
                Run<T>.NllLoss(pr, pr.Logits, reduction),
                Run<T>.NllLoss(permuted, permuted.Logits, reduction),
                tol,
                $"NLL, {reduction}");
        }

        Tolerance.AssertAllClose(Run<T>.LogSumExp(pr), Run<T>.LogSumExp(permuted), tol.WithFloor(perUnit), "logsumexp");
        Tolerance.AssertAllClose(pr.PermuteData(Run<T>.Softmax(pr), c.Permutation), Run<T>.Softmax(permuted), tol.PlusRelative(perUnit), "softmax (permuted back)");
        Tolerance.AssertAllClose(pr.PermuteData(Run<T>.LogSoftmax(pr), c.Permutation), Run<T>.LogSoftmax(permuted), tol.WithFloor(perUnit), "log_softmax (permuted back)");
    }

    private static void IgnoredRowsBehaveAsIfRemoved<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>();

        // Ignored rows hold garbage (NaN unless the case picked ±∞ or 3e38); the compacted problem drops them.
        Problem poisoned = pr.PoisonIgnoredRows(c.PoisonValue ?? double.NaN);
        Problem kept = pr.KeepPositions(p => !pr.IsIgnored(p));
        Tol tol = Tol.Of<T>();
        double perUnit = Floors.LogSum(pr.Classes);
        double[] coefficients = Reference.IndexCoefficientSums(kept);

        foreach ((string name, Func<Problem, Reduction, double[]> loss, double[] floors) in new (string, Func<Problem, Reduction, double[]>, double[])[]
        {
            ("index CE", Run<T>.IndexCrossEntropy, coefficients),
            ("NLL", (problem, reduction) => Run<T>.NllLoss(problem, problem.Logits, reduction), new double[kept.Positions]),
        })
        {
            double[] full = loss(poisoned, Reduction.None);
            double[] compact = loss(kept, Reduction.None);
            int k = 0;
            for (int p = 0; p < pr.Positions; p++)
            {
                if (pr.IsIgnored(p))
                {
                    Tolerance.AssertClose(0.0, full[p], Tol.Exact, $"{name}: ignored position {p}");
                }
                else
                {
                    Tolerance.AssertClose(compact[k], full[p], tol.WithFloor(floors[k] * perUnit), $"{name}: position {p} (kept as {k})");
                    k++;
                }
            }

            foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum })
            {
                Tolerance.AssertAllClose(
                    loss(kept, reduction),
                    loss(poisoned, reduction),
                    tol,
                    $"{name}, {reduction}: with ignored rows vs without them",
                    Floors.Reduced(floors, perUnit, reduction, kept.TargetWeightSum()));
            }
        }
    }
}
