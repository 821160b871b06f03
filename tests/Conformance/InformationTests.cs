using System;
using System.Linq;
using System.Numerics;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// Worked examples of <see cref="Information"/>: seed 003's cross entropies of p = (0.9, 0.1) against
/// q1 = (0.6, 0.4) and q2 = (0.8, 0.2), the zero-probability conventions, gradients at hand-computed points, and every
/// validation error with its parameter name and message.
/// </summary>
/// <remarks>
/// Seed 003 prints H(p, q1) ≈ 0.79, H(p, q2) ≈ 0.42 and H(q2, p) ≈ 1.45 bits for its own code
/// <c>-sum(p[i]*np.log2(q[i]))</c>. Evaluating that code gives (float64, also with Python's math.log):
/// <list type="bullet">
/// <item>H(p, q1) = −(0.9·log2 0.6 + 0.1·log2 0.4) = 0.7954618442383219 bits: 0.80 rounded; the seed's 0.79 is the truncation.</item>
/// <item>H(p, q2) = −(0.9·log2 0.8 + 0.1·log2 0.2) = 0.5219280948873624 bits, not 0.42 (0.9·0.3219 + 0.1·2.3219 = 0.2897 + 0.2322).</item>
/// <item>H(q2, p) = −(0.8·log2 0.9 + 0.2·log2 0.1) = 0.7859880937335125 bits, not 1.45 (0.8·0.1520 + 0.2·3.3219 = 0.1216 + 0.6644).</item>
/// <item>H(p) = 0.4689955935892812 bits; KL(p‖q1) = 0.32646625064904067 bits; KL(p‖q2) = 0.052932501298081136 bits.</item>
/// </list>
/// The seed's 0.42 and 1.45 are arithmetic slips in the article, not another convention: no base (2, e, 10) and no
/// ordering of the three distributions gives them. The tests pin the values the formula gives; the seed's point, that
/// cross entropy is not symmetric (H(p, q2) ≠ H(q2, p)) and that q2 is the better model (H(p, q2) &lt; H(p, q1)),
/// holds with the correct values.
/// </remarks>
public sealed class InformationTests
{
    private const double Sentinel = 42.0;

    private static readonly double[] P = [0.9, 0.1];
    private static readonly double[] Q1 = [0.6, 0.4];
    private static readonly double[] Q2 = [0.8, 0.2];

    private const double CrossEntropyPQ1Bits = 0.7954618442383219;
    private const double CrossEntropyPQ2Bits = 0.5219280948873624;
    private const double CrossEntropyQ2PBits = 0.7859880937335125;
    private const double EntropyPBits = 0.4689955935892812;
    private const double KlPQ1Bits = 0.32646625064904067;
    private const double KlPQ2Bits = 0.052932501298081136;

    [Fact]
    public void Seed003_CrossEntropiesInBits()
    {
        Seed003<double>(1e-15);
        Seed003<float>(1e-7);
    }

    [Fact]
    public void Seed003_CrossEntropy_IsNotSymmetric_AndQ2IsTheBetterModel()
    {
        double pq2 = Information.CrossEntropy<double>(P, Q2, Information.Bits);
        double q2p = Information.CrossEntropy<double>(Q2, P, Information.Bits);
        Assert.NotEqual(Math.Round(pq2, 2), Math.Round(q2p, 2)); // 0.52 vs 0.79
        Assert.True(pq2 < Information.CrossEntropy<double>(P, Q1, Information.Bits));
        Assert.NotEqual(
            Information.KlDivergence<double>(P, Q2, Information.Bits),
            Information.KlDivergence<double>(Q2, P, Information.Bits), 3);
    }

    [Fact]
    public void Seed003_KlDivergence_IsCrossEntropyMinusEntropy()
    {
        double h = Information.Entropy<double>(P, Information.Bits);
        Assert.Equal(EntropyPBits, h, 1e-15);
        Assert.Equal(KlPQ1Bits, Information.KlDivergence<double>(P, Q1, Information.Bits), 1e-15);
        Assert.Equal(KlPQ2Bits, Information.KlDivergence<double>(P, Q2, Information.Bits), 1e-15);
        Assert.Equal(
            Information.CrossEntropy<double>(P, Q1, Information.Bits) - h,
            Information.KlDivergence<double>(P, Q1, Information.Bits),
            1e-15);
        Assert.Equal(0.3265, Math.Round(Information.KlDivergence<float>([0.9f, 0.1f], [0.6f, 0.4f], Information.Bits), 4));
    }

