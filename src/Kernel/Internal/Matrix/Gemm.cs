using System;
using System.Runtime.CompilerServices;
using Xent.Internal.Parallel;
using Xent.Internal.Vectors;

namespace Xent.Internal.Matrix;

/// <summary>
/// C (=|+=) A·B for float or double, blocked as in GotoBLAS and BLIS: for each panel of up to NC columns and each block
/// of <see cref="Depth"/> values of k, B's block is packed once (in parallel, <see cref="ChunkDriver"/>); then tasks of
/// (up to MC rows of A) × (a group of NR-column strips) each pack their A block and run the micro-kernel
/// (<see cref="ITile"/>) over it, the packed B strip staying in L1 and the packed A block in L2.
/// </summary>
/// <remarks>
/// Deterministic: every element of C is made by one task, as C + Σ over depth blocks in order of (the block's sum,
/// one chain of fused multiply-adds in k order), so its bits depend neither on the thread count nor on the task split
/// nor on the vector width (the depth block is the same for every width). Allocates nothing after warm-up: panels come
/// from <see cref="Scratch"/>.
/// </remarks>
internal static unsafe class Gemm
{
    /// <summary>KC: the depth of one packed block, for every width (an element's sum is grouped by it).</summary>
    public const int Depth = 256;

    /// <summary>C[m × n] = A[m × k]·B[k × n] (or C += A·B when <paramref name="accumulate"/>); C row-major with leading dimension <paramref name="ldc"/>.</summary>
    public static void Multiply<T>(int m, int n, int k, Strided<T> a, Strided<T> b, T* c, nint ldc, bool accumulate)
        where T : unmanaged
    {
        if (m <= 0 || n <= 0)
        {
            return;
        }

        if (k <= 0)
        {
            if (!accumulate)
            {
                for (int i = 0; i < m; i++)
                {
                    new Span<T>(c + i * ldc, n).Clear();
                }
            }

            return;
        }

        switch (Width.Bits)
        {
            case 512:
                Run<T, Tile512>(m, n, k, a, b, c, ldc, accumulate);
                break;
            case 256:
                Run<T, Tile256>(m, n, k, a, b, c, ldc, accumulate);
                break;
            default:
                Run<T, Tile128>(m, n, k, a, b, c, ldc, accumulate);
                break;
        }
    }

    /// <summary>MC: rows of A per packed block (about 288 KiB of packed A).</summary>
    private static int BlockRows<T>() => Unsafe.SizeOf<T>() == 4 ? 288 : 144;

    /// <summary>NC: columns of B per packed panel (about 2 MiB of packed B).</summary>
    private static int PanelColumns<T>() => Unsafe.SizeOf<T>() == 4 ? 2048 : 1024;

    private struct Job<T>
        where T : unmanaged
    {
        public Strided<T> A;
        public Strided<T> B;
        public T* C;
        public nint Ldc;
        public int M;
        public int Columns; // of the current panel
        public int Depth; // of the current block
        public bool Overwrite;
        public T* PackedB;
        public int Strips; // of the panel
        public int StripsPerGroup;
        public int Groups;
        public int PackStripsPerChunk;
    }

