using System.Runtime.Intrinsics;

namespace Xent.Internal.Vectors;

/// <summary>
/// Which block implementation this machine runs, decided once: 512-bit where <see cref="Vector512"/> is accelerated
/// (AVX-512), 256-bit where <see cref="Vector256"/> is (AVX2), else 128-bit (SSE, Arm64 AdvSimd, or the portable
/// software fallback when no vector instructions are enabled). Every width gives the same bits.
/// </summary>
internal static unsafe class Width
{
    public static readonly int Bits =
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    /// <summary>The one of three instantiations of a chunk body (512-, 256- and 128-bit blocks) this machine runs.</summary>
    public static delegate*<void*, int, void> Pick(
        delegate*<void*, int, void> wide, delegate*<void*, int, void> middle, delegate*<void*, int, void> narrow) =>
        Bits switch
        {
            512 => wide,
            256 => middle,
            _ => narrow,
        };
}