    [Fact]
    public void Seed003_UniformOverFourSymbols_HasTwoBits_AndPerplexityFour()
    {
        // Hartley's I = log2 4 = 2 bits is Shannon's entropy of the uniform source.
        double[] uniform = [0.25, 0.25, 0.25, 0.25];
        Assert.Equal(2.0, Information.Entropy<double>(uniform, Information.Bits));
        Assert.Equal(2.0, Information.CrossEntropy<double>(uniform, uniform, Information.Bits));
        Assert.Equal(4.0, Information.Perplexity(2.0, Information.Bits));
        Assert.Equal(4.0, Information.Perplexity(Information.Entropy<double>(uniform)), 1e-14);
    }

    [Fact]
    public void Nats_AreTheDefault_AndBitsAreNatsOverLn2()
    {
        double nats = Information.CrossEntropy<double>(P, Q1);
        Assert.Equal(nats, Information.CrossEntropy<double>(P, Q1, Information.Nats));
        Assert.Equal(0.5513721345768072, nats, 1e-15);
        Assert.Equal(nats / Math.Log(2.0), Information.CrossEntropy<double>(P, Q1, Information.Bits));
        Assert.Equal(Math.E, Information.Nats);
        Assert.Equal(2.0, Information.Bits);
    }

    [Fact]
    public void Perplexity_IsBaseToTheCrossEntropy()
    {
        Assert.Equal(3.0, Information.Perplexity(Math.Log(3.0)), 1e-14);
        Assert.Equal(1000.0, Information.Perplexity(3.0, 10.0), 1e-11);
        Assert.Equal(1.7356329066540177, Information.Perplexity(CrossEntropyPQ1Bits, Information.Bits), 1e-15);
        Assert.Equal(Information.Perplexity(0.5513721345768072), Information.Perplexity(CrossEntropyPQ1Bits, Information.Bits), 1e-15);
        Assert.Equal(1.0, Information.Perplexity(0.0, 7.5));
        Assert.Equal(double.PositiveInfinity, Information.Perplexity(double.PositiveInfinity));
        Assert.Equal(0.0, Information.Perplexity(double.NegativeInfinity, Information.Bits));
        Assert.True(double.IsNaN(Information.Perplexity(double.NaN)));
    }

    [Fact]
    public void ZeroProbabilities_ContributeNothing_AndAMissingClassIsInfinite()
    {
        // A one-hot distribution has entropy 0; a class of p with probability 0 contributes 0 even where q is 0.
        Assert.Equal(0.0, Information.Entropy<double>([0.0, 1.0, 0.0]));
        Assert.Equal(0.0, Information.CrossEntropy<double>([1.0, 0.0], [1.0, 0.0]));
        Assert.Equal(0.0, Information.KlDivergence<double>([1.0, 0.0], [1.0, 0.0]));
        Assert.Equal(Information.CrossEntropy<double>(P, Q1), Information.CrossEntropy<double>([0.9, 0.0, 0.1], [0.6, 0.0, 0.4]));
        Assert.Equal(Information.KlDivergence<double>(P, Q1), Information.KlDivergence<double>([0.0, 0.9, 0.1], [0.25, 0.6, 0.4]));

        // p > 0 where q = 0: +∞.
        Assert.Equal(double.PositiveInfinity, Information.CrossEntropy<double>([0.5, 0.5], [1.0, 0.0]));
        Assert.Equal(double.PositiveInfinity, Information.KlDivergence<float>([0.5f, 0.5f], [1.0f, 0.0f]));

        // All-zero p, and −0.0 (which is not negative).
        Assert.Equal(0.0, Information.Entropy<double>([0.0, 0.0]));
        Assert.Equal(0.0, Information.CrossEntropy<double>([-0.0, 1.0], [-0.0, 1.0]));
    }

