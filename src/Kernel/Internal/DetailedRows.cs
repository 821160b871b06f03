using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Internal;

/// <summary>
/// The row computations of the large-vocabulary cross entropy: a row (or a shard of one) reduced to its
/// <see cref="CrossEntropyPartial"/>, a merged partial finished into the row's results, and the row's gradient.
/// Everything is computed in double; the float path on AVX-512 reads the row through <see cref="FloatRows"/>.
/// </summary>
internal static class DetailedRows
{
    /// <summary>z = cap·tanh(x / cap), or x when <paramref name="cap"/> is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Cap(double x, double cap) => cap == 0.0 ? x : cap * Math.Tanh(x / cap);

    /// <summary>
    /// The partial of one contiguous row or shard of <paramref name="row"/>.Length classes starting at global class
    /// <paramref name="classOffset"/>; <paramref name="target"/> is the row's global target (it counts when it falls
    /// in the shard); <paramref name="coverage"/> is the shard's fingerprint (0 for a whole row, which is not checked).
    /// Two passes, each computing the capped logit: max, argmax, target, sum; then Σ exp(z − max).
    /// </summary>
    public static CrossEntropyPartial Partial<T>(ReadOnlySpan<T> row, int classOffset, int target, double cap, bool withLogitSum, ulong coverage = 0)
        where T : IFloatingPointIeee754<T>
    {
        if (row.IsEmpty)
        {
            return default;
        }

        double max = double.NegativeInfinity;
        int argMax = 0;
        bool sawNaN = false;
        double logitSum = 0.0;
        for (int j = 0; j < row.Length; j++)
        {
            double z = Cap(double.CreateTruncating(row[j]), cap);
            logitSum += z;
            if (sawNaN)
            {
                continue;
            }

            if (double.IsNaN(z))
            {
                // torch.argmax: the first NaN is the largest value.
                sawNaN = true;
                max = double.NaN;
                argMax = j;
            }
            else if (z > max)
            {
                max = z;
                argMax = j;
            }
        }

        int local = target - classOffset;
        double targetLogit = (uint)local < (uint)row.Length ? Cap(double.CreateTruncating(row[local]), cap) : 0.0;
        LogSumExpState state = default;
        if (!double.IsNegativeInfinity(max))
        {
            double sum = 0.0;
            for (int j = 0; j < row.Length; j++)
            {
                // NaN or +∞ as the maximum makes every term NaN, as in log_softmax.
                sum += Math.Exp(Cap(double.CreateTruncating(row[j]), cap) - max);
            }

            state = new LogSumExpState(max, sum);
        }

        return new CrossEntropyPartial(state, max, classOffset + argMax, targetLogit, withLogitSum ? logitSum : 0.0, row.Length, coverage);
    }

    /// <summary>
    /// The partial of a contiguous float row of <paramref name="n"/> classes (no soft cap) through the fused AVX-512
    /// pass, which also stores exp(x − max) at <paramref name="exponentials"/> when it is not null (for the gradient;
    /// never the row itself).
    /// </summary>
    public static unsafe CrossEntropyPartial FloatPartial(
        float* x, int n, int classOffset, int target, bool withLogitSum, float* exponentials, float* prefetch, ulong coverage = 0)
    {
        FloatRowSums sums = FloatRows.Pass(x, n, withLogitSum, exponentials, prefetch, findArgMax: true);
        double max = sums.Max;
        double sum = sums.SumExp;
        if (double.IsNaN(sum) || double.IsNegativeInfinity(max) || sums.ArgMax < 0)
        {
            // A NaN or +∞ in the row (the vector max may have skipped a NaN), or only −∞: the scalar path says where.
            return Partial(new ReadOnlySpan<float>(x, n), classOffset, target, 0.0, withLogitSum, coverage);
        }

        int local = target - classOffset;
        double targetLogit = (uint)local < (uint)n ? x[local] : 0.0;
        int argMax = sums.ArgMax; // found during the exponential pass: the first x − max = 0
        double logitSum = withLogitSum ? sums.SumShifted + n * max : 0.0;
        return new CrossEntropyPartial(new LogSumExpState(max, sum), max, classOffset + argMax, targetLogit, logitSum, n, coverage);
    }

    /// <summary>
    /// A row's results from its merged partial: lse = m + log s; nll = log s − (z_y − m) (stable for any magnitude);
    /// ℓ = (1 − ε)·nll + ε·(lse − Σz / C) + λ·lse², with a zero coefficient times +∞ counted as 0.
    /// </summary>
    public static CrossEntropyRow Finish(in CrossEntropyPartial partial, int target, int classes, double smoothing, double zScale)
    {
        LogSumExpState state = partial.LogSumExp;
        double logSum = Math.Log(state.Sum);
        double lse = state.IsEmpty ? double.NegativeInfinity : state.Max + logSum;
        double nll = logSum - (partial.TargetLogit - state.Max);
        double loss = smoothing > 0.0
            ? Zero.Term(1.0 - smoothing, nll) + smoothing * (lse - partial.LogitSum / classes)
            : nll;
        double z = zScale > 0.0 ? zScale * lse * lse : 0.0;
        return new CrossEntropyRow(lse, loss + z, z, partial.ArgMax, partial.ArgMax == target);
    }

    /// <summary>
    /// The gradient of a row or shard from the row's lse: gⱼ = scale·(1 − (zⱼ / cap)²)·(exp(zⱼ − lse)·(1 + 2λ·lse)
    /// − ε / C − (1 − ε)·[j = y]), the last factor 1 without a cap. <paramref name="gradient"/> may not alias the row.
    /// </summary>
    public static void Gradient<T>(
        ReadOnlySpan<T> row, Span<T> gradient, int classOffset, int target, double lse, double scale,
        double cap, double smoothing, int classes, double zScale)
        where T : IFloatingPointIeee754<T>
    {
        double a = 1.0 + 2.0 * zScale * lse;
        double offset = smoothing / classes;
        int local = target - classOffset;
        for (int j = 0; j < row.Length; j++)
        {
            double z = Cap(double.CreateTruncating(row[j]), cap);
            double d = Math.Exp(z - lse) * a - offset - (j == local ? 1.0 - smoothing : 0.0);
            if (cap != 0.0)
            {
                double t = z / cap;
                d *= 1.0 - t * t;
            }

            gradient[j] = T.CreateTruncating(scale * d);
        }
    }

    /// <summary>
    /// The gradient of a float row whose exponentials exp(x − m) the fused pass stored in <paramref name="g"/>:
    /// gⱼ = eⱼ·scale·(1 + 2λ·lse)/s − scale·ε/C, then the target's entry minus scale·(1 − ε).
    /// </summary>
    public static unsafe void FloatGradient(float* g, int n, int local, in CrossEntropyPartial partial, double lse, double scale, double smoothing, int classes, double zScale)
    {
        double a = 1.0 + 2.0 * zScale * lse;
        double factor = scale * a / partial.LogSumExp.Sum;
        double offset = scale * smoothing / classes;
        if (float.IsFinite((float)factor))
        {
            FloatRows.ScaleExponentials(g, n, (float)factor, (float)offset);
        }
        else
        {
            // A factor past float's range (a large z-loss scale times a large lse): in double, so that an exponential
            // of 0 gives 0·factor = 0, not 0·∞ = NaN; only the large entries overflow, to ±∞, as the double result rounds.
            for (int j = 0; j < n; j++)
            {
                g[j] = (float)(g[j] * factor - offset);
            }
        }
        if ((uint)local < (uint)n)
        {
            g[local] = (float)(g[local] - scale * (1.0 - smoothing));
        }
    }
}
