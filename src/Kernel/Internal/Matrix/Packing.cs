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
                // Rows contiguous (column stride 1) or general: the strip's rows are read side by side, k by k, so that
                // the writes run in order and each row's cache line serves the next k's.
                PackAcross(from, a.RowStride, a.ColumnStride, height, depth, stripRows, destination);
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
                // Columns contiguous along k (row stride 1) or general: the strip's columns are read side by side, k by k.
                PackAcross(from, b.ColumnStride, b.RowStride, width, depth, stripColumns, destination);
            }

            destination += stripColumns * depth;
        }
    }

    /// <summary>
    /// destination[k·lanes + i] = source[i·laneStride + k·depthStride] for i &lt; count (0 for count ≤ i &lt; lanes), k &lt; depth:
    /// <paramref name="count"/> lines of the source (rows of A, columns of B) interleaved into k-major order.
    /// </summary>
    [MethodImpl(Compile.HotLoop)]
    private static void PackAcross<T>(T* source, nint laneStride, nint depthStride, int count, int depth, int lanes, T* destination)
        where T : unmanaged
    {
        T** lines = stackalloc T*[lanes];
        for (int i = 0; i < lanes; i++)
        {
            lines[i] = source + (i < count ? i : 0) * laneStride;
        }

        if (depthStride == 1)
        {
            int k = 0;
            if (count == lanes)
            {
                // Four k's per line read: one pass over the line pointers serves four output rows.
                for (; k + 4 <= depth; k += 4)
                {
                    for (int i = 0; i < lanes; i++)
                    {
                        T* line = lines[i] + k;
                        destination[i] = line[0];
                        destination[lanes + i] = line[1];
                        destination[2 * lanes + i] = line[2];
                        destination[3 * lanes + i] = line[3];
                    }

                    destination += 4 * lanes;
                }
            }

            for (; k < depth; k++)
            {
                int i = 0;
                for (; i < count; i++)
                {
                    destination[i] = lines[i][k];
                }

                for (; i < lanes; i++)
                {
                    destination[i] = default;
                }

                destination += lanes;
            }

            return;
        }

        for (int k = 0; k < depth; k++)
        {
            nint offset = k * depthStride;
            int i = 0;
            for (; i < count; i++)
            {
                destination[i] = lines[i][offset];
            }

            for (; i < lanes; i++)
            {
                destination[i] = default;
            }

            destination += lanes;
        }
    }
}
