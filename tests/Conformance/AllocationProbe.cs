using System;

namespace Xent.Conformance;

/// <summary>Managed allocation on the calling thread across repeated calls, robust to the runtime's own rare allocations.</summary>
internal static class AllocationProbe
{
    /// <summary>
    /// Bytes allocated on the calling thread by <paramref name="rounds"/> calls of <paramref name="calls"/> after two
    /// warm-up calls: the fewest over up to three attempts, stopping at the first that allocates nothing. A per-call
    /// allocation shows in every attempt; what the runtime allocates once in a while on the caller's thread (the thread
    /// pool creating a worker when it requests one, seen once in a loaded full run) does not fail the test.
    /// </summary>
    public static long FewestBytes(Action calls, int rounds)
    {
        calls();
        calls();
        long fewest = long.MaxValue;
        for (int attempt = 0; attempt < 3 && fewest != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < rounds; i++)
            {
                calls();
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }
}
