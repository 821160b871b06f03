using System;
using FsCheck.Xunit;
using Xent.Internal.Vectors;
using Xunit;

namespace Xent.Properties;

/// <summary>
/// The kernel's own vectorized logarithms (<see cref="VectorMath.Log{TD}"/> and <see cref="VectorMath.Log1P{TD}"/>,
/// used by the element-wise losses) against the double-precision logarithm, at every vector width the kernel has (all
/// three run on any x64 or Arm64 machine): dense sweeps over the whole double range, the subnormals included, and over
/// the arguments near 1 where log is near 0; random bit patterns; the special values. Every width must give the same bits.
/// </summary>
public class FastLogProperties
{
    private enum Function
    {
        Log,
        Log1P,
    }

    /// <summary>The function of eight doubles at once, at one width.</summary>
    private static unsafe void Block<TD>(Function function, double* x, double* y)
        where TD : unmanaged, IDoubleBlock<TD> =>
        TD.Store(function == Function.Log ? VectorMath.Log(TD.Load(x)) : VectorMath.Log1P(TD.Load(x)), y);

    /// <summary>Eight different arguments at the three widths, compared bit for bit, then each checked against its reference.</summary>
    private static unsafe void CheckBlock(Function function, double* x)
    {
        double* wide = stackalloc double[8];
        double* middle = stackalloc double[8];
        double* narrow = stackalloc double[8];
        Block<Double512>(function, x, wide);
        Block<Double256>(function, x, middle);
        Block<Double128>(function, x, narrow);
        for (int k = 0; k < 8; k++)
        {
            Tolerance.Require(
                BitConverter.DoubleToInt64Bits(wide[k]) == BitConverter.DoubleToInt64Bits(middle[k]) && BitConverter.DoubleToInt64Bits(wide[k]) == BitConverter.DoubleToInt64Bits(narrow[k]),
                $"{function}({x[k]:R}) differs by width: {wide[k]:R}, {middle[k]:R}, {narrow[k]:R}");
            if (function == Function.Log)
            {
                CheckLog(x[k], wide[k]);
            }
            else
            {
                CheckLog1P(x[k], wide[k]);
            }
        }
    }

    /// <summary>One argument, in every lane of a block, at the three widths: every lane and every width the same bits.</summary>
    private static unsafe double At(Function function, double x)
    {
        double* arguments = stackalloc double[8];
        for (int k = 0; k < 8; k++)
        {
            arguments[k] = x;
        }

        double* wide = stackalloc double[8];
        double* middle = stackalloc double[8];
        double* narrow = stackalloc double[8];
        Block<Double512>(function, arguments, wide);
        Block<Double256>(function, arguments, middle);
        Block<Double128>(function, arguments, narrow);
        long bits = BitConverter.DoubleToInt64Bits(wide[0]);
        for (int k = 0; k < 8; k++)
        {
            Tolerance.Require(
                BitConverter.DoubleToInt64Bits(wide[k]) == bits && BitConverter.DoubleToInt64Bits(middle[k]) == bits && BitConverter.DoubleToInt64Bits(narrow[k]) == bits,
                $"{function}({x:R}) differs by lane or width: {wide[k]:R}, {middle[k]:R}, {narrow[k]:R}");
        }

        return wide[0];
    }

    private static double Ulp(double value) => Math.BitIncrement(Math.Abs(value)) - Math.Abs(value);

    /// <summary>Within 1 ulp of Math.Log (itself within about half an ulp of the truth) for every positive finite x.</summary>
    private static void CheckLog(double x, double actual)
    {
        double exact = Math.Log(x);
        Tolerance.Require(Math.Abs(actual - exact) <= Ulp(exact), $"log({x:R}) = {actual:R}, Math.Log {exact:R}: {Math.Abs(actual - exact) / Ulp(exact):F2} ulp");
    }

    /// <summary>
    /// Within 1 ulp of a reference log(1 + x) that keeps the rounding error of 1 + x: for |x| ≤ 2⁻¹⁴ the series
    /// x + (−x²/2 + x³/3 − x⁴/4 + x⁵/5) (truncated below 2⁻⁶⁸ relative), else Math.Log(u) + d/u with u = 1 + x rounded
    /// and d = x − (u − 1) exact.
    /// </summary>
    private static void CheckLog1P(double x, double actual)
    {
        double reference;
        if (Math.Abs(x) <= Math.ScaleB(1.0, -14))
        {
            reference = x + x * x * (-0.5 + x * (1.0 / 3.0 + x * (-0.25 + x * 0.2)));
        }
        else
        {
            double u = 1.0 + x;
            reference = Math.Log(u) + (x - (u - 1.0)) / u;
        }

        Tolerance.Require(Math.Abs(actual - reference) <= Ulp(reference), $"log1p({x:R}) = {actual:R}, reference {reference:R}: {Math.Abs(actual - reference) / Ulp(reference):F2} ulp");
    }

