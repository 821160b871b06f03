using System.Runtime.CompilerServices;
using Xent.Internal.Vectors;

namespace Xent.Internal;

// The summands of the information measures (Information.Entropy, CrossEntropy, KlDivergence) in nats, run by
// Pointwise<T> with x = q and t = p, the sum divided by ln b. p and q are validated first: finite and ≥ 0. The terms
// are summed in class order, so that a class of probability 0 changes no measure, not even by a rounding.

/// <summary>
/// The cross entropy's term −p·ln q, 0 where p = 0 (0·log 0 = 0, whatever q), +∞ where p &gt; 0 = q;
/// ∂/∂q = −p/q (0 where p = 0, −∞ where p &gt; 0 = q) and ∂/∂p = −ln q (+∞ at q = 0).
/// </summary>
internal readonly struct CrossEntropyTerm : IPointwiseLoss
{
    public static bool HasTargetDerivative => true;

    public static bool SumsInOrder => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TD Loss, TD Derivative, TD TargetDerivative) Evaluate<TD>(
        TD x, TD t, TD weight, TD posWeight, bool derivative, bool targetDerivative)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD zero = TD.Create(0.0);
        TD logQ = VectorMath.Log(x);
        TD absent = TD.Equal(t, zero);
        return (
            TD.Select(absent, zero, -(t * logQ)),
            derivative ? InformationTerm.MinusPOverQ(t, x, absent) : zero,
            targetDerivative ? -logQ : zero);
    }
}

/// <summary>
/// The entropy's term −p·ln p, 0 where p = 0; ∂/∂p = −(ln p + 1) (+∞ at p = 0). x is p too, and unused.
/// </summary>
internal readonly struct EntropyTerm : IPointwiseLoss
{
    public static bool HasTargetDerivative => true;

    public static bool SumsInOrder => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TD Loss, TD Derivative, TD TargetDerivative) Evaluate<TD>(
        TD x, TD t, TD weight, TD posWeight, bool derivative, bool targetDerivative)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD zero = TD.Create(0.0);
        TD logP = VectorMath.Log(t);
        return (
            TD.Select(TD.Equal(t, zero), zero, -(t * logP)),
            zero,
            targetDerivative ? -(logP + TD.Create(1.0)) : zero);
    }
}

/// <summary>
/// The Kullback–Leibler divergence's term p·ln(p/q) (<see cref="VectorMath.LogRatio{TD}"/>: accurate also where p ≈ q),
/// 0 where p = 0, +∞ where p &gt; 0 = q; ∂/∂q = −p/q as for the cross entropy and ∂/∂p = ln(p/q) + 1, where p = 0
/// the limit of ln(p/q): −∞, or +∞ where q = 0 too.
/// </summary>
internal readonly struct KlDivergenceTerm : IPointwiseLoss
{
    public static bool HasTargetDerivative => true;

    public static bool SumsInOrder => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TD Loss, TD Derivative, TD TargetDerivative) Evaluate<TD>(
        TD x, TD t, TD weight, TD posWeight, bool derivative, bool targetDerivative)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD zero = TD.Create(0.0);
        TD infinity = TD.Create(double.PositiveInfinity);
        TD absent = TD.Equal(t, zero);
        TD logRatio = TD.Select(
            absent,
            TD.Select(TD.Equal(x, zero), infinity, -infinity),
            VectorMath.LogRatio(t, x));
        return (
            TD.Select(absent, zero, t * logRatio),
            derivative ? InformationTerm.MinusPOverQ(t, x, absent) : zero,
            targetDerivative ? logRatio + TD.Create(1.0) : zero);
    }
}

/// <summary>What the pair measures share.</summary>
internal static class InformationTerm
{
    /// <summary>∂(−p·ln q)/∂q = −p/q: 0 where p = 0 (<paramref name="absent"/>; even at q = 0), −∞ where p &gt; 0 = q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD MinusPOverQ<TD>(TD p, TD q, TD absent)
        where TD : unmanaged, IDoubleBlock<TD> =>
        TD.Select(absent, TD.Create(0.0), -(p / q));
}
