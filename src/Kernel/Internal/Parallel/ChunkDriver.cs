using System;
using System.Collections.Generic;
using System.Threading;

namespace Xent.Internal.Parallel;

/// <summary>
/// The one way the kernel splits work over threads. A call's units (rows, or tiles of positions) are cut into chunks
/// by <see cref="Split"/>, from the shape alone; <see cref="For"/> runs the chunks on up to
/// <see cref="Functional.MaxDegreeOfParallelism"/> threads, the calling thread included; each chunk writes its partial
/// results to its own slot and the caller combines the slots in chunk order. So every result is the same, bit for bit,
/// at any thread count and under any machine load.
/// </summary>
/// <remarks>
/// <para>A call made of many short parallel steps (a matrix product's blocks, each a few hundred microseconds) runs
/// them inside one <see cref="Region"/>: its helpers are queued once and spin between the region's
/// <see cref="For"/>s, so a step costs a handful of memory operations to hand out instead of the tens of microseconds a
/// thread-pool thread takes to start on a virtual machine (measured here: a 2-thread For of 100 µs of work ran no faster
/// than on one thread).</para>
/// No allocation after warm-up: helpers and jobs are pooled, the body is a function pointer and its context lives on
/// the caller's stack. The caller never waits for a helper the thread pool has not started: when its own loop finds
/// no chunk left, it withdraws every helper still queued (a withdrawn helper does nothing when it runs) and waits only
/// for those already working, each of which finishes at most one chunk. So a saturated pool costs the caller nothing
/// but the parallelism, and the wait is bounded by one chunk's work.
/// </remarks>
internal static unsafe class ChunkDriver
{
    /// <summary>Elements per chunk: large enough to amortize the hand-off, small enough to balance two cores.</summary>
    public const int ElementsPerChunk = 32 * 1024;

    /// <summary>The most chunks a call uses, so that their partial results fit on the stack.</summary>
    public const int MaxChunks = 1024;

    private static readonly Stack<Job> Jobs = new();
    private static readonly Stack<Helper> Helpers = new();
    private static readonly Stack<Team> Teams = new();

    /// <summary>The team of the region the current thread runs, while it runs one.</summary>
    [ThreadStatic]
    private static Team? t_team;

    /// <summary>
    /// The fixed chunking of <paramref name="units"/> units of <paramref name="elementsPerUnit"/> elements each: about
    /// <see cref="ElementsPerChunk"/> elements a chunk, at most <see cref="MaxChunks"/> chunks; at least one chunk.
    /// </summary>
    public static (int UnitsPerChunk, int Chunks) Split(int units, long elementsPerUnit)
    {
        long perChunk = Math.Max(1, ElementsPerChunk / Math.Max(1, elementsPerUnit));
        int unitsPerChunk = (int)Math.Min(int.MaxValue, Math.Max(perChunk, ((long)units + MaxChunks - 1) / MaxChunks));
        int chunks = Math.Max(1, (int)(((long)units + unitsPerChunk - 1) / unitsPerChunk));
        return (unitsPerChunk, chunks);
    }

    /// <summary>Runs body(context, i) for every chunk i in [0, chunks); returns when all have run. Bodies never throw.</summary>
    public static void For(int chunks, delegate*<void*, int, void> body, void* context)
    {
        Team? team = t_team;
        if (team != null)
        {
            team.For(chunks, body, context);
            return;
        }

        int threads = Math.Min(Functional.MaxDegreeOfParallelism, chunks);
        if (threads <= 1)
        {
            for (int i = 0; i < chunks; i++)
            {
                body(context, i);
            }

            return;
        }

        Job job = Rent(Jobs) ?? new Job();
        job.Start(chunks, body, context);
        int helperCount = Math.Min(threads - 1, Job.MaxHelpers);
        for (int h = 0; h < helperCount; h++)
        {
            Helper helper = Rent(Helpers) ?? new Helper();
            helper.Queue(job);
            job.Helpers[h] = helper;
        }

        job.Work();
        for (int h = 0; h < helperCount; h++)
        {
            Helper helper = job.Helpers[h]!;
            job.Helpers[h] = null;
            if (helper.TryWithdraw())
            {
                continue; // still queued: it returns itself to the pool when the thread pool runs it
            }

            helper.WaitUntilDone();
            Return(Helpers, helper);
        }

        Return(Jobs, job);
    }

