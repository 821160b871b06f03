using System;
using System.Runtime.CompilerServices;
using Xent.Internal.Parallel;
using Xent.Internal.Vectors;

namespace Xent.Internal.Matrix;

/// <summary>
/// C (=|+=) A·B for float or double, blocked as in GotoBLAS and BLIS: for each panel of up to NC columns, each block
/// of <see cref="Depth"/> values of k and each run of up to eight MC-row blocks of A, the blocks of B and A are packed
/// once, in parallel (<see cref="ChunkDriver"/>), and shared; then tasks of (MC rows of A) × (a group of NR-column
/// strips) run the micro-kernel (<see cref="ITile"/>), the packed B strip staying in L1 and the packed A block in L2.
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

    /// <summary>
    /// C[m × n] = A[m × k]·B[k × n] (or C += A·B when <paramref name="accumulate"/>); C row-major with leading dimension
    /// <paramref name="ldc"/>. <paramref name="workspace"/> holds at least <see cref="WorkspaceBytes{T}"/>(m, n, k) bytes,
    /// 64-byte aligned, or is null for working memory from <see cref="Scratch"/>.
    /// </summary>
    public static void Multiply<T>(int m, int n, int k, Strided<T> a, Strided<T> b, T* c, nint ldc, bool accumulate, byte* workspace = null)
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
                Run<T, Tile512>(m, n, k, a, b, c, ldc, accumulate, workspace);
                break;
            case 256:
                Run<T, Tile256>(m, n, k, a, b, c, ldc, accumulate, workspace);
                break;
            default:
                Run<T, Tile128>(m, n, k, a, b, c, ldc, accumulate, workspace);
                break;
        }
    }

    /// <summary>MC: rows of A per packed block (about 288 KiB of packed A).</summary>
    private static int BlockRows<T>() => Unsafe.SizeOf<T>() == 4 ? 288 : 144;

    /// <summary>NC: columns of B per packed panel (about 2 MiB of packed B).</summary>
    private static int PanelColumns<T>() => Unsafe.SizeOf<T>() == 4 ? 2048 : 1024;

    /// <summary>Rows of A packed at once and shared by every task (eight blocks of <see cref="BlockRows{T}"/>; about 2.3 MiB).</summary>
    private static int SharedRows<T>() => 8 * BlockRows<T>();

    /// <summary>NR strips of A packed by one packing chunk.</summary>
    private const int StripsPerPackChunk = 8;

    /// <summary>NR strips of B packed by one packing chunk (fewer than of A: B's strips are wider and often gathered across rows).</summary>
    private const int BStripsPerPackChunk = 2;

    private struct Job<T>
        where T : unmanaged
    {
        public Strided<T> A; // at (first row of the shared rows, first k of the block)
        public Strided<T> B; // at (first k of the block, first column of the panel)
        public T* C; // at (first row of the shared rows, first column of the panel)
        public nint Ldc;
        public int Rows; // of the shared rows
        public int Columns; // of the panel
        public int Depth; // of the block
        public bool Overwrite;
        public T* PackedA;
        public T* PackedB;
        public int AStrips;
        public int AChunks; // packing chunks of A; 0 when B alone is packed
        public int BStrips;
        public int BChunks; // packing chunks of B; 0 when A alone is packed
        public int StripsPerGroup;
        public int Groups;
    }

    /// <summary>The bytes of working memory a product of these sizes uses: the packed panel of B and the packed rows of A (each rounded up to 64 bytes).</summary>
    public static nuint WorkspaceBytes<T>(int m, int n, int k)
        where T : unmanaged
    {
        (nuint panel, nuint rows) = Sizes<T>(m, n, k);
        return panel + rows;
    }

    /// <summary>The packed panel's and the packed rows' bytes at the widest tile shape any width uses (so that a workspace sized here serves every width).</summary>
    private static (nuint Panel, nuint Rows) Sizes<T>(int m, int n, int k)
        where T : unmanaged
    {
        int nr = 2 * 64 / Unsafe.SizeOf<T>(), mr = 12; // Tile512's: the largest of the three
        int depth = Math.Clamp(k, 1, Depth);
        nuint panel = Aligned((nuint)(Math.Min(PanelColumns<T>(), RoundUp(Math.Max(n, 1), nr)) * depth * Unsafe.SizeOf<T>()));
        nuint rows = Aligned((nuint)(Math.Min(SharedRows<T>(), RoundUp(Math.Max(m, 1), mr)) * depth * Unsafe.SizeOf<T>()));
        return (panel, rows);
    }

    private static nuint Aligned(nuint bytes) => (bytes + 63) & ~(nuint)63;

    private static void Run<T, TTile>(int m, int n, int k, Strided<T> a, Strided<T> b, T* c, nint ldc, bool accumulate, byte* workspace)
        where T : unmanaged
        where TTile : ITile
    {
        int mr = TTile.Rows;
        int nr = TTile.Columns<T>();
        int nc = Math.Min(PanelColumns<T>(), RoundUp(n, nr));
        int mc = BlockRows<T>();
        int shared = Math.Min(SharedRows<T>(), RoundUp(m, mr));
        int threads = Functional.MaxDegreeOfParallelism;

        (nuint panelBytes, nuint rowsBytes) = Sizes<T>(m, n, k);
        nint rented = 0;
        nuint rentedSize = 0;
        if (workspace == null)
        {
            (rented, rentedSize) = Scratch.Rent(panelBytes + rowsBytes);
            workspace = (byte*)rented;
        }

        nint panel = (nint)workspace, rows = (nint)(workspace + panelBytes);
        try
        {
            var job = default(Job<T>);
            job.Ldc = ldc;
            job.PackedA = (T*)rows;
            job.PackedB = (T*)panel;
            for (int jc = 0; jc < n; jc += nc)
            {
                job.Columns = Math.Min(nc, n - jc);
                job.BStrips = (job.Columns + nr - 1) / nr;
                for (int pc = 0; pc < k; pc += Depth)
                {
                    job.Depth = Math.Min(Depth, k - pc);
                    job.Overwrite = pc == 0 && !accumulate;
                    job.B = b.At(pc, jc);
                    job.BChunks = (job.BStrips + BStripsPerPackChunk - 1) / BStripsPerPackChunk;
                    for (int ic = 0; ic < m; ic += shared)
                    {
                        job.Rows = Math.Min(shared, m - ic);
                        job.A = a.At(ic, pc);
                        job.C = c + ic * ldc + jc;
                        job.AStrips = (job.Rows + mr - 1) / mr;
                        job.AChunks = (job.AStrips + StripsPerPackChunk - 1) / StripsPerPackChunk;
                        int mBlocks = (job.Rows + mc - 1) / mc;
                        int groups = threads <= 1 ? 1 : Math.Clamp((4 * threads + mBlocks - 1) / mBlocks, 1, job.BStrips);
                        job.StripsPerGroup = (job.BStrips + groups - 1) / groups;
                        job.Groups = (job.BStrips + job.StripsPerGroup - 1) / job.StripsPerGroup;
                        ChunkDriver.For(job.AChunks + job.BChunks, &Pack<T, TTile>, &job);
                        ChunkDriver.For(mBlocks * job.Groups, &Compute<T, TTile>, &job);
                        job.BChunks = 0; // the panel serves every row block of this depth block
                    }
                }
            }
        }
        finally
        {
            if (rented != 0)
            {
                Scratch.Return(rented, rentedSize);
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Packing chunk: the first <see cref="Job{T}.AChunks"/> pack strips of A, the rest strips of B.</summary>
    private static void Pack<T, TTile>(void* context, int chunk)
        where T : unmanaged
        where TTile : ITile
    {
        ref Job<T> job = ref Unsafe.AsRef<Job<T>>(context);
        if (chunk < job.AChunks)
        {
            int mr = TTile.Rows;
            int first = chunk * StripsPerPackChunk;
            int end = Math.Min(job.AStrips, first + StripsPerPackChunk);
            int rows = Math.Min(job.Rows, end * mr) - first * mr;
            Packing.PackA(job.A.At(first * mr, 0), rows, job.Depth, mr, job.PackedA + (nint)first * mr * job.Depth);
        }
        else
        {
            int first = (chunk - job.AChunks) * BStripsPerPackChunk;
            int end = Math.Min(job.BStrips, first + BStripsPerPackChunk);
            Packing.PackB(job.B, job.Columns, job.Depth, TTile.Columns<T>(), first, end, job.PackedB);
        }
    }

    /// <summary>Compute task: one block of rows (up to MC) × one group of B strips, over the packed A and B.</summary>
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
        int rows = Math.Min(mc, job.Rows - i0);
        int depth = job.Depth;
        int firstStrip = group * job.StripsPerGroup;
        int endStrip = Math.Min(job.BStrips, firstStrip + job.StripsPerGroup);
        T* edge = stackalloc T[mr * nr];
        T* packedA = job.PackedA + (nint)i0 * depth;
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
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Add<T>(T left, T right)
        where T : unmanaged =>
        typeof(T) == typeof(float)
            ? (T)(object)((float)(object)left + (float)(object)right)
            : (T)(object)((double)(object)left + (double)(object)right);
}
