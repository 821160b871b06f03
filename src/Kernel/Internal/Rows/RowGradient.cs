using System.Numerics;
using System.Runtime.CompilerServices;
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
    /// <param name="exponentials">Null, or the row's exp(z − m) as the statistic pass kept them (read instead of computed again: the same bits).</param>
    public static void Exact<T, TD>(
        byte* x, byte* gradient, int count, double max, double cap, in Coefficients coefficients, byte* targetRow,
        double factor, double coefficientScale, int target, double targetTerm, double* exponentials)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        if (cap == 0.0)
        {
            Exact<T, TD, NoSoftCap>(x, gradient, count, max, cap, coefficients, targetRow, factor, coefficientScale, target, targetTerm, exponentials);
        }
        else
        {
            Exact<T, TD, SoftCapped>(x, gradient, count, max, cap, coefficients, targetRow, factor, coefficientScale, target, targetTerm, exponentials);
        }
    }

    private static void Exact<T, TD, TCap>(
        byte* x, byte* gradient, int count, double max, double cap, in Coefficients coefficients, byte* targetRow,
        double factor, double coefficientScale, int target, double targetTerm, double* exponentials)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        // The block holding the target and the partial last block first (in place, the loop never reads them), then
        // the other whole blocks in a loop with no per-class test.
        int wholeBlocks = count >> 3;
        int skip = (uint)target < (uint)(wholeBlocks << 3) ? target >> 3 : wholeBlocks;
        if (skip < wholeBlocks)
        {
            EdgeBlock<T, TD, TCap>(x, gradient, skip << 3, 8, max, cap, coefficients, targetRow, factor, coefficientScale, target, targetTerm, exponentials);
        }

        if ((count & 7) != 0)
        {
            EdgeBlock<T, TD, TCap>(x, gradient, wholeBlocks << 3, count & 7, max, cap, coefficients, targetRow, factor, coefficientScale, target, targetTerm, exponentials);
        }

        switch (coefficients.Kind == CoefficientKind.None, exponentials == null)
        {
            case (true, true):
                Blocks<T, TD, TCap, NoLinearTerm, NoStash>(x, gradient, wholeBlocks, skip, max, cap, coefficients, targetRow, factor, coefficientScale, null);
                break;
            case (true, false):
                Blocks<T, TD, TCap, NoLinearTerm, Stashed>(x, gradient, wholeBlocks, skip, max, cap, coefficients, targetRow, factor, coefficientScale, exponentials);
                break;
            case (false, true):
                Blocks<T, TD, TCap, WithLinearTerm, NoStash>(x, gradient, wholeBlocks, skip, max, cap, coefficients, targetRow, factor, coefficientScale, null);
                break;
            default:
                Blocks<T, TD, TCap, WithLinearTerm, Stashed>(x, gradient, wholeBlocks, skip, max, cap, coefficients, targetRow, factor, coefficientScale, exponentials);
                break;
        }
    }

    /// <summary>The whole blocks but <paramref name="skip"/>: g = exp(z − m)·f (− a·s′), times the cap's derivative.</summary>
    [MethodImpl(Compile.HotLoop)]
    private static void Blocks<T, TD, TCap, TLinear, TStash>(
        byte* x, byte* gradient, int wholeBlocks, int skip, double max, double cap, in Coefficients coefficients, byte* targetRow,
        double factor, double coefficientScale, double* exponentials)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
        where TLinear : ILinearTerm
        where TStash : IStash
    {
        int size = Elements<T>.Size;
        int loopBlocks = SkipWalk.Steps(wholeBlocks, skip);
        CoefficientKind kind = coefficients.Kind;
        byte* weight = coefficients.BlockWeight;
        TD m = TD.Create(max);
        TD f = TD.Create(factor);
        TD s = TD.Create(coefficientScale);
        for (int k = 0; k < loopBlocks; k++)
        {
            int i = SkipWalk.Block(k, skip) << 3;
            TD z = RowStatisticsPass.LoadLogits<T, TD, TCap>(x + (nint)i * size, 8, cap);
            TD g = (TStash.On ? TD.Load(exponentials + i) : VectorMath.Exp(z - m)) * f;
            if (TLinear.On)
            {
                TD one = TD.Create(1.0);
                TD w = kind == CoefficientKind.Uniform || weight == null ? one : Elements<T>.Load<TD>(weight + (nint)i * size);
                TD p = kind == CoefficientKind.Probabilities ? Elements<T>.Load<TD>(targetRow + (nint)i * size) : one;
                g -= RowStatisticsPass.CoefficientOf(coefficients, w, p, one) * s;
            }

            if (TCap.On)
            {
                TD r = z / TD.Create(cap);
                g *= TD.Create(1.0) - r * r;
            }

            Elements<T>.Store(g, gradient + (nint)i * size);
        }
    }

    /// <summary>One block outside the loop: <paramref name="lanes"/> classes from <paramref name="i"/>, the target's term included.</summary>
    [MethodImpl(Compile.HotLoop)]
    private static void EdgeBlock<T, TD, TCap>(
        byte* x, byte* gradient, int i, int lanes, double max, double cap, in Coefficients coefficients, byte* targetRow,
        double factor, double coefficientScale, int target, double targetTerm, double* exponentials)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
        where TCap : ISoftCap
    {
        int size = Elements<T>.Size;
        TD z = RowStatisticsPass.LoadLogits<T, TD, TCap>(x + (nint)i * size, lanes, cap);
        TD g = (exponentials != null ? TD.Load(exponentials + i) : VectorMath.Exp(z - TD.Create(max))) * TD.Create(factor);
        if (coefficients.Kind != CoefficientKind.None)
        {
            g -= RowStatisticsPass.LoadCoefficients<T, TD>(coefficients, targetRow, i, lanes) * TD.Create(coefficientScale);
        }

        if ((uint)(target - i) < (uint)lanes)
        {
            g = AdjustLane(g, target - i, targetTerm);
        }

        if (TCap.On)
        {
            TD r = z / TD.Create(cap);
            g *= TD.Create(1.0) - r * r;
        }

        Elements<T>.StoreBlock(g, gradient + (nint)i * size, lanes);
    }

    /// <summary>
    /// The gradient of a contiguous float row over the float exponentials the fast statistic pass stored in it:
    /// g[c] = e[c]·f − s′ − [c = t]·s·b, each widened and computed in double, rounded once.
    /// </summary>
    [MethodImpl(Compile.HotLoop)]
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
