#if LIBTORCH
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Threading;
using TorchSharp;
using Xent.Internal.Matrix;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using Tensor = TorchSharp.torch.Tensor;

namespace Xent.Benchmarks;

/// <summary>
/// <c>--linear</c>: the fused linear cross entropy against libtorch's <c>F.linear</c> + <c>F.cross_entropy</c> (+ autograd
/// backward to H, W and b), and the matrix multiply against <c>torch.matmul</c>, side by side in one process with
/// interleaved samples and medians, at 1 and 2 threads; then the extra memory of one call of each. Run it through
/// benchmarks/linear.sh (warm allocator and shim preloaded, natively and with AVX-512 off).
/// <para>
/// Options: <c>--shapes NxDxV[,NxDxV…]</c> (default 1024x1024x32000,4096x2048x32000), <c>--threads 1,2</c>, <c>--reps R</c>
/// (interleaved repetitions per case, default 5), <c>--no-matmul</c>, <c>--no-memory</c>, <c>--only-memory</c>,
/// <c>--out DIR</c> (where the memory traces go, as CSV and SVG).
/// </para>
/// </summary>
public static class LinearCompare
{
    private static double _sink;

    public static int Run(string[] args)
    {
        string? unavailable = LibTorch.Unavailable();
        if (unavailable != null)
        {
            Console.Error.WriteLine($"libtorch does not load: {unavailable}");
            return 2;
        }

        string Arg(string name, string fallback)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var shapes = Arg("--shapes", "1024x1024x32000,4096x2048x32000").Split(',')
            .Select(s => s.Split('x').Select(int.Parse).ToArray()).ToArray();
        int[] threads = Arg("--threads", "1,2").Split(',').Select(int.Parse).ToArray();
        int reps = int.Parse(Arg("--reps", "5"), CultureInfo.InvariantCulture);
        _gapMs = int.Parse(Arg("--gap-ms", "3"), CultureInfo.InvariantCulture);
        string outDir = Arg("--out", Path.Combine("BenchmarkDotNet.Artifacts", "linear"));
        bool memoryOnly = args.Contains("--only-memory");
        Directory.CreateDirectory(outDir);

        NativeProbes.EnableWarmCache(true);
        Console.WriteLine($"# Fused linear cross entropy vs libtorch (TorchSharp-cpu 0.107.0), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"Vector512 accelerated: {Vector512.IsHardwareAccelerated}, Vector256: {Vector256.IsHardwareAccelerated}; " +
            $"ATEN_CPU_CAPABILITY={Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY") ?? "(default)"}; warm allocator: {NativeProbes.WarmCacheLoaded}");
        double peak = PeakGflops();
        Console.WriteLine($"Fused multiply-add peak of one core, measured (register-only loop at this width): {peak:F0} GFLOP/s");
        Console.WriteLine();

