using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;

namespace Xent.Properties;

/// <summary>Which of the two cross-entropy target forms a gradient property exercises.</summary>
public enum TargetForm
{
    /// <summary>One class index per position (ignore index, weights, label smoothing).</summary>
    Index,

    /// <summary>A probability row per position (weights, label smoothing; nothing is ignored).</summary>
    Probability,
}

/// <summary>A loss (one value for Mean/Sum, one per position for None) and the gradient over the input, widened to double.</summary>
public sealed record LossAndGradient(double[] Loss, double[] Gradient);

/// <summary>
/// Calls the kernel's losses with a gradient in element type <typeparamref name="T"/> on float64 problem data (as
/// <see cref="Run{T}"/> does for the losses). Mean and Sum ask for the gradient of the reduced loss; None asks for the
/// per-position losses and the vector-Jacobian product with the given upstream gradient (one value per position). Every
/// output buffer is filled with NaN first, so an entry the kernel fails to write fails every comparison.
/// </summary>
public static class Grad<T>
    where T : IFloatingPointIeee754<T>
{
    public static T[] Unwritten(int length)
    {
        var buffer = new T[length];
        Array.Fill(buffer, T.NaN);
        return buffer;
    }

    public static LossAndGradient CrossEntropy(Problem pr, TargetForm form, Reduction reduction, double[]? gradOutput = null) =>
        form == TargetForm.Index ? IndexCrossEntropy(pr, reduction, gradOutput) : ProbabilityCrossEntropy(pr, reduction, gradOutput);

    /// <summary>The loss with the gradient written over the logits (<c>gradient: input</c>, documented as allowed).</summary>
    public static LossAndGradient CrossEntropyInPlace(Problem pr, TargetForm form, Reduction reduction)
    {
        T[] buffer = Run<T>.To(pr.Logits);
        CrossEntropyOptions<T> options = Run<T>.Options(pr, reduction);
        CrossEntropySummary summary = form == TargetForm.Index
            ? Functional.CrossEntropy(buffer, pr.Targets, pr.Classes, options, gradient: buffer, inner: pr.Inner)
            : Functional.CrossEntropyProbabilities(buffer, Run<T>.To(pr.Probabilities), pr.Classes, options, gradient: buffer, inner: pr.Inner);
        T loss = T.CreateTruncating(summary.Loss);
        return new LossAndGradient(new[] { double.CreateTruncating(loss) }, Run<T>.Widen(buffer));
    }

    public static LossAndGradient IndexCrossEntropy(Problem pr, Reduction reduction, double[]? gradOutput = null)
    {
        T[] input = Run<T>.To(pr.Logits);
        T[] gradient = Unwritten(input.Length);
        if (reduction == Reduction.None)
        {
            T[] destination = Unwritten(pr.Positions);
            Functional.CrossEntropy(
                input, pr.Targets, pr.Classes, Run<T>.Options(pr, Reduction.None), gradient, losses: destination,
                gradOutput: Run<T>.To(Required(gradOutput)), inner: pr.Inner);
            return new LossAndGradient(Run<T>.Widen(destination), Run<T>.Widen(gradient));
        }

        T loss = T.CreateTruncating(Functional.CrossEntropy(input, pr.Targets, pr.Classes, Run<T>.Options(pr, reduction), gradient, inner: pr.Inner).Loss);
        return new LossAndGradient(new[] { double.CreateTruncating(loss) }, Run<T>.Widen(gradient));
    }

    public static LossAndGradient ProbabilityCrossEntropy(Problem pr, Reduction reduction, double[]? gradOutput = null)
    {
        T[] input = Run<T>.To(pr.Logits);
        T[] target = Run<T>.To(pr.Probabilities);
        T[] gradient = Unwritten(input.Length);
        if (reduction == Reduction.None)
        {
            T[] destination = Unwritten(pr.Positions);
            Functional.CrossEntropyProbabilities(
                input, target, pr.Classes, Run<T>.Options(pr, Reduction.None), gradient, losses: destination,
                gradOutput: Run<T>.To(Required(gradOutput)), inner: pr.Inner);
            return new LossAndGradient(Run<T>.Widen(destination), Run<T>.Widen(gradient));
        }

        T loss = T.CreateTruncating(Functional.CrossEntropyProbabilities(input, target, pr.Classes, Run<T>.Options(pr, reduction), gradient, inner: pr.Inner).Loss);
        return new LossAndGradient(new[] { double.CreateTruncating(loss) }, Run<T>.Widen(gradient));
    }

    /// <summary>NLL of <paramref name="input"/> (log-probabilities or anything else) with the problem's targets.</summary>
    public static LossAndGradient NllLoss(Problem pr, double[] input, Reduction reduction, double[]? gradOutput = null)
    {
        T[] x = Run<T>.To(input);
        T[] gradient = Unwritten(x.Length);
        if (reduction == Reduction.None)
        {
            T[] destination = Unwritten(pr.Positions);
            Functional.NllLoss(
                x, pr.Targets, pr.Classes, Run<T>.Options(pr, Reduction.None, smoothing: false), gradient, destination,
                Run<T>.To(Required(gradOutput)), pr.Inner);
            return new LossAndGradient(Run<T>.Widen(destination), Run<T>.Widen(gradient));
        }

        T loss = Functional.NllLoss(x, pr.Targets, pr.Classes, Run<T>.Options(pr, reduction, smoothing: false), gradient, inner: pr.Inner);
        return new LossAndGradient(new[] { double.CreateTruncating(loss) }, Run<T>.Widen(gradient));
    }

    /// <summary>Where the backward functions write: a fresh buffer, or over one of their inputs (documented as allowed).</summary>
    public enum Into
    {
        NewBuffer,
        First,
        GradOutput,
    }

    public static double[] SoftmaxBackward(double[] output, double[] gradOutput, int classes, int inner, Into into = Into.NewBuffer)
    {
        T[] y = Run<T>.To(output);
        T[] g = Run<T>.To(gradOutput);
        T[] gradInput = into switch { Into.First => y, Into.GradOutput => g, _ => Unwritten(y.Length) };
        Functional.SoftmaxBackward<T>(y, g, gradInput, classes, inner);
        return Run<T>.Widen(gradInput);
    }

    public static double[] LogSoftmaxBackward(double[] output, double[] gradOutput, int classes, int inner, Into into = Into.NewBuffer)
    {
        T[] o = Run<T>.To(output);
        T[] g = Run<T>.To(gradOutput);
        T[] gradInput = into switch { Into.First => o, Into.GradOutput => g, _ => Unwritten(o.Length) };
        Functional.LogSoftmaxBackward<T>(o, g, gradInput, classes, inner);
        return Run<T>.Widen(gradInput);
    }

    /// <summary><see cref="Into.First"/> writes over the input; <see cref="Into.GradOutput"/> is not allowed here (other shape).</summary>
    public static double[] LogSumExpBackward(double[] input, double[] result, double[] gradOutput, int classes, int inner, Into into = Into.NewBuffer)
    {
        T[] x = Run<T>.To(input);
        T[] gradInput = into == Into.First ? x : Unwritten(x.Length);
        Functional.LogSumExpBackward<T>(x, Run<T>.To(result), Run<T>.To(gradOutput), gradInput, classes, inner);
        return Run<T>.Widen(gradInput);
    }

    private static double[] Required(double[]? gradOutput) =>
        gradOutput ?? throw new ArgumentNullException(nameof(gradOutput), "Reduction.None needs an upstream gradient");
}

