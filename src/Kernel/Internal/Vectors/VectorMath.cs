using System.Runtime.CompilerServices;

namespace Xent.Internal.Vectors;

/// <summary>
/// The exponentials and logarithms of the engine, written once over the block interfaces, so that every vector width computes the
/// same operations lane by lane and gives the same bits (with the one exception that <c>MultiplyAdd</c> is fused only
/// where the machine has fused multiply-add: x64 processors without FMA3 round twice there).
/// </summary>
/// <remarks>
/// The exponentials use Cody–Waite range reduction, exp(x) = 2ⁿ·e^r with n = round(x·log₂e) and r = x − n·ln 2 in two
/// parts (|r| ≤ ln 2 / 2), a polynomial for e^r, and 2ⁿ applied by AVX-512's scale instruction, by adding n to the
/// exponent field where the result is normal, or as two exact powers of two (2ʰ then 2ⁿ⁻ʰ, h = ⌊n/2⌋) where it may not
/// be: so the only rounding of the scaling is the last one, including in the subnormal range, and every form gives the
/// same bits. The logarithms are fdlibm's (<c>e_log.c</c>): x = 2ᵏ·m with m in [√½, √2) from the bits of x, then
/// log m = 2·atanh(s), s = (m − 1)/(m + 1), by a polynomial in s² (error below 1 ulp), and k·ln 2 in two parts.
/// </remarks>
internal static class VectorMath
{
    private const float Log2EFloat = 1.44269504088896341f;
    private const float Ln2HighFloat = 0.693359375f;
    private const float Ln2LowFloat = -2.12194440e-4f;

    private const double Log2E = 1.4426950408889634;
    private const double Ln2High = 6.93147180369123816490e-01; // 32 significant bits: n·Ln2High is exact
    private const double Ln2Low = 1.90821492927058770002e-10;

    private const double Sqrt2 = 1.4142135623730951;
    private const double SmallestNormal = 2.2250738585072014E-308;
    private const double TwoTo54 = 18014398509481984.0;
    private const double TwoTo52 = 4503599627370496.0; // bits 0x4330000000000000: or-ing a small integer i into them gives 2⁵² + i

    // fdlibm's minimax coefficients (e_log.c): R(z) = Lg1·z + ... + Lg7·z⁷ ≈ 2·atanh(s)/s − 2, z = s², |s| ≤ 0.1716.
    private const double Lg1 = 6.666666666666735130e-01;
    private const double Lg2 = 3.999999999940941908e-01;
    private const double Lg3 = 2.857142874366239149e-01;
    private const double Lg4 = 2.222219843214978396e-01;
    private const double Lg5 = 1.818357216161805012e-01;
    private const double Lg6 = 1.531383769920937332e-01;
    private const double Lg7 = 1.479819860511658591e-01;

    /// <summary>The 52 mantissa bits of a double, as a double (a subnormal).</summary>
    private static double MantissaMask => System.BitConverter.Int64BitsToDouble(0x000FFFFFFFFFFFFF);

    /// <summary>The smallest float argument whose exponential is a normal float (e^-87.3365 ≈ 2^-126).</summary>
    public const float MinNormalArgumentFloat = -87.33654f;

    /// <summary>
    /// exp(x) for float lanes x ≤ 0 (the shifted logits x − max), within 2 ulp where the result is a normal float;
    /// below, 0 or subnormal; −∞ gives 0 and NaN stays NaN. Arguments below −104 (where the result is 0) are clamped so
    /// that the reduction stays accurate. A positive argument gives a wrong (finite) value: callers never pass one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TF ExpNonPositive<TF, TD>(TF x)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        // A NaN argument stays NaN through every step below, on every machine.
        x = TF.ClampBelow(x, TF.Create(-104f));
        TF t = TF.MultiplyAdd(x, TF.Create(Log2EFloat), TF.Create(Bits.FloatMagic));
        TF n = t - TF.Create(Bits.FloatMagic);
        TF r = TF.MultiplyAdd(n, TF.Create(-Ln2HighFloat), x);
        r = TF.MultiplyAdd(n, TF.Create(-Ln2LowFloat), r);

        // Cephes' degree-6 polynomial, e^r = 1 + r + r²·p(r), evaluated by Estrin's scheme (pairs, then r², r⁴) rather
        // than Horner's: three multiply-adds deep instead of six, so consecutive blocks overlap in the pipeline.
        TF r2 = r * r;
        TF p01 = TF.MultiplyAdd(TF.Create(1.6666665459E-1f), r, TF.Create(5.0000001201E-1f));
        TF p23 = TF.MultiplyAdd(TF.Create(8.3334519073E-3f), r, TF.Create(4.1665795894E-2f));
        TF p45 = TF.MultiplyAdd(TF.Create(1.9875691500E-4f), r, TF.Create(1.3981999507E-3f));
        TF p = TF.MultiplyAdd(TF.MultiplyAdd(p45, r2, p23), r2, p01);
        TF y = TF.MultiplyAdd(p, r2, r) + TF.Create(1f);

