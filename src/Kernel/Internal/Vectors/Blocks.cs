using System.Runtime.Intrinsics;

namespace Xent.Internal.Vectors;

/// <summary>
/// Eight double lanes, the engine's unit of double arithmetic, held as one <see cref="Vector512{T}"/>, two
/// <see cref="Vector256{T}"/> or four <see cref="Vector128{T}"/> (<see cref="Width"/> picks one per machine).
/// </summary>
/// <remarks>
/// Every implementation maps lane i to the same element and reduces across lanes in the same fixed order (halves,
/// then quarters, then the two lanes of the last 128 bits), so a computation gives the same bits at every width.
/// </remarks>
internal unsafe interface IDoubleBlock<TSelf>
    where TSelf : unmanaged, IDoubleBlock<TSelf>
{
    static abstract TSelf Create(double value);

    static abstract TSelf Load(double* source);

    /// <summary>Eight floats widened (exactly) to double.</summary>
    static abstract TSelf LoadWidened(float* source);

    static abstract void Store(TSelf value, double* destination);

    /// <summary>Rounds each lane once to float and stores eight floats.</summary>
    static abstract void StoreNarrowed(TSelf value, float* destination);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);

    static abstract TSelf operator /(TSelf left, TSelf right);

    /// <summary>The lanes with their signs flipped (exact: −0 for +0).</summary>
    static abstract TSelf operator -(TSelf value);

    /// <summary>a·b + c, fused (one rounding) wherever the machine has fused multiply-add (every x64 CPU with AVX2, every Arm64 CPU), else two roundings.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>The bits of the lanes and-ed: the intersection of two masks, or a bit field of a double.</summary>
    static abstract TSelf operator &(TSelf left, TSelf right);

    /// <summary>The bits of the lanes or-ed: the union of two masks, or bits set in a double.</summary>
    static abstract TSelf operator |(TSelf left, TSelf right);

    /// <summary>The bits of each lane as an unsigned 64-bit integer shifted right by <paramref name="count"/> (0 to 63), zeros shifted in.</summary>
    static abstract TSelf ShiftRightLogical(TSelf value, int count);

    /// <summary>IEEE 754-2019 maximum: NaN if either lane is NaN.</summary>
    static abstract TSelf Max(TSelf left, TSelf right);

    /// <summary>IEEE 754-2019 minimum: NaN if either lane is NaN.</summary>
    static abstract TSelf Min(TSelf left, TSelf right);

    static abstract TSelf Floor(TSelf value);

    static abstract TSelf Abs(TSelf value);

    /// <summary>All bits set in the lanes where left ≥ right (false for NaN).</summary>
    static abstract TSelf GreaterThanOrEqual(TSelf left, TSelf right);

    /// <summary>All bits set in the lanes where left &lt; right (false for NaN).</summary>
    static abstract TSelf LessThan(TSelf left, TSelf right);

    /// <summary>All bits set in the lanes where left = right (false for NaN).</summary>
    static abstract TSelf Equal(TSelf left, TSelf right);

    /// <summary>All bits set in the lanes where the value is NaN.</summary>
    static abstract TSelf IsNaN(TSelf value);

    /// <summary>Lane by lane: <paramref name="ifTrue"/> where <paramref name="mask"/> has all bits set, else <paramref name="ifFalse"/>.</summary>
    static abstract TSelf Select(TSelf mask, TSelf ifTrue, TSelf ifFalse);

    /// <summary>Bit i set where lane i of the mask is set.</summary>
    static abstract uint MaskBits(TSelf mask);

    /// <summary>2ᵏ for integral lanes k with −1022 ≤ k ≤ 1023 (built from its bits: exact).</summary>
    static abstract TSelf Pow2(TSelf k);

    /// <summary>
    /// y·2ⁿ for integral lanes n in [−1077, 1025] and y in [½, 2], rounded once, by AVX-512's vscalefpd: only where
    /// <see cref="HasScaleInstruction"/> (elsewhere <see cref="VectorMath"/> multiplies by two powers of two).
    /// </summary>
    static abstract TSelf ScaleB(TSelf y, TSelf n);

    /// <summary>Whether <see cref="ScaleB"/> is one instruction (AVX-512's vscalefpd, at this block's width).</summary>
    static abstract bool HasScaleInstruction { get; }

    /// <summary>
    /// The bits of y with k added to the exponent field, for the rounded values t = 1.5·2⁵² + k of an exponent reduction
    /// (k sits in t's low mantissa bits): exactly y·2ᵏ wherever that is a normal double; the caller checks that it is.
    /// </summary>
    static abstract TSelf AddExponent(TSelf y, TSelf t);

    /// <summary>Whether |value| &gt; <paramref name="bound"/> in any lane (false for NaN lanes).</summary>
    static abstract bool AnyAbsGreaterThan(TSelf value, TSelf bound);

    /// <summary>min(max(x, lower), upper) lane by lane, with a NaN lane of x kept NaN on every machine.</summary>
    static abstract TSelf Clamp(TSelf x, TSelf lower, TSelf upper);

    /// <summary>The sum of the lanes in the fixed order ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).</summary>
    static abstract double Sum(TSelf value);

    /// <summary>The largest lane (NaN if any lane is NaN).</summary>
    static abstract double MaxAcross(TSelf value);
}

