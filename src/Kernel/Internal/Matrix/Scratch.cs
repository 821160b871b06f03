using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace Xent.Internal.Matrix;

/// <summary>
/// Native, 64-byte-aligned working memory for the packed panels, kept for reuse so that a call allocates nothing after
/// warm-up. At most <see cref="Kept"/> blocks are kept; a block returned beyond that is freed (the smallest first).
/// </summary>
internal static unsafe class Scratch
{
    private const int Kept = 8;
    private static readonly List<(nuint Bytes, nint Pointer)> Free = new(Kept + 1);
    private static long _held;
    private static long _inUse;
    private static long _peakInUse;

    /// <summary>Bytes allocated and not yet freed: blocks in use and blocks kept for reuse.</summary>
    public static long HeldBytes => Volatile.Read(ref _held);

    /// <summary>Bytes of the blocks rented and not yet returned.</summary>
    public static long InUseBytes => Volatile.Read(ref _inUse);

    /// <summary>The most <see cref="InUseBytes"/> has been since the last <see cref="ResetPeak"/>: the working memory of the calls in between, whether their blocks were new or kept.</summary>
    public static long PeakInUseBytes => Volatile.Read(ref _peakInUse);

    /// <summary>Starts a new peak of <see cref="PeakInUseBytes"/> from the bytes in use now.</summary>
    public static void ResetPeak() => Volatile.Write(ref _peakInUse, InUseBytes);

    private static void Raise(ref long peak, long value)
    {
        long current;
        while (value > (current = Volatile.Read(ref peak)) && Interlocked.CompareExchange(ref peak, value, current) != current)
        {
        }
    }

    /// <summary>A block of at least <paramref name="bytes"/> bytes, and its size.</summary>
    public static (nint Pointer, nuint Bytes) Rent(nuint bytes)
    {
        lock (Free)
        {
            int best = -1;
            for (int i = 0; i < Free.Count; i++)
            {
                if (Free[i].Bytes >= bytes && (best < 0 || Free[i].Bytes < Free[best].Bytes))
                {
                    best = i;
                }
            }

            if (best >= 0)
            {
                (nuint size, nint pointer) = Free[best];
                Free.RemoveAt(best);
                Raise(ref _peakInUse, Interlocked.Add(ref _inUse, (long)size));
                return (pointer, size);
            }
        }

        Interlocked.Add(ref _held, (long)bytes);
        Raise(ref _peakInUse, Interlocked.Add(ref _inUse, (long)bytes));
        return ((nint)NativeMemory.AlignedAlloc(bytes, 64), bytes);
    }

    /// <summary>Frees every block kept for reuse (blocks in use stay with their callers).</summary>
    public static void ReleaseKept()
    {
        (nuint Bytes, nint Pointer)[] kept;
        lock (Free)
        {
            kept = Free.ToArray();
            Free.Clear();
        }

        foreach ((nuint bytes, nint pointer) in kept)
        {
            Interlocked.Add(ref _held, -(long)bytes);
            NativeMemory.AlignedFree((void*)pointer);
        }
    }

    /// <summary>Gives a rented block back.</summary>
    public static void Return(nint pointer, nuint bytes)
    {
        Interlocked.Add(ref _inUse, -(long)bytes);
        lock (Free)
        {
            Free.Add((bytes, pointer));
            if (Free.Count <= Kept)
            {
                return;
            }

            int smallest = 0;
            for (int i = 1; i < Free.Count; i++)
            {
                if (Free[i].Bytes < Free[smallest].Bytes)
                {
                    smallest = i;
                }
            }

            (bytes, pointer) = Free[smallest];
            Free.RemoveAt(smallest);
        }

        Interlocked.Add(ref _held, -(long)bytes);
        NativeMemory.AlignedFree((void*)pointer);
    }
}
