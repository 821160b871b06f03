using System;
using FsCheck.Xunit;
using Xent.Internal.Vectors;
using Xunit;

namespace Xent.Properties;

/// <summary>
/// The kernel's own vectorized exponentials against the double-precision exponential, at every vector width the kernel
/// has (all three run on any x64 or Arm64 machine): the float one over the whole range that matters, the shifted logits
/// x − max ≤ 0 of the fast path, down to where exp underflows; the double one over its whole range. The error is
/// measured in units of the last place (ulp) of the value nearest the true value, and every width must give the same bits.
/// </summary>
public class FastExpProperties
{
    private static double UlpError(float actual, double exact)
    {
        float nearest = (float)exact;
        double ulp = MathF.BitIncrement(Math.Abs(nearest)) - Math.Abs(nearest);
        return Math.Abs(actual - exact) / ulp;
    }

    private static unsafe float ExpAt<TF, TD>(float x)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        float* lanes = stackalloc float[16];
        TF.Store(VectorMath.ExpNonPositive<TF, TD>(TF.Create(x)), lanes);
        for (int k = 1; k < 16; k++)
        {
            Tolerance.Require(BitConverter.SingleToInt32Bits(lanes[k]) == BitConverter.SingleToInt32Bits(lanes[0]), $"exp({x:R}): lane {k} differs from lane 0");
        }

