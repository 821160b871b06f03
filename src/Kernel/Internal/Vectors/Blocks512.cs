using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Internal.Vectors;

/// <summary>Eight double lanes in one <see cref="Vector512{T}"/> (AVX-512).</summary>
internal readonly unsafe struct Double512 : IDoubleBlock<Double512>
{
    private readonly Vector512<double> _v;

    internal Double512(Vector512<double> v) => _v = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Create(double value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Load(double* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 LoadWidened(float* source)
    {
        Vector256<float> v = Vector256.Load(source);
        return Avx512F.IsSupported
            ? new(Avx512F.ConvertToVector512Double(v))
            : new(Vector512.Create(Vector256.WidenLower(v), Vector256.WidenUpper(v)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Double512 value, double* destination) => value._v.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNarrowed(Double512 value, float* destination)
    {
        // One rounding per lane either way (vcvtpd2ps under the default rounding mode).
        if (Avx512F.IsSupported)
        {
            Avx512F.ConvertToVector256Single(value._v).Store(destination);
        }
        else
        {
            Vector256.Narrow(value._v.GetLower(), value._v.GetUpper()).Store(destination);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 operator +(Double512 left, Double512 right) => new(left._v + right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 operator -(Double512 left, Double512 right) => new(left._v - right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 operator *(Double512 left, Double512 right) => new(left._v * right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 operator /(Double512 left, Double512 right) => new(left._v / right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 MultiplyAdd(Double512 a, Double512 b, Double512 c) => new(Vector512.MultiplyAddEstimate(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 operator -(Double512 value) => new(-value._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 operator &(Double512 left, Double512 right) => new(left._v & right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 operator |(Double512 left, Double512 right) => new(left._v | right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 ShiftRightLogical(Double512 value, int count) =>
        new(Vector512.ShiftRightLogical(value._v.AsUInt64(), count).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Max(Double512 left, Double512 right) => new(Vector512.Max(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Min(Double512 left, Double512 right) => new(Vector512.Min(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Floor(Double512 value) => new(Vector512.Floor(value._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Abs(Double512 value) => new(Vector512.Abs(value._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 GreaterThanOrEqual(Double512 left, Double512 right) => new(Vector512.GreaterThanOrEqual(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 LessThan(Double512 left, Double512 right) => new(Vector512.LessThan(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Equal(Double512 left, Double512 right) => new(Vector512.Equals(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 IsNaN(Double512 value) => new(Vector512.IsNaN(value._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Select(Double512 mask, Double512 ifTrue, Double512 ifFalse) =>
        new(Vector512.ConditionalSelect(mask._v, ifTrue._v, ifFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(Double512 mask) => (uint)mask._v.ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Pow2(Double512 k) =>
        new((((Vector512.Create(Bits.DoubleMagic) + k._v).AsUInt64() + Vector512.Create(Bits.DoubleBias)) << 52).AsDouble());

    public static bool HasScaleInstruction => Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 AddExponent(Double512 y, Double512 t) => new((y._v.AsInt64() + (t._v.AsInt64() << 52)).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyAbsGreaterThan(Double512 value, Double512 bound) => Vector512.GreaterThanAny(Vector512.Abs(value._v), bound._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 ScaleB(Double512 y, Double512 n)
    {
        return new(Avx512F.Scale(y._v, n._v));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Clamp(Double512 x, Double512 lower, Double512 upper) =>
        // vmaxpd/vminpd return their second operand when either is NaN: with x second, a NaN lane stays NaN.
        Avx512F.IsSupported ? new(Avx512F.Min(upper._v, Avx512F.Max(lower._v, x._v))) : Select(LessThan(x, lower), lower, Select(LessThan(upper, x), upper, x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Double512 value)
    {
        Vector256<double> q = value._v.GetLower() + value._v.GetUpper();
        Vector128<double> h = q.GetLower() + q.GetUpper();
        return h.ToScalar() + h.GetElement(1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(Double512 value)
    {
        Vector256<double> q = Vector256.Max(value._v.GetLower(), value._v.GetUpper());
        Vector128<double> h = Vector128.Max(q.GetLower(), q.GetUpper());
        return double.Max(h.ToScalar(), h.GetElement(1));
    }
}

/// <summary>Sixteen float lanes in one <see cref="Vector512{T}"/> (AVX-512).</summary>
internal readonly unsafe struct Float512 : IFloatBlock<Float512, Double512>
{
    private readonly Vector512<float> _v;

    private Float512(Vector512<float> v) => _v = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Create(float value) => new(Vector512.Create(value));

    public static Float512 LaneIndices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Vector512<float>.Indices);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Load(float* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Float512 value, float* destination) => value._v.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 operator +(Float512 left, Float512 right) => new(left._v + right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 operator -(Float512 left, Float512 right) => new(left._v - right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 operator *(Float512 left, Float512 right) => new(left._v * right._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 MultiplyAdd(Float512 a, Float512 b, Float512 c) => new(Vector512.MultiplyAddEstimate(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Max(Float512 left, Float512 right) => new(Vector512.Max(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 MaxNative(Float512 left, Float512 right) => new(Vector512.MaxNative(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Floor(Float512 value) => new(Vector512.Floor(value._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 LessThan(Float512 left, Float512 right) => new(Vector512.LessThan(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Equal(Float512 left, Float512 right) => new(Vector512.Equals(left._v, right._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Select(Float512 mask, Float512 ifTrue, Float512 ifFalse) =>
        new(Vector512.ConditionalSelect(mask._v, ifTrue._v, ifFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(Float512 mask) => (uint)mask._v.ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Pow2(Float512 k) =>
        new((((Vector512.Create(Bits.FloatMagic) + k._v).AsUInt32() + Vector512.Create(Bits.FloatBias)) << 23).AsSingle());

    public static bool HasScaleInstruction => Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 AddExponent(Float512 y, Float512 t) => new((y._v.AsInt32() + (t._v.AsInt32() << 23)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyAbsGreaterThan(Float512 value, Float512 bound) => Vector512.GreaterThanAny(Vector512.Abs(value._v), bound._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 ScaleB(Float512 y, Float512 n)
    {
        return new(Avx512F.Scale(y._v, n._v));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 ClampBelow(Float512 x, Float512 lower) =>
        // vmaxps returns its second operand when either is NaN: with x second, a NaN lane stays NaN.
        Avx512F.IsSupported ? new(Avx512F.Max(lower._v, x._v)) : Select(LessThan(x, lower), lower, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumOfCounts(Float512 value) => Vector512.Sum(value._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Double512 Lower, Double512 Upper) Widen(Float512 value)
    {
        (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(value._v);
        return (new Double512(lower), new Double512(upper));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Float512 value)
    {
        Vector256<float> q = Vector256.Max(value._v.GetLower(), value._v.GetUpper());
        Vector128<float> h = Vector128.Max(q.GetLower(), q.GetUpper());
        h = Vector128.Max(h, Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1)));
        return float.Max(h.ToScalar(), h.GetElement(1));
    }
}