/// <summary>
/// What the gradient properties derive their expectations and tolerances from: per-row coefficients, the scale each
/// reduction applies to a row, upstream gradients, moderate logits for finite differences, and the coordinates to
/// check.
/// </summary>
public static class Gradients
{
    public static readonly Reduction[] Scalar = { Reduction.Mean, Reduction.Sum };

    /// <summary>
    /// The coefficients a[c] of row <paramref name="position"/> in ℓₙ = Σ_c a[c]·(−log softmax(xₙ)[c]):
    /// index targets (1 − ε)·w[y]·[c = y] + (ε / C)·w[c] (all 0 when ignored), probability targets
    /// w[c]·((1 − ε)·p[c] + ε / C). Their sum is <see cref="Reference.IndexCoefficientSums"/> /
    /// <see cref="Reference.ProbabilityCoefficientSums"/>.
    /// </summary>
    public static double[] Coefficients(Problem pr, TargetForm form, int position)
    {
        double eps = pr.LabelSmoothing;
        var a = new double[pr.Classes];
        if (form == TargetForm.Index)
        {
            if (pr.IsIgnored(position))
            {
                return a;
            }

            for (int c = 0; c < pr.Classes; c++)
            {
                a[c] = eps / pr.Classes * pr.Weight(c);
            }

            int y = pr.Targets[position];
            a[y] += (1.0 - eps) * pr.Weight(y);
            return a;
        }

        for (int c = 0; c < pr.Classes; c++)
        {
            a[c] = pr.Weight(c) * (((1.0 - eps) * pr.Probabilities[pr.At(position, c)]) + (eps / pr.Classes));
        }

        return a;
    }

    public static double[] CoefficientSums(Problem pr, TargetForm form) =>
        form == TargetForm.Index ? Reference.IndexCoefficientSums(pr) : Reference.ProbabilityCoefficientSums(pr);

    /// <summary>The documented normalizer of the mean: Σ w[yₙ] over kept positions (index), the position count (probability).</summary>
    public static double Normalizer(Problem pr, TargetForm form) =>
        form == TargetForm.Index ? pr.TargetWeightSum() : pr.Positions;