    [Fact]
    public void KlDivergence_OfItself_IsExactlyZero_AndUnnormalizedVectorsAreTakenAsGiven()
    {
        double[] p = [0.1, 0.2, 0.3, 0.4];
        Assert.Equal(0.0, Information.KlDivergence<double>(p, p));

        // Values above 1 are accepted: q = 2p gives −ln 2·Σ p (negative, as documented); H of (2) is −2·ln 2.
        Assert.Equal(-Math.Log(2.0), Information.KlDivergence<double>(p, [0.2, 0.4, 0.6, 0.8]), 1e-15);
        Assert.Equal(-2.0 * Math.Log(2.0), Information.Entropy<double>([2.0]), 1e-15);
    }

    [Fact]
    public void KlDivergence_OfNearlyEqualDistributions_KeepsItsRelativeAccuracy()
    {
        // p = (0.5 + x/2, 0.5 − x/2), q = (0.5, 0.5) with x = 2^-29 (all exact): KL = ½[(1 + x)·ln(1 + x) + (1 − x)·ln(1 − x)]
        // = x²/2 + x⁴/12 + … = 2^-59·(1 + 2^-58/6 + …) ≈ 1.7347e-18 nats. H(p, q) − H(p) would be off by ~1e-16 (the
        // rounding of ln 2), a hundred times the answer; the per-term ln(1 + (p − q)/q) keeps it to a few ulps.
        double x = Math.ScaleB(1.0, -29);
        double kl = Information.KlDivergence<double>([0.5 + (x / 2.0), 0.5 - (x / 2.0)], [0.5, 0.5]);
        double expected = Math.ScaleB(1.0, -59);
        Assert.Equal(expected, kl, expected * 1e-6);

        // The same pair the other way round.
        Assert.Equal(expected, Information.KlDivergence<double>([0.5 - (x / 2.0), 0.5 + (x / 2.0)], [0.5, 0.5]), expected * 1e-6);
    }

    [Fact]
    public void KlDivergence_WhereTheRatioRounds_StaysAccurate()
    {
        // p = (0.3, 0.7), q = (0.3 + δ, 0.7 − δ) with δ = 2^-32 (q exact, Σ q = Σ p exactly). KL to 80 digits (Python
        // decimal on the exact binary values): 1.29071687162494224e-19 nats. The terms are ±2.3e-10 and cancel to
        // 1.3e-19, so a term off by one ulp (5e-26) moves KL by 4e-7 relatively: 1e-6 allows two ulps per term.
        // ln of the rounded ratio p/q gives 3.3e-17 here (250 times too large), and H(p, q) − H(p) about as wrong.
        double delta = Math.ScaleB(1.0, -32);
        double kl = Information.KlDivergence<double>([0.3, 0.7], [0.3 + delta, 0.7 - delta]);
        const double expected = 1.2907168716249421e-19;
        Assert.Equal(expected, kl, expected * 1e-6);
    }

    [Fact]
    public void EntropyWithGradient_IsMinusLogPPlusOneOverLnB_AndInfiniteAtZero()
    {
        double[] gradient = [Sentinel, Sentinel, Sentinel, Sentinel];
        double h = Information.EntropyWithGradient<double>([0.5, 0.25, 0.25, 0.0], gradient, Information.Bits);
        Assert.Equal(1.5, h);
        Assert.Equal(Information.Entropy<double>([0.5, 0.25, 0.25, 0.0], Information.Bits), h);

        // −(ln p + 1) / ln 2 = −log2 p − 1/ln 2.
        double invLn2 = 1.0 / Math.Log(2.0);
        Assert.Equal(1.0 - invLn2, gradient[0], 1e-15);
        Assert.Equal(2.0 - invLn2, gradient[1], 1e-15);
        Assert.Equal(2.0 - invLn2, gradient[2], 1e-15);
        Assert.Equal(double.PositiveInfinity, gradient[3]);

        // A longer gradient: only the first p.Length values are written.
        double[] longer = [Sentinel, Sentinel, Sentinel];
        Information.EntropyWithGradient<double>([1.0, 1.0], longer);
        Assert.Equal([-1.0, -1.0, Sentinel], longer);
    }

