using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Xent.Internal;

/// <summary>
/// Operations on one row of the class dimension: <c>count</c> elements starting at <c>offset</c>, <c>stride</c> apart
/// (stride 1 for (N, C) input, the inner size for (N, C, d1, ..., dk)). Every quantity is computed in double, in
/// chunks converted from <typeparamref name="T"/> with <see cref="TensorPrimitives"/>, so a float32 row gets float64
/// arithmetic with no heap allocation.
/// </summary>
internal static class Rows<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>Elements converted to double at a time (2 KiB of stack).</summary>
    public const int Chunk = 256;

    public static void Load(ReadOnlySpan<T> source, int offset, int stride, Span<double> destination)
    {
        if (stride == 1)
        {
            TensorPrimitives.ConvertTruncating<T, double>(source.Slice(offset, destination.Length), destination);
            return;
        }

        for (int k = 0; k < destination.Length; k++)
        {
            destination[k] = double.CreateTruncating(source[offset + k * stride]);
        }
    }

    public static void Store(ReadOnlySpan<double> source, Span<T> destination, int offset, int stride)
    {
        if (stride == 1)
        {
            TensorPrimitives.ConvertTruncating<double, T>(source, destination.Slice(offset, source.Length));
            return;
        }

        for (int k = 0; k < source.Length; k++)
        {
            destination[offset + k * stride] = T.CreateTruncating(source[k]);
        }
    }

    /// <summary>Sets the row to zero.</summary>
    public static void Clear(Span<T> destination, int offset, int stride, int count)
    {
        if (stride == 1)
        {
            destination.Slice(offset, count).Clear();
            return;
        }

        for (int k = 0; k < count; k++)
        {
            destination[offset + k * stride] = T.Zero;
        }
    }

    /// <summary>The largest element; NaN if any element is NaN.</summary>
    public static double Max(ReadOnlySpan<T> x, int offset, int stride, int count)
    {
        if (stride == 1)
        {
            return double.CreateTruncating(TensorPrimitives.Max(x.Slice(offset, count)));
        }

        T max = T.NegativeInfinity;
        for (int k = 0; k < count; k++)
        {
            T v = x[offset + k * stride];
            if (T.IsNaN(v))
            {
                return double.NaN;
            }

            if (v > max)
            {
                max = v;
            }
        }

        return double.CreateTruncating(max);
    }

    /// <summary>Σ exp(xₖ − shift).</summary>
    public static double SumExp(ReadOnlySpan<T> x, int offset, int stride, int count, double shift)
    {
        Span<double> buffer = stackalloc double[Chunk];
        double total = 0;
        for (int start = 0; start < count; start += Chunk)
        {
            Span<double> b = buffer[..Math.Min(Chunk, count - start)];
            Load(x, offset + start * stride, stride, b);
            TensorPrimitives.Subtract(b, shift, b);
            TensorPrimitives.Exp(b, b);
            total += TensorPrimitives.Sum<double>(b);
        }

        return total;
    }

    /// <summary>destinationₖ = exp(xₖ − shift) / divisor. The destination may be <paramref name="x"/> itself.</summary>
    public static void WriteExpDivided(ReadOnlySpan<T> x, Span<T> destination, int offset, int stride, int count, double shift, double divisor)
    {
        Span<double> buffer = stackalloc double[Chunk];
        for (int start = 0; start < count; start += Chunk)
        {
            Span<double> b = buffer[..Math.Min(Chunk, count - start)];
            int at = offset + start * stride;
            Load(x, at, stride, b);
            TensorPrimitives.Subtract(b, shift, b);
            TensorPrimitives.Exp(b, b);
            TensorPrimitives.Divide(b, divisor, b);
            Store(b, destination, at, stride);
        }
    }

    /// <summary>destinationₖ = (xₖ − shift) − offsetAfter. The destination may be <paramref name="x"/> itself.</summary>
    public static void WriteShifted(ReadOnlySpan<T> x, Span<T> destination, int offset, int stride, int count, double shift, double offsetAfter)
    {
        Span<double> buffer = stackalloc double[Chunk];
        for (int start = 0; start < count; start += Chunk)
        {
            Span<double> b = buffer[..Math.Min(Chunk, count - start)];
            int at = offset + start * stride;
            Load(x, at, stride, b);
            TensorPrimitives.Subtract(b, shift, b);
            TensorPrimitives.Subtract(b, offsetAfter, b);
            Store(b, destination, at, stride);
        }
    }
}
