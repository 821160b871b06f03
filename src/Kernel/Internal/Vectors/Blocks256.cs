using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Internal.Vectors;

/// <summary>Eight double lanes in two <see cref="Vector256{T}"/> (AVX2): lanes 0–3, then 4–7.</summary>
internal readonly unsafe struct Double256 : IDoubleBlock<Double256>
{
    private readonly Vector256<double> _a;
    private readonly Vector256<double> _b;

    internal Double256(Vector256<double> a, Vector256<double> b)
    {
        _a = a;
        _b = b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Create(double value) => new(Vector256.Create(value), Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Load(double* source) => new(Vector256.Load(source), Vector256.Load(source + 4));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 LoadWidened(float* source)
    {
        Vector256<float> v = Vector256.Load(source);
        return new(Vector256.WidenLower(v), Vector256.WidenUpper(v));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Double256 value, double* destination)
    {
        value._a.Store(destination);
        value._b.Store(destination + 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNarrowed(Double256 value, float* destination) =>
        Vector256.Narrow(value._a, value._b).Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 operator +(Double256 left, Double256 right) => new(left._a + right._a, left._b + right._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 operator -(Double256 left, Double256 right) => new(left._a - right._a, left._b - right._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 operator *(Double256 left, Double256 right) => new(left._a * right._a, left._b * right._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 operator /(Double256 left, Double256 right) => new(left._a / right._a, left._b / right._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 MultiplyAdd(Double256 a, Double256 b, Double256 c) =>
        new(Vector256.MultiplyAddEstimate(a._a, b._a, c._a), Vector256.MultiplyAddEstimate(a._b, b._b, c._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 operator -(Double256 value) => new(-value._a, -value._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 operator &(Double256 left, Double256 right) => new(left._a & right._a, left._b & right._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 operator |(Double256 left, Double256 right) => new(left._a | right._a, left._b | right._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 ShiftRightLogical(Double256 value, int count) =>
        new(Vector256.ShiftRightLogical(value._a.AsUInt64(), count).AsDouble(), Vector256.ShiftRightLogical(value._b.AsUInt64(), count).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Max(Double256 left, Double256 right) => new(Vector256.Max(left._a, right._a), Vector256.Max(left._b, right._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Min(Double256 left, Double256 right) => new(Vector256.Min(left._a, right._a), Vector256.Min(left._b, right._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Floor(Double256 value) => new(Vector256.Floor(value._a), Vector256.Floor(value._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Abs(Double256 value) => new(Vector256.Abs(value._a), Vector256.Abs(value._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 GreaterThanOrEqual(Double256 left, Double256 right) =>
        new(Vector256.GreaterThanOrEqual(left._a, right._a), Vector256.GreaterThanOrEqual(left._b, right._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 LessThan(Double256 left, Double256 right) =>
        new(Vector256.LessThan(left._a, right._a), Vector256.LessThan(left._b, right._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Equal(Double256 left, Double256 right) =>
        new(Vector256.Equals(left._a, right._a), Vector256.Equals(left._b, right._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 IsNaN(Double256 value) => new(Vector256.IsNaN(value._a), Vector256.IsNaN(value._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Select(Double256 mask, Double256 ifTrue, Double256 ifFalse) =>
        new(Vector256.ConditionalSelect(mask._a, ifTrue._a, ifFalse._a), Vector256.ConditionalSelect(mask._b, ifTrue._b, ifFalse._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(Double256 mask) => mask._a.ExtractMostSignificantBits() | mask._b.ExtractMostSignificantBits() << 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Pow2(Double256 k) => new(Pow2(k._a), Pow2(k._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Pow2(Vector256<double> k) =>
        (((Vector256.Create(Bits.DoubleMagic) + k).AsUInt64() + Vector256.Create(Bits.DoubleBias)) << 52).AsDouble();

    public static bool HasScaleInstruction => Avx512F.VL.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 AddExponent(Double256 y, Double256 t) => new((y._a.AsInt64() + (t._a.AsInt64() << 52)).AsDouble(), (y._b.AsInt64() + (t._b.AsInt64() << 52)).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyAbsGreaterThan(Double256 value, Double256 bound) =>
        (Vector256.GreaterThan(Vector256.Abs(value._a), bound._a) | Vector256.GreaterThan(Vector256.Abs(value._b), bound._b)).AsUInt64() != Vector256<ulong>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 ScaleB(Double256 y, Double256 n)
    {
        return new(Avx512F.VL.Scale(y._a, n._a), Avx512F.VL.Scale(y._b, n._b));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Clamp(Double256 x, Double256 lower, Double256 upper) =>
        // vmaxpd/vminpd return their second operand when either is NaN: with x second, a NaN lane stays NaN.
        Avx.IsSupported
            ? new(Avx.Min(upper._a, Avx.Max(lower._a, x._a)), Avx.Min(upper._b, Avx.Max(lower._b, x._b)))
            : Select(LessThan(x, lower), lower, Select(LessThan(upper, x), upper, x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Double256 value)
    {
        Vector256<double> q = value._a + value._b;
        Vector128<double> h = q.GetLower() + q.GetUpper();
        return h.ToScalar() + h.GetElement(1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(Double256 value)
    {
        Vector256<double> q = Vector256.Max(value._a, value._b);
        Vector128<double> h = Vector128.Max(q.GetLower(), q.GetUpper());
        return double.Max(h.ToScalar(), h.GetElement(1));
    }
}

/// <summary>Sixteen float lanes in two <see cref="Vector256{T}"/> (AVX2): lanes 0–7, then 8–15.</summary>
internal readonly unsafe struct Float256 : IFloatBlock<Float256, Double256>
{
    private readonly Vector256<float> _a;
    private readonly Vector256<float> _b;

    private Float256(Vector256<float> a, Vector256<float> b)
    {
        _a = a;
        _b = b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Create(float value) => new(Vector256.Create(value), Vector256.Create(value));

    public static Float256 LaneIndices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Vector256<float>.Indices, Vector256<float>.Indices + Vector256.Create(8f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Load(float* source) => new(Vector256.Load(source), Vector256.Load(source + 8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Float256 value, float* destination)
    {
        value._a.Store(destination);
        value._b.Store(destination + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 operator +(Float256 left, Float256 right) => new(left._a + right._a, left._b + right._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 operator -(Float256 left, Float256 right) => new(left._a - right._a, left._b - right._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 operator *(Float256 left, Float256 right) => new(left._a * right._a, left._b * right._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 MultiplyAdd(Float256 a, Float256 b, Float256 c) =>
        new(Vector256.MultiplyAddEstimate(a._a, b._a, c._a), Vector256.MultiplyAddEstimate(a._b, b._b, c._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Max(Float256 left, Float256 right) => new(Vector256.Max(left._a, right._a), Vector256.Max(left._b, right._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 MaxNative(Float256 left, Float256 right) => new(Vector256.MaxNative(left._a, right._a), Vector256.MaxNative(left._b, right._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Floor(Float256 value) => new(Vector256.Floor(value._a), Vector256.Floor(value._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 LessThan(Float256 left, Float256 right) =>
        new(Vector256.LessThan(left._a, right._a), Vector256.LessThan(left._b, right._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Equal(Float256 left, Float256 right) =>
        new(Vector256.Equals(left._a, right._a), Vector256.Equals(left._b, right._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Select(Float256 mask, Float256 ifTrue, Float256 ifFalse) =>
        new(Vector256.ConditionalSelect(mask._a, ifTrue._a, ifFalse._a), Vector256.ConditionalSelect(mask._b, ifTrue._b, ifFalse._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(Float256 mask) => mask._a.ExtractMostSignificantBits() | mask._b.ExtractMostSignificantBits() << 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Pow2(Float256 k) => new(Pow2(k._a), Pow2(k._b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Pow2(Vector256<float> k) =>
        (((Vector256.Create(Bits.FloatMagic) + k).AsUInt32() + Vector256.Create(Bits.FloatBias)) << 23).AsSingle();

    public static bool HasScaleInstruction => Avx512F.VL.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 AddExponent(Float256 y, Float256 t) => new((y._a.AsInt32() + (t._a.AsInt32() << 23)).AsSingle(), (y._b.AsInt32() + (t._b.AsInt32() << 23)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyAbsGreaterThan(Float256 value, Float256 bound) =>
        (Vector256.GreaterThan(Vector256.Abs(value._a), bound._a) | Vector256.GreaterThan(Vector256.Abs(value._b), bound._b)).AsUInt32() != Vector256<uint>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 ScaleB(Float256 y, Float256 n)
    {
        return new(Avx512F.VL.Scale(y._a, n._a), Avx512F.VL.Scale(y._b, n._b));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 ClampBelow(Float256 x, Float256 lower) =>
        // vmaxps returns its second operand when either is NaN; a NaN lane stays NaN.
        Avx.IsSupported ? new(Avx.Max(lower._a, x._a), Avx.Max(lower._b, x._b)) : Select(LessThan(x, lower), lower, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumOfCounts(Float256 value) => Vector256.Sum(value._a + value._b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Double256 Lower, Double256 Upper) Widen(Float256 value)
    {
        (Vector256<double> a0, Vector256<double> a1) = Vector256.Widen(value._a);
        (Vector256<double> b0, Vector256<double> b1) = Vector256.Widen(value._b);
        return (new Double256(a0, a1), new Double256(b0, b1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Float256 value)
    {
        Vector256<float> q = Vector256.Max(value._a, value._b);
        Vector128<float> h = Vector128.Max(q.GetLower(), q.GetUpper());
        h = Vector128.Max(h, Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1)));
        return float.Max(h.ToScalar(), h.GetElement(1));
    }
}
