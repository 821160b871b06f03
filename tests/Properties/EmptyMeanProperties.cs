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
            SameBits(
                Functional.CrossEntropy<T>(x, y, classes, reduction, w, pr.IgnoreIndex, eps, inner),
                Functional.CrossEntropy<T>(x, y, classes, reduction, w, pr.IgnoreIndex, eps, inner, EmptyMean.Zero),
                $"index CE, {reduction}");
            SameBits(
                Functional.NllLoss<T>(x, y, classes, reduction, w, pr.IgnoreIndex, inner),
                Functional.NllLoss<T>(x, y, classes, reduction, w, pr.IgnoreIndex, inner, EmptyMean.Zero),
                $"NLL, {reduction}");
            SameBits(
                Functional.CrossEntropy<T>(x, p, classes, reduction, w, eps, inner),
                Functional.CrossEntropy<T>(x, p, classes, reduction, w, eps, inner, EmptyMean.Zero),
                $"probability CE, {reduction}");

            T[] g0 = new T[x.Length], g1 = new T[x.Length];
            SameBits(
                Functional.CrossEntropyWithGradient<T>(x, y, g0, classes, reduction, w, pr.IgnoreIndex, eps, inner),
                Functional.CrossEntropyWithGradient<T>(x, y, g1, classes, reduction, w, pr.IgnoreIndex, eps, inner, EmptyMean.Zero),
                $"index CE with gradient, {reduction}");
            SameBits(g0, g1, $"index CE gradient, {reduction}");

            T[] l0 = [.. x], l1 = [.. x];
            SameBits(
                Functional.CrossEntropyWithGradientInPlace<T>(l0, y, classes, reduction, w, pr.IgnoreIndex, eps, inner),
                Functional.CrossEntropyWithGradientInPlace<T>(l1, y, classes, reduction, w, pr.IgnoreIndex, eps, inner, EmptyMean.Zero),
                $"index CE in place, {reduction}");
            SameBits(l0, l1, $"index CE in-place gradient, {reduction}");

            SameBits(
                Functional.NllLossWithGradient<T>(x, y, g0, classes, reduction, w, pr.IgnoreIndex, inner),
                Functional.NllLossWithGradient<T>(x, y, g1, classes, reduction, w, pr.IgnoreIndex, inner, EmptyMean.Zero),
                $"NLL with gradient, {reduction}");
            SameBits(g0, g1, $"NLL gradient, {reduction}");

            // Probability targets: the logits of the ignored rows are poisoned, which is fine here (no ignore index).
            SameBits(
                Functional.CrossEntropyWithGradient<T>(x, p, g0, classes, reduction, w, eps, inner),
                Functional.CrossEntropyWithGradient<T>(x, p, g1, classes, reduction, w, eps, inner, EmptyMean.Zero),
                $"probability CE with gradient, {reduction}");
            SameBits(g0, g1, $"probability CE gradient, {reduction}");

            l0 = [.. x];
            l1 = [.. x];
            SameBits(
                Functional.CrossEntropyWithGradientInPlace<T>(l0, p, classes, reduction, w, eps, inner),
                Functional.CrossEntropyWithGradientInPlace<T>(l1, p, classes, reduction, w, eps, inner, EmptyMean.Zero),
                $"probability CE in place, {reduction}");
            SameBits(l0, l1, $"probability CE in-place gradient, {reduction}");
        }
    }

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