        return lanes[0];
    }

    private static unsafe double ExpAt<TD>(double x)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        double* lanes = stackalloc double[8];
        TD.Store(VectorMath.Exp(TD.Create(x)), lanes);
        return lanes[0];
    }

    /// <summary>exp of sixteen floats at once, at one width.</summary>
    private static unsafe void ExpBlock<TF, TD>(float* x, float* y)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD> =>
        TF.Store(VectorMath.ExpNonPositive<TF, TD>(TF.Load(x)), y);

    /// <summary>exp of eight doubles at once, at one width.</summary>
    private static unsafe void ExpBlock<TD>(double* x, double* y)
        where TD : unmanaged, IDoubleBlock<TD> =>
        TD.Store(VectorMath.Exp(TD.Load(x)), y);

    /// <summary>
    /// The dense sweeps' form of <see cref="Check(float)"/>: sixteen different arguments per block call (the same points
    /// and the same checks as one call per point, at a sixteenth of the calls), the three widths compared bit for bit.
    /// </summary>
    private static unsafe void CheckBlock(float* x)
    {
        float* wide = stackalloc float[16];
        float* middle = stackalloc float[16];
        float* narrow = stackalloc float[16];
        ExpBlock<Float512, Double512>(x, wide);
        ExpBlock<Float256, Double256>(x, middle);
        ExpBlock<Float128, Double128>(x, narrow);
        for (int k = 0; k < 16; k++)
        {
            Tolerance.Require(
                BitConverter.SingleToInt32Bits(wide[k]) == BitConverter.SingleToInt32Bits(middle[k]) && BitConverter.SingleToInt32Bits(wide[k]) == BitConverter.SingleToInt32Bits(narrow[k]),
                $"exp({x[k]:R}) differs by width: {wide[k]:R}, {middle[k]:R}, {narrow[k]:R}");
            CheckValue(x[k], wide[k]);
        }
    }

    private static unsafe void CheckBlock(double* x)
    {
        double* wide = stackalloc double[8];
        double* middle = stackalloc double[8];
        double* narrow = stackalloc double[8];
        ExpBlock<Double512>(x, wide);
        ExpBlock<Double256>(x, middle);
        ExpBlock<Double128>(x, narrow);
        for (int k = 0; k < 8; k++)
        {
            Tolerance.Require(
                BitConverter.DoubleToInt64Bits(wide[k]) == BitConverter.DoubleToInt64Bits(middle[k]) && BitConverter.DoubleToInt64Bits(wide[k]) == BitConverter.DoubleToInt64Bits(narrow[k]),
                $"exp({x[k]:R}) differs by width: {wide[k]:R}, {middle[k]:R}, {narrow[k]:R}");
            CheckValue(x[k], wide[k]);
        }
    }

    /// <summary>exp(x) at every width: the same bits at all three.</summary>
    private static float Exp(float x)
    {
        float wide = ExpAt<Float512, Double512>(x);
        float middle = ExpAt<Float256, Double256>(x);
        float narrow = ExpAt<Float128, Double128>(x);
        Tolerance.Require(
            BitConverter.SingleToInt32Bits(wide) == BitConverter.SingleToInt32Bits(middle) && BitConverter.SingleToInt32Bits(wide) == BitConverter.SingleToInt32Bits(narrow),
            $"exp({x:R}) differs by width: {wide:R}, {middle:R}, {narrow:R}");
        return wide;
    }

    private static double Exp(double x)
    {
        double wide = ExpAt<Double512>(x);
        double middle = ExpAt<Double256>(x);
        double narrow = ExpAt<Double128>(x);
        Tolerance.Require(
            BitConverter.DoubleToInt64Bits(wide) == BitConverter.DoubleToInt64Bits(middle) && BitConverter.DoubleToInt64Bits(wide) == BitConverter.DoubleToInt64Bits(narrow),
            $"exp({x:R}) differs by width: {wide:R}, {middle:R}, {narrow:R}");
        return wide;
    }

    private static void Check(float x) => CheckValue(x, Exp(x));

    private static void CheckValue(float x, float actual)
    {
        double exact = Math.Exp(x);
        if (x < VectorMath.MinNormalArgumentFloat)
        {
            // Below the normal range the result may be 0 or a subnormal: never more than the smallest normal float.
            Tolerance.Require(actual >= 0 && actual <= 1.1754944e-38f && Math.Abs(actual - exact) <= 1.1754944e-38, $"exp({x:R}) = {actual:R}, exact {exact:R}");
            return;
        }

        Tolerance.Require(UlpError(actual, exact) <= 2.0, $"exp({x:R}) = {actual:R}, exact {exact:R}: {UlpError(actual, exact):F2} ulp");
    }

    private static void Check(double x) => CheckValue(x, Exp(x));

    private static void CheckValue(double x, double actual)
    {
        double exact = Math.Exp(x);
        if (double.IsFinite(exact) && exact >= 2.2250738585072014E-308)
        {
            // Normal results: within 2 ulp of the C library's exponential (itself within 1 ulp of the truth), i.e. 3 ulp of the truth at most.
            double ulp = Math.BitIncrement(exact) - exact;
            Tolerance.Require(Math.Abs(actual - exact) <= 2 * ulp, $"exp({x:R}) = {actual:R}, Math.Exp {exact:R}: {Math.Abs(actual - exact) / ulp:F2} ulp");
        }
        else if (double.IsPositiveInfinity(exact))
        {
            Tolerance.Require(double.IsPositiveInfinity(actual), $"exp({x:R}) = {actual:R}, expected +∞");
        }
        else
        {
            // Subnormal or zero: within one subnormal step of the true value.
            Tolerance.Require(actual >= 0 && Math.Abs(actual - exact) <= 2 * double.Epsilon, $"exp({x:R}) = {actual:R}, exact {exact:R}");
        }
    }

    [Fact]
    public unsafe void ExpNonPositive_IsWithinTwoUlp_OnADenseSweepOfMinus104ToZero()
    {
        float* block = stackalloc float[16];
        int filled = 0;
        for (float x = -104f; x <= 0f; x += 1.03e-4f)
        {
            block[filled++] = x;
            if (filled == 16)
            {
                CheckBlock(block);
                filled = 0;
            }
        }

        for (int k = 0; k < filled; k++)
        {
            Check(block[k]);
        }
    }

    [Property]
    public void ExpNonPositive_IsWithinTwoUlp_ForEveryFloatBitPattern(int bits)
    {
        // Any non-positive float, drawn uniformly over its bit patterns: tiny magnitudes (where exp ≈ 1 − |x|) included.
        float x = -Math.Abs(BitConverter.Int32BitsToSingle(bits & 0x7F7FFFFF));
        if (x >= -104f)
        {
            Check(x);
        }
    }

    [Fact]
    public void SpecialValues_AreExact()
    {
        Assert.Equal(1f, Exp(0f));
        Assert.Equal(0f, Exp(float.NegativeInfinity));
        Assert.True(float.IsNaN(Exp(float.NaN)));
        Assert.Equal(0f, Exp(-1e30f));
        Assert.Equal(0f, Exp(-3.4e38f));

        Assert.Equal(1.0, Exp(0.0));
        Assert.Equal(0.0, Exp(double.NegativeInfinity));
        Assert.Equal(double.PositiveInfinity, Exp(double.PositiveInfinity));
        Assert.True(double.IsNaN(Exp(double.NaN)));
        Assert.Equal(0.0, Exp(-1e300));
        Assert.Equal(double.PositiveInfinity, Exp(1e300));
    }

    [Fact]
    public unsafe void DoubleExp_IsWithinTwoUlpOfMathExp_OnADenseSweepOfItsRange()
    {
        double* block = stackalloc double[8];
        int filled = 0;
        for (double x = -746.0; x <= 710.0; x += 1.0009e-3)
        {
            block[filled++] = x;
            if (filled == 8)
            {
                CheckBlock(block);
                filled = 0;
            }
        }

        for (int k = 0; k < filled; k++)
        {
            Check(block[k]);
        }
    }

    [Property]
    public void DoubleExp_IsWithinTwoUlpOfMathExp_ForEveryDoubleBitPattern(long bits)
    {
        // Any double whose exponential is neither certainly 0 nor certainly +∞, drawn over its bit patterns.
        double x = BitConverter.Int64BitsToDouble(bits & 0x7FEFFFFFFFFFFFFF) * (bits < 0 ? -1 : 1);
        if (x >= -746.0 && x <= 710.0)
        {
            Check(x);
        }
    }

    /// <summary>
    /// Without AVX-512's scale instruction, a block whose results are all normal is scaled by adding to the exponent
    /// field, and a block with a lane in the subnormal range by two exact products: the same value must give the same
    /// bits either way (this runs both forms under DOTNET_EnableAVX512=0 and DOTNET_EnableAVX2=0; natively both are
    /// the one instruction).
    /// </summary>
    [Fact]
    public unsafe void Scaling_GivesTheSameBits_WhetherOrNotTheBlockHoldsASubnormalResult()
    {
        float* plain = stackalloc float[16];
        float* mixed = stackalloc float[16];
        float* plainOut = stackalloc float[16];
        float* mixedOut = stackalloc float[16];
        for (float x = -87f; x <= 0f; x += 7.7e-4f)
        {
            for (int k = 0; k < 16; k++)
            {
                plain[k] = x;
                mixed[k] = k == 15 ? -100f : x;
            }

            foreach (int width in new[] { 512, 256, 128 })
            {
                ExpAtWidth(width, plain, plainOut);
                ExpAtWidth(width, mixed, mixedOut);
                Tolerance.Require(
                    BitConverter.SingleToInt32Bits(plainOut[0]) == BitConverter.SingleToInt32Bits(mixedOut[0]),
                    $"exp({x:R}) at width {width}: {plainOut[0]:R} alone, {mixedOut[0]:R} beside a subnormal result");
            }
        }

        double* plainD = stackalloc double[8];
        double* mixedD = stackalloc double[8];
        double* plainDOut = stackalloc double[8];
        double* mixedDOut = stackalloc double[8];
        for (double x = -708.0; x <= 709.0; x += 0.0137)
        {
            for (int k = 0; k < 8; k++)
            {
                plainD[k] = x;
                mixedD[k] = k == 7 ? -1000.0 : x;
            }

            foreach (int width in new[] { 512, 256, 128 })
            {
                ExpAtWidth(width, plainD, plainDOut);
                ExpAtWidth(width, mixedD, mixedDOut);
                Tolerance.Require(
                    BitConverter.DoubleToInt64Bits(plainDOut[0]) == BitConverter.DoubleToInt64Bits(mixedDOut[0]),
                    $"exp({x:R}) at width {width}: {plainDOut[0]:R} alone, {mixedDOut[0]:R} beside a subnormal result");
            }
        }
    }

    private static unsafe void ExpAtWidth(int width, float* x, float* y)
    {
        switch (width)
        {
            case 512: ExpBlock<Float512, Double512>(x, y); break;
            case 256: ExpBlock<Float256, Double256>(x, y); break;
            default: ExpBlock<Float128, Double128>(x, y); break;
        }
    }

    private static unsafe void ExpAtWidth(int width, double* x, double* y)
    {
        switch (width)
        {
            case 512: ExpBlock<Double512>(x, y); break;
            case 256: ExpBlock<Double256>(x, y); break;
            default: ExpBlock<Double128>(x, y); break;
        }
    }
}
