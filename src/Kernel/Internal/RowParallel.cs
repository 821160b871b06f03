using System;
using System.Collections.Generic;
using System.Threading;

namespace Xent.Internal;

/// <summary>
/// Runs numbered chunks of work on up to <see cref="Functional.MaxDegreeOfParallelism"/> threads, the calling thread
/// included, with no allocation after warm-up: jobs are pooled, the body is a function pointer, and its context lives
/// on the caller's stack (the caller waits for every chunk). The chunks are fixed by the caller, independent of the
/// number of threads, so results combined per chunk in chunk order do not depend on it.
/// </summary>
internal static unsafe class RowParallel
{
    private static readonly Stack<Job> Pool = new();

    public static void For(int chunks, delegate*<void*, int, void> body, void* context)
    {
        int threads = Math.Min(Functional.MaxDegreeOfParallelism, chunks);
        if (threads <= 1)
        {
            for (int i = 0; i < chunks; i++)
            {
                body(context, i);
            }

            return;
        }

        Job job = Rent();
        job.Start(chunks, body, context, threads - 1);
        for (int w = 1; w < threads; w++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
        }

        job.Work();
        job.WaitForHelpers();
        Return(job);
    }

    private static Job Rent()
    {
        lock (Pool)
        {
            if (Pool.Count > 0)
            {
                return Pool.Pop();
            }
        }

        return new Job();
    }

    private static void Return(Job job)
    {
        lock (Pool)
        {
            Pool.Push(job);
        }
    }

    private sealed class Job : IThreadPoolWorkItem
    {
        private delegate*<void*, int, void> _body;
        private void* _context;
        private int _chunks;
        private int _next;
        private int _pendingHelpers;

        public void Start(int chunks, delegate*<void*, int, void> body, void* context, int helpers)
        {
            _body = body;
            _context = context;
            _chunks = chunks;
            _next = 0;
            Volatile.Write(ref _pendingHelpers, helpers);
        }

        /// <summary>Takes chunks until none is left. Bodies never throw: arguments are validated before the call.</summary>
        public void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _chunks)
            {
                _body(_context, i);
            }
        }

        public void Execute()
        {
            Work();
            Interlocked.Decrement(ref _pendingHelpers);
        }

        /// <summary>
        /// Waits, spinning then yielding (never allocating, unlike an event's kernel wait), until every queued helper
        /// has run: a helper that starts late finds no chunk and leaves at once.
        /// </summary>
        public void WaitForHelpers()
        {
            // Never Thread.Sleep(1) (SpinOnce's default after about 20 spins): a millisecond's nap would dwarf a call.
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _pendingHelpers) != 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }
    }
}
