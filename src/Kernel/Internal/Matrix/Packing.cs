using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Xent.Internal.Vectors;

namespace Xent.Internal.Matrix;

/// <summary>
/// Copies blocks of the operands into the layout the micro-kernel reads in order (<see cref="ITile"/>): A in strips of
/// MR rows, each stored column by column (MR values per k); B in strips of NR columns, each stored row by row (NR values
/// per k). A partial last strip is padded with zeros, so the micro-kernel always runs whole tiles.
/// </summary>
internal static unsafe class Packing
{
    /// <summary>Packs rows × depth elements of A starting at <paramref name="a"/> into strips of <paramref name="stripRows"/> rows.</summary>
    [MethodImpl(Compile.HotLoop)]
    public static void PackA<T>(Strided<T> a, int rows, int depth, int stripRows, T* destination)
        where T : unmanaged
    {
        for (int s = 0; s < rows; s += stripRows)
        {
            int height = System.Math.Min(stripRows, rows - s);
            T* from = a.Origin + s * a.RowStride;
            if (a.RowStride == 1)
            {
                // Columns contiguous: each k is a run of `height` values.
                for (int k = 0; k < depth; k++)
                {
                    T* source = from + k * a.ColumnStride;
                    T* target = destination + k * stripRows;
                    int i = 0;
                    for (; i < height; i++)
                    {
                        target[i] = source[i];
                    }

                    for (; i < stripRows; i++)
                    {
                        target[i] = default;
                    }
                }
            }
            else
            {
                // Rows contiguous (column stride 1) or general: row i of the strip is read along k and scattered.
                for (int i = 0; i < height; i++)
                {
                    T* source = from + i * a.RowStride;
                    T* target = destination + i;
                    nint step = a.ColumnStride;
                    for (int k = 0; k < depth; k++)
                    {
                        target[k * stripRows] = source[k * step];
                    }
                }

                for (int i = height; i < stripRows; i++)
                {
                    for (int k = 0; k < depth; k++)
                    {
                        destination[k * stripRows + i] = default;
                    }
                }
            }

            destination += stripRows * depth;
        }
    }

    /// <summary>Packs strips [firstStrip, endStrip) of NR = <paramref name="stripColumns"/> columns of a depth × columns block of B starting at <paramref name="b"/>.</summary>
    [MethodImpl(Compile.HotLoop)]
    public static void PackB<T>(Strided<T> b, int columns, int depth, int stripColumns, int firstStrip, int endStrip, T* destination)
        where T : unmanaged
    {
        destination += (nint)firstStrip * stripColumns * depth;
        for (int strip = firstStrip; strip < endStrip; strip++)
        {
            int s = strip * stripColumns;
            int width = System.Math.Min(stripColumns, columns - s);
            T* from = b.Origin + s * b.ColumnStride;
            if (b.ColumnStride == 1)
            {
                // Rows contiguous: each k is a run of `width` values.
                for (int k = 0; k < depth; k++)
                {
                    T* source = from + k * b.RowStride;
                    T* target = destination + k * stripColumns;
                    int j = 0;
                    if (width == stripColumns)
                    {
                        for (; j + Vector128<T>.Count <= width; j += Vector128<T>.Count)
                        {
                            Vector128.Store(Vector128.Load(source + j), target + j);
                        }
                    }

                    for (; j < width; j++)
                    {
                        target[j] = source[j];
                    }

                    for (; j < stripColumns; j++)
                    {
                        target[j] = default;
                    }
                }
            }
            else
            {
                // Columns contiguous along k (row stride 1) or general: column j of the strip is read along k and scattered.
                for (int j = 0; j < width; j++)
                {
                    T* source = from + j * b.ColumnStride;
                    T* target = destination + j;
                    nint step = b.RowStride;
                    for (int k = 0; k < depth; k++)
                    {
                        target[k * stripColumns] = source[k * step];
                    }
                }

                for (int j = width; j < stripColumns; j++)
                {
                    for (int k = 0; k < depth; k++)
                    {
                        destination[k * stripColumns + j] = default;
                    }
                }
            }

            destination += stripColumns * depth;
        }
    }
}
