using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Xent.Internal.Vectors;

namespace Xent.Internal.Matrix;

/// <summary>
/// A matrix-multiply micro-kernel: C[MR × NR] (= or +=) Σₖ a[k]·b[k]ᵀ over packed panels, where a[k] is the k-th column
/// of MR values of the A panel and b[k] the k-th row of NR values of the B panel (see <see cref="Packing"/>). The MR × NR
/// sums live in registers for the whole depth; each is one chain of fused multiply-adds in k order, so an element's
/// value depends on neither the tile shape nor the vector width.
/// </summary>
internal unsafe interface ITile
{
    /// <summary>MR, the rows of a tile.</summary>
    static abstract int Rows { get; }

    /// <summary>NR for element type <typeparamref name="T"/>, the columns of a tile: two vectors.</summary>
    static abstract int Columns<T>()
        where T : unmanaged;

    /// <summary>
    /// c[i·ldc + j] = (<paramref name="overwrite"/> ? 0 : c[i·ldc + j]) + Σₖ a[k·MR + i]·b[k·NR + j] for i &lt; MR, j &lt; NR,
    /// the sum over k = 0 … depth − 1 in order, each step one fused multiply-add (two roundings where the machine has no
    /// fused multiply-add).
    /// </summary>
    static abstract void Run<T>(int depth, T* a, T* b, T* c, nint ldc, bool overwrite)
        where T : unmanaged;
}

/// <summary>Software prefetch of a tile of C, so that its rows arrive while the micro-kernel runs its depth.</summary>
internal static unsafe class CacheLines
{
    /// <summary>
    /// Asks for the cache lines of <paramref name="rows"/> rows of <paramref name="bytes"/> bytes each (C's tile) at
    /// <paramref name="ldc"/> elements apart. A tile's rows lie a whole row of C apart, on as many pages, so the hardware
    /// prefetchers do not fetch them; asked for before the depth loop, they arrive during it instead of stalling the
    /// final read-modify-write (measured: the 2048³ product 9% faster with AVX-512 on this project's machine). x86 only:
    /// .NET has no portable prefetch, and elsewhere this does nothing. It changes no value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch<T>(T* c, nint ldc, int rows, int bytes)
        where T : unmanaged
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            byte* row = (byte*)(c + r * ldc);
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(row);
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + bytes - 1);
        }
    }
}

/// <summary>a·b + c for float or double vectors, fused where the machine has fused multiply-add.</summary>
internal static class Fused
{
    /// <summary>Whether <see cref="MultiplyAdd{T}(Vector128{T}, Vector128{T}, Vector128{T})"/> and its wider forms round once (every x64 CPU with FMA3, every Arm64 CPU); else a·b and the sum are each rounded.</summary>
    public static bool InHardware => System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Vector512.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector512.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
        where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd<T>(Vector128<T> a, Vector128<T> b, Vector128<T> c)
        where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Vector128.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector128.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
}

