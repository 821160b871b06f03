using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

/// <summary>
/// Information measures of discrete probability distributions: entropy H(p) = −Σ_c p[c]·log_b p[c], cross entropy
/// H(p, q) = −Σ_c p[c]·log_b q[c], the Kullback–Leibler divergence KL(p‖q) = Σ_c p[c]·log_b(p[c] / q[c]) and the
/// perplexity b^H, in any logarithm base b (<see cref="Nats"/> by default, <see cref="Bits"/>), with their gradients.
/// </summary>
/// <remarks>
/// <para>
/// <b>Distributions.</b> A distribution is a span of C ≥ 1 non-negative, finite probabilities, one per class; p and q
/// of a pair have the same length. The values are used as given: they need not sum to one and values above 1 are
/// accepted (the formulas are then applied literally, so e.g. KL of unnormalized vectors may be negative). Nothing is
/// normalized or clipped. For distributions, H(p, q) = H(p) + KL(p‖q), KL(p‖q) ≥ 0 and 0 ≤ H(p) ≤ log_b C.
/// </para>
/// <para>
/// <b>Conventions.</b> 0·log 0 = 0: a class with p[c] = 0 contributes exactly 0 to every measure, whatever q[c]
/// (even 0); a class with p[c] &gt; 0 and q[c] = 0 makes H(p, q) and KL(p‖q) +∞. Negative, NaN and +∞ probabilities
/// are refused (an infinite probability has no meaning as a probability, and would only turn the results into
/// ±∞ or NaN); −0.0 is accepted as 0.
/// </para>
/// <para>
/// <b>Precision.</b> Every term is computed in double (float elements are widened exactly), eight classes at a time on
/// the engine of the element-wise losses, with the library's own logarithm (within 1 ulp); ln(p/q) is taken as
/// ln(1 + (p − q)/q) where p and q are within a factor of 2 of each other (exact p − q), so KL of nearly equal
/// distributions keeps its relative accuracy. The terms are added one by one in class order with compensated
/// summation, on the calling thread, so that a class with p = 0 changes no measure, not even by a rounding: the same
/// bits at every vector width. The sum, in nats, is divided once by ln b; a gradient in base b is the
/// gradient in nats times 1 / ln b. A float result is the double result rounded once. <see cref="Nats"/>
/// (<see cref="Math.E"/>) is taken as e itself: ln b is then exactly 1.
/// </para>
/// <para>
/// <b>Gradients.</b> The <c>WithGradient</c> functions return the same value, bit for bit, as the value-only functions
/// and write the partial derivatives with respect to each probability, p and q being treated as independent
/// coordinates in ℝ^C: no projection onto the simplex (Σ p = 1) is made. To move along the simplex, subtract the mean
/// of the gradient, or differentiate through a softmax.
/// </para>
/// <para>
/// <b>Validation.</b> Arguments are checked in a fixed order: an empty p, the length of q, the base, each gradient
/// span (its length, then its overlap with p and q), the two gradients' overlap, then every probability of p and then
/// of q in index order. An
/// <see cref="ArgumentException"/> (or <see cref="ArgumentOutOfRangeException"/>) naming the parameter, the rule
/// and the value received is thrown before anything is written.
/// </para>
/// <para>
/// <b>References.</b> T. M. Cover and J. A. Thomas, <i>Elements of Information Theory</i>, 2nd ed., Wiley 2006,
/// chapter 2 (entropy, relative entropy, Gibbs' inequality). For PyTorch's <c>kl_div</c> on log-probabilities, see
/// the functions of <see cref="Functional"/>.
/// </para>
/// </remarks>
public static partial class Information
{
    /// <summary>The natural logarithm's base e: measures in nats (the default of every function).</summary>
    public const double Nats = Math.E;

    /// <summary>Base 2: measures in bits (shannons).</summary>
    public const double Bits = 2.0;

    /// <summary>
    /// Perplexity b^H: the perplexity of a model whose mean cross entropy, measured in base b =
    /// <paramref name="logBase"/>, is <paramref name="crossEntropy"/>; the effective number of equally likely classes
    /// the model is choosing among (a uniform model over C classes has perplexity C).
    /// </summary>
    /// <param name="crossEntropy">A cross entropy or entropy H, in base <paramref name="logBase"/>; any value.</param>
    /// <param name="logBase">The base b that <paramref name="crossEntropy"/> is measured in: finite and greater than 1; <see cref="Nats"/> (default) or <see cref="Bits"/>.</param>
    /// <returns>b^H, which is exp(H·ln b): the same perplexity for the same cross entropy measured in any base.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is NaN, infinite, or at most 1.</exception>
    /// <remarks>
    /// Computed as exp(H) for <see cref="Nats"/>, 2^H for <see cref="Bits"/> and b^H otherwise. Special values: a NaN
    /// cross entropy gives NaN, +∞ gives +∞, −∞ gives 0; a negative cross entropy (possible only for unnormalized
    /// vectors) gives a perplexity below 1; results above double's range are +∞.
    /// </remarks>
    public static double Perplexity(double crossEntropy, double logBase = Nats)
    {
        ValidateLogBase(logBase);
        if (logBase == Nats)
        {
            return double.Exp(crossEntropy);
        }

        return logBase == Bits ? double.Exp2(crossEntropy) : double.Pow(logBase, crossEntropy);
    }

