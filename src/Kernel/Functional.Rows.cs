using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using Xent.Internal;
using Xent.Internal.Rows;

namespace Xent;

public static partial class Functional
{
    private static int _maxDegreeOfParallelism = Environment.ProcessorCount;

    /// <summary>
    /// The number of threads the kernel may use for one call (the counterpart of <c>torch.set_num_threads</c>),
    /// <see cref="Environment.ProcessorCount"/> by default. Results never depend on it: work is split into chunks of rows
    /// (of elements, for the element-wise losses) fixed by the shape alone, and their partial sums are combined in chunk order, so every value is the same, bit
    /// for bit, at any setting. Calls of fewer than about 32,768 elements run on the calling thread.
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

    /// <summary>
    /// Whether contiguous rows of <typeparamref name="T"/> take the fast statistic pass (each exponential in float, sums in
    /// double; the documented bound): float rows without weighted label smoothing and without a soft cap.
    /// </summary>
    internal static bool UsesFastRows<T>(bool smoothing, bool weighted, double cap) =>
        typeof(T) == typeof(float) && !(smoothing && weighted) && cap == 0.0;

    /// <summary>
    /// <see cref="IndexLoss{T}"/> (class indices in <paramref name="index"/>) or <see cref="ProbabilityLoss{T}"/>
    /// (probabilities in <paramref name="probabilities"/>) through the row engine, for any layout; same contract. <paramref name="normalizer"/> is the mean's divisor: Σ w[t] over the counted rows for
    /// class indices, the number of rows for probabilities.
    /// </summary>
    private static unsafe double EngineLoss<T>(
        TargetKind kind,
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> index,
        ReadOnlySpan<T> probabilities,
        ClassLayout layout,
        ReadOnlySpan<T> weight,
        int ignoreIndex,
        double labelSmoothing,
        Reduction reduction,
        double normalizer,
        Span<T> destination,
        ReadOnlySpan<T> gradOutput,
        Span<T> gradient)
        where T : IFloatingPointIeee754<T>
    {
        bool smoothing = labelSmoothing > 0.0;
        bool withGradient = !gradient.IsEmpty;
        fixed (byte* x = &AsBytes(input))
        fixed (int* y = index)
        fixed (byte* p = &AsBytes(probabilities))
        fixed (byte* w = &AsBytes(weight))
        fixed (byte* d = &AsBytes((ReadOnlySpan<T>)destination))
        fixed (byte* go = &AsBytes(gradOutput))
        fixed (byte* g = &AsBytes((ReadOnlySpan<T>)gradient))
        {
            var job = new LossRowsJob
            {
                Input = x,
                Classes = layout.Classes,
                Rows = layout.Positions,
                Inner = layout.Inner,
                Kind = kind,
                Index = y,
                IgnoreIndex = ignoreIndex,
                Probabilities = p,
                Weight = weight.IsEmpty ? null : w,
                Keep = 1.0 - labelSmoothing,
                Spread = labelSmoothing / layout.Classes,
                Smoothing = smoothing,
                Fast = kind == TargetKind.Index && layout.Inner == 1 && UsesFastRows<T>(smoothing, !weight.IsEmpty, 0.0),
                PerRow = reduction == Reduction.None ? d : null,
                Gradient = withGradient ? g : null,
                GradOutput = reduction == Reduction.None && withGradient ? go : null,
                Scale = reduction == Reduction.Mean ? 1.0 / normalizer : 1.0,
            };
            LossPartial sums = LossRows.Run<T>(ref job);
            if (reduction == Reduction.None)
            {
                return 0.0;
            }

            // Mean divides every part by the normalizer (Σ w[t], the count when unweighted, as PyTorch does).
            double divisor = reduction == Reduction.Mean ? normalizer : 1.0;
            if (kind == TargetKind.Probabilities)
            {
                return sums.Linear / divisor;
            }

            double nllPart = sums.Target / divisor;
            // Term: with ε = 1 the target term's coefficient 1 − ε is zero and contributes 0 even where its loss is infinite.
            return smoothing ? Zero.Term(job.Keep, nllPart) + job.Spread * (sums.Linear / divisor) : nllPart;
        }
    }

    /// <summary>The first byte of a span of any element type (a null reference for an empty span), for pinning.</summary>
    private static ref byte AsBytes<T>(ReadOnlySpan<T> span) => ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(span));
}