/// <summary>12 × 2 vectors of <see cref="Vector512{T}"/> (12 × 32 floats, 12 × 16 doubles): 24 of AVX-512's 32 registers hold the sums.</summary>
internal readonly unsafe struct Tile512 : ITile
{
    public static int Rows => 12;

    public static int Columns<T>()
        where T : unmanaged => 2 * Vector512<T>.Count;

    [MethodImpl(Compile.HotLoop)]
    public static void Run<T>(int depth, T* a, T* b, T* c, nint ldc, bool overwrite)
        where T : unmanaged
    {
        int w = Vector512<T>.Count;
        CacheLines.Prefetch(c, ldc, 12, 2 * w * sizeof(T));
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<T> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        for (int k = 0; k < depth; k++)
        {
            Vector512<T> b0 = Vector512.Load(b);
            Vector512<T> b1 = Vector512.Load(b + w);
            Vector512<T> x = Vector512.Create(a[0]);
            c00 = Fused.MultiplyAdd(x, b0, c00);
            c01 = Fused.MultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Fused.MultiplyAdd(x, b0, c10);
            c11 = Fused.MultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Fused.MultiplyAdd(x, b0, c20);
            c21 = Fused.MultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Fused.MultiplyAdd(x, b0, c30);
            c31 = Fused.MultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Fused.MultiplyAdd(x, b0, c40);
            c41 = Fused.MultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Fused.MultiplyAdd(x, b0, c50);
            c51 = Fused.MultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Fused.MultiplyAdd(x, b0, c60);
            c61 = Fused.MultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Fused.MultiplyAdd(x, b0, c70);
            c71 = Fused.MultiplyAdd(x, b1, c71);
            x = Vector512.Create(a[8]);
            c80 = Fused.MultiplyAdd(x, b0, c80);
            c81 = Fused.MultiplyAdd(x, b1, c81);
            x = Vector512.Create(a[9]);
            c90 = Fused.MultiplyAdd(x, b0, c90);
            c91 = Fused.MultiplyAdd(x, b1, c91);
            x = Vector512.Create(a[10]);
            ca0 = Fused.MultiplyAdd(x, b0, ca0);
            ca1 = Fused.MultiplyAdd(x, b1, ca1);
            x = Vector512.Create(a[11]);
            cb0 = Fused.MultiplyAdd(x, b0, cb0);
            cb1 = Fused.MultiplyAdd(x, b1, cb1);
            a += 12;
            b += 2 * w;
        }

        Put(c, w, overwrite, c00, c01);
        Put(c + ldc, w, overwrite, c10, c11);
        Put(c + 2 * ldc, w, overwrite, c20, c21);
        Put(c + 3 * ldc, w, overwrite, c30, c31);
        Put(c + 4 * ldc, w, overwrite, c40, c41);
        Put(c + 5 * ldc, w, overwrite, c50, c51);
        Put(c + 6 * ldc, w, overwrite, c60, c61);
        Put(c + 7 * ldc, w, overwrite, c70, c71);
        Put(c + 8 * ldc, w, overwrite, c80, c81);
        Put(c + 9 * ldc, w, overwrite, c90, c91);
        Put(c + 10 * ldc, w, overwrite, ca0, ca1);
        Put(c + 11 * ldc, w, overwrite, cb0, cb1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T>(T* row, int w, bool overwrite, Vector512<T> left, Vector512<T> right)
        where T : unmanaged
    {
        if (!overwrite)
        {
            left += Vector512.Load(row);
            right += Vector512.Load(row + w);
        }

        left.Store(row);
        right.Store(row + w);
    }
}

/// <summary>6 × 2 vectors of <see cref="Vector256{T}"/> (6 × 16 floats, 6 × 8 doubles): 12 of AVX2's 16 registers hold the sums.</summary>
internal readonly unsafe struct Tile256 : ITile
{
    public static int Rows => 6;

    public static int Columns<T>()
        where T : unmanaged => 2 * Vector256<T>.Count;

    [MethodImpl(Compile.HotLoop)]
    public static void Run<T>(int depth, T* a, T* b, T* c, nint ldc, bool overwrite)
        where T : unmanaged
    {
        int w = Vector256<T>.Count;
        CacheLines.Prefetch(c, ldc, 6, 2 * w * sizeof(T));
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int k = 0; k < depth; k++)
        {
            Vector256<T> b0 = Vector256.Load(b);
            Vector256<T> b1 = Vector256.Load(b + w);
            Vector256<T> x = Vector256.Create(a[0]);
            c00 = Fused.MultiplyAdd(x, b0, c00);
            c01 = Fused.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Fused.MultiplyAdd(x, b0, c10);
            c11 = Fused.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Fused.MultiplyAdd(x, b0, c20);
            c21 = Fused.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Fused.MultiplyAdd(x, b0, c30);
            c31 = Fused.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Fused.MultiplyAdd(x, b0, c40);
            c41 = Fused.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Fused.MultiplyAdd(x, b0, c50);
            c51 = Fused.MultiplyAdd(x, b1, c51);
            a += 6;
            b += 2 * w;
        }

        Put(c, w, overwrite, c00, c01);
        Put(c + ldc, w, overwrite, c10, c11);
        Put(c + 2 * ldc, w, overwrite, c20, c21);
        Put(c + 3 * ldc, w, overwrite, c30, c31);
        Put(c + 4 * ldc, w, overwrite, c40, c41);
        Put(c + 5 * ldc, w, overwrite, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T>(T* row, int w, bool overwrite, Vector256<T> left, Vector256<T> right)
        where T : unmanaged
    {
        if (!overwrite)
        {
            left += Vector256.Load(row);
            right += Vector256.Load(row + w);
        }

        left.Store(row);
        right.Store(row + w);
    }
}

/// <summary>6 × 2 vectors of <see cref="Vector128{T}"/> (6 × 8 floats, 6 × 4 doubles): 12 of SSE's 16 registers (of AdvSimd's 32) hold the sums.</summary>
internal readonly unsafe struct Tile128 : ITile
{
    public static int Rows => 6;

    public static int Columns<T>()
        where T : unmanaged => 2 * Vector128<T>.Count;

    [MethodImpl(Compile.HotLoop)]
    public static void Run<T>(int depth, T* a, T* b, T* c, nint ldc, bool overwrite)
        where T : unmanaged
    {
        int w = Vector128<T>.Count;
        CacheLines.Prefetch(c, ldc, 6, 2 * w * sizeof(T));
        Vector128<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int k = 0; k < depth; k++)
        {
            Vector128<T> b0 = Vector128.Load(b);
            Vector128<T> b1 = Vector128.Load(b + w);
            Vector128<T> x = Vector128.Create(a[0]);
            c00 = Fused.MultiplyAdd(x, b0, c00);
            c01 = Fused.MultiplyAdd(x, b1, c01);
            x = Vector128.Create(a[1]);
            c10 = Fused.MultiplyAdd(x, b0, c10);
            c11 = Fused.MultiplyAdd(x, b1, c11);
            x = Vector128.Create(a[2]);
            c20 = Fused.MultiplyAdd(x, b0, c20);
            c21 = Fused.MultiplyAdd(x, b1, c21);
            x = Vector128.Create(a[3]);
            c30 = Fused.MultiplyAdd(x, b0, c30);
            c31 = Fused.MultiplyAdd(x, b1, c31);
            x = Vector128.Create(a[4]);
            c40 = Fused.MultiplyAdd(x, b0, c40);
            c41 = Fused.MultiplyAdd(x, b1, c41);
            x = Vector128.Create(a[5]);
            c50 = Fused.MultiplyAdd(x, b0, c50);
            c51 = Fused.MultiplyAdd(x, b1, c51);
            a += 6;
            b += 2 * w;
        }

        Put(c, w, overwrite, c00, c01);
        Put(c + ldc, w, overwrite, c10, c11);
        Put(c + 2 * ldc, w, overwrite, c20, c21);
        Put(c + 3 * ldc, w, overwrite, c30, c31);
        Put(c + 4 * ldc, w, overwrite, c40, c41);
        Put(c + 5 * ldc, w, overwrite, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T>(T* row, int w, bool overwrite, Vector128<T> left, Vector128<T> right)
        where T : unmanaged
    {
        if (!overwrite)
        {
            left += Vector128.Load(row);
            right += Vector128.Load(row + w);
        }

        left.Store(row);
        right.Store(row + w);
    }
}
