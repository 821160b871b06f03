using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

public static partial class Information
{
    /// <summary>
    /// Shannon entropy H(p) = −Σ_c p[c]·log_b p[c], with 0·log 0 = 0: the mean information, in base-b units, of a
    /// class drawn from p (b = 2: bits, e: nats). For a distribution 0 ≤ H(p) ≤ log_b C, with 0 exactly at a one-hot
    /// p and log_b C at the uniform distribution.
    /// </summary>
    /// <typeparam name="T">float or double (any IEEE 754 type works; the sum is computed in double).</typeparam>
    /// <param name="p">The probabilities, one per class: at least one, each finite and non-negative; they need not sum to one and may exceed 1.</param>
    /// <param name="logBase">The base b of the logarithm: finite and greater than 1; <see cref="Nats"/> (default) or <see cref="Bits"/>.</param>
    /// <returns>H(p) in base b, computed in double and rounded once to <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="p"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is NaN, infinite, or at most 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is negative, NaN or +∞ (the message names the index and the value).</exception>
    /// <example>
    /// <code>
    /// double h = Information.Entropy&lt;double&gt;([0.25, 0.25, 0.25, 0.25], Information.Bits); // 2 bits
    /// </code>
    /// </example>
    /// <remarks>
    /// Special values: a zero probability contributes exactly 0; an all-zero p gives 0. Terms of probabilities above 1
    /// are negative (−p·log p &lt; 0), so H of such a vector may be negative; a term that overflows double (p above
    /// about 1e305) gives −∞.
    /// </remarks>
    public static T Entropy<T>(ReadOnlySpan<T> p, double logBase = Nats)
        where T : IFloatingPointIeee754<T>
    {
        ValidateNotEmpty(p);
        double lnBase = ValidateLogBase(logBase);
        ValidateProbabilities(p, nameof(p));
        return T.CreateTruncating(EntropyCore(p, default, lnBase));
    }

    /// <summary>
    /// Entropy and its gradient in one pass: returns H(p) = −Σ_c p[c]·log_b p[c] and writes
    /// gradient[c] = ∂H/∂p[c] = −(ln p[c] + 1) / ln b, p being treated as a point of ℝ^C (no projection onto the simplex).
    /// </summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="p">The probabilities, one per class: at least one, each finite and non-negative.</param>
    /// <param name="gradient">Receives ∂H/∂p, one value per class (its first <c>p.Length</c> values are written); at least as long as <paramref name="p"/>; must not overlap it.</param>
    /// <param name="logBase">The base b: finite and greater than 1; <see cref="Nats"/> (default) or <see cref="Bits"/>.</param>
    /// <returns>H(p), bit for bit the value of <see cref="Entropy{T}(ReadOnlySpan{T}, double)"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="p"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is NaN, infinite, or at most 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is shorter than <paramref name="p"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> overlaps <paramref name="p"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is negative, NaN or +∞.</exception>
    /// <remarks>
    /// Nothing is written when an exception is thrown. Special values: at p[c] = 0 the gradient is +∞, the one-sided derivative of −p·log p at 0 (the term is 0 there,
    /// but grows with infinite slope). Each gradient value is computed in double and rounded once.
    /// </remarks>
    public static T EntropyWithGradient<T>(ReadOnlySpan<T> p, Span<T> gradient, double logBase = Nats)
        where T : IFloatingPointIeee754<T>
    {
        ValidateNotEmpty(p);
        double lnBase = ValidateLogBase(logBase);
        Span<T> g = ValidateGradient(gradient, nameof(gradient), optional: false, p, default);
        ValidateProbabilities(p, nameof(p));
        return T.CreateTruncating(EntropyCore(p, g, lnBase));
    }

    /// <summary>Σ −p·ln p over the block engine, divided by ln b; the gradient −(ln p + 1) / ln b when asked for.</summary>
    private static double EntropyCore<T>(ReadOnlySpan<T> p, Span<T> gradient, double lnBase)
        where T : IFloatingPointIeee754<T> =>
        Pointwise<T>.Run<EntropyTerm>(p, p, default, default, false, lnBase, default, default, default, gradient);
}
