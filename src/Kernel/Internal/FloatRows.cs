using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Internal;

/// <summary>What one pass over a contiguous float row yields.</summary>
internal readonly struct FloatRowSums
{
    public FloatRowSums(float max, double sumExp, double sumShifted, int argMax = -1)
    {
        Max = max;
        SumExp = sumExp;
        SumShifted = sumShifted;
        ArgMax = argMax;
    }

    /// <summary>The first index where x − m = 0, i.e. x = m (found only when asked for; −1 otherwise or if none).</summary>
    public int ArgMax { get; }

    /// <summary>m, the row maximum (a NaN may be skipped: it then reaches <see cref="SumExp"/> through exp).</summary>
    public float Max { get; }

    /// <summary>S = Σ exp(x − m), accumulated in double from float exponentials.</summary>
    public double SumExp { get; }

    /// <summary>Σ (x − m), accumulated in double (computed only when asked for).</summary>
    public double SumShifted { get; }
}

/// <summary>
/// The fused AVX-512 row kernel for float rows that are contiguous (class dimension last): a max pass, then one pass
/// that computes each exponential once, sums it in double and optionally stores it (for the gradient). Tails use
/// masked loads and stores, so no element outside the row is read or written. Every element is read before the
/// element at the same index is written, so the exponentials may overwrite the input (in place).
/// </summary>
internal static unsafe class FloatRows
{
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> TailMask(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    public static float Max(float* x, int n)
    {
        Vector512<float> negativeInfinity = Vector512.Create(float.NegativeInfinity);
        Vector512<float> m0 = negativeInfinity, m1 = negativeInfinity, m2 = negativeInfinity, m3 = negativeInfinity;
        int i = 0;
        for (; i <= n - 64; i += 64)
        {
            m0 = Avx512F.Max(m0, Avx512F.LoadVector512(x + i));
            m1 = Avx512F.Max(m1, Avx512F.LoadVector512(x + i + 16));
            m2 = Avx512F.Max(m2, Avx512F.LoadVector512(x + i + 32));
            m3 = Avx512F.Max(m3, Avx512F.LoadVector512(x + i + 48));
        }

        for (; i <= n - 16; i += 16)
        {
            m0 = Avx512F.Max(m0, Avx512F.LoadVector512(x + i));
        }

        if (i < n)
        {
            m1 = Avx512F.Max(m1, Avx512F.MaskLoad(x + i, TailMask(n - i), negativeInfinity));
        }

        Vector512<float> m = Avx512F.Max(Avx512F.Max(m0, m1), Avx512F.Max(m2, m3));
        Vector256<float> h = Avx.Max(m.GetLower(), m.GetUpper());
        Vector128<float> q = Sse.Max(h.GetLower(), h.GetUpper());
        q = Sse.Max(q, Sse.Shuffle(q, q, 0b_01_00_11_10));
        q = Sse.Max(q, Sse.Shuffle(q, q, 0b_10_11_00_01));
        return q.ToScalar();
    }

    /// <summary>
    /// S = Σ exp(x − m) and, when <paramref name="withShiftedSum"/>, Σ (x − m), both accumulated in double; stores
    /// each exp(x − m) at <paramref name="exponentials"/> when it is not null (it may be <paramref name="x"/>), and
    /// prefetches the row at <paramref name="prefetch"/> (the next one, of the same length) when it is not null.
    /// </summary>
    /// <remarks>
    /// With <paramref name="findArgMax"/> it also finds the first index where x − m = 0, which for a finite m is the first
    /// x equal to m (floats underflow gradually, so x − m = 0 only when x = m): one mask test per 64 elements until the
    /// hit, then none. Rows whose m is not finite, or holding NaN, need the caller's own rule.
    /// </remarks>
    public static FloatRowSums Pass(float* x, int n, bool withShiftedSum, float* exponentials, float* prefetch = null, bool findArgMax = false)
    {
        float max = Max(x, n);
        int argMax = findArgMax ? -1 : int.MaxValue;
        Vector512<float> m = Vector512.Create(max);
        Vector512<double> s0 = Vector512<double>.Zero, s1 = Vector512<double>.Zero;
        Vector512<double> d0 = Vector512<double>.Zero, d1 = Vector512<double>.Zero;
        int i = 0;
        // Blocks of up to 1024 elements are summed in float (each lane adds at most 16 values in [0, 1], an error of
        // at most 16u of the block's sum) and each block's sum is widened and added in double.
        while (i <= n - 64)
        {
            int blockEnd = Math.Min(n - 63, i + 1024);
            Vector512<float> f0 = Vector512<float>.Zero, f1 = Vector512<float>.Zero, f2 = Vector512<float>.Zero, f3 = Vector512<float>.Zero;
            for (; i < blockEnd; i += 64)
            {
                if (prefetch != null)
                {
                    // Bring the next row toward the cache while this one computes: its max pass then reads from cache.
                    Sse.Prefetch0(prefetch + i);
                    Sse.Prefetch0(prefetch + i + 16);
                    Sse.Prefetch0(prefetch + i + 32);
                    Sse.Prefetch0(prefetch + i + 48);
                }

                Vector512<float> a = Avx512F.LoadVector512(x + i) - m;
                Vector512<float> b = Avx512F.LoadVector512(x + i + 16) - m;
                Vector512<float> c = Avx512F.LoadVector512(x + i + 32) - m;
                Vector512<float> d = Avx512F.LoadVector512(x + i + 48) - m;
                if (argMax < 0)
                {
                    Vector512<float> zero = Vector512<float>.Zero;
                    if ((Vector512.Equals(a, zero) | Vector512.Equals(b, zero) | Vector512.Equals(c, zero) | Vector512.Equals(d, zero)) != Vector512<float>.Zero)
                    {
                        argMax = i + FirstZero(a, b, c, d);
                    }
                }

                Vector512<float> ea = FastExp.ExpNonPositive(a);
                Vector512<float> eb = FastExp.ExpNonPositive(b);
                Vector512<float> ec = FastExp.ExpNonPositive(c);
                Vector512<float> ed = FastExp.ExpNonPositive(d);
                if (exponentials != null)
                {
                    Avx512F.Store(exponentials + i, ea);
                    Avx512F.Store(exponentials + i + 16, eb);
                    Avx512F.Store(exponentials + i + 32, ec);
                    Avx512F.Store(exponentials + i + 48, ed);
                }

                f0 += ea;
                f1 += eb;
                f2 += ec;
                f3 += ed;
                if (withShiftedSum)
                {
                    // Widened one by one: shifted logits reach −3e38 and two of them would overflow a float sum.
                    (Vector512<double> al, Vector512<double> ah) = Vector512.Widen(a);
                    (Vector512<double> bl, Vector512<double> bh) = Vector512.Widen(b);
                    (Vector512<double> cl, Vector512<double> ch) = Vector512.Widen(c);
                    (Vector512<double> dl, Vector512<double> dh) = Vector512.Widen(d);
                    d0 += (al + bl) + (cl + dl);
                    d1 += (ah + bh) + (ch + dh);
                }
            }

            (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen((f0 + f1) + (f2 + f3));
            s0 += lo;
            s1 += hi;
        }

        for (; i < n; i += 16)
        {
            int count = n - i;
            Vector512<float> mask = count >= 16 ? Vector512<float>.AllBitsSet : TailMask(count);
            // Lanes past the row load −∞: their exponential is 0 (and their shifted value is masked to 0 below).
            Vector512<float> a = Avx512F.MaskLoad(x + i, mask, Vector512.Create(float.NegativeInfinity)) - m;
            if (argMax < 0)
            {
                // Lanes past the row hold −∞ − m, never 0.
                ulong zeros = Vector512.Equals(a, Vector512<float>.Zero).ExtractMostSignificantBits();
                if (zeros != 0)
                {
                    argMax = i + BitOperations.TrailingZeroCount(zeros);
                }
            }

            Vector512<float> ea = Vector512.ConditionalSelect(mask, FastExp.ExpNonPositive(a), Vector512<float>.Zero);
            if (exponentials != null)
            {
                Avx512F.MaskStore(exponentials + i, mask, ea);
            }

            (Vector512<double> al, Vector512<double> ah) = Vector512.Widen(ea);
            s0 += al;
            s1 += ah;
            if (withShiftedSum)
            {
                (Vector512<double> xl, Vector512<double> xh) = Vector512.Widen(Vector512.ConditionalSelect(mask, a, Vector512<float>.Zero));
                d0 += xl;
                d1 += xh;
            }
        }

        double sumExp = Vector512.Sum(s0 + s1);
        double sumShifted = withShiftedSum ? Vector512.Sum(d0 + d1) : 0.0;
        return new FloatRowSums(max, sumExp, sumShifted, argMax == int.MaxValue ? -1 : argMax);
    }

    /// <summary>The index of the first zero lane across four consecutive vectors of 16 (one of them holds a zero).</summary>
    private static int FirstZero(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        Vector512<float> zero = Vector512<float>.Zero;
        ulong bits = Vector512.Equals(a, zero).ExtractMostSignificantBits()
            | Vector512.Equals(b, zero).ExtractMostSignificantBits() << 16
            | Vector512.Equals(c, zero).ExtractMostSignificantBits() << 32
            | Vector512.Equals(d, zero).ExtractMostSignificantBits() << 48;
        return BitOperations.TrailingZeroCount(bits);
    }

    /// <summary>
    /// g[j] = exp(x[j] − m)·factor − offset over the row, with m at least the row's maximum (a shard's row read against
    /// the whole row's maximum), so that every exponent is at most 0.
    /// </summary>
    public static void ExpScaled(float* x, float* g, int n, float m, float factor, float offset)
    {
        Vector512<float> mv = Vector512.Create(m);
        Vector512<float> f = Vector512.Create(factor);
        Vector512<float> o = Vector512.Create(offset);
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            Vector512<float> e = FastExp.ExpNonPositive(Avx512F.LoadVector512(x + i) - mv);
            Avx512F.Store(g + i, Vector512.FusedMultiplyAdd(e, f, -o));
        }

        if (i < n)
        {
            Vector512<float> mask = TailMask(n - i);
            Vector512<float> e = FastExp.ExpNonPositive(Avx512F.MaskLoad(x + i, mask, Vector512.Create(float.NegativeInfinity)) - mv);
            Avx512F.MaskStore(g + i, mask, Vector512.FusedMultiplyAdd(e, f, -o));
        }
    }

    /// <summary>Rows per block of the lane-per-row layout for rows of at most 16 classes.</summary>
    public const int Lanes = 16;

    /// <summary>
    /// One block of up to 16 rows of at most 16 classes, one row per vector lane: transposes rows
    /// [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) into <paramref name="columns"/>
    /// (column j holds class j of every row; lanes past the last row hold 0 and their results are never used), then
    /// computes per lane the maximum m, each exp(x − m) once (stored in <paramref name="exponentials"/>, same layout), the
    /// sum of the exponentials in float and its logarithm in double, and optionally Σ (x − m) in double.
    /// </summary>
    /// <returns>The lanes' maxima.</returns>
    public static Vector512<float> LaneBlock(
        float* input, long first, int count, int classes, bool withShiftedSum,
        float* columns, float* exponentials, double* sumExps, double* logSums, double* shiftedSums)
    {
        for (int k = 0; k < Lanes; k++)
        {
            float* source = input + (first + k) * classes;
            for (int j = 0; j < classes; j++)
            {
                columns[j * Lanes + k] = k < count ? source[j] : 0f;
            }
        }

        Vector512<float> m = Vector512.Create(float.NegativeInfinity);
        for (int j = 0; j < classes; j++)
        {
            m = Avx512F.Max(m, Avx512F.LoadVector512(columns + j * Lanes));
        }

        Vector512<float> sum = Vector512<float>.Zero;
        Vector512<double> shiftedLow = Vector512<double>.Zero, shiftedHigh = Vector512<double>.Zero;
        for (int j = 0; j < classes; j++)
        {
            Vector512<float> d = Avx512F.LoadVector512(columns + j * Lanes) - m;
            Vector512<float> e = FastExp.ExpNonPositive(d);
            Avx512F.Store(exponentials + j * Lanes, e);
            sum += e;
            if (withShiftedSum)
            {
                (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(d);
                shiftedLow += lo;
                shiftedHigh += hi;
            }
        }

        (Vector512<double> sumLow, Vector512<double> sumHigh) = Vector512.Widen(sum);
        Vector512.Store(sumLow, sumExps);
        Vector512.Store(sumHigh, sumExps + 8);
        Vector512.Store(Vector512.Log(sumLow), logSums);
        Vector512.Store(Vector512.Log(sumHigh), logSums + 8);
        Vector512.Store(shiftedLow, shiftedSums);
        Vector512.Store(shiftedHigh, shiftedSums + 8);
        return m;
    }

    /// <summary>g[j] = e[j]·factor − offset over the row, in place over the exponentials stored by <see cref="Pass"/>.</summary>
    public static void ScaleExponentials(float* g, int n, float factor, float offset)
    {
        Vector512<float> f = Vector512.Create(factor);
        Vector512<float> o = Vector512.Create(offset);
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            Avx512F.Store(g + i, Vector512.FusedMultiplyAdd(Avx512F.LoadVector512(g + i), f, -o));
        }

        if (i < n)
        {
            Vector512<float> mask = TailMask(n - i);
            Vector512<float> e = Avx512F.MaskLoad(g + i, mask, Vector512<float>.Zero);
            Avx512F.MaskStore(g + i, mask, Vector512.FusedMultiplyAdd(e, f, -o));
        }
    }
}
