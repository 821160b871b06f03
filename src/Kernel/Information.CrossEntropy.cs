using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

public static partial class Information
{
    /// <summary>
    /// Cross entropy H(p, q) = −Σ_c p[c]·log_b q[c]: the mean code length, in base-b units, of classes drawn from p
    /// when coded for q. A term with p[c] = 0 is 0 even where q[c] = 0; p[c] &gt; 0 with q[c] = 0 gives +∞. For
    /// distributions H(p, q) = H(p) + KL(p‖q) ≥ H(p) (Gibbs' inequality), with equality exactly when q = p; it is
    /// not symmetric.
    /// </summary>
    /// <typeparam name="T">float or double (any IEEE 754 type works; the sum is computed in double).</typeparam>
    /// <param name="p">The reference (true) probabilities, one per class: at least one, each finite and non-negative; they need not sum to one and may exceed 1.</param>
    /// <param name="q">The model's probabilities, as many as <paramref name="p"/>, each finite and non-negative.</param>
    /// <param name="logBase">The base b of the logarithm: finite and greater than 1; <see cref="Nats"/> (default) or <see cref="Bits"/>.</param>
    /// <returns>H(p, q) in base b, computed in double and rounded once to <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="p"/> is empty.</exception>
    /// <exception cref="ArgumentException"><paramref name="q"/> does not have the length of <paramref name="p"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is NaN, infinite, or at most 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability of <paramref name="p"/> or <paramref name="q"/> is negative, NaN or +∞ (the message names the parameter, the index and the value).</exception>
    /// <example>
    /// <code>
    /// double h = Information.CrossEntropy&lt;double&gt;([0.9, 0.1], [0.6, 0.4], Information.Bits); // 0.7955 bits
    /// double perplexity = Information.Perplexity(h, Information.Bits);                      // 1.736
    /// </code>
    /// </example>
    /// <remarks>
    /// This is the cross entropy of two given distributions; for the cross-entropy loss of logits (softmax applied
    /// inside, stable for any logit) use <see cref="Functional"/>. Special values: zero classes of p contribute exactly
    /// 0, so an all-zero p gives 0; a class with p[c] &gt; 0 = q[c] gives +∞.
    /// </remarks>
    public static T CrossEntropy<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, double logBase = Nats)
        where T : IFloatingPointIeee754<T>
    {
        ValidatePair(p, q);
        double lnBase = ValidateLogBase(logBase);
        ValidateProbabilities(p, nameof(p));
        ValidateProbabilities(q, nameof(q));
        return T.CreateTruncating(CrossEntropyCore(p, q, default, default, lnBase));
    }

    /// <summary>
    /// Cross entropy and its gradients in one pass: returns H(p, q) = −Σ_c p[c]·log_b q[c] and writes
    /// gradientP[c] = ∂H/∂p[c] = −ln q[c] / ln b and gradientQ[c] = ∂H/∂q[c] = −p[c] / (q[c]·ln b), 0 where p[c] = 0;
    /// p and q are treated as independent points of ℝ^C (no projection onto the simplex).
    /// </summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="p">The reference probabilities, one per class: at least one, each finite and non-negative.</param>
    /// <param name="q">The model's probabilities, as many as <paramref name="p"/>, each finite and non-negative.</param>
    /// <param name="gradientP">Receives ∂H/∂p (its first <c>p.Length</c> values), or empty to skip it; must not overlap an input or <paramref name="gradientQ"/>.</param>
    /// <param name="gradientQ">Receives ∂H/∂q (its first <c>p.Length</c> values), or empty to skip it; must not overlap an input or <paramref name="gradientP"/>.</param>
    /// <param name="logBase">The base b: finite and greater than 1; <see cref="Nats"/> (default) or <see cref="Bits"/>.</param>
    /// <returns>H(p, q), bit for bit the value of <see cref="CrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="p"/> is empty.</exception>
    /// <exception cref="ArgumentException"><paramref name="q"/> does not have the length of <paramref name="p"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is NaN, infinite, or at most 1.</exception>
    /// <exception cref="ArgumentException">A non-empty gradient is shorter than <paramref name="p"/>.</exception>
    /// <exception cref="ArgumentException">A gradient overlaps <paramref name="p"/>, <paramref name="q"/> or the other gradient.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability is negative, NaN or +∞.</exception>
    /// <remarks>
    /// Nothing is written when an exception is thrown. Special values: ∂H/∂p[c] is +∞ where q[c] = 0, also where
    /// p[c] = 0 (H is linear in p, and any mass on that class makes it infinite); ∂H/∂q[c] is exactly 0 where
    /// p[c] = 0, even where q[c] = 0, and −∞ where p[c] &gt; 0 = q[c]. Each gradient value is computed in double and
    /// rounded once.
    /// </remarks>
    public static T CrossEntropyWithGradient<T>(
        ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> gradientP, Span<T> gradientQ, double logBase = Nats)
        where T : IFloatingPointIeee754<T>
    {
        ValidatePair(p, q);
        double lnBase = ValidateLogBase(logBase);
        ValidateGradients(p, q, gradientP, gradientQ, out Span<T> gp, out Span<T> gq);
        ValidateProbabilities(p, nameof(p));
        ValidateProbabilities(q, nameof(q));
        return T.CreateTruncating(CrossEntropyCore(p, q, gp, gq, lnBase));
    }

    /// <summary>Σ −p·ln q over the block engine (x = q, t = p), divided by ln b; the gradients when asked for.</summary>
    private static double CrossEntropyCore<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> gradientP, Span<T> gradientQ, double lnBase)
        where T : IFloatingPointIeee754<T> =>
        Pointwise<T>.Run<CrossEntropyTerm>(q, p, default, default, false, lnBase, default, default, gradientQ, gradientP);
}