    [Fact]
    public void CrossEntropyWithGradient_AtTheSeed()
    {
        double[] gp = new double[2];
        double[] gq = new double[2];
        double h = Information.CrossEntropyWithGradient<double>(P, Q1, gp, gq, Information.Bits);
        Assert.Equal(Information.CrossEntropy<double>(P, Q1, Information.Bits), h);

        // ∂/∂p = −log2 q, ∂/∂q = −p / (q ln 2).
        Assert.Equal(-Math.Log2(0.6), gp[0], 1e-15);
        Assert.Equal(-Math.Log2(0.4), gp[1], 1e-15);
        Assert.Equal(-1.5 / Math.Log(2.0), gq[0], 1e-15);
        Assert.Equal(-0.25 / Math.Log(2.0), gq[1], 1e-15);

        // Zero conventions: p = 0 gives ∂/∂q = 0 even at q = 0; ∂/∂p = −ln q is +∞ at q = 0 whatever p.
        double[] gp0 = new double[3];
        double[] gq0 = new double[3];
        double h0 = Information.CrossEntropyWithGradient<double>([1.0, 0.0, 0.0], [0.5, 0.5, 0.0], gp0, gq0);
        Assert.Equal(Math.Log(2.0), h0);
        Assert.Equal([Math.Log(2.0), Math.Log(2.0), double.PositiveInfinity], gp0);
        Assert.Equal([-2.0, 0.0, 0.0], gq0);

        // p > 0 = q: the value is +∞ and ∂/∂q is −∞.
        double[] gq1 = new double[2];
        Assert.Equal(double.PositiveInfinity, Information.CrossEntropyWithGradient<double>([0.5, 0.5], [1.0, 0.0], default, gq1));
        Assert.Equal([-0.5, double.NegativeInfinity], gq1);
    }

    [Fact]
    public void KlDivergenceWithGradient_AtTheSeed()
    {
        double[] gp = new double[2];
        double[] gq = new double[2];
        float kl = Information.KlDivergenceWithGradient<float>([0.9f, 0.1f], [0.6f, 0.4f], default, default);
        Assert.Equal(Information.KlDivergence<float>([0.9f, 0.1f], [0.6f, 0.4f]), kl);

        double value = Information.KlDivergenceWithGradient<double>(P, Q1, gp, gq);
        Assert.Equal(Information.KlDivergence<double>(P, Q1), value);
        Assert.Equal(Math.Log(1.5) + 1.0, gp[0], 1e-15);
        Assert.Equal(Math.Log(0.25) + 1.0, gp[1], 1e-15);
        Assert.Equal(-1.5, gq[0], 1e-15);
        Assert.Equal(-0.25, gq[1], 1e-15);

        // Zero conventions: p = 0 < q gives ∂/∂p = −∞, p = q = 0 gives +∞; ∂/∂q = 0 where p = 0.
        double[] gp0 = new double[3];
        double[] gq0 = new double[3];
        Assert.Equal(0.0, Information.KlDivergenceWithGradient<double>([1.0, 0.0, 0.0], [1.0, 0.5, 0.0], gp0, gq0));
        Assert.Equal([1.0, double.NegativeInfinity, double.PositiveInfinity], gp0);
        Assert.Equal([-1.0, 0.0, 0.0], gq0);
    }

    [Fact]
    public void EmptyGradientSpans_AreSkipped()
    {
        double[] gq = [Sentinel, Sentinel];
        double[] gp = [Sentinel, Sentinel];
        Information.CrossEntropyWithGradient<double>(P, Q1, default, gq);
        Assert.Equal(-1.5, gq[0], 1e-15);
        Information.KlDivergenceWithGradient<double>(P, Q1, gp, Span<double>.Empty);
        Assert.Equal(Math.Log(1.5) + 1.0, gp[0], 1e-15);
    }

