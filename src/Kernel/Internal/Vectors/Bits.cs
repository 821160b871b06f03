namespace Xent.Internal.Vectors;

/// <summary>
/// The constants that turn an integral value k into the bits of 2ᵏ: k + 1.5·2⁵² (1.5·2²³ for float) is exact and holds
/// k in its low mantissa bits, so adding (bias − bits of the magic number) and shifting into the exponent field gives
/// 2ᵏ, with no conversion instruction (x64 before AVX-512 has no vector double-to-int64 conversion).
/// </summary>
internal static class Bits
{
    public const double DoubleMagic = 6755399441055744.0; // 1.5·2⁵², bits 0x4338000000000000

    public const ulong DoubleBias = unchecked(1023UL - 0x4338000000000000UL);

    public const float FloatMagic = 12582912f; // 1.5·2²³, bits 0x4B400000

    public const uint FloatBias = unchecked(127U - 0x4B400000U);
}