        // Memory first, while neither library has met a large problem: each call's working memory is then new.
        if (!args.Contains("--no-memory"))
        {
            Console.WriteLine("Extra memory of one call (inputs and gradient buffers allocated and touched before; both libraries warmed up on a small problem only):");
            Console.WriteLine();
            Console.WriteLine("| N × D × V | mode | N·V·4 MiB | Xent working memory MiB (counters) | Xent peak RSS rise MiB | libtorch extra MiB (peak RSS rise − gradient outputs) | Xent / N·V·4 | libtorch / N·V·4 |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (int[] s in shapes)
            {
                Memory(s[0], s[1], s[2], outDir);
            }

            Console.WriteLine();
        }

        if (!memoryOnly)
        {
            if (!args.Contains("--no-matmul"))
            {
                MatMul(threads, reps, peak);
            }

            Console.WriteLine("| N × D × V | threads | mode | Xent ms | libtorch ms | Xent / libtorch | Xent GFLOP/s | libtorch faults/call | agreement |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach (int[] s in shapes)
            {
                foreach (int t in threads)
                {
                    Linear(s[0], s[1], s[2], t, reps);
                }
            }

            Console.WriteLine();
        }


        return 0;
    }

    /// <summary>GFLOP/s of one core's fused multiply-adds at the widest accelerated width, from 24 independent chains in registers.</summary>
    private static double PeakGflops()
    {
        Functional.MaxDegreeOfParallelism = 1;
        double best = 0;
        for (int r = 0; r < 5; r++)
        {
            var sw = Stopwatch.StartNew();
            double flops = Vector512.IsHardwareAccelerated ? Fma512(20_000_000) : Fma256(20_000_000);
            best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
        }

        return best;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static double Fma512(int iterations)
    {
        // 24 independent chains: enough to keep two FMA pipes busy through a latency of up to 12 cycles (the
        // micro-kernel holds 24 sums too).
        Vector512<float> a = Vector512.Create(1.0000001f), b = Vector512.Create(0.9999999f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        Vector512<float> c16 = default, c17 = default, c18 = default, c19 = default, c20 = default, c21 = default, c22 = default, c23 = default;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(a, b, c0); c1 = Vector512.FusedMultiplyAdd(a, b, c1); c2 = Vector512.FusedMultiplyAdd(a, b, c2);
            c3 = Vector512.FusedMultiplyAdd(a, b, c3); c4 = Vector512.FusedMultiplyAdd(a, b, c4); c5 = Vector512.FusedMultiplyAdd(a, b, c5);
            c6 = Vector512.FusedMultiplyAdd(a, b, c6); c7 = Vector512.FusedMultiplyAdd(a, b, c7); c8 = Vector512.FusedMultiplyAdd(a, b, c8);
            c9 = Vector512.FusedMultiplyAdd(a, b, c9); c10 = Vector512.FusedMultiplyAdd(a, b, c10); c11 = Vector512.FusedMultiplyAdd(a, b, c11);
            c12 = Vector512.FusedMultiplyAdd(a, b, c12); c13 = Vector512.FusedMultiplyAdd(a, b, c13); c14 = Vector512.FusedMultiplyAdd(a, b, c14);
            c15 = Vector512.FusedMultiplyAdd(a, b, c15); c16 = Vector512.FusedMultiplyAdd(a, b, c16); c17 = Vector512.FusedMultiplyAdd(a, b, c17);
            c18 = Vector512.FusedMultiplyAdd(a, b, c18); c19 = Vector512.FusedMultiplyAdd(a, b, c19); c20 = Vector512.FusedMultiplyAdd(a, b, c20);
            c21 = Vector512.FusedMultiplyAdd(a, b, c21); c22 = Vector512.FusedMultiplyAdd(a, b, c22); c23 = Vector512.FusedMultiplyAdd(a, b, c23);
        }

        _sink += (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15 + c16 + c17 + c18 + c19 + c20 + c21 + c22 + c23).GetElement(0);
        return 2.0 * 16 * 24 * iterations;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static double Fma256(int iterations)
    {
        // 12 independent chains: two FMA pipes through a latency of up to 6 cycles, in AVX2's 16 registers.
        Vector256<float> a = Vector256.Create(1.0000001f), b = Vector256.Create(0.9999999f);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        Vector256<float> c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(a, b, c0); c1 = Vector256.FusedMultiplyAdd(a, b, c1); c2 = Vector256.FusedMultiplyAdd(a, b, c2);
            c3 = Vector256.FusedMultiplyAdd(a, b, c3); c4 = Vector256.FusedMultiplyAdd(a, b, c4); c5 = Vector256.FusedMultiplyAdd(a, b, c5);
            c6 = Vector256.FusedMultiplyAdd(a, b, c6); c7 = Vector256.FusedMultiplyAdd(a, b, c7); c8 = Vector256.FusedMultiplyAdd(a, b, c8);
            c9 = Vector256.FusedMultiplyAdd(a, b, c9); c10 = Vector256.FusedMultiplyAdd(a, b, c10); c11 = Vector256.FusedMultiplyAdd(a, b, c11);
        }

        _sink += (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).GetElement(0);
        return 2.0 * 8 * 12 * iterations;
    }

    private static float[] Random(int count, double scale, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        return values;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Idle time before each sample (--gap-ms, default 3): libtorch's OpenMP workers spin for a moment after a call.</summary>
    private static int _gapMs = 3;

    private static double Seconds(Action call)
    {
        Thread.Sleep(_gapMs);
        long start = Stopwatch.GetTimestamp();
        call();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Interleaved repetitions (Xent first on even ones), after one warm-up call each; medians and the median ratio.</summary>
    private static (double Xent, double Torch, double Ratio, double Faults) Interleave(Action xent, Action torchCall, int reps)
    {
        xent();
        torchCall();
        var xs = new List<double>();
        var ts = new List<double>();
        var ratios = new List<double>();
        long faults = 0;
        for (int r = 0; r < reps; r++)
        {
            double x, t;
            long before;
            if (r % 2 == 0)
            {
                x = Seconds(xent);
                before = NativeProbes.MinorFaults();
                t = Seconds(torchCall);
                faults += NativeProbes.MinorFaults() - before;
            }
            else
            {
                before = NativeProbes.MinorFaults();
                t = Seconds(torchCall);
                faults += NativeProbes.MinorFaults() - before;
                x = Seconds(xent);
            }

            xs.Add(x);
            ts.Add(t);
            ratios.Add(x / t);
        }

        return (Median(xs), Median(ts), Median(ratios), (double)faults / reps);
    }

    private static unsafe void MatMul(int[] threads, int reps, double peak)
    {
        const int m = 4096, k = 2048, n = 4096;
        float[] a = Random(m * k, 1.0, 1), b = Random(k * n, 1.0, 2), c = new float[m * n];
        using Tensor ta = torch.tensor(a, new long[] { m, k });
        using Tensor tb = torch.tensor(b, new long[] { k, n });
        void Xent()
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                Gemm.Multiply(m, n, k, Strided<float>.RowMajor(pa, k), Strided<float>.RowMajor(pb, n), pc, n, accumulate: false);
            }
        }

        void Torch()
        {
            using var scope = torch.NewDisposeScope();
            _sink += torch.matmul(ta, tb)[0, 0].item<float>();
        }

        Console.WriteLine($"Matrix multiply {m}×{k} · {k}×{n} (float32):");
        Console.WriteLine();
        Console.WriteLine("| threads | Xent ms | torch.matmul ms | Xent GFLOP/s | torch GFLOP/s | Xent / torch throughput | Xent fraction of peak | torch fraction of peak | libtorch faults/call |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (int t in threads)
        {
            Functional.MaxDegreeOfParallelism = t;
            torch.set_num_threads(t);
            (double x, double tt, double ratio, double faults) = Interleave(Xent, Torch, reps);
            double flops = 2.0 * m * n * k;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {t} | {x * 1e3:F1} | {tt * 1e3:F1} | {flops / x / 1e9:F0} | {flops / tt / 1e9:F0} | {1 / ratio:F2} | {flops / x / 1e9 / (peak * t):P0} | {flops / tt / 1e9 / (peak * t):P0} | {faults:F0} |"));
        }

        Console.WriteLine();
    }

    private sealed class Problem : IDisposable
    {
        public readonly int N, D, V;
        public readonly float[] H, W, B, DH, DW, DB;
        public readonly int[] Y;
        public readonly Tensor TH, TW, TB, TY;

        public Problem(int n, int d, int v)
        {
            N = n;
            D = d;
            V = v;
            H = Random(n * d, 1.0, 3);
            W = Random(v * d, 3.0 / Math.Sqrt(d), 4);
            B = Random(v, 0.5, 5);
            var random = new Random(6);
            Y = Enumerable.Range(0, n).Select(i => i % 50 == 7 ? -100 : random.Next(v)).ToArray();
            // Touched now, so that a call's page faults and resident-set rise are its own working memory's.
            DH = Enumerable.Repeat(1f, n * d).ToArray();
            DW = Enumerable.Repeat(1f, v * d).ToArray();
            DB = Enumerable.Repeat(1f, v).ToArray();
            TH = torch.tensor(H, new long[] { n, d }).requires_grad_(true);
            TW = torch.tensor(W, new long[] { v, d }).requires_grad_(true);
            TB = torch.tensor(B, new long[] { v }).requires_grad_(true);
            TY = torch.tensor(Y.Select(y => (long)y).ToArray(), new long[] { n });
        }

        public float XentBackward() =>
            (float)Functional.LinearCrossEntropy<float, int>(H, W, Y, D, B, null, DH, DW, DB).Loss;

        public float XentForward() => (float)Functional.LinearCrossEntropy<float, int>(H, W, Y, D, B).Loss;

        /// <summary>Loss and the three gradients (new tensors: the caller disposes them through its scope).</summary>
        public (float Loss, Tensor[] Grads) TorchBackward()
        {
            Tensor loss = F.cross_entropy(F.linear(TH, TW, TB), TY);
            Tensor[] grads = torch.autograd.grad(new[] { loss }, new[] { TH, TW, TB }).ToArray();
            return (loss.item<float>(), grads);
        }

        public float TorchForward()
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            return F.cross_entropy(F.linear(TH, TW, TB), TY).item<float>();
        }

        public void Dispose()
        {
            TH.Dispose();
            TW.Dispose();
            TB.Dispose();
            TY.Dispose();
        }
    }

    private static void Linear(int n, int d, int v, int threads, int reps)
    {
        Functional.MaxDegreeOfParallelism = threads;
        torch.set_num_threads(threads);
        using var p = new Problem(n, d, v);

        // The previous case's arrays (hundreds of MiB) are garbage now: collect them before timing, so that a
        // background collection does not take a core in the middle of a sample.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // One untimed agreement check: the loss and the largest difference of each gradient, relative to its largest entry.
        float xentLoss = p.XentBackward();
        string agreement;
        using (var scope = torch.NewDisposeScope())
        {
            (float torchLoss, Tensor[] g) = p.TorchBackward();
            double Rel(float[] ours, Tensor theirs)
            {
                float[] t = theirs.data<float>().ToArray();
                double diff = 0, scale = 0;
                for (int i = 0; i < t.Length; i++)
                {
                    diff = Math.Max(diff, Math.Abs(ours[i] - t[i]));
                    scale = Math.Max(scale, Math.Abs(t[i]));
                }

                return diff / scale;
            }

            agreement = string.Create(CultureInfo.InvariantCulture,
                $"loss {Math.Abs(xentLoss - torchLoss) / Math.Abs(torchLoss):E0}, ∂H {Rel(p.DH, g[0]):E0}, ∂W {Rel(p.DW, g[1]):E0}, ∂b {Rel(p.DB, g[2]):E0}");
        }

        double flops = 8.0 * n * d * v;
        (double x, double t, double ratio, double faults) = Interleave(
            () => _sink += p.XentBackward(),
            () =>
            {
                using var scope = torch.NewDisposeScope();
                _sink += p.TorchBackward().Loss;
            },
            reps);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {n}×{d}×{v} | {threads} | forward + ∂H, ∂W, ∂b | {x * 1e3:F0} | {t * 1e3:F0} | {ratio:F2} | {flops / x / 1e9:F0} (8NVD) | {faults:F0} | {agreement} |"));
        (x, t, ratio, faults) = Interleave(() => _sink += p.XentForward(), () => _sink += p.TorchForward(), reps);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {n}×{d}×{v} | {threads} | forward (loss only) | {x * 1e3:F0} | {t * 1e3:F0} | {ratio:F2} | {2.0 * n * d * v / x / 1e9:F0} (2NVD) | {faults:F0} | |"));
    }

    /// <summary>VmRSS or VmHWM of this process, in bytes.</summary>
    private static long Status(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return -1;
    }

    /// <summary>GC bytes the calling thread allocates in <see cref="Traced"/> around the call (the sampler thread and its closure), measured once with an empty call.</summary>
    private static readonly long TracerBytes = MeasureTracer();

    private static long MeasureTracer()
    {
        Traced(() => { });
        long before = GC.GetAllocatedBytesForCurrentThread();
        Traced(() => { });
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>Runs the call while a thread samples the resident set every millisecond; returns the peak rise (VmHWM after a reset) and the trace.</summary>
    private static (long PeakRise, List<(double Ms, long Rise)> Trace) Traced(Action call)
    {
        GC.Collect();
        long baseline = Status("VmRSS");
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM to the current resident set
        var trace = new List<(double, long)>();
        bool done = false;
        var clock = Stopwatch.StartNew();
        var sampler = new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                trace.Add((clock.Elapsed.TotalMilliseconds, Status("VmRSS") - baseline));
                Thread.Sleep(1);
            }
        });
        sampler.Start();
        call();
        Volatile.Write(ref done, true);
        sampler.Join();
        trace.Add((clock.Elapsed.TotalMilliseconds, Status("VmRSS") - baseline));
        return (Status("VmHWM") - baseline, trace);
    }