    [Fact]
    public void EmptyDistribution_IsRefused()
    {
        var entropy = Assert.Throws<ArgumentException>(() => Information.Entropy<double>([]));
        Assert.Equal("p", entropy.ParamName);
        Assert.StartsWith("A distribution must hold at least one probability; p is empty.", entropy.Message);

        var crossEntropy = Assert.Throws<ArgumentException>(() => Information.CrossEntropy<float>([], []));
        Assert.Equal("p", crossEntropy.ParamName);
        var kl = Assert.Throws<ArgumentException>(() => Information.KlDivergenceWithGradient<double>([], [], default, default));
        Assert.Equal("p", kl.ParamName);
        var gradient = Assert.Throws<ArgumentException>(() => Information.EntropyWithGradient<double>([], new double[1]));
        Assert.Equal("p", gradient.ParamName);
    }

    [Fact]
    public void LengthMismatch_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Information.CrossEntropy<double>(P, [0.2, 0.3, 0.5]));
        Assert.Equal("q", e.ParamName);
        Assert.StartsWith("p and q must hold one probability per class each: p has 2 classes but q has 3.", e.Message);

        var kl = Assert.Throws<ArgumentException>(() => Information.KlDivergence<double>(P, [1.0]));
        Assert.Equal("q", kl.ParamName);
        Assert.Contains("p has 2 classes but q has 1", kl.Message);
    }

    [Fact]
    public void NegativeProbability_IsRefused_WithParameterIndexAndValue()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Information.CrossEntropy<double>([0.2, 0.3, 0.5], [0.6, 0.5, -0.1]));
        Assert.Equal("q", e.ParamName);
        Assert.Equal(-0.1, e.ActualValue);
        Assert.StartsWith("q[2] is -0.1; probabilities must be non-negative.", e.Message);

        // A float value prints as the float it is.
        var f = Assert.Throws<ArgumentOutOfRangeException>(() => Information.KlDivergence<float>([0.5f, -0.1f], [0.5f, 0.5f]));
        Assert.Equal("p", f.ParamName);
        Assert.StartsWith("p[1] is -0.1; probabilities must be non-negative.", f.Message);

        var entropy = Assert.Throws<ArgumentOutOfRangeException>(() => Information.Entropy<double>([-1e-300]));
        Assert.StartsWith("p[0] is -1E-300; probabilities must be non-negative.", entropy.Message);

        var minusInfinity = Assert.Throws<ArgumentOutOfRangeException>(() => Information.Entropy<double>([0.5, double.NegativeInfinity]));
        Assert.StartsWith("p[1] is -Infinity; probabilities must be non-negative.", minusInfinity.Message);
    }

    [Fact]
    public void NaNProbability_IsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Information.Entropy<double>([0.5, double.NaN]));
        Assert.Equal("p", e.ParamName);
        Assert.StartsWith("p[1] is NaN; probabilities must be non-negative numbers.", e.Message);

        var q = Assert.Throws<ArgumentOutOfRangeException>(() => Information.KlDivergence<float>([0.5f, 0.5f], [float.NaN, 0.5f]));
        Assert.Equal("q", q.ParamName);
        Assert.StartsWith("q[0] is NaN;", q.Message);
    }

    [Fact]
    public void InfiniteProbability_IsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Information.Entropy<double>([double.PositiveInfinity]));
        Assert.Equal("p", e.ParamName);
        Assert.StartsWith("p[0] is Infinity; probabilities must be finite.", e.Message);

        var q = Assert.Throws<ArgumentOutOfRangeException>(() => Information.CrossEntropy<float>([0.5f, 0.5f], [0.5f, float.PositiveInfinity]));
        Assert.Equal("q", q.ParamName);
        Assert.StartsWith("q[1] is Infinity; probabilities must be finite.", q.Message);
    }

    [Fact]
    public void ProbabilitiesOfP_AreCheckedBeforeThoseOfQ()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Information.CrossEntropy<double>([0.5, -1.0], [-2.0, 0.5]));
        Assert.Equal("p", e.ParamName);
        Assert.StartsWith("p[1] is -1;", e.Message);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(0.0)]
    [InlineData(-2.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void LogBase_MustBeFiniteAndGreaterThanOne(double logBase)
    {
        // The value is reported once, by the runtime's "Actual value was" line (not also in the sentence).
        string got = $"Actual value was {logBase}.";
        void Check(Action action)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(action);
            Assert.Equal("logBase", e.ParamName);
            Assert.StartsWith("The logarithm base must be finite and greater than 1", e.Message);
            Assert.Equal(logBase, (double)e.ActualValue!);
            Assert.Contains(got, e.Message);
            Assert.Single(e.Message.Split("Actual value was").Skip(1));
        }

        Check(() => Information.Entropy<double>(P, logBase));
        Check(() => Information.CrossEntropy<double>(P, Q1, logBase));
        Check(() => Information.KlDivergence<float>([0.9f, 0.1f], [0.6f, 0.4f], logBase));
        Check(() => Information.EntropyWithGradient<double>(P, new double[2], logBase));
        Check(() => Information.CrossEntropyWithGradient<double>(P, Q1, new double[2], new double[2], logBase));
        Check(() => Information.KlDivergenceWithGradient<double>(P, Q1, new double[2], new double[2], logBase));
        Check(() => Information.Perplexity(1.0, logBase));
    }

    [Fact]
    public void LogBase_JustAboveOne_IsAccepted()
    {
        double b = Math.BitIncrement(1.0);
        Assert.Equal(Information.Entropy<double>(P) / Math.Log(b), Information.Entropy<double>(P, b));
        Assert.Equal(Math.Pow(b, 3.0), Information.Perplexity(3.0, b));
    }

    [Fact]
    public void ShortGradient_IsRefused_AndNothingIsWritten()
    {
        double[] one = [Sentinel];
        var entropy = Assert.Throws<ArgumentException>(() => Information.EntropyWithGradient<double>(P, one));
        Assert.Equal("gradient", entropy.ParamName);
        Assert.StartsWith("gradient is too short: it receives one value per class (2) but holds 1.", entropy.Message);

        double[] full = [Sentinel, Sentinel];
        var gp = Assert.Throws<ArgumentException>(() => Information.CrossEntropyWithGradient<double>(P, Q1, one, full));
        Assert.Equal("gradientP", gp.ParamName);
        Assert.StartsWith("gradientP is too short", gp.Message);
        var gq = Assert.Throws<ArgumentException>(() => Information.KlDivergenceWithGradient<double>(P, Q1, full, one));
        Assert.Equal("gradientQ", gq.ParamName);
        Assert.StartsWith("gradientQ is too short: it receives one value per class (2) but holds 1.", gq.Message);

        Assert.Equal([Sentinel], one);
        Assert.Equal([Sentinel, Sentinel], full);
    }

    [Fact]
    public void GradientOverlappingAnInputOrTheOtherGradient_IsRefused_AndNothingChanges()
    {
        // p and the gradient share one buffer.
        double[] buffer = [0.9, 0.1, Sentinel];
        var entropy = Assert.Throws<ArgumentException>(() =>
            Information.EntropyWithGradient<double>(buffer.AsSpan(0, 2), buffer.AsSpan(1, 2)));
        Assert.Equal("gradient", entropy.ParamName);
        Assert.StartsWith("gradient must not overlap p.", entropy.Message);
        Assert.Equal([0.9, 0.1, Sentinel], buffer);

        // In place (the gradient is p itself) is refused too.
        var inPlace = Assert.Throws<ArgumentException>(() =>
            Information.EntropyWithGradient<double>(buffer.AsSpan(0, 2), buffer.AsSpan(0, 2)));
        Assert.Equal("gradient", inPlace.ParamName);

        // gradientQ over q.
        double[] qAndGradient = [0.6, 0.4, Sentinel, Sentinel];
        var q = Assert.Throws<ArgumentException>(() =>
            Information.CrossEntropyWithGradient<double>(P, qAndGradient.AsSpan(0, 2), default, qAndGradient.AsSpan(1, 3)));
        Assert.Equal("gradientQ", q.ParamName);
        Assert.StartsWith("gradientQ must not overlap q.", q.Message);
        Assert.Equal([0.6, 0.4, Sentinel, Sentinel], qAndGradient);

        // gradientP over p.
        double[] pAndGradient = [0.9, 0.1, Sentinel];
        var p = Assert.Throws<ArgumentException>(() =>
            Information.KlDivergenceWithGradient<double>(pAndGradient.AsSpan(0, 2), Q1, pAndGradient.AsSpan(1, 2), default));
        Assert.Equal("gradientP", p.ParamName);
        Assert.StartsWith("gradientP must not overlap p.", p.Message);

        // The two gradients share a buffer.
        double[] gradients = [Sentinel, Sentinel, Sentinel];
        var both = Assert.Throws<ArgumentException>(() =>
            Information.KlDivergenceWithGradient<double>(P, Q1, gradients.AsSpan(0, 2), gradients.AsSpan(1, 2)));
        Assert.Equal("gradientQ", both.ParamName);
        Assert.StartsWith("gradientQ must not overlap gradientP.", both.Message);
        Assert.Equal([Sentinel, Sentinel, Sentinel], gradients);
    }

    [Fact]
    public void InvalidProbability_WithGradients_WritesNothing()
    {
        double[] gp = [Sentinel, Sentinel];
        double[] gq = [Sentinel, Sentinel];
        Assert.Throws<ArgumentOutOfRangeException>(() => Information.KlDivergenceWithGradient<double>(P, [0.5, -0.5], gp, gq));
        Assert.Throws<ArgumentOutOfRangeException>(() => Information.CrossEntropyWithGradient<double>(P, [0.5, double.NaN], gp, gq));
        Assert.Throws<ArgumentOutOfRangeException>(() => Information.EntropyWithGradient<double>([0.5, double.PositiveInfinity], gp));
        Assert.Equal([Sentinel, Sentinel], gp);
        Assert.Equal([Sentinel, Sentinel], gq);
    }

    [Fact]
    public void Validation_FollowsTheDocumentedOrder()
    {
        // Empty p before the base; the length of q before the base; the base before the gradients; the gradients
        // before the probabilities.
        Assert.Equal("p", Assert.ThrowsAny<ArgumentException>(() => Information.Entropy<double>([], 0.0)).ParamName);
        Assert.Equal("q", Assert.ThrowsAny<ArgumentException>(() => Information.CrossEntropy<double>(P, [-1.0], 0.0)).ParamName);
        Assert.Equal("logBase", Assert.ThrowsAny<ArgumentException>(() => Information.EntropyWithGradient<double>([-1.0], default, 1.0)).ParamName);
        Assert.Equal("gradient", Assert.ThrowsAny<ArgumentException>(() => Information.EntropyWithGradient<double>([-1.0], default)).ParamName);
    }

    private static void Seed003<T>(double tolerance)
        where T : IFloatingPointIeee754<T>
    {
        T[] p = Convert<T>(P);
        T[] q1 = Convert<T>(Q1);
        T[] q2 = Convert<T>(Q2);
        double pq1 = double.CreateTruncating(Information.CrossEntropy<T>(p, q1, Information.Bits));
        double pq2 = double.CreateTruncating(Information.CrossEntropy<T>(p, q2, Information.Bits));
        double q2p = double.CreateTruncating(Information.CrossEntropy<T>(q2, p, Information.Bits));
        double h = double.CreateTruncating(Information.Entropy<T>(p, Information.Bits));

        // Four decimals, as the values the seed's formula gives (see the class remarks for the seed's own figures).
        Assert.Equal(0.7955, Math.Round(pq1, 4));
        Assert.Equal(0.5219, Math.Round(pq2, 4));
        Assert.Equal(0.7860, Math.Round(q2p, 4));
        Assert.Equal(0.4690, Math.Round(h, 4));

        // And to the element type's precision (float inputs are the rounded decimals, so float gets 1e-7).
        Assert.Equal(CrossEntropyPQ1Bits, pq1, tolerance);
        Assert.Equal(CrossEntropyPQ2Bits, pq2, tolerance);
        Assert.Equal(CrossEntropyQ2PBits, q2p, tolerance);
        Assert.Equal(EntropyPBits, h, tolerance);
    }

    private static T[] Convert<T>(double[] values)
        where T : IFloatingPointIeee754<T>
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateTruncating(values[i]);
        }

        return result;
    }
}