    /// <summary>Checks the base and returns ln b (exactly 1 for <see cref="Nats"/>).</summary>
    private static double ValidateLogBase(double logBase)
    {
        // Written so that NaN fails too.
        if (!(logBase > 1.0 && double.IsFinite(logBase)))
        {
            InformationThrowHelper.LogBaseOutOfRange(logBase);
        }

        return logBase == Nats ? 1.0 : double.Log(logBase);
    }

    private static void ValidateNotEmpty<T>(ReadOnlySpan<T> p)
    {
        if (p.IsEmpty)
        {
            InformationThrowHelper.EmptyDistribution(nameof(p));
        }
    }

    private static void ValidatePair<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q)
    {
        ValidateNotEmpty(p);
        if (q.Length != p.Length)
        {
            InformationThrowHelper.LengthMismatch(p.Length, q.Length);
        }
    }

    /// <summary>
    /// Checks a gradient span and returns the part that is written (its first <c>p.Length</c> values), or an empty
    /// span when the gradient is <paramref name="optional"/> and empty (skipped).
    /// </summary>
    private static Span<T> ValidateGradient<T>(
        Span<T> gradient, string name, bool optional, ReadOnlySpan<T> p, ReadOnlySpan<T> q)
    {
        if (optional && gradient.IsEmpty)
        {
            return default;
        }

        if (gradient.Length < p.Length)
        {
            InformationThrowHelper.GradientTooShort(name, gradient.Length, p.Length);
        }

        Span<T> written = gradient[..p.Length];
        if (written.Overlaps(p))
        {
            InformationThrowHelper.Overlaps(name, nameof(p));
        }

        if (written.Overlaps(q))
        {
            InformationThrowHelper.Overlaps(name, nameof(q));
        }

        return written;
    }

    /// <summary>Both gradients of a pair measure; neither may overlap an input or the other.</summary>
    private static void ValidateGradients<T>(
        ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> gradientP, Span<T> gradientQ, out Span<T> gp, out Span<T> gq)
    {
        gp = ValidateGradient(gradientP, nameof(gradientP), optional: true, p, q);
        gq = ValidateGradient(gradientQ, nameof(gradientQ), optional: true, p, q);
        if (gp.Overlaps(gq))
        {
            InformationThrowHelper.Overlaps(nameof(gradientQ), nameof(gradientP));
        }
    }

    /// <summary>Every value must be a finite, non-negative number (−0.0 counts as 0).</summary>
    private static void ValidateProbabilities<T>(ReadOnlySpan<T> values, string name)
        where T : IFloatingPointIeee754<T>
    {
        // A vector's worth at a time while every value passes (0 ≤ v &lt; +∞ fails for NaN too); from the first
        // vector that holds a bad value on, one at a time, to name it.
        int c = 0;
        if (Vector.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            c = FirstSuspectBlock(values);
        }

        for (; c < values.Length; c++)
        {
            T v = values[c];
            if (v >= T.Zero && T.IsFinite(v))
            {
                continue;
            }

            if (T.IsNaN(v))
            {
                InformationThrowHelper.NaNProbability(name, c, v);
            }

            if (v < T.Zero)
            {
                InformationThrowHelper.NegativeProbability(name, c, v);
            }

            InformationThrowHelper.InfiniteProbability(name, c, v);
        }
    }

    /// <summary>The start of the first <see cref="Vector{T}"/> of values holding one that is not finite and ≥ 0, or of the partial last one.</summary>
    private static int FirstSuspectBlock<T>(ReadOnlySpan<T> values)
        where T : IFloatingPointIeee754<T>
    {
        var zero = Vector<T>.Zero;
        var infinity = new Vector<T>(T.PositiveInfinity);
        int c = 0;
        for (; c <= values.Length - Vector<T>.Count; c += Vector<T>.Count)
        {
            var v = new Vector<T>(values[c..]);
            if (!(Vector.GreaterThanOrEqualAll(v, zero) && Vector.LessThanAll(v, infinity)))
            {
                break;
            }
        }

        return c;
    }
}
