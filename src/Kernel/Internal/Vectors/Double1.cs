using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Internal.Vectors;

/// <summary>
/// One double lane (lane 0 of a <see cref="Vector128{T}"/>; the other lane is a copy or unused): the block through which
/// scalar code runs a formula written over <see cref="IDoubleBlock{TSelf}"/>, so that one value gets, bit for bit, what
/// a lane of <see cref="Double128"/> (and so of every width) gets. Its loads and stores move one element, not eight:
/// it is used by lane-wise formulas only (the logarithms, a position's finish and its sums), never by the block loops.
/// </summary>
internal readonly unsafe struct Double1 : IDoubleBlock<Double1>
{
    private readonly Vector128<double> _v;

    private Double1(Vector128<double> v) => _v = v;

    /// <summary>The lane's value.</summary>
    public double Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _v.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 Create(double value) => new(Vector128.Create(value));

    /// <summary>One element, not eight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 Load(double* source) => Create(*source);

    /// <summary>One element, not eight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 LoadWidened(float* source) => Create(*source);

    /// <summary>One element, not eight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Double1 value, double* destination) => *destination = value._v.ToScalar();

    /// <summary>One element, not eight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNarrowed(Double1 value, float* destination) => *destination = (float)value._v.ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 operator +(Double1 l, Double1 r) => new(l._v + r._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 operator -(Double1 l, Double1 r) => new(l._v - r._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 operator *(Double1 l, Double1 r) => new(l._v * r._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 operator /(Double1 l, Double1 r) => new(l._v / r._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 MultiplyAdd(Double1 a, Double1 b, Double1 c) => new(Vector128.MultiplyAddEstimate(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 operator -(Double1 value) => new(-value._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 operator &(Double1 l, Double1 r) => new(l._v & r._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 operator |(Double1 l, Double1 r) => new(l._v | r._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 ShiftRightLogical(Double1 v, int count) => new(Vector128.ShiftRightLogical(v._v.AsUInt64(), count).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 Max(Double1 l, Double1 r) => new(Vector128.Max(l._v, r._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 Min(Double1 l, Double1 r) => new(Vector128.Min(l._v, r._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 Floor(Double1 v) => new(Vector128.Floor(v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 Abs(Double1 v) => new(Vector128.Abs(v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 LessThan(Double1 l, Double1 r) => new(Vector128.LessThan(l._v, r._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 GreaterThanOrEqual(Double1 l, Double1 r) => new(Vector128.GreaterThanOrEqual(l._v, r._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 Equal(Double1 l, Double1 r) => new(Vector128.Equals(l._v, r._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 IsNaN(Double1 v) => new(Vector128.IsNaN(v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 Select(Double1 m, Double1 t, Double1 f) => new(Vector128.ConditionalSelect(m._v, t._v, f._v));

    /// <summary>Bit 0: the lane's mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(Double1 m) => m._v.ExtractMostSignificantBits() & 1u;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 Pow2(Double1 k) =>
        new((((Vector128.Create(Bits.DoubleMagic) + k._v).AsUInt64() + Vector128.Create(Bits.DoubleBias)) << 52).AsDouble());

    public static bool HasScaleInstruction => Avx512F.VL.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 AddExponent(Double1 y, Double1 t) => new((y._v.AsInt64() + (t._v.AsInt64() << 52)).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyAbsGreaterThan(Double1 value, Double1 bound) =>
        (Vector128.GreaterThan(Vector128.Abs(value._v), bound._v).ExtractMostSignificantBits() & 1u) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 ScaleB(Double1 y, Double1 n)
    {
        return new(Avx512F.VL.Scale(y._v, n._v));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double1 Clamp(Double1 x, Double1 lower, Double1 upper) =>
        Select(LessThan(x, lower), lower, Select(LessThan(upper, x), upper, x));

    /// <summary>The lane itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Double1 v) => v._v.ToScalar();

    /// <summary>The lane itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(Double1 v) => v._v.ToScalar();
}
