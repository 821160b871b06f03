using System;
using System.Linq;
using System.Numerics;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>
/// Algebraic laws of the loss gradients: the documented closed form at every logit scale, rows summing to zero,
/// softmax − one-hot, Sum = N × Mean, linearity of the per-element VJP in its upstream gradient, index targets =
/// one-hot probability targets, the chain rule through LogSoftmaxBackward, and the exact NLL gradient.
/// </summary>
/// <remarks>
/// Error model shared by the tolerances: a row's gradient is g_j = s·(p_j·K − a_j) with p = softmax, a the row's
/// coefficients (<see cref="Gradients.Coefficients"/>) and K = Σ a; s the reduction's scale. p_j·K and a_j are both
/// ≤ K, so a few roundings of each leave an absolute error of a few u·K·|s| (u = u_T for float, where the kernel
/// also stores the exponentials in T), and the row's sum of exponentials is off by ≤ C·u_d relative
/// (<see cref="Floors.LogSum"/>, which is 4·C·u_d). Absolute floors are therefore per element
/// |s|·K·(Floors.LogSum(C) + k·u_T) with a small k, never a fixed constant.
/// </remarks>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class GradientProperties
{
    [Property]
    public void Gradient_MatchesDocumentedFormula_AtAnyLogitScale_Double(Case c) => MatchesDocumentedFormula<double>(c);

    [Property]
    public void Gradient_MatchesDocumentedFormula_AtAnyLogitScale_Float(Case c) => MatchesDocumentedFormula<float>(c);

    [Property]
    public void UnweightedCrossEntropy_GradientRowsSumToZero_Double(Case c) => RowsSumToZero<double>(c, weighted: false);

    [Property]
    public void UnweightedCrossEntropy_GradientRowsSumToZero_Float(Case c) => RowsSumToZero<float>(c, weighted: false);

    [Property]
    public void WeightedCrossEntropy_GradientRowsSumToZero_ByShiftInvariance_Double(Case c) => RowsSumToZero<double>(c, weighted: true);

    [Property]
    public void PlainCrossEntropy_GradientIsSoftmaxMinusOneHot_Scaled_Double(Case c) => SoftmaxMinusOneHot<double>(c);

    [Property]
    public void PlainCrossEntropy_GradientIsSoftmaxMinusOneHot_Scaled_Float(Case c) => SoftmaxMinusOneHot<float>(c);

    [Property]
    public void SumGradient_IsNTimesUnweightedMeanGradient_Double(Case c) => SumIsNTimesMean<double>(c);

    [Property]
    public void SumGradient_IsNTimesUnweightedMeanGradient_Float(Case c) => SumIsNTimesMean<float>(c);

    [Property]
    public void PerElementVjp_IsLinearInGradOutput_Double(Case c) => VjpIsLinear<double>(c);

    [Property]
    public void PerElementVjp_IsLinearInGradOutput_Float(Case c) => VjpIsLinear<float>(c);

    [Property]
    public void PerElementVjp_WithOnes_EqualsSumGradient_Double(Case c) => VjpWithOnesIsSum<double>(c);

    [Property]
    public void PerElementVjp_WithOnes_EqualsSumGradient_Float(Case c) => VjpWithOnesIsSum<float>(c);

    [Property]
    public void PerElementVjp_WithReciprocalNormalizer_EqualsMeanGradient_Double(Case c)
    {
        Problem pr = c.Problem;
        foreach (TargetForm form in new[] { TargetForm.Index, TargetForm.Probability })
        {
            double normalizer = Gradients.Normalizer(pr, form);
            if (normalizer == 0.0)
            {
                continue; // documented NaN mean
            }

            // Mean scales row n by 1 / normalizer; the VJP with that constant as gradOutput is the same product.
            double[] reciprocal = Enumerable.Repeat(1.0 / normalizer, pr.Positions).ToArray();
            double[] k = Gradients.CoefficientSums(pr, form);
            Tolerance.AssertAllClose(
                Grad<double>.CrossEntropy(pr, form, Reduction.Mean).Gradient,
                Grad<double>.CrossEntropy(pr, form, Reduction.None, reciprocal).Gradient,
                Tol.Double,
                $"{form} CE: VJP with gradOutput = 1 / {Tolerance.R(normalizer)} vs Mean gradient",
                PerElement(pr, p => k[p] / normalizer * 8.0 * Tolerance.UnitRoundoffDouble));
        }
    }

    [Property]
    public void IndexGradient_EqualsOneHotProbabilityGradient_Double(Case c) => IndexEqualsOneHot<double>(c);

    [Property]
    public void IndexGradient_EqualsOneHotProbabilityGradient_Float(Case c) => IndexEqualsOneHot<float>(c);

    [Property]
    public void CrossEntropyGradient_EqualsLogSoftmaxBackwardOfNllGradient_Double(Case c) => ChainRule<double>(c);

    [Property]
    public void CrossEntropyGradient_EqualsLogSoftmaxBackwardOfNllGradient_Float(Case c) => ChainRule<float>(c);

    [Property]
    public void NllGradient_IsMinusScaledWeightAtTargetOnly_Double(Case c) => NllGradientIsExact<double>(c);

    [Property]
    public void NllGradient_IsMinusScaledWeightAtTargetOnly_Float(Case c) => NllGradientIsExact<float>(c);

    [Property]
    public void LargeLogits_Gradient_IsFinite_L1Bounded_AndNonNegativeWhereCoefficientIsZero_Double(LargeCase c) => FiniteAndBounded<double>(c.Value);

    [Property]
    public void LargeLogits_Gradient_IsFinite_L1Bounded_AndNonNegativeWhereCoefficientIsZero_Float(LargeCase c) => FiniteAndBounded<float>(c.Value);

    /// <summary>One value per element of the problem's (outer, classes, inner) layout, from a per-position value.</summary>
    private static double[] PerElement(Problem pr, Func<int, double> ofPosition)
    {
        var values = new double[pr.Logits.Length];
        for (int p = 0; p < pr.Positions; p++)
        {
            double v = ofPosition(p);
            for (int k = 0; k < pr.Classes; k++)
            {
                values[pr.At(p, k)] = v;
            }
        }

        return values;
    }

    private static void MatchesDocumentedFormula<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem clean = c.Problem.RoundedTo<T>();
        double[] gradOutput = Gradients.Upstream(c, 1, clean.Positions);
        double u = Tolerance.UnitRoundoff<T>();
        foreach (TargetForm form in new[] { TargetForm.Index, TargetForm.Probability })
        {
            // Index targets: ignored rows are poisoned too; their documented gradient is 0 whatever they hold.
            Problem pr = form == TargetForm.Index ? clean.PoisonIgnoredRows(c.PoisonValue) : clean;
            double[] k = Gradients.CoefficientSums(pr, form);
            foreach (Reduction reduction in Run<T>.AllReductions)
            {
                double[] scales = Gradients.Scales(pr, form, reduction, gradOutput);
                var expected = new double[pr.Logits.Length];
                var floors = new double[pr.Logits.Length];
                bool skip = false;
                for (int p = 0; p < pr.Positions && !skip; p++)
                {
                    if (Gradients.Ignored(pr, form, p))
                    {
                        continue; // expected 0, floor 0: exactly zero
                    }

                    double s = scales[p];
                    skip = !double.IsFinite(s); // a zero normalizer: documented NaN, see NllGradient for the exact case
                    double[] a = Gradients.Coefficients(pr, form, p);
                    double[] logSoftmax = Reference.LogSoftmaxRow(pr.Row(pr.Logits, p));
                    for (int j = 0; j < pr.Classes; j++)
                    {
                        // Documented: ∂ℓₙ/∂x[j] = softmax[j]·K − a[j], times the reduction's scale. The reference
                        // softmax is exp of the max-shifted log-softmax, so it is accurate at any logit scale.
                        double probability = Math.Exp(logSoftmax[j]);
                        expected[pr.At(p, j)] = s * ((probability * k[p]) - a[j]);
                        floors[pr.At(p, j)] = Math.Abs(s) * ((probability * k[p]) + a[j]) * (Floors.LogSum(pr.Classes) + (8.0 * u));
                    }
                }

                if (skip)
                {
                    continue;
                }

                Tolerance.AssertAllClose(
                    expected,
                    Grad<T>.CrossEntropy(pr, form, reduction, gradOutput).Gradient,
                    Tol.Of<T>(),
                    $"{form} CE gradient vs scale·(softmax·K − a), {reduction}",
                    floors);
            }
        }
    }

    private static void RowsSumToZero<T>(Case c, bool weighted)
        where T : IFloatingPointIeee754<T>
    {
        // Cross entropy is shift invariant, ℓ(x + t·1) = ℓ(x), so Σ_j ∂ℓ/∂x_j = 0: algebraically Σ_j (p_j·K − a_j) =
        // K − K. The kernel's doc states it for unweighted rows; shift invariance makes it hold for any weights and
        // targets (a probability row need not even sum to 1), which the weighted variant checks.
        Problem pr = weighted ? c.Problem.RoundedTo<T>() : c.Problem.RoundedTo<T>() with { Weights = null };
        double[] gradOutput = Gradients.Upstream(c, 1, pr.Positions);
        double u = Tolerance.UnitRoundoff<T>();
        foreach (TargetForm form in new[] { TargetForm.Index, TargetForm.Probability })
        {
            double[] k = Gradients.CoefficientSums(pr, form);
            foreach (Reduction reduction in Run<T>.AllReductions)
            {
                double[] scales = Gradients.Scales(pr, form, reduction, gradOutput);
                double[] gradient = Grad<T>.CrossEntropy(pr, form, reduction, gradOutput).Gradient;
                for (int p = 0; p < pr.Positions; p++)
                {
                    if (!double.IsFinite(scales[p]))
                    {
                        continue;
                    }

                    // Σ_j p_j = 1 within Floors.LogSum (the row's sum of exponentials is off by ≤ C·u_d relative); each
                    // entry then carries a few roundings of terms ≤ K (in float: the stored exponential and the
                    // result, u_f each), so |Σ_j g_j| ≤ |s|·K·(Floors.LogSum + 3u_T); 8u_T is allowed. An ignored
                    // row (K = 0) must sum to exactly 0.
                    double allowed = Math.Abs(scales[p]) * k[p] * (Floors.LogSum(pr.Classes) + (8.0 * u));
                    Tolerance.AssertClose(0.0, Reference.Sum(pr.Row(gradient, p)), new Tol(0.0, allowed), $"{form} CE gradient row {p} sum, {reduction} (K = {Tolerance.R(k[p])})");
                }
            }
        }
    }

    private static void SoftmaxMinusOneHot<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // No weights, no smoothing, nothing ignored: ∂L/∂x = (softmax − onehot)·s with s = 1 (Sum) or 1/N (Mean),
        // for index targets and for the same targets given as one-hot probability rows. Any logit scale.
        Problem pr = (c.Problem.RoundedTo<T>() with { Weights = null, LabelSmoothing = 0.0 }).WithoutIgnoredTargets();
        Problem oneHot = pr with { Probabilities = pr.OneHotTargets() };
        double[] softmax = Reference.SoftmaxOf(pr.Logits, pr.Outer, pr.Classes, pr.Inner);
        double[] hot = pr.OneHotTargets();
        foreach (Reduction reduction in Gradients.Scalar)
        {
            double s = reduction == Reduction.Mean ? 1.0 / pr.Positions : 1.0;
            double[] expected = softmax.Select((v, i) => (v - hot[i]) * s).ToArray();

            // Off-target entries are s·p_j, relatively as accurate as the softmax (Floors.LogSum plus the kernel's
            // roundings in T); the target entry p_y − 1 cancels, so it gets the absolute floor s·(Floors.LogSum + 4u_T).
            Tol tol = Tol.Of<T>().PlusRelative(Floors.LogSum(pr.Classes));
            double[] floors = Enumerable.Repeat(s * (Floors.LogSum(pr.Classes) + (4.0 * Tolerance.UnitRoundoff<T>())), expected.Length).ToArray();
            Tolerance.AssertAllClose(expected, Grad<T>.IndexCrossEntropy(pr, reduction).Gradient, tol, $"index CE gradient vs (softmax − onehot)·{Tolerance.R(s)}, {reduction}", floors);
            Tolerance.AssertAllClose(expected, Grad<T>.ProbabilityCrossEntropy(oneHot, reduction).Gradient, tol, $"one-hot probability CE gradient vs (softmax − onehot)·{Tolerance.R(s)}, {reduction}", floors);
        }
    }

    private static void SumIsNTimesMean<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // Unweighted, with smoothing and ignored rows as drawn: N = the number of kept positions (index targets, the
        // documented Σ w[y] with w = 1) or of all positions (probability targets).
        Problem pr = c.Problem.RoundedTo<T>() with { Weights = null };
        foreach (TargetForm form in new[] { TargetForm.Index, TargetForm.Probability })
        {
            double n = Gradients.Normalizer(pr, form);
            double[] k = Gradients.CoefficientSums(pr, form);
            double[] mean = Grad<T>.CrossEntropy(pr, form, Reduction.Mean).Gradient;
            double[] sum = Grad<T>.CrossEntropy(pr, form, Reduction.Sum).Gradient;

            // Same terms, scaled by 1/N (rounded) instead of 1: each of p_j·K and a_j (≤ K) moves by ~2u relative,
            // and they may cancel, hence the floor 8·u_d·K per element; in float each side is then rounded once.
            Tolerance.AssertAllClose(
                sum,
                mean.Select(v => v * n).ToArray(),
                Tol.Of<T>(),
                $"{form} CE: Sum gradient vs {Tolerance.R(n)} × Mean gradient",
                PerElement(pr, p => 8.0 * Tolerance.UnitRoundoffDouble * k[p]));
        }
    }

    private static void VjpIsLinear<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        Problem pr = c.Problem.RoundedTo<T>().PoisonIgnoredRows(c.PoisonValue);
        Problem clean = c.Problem.RoundedTo<T>();
        double[] g1 = Gradients.Upstream(c, 3, pr.Positions);
        double[] g2 = Gradients.Upstream(c, 4, pr.Positions);
        double[] factors = { -2.0, -1.0, 0.5, 1.0, 3.0 };
        double alpha = factors[c.Special % 5];
        double beta = factors[c.Special / 5 % 5];

        // g on a 2^-10 grid with |g| ≤ 4 and these factors: αg₁ + βg₂ is exact in float as well.
        double[] combined = g1.Select((v, i) => (alpha * v) + (beta * g2[i])).ToArray();
        double u = Tolerance.UnitRoundoff<T>();

        void Check(string name, Func<double[], LossAndGradient> vjp, double[] k)
        {
            LossAndGradient first = vjp(g1);
            LossAndGradient second = vjp(g2);
            LossAndGradient both = vjp(combined);
            double[] expected = first.Gradient.Select((v, i) => (alpha * v) + (beta * second.Gradient[i])).ToArray();

            // Each VJP entry is gₙ·(p_j·K − a_j) with a few roundings of terms ≤ |gₙ|·K; the three results may cancel
            // against each other, so the floor is 16·u_T·K·(|αg₁| + |βg₂| + |αg₁ + βg₂|).
            double[] floors = PerElement(pr, p => 16.0 * u * k[p] * (Math.Abs(alpha * g1[p]) + Math.Abs(beta * g2[p]) + Math.Abs(combined[p])));
            Tolerance.AssertAllClose(expected, both.Gradient, Tol.Of<T>(), $"{name}: VJP({Tolerance.R(alpha)}·g₁ + {Tolerance.R(beta)}·g₂) vs the same combination of VJPs", floors);

            // The losses do not depend on the upstream gradient.
            Gradients.AssertBitwise(first.Loss, second.Loss, $"{name}: per-element losses with two upstream gradients");
            Gradients.AssertBitwise(first.Loss, both.Loss, $"{name}: per-element losses with two upstream gradients");
        }

        Check("index CE", g => Grad<T>.IndexCrossEntropy(pr, Reduction.None, g), Reference.IndexCoefficientSums(pr));
        Check("probability CE", g => Grad<T>.ProbabilityCrossEntropy(clean, Reduction.None, g), Reference.ProbabilityCoefficientSums(clean));
        Check("NLL", g => Grad<T>.NllLoss(pr, pr.Logits, Reduction.None, g), Enumerable.Range(0, pr.Positions).Select(p => pr.IsIgnored(p) ? 0.0 : Math.Abs(pr.Weight(pr.Targets[p]))).ToArray());
    }

    private static void SameAsSum(string name, LossAndGradient sum, LossAndGradient vjp) =>
        Gradients.AssertBitwise(sum.Gradient, vjp.Gradient, $"{name}: VJP with gradOutput = 1 vs Sum gradient");

    private static void VjpWithOnesIsSum<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // Sum scales every row by exactly 1; the VJP with gradOutput = 1 does the same arithmetic: bit for bit.
        Problem clean = c.Problem.RoundedTo<T>();
        Problem pr = clean.PoisonIgnoredRows(c.PoisonValue);
        double[] ones = Enumerable.Repeat(1.0, pr.Positions).ToArray();
        SameAsSum("index CE", Grad<T>.IndexCrossEntropy(pr, Reduction.Sum), Grad<T>.IndexCrossEntropy(pr, Reduction.None, ones));
        SameAsSum("probability CE", Grad<T>.ProbabilityCrossEntropy(clean, Reduction.Sum), Grad<T>.ProbabilityCrossEntropy(clean, Reduction.None, ones));
        SameAsSum("NLL", Grad<T>.NllLoss(pr, pr.Logits, Reduction.Sum), Grad<T>.NllLoss(pr, pr.Logits, Reduction.None, ones));
    }

    private static void IndexEqualsOneHot<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // Same loss, so the same gradient, with weights and label smoothing: the index path computes
        // A = (1 − ε)·w[y] + (ε/C)·Σw and B_j = (ε/C)·w[j] + (1 − ε)·w[y]·[j = y]; the probability path sums
        // a[c] = w[c]·((1 − ε)·onehot[c] + ε/C). The sums of C terms differ by ≤ C·u_d·K (Floors.LogSum). Sum and
        // None only: the two means divide by different normalizers (Σ w[y] and N), which the loss properties check.
        Problem pr = c.Problem.RoundedTo<T>().WithoutIgnoredTargets();
        Problem oneHot = pr with { Probabilities = pr.OneHotTargets() };
        double[] gradOutput = Gradients.Upstream(c, 1, pr.Positions);
        double[] k = Reference.IndexCoefficientSums(pr);
        foreach (Reduction reduction in new[] { Reduction.Sum, Reduction.None })
        {
            double[] scales = Gradients.Scales(pr, TargetForm.Index, reduction, gradOutput);
            Tolerance.AssertAllClose(
                Grad<T>.ProbabilityCrossEntropy(oneHot, reduction, gradOutput).Gradient,
                Grad<T>.IndexCrossEntropy(pr, reduction, gradOutput).Gradient,
                Tol.Of<T>(),
                $"index CE gradient vs one-hot probability CE gradient, {reduction}",
                PerElement(pr, p => Math.Abs(scales[p]) * k[p] * (Floors.LogSum(pr.Classes) + (16.0 * Tolerance.UnitRoundoff<T>()))));
        }
    }

    private static void ChainRule<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // CE = (1 − ε)·NLL(log_softmax(x)) + (ε/C)·Σ_c w[c]·(−log_softmax(x)[c]), so by the chain rule
        // ∂CE/∂x = LogSoftmaxBackward(log_softmax(x), G) with G = (1 − ε)·∂NLL/∂o − s·(ε/C)·w at kept rows (0 at
        // ignored ones), the NLL gradient taken from the kernel with the same reduction (same normalizer Σ w[y]).
        Problem pr = c.Problem.RoundedTo<T>();
        double eps = pr.LabelSmoothing;
        double[] gradOutput = Gradients.Upstream(c, 1, pr.Positions);
        double[] logSoftmax = Run<T>.LogSoftmax(pr);
        double[] k = Reference.IndexCoefficientSums(pr);
        foreach (Reduction reduction in Run<T>.AllReductions)
        {
            double[] scales = Gradients.Scales(pr, TargetForm.Index, reduction, gradOutput);
            if (scales.Any(s => !double.IsFinite(s)))
            {
                continue; // Mean over a zero normalizer: documented NaN
            }

            double[] nll = Grad<T>.NllLoss(pr, logSoftmax, reduction, gradOutput).Gradient;
            var upstream = new double[nll.Length];
            for (int p = 0; p < pr.Positions; p++)
            {
                for (int j = 0; j < pr.Classes; j++)
                {
                    int at = pr.At(p, j);
                    upstream[at] = pr.IsIgnored(p) ? 0.0 : ((1.0 - eps) * nll[at]) - (scales[p] * (eps / pr.Classes) * pr.Weight(j));
                }
            }

            // The backward reads the kernel's log-softmax (off by ≤ Floors.LogSum, and rounded to T: exp(o)·|o|·u_T
            // ≤ u_T/e relative to the ≤ 1 probability) and, in float, G rounded to T; every term is ≤ |s|·K.
            Tolerance.AssertAllClose(
                Grad<T>.IndexCrossEntropy(pr, reduction, gradOutput).Gradient,
                Grad<T>.LogSoftmaxBackward(logSoftmax, upstream, pr.Classes, pr.Inner),
                Tol.Of<T>(),
                $"CE gradient vs LogSoftmaxBackward(log_softmax, (1 − ε)·NLL gradient + smoothing term), {reduction}",
                PerElement(pr, p => Math.Abs(scales[p]) * k[p] * (Floors.LogSum(pr.Classes) + (16.0 * Tolerance.UnitRoundoff<T>()))));
        }
    }

    private static void NllGradientIsExact<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // Documented: −s·w[yₙ] at (n, yₙ) for kept positions, 0 everywhere else (ignored rows whatever they hold), with
        // s = 1 (Sum), gₙ (None) or 1 / Σ w[y] (Mean; a zero sum gives NaN at each kept target). Sum and None are one
        // double product rounded once to T: bit for bit. Mean's reciprocal is of the kernel's compensated Σ w[y].
        Problem pr = c.Problem.RoundedTo<T>().PoisonIgnoredRows(c.PoisonValue);
        double[] gradOutput = Gradients.Upstream(c, 1, pr.Positions);
        double sumW = pr.TargetWeightSum();
        foreach (Reduction reduction in Run<T>.AllReductions)
        {
            double[] scales = Gradients.Scales(pr, TargetForm.Index, reduction, gradOutput);
            var expected = new double[pr.Logits.Length];
            for (int p = 0; p < pr.Positions; p++)
            {
                if (!pr.IsIgnored(p))
                {
                    int y = pr.Targets[p];
                    expected[pr.At(p, y)] = reduction == Reduction.Mean && sumW == 0.0
                        ? double.NaN
                        : double.CreateTruncating(T.CreateTruncating(-scales[p] * pr.Weight(y)));
                }
            }

            Tol tol = reduction == Reduction.Mean ? Tol.Of<T>() : Tol.Exact;
            Tolerance.AssertAllClose(expected, Grad<T>.NllLoss(pr, pr.Logits, reduction, gradOutput).Gradient, tol, $"NLL gradient vs −s·w[y] at the target, {reduction}");
        }
    }

    private static void FiniteAndBounded<T>(Case c)
        where T : IFloatingPointIeee754<T>
    {
        // Logits up to 1.27e30 with single ±3e38 entries. Exact laws of g_j = s·(p_j·K − a_j) with a ≥ 0, K = Σ a:
        // every entry is finite (|g_j| ≤ |s|·K), an entry whose coefficient a_j is 0 has the sign of s (it is the
        // product s·p_j·K, and no rounding changes a sign), and Σ_j |g_j| ≤ |s|·(Σ p_j·K + Σ a_j) = 2|s|·K, up to the
        // row's rounding (Floors.LogSum and u_T per entry, C entries).
        Problem pr = c.Problem.RoundedTo<T>();
        double[] gradOutput = Gradients.Upstream(c, 1, pr.Positions);
        foreach (TargetForm form in new[] { TargetForm.Index, TargetForm.Probability })
        {
            double[] k = Gradients.CoefficientSums(pr, form);
            foreach (Reduction reduction in Run<T>.AllReductions)
            {
                double[] scales = Gradients.Scales(pr, form, reduction, gradOutput);
                double[] gradient = Grad<T>.CrossEntropy(pr, form, reduction, gradOutput).Gradient;
                for (int p = 0; p < pr.Positions; p++)
                {
                    double s = scales[p];
                    if (!double.IsFinite(s))
                    {
                        continue;
                    }

                    double[] a = Gradients.Coefficients(pr, form, p);
                    double[] row = pr.Row(gradient, p);
                    for (int j = 0; j < pr.Classes; j++)
                    {
                        if (!double.IsFinite(row[j]) || (a[j] == 0.0 && row[j] * Math.Sign(s) < 0.0))
                        {
                            throw new PropertyFailedException(
                                $"{form} CE gradient at position {p}, class {j}, {reduction} is {Tolerance.R(row[j])}: expected finite, and of the sign of the scale {Tolerance.R(s)} where the coefficient is 0 (it is {Tolerance.R(a[j])}).");
                        }
                    }

                    double bound = 2.0 * Math.Abs(s) * k[p];
                    double slack = bound * (Floors.LogSum(pr.Classes) + (2.0 * pr.Classes * Tolerance.UnitRoundoff<T>()));
                    Tolerance.AssertAtMost(row.Sum(Math.Abs), bound, new Tol(0.0, slack), $"{form} CE gradient row {p} L1 norm, {reduction}");
                }
            }
        }
    }
}
