using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Xent.Properties;

/// <summary>
/// Laws of <see cref="Information"/>: entropy, cross entropy, Kullback–Leibler divergence and perplexity of
/// probability vectors (random positive, sparse with zeros, one-hot, uniform; 1 to 300 classes) in several bases.
/// </summary>
/// <remarks>
/// <para>
/// Every law is checked on the values the kernel actually receives: the float64 vectors rounded to the element type
/// and widened back. Such vectors sum to one only up to rounding (Σ p = P), so the inequalities use their exact forms
/// for any positive vectors, from the log-sum inequality: KL(p‖q) ≥ P·log_b(P / Q), H(p) ≤ P·log_b(C / P); for
/// P = Q = 1 these are the textbook KL ≥ 0 and H ≤ log_b C.
/// </para>
/// <para>
/// Tolerances are Tol.Double / Tol.Float with an absolute floor derived from the sum: each term is a few roundings
/// from its exact value and the compensated sum adds about one more, so a measure is within
/// 8u·Σ_c |term_c| / ln b of its defining sum (u = 2^-53), written <see cref="SumFloor"/> below.
/// </para>
/// </remarks>
[Properties(Arbitrary = new[] { typeof(InformationProperties.Distributions) })]
public class InformationProperties
{
    // ---------------------------------------------------------------------------------------------------------------
    // The defining sums

    [Property]
    public void Measures_EqualTheirDefiningSums_Double(Pair pair) => DefiningSums<double>(pair);

    [Property]
    public void Measures_EqualTheirDefiningSums_Float(Pair pair) => DefiningSums<float>(pair);

    // ---------------------------------------------------------------------------------------------------------------
    // Gibbs' inequality and its consequences

    [Property]
    public void KlDivergence_IsNonNegative_Double(Pair pair) => KlNonNegative<double>(pair);

    [Property]
    public void KlDivergence_IsNonNegative_Float(Pair pair) => KlNonNegative<float>(pair);

    [Property]
    public void KlDivergence_OfItself_IsZero_Double(Distribution d) => KlOfItself<double>(d);

    [Property]
    public void KlDivergence_OfItself_IsZero_Float(Distribution d) => KlOfItself<float>(d);

    [Property]
    public void Entropy_IsAtMostLogC_Double(Distribution d) => EntropyAtMostLogC<double>(d);

    [Property]
    public void Entropy_IsAtMostLogC_Float(Distribution d) => EntropyAtMostLogC<float>(d);

    [Property]
    public void Entropy_IsNonNegative_Double(Distribution d) => EntropyNonNegative<double>(d);

    [Property]
    public void Entropy_IsNonNegative_Float(Distribution d) => EntropyNonNegative<float>(d);

    [Property]
    public void Entropy_OfUniform_EqualsLogC_Double(Distribution d) => EntropyOfUniform<double>(d);

    [Property]
    public void Entropy_OfUniform_EqualsLogC_Float(Distribution d) => EntropyOfUniform<float>(d);

    [Property]
    public void CrossEntropy_EqualsEntropyPlusKl_Double(Pair pair) => CrossEntropyIsEntropyPlusKl<double>(pair);

    [Property]
    public void CrossEntropy_EqualsEntropyPlusKl_Float(Pair pair) => CrossEntropyIsEntropyPlusKl<float>(pair);

    [Property]
    public void CrossEntropy_IsAtLeastEntropy_Double(Pair pair) => CrossEntropyAtLeastEntropy<double>(pair);

    [Property]
    public void CrossEntropy_IsAtLeastEntropy_Float(Pair pair) => CrossEntropyAtLeastEntropy<float>(pair);