        // n ∈ [−150, 0]: y·2ⁿ rounded once. Without a scale instruction, n is added to y's exponent field, exact where
        // the result is normal (n ≥ −125, as y > ½); a block with a lane below takes the two-product form (the same
        // bits): only where some exponential is below 2⁻¹²⁵, so the branch is almost never taken.
        if (TF.HasScaleInstruction)
        {
            return TF.ScaleB(y, n);
        }

        return TF.AnyAbsGreaterThan(n, TF.Create(125f)) ? ScaleByTwoPowers<TF, TD>(y, n) : TF.AddExponent(y, t);
    }

    /// <summary>y·2ⁿ as y·2ʰ·2ⁿ⁻ʰ, h = ⌊n/2⌋: the first product is exact, so the result is rounded once, as by vscalefps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF ScaleByTwoPowers<TF, TD>(TF y, TF n)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TF h = TF.Floor(n * TF.Create(0.5f));
        return y * TF.Pow2(h) * TF.Pow2(n - h);
    }

    /// <summary>
    /// exp(x) for double lanes of any value, within 2 ulp where the result is a normal double: 0 below about −745.1
    /// (subnormal from −708.4), +∞ above about 709.78, exp(−∞) = 0, exp(+∞) = +∞, NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Exp<TD>(TD x)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        x = TD.Clamp(x, TD.Create(-746.0), TD.Create(710.0));
        TD t = TD.MultiplyAdd(x, TD.Create(Log2E), TD.Create(Bits.DoubleMagic));
        TD n = t - TD.Create(Bits.DoubleMagic);
        TD r = TD.MultiplyAdd(n, TD.Create(-Ln2High), x);
        r = TD.MultiplyAdd(n, TD.Create(-Ln2Low), r);

        // e^r = 1 + r + r²·q(r), q the Taylor series of (e^r − 1 − r)/r² to r¹¹: truncation below 1e-17 for |r| ≤ ln 2 / 2.
        // Horner's scheme in r² over pairs (c₂ₖ + c₂ₖ₊₁·r), each pair made just before it is used: six multiply-adds
        // deep instead of twelve, and few values live at once, so that sixteen registers (AVX2) hold the whole loop.
        TD r2 = r * r;
        TD q = TD.MultiplyAdd(TD.Create(1.0 / 6227020800.0), r, TD.Create(1.0 / 479001600.0));
        q = TD.MultiplyAdd(q, r2, TD.MultiplyAdd(TD.Create(1.0 / 39916800.0), r, TD.Create(1.0 / 3628800.0)));
        q = TD.MultiplyAdd(q, r2, TD.MultiplyAdd(TD.Create(1.0 / 362880.0), r, TD.Create(1.0 / 40320.0)));
        q = TD.MultiplyAdd(q, r2, TD.MultiplyAdd(TD.Create(1.0 / 5040.0), r, TD.Create(1.0 / 720.0)));
        q = TD.MultiplyAdd(q, r2, TD.MultiplyAdd(TD.Create(1.0 / 120.0), r, TD.Create(1.0 / 24.0)));
        q = TD.MultiplyAdd(q, r2, TD.MultiplyAdd(TD.Create(1.0 / 6.0), r, TD.Create(0.5)));
        TD y = TD.MultiplyAdd(q, r2, r) + TD.Create(1.0);

        // n ∈ [−1077, 1025]: y·2ⁿ rounded once. Without a scale instruction, n is added to y's exponent field, exact
        // where the result is normal and finite (|n| ≤ 1021, as ½ < y < 2); a block with a lane outside takes the
        // two-product form (the same bits).
        if (TD.HasScaleInstruction)
        {
            return TD.ScaleB(y, n);
        }

        return TD.AnyAbsGreaterThan(n, TD.Create(1021.0)) ? ScaleByTwoPowers(y, n) : TD.AddExponent(y, t);
    }

    /// <summary>y·2ⁿ as y·2ʰ·2ⁿ⁻ʰ, h = ⌊n/2⌋: the first product is exact, so the result is rounded once, as by vscalefpd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD ScaleByTwoPowers<TD>(TD y, TD n)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD h = TD.Floor(n * TD.Create(0.5));
        return y * TD.Pow2(h) * TD.Pow2(n - h);
    }

    /// <summary>
    /// log(x) for double lanes of any value, within 1 ulp: log 0 = −∞, log(+∞) = +∞, NaN for a negative lane (−0 counts
    /// as 0) and for NaN; subnormal lanes are exact powers of two times a normal mantissa, scaled by 2⁵⁴ first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Log<TD>(TD x)
        where TD : unmanaged, IDoubleBlock<TD> =>
        LogOf(x, TD.Create(0.0), withLow: false);

    /// <summary>
    /// log(1 + x) for double lanes, within 1 ulp for |x| ≤ 1 (the callers' range), also where it is tiny: 1 + x = u + d
    /// exactly (u rounded, d its rounding error, Fast2Sum), and log(u + d) = log u + d/u to far below an ulp. Exactly x
    /// where 1 + x rounds to 1 (so −0 stays −0); −1 gives −∞, below −1 NaN, +∞ gives +∞, NaN stays NaN. For |x| &gt; 1 d
    /// is no longer exact but negligible: log(u) is within 1 ulp of log(1 + x) there too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Log1P<TD>(TD x)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD one = TD.Create(1.0);
        TD u = one + x;
        TD d = x - (u - one);
        return TD.Select(TD.Equal(u, one), x, LogOf(u, d, withLow: true));
    }

    /// <summary>
    /// log(p / q) for double lanes with p &gt; 0 and q ≥ 0 (+∞ at q = 0), within a few ulps of the result itself, also
    /// where it is near 0 (p ≈ q): there, within a factor of 2, p − q is exact (Sterbenz) and log(1 + (p − q)/q) keeps
    /// the relative accuracy that log p − log q loses by cancellation; elsewhere log of the ratio, or, where the ratio
    /// leaves the normal range (overflows, or underflows to a subnormal or 0), log p − log q, which does not cancel there.
    /// Lanes with p ≤ 0 or NaN give an unspecified value: callers select them away.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD LogRatio<TD>(TD p, TD q)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD zero = TD.Create(0.0);
        TD one = TD.Create(1.0);
        TD ratio = p / q;
        TD near = TD.GreaterThanOrEqual(ratio, TD.Create(0.5)) & TD.GreaterThanOrEqual(TD.Create(2.0), ratio);

        // One logarithm per lane: of u + d = 1 + (p − q)/q (Log1P's split) near 1, of the ratio elsewhere.
        TD y = (p - q) / q;
        TD u = one + y;
        TD d = y - (u - one);
        TD result = LogOf(TD.Select(near, u, ratio), TD.Select(near, d, zero), withLow: true);
        result = TD.Select(near & TD.Equal(u, one), y, result);

        // A ratio outside the normal range from finite, non-zero p and q: almost never, so tested once per block.
        TD outside = TD.LessThan(zero, q)
            & (TD.LessThan(ratio, TD.Create(SmallestNormal)) | TD.Equal(ratio, TD.Create(double.PositiveInfinity)));
        if (TD.MaskBits(outside) != 0)
        {
            result = TD.Select(outside, Log(p) - Log(q), result);
        }

        return result;
    }

    /// <summary>
    /// log(x + low) for |low| at most half an ulp of x (<paramref name="withLow"/>; else low is ignored), with x's
    /// special values: 0 → −∞, +∞ → +∞, negative or NaN → NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD LogOf<TD>(TD x, TD low, bool withLow)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD zero = TD.Create(0.0);
        TD one = TD.Create(1.0);

        // x = 2ᵏ·m, m in [1, 2) from the bits (a subnormal scaled by 2⁵⁴ first), then m in [√½, √2).
        TD subnormal = TD.LessThan(x, TD.Create(SmallestNormal));
        TD scaled = TD.Select(subnormal, x * TD.Create(TwoTo54), x);
        TD magic = TD.Create(TwoTo52);
        TD field = (TD.ShiftRightLogical(scaled, 52) | magic) - magic; // the biased exponent, exactly
        TD m = (scaled & TD.Create(MantissaMask)) | one;
        TD upper = TD.GreaterThanOrEqual(m, TD.Create(Sqrt2));
        m = TD.Select(upper, m * TD.Create(0.5), m);
        TD k = field - TD.Select(subnormal, TD.Create(1023.0 + 54.0), TD.Create(1023.0)) + TD.Select(upper, one, zero);

        // log m = f − f²/2 + s·(f²/2 + R(s²)), f = m − 1 (exact), s = f / (2 + f): fdlibm's e_log.c.
        TD f = m - one;
        TD s = f / (TD.Create(2.0) + f);
        TD z = s * s;
        TD w = z * z;
        TD t1 = w * TD.MultiplyAdd(w, TD.MultiplyAdd(w, TD.Create(Lg6), TD.Create(Lg4)), TD.Create(Lg2));
        TD t2 = z * TD.MultiplyAdd(w, TD.MultiplyAdd(w, TD.MultiplyAdd(w, TD.Create(Lg7), TD.Create(Lg5)), TD.Create(Lg3)), TD.Create(Lg1));
        TD halfSquare = TD.Create(0.5) * f * f;
        TD small = k * TD.Create(Ln2Low);
        if (withLow)
        {
            // + low·2⁻ᵏ / m, with 1/m = 1/(1 + f) ≈ 1 − f + f² (the term is below an ulp of the result: 5% of it is plenty).
            TD scale = TD.Pow2(TD.Max(zero - k, TD.Create(-1022.0)));
            small += low * scale * TD.MultiplyAdd(f, f - one, one);
        }

        TD result = k * TD.Create(Ln2High) - ((halfSquare - (s * (halfSquare + (t2 + t1)) + small)) - f);

        // Special lanes: 0 → −∞, +∞ → +∞ (x itself), negative or NaN → NaN.
        TD infinity = TD.Create(double.PositiveInfinity);
        return TD.Select(
            TD.LessThan(zero, x),
            TD.Select(TD.LessThan(x, infinity), result, x),
            TD.Select(TD.Equal(x, zero), TD.Create(double.NegativeInfinity), TD.Create(double.NaN)));
    }
}
