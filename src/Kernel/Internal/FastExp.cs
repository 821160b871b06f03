using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Internal;

/// <summary>
/// A vectorized float exponential for the hot loops (the stock <c>Vector512.Exp(Vector512&lt;float&gt;)</c> computes
/// through double and costs about twice as much), for the non-positive arguments x − max the kernel produces:
/// exp(x) = 2ⁿ·e^r with n = round(x·log₂e) and r = x − n·ln 2 split in two parts (Cody–Waite), |r| ≤ ln2/2, e^r from
/// Cephes' degree-6 polynomial, and 2ⁿ applied by AVX-512's vscalefps. Accuracy is checked by a property against the
/// double exponential: within 2 ulp where the result is a normal float (x ≥ −87.33); below, the result is 0 or
/// subnormal; −∞ gives 0 and NaN stays NaN.
/// </summary>
internal static class FastExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;

    /// <summary>The smallest argument whose exponential is a normal float (e^-87.3365 ≈ 2^-126).</summary>
    public const float MinArgument = -87.33654f;

    /// <summary>
    /// exp(x) for x ≤ 0 (the shifted logits x − max), using AVX-512's vscalefps for 2ⁿ, which is exact and handles the
    /// subnormal range: results below 2⁻¹⁴⁹ are 0, −∞ gives 0, NaN stays NaN. Arguments are clamped at −104 (where the
    /// result is 0 anyway) so that the reduction r stays accurate; a positive argument gives a wrong (finite) value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpNonPositive(Vector512<float> x)
    {
        // vmaxps returns its second operand when either is NaN: with x second, a NaN argument stays NaN.
        Vector512<float> clamped = Avx512F.Max(Vector512.Create(-104f), x);
        Vector512<float> y = Mantissa(clamped, out Vector512<float> n);

        // y·2ⁿ in one instruction; a NaN argument made n and y NaN, which scalef keeps.
        return Avx512F.Scale(y, n);
    }

    /// <summary>
    /// e^r for the reduced argument r = x − n·ln 2 (Cody–Waite, two parts), n = round(x·log₂e), |r| ≤ ln2/2, from Cephes'
    /// degree-6 polynomial; exp(x) = e^r·2ⁿ.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mantissa(Vector512<float> x, out Vector512<float> n)
    {
        n = Vector512.Round(x * Vector512.Create(Log2E));
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);

        Vector512<float> p = Vector512.Create(1.9875691500E-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894E-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459E-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201E-1f));
        return Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
    }
}