    private static void Run<T, TTile>(int m, int n, int k, Strided<T> a, Strided<T> b, T* c, nint ldc, bool accumulate)
        where T : unmanaged
        where TTile : ITile
    {
        int mr = TTile.Rows;
        int nr = TTile.Columns<T>();
        int nc = Math.Min(PanelColumns<T>(), RoundUp(n, nr));
        int mc = BlockRows<T>();
        int mBlocks = (m + mc - 1) / mc;
        int threads = Functional.MaxDegreeOfParallelism;

        nuint panelBytes = (nuint)(nc * Math.Min(Depth, k) * Unsafe.SizeOf<T>());
        (nint panel, nuint panelSize) = Scratch.Rent(panelBytes);
        try
        {
            var job = default(Job<T>);
            job.Ldc = ldc;
            job.M = m;
            job.PackedB = (T*)panel;
            for (int jc = 0; jc < n; jc += nc)
            {
                int columns = Math.Min(nc, n - jc);
                int strips = (columns + nr - 1) / nr;
                int groups = threads <= 1 ? 1 : Math.Clamp((4 * threads + mBlocks - 1) / mBlocks, 1, strips);
                job.Columns = columns;
                job.Strips = strips;
                job.StripsPerGroup = (strips + groups - 1) / groups;
                job.Groups = (strips + job.StripsPerGroup - 1) / job.StripsPerGroup;
                job.PackStripsPerChunk = 16;
                for (int pc = 0; pc < k; pc += Depth)
                {
                    job.Depth = Math.Min(Depth, k - pc);
                    job.Overwrite = pc == 0 && !accumulate;
                    job.A = a.At(0, pc);
                    job.B = b.At(pc, jc);
                    job.C = c + jc;
                    ChunkDriver.For((strips + job.PackStripsPerChunk - 1) / job.PackStripsPerChunk, &PackPanel<T, TTile>, &job);
                    ChunkDriver.For(mBlocks * job.Groups, &Compute<T, TTile>, &job);
                }
            }
        }
        finally
        {
            Scratch.Return(panel, panelSize);
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static void PackPanel<T, TTile>(void* context, int chunk)
        where T : unmanaged
        where TTile : ITile
    {
        ref Job<T> job = ref Unsafe.AsRef<Job<T>>(context);
        int first = chunk * job.PackStripsPerChunk;
        int end = Math.Min(job.Strips, first + job.PackStripsPerChunk);
        Packing.PackB(job.B, job.Columns, job.Depth, TTile.Columns<T>(), first, end, job.PackedB);
    }

    private static void Compute<T, TTile>(void* context, int task)
        where T : unmanaged
        where TTile : ITile
    {
        ref Job<T> job = ref Unsafe.AsRef<Job<T>>(context);
        int mr = TTile.Rows;
        int nr = TTile.Columns<T>();
        int mc = BlockRows<T>();
        int block = task / job.Groups;
        int group = task - block * job.Groups;
        int i0 = block * mc;
        int rows = Math.Min(mc, job.M - i0);
        int depth = job.Depth;
        int firstStrip = group * job.StripsPerGroup;
        int endStrip = Math.Min(job.Strips, firstStrip + job.StripsPerGroup);

        nuint bytes = (nuint)(RoundUp(rows, mr) * depth * Unsafe.SizeOf<T>());
        (nint packed, nuint size) = Scratch.Rent(bytes);
        T* edge = stackalloc T[mr * nr];
        T* packedA = (T*)packed;
        Packing.PackA(job.A.At(i0, 0), rows, depth, mr, packedA);
        for (int strip = firstStrip; strip < endStrip; strip++)
        {
            int j0 = strip * nr;
            int width = Math.Min(nr, job.Columns - j0);
            T* bStrip = job.PackedB + (nint)strip * nr * depth;
            for (int i = 0; i < rows; i += mr)
            {
                int height = Math.Min(mr, rows - i);
                T* aStrip = packedA + (nint)i * depth;
                T* cTile = job.C + (i0 + i) * job.Ldc + j0;
                if (height == mr && width == nr)
                {
                    TTile.Run(depth, aStrip, bStrip, cTile, job.Ldc, job.Overwrite);
                }
                else
                {
                    TTile.Run(depth, aStrip, bStrip, edge, nr, overwrite: true);
                    for (int r = 0; r < height; r++)
                    {
                        T* target = cTile + r * job.Ldc;
                        T* source = edge + r * nr;
                        for (int col = 0; col < width; col++)
                        {
                            target[col] = job.Overwrite ? source[col] : Add(target[col], source[col]);
                        }
                    }
                }
            }
        }

        Scratch.Return(packed, size);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Add<T>(T left, T right)
        where T : unmanaged =>
        typeof(T) == typeof(float)
            ? (T)(object)((float)(object)left + (float)(object)right)
            : (T)(object)((double)(object)left + (double)(object)right);
}