    /// <summary>
    /// Runs program(context) on the calling thread with up to <see cref="Functional.MaxDegreeOfParallelism"/> − 1
    /// helpers standing by for every <see cref="For"/> it makes (on this thread); returns when the program has returned
    /// and every helper has left. A helper the thread pool has not started by then is withdrawn, and a For never waits
    /// for one: it waits only for the chunks already taken, so the results and the absence of deadlock do not depend
    /// on helpers starting. Inside a region, a For called by a chunk body runs on the calling thread alone.
    /// </summary>
    public static void Region(delegate*<void*, void> program, void* context)
    {
        int threads = Functional.MaxDegreeOfParallelism;
        if (threads <= 1 || t_team != null)
        {
            program(context);
            return;
        }

        Team team = Rent(Teams) ?? new Team();
        team.Open();
        int helperCount = Math.Min(threads - 1, Job.MaxHelpers);
        for (int h = 0; h < helperCount; h++)
        {
            Helper helper = Rent(Helpers) ?? new Helper();
            helper.Queue(team);
            team.Helpers[h] = helper;
        }

        t_team = team;
        try
        {
            program(context);
        }
        finally
        {
            t_team = null;
            team.Close();
            for (int h = 0; h < helperCount; h++)
            {
                Helper helper = team.Helpers[h]!;
                team.Helpers[h] = null;
                if (helper.TryWithdraw())
                {
                    continue;
                }

                helper.WaitUntilDone();
                Return(Helpers, helper);
            }

            Return(Teams, team);
        }
    }

    private static TItem? Rent<TItem>(Stack<TItem> pool)
        where TItem : class
    {
        lock (pool)
        {
            return pool.Count > 0 ? pool.Pop() : null;
        }
    }

    private static void Return<TItem>(Stack<TItem> pool, TItem item)
        where TItem : class
    {
        lock (pool)
        {
            pool.Push(item);
        }
    }

    private sealed class Job
    {
        public const int MaxHelpers = 63;

        public readonly Helper?[] Helpers = new Helper?[MaxHelpers];
        private delegate*<void*, int, void> _body;
        private void* _context;
        private int _chunks;
        private int _next;

        public void Start(int chunks, delegate*<void*, int, void> body, void* context)
        {
            _body = body;
            _context = context;
            _chunks = chunks;
            Volatile.Write(ref _next, 0);
        }

