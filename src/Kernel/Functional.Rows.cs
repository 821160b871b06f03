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
    /// The bytes of native working memory the kernel holds: blocks in use by calls that are running and blocks kept for
    /// reuse. Only the matrix products of <see cref="LinearCrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, ReadOnlySpan{T}, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, bool)"/>
    /// use any (one block a call: a logits block, the packed panels and the rows' partials, a few MiB whatever the
    /// vocabulary); at most eight blocks are kept. 0 in a process that has not called it.
    /// </summary>
    public static long WorkingMemoryBytes => Xent.Internal.Matrix.Scratch.HeldBytes;

    /// <summary>
    /// Frees the working memory kept for reuse (<see cref="WorkingMemoryBytes"/> then counts only blocks in use by
    /// running calls), for a process that is done with the fused loss; the next call that needs working memory
    /// allocates it again.
    /// </summary>
    public static void ReleaseWorkingMemory() => Xent.Internal.Matrix.Scratch.ReleaseKept();

    /// <summary>
    /// Whether contiguous rows of <typeparamref name="T"/> take the fast statistic pass (each exponential in float, sums in
    /// double; the documented bound): float rows without weighted label smoothing and without a soft cap.
    /// </summary>
    internal static bool UsesFastRows<T>(bool smoothing, bool weighted, double cap) =>
        typeof(T) == typeof(float) && !(smoothing && weighted) && cap == 0.0;

    /// <summary>The first byte of a span of any element type (a null reference for an empty span), for pinning.</summary>
    private static ref byte AsBytes<T>(ReadOnlySpan<T> span) => ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(span));
}