    /// <summary>Runs the sweep's arguments through <see cref="CheckBlock"/>, eight at a time.</summary>
    private static unsafe void Sweep(Function function, double first, double last, Func<double, double> next)
    {
        double* block = stackalloc double[8];
        int filled = 0;
        for (double x = first; x <= last; x = next(x))
        {
            block[filled++] = x;
            if (filled == 8)
            {
                CheckBlock(function, block);
                filled = 0;
            }
        }

        for (int k = filled; k < 8; k++)
        {
            block[k] = first;
        }

        CheckBlock(function, block);
    }

    [Fact]
    public void Log_IsWithinOneUlp_OnAGeometricSweepOfEveryPositiveDouble()
    {
        // About 700,000 points from the smallest subnormal to the largest double, each 1.0011 times the previous.
        Sweep(Function.Log, double.Epsilon, double.MaxValue, x => x * 1.0011 + double.Epsilon);
    }

    [Fact]
    public void Log_IsWithinOneUlp_OnADenseSweepAroundOne()
    {
        // Where log x is near 0 and cancellation would show: [0.5, 2] in steps of 3.1e-6, and 1 ± k·2⁻⁴⁰.
        Sweep(Function.Log, 0.5, 2.0, x => x + 3.1e-6);
        Sweep(Function.Log, 1.0 - Math.ScaleB(1.0, -30), 1.0 + Math.ScaleB(1.0, -30), x => x + Math.ScaleB(1.0, -40) * 3.7);
    }

    [Property]
    public void Log_IsWithinOneUlp_ForEveryPositiveDoubleBitPattern(long bits)
    {
        double x = BitConverter.Int64BitsToDouble(bits & 0x7FEFFFFFFFFFFFFF);
        if (x > 0)
        {
            CheckLog(x, At(Function.Log, x));
        }
    }

    [Fact]
    public void Log1P_IsWithinOneUlp_OnDenseSweepsOfMinusOneToOne()
    {
        // The range the losses use: log1p(exp(−|z|)) in [0, 1] and log(1 − p) = log1p(−p) in [−1, 0]; then the tiny
        // arguments, geometrically, where 1 + x rounds to 1 or nearly.
        Sweep(Function.Log1P, -1.0 + Math.ScaleB(1.0, -40), 1.0, x => x + 2.3e-6);
        Sweep(Function.Log1P, 1e-300, 1.0, x => x * 1.002);
        Sweep(Function.Log1P, -1.0 + Math.ScaleB(1.0, -40), -1e-300, x => x / 1.002);
    }

    [Property]
    public void Log1P_IsWithinOneUlp_ForEveryBitPatternInMinusOneToOne(long bits)
    {
        double x = BitConverter.Int64BitsToDouble(bits & 0x3FEFFFFFFFFFFFFF) * (bits < 0 ? -1 : 1);
        CheckLog1P(x, At(Function.Log1P, x));
    }

    [Fact]
    public void SpecialValues_AreExact()
    {
        Assert.Equal(double.NegativeInfinity, At(Function.Log, 0.0));
        Assert.Equal(double.NegativeInfinity, At(Function.Log, -0.0));
        Assert.Equal(double.PositiveInfinity, At(Function.Log, double.PositiveInfinity));
        Assert.True(double.IsNaN(At(Function.Log, -1.0)));
        Assert.True(double.IsNaN(At(Function.Log, -double.Epsilon)));
        Assert.True(double.IsNaN(At(Function.Log, double.NegativeInfinity)));
        Assert.True(double.IsNaN(At(Function.Log, double.NaN)));
        Assert.Equal(0L, BitConverter.DoubleToInt64Bits(At(Function.Log, 1.0)));
        Assert.Equal(Math.Log(2.0), At(Function.Log, 2.0));
        Assert.Equal(Math.Log(0.5), At(Function.Log, 0.5));
        Assert.Equal(Math.Log(double.Epsilon), At(Function.Log, double.Epsilon));
        Assert.Equal(Math.Log(double.MaxValue), At(Function.Log, double.MaxValue));

        Assert.Equal(double.NegativeInfinity, At(Function.Log1P, -1.0));
        Assert.True(double.IsNaN(At(Function.Log1P, -1.5)));
        Assert.True(double.IsNaN(At(Function.Log1P, double.NegativeInfinity)));
        Assert.True(double.IsNaN(At(Function.Log1P, double.NaN)));
        Assert.Equal(double.PositiveInfinity, At(Function.Log1P, double.PositiveInfinity));
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(At(Function.Log1P, -0.0)));
        Assert.Equal(0L, BitConverter.DoubleToInt64Bits(At(Function.Log1P, 0.0)));
        Assert.Equal(1e-300, At(Function.Log1P, 1e-300));
        Assert.Equal(-double.Epsilon, At(Function.Log1P, -double.Epsilon));
        Assert.Equal(Math.ScaleB(1.0, -54), At(Function.Log1P, Math.ScaleB(1.0, -54)));
        Assert.Equal(Math.Log(2.0), At(Function.Log1P, 1.0));
        foreach (double x in new[] { 1.5, 3.0, 1e10, 1e300, double.MaxValue })
        {
            Assert.True(Math.Abs(At(Function.Log1P, x) - Math.Log(x + 1.0)) <= Ulp(Math.Log(x + 1.0)), $"log1p({x:R})");
        }
    }
}
