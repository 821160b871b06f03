using System.Numerics;
using Xent.Internal.Vectors;

namespace Xent.Internal.Rows;

/// <summary>
/// The one gradient of a row of cross entropy (with its variants as parameters): for the softmax p of the row,
/// g[c] = s·(p[c]·A − a[c]) − s·b·[c = t], written as exp(x[c] − m)·f − a[c]·s′ − [c = t]·s·b with f = s·A / S,
/// computed in double and rounded once to the storage type, so the gradient is finite wherever its true value fits
/// in the element type and NaN only from NaN input. With a soft cap, each g[c] is then multiplied by the derivative
/// of the cap, 1 − (z[c]/cap)².
/// </summary>
internal static unsafe class RowGradient
{
    /// <summary>The gradient of a row from its logits (the exponentials recomputed in double).</summary>
    /// <param name="x">The row's logits.</param>
    /// <param name="gradient">The row's gradient; may be <paramref name="x"/> (each block is read before it is written).</param>
    /// <param name="count">C.</param>
    /// <param name="max">m, the row maximum from the statistic pass.</param>
    /// <param name="cap">The soft cap, or 0.</param>
    /// <param name="coefficients">a[c] (none, uniform, weights or probabilities).</param>
    /// <param name="targetRow">The probability target row, for probability coefficients.</param>
    /// <param name="factor">f = s·A / S.</param>
    /// <param name="coefficientScale">s′, the factor of a[c].</param>
    /// <param name="target">t, or −1 for none.</param>
    /// <param name="targetTerm">s·b, subtracted at t.</param>
    public static void Exact<T, TD>(
        byte* x, byte* gradient, int count, double max, double cap, in Coefficients coefficients, byte* targetRow,
        double factor, double coefficientScale, int target, double targetTerm)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        if (cap == 0.0)
        {
            Exact<T, TD, NoSoftCap>(x, gradient, count, max, cap, coefficients, targetRow, factor, coefficientScale, target, targetTerm);
        }
        else
        {
            Exact<T, TD, SoftCapped>(x, gradient, count, max, cap, coefficients, targetRow, factor, coefficientScale, target, targetTerm);
        }
    }

    private static void Exact<T, TD, TCap>(
        byte* x, byte* gradient, int count, double max, double cap, in Coefficients coefficients, byte* targetRow,
        double factor, double coefficientScale, int target, double targetTerm)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        int size = Elements<T>.Size;
        TD m = TD.Create(max);
        TD f = TD.Create(factor);
        TD s = TD.Create(coefficientScale);
        for (int i = 0; i < count; i += 8)
        {
            int lanes = count - i;
            byte* at = x + (nint)i * size;
            TD z = RowStatisticsPass.LoadLogits<T, TD, TCap>(at, lanes, cap);
            TD g = VectorMath.Exp(z - m) * f;
            if (coefficients.Kind != CoefficientKind.None)
            {
                g -= RowStatisticsPass.LoadCoefficients<T, TD>(coefficients, targetRow, i, lanes) * s;
            }

            if ((uint)(target - i) < 8u)
            {
                g = AdjustLane(g, target - i, targetTerm);
            }

            if (TCap.On)
            {
                TD r = z / TD.Create(cap);
                g *= TD.Create(1.0) - r * r;
            }

            byte* destination = gradient + (nint)i * size;
            Elements<T>.StoreBlock(g, destination, lanes);
        }
    }

    /// <summary>
    /// The gradient of a contiguous float row over the float exponentials the fast statistic pass stored in it:
    /// g[c] = e[c]·f − s′ − [c = t]·s·b, each widened and computed in double, rounded once.
    /// </summary>
    public static void Fast<TF, TD>(float* gradient, int count, double factor, double offset, int target, double targetTerm)
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD f = TD.Create(factor);
        TD o = TD.Create(offset);
        for (int i = 0; i < count; i += 16)
        {
            int lanes = count - i;
            (TD low, TD high) = TF.Widen(RowStatisticsPass.LoadFloats<TF, TD>(gradient + i, lanes));
            low = low * f - o;
            high = high * f - o;
            if ((uint)(target - i) < 8u)
            {
                low = AdjustLane(low, target - i, targetTerm);
            }
            else if ((uint)(target - i - 8) < 8u)
            {
                high = AdjustLane(high, target - i - 8, targetTerm);
            }

            if (lanes >= 16)
            {
                TD.StoreNarrowed(low, gradient + i);
                TD.StoreNarrowed(high, gradient + i + 8);
            }
            else
            {
                Elements<float>.StorePartial(low, (byte*)(gradient + i), int.Min(lanes, 8));
                if (lanes > 8)
                {
                    Elements<float>.StorePartial(high, (byte*)(gradient + i + 8), lanes - 8);
                }
            }
        }
    }

    /// <summary>The block with <paramref name="term"/> subtracted from lane <paramref name="lane"/>.</summary>
    private static TD AdjustLane<TD>(TD value, int lane, double term)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        Eight staged = default;
        double* p = (double*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref staged[0]);
        TD.Store(value, p);
        p[lane] -= term;
        return TD.Load(p);
    }
}
