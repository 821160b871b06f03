namespace Xent.Internal.Matrix;

/// <summary>A matrix view: element (r, c) at <see cref="Origin"/>[r·<see cref="RowStride"/> + c·<see cref="ColumnStride"/>] (strides in elements; either may be 1, so a transpose is a view).</summary>
internal readonly unsafe struct Strided<T>
    where T : unmanaged
{
    public readonly T* Origin;
    public readonly nint RowStride;
    public readonly nint ColumnStride;

    public Strided(T* origin, nint rowStride, nint columnStride)
    {
        Origin = origin;
        RowStride = rowStride;
        ColumnStride = columnStride;
    }

    /// <summary>A row-major matrix with <paramref name="leading"/> elements from one row to the next.</summary>
    public static Strided<T> RowMajor(T* origin, nint leading) => new(origin, leading, 1);

    /// <summary>The transpose of a row-major matrix with <paramref name="leading"/> elements from one row to the next.</summary>
    public static Strided<T> Transposed(T* origin, nint leading) => new(origin, 1, leading);

    /// <summary>The view starting at element (row, column).</summary>
    public Strided<T> At(int row, int column) => new(Origin + row * RowStride + column * ColumnStride, RowStride, ColumnStride);
}
