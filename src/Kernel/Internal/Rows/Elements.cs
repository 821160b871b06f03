using System.Numerics;
using System.Runtime.CompilerServices;
using Xent.Internal.Vectors;

namespace Xent.Internal.Rows;

/// <summary>Eight doubles on the stack: the staging area of a partial block and of element types without a vector form.</summary>
[InlineArray(8)]
internal struct Eight
{
    private double _element;
}

/// <summary>
/// Loads and stores blocks of eight elements of the storage type <typeparamref name="T"/> as doubles: double as is, float
/// widened (exactly) and narrowed (rounded once), any other type (Half, NFloat, ...) converted element by element.
/// </summary>
internal static unsafe class Elements<T>
    where T : IFloatingPointIeee754<T>
{
    public static int Size { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Unsafe.SizeOf<T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Load<TD>(byte* source)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        if (typeof(T) == typeof(double))
        {
            return TD.Load((double*)source);
        }

        if (typeof(T) == typeof(float))
        {
            return TD.LoadWidened((float*)source);
        }

        return LoadConverted<TD>(source);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TD>(TD value, byte* destination)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        if (typeof(T) == typeof(double))
        {
            TD.Store(value, (double*)destination);
        }
        else if (typeof(T) == typeof(float))
        {
            TD.StoreNarrowed(value, (float*)destination);
        }
        else
        {
            StoreConverted(value, destination);
        }
    }

    /// <summary>Eight elements, or the first <paramref name="lanes"/> of them with 0 in the others (they add nothing to a sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD LoadBlock<TD>(byte* source, int lanes)
        where TD : unmanaged, IDoubleBlock<TD> =>
        lanes >= 8 ? Load<TD>(source) : LoadPartial<TD>(source, lanes, 0.0);

    /// <summary>Stores eight lanes, or the first <paramref name="lanes"/> of them; nothing past them is written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBlock<TD>(TD value, byte* destination, int lanes)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        if (lanes >= 8)
        {
            Store(value, destination);
        }
        else
        {
            StorePartial(value, destination, lanes);
        }
    }

    /// <summary>Elements [0, count) of a block (count &lt; 8) with <paramref name="fill"/> in the other lanes; nothing past count is read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD LoadPartial<TD>(byte* source, int count, double fill)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        Eight staged = default;
        for (int k = 0; k < 8; k++)
        {
            staged[k] = k < count ? Read(source, k) : fill;
        }

        return TD.Load((double*)Unsafe.AsPointer(ref staged[0]));
    }

    /// <summary>1 in lanes [0, count), 0 in the others.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD LoadPartialOnes<TD>(int count)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        Eight staged = default;
        for (int k = 0; k < count; k++)
        {
            staged[k] = 1.0;
        }

        return TD.Load((double*)Unsafe.AsPointer(ref staged[0]));
    }

    /// <summary>Stores lanes [0, count) of a block (count ≤ 8); nothing past count is written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial<TD>(TD value, byte* destination, int count)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        Eight staged = default;
        TD.Store(value, (double*)Unsafe.AsPointer(ref staged[0]));
        for (int k = 0; k < count; k++)
        {
            Write(destination, k, staged[k]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Read(byte* source, int index) => double.CreateTruncating(Unsafe.Read<T>(source + (nint)index * Size));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(byte* destination, int index, double value) =>
        Unsafe.Write(destination + (nint)index * Size, T.CreateTruncating(value));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TD LoadConverted<TD>(byte* source)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        Eight staged = default;
        for (int k = 0; k < 8; k++)
        {
            staged[k] = Read(source, k);
        }

        return TD.Load((double*)Unsafe.AsPointer(ref staged[0]));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreConverted<TD>(TD value, byte* destination)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        Eight staged = default;
        TD.Store(value, (double*)Unsafe.AsPointer(ref staged[0]));
        for (int k = 0; k < 8; k++)
        {
            Write(destination, k, staged[k]);
        }
    }
}
