using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;
using Xent.Internal;

namespace Xent;

public static partial class Functional
{
    private static int _maxDegreeOfParallelism = Environment.ProcessorCount;

    /// <summary>
    /// The number of threads the kernel may use for one call (the counterpart of <c>torch.set_num_threads</c>),
    /// <see cref="Environment.ProcessorCount"/> by default. Results never depend on it: work is split into row chunks
    /// fixed by the shape alone, and their partial sums are combined in chunk order, so every value is the same, bit
    /// for bit, at any setting. Today the float cross-entropy path for (N, C) input on AVX-512 hardware runs in parallel;
    /// other paths run on the calling thread.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1.</exception>
    public static int MaxDegreeOfParallelism
    {
        get => Volatile.Read(ref _maxDegreeOfParallelism);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _maxDegreeOfParallelism, value);
        }
    }

    /// <summary>Elements per chunk of rows: large enough to amortize the hand-off, small enough to balance two cores.</summary>
    private const int ElementsPerChunk = 32 * 1024;

    /// <summary>The most chunks one call uses, so that their partial sums fit on the stack.</summary>
    private const int MaxChunks = 2048;

    /// <summary>
    /// Whether <see cref="IndexLoss{T}"/> can take the fused float path: float rows that are contiguous (inner = 1),
    /// logits (not NLL), no weighted label smoothing, on AVX-512 hardware.
    /// </summary>
    private static bool UseFastIndexPath<T>(ClassLayout layout, bool fromLogits, bool smoothing, bool weighted) =>
        typeof(T) == typeof(float) && layout.Inner == 1 && fromLogits && !(smoothing && weighted) && FloatRows.IsSupported
        && layout.Positions > 0;

    /// <summary>
    /// The fixed chunking of <paramref name="rows"/> rows of <paramref name="classes"/> elements: about
    /// <see cref="ElementsPerChunk"/> elements a chunk, at most <see cref="MaxChunks"/> chunks. It depends on the shape
    /// alone, so results do not depend on the thread count, and every fused float path shares it, so their sums agree.
    /// </summary>
    private static (int RowsPerChunk, int Chunks) RowChunks(int rows, int classes)
    {
        int rowsPerChunk = Math.Max(Math.Max(1, ElementsPerChunk / classes), (rows + MaxChunks - 1) / MaxChunks);
        return (rowsPerChunk, (rows + rowsPerChunk - 1) / rowsPerChunk);
    }

    private unsafe struct FastIndexContext
    {
        public float* Input;
        public int* Target;
        public float* Weight;
        public float* Destination;
        public float* GradOutput;
        public float* Gradient;
        public double* NllPartials;
        public double* SmoothPartials;
        public int Classes;
        public int Rows;
        public int RowsPerChunk;
        public int IgnoreIndex;
        public double Keep;
        public double Spread;
        public double ReducedScale;
        public bool Smoothing;
    }

    /// <summary>
    /// The fused float path of <see cref="IndexLoss{T}"/> (same contract): per row one max pass and one pass computing
    /// each exponential once (stored in the gradient when one is asked for, then rescaled in place), rows split into
    /// fixed chunks run on up to <see cref="MaxDegreeOfParallelism"/> threads, chunk sums combined in order.
    /// </summary>
    private static unsafe double FastIndexLoss(
        ReadOnlySpan<float> input,
        ReadOnlySpan<int> target,
        ClassLayout layout,
        ReadOnlySpan<float> weight,
        int ignoreIndex,
        double labelSmoothing,
        Reduction reduction,
        double weightSum,
        Span<float> destination,
        ReadOnlySpan<float> gradOutput,
        Span<float> gradient)
    {
        int rows = layout.Positions;
        int classes = layout.Classes;
        (int rowsPerChunk, int chunks) = RowChunks(rows, classes);
        double* nllPartials = stackalloc double[chunks];
        double* smoothPartials = stackalloc double[chunks];
        fixed (float* x = input)
        fixed (int* y = target)
        fixed (float* w = weight)
        fixed (float* d = destination)
        fixed (float* go = gradOutput)
        fixed (float* g = gradient)
        {
            var context = new FastIndexContext
            {
                // In place, the gradient is the input: the row kernel reads every element before writing it.
                Input = x,
                Target = y,
                Weight = weight.IsEmpty ? null : w,
                Destination = reduction == Reduction.None ? d : null,
                GradOutput = reduction == Reduction.None && !gradient.IsEmpty ? go : null,
                Gradient = gradient.IsEmpty ? null : g,
                NllPartials = nllPartials,
                SmoothPartials = smoothPartials,
                Classes = classes,
                Rows = rows,
                RowsPerChunk = rowsPerChunk,
                IgnoreIndex = ignoreIndex,
                Keep = 1.0 - labelSmoothing,
                Spread = labelSmoothing / classes,
                ReducedScale = reduction == Reduction.Mean ? 1.0 / weightSum : 1.0,
                Smoothing = labelSmoothing > 0.0,
            };
            RowParallel.For(chunks, &FastIndexChunk, &context);
        }

        if (reduction == Reduction.None)
        {
            return 0.0;
        }

        CompensatedSum nllSum = default;
        CompensatedSum smoothSum = default;
        for (int c = 0; c < chunks; c++)
        {
            nllSum.Add(nllPartials[c]);
            smoothSum.Add(smoothPartials[c]);
        }

        double divisor = reduction == Reduction.Mean ? weightSum : 1.0;
        double keep = 1.0 - labelSmoothing;
        double spread = labelSmoothing / classes;
        double nllPart = nllSum.Value / divisor;
        return labelSmoothing > 0.0 ? Zero.Term(keep, nllPart) + spread * (smoothSum.Value / divisor) : nllPart;
    }

    private static unsafe void FastIndexChunk(void* state, int chunk)
    {
        ref FastIndexContext c = ref Unsafe.AsRef<FastIndexContext>(state);
        int first = chunk * c.RowsPerChunk;
        int last = Math.Min(first + c.RowsPerChunk, c.Rows);
        int classes = c.Classes;
        CompensatedSum nllSum = default;
        CompensatedSum smoothSum = default;
        if (classes <= SmallClassLimit)
        {
            SmallClassRows(ref c, first, last, ref nllSum, ref smoothSum);
            c.NllPartials[chunk] = nllSum.Value;
            c.SmoothPartials[chunk] = smoothSum.Value;
            return;
        }

        for (int row = first; row < last; row++)
        {
            int t = c.Target[row];
            float* x = c.Input + (long)row * classes;
            float* g = c.Gradient == null ? null : c.Gradient + (long)row * classes;
            if (t == c.IgnoreIndex)
            {
                if (c.Destination != null)
                {
                    c.Destination[row] = 0f;
                }

                if (g != null)
                {
                    new Span<float>(g, classes).Clear();
                }

                continue;
            }

            double wt = c.Weight == null ? 1.0 : c.Weight[t];
            double xt = x[t]; // before the pass: in place, it overwrites the logits
            float* next = row + 1 < last ? x + classes : null;
            FloatRowSums sums = FloatRows.Pass(x, classes, c.Smoothing, g, next);
            double logSum = Math.Log(sums.SumExp);
            double nll = Zero.Term(wt, logSum - (xt - sums.Max));
            double smooth = c.Smoothing ? classes * logSum - sums.SumShifted : 0.0;

            if (g != null)
            {
                double scale = c.GradOutput != null ? c.GradOutput[row] : c.ReducedScale;
                // d/dx[j] = scale·(softmax[j]·A − (ε/C)·w[j] − (1 − ε)·w[t]·[j = t]); weights and smoothing never meet here.
                double a = c.Smoothing ? c.Keep * wt + c.Spread * classes : wt;
                double targetTerm = c.Smoothing ? c.Keep * wt : wt;
                FloatRows.ScaleExponentials(g, classes, (float)(scale * a / sums.SumExp), (float)(c.Smoothing ? scale * c.Spread : 0.0));
                g[t] = (float)(g[t] - scale * targetTerm);
            }

            if (c.Destination != null)
            {
                c.Destination[row] = (float)(c.Smoothing ? Zero.Term(c.Keep, nll) + c.Spread * smooth : nll);
            }
            else
            {
                nllSum.Add(nll);
                smoothSum.Add(smooth);
            }
        }

        c.NllPartials[chunk] = nllSum.Value;
        c.SmoothPartials[chunk] = smoothSum.Value;
    }

    /// <summary>Up to this many classes, rows are processed 16 at a time with one row per vector lane.</summary>
    private const int SmallClassLimit = 16;

    /// <summary>
    /// Rows of at most 16 classes, 16 rows at a time: the block is transposed into a stack buffer (column c holds class
    /// c of the 16 rows), so the max, the exponentials, their sums and the logarithms are vector operations across
    /// rows, one exponential per element; each row is then finished with a few scalar operations, in row order.
    /// </summary>
    private static unsafe void SmallClassRows(ref FastIndexContext c, int first, int last, ref CompensatedSum nllSum, ref CompensatedSum smoothSum)
    {
        const int Lanes = FloatRows.Lanes;
        int classes = c.Classes;
        float* columns = stackalloc float[SmallClassLimit * Lanes];
        float* exponentials = stackalloc float[SmallClassLimit * Lanes];
        float* maxima = stackalloc float[Lanes];
        double* logSums = stackalloc double[Lanes];
        double* sumExps = stackalloc double[Lanes];
        double* shiftedSums = stackalloc double[Lanes];
        for (int r0 = first; r0 < last; r0 += Lanes)
        {
            int count = Math.Min(Lanes, last - r0);
            Vector512<float> m = FloatRows.LaneBlock(c.Input, r0, count, classes, c.Smoothing, columns, exponentials, sumExps, logSums, shiftedSums);
            Avx512F.Store(maxima, m);

            for (int k = 0; k < count; k++)
            {
                int row = r0 + k;
                int t = c.Target[row];
                float* g = c.Gradient == null ? null : c.Gradient + (long)row * classes;
                if (t == c.IgnoreIndex)
                {
                    if (c.Destination != null)
                    {
                        c.Destination[row] = 0f;
                    }

                    if (g != null)
                    {
                        new Span<float>(g, classes).Clear();
                    }

                    continue;
                }

                double wt = c.Weight == null ? 1.0 : c.Weight[t];
                double max = maxima[k];
                double logSum = logSums[k];
                double nll = Zero.Term(wt, logSum - (columns[t * Lanes + k] - max));
                double smooth = c.Smoothing ? classes * logSum - shiftedSums[k] : 0.0;
                if (g != null)
                {
                    double scale = c.GradOutput != null ? c.GradOutput[row] : c.ReducedScale;
                    double a = c.Smoothing ? c.Keep * wt + c.Spread * classes : wt;
                    double targetTerm = c.Smoothing ? c.Keep * wt : wt;
                    float factor = (float)(scale * a / sumExps[k]);
                    float offset = (float)(c.Smoothing ? scale * c.Spread : 0.0);
                    for (int j = 0; j < classes; j++)
                    {
                        g[j] = MathF.FusedMultiplyAdd(exponentials[j * Lanes + k], factor, -offset);
                    }

                    g[t] = (float)(g[t] - scale * targetTerm);
                }

                if (c.Destination != null)
                {
                    c.Destination[row] = (float)(c.Smoothing ? Zero.Term(c.Keep, nll) + c.Spread * smooth : nll);
                }
                else
                {
                    nllSum.Add(nll);
                    smoothSum.Add(smooth);
                }
            }
        }
    }
}
