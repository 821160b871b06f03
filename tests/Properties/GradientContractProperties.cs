using System;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>
/// The exact promises of the gradient API, bit for bit: in place equals out of place, the returned loss is the
/// loss-only function's value, ignored rows get exactly 0 whatever they hold, inputs are never modified, the backward
/// functions may write over their inputs, and float results are the double results rounded once.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class GradientContractProperties
{
    [Property]
    public void InPlaceGradient_IsBitwiseOutOfPlace_Double(Case c) => InPlaceIsOutOfPlace<double>(c);

    [Property]
    public void InPlaceGradient_IsBitwiseOutOfPlace_Float(Case c) => InPlaceIsOutOfPlace<float>(c);

    [Property]
    public void LossWithGradient_EqualsLossOnly_Bitwise_Double(Case c) => LossEqualsLossOnly<double>(c);

    [Property]
    public void LossWithGradient_EqualsLossOnly_Bitwise_Float(Case c) => LossEqualsLossOnly<float>(c);

    [Property]
    public void IgnoredRows_HaveExactlyZeroGradient_EvenWithNaNOrInfiniteLogits_Double(Case c) => IgnoredRowsAreZero<double>(c);

    [Property]
    public void IgnoredRows_HaveExactlyZeroGradient_EvenWithNaNOrInfiniteLogits_Float(Case c) => IgnoredRowsAreZero<float>(c);

    [Property]
    public void GradientDoesNotModifyInputs_Double(Case c) => InputsUnchanged<double>(c);

    [Property]
    public void GradientDoesNotModifyInputs_Float(Case c) => InputsUnchanged<float>(c);

    [Property]
    public void BackwardInPlace_IsBitwiseOutOfPlace_Double(Case c) => BackwardInPlace<double>(c);

    [Property]
    public void BackwardInPlace_IsBitwiseOutOfPlace_Float(Case c) => BackwardInPlace<float>(c);

    [Property]
    public void FloatCrossEntropyGradient_IsWithinFloatRoundingOfTheDoubleGradient(Case c)
    {
        // Functional's documented precision contract for gradients: the float kernel stores exp(x − m) in the float
        // gradient buffer (one exponential per element, no other buffer), so each stored exponential is rounded once
        // to float before the double rescaling scale·(e/S·A − B[j]) and the final rounding. The error is at most
        // |scale|·A·p[j]·u (the stored exponential) plus u·|g| (the last rounding), with A ≤ Σ_c |a[c]| and p[j] ≤ 1:
        // allowed 2u relative plus an absolute floor of 3u·|scale|·Σ|a| per row.
        Problem clean = c.Problem.RoundedTo<float>();
        Problem pr = clean.PoisonIgnoredRows(c.PoisonValue);
        double[] gradOutput = Gradients.Upstream(c, 1, pr.Positions);
        double u = Tolerance.UnitRoundoff<float>();
        foreach (TargetForm form in new[] { TargetForm.Index, TargetForm.Probability })
        {
            Problem problem = form == TargetForm.Index ? pr : clean;
            foreach (Reduction reduction in Run<float>.AllReductions)
            {
                double[] scales = Gradients.Scales(problem, form, reduction, gradOutput);
                var floors = new double[problem.Logits.Length];
                for (int position = 0; position < problem.Positions; position++)
                {
                    double coefficients = Gradients.Coefficients(problem, form, position).Sum(Math.Abs);
                    for (int cls = 0; cls < problem.Classes; cls++)
                    {
                        // An infinite scale (a Mean over zero weight) with no coefficients gives ∞·0: no floor is needed there.
                        // The fused float path (index targets, inner = 1) also computes each exponential in float from the
                        // float-rounded shifted logit and keeps block sums in float: u·(26 + Σ p·|x − m|) instead of 3u
                        // (see FastPathBounds).
                        double factor = form == TargetForm.Index && FastPathBounds.Applies(problem) ? 26 + FastPathBounds.Spread(problem, position) : 3;
                        double floor = factor * u * Math.Abs(scales[position]) * coefficients;
                        floors[problem.At(position, cls)] = double.IsNaN(floor) ? 0 : floor;
                    }
                }

                Tolerance.AssertAllClose(
                    Problem.Round<float>(Grad<double>.CrossEntropy(problem, form, reduction, gradOutput).Gradient),
                    Grad<float>.CrossEntropy(problem, form, reduction, gradOutput).Gradient,
                    new Tol(2 * u, 0),
                    $"float {form} CE gradient, {reduction}, vs the double gradient",
                    floors);
            }
        }
    }

    [Property]
    public void FloatLossesNllAndBackwardGradients_AreDoubleResultsRoundedOnce(Case c)
    {
        double u = Tolerance.UnitRoundoff<float>();
        // The same contract for everything else the gradient API returns: the losses of the with-gradient functions,
        // the NLL gradient and the three backward functions.
        Problem clean = c.Problem.RoundedTo<float>();
        Problem pr = clean.PoisonIgnoredRows(c.PoisonValue);
        double[] gradOutput = Gradients.Upstream(c, 1, pr.Positions);
        foreach (TargetForm form in new[] { TargetForm.Index, TargetForm.Probability })
        {
            Problem problem = form == TargetForm.Index ? pr : clean;
            foreach (Reduction reduction in Run<float>.AllReductions)
            {
                double[] wide = Grad<double>.CrossEntropy(problem, form, reduction, gradOutput).Loss;
                double[] narrow = Grad<float>.CrossEntropy(problem, form, reduction, gradOutput).Loss;
                if (form == TargetForm.Index && FastPathBounds.Applies(problem))
                {
                    Tolerance.AssertAllClose(Problem.Round<float>(wide), narrow, new Tol(2 * u, 0), $"float index CE loss with gradient (fused path), {reduction}", FastPathBounds.Floors(problem, reduction));
                }
                else
                {
                    SameRounded(wide, narrow, $"{form} CE loss with gradient, {reduction}");
                }
            }
        }

        foreach (Reduction reduction in Run<float>.AllReductions)
        {
            LossAndGradient wide = Grad<double>.NllLoss(pr, pr.Logits, reduction, gradOutput);
            LossAndGradient narrow = Grad<float>.NllLoss(pr, pr.Logits, reduction, gradOutput);
            SameRounded(wide.Loss, narrow.Loss, $"NLL loss with gradient, {reduction}");
            SameRounded(wide.Gradient, narrow.Gradient, $"NLL gradient, {reduction}");
        }

        double[] g = Gradients.Upstream(c, 2, clean.Logits.Length);
        double[] lseGrad = Gradients.Upstream(c, 3, clean.Positions);
        double[] softmax = Run<float>.Softmax(clean);
        double[] logSoftmax = Run<float>.LogSoftmax(clean);
        double[] lse = Run<float>.LogSumExp(clean);
        SameRounded(Grad<double>.SoftmaxBackward(softmax, g, clean.Classes, clean.Inner), Grad<float>.SoftmaxBackward(softmax, g, clean.Classes, clean.Inner), "softmax backward");
        SameRounded(Grad<double>.LogSoftmaxBackward(logSoftmax, g, clean.Classes, clean.Inner), Grad<float>.LogSoftmaxBackward(logSoftmax, g, clean.Classes, clean.Inner), "log-softmax backward");
        SameRounded(Grad<double>.LogSumExpBackward(clean.Logits, lse, lseGrad, clean.Classes, clean.Inner), Grad<float>.LogSumExpBackward(clean.Logits, lse, lseGrad, clean.Classes, clean.Inner), "logsumexp backward");
    }

    private static void SameRounded(double[] doubleResult, double[] floatResult, string what) =>
        Tolerance.AssertAllClose(Problem.Round<float>(doubleResult), floatResult, Tol.Exact, $"float {what} vs double {what} rounded to float");

    private static void InPlaceIsOutOfPlace<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // Documented: the in-place gradient is bit for bit the out-of-place one (and so is the loss), for any logits,
        // both layouts, and poisoned ignored rows.
        Problem clean = c.Problem.RoundedTo<T>();
        Problem pr = clean.PoisonIgnoredRows(c.PoisonValue);
        foreach (TargetForm form in new[] { TargetForm.Index, TargetForm.Probability })
        {
            Problem problem = form == TargetForm.Index ? pr : clean;
            foreach (Reduction reduction in Gradients.Scalar)
            {
                LossAndGradient outOfPlace = Grad<T>.CrossEntropy(problem, form, reduction);
                LossAndGradient inPlace = Grad<T>.CrossEntropyInPlace(problem, form, reduction);
                Gradients.AssertBitwise(outOfPlace.Gradient, inPlace.Gradient, $"{form} CE in-place gradient, {reduction}");
                Gradients.AssertBitwise(outOfPlace.Loss, inPlace.Loss, $"{form} CE in-place loss, {reduction}");
            }
        }
    }

    private static void LossEqualsLossOnly<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // Documented: "the reduced loss, bit for bit the value the loss-only overload returns"; the per-element
        // variants write the per-element losses; for every API shape, any logits, poisoned ignored rows.
        Problem clean = c.Problem.RoundedTo<T>();
        Problem pr = clean.PoisonIgnoredRows(c.PoisonValue);
        double[] gradOutput = Gradients.Upstream(c, 1, pr.Positions);
        foreach (Reduction reduction in Run<T>.AllReductions)
        {
            Gradients.AssertBitwise(Run<T>.IndexCrossEntropy(pr, reduction), Grad<T>.IndexCrossEntropy(pr, reduction, gradOutput).Loss, $"index CE with gradient vs loss only, {reduction}");
            Gradients.AssertBitwise(Run<T>.ProbabilityCrossEntropy(clean, reduction), Grad<T>.ProbabilityCrossEntropy(clean, reduction, gradOutput).Loss, $"probability CE with gradient vs loss only, {reduction}");
            Gradients.AssertBitwise(Run<T>.NllLoss(pr, pr.Logits, reduction), Grad<T>.NllLoss(pr, pr.Logits, reduction, gradOutput).Loss, $"NLL with gradient vs loss only, {reduction}");
            if (reduction != Reduction.None)
            {
                Gradients.AssertBitwise(Run<T>.IndexCrossEntropy(pr, reduction), Grad<T>.CrossEntropyInPlace(pr, TargetForm.Index, reduction).Loss, $"index CE in place vs loss only, {reduction}");
                Gradients.AssertBitwise(Run<T>.ProbabilityCrossEntropy(clean, reduction), Grad<T>.CrossEntropyInPlace(clean, TargetForm.Probability, reduction).Loss, $"probability CE in place vs loss only, {reduction}");
            }
        }
    }

    private static void IgnoredRowsAreZero<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem clean = c.Problem.RoundedTo<T>();
        if (clean.Positions == 0)
        {
            return;
        }

        // Make sure at least one position is ignored (the property must not pass vacuously).
        if (!Enumerable.Range(0, clean.Positions).Any(clean.IsIgnored))
        {
            int[] targets = (int[])clean.Targets.Clone();
            targets[c.SpecialPosition] = clean.IgnoreIndex;
            clean = clean with { Targets = targets };
        }

        double[] gradOutput = Gradients.Upstream(c, 1, clean.Positions);
        var expected = new (string Name, LossAndGradient Result)[]
        {
            ("CE Mean", Grad<T>.IndexCrossEntropy(clean, Reduction.Mean)),
            ("CE Sum", Grad<T>.IndexCrossEntropy(clean, Reduction.Sum)),
            ("CE in place Mean", Grad<T>.CrossEntropyInPlace(clean, TargetForm.Index, Reduction.Mean)),
            ("CE in place Sum", Grad<T>.CrossEntropyInPlace(clean, TargetForm.Index, Reduction.Sum)),
            ("CE VJP", Grad<T>.IndexCrossEntropy(clean, Reduction.None, gradOutput)),
            ("NLL Mean", Grad<T>.NllLoss(clean, clean.Logits, Reduction.Mean)),
            ("NLL Sum", Grad<T>.NllLoss(clean, clean.Logits, Reduction.Sum)),
            ("NLL VJP", Grad<T>.NllLoss(clean, clean.Logits, Reduction.None, gradOutput)),
        };

        // NaN in every case, and one of +∞, −∞ and ±3e38 (the largest float) chosen by the case.
        double[] others = { double.PositiveInfinity, double.NegativeInfinity, Case.Largest };
        foreach (double poison in new[] { double.NaN, others[c.Special % others.Length] })
        {
            // Documented: an ignored position's gradient is exactly 0 even when its logits are NaN or infinite, and
            // (reduction None) whatever its upstream gradient is. Everything else does not look at ignored rows, so
            // every other entry and every loss is bit for bit that of the clean problem.
            Problem bad = clean.PoisonIgnoredRows(poison);
            double[] badGradOutput = gradOutput.Select((g, p) => bad.IsIgnored(p) ? poison : g).ToArray();
            var actual = new (string Name, LossAndGradient Result)[]
            {
                ("CE Mean", Grad<T>.IndexCrossEntropy(bad, Reduction.Mean)),
                ("CE Sum", Grad<T>.IndexCrossEntropy(bad, Reduction.Sum)),
                ("CE in place Mean", Grad<T>.CrossEntropyInPlace(bad, TargetForm.Index, Reduction.Mean)),
                ("CE in place Sum", Grad<T>.CrossEntropyInPlace(bad, TargetForm.Index, Reduction.Sum)),
                ("CE VJP", Grad<T>.IndexCrossEntropy(bad, Reduction.None, badGradOutput)),
                ("NLL Mean", Grad<T>.NllLoss(bad, bad.Logits, Reduction.Mean)),
                ("NLL Sum", Grad<T>.NllLoss(bad, bad.Logits, Reduction.Sum)),
                ("NLL VJP", Grad<T>.NllLoss(bad, bad.Logits, Reduction.None, badGradOutput)),
            };

            for (int i = 0; i < expected.Length; i++)
            {
                string what = $"{actual[i].Name} with ignored rows set to {Tolerance.R(poison)}";
                double[] want = (double[])expected[i].Result.Gradient.Clone();
                for (int p = 0; p < bad.Positions; p++)
                {
                    if (bad.IsIgnored(p))
                    {
                        for (int k = 0; k < bad.Classes; k++)
                        {
                            want[bad.At(p, k)] = 0.0;
                        }
                    }
                }

                Gradients.AssertBitwise(want, actual[i].Result.Gradient, $"{what}: gradient");
                Gradients.AssertBitwise(expected[i].Result.Loss, actual[i].Result.Loss, $"{what}: loss");
            }
        }
    }

    private static void InputsUnchanged<T>(Case c)
        where T : struct, IFloatingPointIeee754<T>
    {
        // Documented: "No function modifies its inputs." Every out-of-place gradient function is called on arrays
        // whose copies are compared afterwards, bit for bit (poisoned ignored rows included).
        Problem pr = c.Problem.RoundedTo<T>().PoisonIgnoredRows(c.PoisonValue);
        T[] input = Run<T>.To(pr.Logits);
        T[] probabilities = Run<T>.To(pr.Probabilities);
        T[] weight = pr.Weights is null ? Array.Empty<T>() : Run<T>.To(pr.Weights);
        T[] gradOutput = Run<T>.To(Gradients.Upstream(c, 1, pr.Positions));
        T[] elementGradOutput = Run<T>.To(Gradients.Upstream(c, 2, input.Length));
        int[] targets = (int[])pr.Targets.Clone();
        T[] softmax = Run<T>.To(Run<T>.Softmax(pr));
        T[] logSoftmax = Run<T>.To(Run<T>.LogSoftmax(pr));
        T[] lse = Run<T>.To(Run<T>.LogSumExp(pr));
        T[][] all = { input, probabilities, weight, gradOutput, elementGradOutput, softmax, logSoftmax, lse };
        T[][] before = all.Select(a => (T[])a.Clone()).ToArray();

        void Unchanged(string call)
        {
            for (int i = 0; i < all.Length; i++)
            {
                // Byte for byte (NaN payloads included: nothing may be written at all); the readable report on failure.
                if (!MemoryMarshal.AsBytes(all[i].AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(before[i].AsSpan())))
                {
                    Gradients.AssertBitwise(Run<T>.Widen(before[i]), Run<T>.Widen(all[i]), $"{call}: input array {i} (input, probabilities, weight, gradOutput, element gradOutput, softmax, log-softmax, logsumexp)");
                    throw new PropertyFailedException($"{call}: input array {i} changed (a NaN payload)");
                }
            }

            Tolerance.Require(targets.SequenceEqual(pr.Targets), $"{call}: the targets changed");
        }

        int n = input.Length;
        int positions = pr.Positions;
        int classes = pr.Classes;
        int inner = pr.Inner;
        CrossEntropyOptions<T> Options(Reduction reduction, bool smoothing = true) => new()
        {
            Weight = weight,
            IgnoreIndex = pr.IgnoreIndex,
            Reduction = reduction,
            LabelSmoothing = smoothing ? pr.LabelSmoothing : 0.0,
        };

        foreach (Reduction reduction in Gradients.Scalar)
        {
            Functional.CrossEntropy(input, targets, classes, Options(reduction), gradient: new T[n], inner: inner);
            Unchanged($"index CrossEntropy with gradient {reduction}");
            Functional.CrossEntropyProbabilities(input, probabilities, classes, Options(reduction), gradient: new T[n], inner: inner);
            Unchanged($"CrossEntropyProbabilities with gradient {reduction}");
            Functional.NllLoss(input, targets, classes, Options(reduction, smoothing: false), gradient: new T[n], inner: inner);
            Unchanged($"NllLoss with gradient {reduction}");
        }

        Functional.CrossEntropy(input, targets, classes, Options(Reduction.None), new T[n], losses: new T[positions], gradOutput: gradOutput, inner: inner);
        Unchanged("index CrossEntropy None with losses, gradient and gradOutput");
        Functional.CrossEntropyProbabilities(input, probabilities, classes, Options(Reduction.None), new T[n], losses: new T[positions], gradOutput: gradOutput, inner: inner);
        Unchanged("CrossEntropyProbabilities None with losses, gradient and gradOutput");
        Functional.NllLoss(input, targets, classes, Options(Reduction.None, smoothing: false), new T[n], new T[positions], gradOutput, inner);
        Unchanged("NllLoss None with losses, gradient and gradOutput");
        Functional.SoftmaxBackward<T>(softmax, elementGradOutput, new T[n], classes, inner);
        Unchanged("SoftmaxBackward");
        Functional.LogSoftmaxBackward<T>(logSoftmax, elementGradOutput, new T[n], classes, inner);
        Unchanged("LogSoftmaxBackward");
        Functional.LogSumExpBackward<T>(input, lse, gradOutput, new T[n], classes, inner);
        Unchanged("LogSumExpBackward");

        // In place (the gradient written over a copy of the logits): weights, targets and probabilities stay.
        foreach (Reduction reduction in Gradients.Scalar)
        {
            T[] logits = (T[])input.Clone();
            Functional.CrossEntropy(logits, targets, classes, Options(reduction), gradient: logits, inner: inner);
            Unchanged($"index CrossEntropy in place {reduction}");
            logits = (T[])input.Clone();
            Functional.CrossEntropyProbabilities(logits, probabilities, classes, Options(reduction), gradient: logits, inner: inner);
            Unchanged($"CrossEntropyProbabilities in place {reduction}");
        }
    }

    private static void BackwardInPlace<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // Documented: gradInput "may be output or gradOutput itself (same start)" for the normalizers' backward, and
        // the input itself for logsumexp's. Each row is read before it is written: bit for bit the fresh-buffer result.
        Problem pr = c.Problem.RoundedTo<T>();
        double[] g = Gradients.Upstream(c, 2, pr.Logits.Length);
        double[] softmax = Run<T>.Softmax(pr);
        double[] logSoftmax = Run<T>.LogSoftmax(pr);
        foreach (Grad<T>.Into into in new[] { Grad<T>.Into.First, Grad<T>.Into.GradOutput })
        {
            Gradients.AssertBitwise(
                Grad<T>.SoftmaxBackward(softmax, g, pr.Classes, pr.Inner),
                Grad<T>.SoftmaxBackward(softmax, g, pr.Classes, pr.Inner, into),
                $"softmax backward written over {into}");
            Gradients.AssertBitwise(
                Grad<T>.LogSoftmaxBackward(logSoftmax, g, pr.Classes, pr.Inner),
                Grad<T>.LogSoftmaxBackward(logSoftmax, g, pr.Classes, pr.Inner, into),
                $"log-softmax backward written over {into}");
        }

        double[] lse = Run<T>.LogSumExp(pr);
        double[] lseGrad = Gradients.Upstream(c, 3, pr.Positions);
        Gradients.AssertBitwise(
            Grad<T>.LogSumExpBackward(pr.Logits, lse, lseGrad, pr.Classes, pr.Inner),
            Grad<T>.LogSumExpBackward(pr.Logits, lse, lseGrad, pr.Classes, pr.Inner, Grad<T>.Into.First),
            "logsumexp backward written over its input");
    }
}