/// <summary>
/// Sixteen float lanes, the unit of the float fast path, with its double counterpart <typeparamref name="TDouble"/>
/// of the same width (lanes 0–7 widen to the first double block, 8–15 to the second).
/// </summary>
internal unsafe interface IFloatBlock<TSelf, TDouble>
    where TSelf : unmanaged, IFloatBlock<TSelf, TDouble>
    where TDouble : unmanaged, IDoubleBlock<TDouble>
{
    static abstract TSelf Create(float value);

    /// <summary>0, 1, ..., 15: each lane's index.</summary>
    static abstract TSelf LaneIndices { get; }

    static abstract TSelf Load(float* source);

    static abstract void Store(TSelf value, float* destination);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);

    /// <inheritdoc cref="IDoubleBlock{TSelf}.MultiplyAdd"/>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <inheritdoc cref="IDoubleBlock{TSelf}.Max"/>
    static abstract TSelf Max(TSelf left, TSelf right);

    /// <summary>The machine's own maximum (one instruction): the larger lane, but which of a NaN and a number it keeps depends on the machine.</summary>
    static abstract TSelf MaxNative(TSelf left, TSelf right);

    static abstract TSelf Floor(TSelf value);

    static abstract TSelf Equal(TSelf left, TSelf right);

    /// <inheritdoc cref="IDoubleBlock{TSelf}.LessThan"/>
    static abstract TSelf LessThan(TSelf left, TSelf right);

    static abstract TSelf Select(TSelf mask, TSelf ifTrue, TSelf ifFalse);

    static abstract uint MaskBits(TSelf mask);

    /// <summary>2ᵏ for integral lanes k with −126 ≤ k ≤ 127 (built from its bits: exact).</summary>
    static abstract TSelf Pow2(TSelf k);

    /// <summary>
    /// y·2ⁿ for integral lanes n in [−150, 0] and y in [½, 2], rounded once, by AVX-512's vscalefps: only where
    /// <see cref="HasScaleInstruction"/> (elsewhere <see cref="VectorMath"/> multiplies by two powers of two).
    /// </summary>
    static abstract TSelf ScaleB(TSelf y, TSelf n);

    /// <inheritdoc cref="IDoubleBlock{TSelf}.HasScaleInstruction"/>
    static abstract bool HasScaleInstruction { get; }

    /// <summary>
    /// The bits of y with k added to the exponent field, for the rounded values t = 1.5·2²³ + k of an exponent reduction
    /// (k sits in t's low mantissa bits): exactly y·2ᵏ wherever that is a normal float; the caller checks that it is.
    /// </summary>
    static abstract TSelf AddExponent(TSelf y, TSelf t);

    /// <inheritdoc cref="IDoubleBlock{TSelf}.AnyAbsGreaterThan"/>
    static abstract bool AnyAbsGreaterThan(TSelf value, TSelf bound);

    /// <summary>max(lower, x) lane by lane, with a NaN lane of x kept NaN on every machine.</summary>
    static abstract TSelf ClampBelow(TSelf x, TSelf lower);

    /// <summary>The sum of the lanes (small integers: exact in any order).</summary>
    static abstract float SumOfCounts(TSelf value);

    /// <summary>Lanes 0–7 and 8–15 widened exactly to double.</summary>
    static abstract (TDouble Lower, TDouble Upper) Widen(TSelf value);

    /// <summary>The largest lane (NaN if any lane is NaN).</summary>
    static abstract float MaxAcross(TSelf value);
}
