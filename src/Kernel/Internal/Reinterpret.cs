using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xent.Internal;

/// <summary>Views spans of a generic element type as float, for the float paths taken after a <c>typeof(T) == typeof(float)</c> test.</summary>
internal static class Reinterpret
{
    public static ReadOnlySpan<float> AsFloat<T>(ReadOnlySpan<T> span) =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(span)), span.Length);

    public static Span<float> AsFloat<T>(Span<T> span) =>
        MemoryMarshal.CreateSpan(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(span)), span.Length);

    /// <summary>The span as one of <typeparamref name="TTo"/>, for a generic method that has found <typeparamref name="TFrom"/> to be <typeparamref name="TTo"/>.</summary>
    public static ReadOnlySpan<TTo> As<TFrom, TTo>(ReadOnlySpan<TFrom> span) =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TFrom, TTo>(ref MemoryMarshal.GetReference(span)), span.Length);

    /// <summary>The span as one of <typeparamref name="TTo"/>, for a generic method that has found <typeparamref name="TFrom"/> to be <typeparamref name="TTo"/>.</summary>
    public static Span<TTo> As<TFrom, TTo>(Span<TFrom> span) =>
        MemoryMarshal.CreateSpan(ref Unsafe.As<TFrom, TTo>(ref MemoryMarshal.GetReference(span)), span.Length);
}