    /// <summary>
    /// ∂L/∂ℓₙ for each position: gradOutput[n] for None (the VJP), 1 for Sum, 1 / normalizer for Mean (infinite for a
    /// zero normalizer, where the documented result is NaN and properties skip the comparison).
    /// </summary>
    public static double[] Scales(Problem pr, TargetForm form, Reduction reduction, double[] gradOutput) => reduction switch
    {
        Reduction.None => gradOutput,
        Reduction.Sum => Enumerable.Repeat(1.0, pr.Positions).ToArray(),
        _ => Enumerable.Repeat(1.0 / Normalizer(pr, form), pr.Positions).ToArray(),
    };

    /// <summary>
    /// An upstream gradient drawn from the case's <see cref="Case.Special"/> (so a replayed case gets the same one):
    /// mostly k·2^-10 with |k| ≤ 2^12 (|g| ≤ 4, exact in float, and so are sums and small multiples), sometimes exactly
    /// 0, 1 or −1. <paramref name="salt"/> gives independent gradients for the same case.
    /// </summary>
    public static double[] Upstream(Case c, int salt, int count)
    {
        var random = new Random(c.Special ^ (salt * 0x5bd1e995));
        var g = new double[count];
        for (int i = 0; i < count; i++)
        {
            g[i] = random.Next(10) switch
            {
                0 => 0.0,
                1 => 1.0,
                2 => -1.0,
                _ => Math.ScaleB(random.Next(-(1 << 12), (1 << 12) + 1), -10),
            };
        }

        return g;
    }

    /// <summary>
    /// The problem with its logits multiplied by the power of two that brings them into [−16, 16] (unchanged if they
    /// already are). Finite differences need moderate logits: with |x| ~ 1e30 a step of 1e-5·|x| is a huge move.
    /// Targets, weights and probabilities are kept; any logits are a valid input.
    /// </summary>
    public static Problem Moderate(Problem pr)
    {
        double max = pr.MaxAbsLogit();
        if (max <= 16.0)
        {
            return pr;
        }

        double factor = Math.ScaleB(1.0, -(int)Math.Ceiling(Math.Log2(max / 16.0)));
        while (max * factor > 16.0)
        {
            factor /= 2.0;
        }

        return pr with { Logits = pr.Logits.Select(x => x * factor).ToArray() };
    }

    /// <summary>
    /// The (position, class) coordinates a finite-difference property checks: all of them for up to 192 elements;
    /// otherwise every position's target class and row maximum (where the gradient is largest and the one-hot term
    /// acts) plus random coordinates drawn from <paramref name="seed"/>, 128 in all.
    /// </summary>
    public static List<(int Position, int Class)> Coordinates(Problem pr, int seed)
    {
        var all = new List<(int, int)>();
        if (pr.Logits.Length <= 192)
        {
            for (int p = 0; p < pr.Positions; p++)
            {
                for (int c = 0; c < pr.Classes; c++)
                {
                    all.Add((p, c));
                }
            }

            return all;
        }

        var chosen = new HashSet<(int, int)>();
        for (int p = 0; p < pr.Positions; p++)
        {
            int t = pr.Targets[p];
            if (t >= 0 && t < pr.Classes)
            {
                chosen.Add((p, t));
            }

            double[] row = pr.Row(pr.Logits, p);
            chosen.Add((p, Array.IndexOf(row, row.Max())));
        }

        var random = new Random(seed);
        while (chosen.Count < 128)
        {
            chosen.Add((random.Next(pr.Positions), random.Next(pr.Classes)));
        }

        return chosen.OrderBy(x => x).ToList();
    }

    /// <summary>
    /// The central difference (f(x + h·e_j) − f(x − h·e_j)) / (2h) with h = 1e-5·max(1, |x_j|); the denominator is the
    /// step actually taken (x_j ± h are rounded). <paramref name="h"/> receives half that step.
    /// </summary>
    public static double CentralDifference(Func<double[], double> f, double[] x, int j, out double h)
    {
        double step = 1e-5 * Math.Max(1.0, Math.Abs(x[j]));
        double[] plus = (double[])x.Clone();
        double[] minus = (double[])x.Clone();
        plus[j] = x[j] + step;
        minus[j] = x[j] - step;
        double taken = plus[j] - minus[j];
        h = taken / 2.0;
        return (f(plus) - f(minus)) / taken;
    }

    /// <summary>
    /// Bit-for-bit equality, one step stricter than <see cref="Tol.Exact"/> (which accepts −0 for +0): the sign of a
    /// zero counts too. Any NaN equals any NaN: payloads are part of no contract.
    /// </summary>
    public static void AssertBitwise(double[] expected, double[] actual, string what)
    {
        Tolerance.AssertAllClose(expected, actual, Tol.Exact, what);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!double.IsNaN(expected[i]) && BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
            {
                throw new PropertyFailedException(
                    $"{what} [{i}]: expected {Tolerance.R(expected[i])}, actual {Tolerance.R(actual[i])} (sign of zero differs).");
            }
        }
    }

    /// <summary>The positions whose target is the ignore index (always none for probability targets).</summary>
    public static bool Ignored(Problem pr, TargetForm form, int position) => form == TargetForm.Index && pr.IsIgnored(position);
}
