using System;
using System.Linq;
using System.Numerics;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>
/// <see cref="EmptyMean.Zero"/> changes only a mean over no counted position: whenever at least one target counts,
/// every reduced value and every gradient is bit for bit the default's (<see cref="EmptyMean.NaN"/>), NaN, ±∞ and
/// weights summing to zero included.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class EmptyMeanProperties
{
    [Property]
    public void Zero_WithACountedTarget_IsBitIdenticalToTheDefault_Double(Case c) => ZeroChangesNothing<double>(c);

    [Property]
    public void Zero_WithACountedTarget_IsBitIdenticalToTheDefault_Float(Case c) => ZeroChangesNothing<float>(c);

    private static void ZeroChangesNothing<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem clean = c.Problem.RoundedTo<T>();
        if (clean.Positions == 0)
        {
            return; // nothing counts in an empty batch: the conformance tests cover it
        }

        if (Enumerable.Range(0, clean.Positions).All(clean.IsIgnored))
        {
            // Make the first position count rather than skip the case (the others stay ignored and are poisoned
            // below); class 0 counts unless it is the ignore index, which is then moved off every class.
            int[] targets = [.. clean.Targets];
            targets[0] = 0;
            clean = clean with
            {
                Targets = targets,
                IgnoreIndex = clean.IgnoreIndex == 0 ? Problem.NeverIgnored : clean.IgnoreIndex,
            };
        }

        Problem pr = clean.PoisonIgnoredRows(c.PoisonValue);
        T[] x = Run<T>.To(pr.Logits);
        T[] p = Run<T>.To(pr.Probabilities);
        T[] w = pr.Weights is null ? [] : Run<T>.To(pr.Weights);
        int[] y = pr.Targets;
        int classes = pr.Classes;
        int inner = pr.Inner;
        double eps = pr.LabelSmoothing;

        foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum })
        {
            // The default options (EmptyMean.NaN) and the same with EmptyMean.Zero; NLL takes no label smoothing.
            var o = new CrossEntropyOptions<T> { Weight = w, IgnoreIndex = pr.IgnoreIndex, Reduction = reduction, LabelSmoothing = eps };
            CrossEntropyOptions<T> zero = o with { EmptyMean = EmptyMean.Zero };
            CrossEntropyOptions<T> nll = o with { LabelSmoothing = 0.0 };
            CrossEntropyOptions<T> nllZero = nll with { EmptyMean = EmptyMean.Zero };

            // The summaries' loss (what (T)Loss rounds) and accuracy, in double.
            SameBits(
                Summary(Functional.CrossEntropy(x, y, classes, o, inner: inner)),
                Summary(Functional.CrossEntropy(x, y, classes, zero, inner: inner)),
                $"index CE, {reduction}");
            SameBits(
                Functional.NllLoss(x, y, classes, nll, inner: inner),
                Functional.NllLoss(x, y, classes, nllZero, inner: inner),
                $"NLL, {reduction}");
            SameBits(
                Summary(Functional.CrossEntropyProbabilities(x, p, classes, o, inner: inner)),
                Summary(Functional.CrossEntropyProbabilities(x, p, classes, zero, inner: inner)),
                $"probability CE, {reduction}");

            T[] g0 = new T[x.Length], g1 = new T[x.Length];
            SameBits(
                Summary(Functional.CrossEntropy(x, y, classes, o, g0, inner: inner)),
                Summary(Functional.CrossEntropy(x, y, classes, zero, g1, inner: inner)),
                $"index CE with gradient, {reduction}");
            SameBits(g0, g1, $"index CE gradient, {reduction}");

            T[] l0 = [.. x], l1 = [.. x];
            SameBits(
                Summary(Functional.CrossEntropy(l0, y, classes, o, gradient: l0, inner: inner)),
                Summary(Functional.CrossEntropy(l1, y, classes, zero, gradient: l1, inner: inner)),
                $"index CE in place, {reduction}");
            SameBits(l0, l1, $"index CE in-place gradient, {reduction}");

            SameBits(
                Functional.NllLoss(x, y, classes, nll, g0, inner: inner),
                Functional.NllLoss(x, y, classes, nllZero, g1, inner: inner),
                $"NLL with gradient, {reduction}");
            SameBits(g0, g1, $"NLL gradient, {reduction}");

            // Probability targets: the logits of the ignored rows are poisoned, which is fine here (no ignore index).
            SameBits(
                Summary(Functional.CrossEntropyProbabilities(x, p, classes, o, g0, inner: inner)),
                Summary(Functional.CrossEntropyProbabilities(x, p, classes, zero, g1, inner: inner)),
                $"probability CE with gradient, {reduction}");
            SameBits(g0, g1, $"probability CE gradient, {reduction}");

            l0 = [.. x];
            l1 = [.. x];
            SameBits(
                Summary(Functional.CrossEntropyProbabilities(l0, p, classes, o, gradient: l0, inner: inner)),
                Summary(Functional.CrossEntropyProbabilities(l1, p, classes, zero, gradient: l1, inner: inner)),
                $"probability CE in place, {reduction}");
            SameBits(l0, l1, $"probability CE in-place gradient, {reduction}");
        }
    }

    /// <summary>The summary's loss, z-loss and accuracy (its counts are integers and cannot depend on the rule when a target counts).</summary>
    private static double[] Summary(CrossEntropySummary s) => [s.Loss, s.ZLoss, s.Accuracy];

    private static void SameBits<T>(T expected, T actual, string what)
        where T : IFloatingPointIeee754<T>
    {
        long e = BitConverter.DoubleToInt64Bits(double.CreateTruncating(expected));
        long a = BitConverter.DoubleToInt64Bits(double.CreateTruncating(actual));
        if (e != a)
        {
            throw new InvalidOperationException($"{what}: EmptyMean.Zero gave {actual}, the default {expected}.");
        }
    }

    private static void SameBits<T>(T[] expected, T[] actual, string what)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
        {
            SameBits(expected[i], actual[i], $"{what}[{i}]");
        }
    }
}
