using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Xent.Internal.Vectors;

/// <summary>Eight double lanes in four <see cref="Vector128{T}"/> (SSE, Arm64 AdvSimd): lanes 0–1, 2–3, 4–5, 6–7.</summary>
internal readonly unsafe struct Double128 : IDoubleBlock<Double128>
{
    private readonly Vector128<double> _a;
    private readonly Vector128<double> _b;
    private readonly Vector128<double> _c;
    private readonly Vector128<double> _d;

    internal Double128(Vector128<double> a, Vector128<double> b, Vector128<double> c, Vector128<double> d)
    {
        _a = a;
        _b = b;
        _c = c;
        _d = d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 Create(double value)
    {
        Vector128<double> v = Vector128.Create(value);
        return new(v, v, v, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 Load(double* source) =>
        new(Vector128.Load(source), Vector128.Load(source + 2), Vector128.Load(source + 4), Vector128.Load(source + 6));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 LoadWidened(float* source)
    {
        Vector128<float> low = Vector128.Load(source);
        Vector128<float> high = Vector128.Load(source + 4);
        return new(Vector128.WidenLower(low), Vector128.WidenUpper(low), Vector128.WidenLower(high), Vector128.WidenUpper(high));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Double128 value, double* destination)
    {
        value._a.Store(destination);
        value._b.Store(destination + 2);
        value._c.Store(destination + 4);
        value._d.Store(destination + 6);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNarrowed(Double128 value, float* destination)
    {
        Vector128.Narrow(value._a, value._b).Store(destination);
        Vector128.Narrow(value._c, value._d).Store(destination + 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 operator +(Double128 l, Double128 r) => new(l._a + r._a, l._b + r._b, l._c + r._c, l._d + r._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 operator -(Double128 l, Double128 r) => new(l._a - r._a, l._b - r._b, l._c - r._c, l._d - r._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 operator *(Double128 l, Double128 r) => new(l._a * r._a, l._b * r._b, l._c * r._c, l._d * r._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 operator /(Double128 l, Double128 r) => new(l._a / r._a, l._b / r._b, l._c / r._c, l._d / r._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 MultiplyAdd(Double128 a, Double128 b, Double128 c) =>
        new(Vector128.MultiplyAddEstimate(a._a, b._a, c._a), Vector128.MultiplyAddEstimate(a._b, b._b, c._b),
            Vector128.MultiplyAddEstimate(a._c, b._c, c._c), Vector128.MultiplyAddEstimate(a._d, b._d, c._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 operator -(Double128 value) => new(-value._a, -value._b, -value._c, -value._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 operator &(Double128 l, Double128 r) => new(l._a & r._a, l._b & r._b, l._c & r._c, l._d & r._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 operator |(Double128 l, Double128 r) => new(l._a | r._a, l._b | r._b, l._c | r._c, l._d | r._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 ShiftRightLogical(Double128 v, int count) =>
        new(Vector128.ShiftRightLogical(v._a.AsUInt64(), count).AsDouble(), Vector128.ShiftRightLogical(v._b.AsUInt64(), count).AsDouble(),
            Vector128.ShiftRightLogical(v._c.AsUInt64(), count).AsDouble(), Vector128.ShiftRightLogical(v._d.AsUInt64(), count).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 Max(Double128 l, Double128 r) =>
        new(Vector128.Max(l._a, r._a), Vector128.Max(l._b, r._b), Vector128.Max(l._c, r._c), Vector128.Max(l._d, r._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 Min(Double128 l, Double128 r) =>
        new(Vector128.Min(l._a, r._a), Vector128.Min(l._b, r._b), Vector128.Min(l._c, r._c), Vector128.Min(l._d, r._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 Floor(Double128 v) => new(Vector128.Floor(v._a), Vector128.Floor(v._b), Vector128.Floor(v._c), Vector128.Floor(v._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 Abs(Double128 v) => new(Vector128.Abs(v._a), Vector128.Abs(v._b), Vector128.Abs(v._c), Vector128.Abs(v._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 LessThan(Double128 l, Double128 r) =>
        new(Vector128.LessThan(l._a, r._a), Vector128.LessThan(l._b, r._b), Vector128.LessThan(l._c, r._c), Vector128.LessThan(l._d, r._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 GreaterThanOrEqual(Double128 l, Double128 r) =>
        new(Vector128.GreaterThanOrEqual(l._a, r._a), Vector128.GreaterThanOrEqual(l._b, r._b),
            Vector128.GreaterThanOrEqual(l._c, r._c), Vector128.GreaterThanOrEqual(l._d, r._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 Equal(Double128 l, Double128 r) =>
        new(Vector128.Equals(l._a, r._a), Vector128.Equals(l._b, r._b), Vector128.Equals(l._c, r._c), Vector128.Equals(l._d, r._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 IsNaN(Double128 v) => new(Vector128.IsNaN(v._a), Vector128.IsNaN(v._b), Vector128.IsNaN(v._c), Vector128.IsNaN(v._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 Select(Double128 m, Double128 t, Double128 f) =>
        new(Vector128.ConditionalSelect(m._a, t._a, f._a), Vector128.ConditionalSelect(m._b, t._b, f._b),
            Vector128.ConditionalSelect(m._c, t._c, f._c), Vector128.ConditionalSelect(m._d, t._d, f._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(Double128 m) =>
        m._a.ExtractMostSignificantBits() | m._b.ExtractMostSignificantBits() << 2
        | m._c.ExtractMostSignificantBits() << 4 | m._d.ExtractMostSignificantBits() << 6;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 Pow2(Double128 k) => new(Pow2(k._a), Pow2(k._b), Pow2(k._c), Pow2(k._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<double> Pow2(Vector128<double> k) =>
        (((Vector128.Create(Bits.DoubleMagic) + k).AsUInt64() + Vector128.Create(Bits.DoubleBias)) << 52).AsDouble();

    public static bool HasScaleInstruction => Avx512F.VL.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 AddExponent(Double128 y, Double128 t) => new((y._a.AsInt64() + (t._a.AsInt64() << 52)).AsDouble(), (y._b.AsInt64() + (t._b.AsInt64() << 52)).AsDouble(), (y._c.AsInt64() + (t._c.AsInt64() << 52)).AsDouble(), (y._d.AsInt64() + (t._d.AsInt64() << 52)).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyAbsGreaterThan(Double128 value, Double128 bound) =>
        (Vector128.GreaterThan(Vector128.Abs(value._a), bound._a) | Vector128.GreaterThan(Vector128.Abs(value._b), bound._b) | Vector128.GreaterThan(Vector128.Abs(value._c), bound._c) | Vector128.GreaterThan(Vector128.Abs(value._d), bound._d)).AsUInt64() != Vector128<ulong>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 ScaleB(Double128 y, Double128 n)
    {
        return new(Avx512F.VL.Scale(y._a, n._a), Avx512F.VL.Scale(y._b, n._b), Avx512F.VL.Scale(y._c, n._c), Avx512F.VL.Scale(y._d, n._d));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double128 Clamp(Double128 x, Double128 lower, Double128 upper) =>
        Select(LessThan(x, lower), lower, Select(LessThan(upper, x), upper, x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Double128 v)
    {
        Vector128<double> h = (v._a + v._c) + (v._b + v._d);
        return h.ToScalar() + h.GetElement(1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(Double128 v)
    {
        Vector128<double> h = Vector128.Max(Vector128.Max(v._a, v._c), Vector128.Max(v._b, v._d));
        return double.Max(h.ToScalar(), h.GetElement(1));
    }
}

/// <summary>Sixteen float lanes in four <see cref="Vector128{T}"/> (SSE, Arm64 AdvSimd): lanes 0–3, 4–7, 8–11, 12–15.</summary>
internal readonly unsafe struct Float128 : IFloatBlock<Float128, Double128>
{
    private readonly Vector128<float> _a;
    private readonly Vector128<float> _b;
    private readonly Vector128<float> _c;
    private readonly Vector128<float> _d;

    private Float128(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d)
    {
        _a = a;
        _b = b;
        _c = c;
        _d = d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 Create(float value)
    {
        Vector128<float> v = Vector128.Create(value);
        return new(v, v, v, v);
    }

    public static Float128 LaneIndices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            Vector128<float> i = Vector128<float>.Indices;
            return new(i, i + Vector128.Create(4f), i + Vector128.Create(8f), i + Vector128.Create(12f));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 Load(float* source) =>
        new(Vector128.Load(source), Vector128.Load(source + 4), Vector128.Load(source + 8), Vector128.Load(source + 12));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Float128 value, float* destination)
    {
        value._a.Store(destination);
        value._b.Store(destination + 4);
        value._c.Store(destination + 8);
        value._d.Store(destination + 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 operator +(Float128 l, Float128 r) => new(l._a + r._a, l._b + r._b, l._c + r._c, l._d + r._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 operator -(Float128 l, Float128 r) => new(l._a - r._a, l._b - r._b, l._c - r._c, l._d - r._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 operator *(Float128 l, Float128 r) => new(l._a * r._a, l._b * r._b, l._c * r._c, l._d * r._d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 MultiplyAdd(Float128 a, Float128 b, Float128 c) =>
        new(Vector128.MultiplyAddEstimate(a._a, b._a, c._a), Vector128.MultiplyAddEstimate(a._b, b._b, c._b),
            Vector128.MultiplyAddEstimate(a._c, b._c, c._c), Vector128.MultiplyAddEstimate(a._d, b._d, c._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 Max(Float128 l, Float128 r) =>
        new(Vector128.Max(l._a, r._a), Vector128.Max(l._b, r._b), Vector128.Max(l._c, r._c), Vector128.Max(l._d, r._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 MaxNative(Float128 l, Float128 r) =>
        new(Vector128.MaxNative(l._a, r._a), Vector128.MaxNative(l._b, r._b), Vector128.MaxNative(l._c, r._c), Vector128.MaxNative(l._d, r._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 LessThan(Float128 l, Float128 r) =>
        new(Vector128.LessThan(l._a, r._a), Vector128.LessThan(l._b, r._b), Vector128.LessThan(l._c, r._c), Vector128.LessThan(l._d, r._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 Floor(Float128 v) => new(Vector128.Floor(v._a), Vector128.Floor(v._b), Vector128.Floor(v._c), Vector128.Floor(v._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 Equal(Float128 l, Float128 r) =>
        new(Vector128.Equals(l._a, r._a), Vector128.Equals(l._b, r._b), Vector128.Equals(l._c, r._c), Vector128.Equals(l._d, r._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 Select(Float128 m, Float128 t, Float128 f) =>
        new(Vector128.ConditionalSelect(m._a, t._a, f._a), Vector128.ConditionalSelect(m._b, t._b, f._b),
            Vector128.ConditionalSelect(m._c, t._c, f._c), Vector128.ConditionalSelect(m._d, t._d, f._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(Float128 m) =>
        m._a.ExtractMostSignificantBits() | m._b.ExtractMostSignificantBits() << 4
        | m._c.ExtractMostSignificantBits() << 8 | m._d.ExtractMostSignificantBits() << 12;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 Pow2(Float128 k) => new(Pow2(k._a), Pow2(k._b), Pow2(k._c), Pow2(k._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Pow2(Vector128<float> k) =>
        (((Vector128.Create(Bits.FloatMagic) + k).AsUInt32() + Vector128.Create(Bits.FloatBias)) << 23).AsSingle();

    public static bool HasScaleInstruction => Avx512F.VL.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 AddExponent(Float128 y, Float128 t) => new((y._a.AsInt32() + (t._a.AsInt32() << 23)).AsSingle(), (y._b.AsInt32() + (t._b.AsInt32() << 23)).AsSingle(), (y._c.AsInt32() + (t._c.AsInt32() << 23)).AsSingle(), (y._d.AsInt32() + (t._d.AsInt32() << 23)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyAbsGreaterThan(Float128 value, Float128 bound) =>
        (Vector128.GreaterThan(Vector128.Abs(value._a), bound._a) | Vector128.GreaterThan(Vector128.Abs(value._b), bound._b) | Vector128.GreaterThan(Vector128.Abs(value._c), bound._c) | Vector128.GreaterThan(Vector128.Abs(value._d), bound._d)).AsUInt32() != Vector128<uint>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 ScaleB(Float128 y, Float128 n)
    {
        return new(Avx512F.VL.Scale(y._a, n._a), Avx512F.VL.Scale(y._b, n._b), Avx512F.VL.Scale(y._c, n._c), Avx512F.VL.Scale(y._d, n._d));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float128 ClampBelow(Float128 x, Float128 lower) =>
        // maxps returns its second operand when either is NaN; AdvSimd's fmax returns NaN: a NaN lane stays NaN.
        Sse.IsSupported ? new(Sse.Max(lower._a, x._a), Sse.Max(lower._b, x._b), Sse.Max(lower._c, x._c), Sse.Max(lower._d, x._d))
        : AdvSimd.IsSupported ? new(AdvSimd.Max(lower._a, x._a), AdvSimd.Max(lower._b, x._b), AdvSimd.Max(lower._c, x._c), AdvSimd.Max(lower._d, x._d))
        : Select(LessThan(x, lower), lower, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumOfCounts(Float128 value) => Vector128.Sum((value._a + value._b) + (value._c + value._d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Double128 Lower, Double128 Upper) Widen(Float128 v) =>
        (new Double128(Vector128.WidenLower(v._a), Vector128.WidenUpper(v._a), Vector128.WidenLower(v._b), Vector128.WidenUpper(v._b)),
         new Double128(Vector128.WidenLower(v._c), Vector128.WidenUpper(v._c), Vector128.WidenLower(v._d), Vector128.WidenUpper(v._d)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Float128 v)
    {
        Vector128<float> h = Vector128.Max(Vector128.Max(v._a, v._c), Vector128.Max(v._b, v._d));
        h = Vector128.Max(h, Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1)));
        return float.Max(h.ToScalar(), h.GetElement(1));
    }
}
