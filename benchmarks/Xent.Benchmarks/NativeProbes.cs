using System;
using System.Runtime.InteropServices;

namespace Xent.Benchmarks;

/// <summary>
/// What the comparison reads from the C library and from the preloaded warm allocator (native/warmcache.c), found in the
/// process's global symbol scope (dlsym on the main program's handle), so that the preloaded copy is the one called.
/// </summary>
internal static unsafe class NativeProbes
{
    private static readonly delegate* unmanaged<int, long*, int> GetRUsage = (delegate* unmanaged<int, long*, int>)Find("getrusage");
    private static readonly delegate* unmanaged<int, void> WarmEnable = (delegate* unmanaged<int, void>)Find("warm_cache_enable");
    private static readonly delegate* unmanaged<void> WarmFlush = (delegate* unmanaged<void>)Find("warm_cache_flush");
    private static readonly delegate* unmanaged<long*, long*, long*, long*, long*, long*, void> WarmStats =
        (delegate* unmanaged<long*, long*, long*, long*, long*, long*, void>)Find("warm_cache_stats");

    private static IntPtr Find(string name) =>
        NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), name, out IntPtr address) ? address : IntPtr.Zero;

    /// <summary>Minor page faults of the whole process so far: getrusage(RUSAGE_SELF).ru_minflt, or −1 when unavailable.</summary>
    public static long MinorFaults()
    {
        if (GetRUsage == null)
        {
            return -1;
        }

        // struct rusage on x86-64 Linux: two struct timeval (2 × 16 bytes), then 14 longs; ru_minflt is the fifth long.
        long* usage = stackalloc long[18];
        return GetRUsage(0, usage) == 0 ? usage[8] : -1;
    }

    /// <summary>User plus system CPU time of the whole process so far, in seconds (getrusage), or NaN when unavailable.</summary>
    public static double CpuSeconds()
    {
        if (GetRUsage == null)
        {
            return double.NaN;
        }

        long* usage = stackalloc long[18];
        return GetRUsage(0, usage) == 0 ? usage[0] + usage[1] * 1e-6 + usage[2] + usage[3] * 1e-6 : double.NaN;
    }

    /// <summary>Whether libwarmcache.so is preloaded (LD_PRELOAD) into this process.</summary>
    public static bool WarmCacheLoaded => WarmEnable != null && WarmFlush != null && WarmStats != null;

    /// <summary>warm_cache_enable: while on, libtorch's posix_memalign blocks of 64 KiB or more come from (and go back to) the cache.</summary>
    public static void EnableWarmCache(bool on)
    {
        if (WarmEnable != null)
        {
            WarmEnable(on ? 1 : 0);
        }
    }

    /// <summary>warm_cache_flush: gives the cached free blocks back to glibc.</summary>
    public static void FlushWarmCache()
    {
        if (WarmFlush != null)
        {
            WarmFlush();
        }
    }

    /// <summary>warm_cache_stats: cache hits, misses (blocks taken from glibc), registered blocks and their bytes.</summary>
    public static (long Hits, long Misses, long Blocks, long Bytes) WarmCacheStats()
    {
        if (WarmStats == null)
        {
            return default;
        }

        long hits, misses, blocks, bytes, freeBlocks, freeBytes;
        WarmStats(&hits, &misses, &blocks, &bytes, &freeBlocks, &freeBytes);
        return (hits, misses, blocks, bytes);
    }
}
