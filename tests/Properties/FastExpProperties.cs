using System;
using System.Runtime.Intrinsics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xent.Internal;
using Xunit;

namespace Xent.Properties;

/// <summary>
/// The kernel's own vectorized float exponential against the double-precision exponential, over the whole float range
/// that matters: the shifted logits x − max ≤ 0 of the fused path, down to where exp underflows. The error is measured in units of the last place (ulp) of the float nearest the true value.
/// </summary>
public class FastExpProperties
{
    private static double UlpError(float actual, double exact)
    {
        float nearest = (float)exact;
        double ulp = MathF.BitIncrement(Math.Abs(nearest)) - Math.Abs(nearest);
        return Math.Abs(actual - exact) / ulp;
    }

    private static void Check(float x, Func<Vector512<float>, Vector512<float>> exp)
    {
        float actual = exp(Vector512.Create(x))[0];
        double exact = Math.Exp(x);
        if (x < FastExp.MinArgument)
        {
            // Below the normal range the result may be 0 or a subnormal: never more than the smallest normal float.
            Tolerance.Require(actual >= 0 && actual <= 1.1754944e-38f && Math.Abs(actual - exact) <= 1.1754944e-38, $"exp({x:R}) = {actual:R}, exact {exact:R}");
            return;
        }

        Tolerance.Require(UlpError(actual, exact) <= 2.0, $"exp({x:R}) = {actual:R}, exact {exact:R}: {UlpError(actual, exact):F2} ulp");
    }

    [Fact]
    public void ExpNonPositive_IsWithinTwoUlp_OnADenseSweepOfMinus104ToZero()
    {
        if (!FloatRows.IsSupported)
        {
            return; // the fused path, and this exponential, exist only on AVX-512 hardware
        }

        for (float x = -104f; x <= 0f; x += 1.03e-4f)
        {
            Check(x, FastExp.ExpNonPositive);
        }
    }

    [Property]
    public void ExpNonPositive_IsWithinTwoUlp_ForEveryFloatBitPattern(int bits)
    {
        // Any non-positive float, drawn uniformly over its bit patterns: tiny magnitudes (where exp ≈ 1 − |x|) included.
        float x = -Math.Abs(BitConverter.Int32BitsToSingle(bits & 0x7F7FFFFF));
        if (FloatRows.IsSupported && x >= -104f)
        {
            Check(x, FastExp.ExpNonPositive);
        }
    }

    [Fact]
    public void SpecialValues_AreExact()
    {
        if (!FloatRows.IsSupported)
        {
            return;
        }

        Assert.Equal(1f, FastExp.ExpNonPositive(Vector512<float>.Zero)[0]);
        Assert.Equal(0f, FastExp.ExpNonPositive(Vector512.Create(float.NegativeInfinity))[0]);
        Assert.True(float.IsNaN(FastExp.ExpNonPositive(Vector512.Create(float.NaN))[0]));
        Assert.Equal(0f, FastExp.ExpNonPositive(Vector512.Create(-1e30f))[0]);
        Assert.Equal(0f, FastExp.ExpNonPositive(Vector512.Create(-3.4e38f))[0]);
    }
}
