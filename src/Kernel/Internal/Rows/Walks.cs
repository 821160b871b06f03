using System.Numerics;
using System.Runtime.CompilerServices;
using Xent.Internal.Parallel;

namespace Xent.Internal.Rows;

/// <summary>How the engine walks a call's positions.</summary>
internal enum Walk
{
    /// <summary>Contiguous rows (inner = 1) of more than <see cref="WalkShape.SmallClassLimit"/> classes, one at a time.</summary>
    Rows,

    /// <summary>Contiguous rows of few classes, eight at a time, transposed into a <see cref="LaneTile"/> on the stack.</summary>
    Transposed,

    /// <summary>(N, C, d1, ..., dk) layouts: eight neighbouring positions of one outer index as a <see cref="LaneTile"/>, in place.</summary>
    Strided,
}

/// <summary>
/// The one place that decides how a (outer, classes, inner) call is walked and cut into units and chunks: contiguous
/// rows one at a time, rows of few classes eight at a time (transposed), or eight neighbouring positions of a strided
/// layout at a time; units in fixed chunks (<see cref="ChunkDriver.Split"/>), from the shape alone.
/// </summary>
internal readonly struct WalkShape
{
    /// <summary>Contiguous rows of at most this many classes are walked eight at a time, transposed.</summary>
    public const int SmallClassLimit = 32;

    /// <summary>Bytes of one transposed tile: up to <see cref="SmallClassLimit"/> classes × 8 lanes of at most 8 bytes.</summary>
    public const int TileBytes = SmallClassLimit * 8 * sizeof(double);

    public WalkShape(int positions, int classes, int inner)
    {
        Positions = positions;
        Classes = classes;
        Inner = int.Max(1, inner);
        Walk = Inner > 1 ? Walk.Strided : classes <= SmallClassLimit ? Walk.Transposed : Walk.Rows;
        Units = Walk switch
        {
            Walk.Rows => positions,
            Walk.Transposed => (positions + 7) / 8,
            _ => positions / Inner * ((Inner + 7) / 8),
        };
        (UnitsPerChunk, Chunks) = ChunkDriver.Split(Units, Walk == Walk.Rows ? classes : 8L * classes);
    }

    public int Positions { get; }

    public int Classes { get; }

    public int Inner { get; }

    public Walk Walk { get; }

    /// <summary>Rows (<see cref="Walk.Rows"/>) or tiles of eight positions.</summary>
    public int Units { get; }

    public int UnitsPerChunk { get; }

    public int Chunks { get; }

    /// <summary>Units [First, Last) of a chunk.</summary>
    public (int First, int Last) ChunkUnits(int chunk)
    {
        int first = chunk * UnitsPerChunk;
        return (first, int.Min(first + UnitsPerChunk, Units));
    }

    /// <summary>
    /// A tile's first position, its lanes, the byte offset of (lane 0, class 0) in the input's layout and the byte
    /// stride between classes there (for a transposed tile: of its first row, and within the tile, 8 elements).
    /// </summary>
    public (int Position, int Lanes, nint Offset, nint ClassStride) Tile(int unit, int size)
    {
        if (Walk == Walk.Transposed)
        {
            int row = unit * 8;
            return (row, int.Min(8, Positions - row), (nint)row * Classes * size, 8 * size);
        }

        int tilesPerOuter = (Inner + 7) / 8;
        int outer = unit / tilesPerOuter;
        int j0 = unit % tilesPerOuter * 8;
        return (outer * Inner + j0, int.Min(8, Inner - j0), ((nint)outer * Classes * Inner + j0) * size, (nint)Inner * size);
    }

    /// <summary>Copies <paramref name="lanes"/> contiguous rows of C elements into a tile (class c of row k at c·8 + k), or back.</summary>
    public static unsafe void Transpose<T>(byte* rows, byte* tile, int classes, int lanes, bool toTile)
        where T : IFloatingPointIeee754<T>
    {
        int size = Elements<T>.Size;
        for (int k = 0; k < lanes; k++)
        {
            for (int c = 0; c < classes; c++)
            {
                byte* element = rows + ((nint)k * classes + c) * size;
                byte* slot = tile + ((nint)c * 8 + k) * size;
                if (toTile)
                {
                    Unsafe.CopyBlockUnaligned(slot, element, (uint)size);
                }
                else
                {
                    Unsafe.CopyBlockUnaligned(element, slot, (uint)size);
                }
            }
        }
    }
}
