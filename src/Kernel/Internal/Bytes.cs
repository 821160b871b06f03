using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xent.Internal;

/// <summary>The memory of a span as a byte range, so that spans of different element types can be checked for overlap.</summary>
internal readonly ref struct Bytes
{
    private readonly ref byte _start;
    private readonly nint _length;

    private Bytes(ref byte start, nint length)
    {
        _start = ref start;
        _length = length;
    }

    public static Bytes Of<TElement>(ReadOnlySpan<TElement> span) =>
        new(ref Unsafe.As<TElement, byte>(ref MemoryMarshal.GetReference(span)), (nint)span.Length * Unsafe.SizeOf<TElement>());

    public static Bytes Of<TElement>(Span<TElement> span) => Of((ReadOnlySpan<TElement>)span);

    /// <summary><paramref name="count"/> elements from <paramref name="start"/>, for memory longer than a span (tensor spans past 2³¹ elements).</summary>
    public static Bytes Of<TElement>(ref TElement start, nint count) =>
        new(ref Unsafe.As<TElement, byte>(ref start), count * Unsafe.SizeOf<TElement>());

    /// <summary>Whether the two ranges share a byte (an empty range shares none).</summary>
    public bool Overlaps(Bytes other)
    {
        if (_length == 0 || other._length == 0)
        {
            return false;
        }

        nint distance = Unsafe.ByteOffset(ref Unsafe.AsRef(in _start), ref Unsafe.AsRef(in other._start));
        return distance < _length && -distance < other._length;
    }

    /// <summary>Whether the two ranges start at the same byte.</summary>
    public bool SameStart(Bytes other) => Unsafe.AreSame(ref Unsafe.AsRef(in _start), ref Unsafe.AsRef(in other._start));
}