    /// <summary>
    /// The extra memory of one call of each (inputs and gradient buffers already allocated and touched, both libraries
    /// warmed up on a small problem first): Xent's working-memory counters (native blocks held, GC bytes allocated), and
    /// the rise of the peak resident set during the first large call of each library, with its trace over time.
    /// </summary>
    private static void Memory(int n, int d, int v, string outDir)
    {
        Functional.MaxDegreeOfParallelism = 2;
        torch.set_num_threads(2);
        using (var small = new Problem(64, 32, 1000))
        {
            small.XentBackward();
            small.XentForward();
            using var scope = torch.NewDisposeScope();
            small.TorchBackward();
            small.TorchForward();
        }

        using var p = new Problem(n, d, v);
        double logitsMiB = (double)n * v * 4 / (1 << 20);
        foreach (bool backward in new[] { true, false })
        {
            Scratch.ResetPeak();
            long gc = GC.GetAllocatedBytesForCurrentThread();
            (long xentRise, List<(double, long)> xentTrace) = Traced(() => _sink += backward ? p.XentBackward() : p.XentForward());
            double xentMiB = (Scratch.PeakInUseBytes - Scratch.InUseBytes) / (double)(1 << 20);
            long xentGc = Math.Max(0, GC.GetAllocatedBytesForCurrentThread() - gc - TracerBytes); // the tracer's own bytes vary by a few
            NativeProbes.FlushWarmCache(); // libtorch's blocks of earlier calls go back (glibc unmaps the large ones): this call's are new
            (long torchRise, List<(double, long)> torchTrace) = Traced(() =>
            {
                using var scope = torch.NewDisposeScope();
                _sink += backward ? p.TorchBackward().Loss : p.TorchForward();
            });

            // libtorch returns its gradients in new tensors: those are outputs, not working memory.
            double gradientsMiB = backward ? ((double)n * d + (double)v * d + v) * 4 / (1 << 20) : 0.0;
            double torchExtra = torchRise / (double)(1 << 20) - gradientsMiB;
            string mode = backward ? "forward + gradients" : "forward";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n}×{d}×{v} | {mode} | {logitsMiB:F0} | {xentMiB:F2} native + {xentGc} B GC | {xentRise / (double)(1 << 20):F1} | {torchExtra:F0} (rise {torchRise / (double)(1 << 20):F0} − gradients {gradientsMiB:F0}) | {xentMiB / logitsMiB:P2} | {torchExtra / logitsMiB:F2}× |"));
            string name = $"memory-{n}x{d}x{v}-{(backward ? "backward" : "forward")}";
            File.WriteAllLines(Path.Combine(outDir, name + ".csv"),
                new[] { "library,ms,rise_bytes" }
                    .Concat(xentTrace.Select(s => string.Create(CultureInfo.InvariantCulture, $"xent,{s.Item1:F2},{s.Item2}")))
                    .Concat(torchTrace.Select(s => string.Create(CultureInfo.InvariantCulture, $"libtorch,{s.Item1:F2},{s.Item2}"))));
        }
    }
}
#endif
