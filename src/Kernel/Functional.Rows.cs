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

    /// <summary>The first byte of a span of any element type (a null reference for an empty span), for pinning.</summary>
    private static ref byte AsBytes<T>(ReadOnlySpan<T> span) => ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(span));
}
