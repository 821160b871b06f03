using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

public static partial class Information
{
    /// <summary>
    /// Kullback–Leibler divergence (relative entropy) KL(p‖q) = Σ_c p[c]·log_b(p[c] / q[c]): the extra code length, in
    /// base-b units, of coding classes drawn from p for q instead of p. A term with p[c] = 0 is 0 even where q[c] = 0;
    /// p[c] &gt; 0 with q[c] = 0 gives +∞. For distributions KL(p‖q) = H(p, q) − H(p) ≥ 0, with 0 exactly when q = p;
    /// it is not symmetric.
    /// </summary>
    /// <typeparam name="T">float or double (any IEEE 754 type works; the sum is computed in double).</typeparam>
    /// <param name="p">The reference probabilities, one per class: at least one, each finite and non-negative; they need not sum to one and may exceed 1.</param>
    /// <param name="q">The approximating probabilities, as many as <paramref name="p"/>, each finite and non-negative.</param>
    /// <param name="logBase">The base b of the logarithm: finite and greater than 1; <see cref="Nats"/> (default) or <see cref="Bits"/>.</param>
    /// <returns>KL(p‖q) in base b, computed in double and rounded once to <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="p"/> is empty.</exception>
    /// <exception cref="ArgumentException"><paramref name="q"/> does not have the length of <paramref name="p"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is NaN, infinite, or at most 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability of <paramref name="p"/> or <paramref name="q"/> is negative, NaN or +∞ (the message names the parameter, the index and the value).</exception>
    /// <example>
    /// <code>
    /// double kl = Information.KlDivergence&lt;double&gt;([0.9, 0.1], [0.6, 0.4], Information.Bits); // 0.3265 bits
    /// </code>
    /// </example>
    /// <remarks>
    /// <para>
    /// Stable: each term is p·ln(p / q) computed from the pair itself, never as the difference H(p, q) − H(p) of two
    /// sums, which loses everything when q is close to p. Within a factor 2, ln(p / q) is log1p((p − q) / q) with
    /// p − q exact, so a term keeps its relative accuracy however small it is; further apart it is ln of the ratio,
    /// or ln p − ln q where the ratio leaves double's normal range. KL(p‖p) is exactly 0.
    /// </para>
    /// <para>
    /// Special values: zero classes of p contribute exactly 0, so an all-zero p gives 0; a class with p[c] &gt; 0 = q[c]
    /// gives +∞. For vectors that are not distributions the value can be negative (e.g. q = 2p gives −ln 2·Σ p).
    /// </para>
    /// </remarks>
    public static T KlDivergence<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, double logBase = Nats)
        where T : IFloatingPointIeee754<T>
    {
        ValidatePair(p, q);
        double lnBase = ValidateLogBase(logBase);
        ValidateProbabilities(p, nameof(p));
        ValidateProbabilities(q, nameof(q));
        return T.CreateTruncating(KlDivergenceCore(p, q, default, default, lnBase));
    }

    /// <summary>
    /// Kullback–Leibler divergence and its gradients in one pass: returns KL(p‖q) = Σ_c p[c]·log_b(p[c] / q[c]) and
    /// writes gradientP[c] = ∂KL/∂p[c] = (ln(p[c] / q[c]) + 1) / ln b and gradientQ[c] = ∂KL/∂q[c] = −p[c] / (q[c]·ln b),
    /// 0 where p[c] = 0; p and q are treated as independent points of ℝ^C (no projection onto the simplex).
    /// </summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="p">The reference probabilities, one per class: at least one, each finite and non-negative.</param>
    /// <param name="q">The approximating probabilities, as many as <paramref name="p"/>, each finite and non-negative.</param>
    /// <param name="gradientP">Receives ∂KL/∂p (its first <c>p.Length</c> values), or empty to skip it; must not overlap an input or <paramref name="gradientQ"/>.</param>
    /// <param name="gradientQ">Receives ∂KL/∂q (its first <c>p.Length</c> values), or empty to skip it; must not overlap an input or <paramref name="gradientP"/>.</param>
    /// <param name="logBase">The base b: finite and greater than 1; <see cref="Nats"/> (default) or <see cref="Bits"/>.</param>
    /// <returns>KL(p‖q), bit for bit the value of <see cref="KlDivergence{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="p"/> is empty.</exception>
    /// <exception cref="ArgumentException"><paramref name="q"/> does not have the length of <paramref name="p"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is NaN, infinite, or at most 1.</exception>
    /// <exception cref="ArgumentException">A non-empty gradient is shorter than <paramref name="p"/>.</exception>
    /// <exception cref="ArgumentException">A gradient overlaps <paramref name="p"/>, <paramref name="q"/> or the other gradient.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is negative, NaN or +∞.</exception>
    /// <remarks>
    /// Nothing is written when an exception is thrown. The value is the sum of <see cref="KlDivergence{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>
    /// and ∂KL/∂p[c] uses the same stable ln(p / q). Special values: where q[c] = 0, ∂KL/∂p[c] is +∞ (also at
    /// p[c] = 0: any mass on that class makes KL infinite); where p[c] = 0 &lt; q[c] it is −∞, the one-sided derivative
    /// of p·ln p at 0. ∂KL/∂q[c] is exactly 0 where p[c] = 0, even where q[c] = 0, and −∞ where p[c] &gt; 0 = q[c].
    /// Each gradient value is computed in double and rounded once.
    /// </remarks>
    public static T KlDivergenceWithGradient<T>(
        ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> gradientP, Span<T> gradientQ, double logBase = Nats)
        where T : IFloatingPointIeee754<T>
    {
        ValidatePair(p, q);
        double lnBase = ValidateLogBase(logBase);
        ValidateGradients(p, q, gradientP, gradientQ, out Span<T> gp, out Span<T> gq);
        ValidateProbabilities(p, nameof(p));
        ValidateProbabilities(q, nameof(q));
        return T.CreateTruncating(KlDivergenceCore(p, q, gp, gq, lnBase));
    }

    /// <summary>Σ p·ln(p/q) over the block engine (x = q, t = p), divided by ln b; the gradients when asked for.</summary>
    private static double KlDivergenceCore<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> gradientP, Span<T> gradientQ, double lnBase)
        where T : IFloatingPointIeee754<T> =>
        Pointwise<T>.Run<KlDivergenceTerm>(q, p, default, default, false, lnBase, default, default, gradientQ, gradientP);
}
