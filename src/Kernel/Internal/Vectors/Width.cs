using System.Runtime.Intrinsics;

namespace Xent.Internal.Vectors;

/// <summary>
/// Which block implementation this machine runs, decided once: 512-bit where <see cref="Vector512"/> is accelerated
/// (AVX-512), 256-bit where <see cref="Vector256"/> is (AVX2), else 128-bit (SSE, Arm64 AdvSimd, or the portable
/// software fallback when no vector instructions are enabled). Every width gives the same bits.
/// </summary>
internal static class Width
{
    public static readonly int Bits =
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;
}