        /// <summary>Takes chunks until none is left.</summary>
        public void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _chunks)
            {
                _body(_context, i);
            }
        }
    }

    /// <summary>One queued helper: Queued → Running → Done, or Queued → Withdrawn (then it only returns to the pool).</summary>
    private sealed class Helper : IThreadPoolWorkItem
    {
        private const int Queued = 0;
        private const int Running = 1;
        private const int Done = 2;
        private const int Withdrawn = 3;

        private Job? _job;
        private Team? _team;
        private int _state;

        public void Queue(Job job)
        {
            _job = job;
            _team = null;
            Volatile.Write(ref _state, Queued);
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        public void Queue(Team team)
        {
            _job = null;
            _team = team;
            Volatile.Write(ref _state, Queued);
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        public void Execute()
        {
            if (Interlocked.CompareExchange(ref _state, Running, Queued) != Queued)
            {
                // Withdrawn by a caller that finished without it: the job may already serve another call.
                _job = null;
                _team = null;
                Return(ChunkDriver.Helpers, this);
                return;
            }

            if (_team != null)
            {
                _team.Serve();
            }
            else
            {
                _job!.Work();
            }

            Volatile.Write(ref _state, Done);
        }

        public bool TryWithdraw() => Interlocked.CompareExchange(ref _state, Withdrawn, Queued) == Queued;

        /// <summary>Spins, then yields (never sleeps: a millisecond's nap would dwarf a call), while the helper finishes its last chunk.</summary>
        public void WaitUntilDone()
        {
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _state) != Done)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            _job = null;
            _team = null;
        }
    }

    /// <summary>
    /// The helpers of a <see cref="Region"/> and the steps (Fors) its program publishes. A step lives in one of two
    /// slots (step p in slot p mod 2) and its chunks are claimed through one 64-bit ticket, (step &lt;&lt; 32) | next
    /// chunk, by compare-and-swap: a claim succeeds only while the ticket still names the step whose slot the claimer
    /// read, and a slot is rewritten only two steps later, after every chunk of the step in between is done, so no
    /// claimer runs a chunk with another step's body.
    /// </summary>
    private sealed class Team
    {
        public readonly Helper?[] Helpers = new Helper?[Job.MaxHelpers];
        private readonly Step[] _steps = new Step[2];
        private long _ticket;
        private int _closed;
        private bool _inStep;

        private struct Step
        {
            public delegate*<void*, int, void> Body;
            public void* Context;
            public int Chunks;
            public int Done;
        }

        public void Open()
        {
            _steps[0] = default;
            _steps[1] = default;
            Volatile.Write(ref _ticket, 0);
            Volatile.Write(ref _closed, 0);
            _inStep = false;
        }

        public void Close() => Volatile.Write(ref _closed, 1);

        /// <summary>The program's For: publishes the step, takes chunks until none is left, waits for those others took.</summary>
        public void For(int chunks, delegate*<void*, int, void> body, void* context)
        {
            if (_inStep || chunks <= 1)
            {
                for (int i = 0; i < chunks; i++)
                {
                    body(context, i);
                }

                return;
            }

            long step = (Volatile.Read(ref _ticket) >> 32) + 1;
            ref Step slot = ref _steps[step & 1];
            slot.Body = body;
            slot.Context = context;
            slot.Chunks = chunks;
            Volatile.Write(ref slot.Done, 0);
            Volatile.Write(ref _ticket, step << 32);
            _inStep = true;
            while (TryRunOne())
            {
            }

            _inStep = false;
            int idle = 0;
            while (Volatile.Read(ref slot.Done) != chunks)
            {
                Pause(ref idle);
            }
        }

        /// <summary>A helper's loop: runs chunks as steps publish them until the region closes.</summary>
        public void Serve()
        {
            int idle = 0;
            while (Volatile.Read(ref _closed) == 0)
            {
                if (TryRunOne())
                {
                    idle = 0;
                }
                else
                {
                    Pause(ref idle);
                }
            }
        }

        /// <summary>
        /// Waits a moment: busy (pause instructions) for the first few thousand calls in a row, about 50 µs, then
        /// yielding the processor. Measured on this project's 2-vCPU VM: a helper that yielded from the start
        /// (<see cref="SpinWait.SpinOnce(int)"/>) took half the chunks yet left each step as slow as on one thread.
        /// </summary>
        private static void Pause(ref int idle)
        {
            if (idle < 4096)
            {
                idle++;
                Thread.SpinWait(20);
            }
            else
            {
                Thread.Yield();
            }
        }

        /// <summary>Claims and runs one chunk of the current step; false when it has none left.</summary>
        private bool TryRunOne()
        {
            while (true)
            {
                long ticket = Volatile.Read(ref _ticket);
                long step = ticket >> 32;
                int chunk = (int)ticket;
                ref Step slot = ref _steps[step & 1];
                delegate*<void*, int, void> body = slot.Body;
                void* context = slot.Context;
                if (step == 0 || chunk >= slot.Chunks)
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket)
                {
                    continue;
                }

                body(context, chunk);
                Interlocked.Increment(ref slot.Done);
                return true;
            }
        }
    }
}