    [Property]
    public void KlDivergence_OfNearlyEqualVectors_IsAccurateRelativeToItsOwnSize_Double(NearPair pair)
    {
        double[] p = pair.P;
        double[] q = pair.Q;
        double lnB = Math.Log(pair.LogBase);

        // q = p·(1 + k·2^E), |k| ≤ 1000, E ≤ −20: each term is p·ln(1 + d) with d = (p − q)/q, |d| < 1e-3, summed here
        // from the series d − d²/2 + d³/3 − d⁴/4 + d⁵/5 (truncation ≤ d⁶/6 ≈ 2e-19·|d|). p − q is exact (Sterbenz), so a
        // term is known to a few ulps of itself and KL to 8u·Σ|terms| ≈ 8u·Σ p·|d|: far below Tol.Double's absolute
        // floor of 1e-15, which is why the floor is replaced, not raised. ln(p/q) from the rounded ratio, or
        // H(p, q) − H(p), would be off by ~u·Σ p ≈ 1e-16 here.
        double[] terms = p.Zip(q, (pc, qc) =>
        {
            double d = (pc - qc) / qc;
            double series = (1.0 / 4.0) - (d / 5.0);
            series = (1.0 / 3.0) - (d * series);
            series = (1.0 / 2.0) - (d * series);
            series = 1.0 - (d * series);
            return pc * d * series;
        }).ToArray();
        double expected = Reference.Sum(terms) / lnB;
        double floor = SumFloor(terms.Sum(Math.Abs), lnB);
        double kl = Information.KlDivergence<double>(p, q, pair.LogBase);
        Tolerance.AssertClose(expected, kl, Tol.Double with { Absolute = floor }, "KL(p‖q) of nearly equal vectors vs its series");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Bases and perplexity

    [Property]
    public void Bits_EqualNatsOverLn2_Double(Pair pair) => BaseChange<double>(pair, Information.Bits);

    [Property]
    public void Bits_EqualNatsOverLn2_Float(Pair pair) => BaseChange<float>(pair, Information.Bits);

    [Property]
    public void AnyBase_EqualsNatsOverLnBase_Double(Pair pair) => BaseChange<double>(pair, pair.LogBase);

    [Property]
    public void AnyBase_EqualsNatsOverLnBase_Float(Pair pair) => BaseChange<float>(pair, pair.LogBase);

    [Property]
    public void Perplexity_OfUniformModel_EqualsClassCount_Double(Distribution d) => PerplexityOfUniformModel<double>(d);

    [Property]
    public void Perplexity_OfUniformModel_EqualsClassCount_Float(Distribution d) => PerplexityOfUniformModel<float>(d);

    [Property]
    public void Perplexity_IsTheSameInEveryBase_Double(Pair pair)
    {
        double[] p = pair.P;
        double[] q = pair.Q;
        double nats = Information.CrossEntropy<double>(p, q);
        double inBase = Information.CrossEntropy<double>(p, q, pair.LogBase);

        // b^(H_nats / ln b) = e^(H_nats): the exponent carries a relative error of a few u, amplified by H_nats.
        double floor = 8.0 * Tolerance.UnitRoundoffDouble * (Math.Abs(nats) + 1.0);
        Tolerance.AssertClose(
            Information.Perplexity(nats),
            Information.Perplexity(inBase, pair.LogBase),
            Tol.Double.PlusRelative(floor),
            $"perplexity from nats vs from base {Format.Number(pair.LogBase)}");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Zero probabilities

    [Property]
    public void ZeroProbabilityClass_LeavesEntropyCrossEntropyAndKlUnchanged_Double(Pair pair) => ZeroClass<double>(pair);

    [Property]
    public void ZeroProbabilityClass_LeavesEntropyCrossEntropyAndKlUnchanged_Float(Pair pair) => ZeroClass<float>(pair);

    [Property]
    public void Gradients_AtZeroProbabilities_FollowTheConventions(Pair pair)
    {
        double[] p = pair.P;
        double[] q = pair.Q;
        int n = p.Length;
        double[] gh = new double[n];
        double[] gcp = new double[n];
        double[] gcq = new double[n];
        double[] gkp = new double[n];
        double[] gkq = new double[n];
        Information.EntropyWithGradient<double>(p, gh, pair.LogBase);
        Information.CrossEntropyWithGradient<double>(p, q, gcp, gcq, pair.LogBase);
        Information.KlDivergenceWithGradient<double>(p, q, gkp, gkq, pair.LogBase);
        for (int c = 0; c < n; c++)
        {
            string at = $"class {c} (p = {Format.Number(p[c])}, q = {Format.Number(q[c])})";
            if (p[c] == 0.0)
            {
                Tolerance.Require(gh[c] == double.PositiveInfinity, $"∂H/∂p is {Format.Number(gh[c])}, not +∞, at {at}");
                Tolerance.Require(gcq[c] == 0.0 && gkq[c] == 0.0, $"∂/∂q is {Format.Number(gcq[c])} (cross entropy), {Format.Number(gkq[c])} (KL), not 0, at {at}");
                double expected = q[c] == 0.0 ? double.PositiveInfinity : double.NegativeInfinity;
                Tolerance.Require(gkp[c] == expected, $"∂KL/∂p is {Format.Number(gkp[c])}, not {Format.Number(expected)}, at {at}");
            }
            else if (q[c] == 0.0)
            {
                Tolerance.Require(gcq[c] == double.NegativeInfinity && gkq[c] == double.NegativeInfinity, $"∂/∂q is not −∞ at {at}");
                Tolerance.Require(gkp[c] == double.PositiveInfinity, $"∂KL/∂p is not +∞ at {at}");
            }

            if (q[c] == 0.0)
            {
                Tolerance.Require(gcp[c] == double.PositiveInfinity, $"∂H(p, q)/∂p is {Format.Number(gcp[c])}, not +∞, at {at}");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Gradients

    [Property]
    public void EntropyGradient_MatchesCentralDifferences(PositivePair pair)
    {
        double[] p = pair.P;
        double lnB = Math.Log(pair.LogBase);
        double[] gradient = new double[p.Length];
        Information.EntropyWithGradient<double>(p, gradient, pair.LogBase);
        foreach (int c in pair.Coordinates())
        {
            // −x·ln x has third derivative 1/x² (in nats).
            double fd = CentralDifference(p, c, x => Information.Entropy<double>(x, pair.LogBase), EntropyAbsSum, lnB,
                (lo, _) => 1.0 / (lo * lo), out double floor);
            Tolerance.AssertClose(fd, gradient[c], Tol.Double.WithFloor(floor), $"∂H/∂p[{c}] vs central difference");
        }
    }

    [Property]
    public void CrossEntropyGradients_MatchCentralDifferences(PositivePair pair)
    {
        double[] p = pair.P;
        double[] q = pair.Q;
        double lnB = Math.Log(pair.LogBase);
        double[] gp = new double[p.Length];
        double[] gq = new double[p.Length];
        Information.CrossEntropyWithGradient<double>(p, q, gp, gq, pair.LogBase);
        foreach (int c in pair.Coordinates())
        {
            // Linear in p; −p·ln y has third derivative −2p/y³ in y.
            double fdP = CentralDifference(p, c, x => Information.CrossEntropy<double>(x, q, pair.LogBase), x => CrossAbsSum(x, q), lnB,
                (_, _) => 0.0, out double floorP);
            Tolerance.AssertClose(fdP, gp[c], Tol.Double.WithFloor(floorP), $"∂H(p, q)/∂p[{c}] vs central difference");
            double pc = p[c];
            double fdQ = CentralDifference(q, c, y => Information.CrossEntropy<double>(p, y, pair.LogBase), y => CrossAbsSum(p, y), lnB,
                (lo, _) => 2.0 * pc / (lo * lo * lo), out double floorQ);
            Tolerance.AssertClose(fdQ, gq[c], Tol.Double.WithFloor(floorQ), $"∂H(p, q)/∂q[{c}] vs central difference");
        }
    }

    [Property]
    public void KlDivergenceGradients_MatchCentralDifferences(PositivePair pair)
    {
        double[] p = pair.P;
        double[] q = pair.Q;
        double lnB = Math.Log(pair.LogBase);
        double[] gp = new double[p.Length];
        double[] gq = new double[p.Length];
        Information.KlDivergenceWithGradient<double>(p, q, gp, gq, pair.LogBase);
        foreach (int c in pair.Coordinates())
        {
            // x·ln x − x·ln q has third derivative −1/x²; −p·ln y has −2p/y³.
            double fdP = CentralDifference(p, c, x => Information.KlDivergence<double>(x, q, pair.LogBase), x => KlAbsSum(x, q), lnB,
                (lo, _) => 1.0 / (lo * lo), out double floorP);
            Tolerance.AssertClose(fdP, gp[c], Tol.Double.WithFloor(floorP), $"∂KL/∂p[{c}] vs central difference");
            double pc = p[c];
            double fdQ = CentralDifference(q, c, y => Information.KlDivergence<double>(p, y, pair.LogBase), y => KlAbsSum(p, y), lnB,
                (lo, _) => 2.0 * pc / (lo * lo * lo), out double floorQ);
            Tolerance.AssertClose(fdQ, gq[c], Tol.Double.WithFloor(floorQ), $"∂KL/∂q[{c}] vs central difference");
        }
    }

    [Property]
    public void WithGradient_ReturnsTheValueBitForBit_Double(Pair pair) => WithGradientValues<double>(pair);

    [Property]
    public void WithGradient_ReturnsTheValueBitForBit_Float(Pair pair) => WithGradientValues<float>(pair);

    [Property]
    public void Float_IsTheDoubleResultRoundedOnce(Pair pair)
    {
        // The float inputs, widened: the double functions see exactly what the float functions see.
        float[] pf = Run<float>.To(pair.P);
        float[] qf = Run<float>.To(pair.Q);
        double[] p = Run<float>.Widen(pf);
        double[] q = Run<float>.Widen(qf);
        double b = pair.LogBase;
        int n = p.Length;

        void Same(double expected, float actual, string what) =>
            Tolerance.Require(
                BitConverter.SingleToInt32Bits((float)expected) == BitConverter.SingleToInt32Bits(actual),
                $"{what}: float result {Format.Number(actual)} is not the double result {Format.Number(expected)} rounded once ({Format.Number((float)expected)})");

        Same(Information.Entropy<double>(p, b), Information.Entropy<float>(pf, b), "H(p)");
        Same(Information.CrossEntropy<double>(p, q, b), Information.CrossEntropy<float>(pf, qf, b), "H(p, q)");
        Same(Information.KlDivergence<double>(p, q, b), Information.KlDivergence<float>(pf, qf, b), "KL(p‖q)");

        double[] gd = new double[n];
        double[] gd2 = new double[n];
        float[] gf = new float[n];
        float[] gf2 = new float[n];
        Information.EntropyWithGradient<double>(p, gd, b);
        Information.EntropyWithGradient<float>(pf, gf, b);
        for (int c = 0; c < n; c++)
        {
            Same(gd[c], gf[c], $"∂H/∂p[{c}]");
        }

        Information.CrossEntropyWithGradient<double>(p, q, gd, gd2, b);
        Information.CrossEntropyWithGradient<float>(pf, qf, gf, gf2, b);
        for (int c = 0; c < n; c++)
        {
            Same(gd[c], gf[c], $"∂H(p, q)/∂p[{c}]");
            Same(gd2[c], gf2[c], $"∂H(p, q)/∂q[{c}]");
        }

        Information.KlDivergenceWithGradient<double>(p, q, gd, gd2, b);
        Information.KlDivergenceWithGradient<float>(pf, qf, gf, gf2, b);
        for (int c = 0; c < n; c++)
        {
            Same(gd[c], gf[c], $"∂KL/∂p[{c}]");
            Same(gd2[c], gf2[c], $"∂KL/∂q[{c}]");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The laws, generic in the element type

    private static void DefiningSums<T>(Pair pair)
        where T : IFloatingPointIeee754<T>
    {
        (T[] pt, T[] qt, double[] p, double[] q) = Inputs<T>(pair);
        double b = pair.LogBase;
        double lnB = Math.Log(b);
        Tol tol = Tol.Of<T>();

        // Straightforward sums of the documented terms, with 0·log 0 = 0, in nats, divided by ln b.
        double entropy = Reference.Sum(p.Select(v => v == 0.0 ? 0.0 : -v * Math.Log(v))) / lnB;
        double cross = Reference.Sum(p.Zip(q, (pc, qc) => pc == 0.0 ? 0.0 : -pc * Math.Log(qc))) / lnB;
        double kl = Reference.Sum(p.Zip(q, (pc, qc) => pc == 0.0 ? 0.0 : pc * (Math.Log(pc) - Math.Log(qc)))) / lnB;

        Tolerance.AssertClose(entropy, Widen(Information.Entropy<T>(pt, b)), tol.WithFloor(SumFloor(EntropyAbsSum(p), lnB)), "H(p) vs −Σ p·log_b p");
        Tolerance.AssertClose(cross, Widen(Information.CrossEntropy<T>(pt, qt, b)), tol.WithFloor(SumFloor(CrossAbsSum(p, q), lnB)), "H(p, q) vs −Σ p·log_b q");

        // The reference's ln p − ln q cancels where q ≈ p: its own error is up to u·p·(|ln p| + |ln q|) per term.
        Tolerance.AssertClose(kl, Widen(Information.KlDivergence<T>(pt, qt, b)), tol.WithFloor(SumFloor(KlAbsSum(p, q), lnB)), "KL(p‖q) vs Σ p·(log_b p − log_b q)");
    }

    private static void KlNonNegative<T>(Pair pair)
        where T : IFloatingPointIeee754<T>
    {
        (T[] pt, T[] qt, double[] p, double[] q) = Inputs<T>(pair);
        double lnB = Math.Log(pair.LogBase);
        double kl = Widen(Information.KlDivergence<T>(pt, qt, pair.LogBase));

        // Log-sum inequality: KL ≥ P·ln(P / Q) / ln b, which is 0 for P = Q = 1 and ~±1e-14 for the rounded vectors.
        double bound = LogSumBound(p, q) / lnB;
        Tolerance.AssertAtLeast(kl, bound, Tol.Of<T>().WithFloor(SumFloor(KlAbsSum(p, q), lnB)), "KL(p‖q) vs its lower bound 0 (P·log_b(P/Q))");
    }

    private static void KlOfItself<T>(Distribution d)
        where T : IFloatingPointIeee754<T>
    {
        T[] p = Run<T>.To(d.P);
        double kl = Widen(Information.KlDivergence<T>(p, p, d.LogBase));

        // Documented: exactly 0 (each term is p·log1p(0) = 0).
        Tolerance.AssertClose(0.0, kl, Tol.Exact, "KL(p‖p)");
        Tolerance.Require(Widen(Information.KlDivergence<T>(p, (T[])p.Clone(), d.LogBase)) == 0.0, "KL(p‖copy of p) is not 0");
    }

    private static void EntropyAtMostLogC<T>(Distribution d)
        where T : IFloatingPointIeee754<T>
    {
        T[] pt = Run<T>.To(d.P);
        double[] p = Run<T>.Widen(pt);
        double lnB = Math.Log(d.LogBase);
        double h = Widen(Information.Entropy<T>(pt, d.LogBase));

        // max of −Σ p·ln p with Σ p = P is at p = P/C: P·ln(C/P); ln C for a distribution.
        double total = Reference.Sum(p);
        double bound = total * Math.Log(p.Length / total) / lnB;
        Tolerance.AssertAtMost(h, bound, Tol.Of<T>().WithFloor(SumFloor(EntropyAbsSum(p), lnB)), $"H(p) vs log_b C (C = {p.Length}, Σ p = {Format.Number(total)})");
    }

    private static void EntropyNonNegative<T>(Distribution d)
        where T : IFloatingPointIeee754<T>
    {
        // Every p ≤ 1, so every term −p·ln p is ≥ 0 and so is their compensated sum: exact, no tolerance.
        double h = Widen(Information.Entropy<T>(Run<T>.To(d.P), d.LogBase));
        Tolerance.Require(h >= 0.0, $"H(p) = {Format.Number(h)} is negative");
        if (d.Kind == DistributionKind.OneHot)
        {
            Tolerance.Require(h == 0.0, $"H of a one-hot p is {Format.Number(h)}, not 0");
        }
    }

    private static void EntropyOfUniform<T>(Distribution d)
        where T : IFloatingPointIeee754<T>
    {
        int classes = d.P.Length;
        T[] uniform = Enumerable.Repeat(T.One / T.CreateTruncating(classes), classes).ToArray();
        double h = Widen(Information.Entropy<T>(uniform, d.LogBase));

        // 1/C is rounded once in T: H = −C·r·log_b r = log_b C·(1 + O(u)) + O(u).
        Tolerance.AssertClose(Math.Log(classes) / Math.Log(d.LogBase), h, Tol.Of<T>(), $"H(uniform over {classes}) vs log_b C");
    }

    private static void CrossEntropyIsEntropyPlusKl<T>(Pair pair)
        where T : IFloatingPointIeee754<T>
    {
        (T[] pt, T[] qt, double[] p, double[] q) = Inputs<T>(pair);
        double b = pair.LogBase;
        double lnB = Math.Log(b);
        double cross = Widen(Information.CrossEntropy<T>(pt, qt, b));
        double entropy = Widen(Information.Entropy<T>(pt, b));
        double kl = Widen(Information.KlDivergence<T>(pt, qt, b));

        // Three sums, each within SumFloor of its exact value; KL's terms have both signs.
        double floor = SumFloor(EntropyAbsSum(p) + CrossAbsSum(p, q) + KlAbsSum(p, q), lnB);
        Tolerance.AssertClose(cross, entropy + kl, Tol.Of<T>().WithFloor(floor), "H(p) + KL(p‖q) vs H(p, q)");
    }

    private static void CrossEntropyAtLeastEntropy<T>(Pair pair)
        where T : IFloatingPointIeee754<T>
    {
        (T[] pt, T[] qt, double[] p, double[] q) = Inputs<T>(pair);
        double b = pair.LogBase;
        double lnB = Math.Log(b);
        double cross = Widen(Information.CrossEntropy<T>(pt, qt, b));
        double entropy = Widen(Information.Entropy<T>(pt, b));

        // Gibbs: H(p, q) − H(p) = KL ≥ P·ln(P/Q) / ln b (0 for distributions).
        double floor = SumFloor(EntropyAbsSum(p) + CrossAbsSum(p, q), lnB);
        Tolerance.AssertAtLeast(cross, entropy + (LogSumBound(p, q) / lnB), Tol.Of<T>().WithFloor(floor), "H(p, q) vs H(p)");
        if (pair.QKind == ModelKind.SameAsP)
        {
            Tolerance.AssertClose(entropy, cross, Tol.Of<T>().WithFloor(floor), "H(p, p) vs H(p)");
        }
    }

    private static void BaseChange<T>(Pair pair, double logBase)
        where T : IFloatingPointIeee754<T>
    {
        (T[] pt, T[] qt, _, _) = Inputs<T>(pair);
        double lnB = Math.Log(logBase);
        Tol tol = Tol.Of<T>();
        Tolerance.AssertClose(Widen(Information.Entropy<T>(pt)) / lnB, Widen(Information.Entropy<T>(pt, logBase)), tol, $"H in base {Format.Number(logBase)} vs H in nats / ln b");
        Tolerance.AssertClose(Widen(Information.CrossEntropy<T>(pt, qt)) / lnB, Widen(Information.CrossEntropy<T>(pt, qt, logBase)), tol, $"H(p, q) in base {Format.Number(logBase)} vs nats / ln b");
        Tolerance.AssertClose(Widen(Information.KlDivergence<T>(pt, qt)) / lnB, Widen(Information.KlDivergence<T>(pt, qt, logBase)), tol, $"KL in base {Format.Number(logBase)} vs nats / ln b");
    }

    private static void PerplexityOfUniformModel<T>(Distribution d)
        where T : IFloatingPointIeee754<T>
    {
        T[] pt = Run<T>.To(d.P);
        int classes = pt.Length;
        T[] uniform = Enumerable.Repeat(T.One / T.CreateTruncating(classes), classes).ToArray();
        double cross = Widen(Information.CrossEntropy<T>(pt, uniform, d.LogBase));
        double perplexity = Information.Perplexity(cross, d.LogBase);

        // H(p, uniform) = Σp·log_b C: the perplexity is C^(Σp), C for a distribution; the rounding of the normalized p
        // moves Σp from 1 by |Σp − 1|, which moves C^(Σp) by that times ln C, relatively.
        double total = Reference.Sum(Run<T>.Widen(pt));
        Tol tol = Tol.Of<T>().PlusRelative(1.01 * Math.Abs(total - 1.0) * Math.Log(classes));
        Tolerance.AssertClose(classes, perplexity, tol, $"perplexity of the uniform model over {classes} classes");
    }

    private static void ZeroClass<T>(Pair pair)
        where T : IFloatingPointIeee754<T>
    {
        (T[] pt, T[] qt, _, _) = Inputs<T>(pair);
        double b = pair.LogBase;
        int at = pair.Special % (pt.Length + 1);

        // The new class has p = 0 and q = 0 or a positive q (mass taken from nowhere: the value must not matter).
        T qValue = pair.Special % 3 == 0 ? T.Zero : T.CreateTruncating(0.25 * ((pair.Special % 7) + 1));
        T[] pz = Insert(pt, at, T.Zero);
        T[] qz = Insert(qt, at, qValue);
        string what = $"with a zero class inserted at {at} (q there = {qValue})";

        // Documented: a zero class contributes exactly 0 (it is skipped, so not even a rounding changes).
        Tolerance.AssertClose(Widen(Information.Entropy<T>(pt, b)), Widen(Information.Entropy<T>(pz, b)), Tol.Exact, $"H(p) {what}");
        Tolerance.AssertClose(Widen(Information.CrossEntropy<T>(pt, qt, b)), Widen(Information.CrossEntropy<T>(pz, qz, b)), Tol.Exact, $"H(p, q) {what}");
        Tolerance.AssertClose(Widen(Information.KlDivergence<T>(pt, qt, b)), Widen(Information.KlDivergence<T>(pz, qz, b)), Tol.Exact, $"KL(p‖q) {what}");
    }

    private static void WithGradientValues<T>(Pair pair)
        where T : IFloatingPointIeee754<T>
    {
        (T[] p, T[] q, _, _) = Inputs<T>(pair);
        double b = pair.LogBase;
        int n = p.Length;
        T[] g1 = new T[n];
        T[] g2 = new T[n];
        T[] g3 = new T[n];

        SameBits(Information.Entropy<T>(p, b), Information.EntropyWithGradient<T>(p, g1, b), "H(p)");

        T cross = Information.CrossEntropy<T>(p, q, b);
        SameBits(cross, Information.CrossEntropyWithGradient<T>(p, q, g1, g2, b), "H(p, q) with both gradients");
        SameBits(cross, Information.CrossEntropyWithGradient<T>(p, q, g3, default, b), "H(p, q) with ∂/∂p only");
        SameGradient(g1, g3, "∂H(p, q)/∂p alone vs with ∂/∂q");
        SameBits(cross, Information.CrossEntropyWithGradient<T>(p, q, default, g3, b), "H(p, q) with ∂/∂q only");
        SameGradient(g2, g3, "∂H(p, q)/∂q alone vs with ∂/∂p");
        SameBits(cross, Information.CrossEntropyWithGradient<T>(p, q, default, default, b), "H(p, q) with no gradient");

        T kl = Information.KlDivergence<T>(p, q, b);
        SameBits(kl, Information.KlDivergenceWithGradient<T>(p, q, g1, g2, b), "KL(p‖q) with both gradients");
        SameBits(kl, Information.KlDivergenceWithGradient<T>(p, q, g3, default, b), "KL(p‖q) with ∂/∂p only");
        SameGradient(g1, g3, "∂KL/∂p alone vs with ∂/∂q");
        SameBits(kl, Information.KlDivergenceWithGradient<T>(p, q, default, g3, b), "KL(p‖q) with ∂/∂q only");
        SameGradient(g2, g3, "∂KL/∂q alone vs with ∂/∂p");
    }

    [Fact]
    public void Generators_CoverTheSituationsThePropertiesNeed()
    {
        // Each situation has probability ≥ 1/30 per case; missing one in 600 samples would mean a broken generator.
        Pair[] pairs = Gen.Sample(Distributions.Pairs().Generator, 600, 600).ToArray();
        void Covers(string situation, Func<Pair, bool> predicate) =>
            Assert.True(pairs.Any(predicate), $"no generated pair has {situation}");

        foreach (DistributionKind kind in Enum.GetValues<DistributionKind>())
        {
            Covers($"p of kind {kind}", pair => pair.PKind == kind);
        }

        foreach (ModelKind kind in Enum.GetValues<ModelKind>())
        {
            Covers($"q of kind {kind}", pair => pair.QKind == kind);
        }

        Covers("one class", pair => pair.P.Length == 1);
        Covers("more than 200 classes", pair => pair.P.Length > 200);
        Covers("a zero in p", pair => pair.P.Contains(0.0));
        Covers("p > 0 = q somewhere (infinite KL)", pair => pair.P.Zip(pair.Q).Any(t => t.First > 0.0 && t.Second == 0.0));
        Covers("p = q = 0 somewhere", pair => pair.P.Zip(pair.Q).Any(t => t.First == 0.0 && t.Second == 0.0));
        Covers("a finite KL with a zero in p", pair => pair.P.Contains(0.0) && pair.P.Zip(pair.Q).All(t => t.First == 0.0 || t.Second > 0.0));
        foreach (double logBase in new[] { Information.Nats, Information.Bits, 10.0, 1.5, 256.0 })
        {
            Covers($"base {logBase}", pair => pair.LogBase == logBase);
        }

        Assert.All(pairs, pair => Assert.Equal(pair.P.Length, pair.Q.Length));
        Assert.All(pairs, pair => Assert.InRange(pair.P.Length, 1, 300));
        Assert.All(pairs, pair => Assert.True(pair.P.Sum() > 0.0 && pair.Q.Sum() > 0.0));

        PositivePair[] positive = Gen.Sample(Distributions.PositivePairs().Generator, 200, 200).ToArray();
        Assert.All(positive, pair => Assert.True(pair.P.All(v => v > 0.0) && pair.Q.All(v => v > 0.0)));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers

    /// <summary>The pair in T and, widened back, the exact values the kernel receives.</summary>
    private static (T[] PT, T[] QT, double[] P, double[] Q) Inputs<T>(Pair pair)
        where T : IFloatingPointIeee754<T>
    {
        T[] pt = Run<T>.To(pair.P);
        T[] qt = Run<T>.To(pair.Q);
        return (pt, qt, Run<T>.Widen(pt), Run<T>.Widen(qt));
    }

    private static double Widen<T>(T value)
        where T : IFloatingPointIeee754<T> =>
        double.CreateTruncating(value);

    /// <summary>The error allowance of a compensated sum of terms whose absolute values sum to <paramref name="absSum"/> nats.</summary>
    private static double SumFloor(double absSum, double lnB) => 8.0 * Tolerance.UnitRoundoffDouble * absSum / lnB;

    private static double EntropyAbsSum(double[] p) => p.Sum(v => v == 0.0 ? 0.0 : Math.Abs(v * Math.Log(v)));

    private static double CrossAbsSum(double[] p, double[] q) =>
        p.Zip(q, (pc, qc) => pc == 0.0 ? 0.0 : Math.Abs(pc * Math.Log(qc))).Sum();

    /// <summary>Σ p·(|ln p| + |ln q|): bounds the terms of KL and the cancellation in ln p − ln q.</summary>
    private static double KlAbsSum(double[] p, double[] q) =>
        p.Zip(q, (pc, qc) => pc == 0.0 ? 0.0 : pc * (Math.Abs(Math.Log(pc)) + Math.Abs(Math.Log(qc)))).Sum();

    /// <summary>P·ln(P / Q), the log-sum inequality's lower bound of Σ p·ln(p / q) (0 when P = Q).</summary>
    private static double LogSumBound(double[] p, double[] q)
    {
        double total = Reference.Sum(p);
        double totalQ = Reference.Sum(q);
        return total == 0.0 ? 0.0 : total * Math.Log(total / totalQ);
    }

    /// <summary>
    /// (f(x + h) − f(x − h)) / 2h at coordinate <paramref name="c"/>, h = x·2^-10, with the error bound in
    /// <paramref name="floor"/>: the rounding of the two sums (<see cref="SumFloor"/> each, over 2h) plus the
    /// truncation h²/6·max|f‴| (f‴ in nats at the lower end of the interval, from <paramref name="thirdDerivative"/>),
    /// doubled.
    /// </summary>
    private static double CentralDifference(
        double[] point, int c, Func<double[], double> f, Func<double[], double> absSum, double lnB,
        Func<double, double, double> thirdDerivative, out double floor)
    {
        double x = point[c];
        double step = Math.ScaleB(x, -10);
        double[] plus = (double[])point.Clone();
        double[] minus = (double[])point.Clone();
        plus[c] = x + step;
        minus[c] = x - step;

        // Sterbenz: plus[c] and minus[c] are within a factor 2, so their difference is exact.
        double width = plus[c] - minus[c];
        double h = width / 2.0;
        double rounding = (SumFloor(absSum(plus), lnB) + SumFloor(absSum(minus), lnB)) / width;
        double truncation = h * h / 6.0 * Math.Abs(thirdDerivative(minus[c], plus[c])) / lnB;
        floor = 2.0 * (rounding + truncation);
        return (f(plus) - f(minus)) / width;
    }

    private static T[] Insert<T>(T[] values, int at, T value)
    {
        var result = new T[values.Length + 1];
        values.AsSpan(0, at).CopyTo(result);
        result[at] = value;
        values.AsSpan(at).CopyTo(result.AsSpan(at + 1));
        return result;
    }

    private static void SameBits<T>(T expected, T actual, string what)
        where T : IFloatingPointIeee754<T>
    {
        double e = Widen(expected);
        double a = Widen(actual);
        Tolerance.Require(
            BitConverter.DoubleToInt64Bits(e) == BitConverter.DoubleToInt64Bits(a),
            $"{what}: with gradient {Format.Number(a)}, value-only {Format.Number(e)}");
    }

    private static void SameGradient<T>(T[] expected, T[] actual, string what)
        where T : IFloatingPointIeee754<T>
    {
        for (int c = 0; c < expected.Length; c++)
        {
            SameBits(expected[c], actual[c], $"{what} [{c}]");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Cases and generators

    /// <summary>How a probability vector is drawn (each is normalized in double).</summary>
    public enum DistributionKind
    {
        /// <summary>Integers 1..10⁶, normalized: every probability positive, ratios up to 10⁶.</summary>
        Random,

        /// <summary>About two thirds zeros, at least one positive class.</summary>
        Sparse,

        OneHot,
        Uniform,
    }

    /// <summary>How the model q of a pair is drawn from, or next to, p.</summary>
    public enum ModelKind
    {
        Random,
        Sparse,
        OneHot,
        Uniform,

        /// <summary>q[c] = p[c]·(1 + k·2^-20), |k| ≤ 1000, normalized: KL close to 0; zero where p is.</summary>
        NearP,

        /// <summary>q = p: KL = 0 and H(p, q) = H(p).</summary>
        SameAsP,

        /// <summary>q = (p + a random positive distribution) / 2: positive everywhere, finite KL.</summary>
        Mixture,
    }

    /// <summary>A probability vector and the base the measures are taken in.</summary>
    public sealed record Distribution(DistributionKind Kind, double[] P, double LogBase)
    {
        /// <summary>The first half of the classes, normalized again, while p keeps some mass.</summary>
        public IEnumerable<Distribution> Shrink()
        {
            if (P.Length > 1 && Distributions.Prefix(P, P.Length / 2) is { } p)
            {
                yield return this with { P = p };
            }
        }

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"Distribution({Kind}, C = {P.Length}, base {Format.Number(LogBase)},\n  p={Format.Array(P)})");
    }

    /// <summary>A pair (p, q) of the same length, the base, and a number that picks a position.</summary>
    public sealed record Pair(DistributionKind PKind, ModelKind QKind, double[] P, double[] Q, double LogBase, int Special)
    {
        /// <summary>The first half of the classes, both normalized again, while p and q keep some mass.</summary>
        public IEnumerable<Pair> Shrink()
        {
            if (P.Length > 1 && Distributions.Prefix(P, P.Length / 2) is { } p && Distributions.Prefix(Q, P.Length / 2) is { } q)
            {
                yield return this with { P = p, Q = q, Special = Special / 2 };
            }
        }

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"Pair(p {PKind}, q {QKind}, C = {P.Length}, base {Format.Number(LogBase)}, special {Special},\n  p={Format.Array(P)}\n  q={Format.Array(Q)})");
    }

    /// <summary>A pair of strictly positive vectors (for finite differences) and the coordinates to differentiate.</summary>
    public sealed record PositivePair(double[] P, double[] Q, double LogBase, int Special)
    {
        /// <summary>At most 24 coordinates, spread over the classes and starting at a random one.</summary>
        public IEnumerable<int> Coordinates()
        {
            int n = P.Length;
            int stride = Math.Max(1, n / 24);
            for (int k = 0; k < Math.Min(n, 24); k++)
            {
                yield return ((Special % n) + (k * stride)) % n;
            }
        }

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"PositivePair(C = {P.Length}, base {Format.Number(LogBase)}, special {Special},\n  p={Format.Array(P)}\n  q={Format.Array(Q)})");
    }

    /// <summary>A positive p and q = p·(1 + k·2^<see cref="Exponent"/>) per class, |k| ≤ 1000 (not normalized again).</summary>
    public sealed record NearPair(double[] P, double[] Q, int Exponent, double LogBase)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"NearPair(C = {P.Length}, 2^{Exponent}, base {Format.Number(LogBase)},\n  p={Format.Array(P)}\n  q={Format.Array(Q)})");
    }

    /// <summary>FsCheck arbitraries for <see cref="Distribution"/>, <see cref="Pair"/>, <see cref="PositivePair"/> and <see cref="NearPair"/>.</summary>
    public class Distributions
    {
        public static Arbitrary<Distribution> Single() =>
            Arb.From(
                from classes in ClassesGen()
                from kind in Gen.Elements(Enum.GetValues<DistributionKind>())
                from p in DistributionGen(kind, classes)
                from logBase in LogBaseGen()
                select new Distribution(kind, p, logBase),
                d => d.Shrink());

        public static Arbitrary<Pair> Pairs() =>
            Arb.From(
                from classes in ClassesGen()
                from pKind in Gen.Elements(Enum.GetValues<DistributionKind>())
                from p in DistributionGen(pKind, classes)
                from qKind in Gen.Elements(Enum.GetValues<ModelKind>())
                from q in ModelGen(qKind, p)
                from logBase in LogBaseGen()
                from special in Gen.Choose(0, int.MaxValue - 1)
                select new Pair(pKind, qKind, p, q, logBase, special),
                pair => pair.Shrink());

        public static Arbitrary<PositivePair> PositivePairs() =>
            Arb.From(
                from classes in ClassesGen()
                from pKind in Gen.Elements(DistributionKind.Random, DistributionKind.Uniform)
                from p in DistributionGen(pKind, classes)
                from qKind in Gen.Elements(ModelKind.Random, ModelKind.Uniform, ModelKind.NearP, ModelKind.SameAsP, ModelKind.Mixture)
                from q in ModelGen(qKind, p)
                from logBase in LogBaseGen()
                from special in Gen.Choose(0, int.MaxValue - 1)
                select new PositivePair(p, q, logBase, special));

        public static Arbitrary<NearPair> NearPairs() =>
            Arb.From(
                from classes in ClassesGen()
                from pKind in Gen.Elements(DistributionKind.Random, DistributionKind.Uniform)
                from p in DistributionGen(pKind, classes)
                from k in Gen.ArrayOf(Gen.Choose(-1000, 1000), classes)
                from exponent in Gen.Elements(-20, -30, -40)
                from logBase in LogBaseGen()
                select new NearPair(p, p.Select((v, c) => v * (1.0 + Math.ScaleB(k[c], exponent))).ToArray(), exponent, logBase));

        /// <summary>One class often, 2–40 regularly, up to 300.</summary>
        private static Gen<int> ClassesGen() =>
            Gen.Frequency(
                (2, Gen.Constant(1)),
                (3, Gen.Choose(2, 3)),
                (6, Gen.Choose(4, 40)),
                (3, Gen.Choose(41, 300)));

        /// <summary>Nats and bits mostly; also 10, 1.5 (ln b &lt; 1) and 256.</summary>
        private static Gen<double> LogBaseGen() =>
            Gen.Frequency(
                (3, Gen.Constant(Information.Nats)),
                (3, Gen.Constant(Information.Bits)),
                (1, Gen.Constant(10.0)),
                (1, Gen.Constant(1.5)),
                (1, Gen.Constant(256.0)));

        private static Gen<double> Positive() => Gen.Choose(1, 1_000_000).Select(k => (double)k);

        private static Gen<double[]> DistributionGen(DistributionKind kind, int classes) => kind switch
        {
            DistributionKind.Random => Gen.ArrayOf(Positive(), classes).Select(Normalize),
            DistributionKind.Sparse =>
                from v in Gen.ArrayOf(Gen.Frequency((2, Gen.Constant(0.0)), (1, Positive())), classes)
                from hot in Gen.Choose(0, classes - 1)
                select Normalize(WithAtLeast(v, hot, 1.0)),
            DistributionKind.OneHot => Gen.Choose(0, classes - 1).Select(hot => WithAtLeast(new double[classes], hot, 1.0)),
            _ => Gen.Constant(Enumerable.Repeat(1.0 / classes, classes).ToArray()),
        };

        private static Gen<double[]> ModelGen(ModelKind kind, double[] p)
        {
            int classes = p.Length;
            return kind switch
            {
                ModelKind.Random => DistributionGen(DistributionKind.Random, classes),
                ModelKind.Sparse => DistributionGen(DistributionKind.Sparse, classes),
                ModelKind.OneHot => DistributionGen(DistributionKind.OneHot, classes),
                ModelKind.Uniform => DistributionGen(DistributionKind.Uniform, classes),
                ModelKind.NearP =>
                    Gen.ArrayOf(Gen.Choose(-1000, 1000), classes)
                        .Select(k => Normalize(p.Select((v, c) => v * (1.0 + Math.ScaleB(k[c], -20))).ToArray())),
                ModelKind.SameAsP => Gen.Constant((double[])p.Clone()),
                _ => DistributionGen(DistributionKind.Random, classes)
                        .Select(r => Normalize(p.Select((v, c) => v + r[c]).ToArray())),
            };
        }

        private static double[] WithAtLeast(double[] values, int at, double minimum)
        {
            double[] v = (double[])values.Clone();
            v[at] = Math.Max(v[at], minimum);
            return v;
        }

        private static double[] Normalize(double[] values)
        {
            double sum = values.Sum();
            return values.Select(v => v / sum).ToArray();
        }

        /// <summary>The first <paramref name="count"/> values, normalized again; null if they are all zero.</summary>
        internal static double[]? Prefix(double[] values, int count)
        {
            double[] prefix = values.Take(count).ToArray();
            return prefix.Sum() > 0.0 ? Normalize(prefix) : null;
        }
    }
}
