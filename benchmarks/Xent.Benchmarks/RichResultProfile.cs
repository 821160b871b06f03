using System;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Benchmarks;

/// <summary>
/// Where the rich result's cost comes from, measured with interleaved A/B timing (A, B, B, A, ... in alternation, so
/// that a load that comes and goes on the machine falls on both sides; the medians and the median of the per-pair ratios
/// are reported). <c>--rich-ab</c>: the library's loss-only and rich calls of <see cref="RichResultBenchmarks"/>, on
/// the same data, at 1 and 2 threads. <c>--rich-profile</c>: single-threaded copies of the kernel's float row loop
/// (<see cref="Proto"/>: FloatRows.Max/Pass/IndexOf and FastExp copied from src/Kernel/Internal, unchanged) with the
/// rich result's parts switched on one at a time, and candidate changes: the argmax tracked in the max pass instead of
/// the IndexOf rescan, and, for C ≤ 16, the loss-only path's 16-rows-per-vector layout extended with the argmax.
/// </summary>
public static unsafe class RichResultProfile
{
    private static double _sink;

    /// <summary>Median of the A times, of the B times, and of the per-pair ratios B / A (seconds per call).</summary>
    private readonly record struct Pair(double A, double B, double Ratio);

    private sealed class Data
    {
        public float[] Logits = [];
        public int[] Targets = [];
        public float[] Gradient = [];
        public CrossEntropyRow[] Rows = [];
        public int Classes;

        /// <summary>The data of <see cref="RichResultBenchmarks.Setup"/> (same seed, same ignored rows).</summary>
        public static Data Create(string shape)
        {
            string[] parts = shape.Split('x');
            int rows = int.Parse(parts[0], CultureInfo.InvariantCulture);
            var d = new Data { Classes = int.Parse(parts[1], CultureInfo.InvariantCulture) };
            var random = new Random(2026);
            d.Logits = new float[(long)rows * d.Classes];
            for (long i = 0; i < d.Logits.Length; i++)
            {
                d.Logits[i] = (float)(random.NextDouble() * 8 - 4);
            }

            d.Targets = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                d.Targets[r] = random.Next(16) == 0 ? Functional.DefaultIgnoreIndex : random.Next(d.Classes);
            }

            d.Gradient = new float[d.Logits.Length];
            d.Rows = new CrossEntropyRow[rows];
            return d;
        }
    }

    private static readonly string[] Shapes = ["4096x32000", "65536x1000", "256x1000", "1000000x10"];

    private static double Time(Func<double> f, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            _sink += f();
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
    }

    private static Pair Interleave(Func<double> a, Func<double> b, int pairs = 15)
    {
        // Warm-up (tier-1 code) and a call count giving samples of about 20 ms.
        for (int i = 0; i < 35; i++)
        {
            _sink += a() + b();
        }

        double once = Math.Max(Time(a, 1), 1e-7);
        int calls = Math.Max(1, (int)(0.02 / once));
        var ta = new double[pairs];
        var tb = new double[pairs];
        var ratio = new double[pairs];
        for (int p = 0; p < pairs; p++)
        {
            if (p % 2 == 0)
            {
                ta[p] = Time(a, calls);
                tb[p] = Time(b, calls);
            }
            else
            {
                tb[p] = Time(b, calls);
                ta[p] = Time(a, calls);
            }

            ratio[p] = tb[p] / ta[p];
        }

        return new Pair(Median(ta), Median(tb), Median(ratio));
    }

    private static double Median(double[] values)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static string Ms(double seconds) => seconds >= 1e-3
        ? (seconds * 1e3).ToString("F2", CultureInfo.InvariantCulture) + " ms"
        : (seconds * 1e6).ToString("F1", CultureInfo.InvariantCulture) + " µs";

    private static void Print(string shape, int threads, string a, string b, Pair p) =>
        Console.WriteLine($"| {shape} | {threads} | {a} | {Ms(p.A)} | {b} | {Ms(p.B)} | {p.Ratio.ToString("F3", CultureInfo.InvariantCulture)} |");

    /// <summary>--rich-ab: the library's calls, interleaved.</summary>
    public static int RunAB()
    {
        var zLoss = new CrossEntropyOptions { ZLossScale = 1e-4 };
        Console.WriteLine("Interleaved A/B (median of 15 pairs of ~20 ms samples; ratio = median of per-pair B/A)");
        Console.WriteLine("| shape | threads | A | time A | B | time B | B/A |");
        Console.WriteLine("|---|---|---|---:|---|---:|---:|");
        foreach (string shape in Shapes)
        {
            Data d = Data.Create(shape);
            foreach (int threads in (int[])[1, 2])
            {
                Functional.MaxDegreeOfParallelism = threads;
                Func<double> loss = () => Functional.CrossEntropy<float>(d.Logits, d.Targets, d.Classes);
                Func<double> lossGradient = () => Functional.CrossEntropyWithGradient<float>(d.Logits, d.Targets, d.Gradient, d.Classes);
                Print(shape, threads, "loss only", "rich (rows)", Interleave(loss,
                    () => Functional.CrossEntropyDetailed<float>(d.Logits, d.Targets, d.Classes, null, d.Rows).Loss));
                Print(shape, threads, "loss only", "rich + z-loss (rows)", Interleave(loss,
                    () => Functional.CrossEntropyDetailed<float>(d.Logits, d.Targets, d.Classes, zLoss, d.Rows).Loss));
                Print(shape, threads, "loss only", "rich, no rows", Interleave(loss,
                    () => Functional.CrossEntropyDetailed<float>(d.Logits, d.Targets, d.Classes, null, default).Loss));
                Print(shape, threads, "loss+gradient", "rich+gradient (rows)", Interleave(lossGradient,
                    () => Functional.CrossEntropyDetailedWithGradient<float>(d.Logits, d.Targets, d.Gradient, d.Classes, null, d.Rows).Loss));
            }
        }

        Functional.MaxDegreeOfParallelism = Environment.ProcessorCount;
        GC.KeepAlive(_sink);
        return 0;
    }

    /// <summary>
    /// --rich-loop SHAPE loss|rich|grad|richgrad THREADS SECONDS: one library call in a loop for a while, to sample with
    /// <c>DOTNET_PerfMapEnabled=1 perf record -g</c> (no BenchmarkDotNet around it).
    /// </summary>
    public static int RunLoop(string[] args)
    {
        int at = Array.IndexOf(args, "--rich-loop");
        string shape = args[at + 1];
        string what = args[at + 2];
        Functional.MaxDegreeOfParallelism = int.Parse(args[at + 3], CultureInfo.InvariantCulture);
        double seconds = double.Parse(args[at + 4], CultureInfo.InvariantCulture);
        Data d = Data.Create(shape);
        Func<double> f = what switch
        {
            "loss" => () => Functional.CrossEntropy<float>(d.Logits, d.Targets, d.Classes),
            "rich" => () => Functional.CrossEntropyDetailed<float>(d.Logits, d.Targets, d.Classes, null, d.Rows).Loss,
            "grad" => () => Functional.CrossEntropyWithGradient<float>(d.Logits, d.Targets, d.Gradient, d.Classes),
            "richgrad" => () => Functional.CrossEntropyDetailedWithGradient<float>(d.Logits, d.Targets, d.Gradient, d.Classes, null, d.Rows).Loss,
            _ => throw new ArgumentException($"Unknown call {what}: loss, rich, grad or richgrad."),
        };
        long calls = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            _sink += f();
            calls++;
        }

        Console.WriteLine($"{shape} {what} threads {Functional.MaxDegreeOfParallelism}: {calls} calls, {Ms(watch.Elapsed.TotalSeconds / calls)} per call");
        GC.KeepAlive(_sink);
        return 0;
    }

    /// <summary>--rich-profile: the parts of the rich result and the candidate changes, one thread.</summary>
    public static int RunProfile()
    {
        Functional.MaxDegreeOfParallelism = 1;
        Console.WriteLine("Single thread, interleaved A/B. Proto = copy of the kernel's float row loop (FloatRows.Max + Pass, Math.Log, Neumaier sum).");
        Console.WriteLine("| shape | threads | A | time A | B | time B | B/A |");
        Console.WriteLine("|---|---|---|---:|---|---:|---:|");
        foreach (string shape in Shapes)
        {
            Data d = Data.Create(shape);
            Func<double> library = () => Functional.CrossEntropy<float>(d.Logits, d.Targets, d.Classes);
            Func<double> libraryRich = () => Functional.CrossEntropyDetailed<float>(d.Logits, d.Targets, d.Classes, null, d.Rows).Loss;
            if (d.Classes <= 16)
            {
                Func<double> small = () => Proto.SmallRun(d.Logits, d.Targets, d.Classes, null);
                Func<double> smallRich = () => Proto.SmallRun(d.Logits, d.Targets, d.Classes, d.Rows);
                Check(d, smallRich, "small-class rich");
                Print(shape, 1, "library loss only", "proto 16-row loss only", Interleave(library, small));
                Print(shape, 1, "library loss only", "library rich (rows)", Interleave(library, libraryRich));
                Print(shape, 1, "library loss only", "proto 16-row rich (rows, argmax across lanes)", Interleave(library, smallRich));
                Print(shape, 1, "proto per-row loss only", "proto per-row rich (IndexOf, rows)",
                    Interleave(() => Proto.Run(d.Logits, d.Targets, d.Classes, Proto.Variant.LossOnly, null),
                        () => Proto.Run(d.Logits, d.Targets, d.Classes, Proto.Variant.IndexOf, d.Rows)));
                continue;
            }

            Func<double> proto = () => Proto.Run(d.Logits, d.Targets, d.Classes, Proto.Variant.LossOnly, null);
            Func<double> V(Proto.Variant v, bool rows) => () => Proto.Run(d.Logits, d.Targets, d.Classes, v, rows ? d.Rows : null);
            Check(d, V(Proto.Variant.IndexOf, true), "IndexOf");
            Check(d, V(Proto.Variant.IndexOf4, true), "IndexOf4");
            Check(d, V(Proto.Variant.MaxArg, true), "MaxArg");
            Check(d, V(Proto.Variant.ExpPassArg, true), "ExpPassArg");
            Print(shape, 1, "library loss only", "proto loss only", Interleave(library, proto));
            Print(shape, 1, "library loss only", "library rich (rows)", Interleave(library, libraryRich));
            Print(shape, 1, "proto loss only", "+ row results, argmax 0 (no scan)", Interleave(proto, V(Proto.Variant.NoArgMax, true)));
            Print(shape, 1, "proto loss only", "+ IndexOf rescan, no rows (today's argmax)", Interleave(proto, V(Proto.Variant.IndexOf, false)));
            Print(shape, 1, "proto loss only", "+ IndexOf rescan + rows (today's rich)", Interleave(proto, V(Proto.Variant.IndexOf, true)));
            Print(shape, 1, "proto loss only", "+ IndexOf unrolled x4 + rows", Interleave(proto, V(Proto.Variant.IndexOf4, true)));
            Print(shape, 1, "proto loss only", "+ argmax in the max pass + rows", Interleave(proto, V(Proto.Variant.MaxArg, true)));
            Print(shape, 1, "proto loss only", "+ first x == max in the exp pass + rows", Interleave(proto, V(Proto.Variant.ExpPassArg, true)));
        }

        Functional.MaxDegreeOfParallelism = Environment.ProcessorCount;
        GC.KeepAlive(_sink);
        return 0;
    }

    /// <summary>The variant's predictions and losses must equal the library's rows (run first into a copy).</summary>
    private static void Check(Data d, Func<double> variant, string name)
    {
        Functional.CrossEntropyDetailed<float>(d.Logits, d.Targets, d.Classes, null, d.Rows);
        var expected = (CrossEntropyRow[])d.Rows.Clone();
        Array.Clear(d.Rows);
        variant();
        int predictions = 0;
        double maxLossDiff = 0.0;
        for (int r = 0; r < expected.Length; r++)
        {
            predictions += expected[r].Predicted == d.Rows[r].Predicted && expected[r].Correct == d.Rows[r].Correct ? 0 : 1;
            if (expected[r].Predicted >= 0)
            {
                maxLossDiff = Math.Max(maxLossDiff, Math.Abs(expected[r].Loss - d.Rows[r].Loss));
            }
        }

        Console.WriteLine($"  check {name} ({d.Targets.Length}x{d.Classes}): predictions differing {predictions}, max |loss diff| {maxLossDiff:E1}");
    }

    /// <summary>
    /// Copies of the kernel's float row code (src/Kernel/Internal/FloatRows.cs, FastExp.cs, CompensatedSum.cs and the
    /// loops of Functional.CrossEntropy.Fast.cs / Functional.Detailed.cs) with the rich result's parts as switches.
    /// </summary>
    internal static class Proto
    {
        public enum Variant
        {
            LossOnly,
            NoArgMax,
            IndexOf,
            IndexOf4,
            MaxArg,
            ExpPassArg,
        }

        private struct Neumaier
        {
            private double _sum;
            private double _compensation;

            public void Add(double value)
            {
                double t = _sum + value;
                _compensation += double.Abs(_sum) >= double.Abs(value) ? (_sum - t) + value : (value - t) + _sum;
                _sum = t;
            }

            public readonly double Value => double.IsFinite(_sum) ? _sum + _compensation : _sum;
        }

        public static double Run(float[] logits, int[] targets, int classes, Variant variant, CrossEntropyRow[]? rows)
        {
            fixed (float* x0 = logits)
            fixed (CrossEntropyRow* r0 = rows)
            {
                Neumaier loss = default;
                int n = targets.Length;
                CrossEntropyRow* output = rows == null ? null : r0;
                for (int row = 0; row < n; row++)
                {
                    int t = targets[row];
                    if (t == Functional.DefaultIgnoreIndex)
                    {
                        if (output != null)
                        {
                            output[row] = new CrossEntropyRow(double.NaN, 0.0, 0.0, -1, false);
                        }

                        continue;
                    }

                    float* x = x0 + (long)row * classes;
                    float* next = row + 1 < n ? x + classes : null;
                    double xt = x[t];
                    float max;
                    double sumExp;
                    int argMax = 0;
                    switch (variant)
                    {
                        case Variant.MaxArg:
                            max = MaxArg(x, classes, out argMax);
                            sumExp = Pass(x, classes, max, next, out _);
                            break;
                        case Variant.ExpPassArg:
                            max = Max(x, classes);
                            sumExp = Pass(x, classes, max, next, out argMax);
                            break;
                        default:
                            max = Max(x, classes);
                            sumExp = Pass(x, classes, max, next);
                            if (variant == Variant.IndexOf)
                            {
                                argMax = IndexOf(x, classes, max);
                            }
                            else if (variant == Variant.IndexOf4)
                            {
                                argMax = IndexOf4(x, classes, max);
                            }

                            break;
                    }

                    double logSum = Math.Log(sumExp);
                    double nll = logSum - (xt - max);
                    if (output != null)
                    {
                        output[row] = new CrossEntropyRow(max + logSum, nll, 0.0, argMax, argMax == t);
                    }

                    loss.Add(nll);
                }

                return loss.Value;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> TailMask(int count) =>
            Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

        private const float Log2E = 1.44269504088896341f;
        private const float Ln2High = 0.693359375f;
        private const float Ln2Low = -2.12194440e-4f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Exp(Vector512<float> x)
        {
            Vector512<float> clamped = Avx512F.Max(Vector512.Create(-104f), x);
            Vector512<float> n = Vector512.Round(clamped * Vector512.Create(Log2E));
            Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), clamped);
            r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);
            Vector512<float> p = Vector512.Create(1.9875691500E-4f);
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507E-3f));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073E-3f));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894E-2f));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459E-1f));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201E-1f));
            return Avx512F.Scale(Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One, n);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float HorizontalMax(Vector512<float> m)
        {
            Vector256<float> h = Avx.Max(m.GetLower(), m.GetUpper());
            Vector128<float> q = Sse.Max(h.GetLower(), h.GetUpper());
            q = Sse.Max(q, Sse.Shuffle(q, q, 0b_01_00_11_10));
            q = Sse.Max(q, Sse.Shuffle(q, q, 0b_10_11_00_01));
            return q.ToScalar();
        }

        /// <summary>FloatRows.Max, unchanged.</summary>
        public static float Max(float* x, int n)
        {
            Vector512<float> negativeInfinity = Vector512.Create(float.NegativeInfinity);
            Vector512<float> m0 = negativeInfinity, m1 = negativeInfinity, m2 = negativeInfinity, m3 = negativeInfinity;
            int i = 0;
            for (; i <= n - 64; i += 64)
            {
                m0 = Avx512F.Max(m0, Avx512F.LoadVector512(x + i));
                m1 = Avx512F.Max(m1, Avx512F.LoadVector512(x + i + 16));
                m2 = Avx512F.Max(m2, Avx512F.LoadVector512(x + i + 32));
                m3 = Avx512F.Max(m3, Avx512F.LoadVector512(x + i + 48));
            }

            for (; i <= n - 16; i += 16)
            {
                m0 = Avx512F.Max(m0, Avx512F.LoadVector512(x + i));
            }

            if (i < n)
            {
                m1 = Avx512F.Max(m1, Avx512F.MaskLoad(x + i, TailMask(n - i), negativeInfinity));
            }

            return HorizontalMax(Avx512F.Max(Avx512F.Max(m0, m1), Avx512F.Max(m2, m3)));
        }

        /// <summary>
        /// Candidate: the max pass also keeps, per lane, the index of its first strictly larger value (one compare
        /// into a mask and one masked index move per vector); the row's argmax is the lowest index among the lanes
        /// holding the maximum. NaN is left to the kernel's scalar fallback (its sum is NaN), as today.
        /// </summary>
        public static float MaxArg(float* x, int n, out int argMax)
        {
            Vector512<float> negativeInfinity = Vector512.Create(float.NegativeInfinity);
            Vector512<float> m0 = negativeInfinity, m1 = negativeInfinity, m2 = negativeInfinity, m3 = negativeInfinity;
            Vector512<int> i0 = Vector512<int>.Zero, i1 = i0, i2 = i0, i3 = i0;
            Vector512<int> index = Vector512<int>.Indices;
            Vector512<int> step = Vector512.Create(16);
            int i = 0;
            for (; i <= n - 64; i += 64)
            {
                Vector512<float> a = Avx512F.LoadVector512(x + i);
                Vector512<float> b = Avx512F.LoadVector512(x + i + 16);
                Vector512<float> c = Avx512F.LoadVector512(x + i + 32);
                Vector512<float> d = Avx512F.LoadVector512(x + i + 48);
                i0 = Vector512.ConditionalSelect(Vector512.GreaterThan(a, m0).AsInt32(), index, i0);
                i1 = Vector512.ConditionalSelect(Vector512.GreaterThan(b, m1).AsInt32(), index + step, i1);
                i2 = Vector512.ConditionalSelect(Vector512.GreaterThan(c, m2).AsInt32(), index + step + step, i2);
                i3 = Vector512.ConditionalSelect(Vector512.GreaterThan(d, m3).AsInt32(), index + step + step + step, i3);
                m0 = Avx512F.Max(m0, a);
                m1 = Avx512F.Max(m1, b);
                m2 = Avx512F.Max(m2, c);
                m3 = Avx512F.Max(m3, d);
                index += Vector512.Create(64);
            }

            for (; i < n; i += 16)
            {
                Vector512<float> mask = n - i >= 16 ? Vector512<float>.AllBitsSet : TailMask(n - i);
                Vector512<float> a = Avx512F.MaskLoad(x + i, mask, negativeInfinity);
                i0 = Vector512.ConditionalSelect(Vector512.GreaterThan(a, m0).AsInt32(), index, i0);
                m0 = Avx512F.Max(m0, a);
                index += step;
            }

            float max = HorizontalMax(Avx512F.Max(Avx512F.Max(m0, m1), Avx512F.Max(m2, m3)));
            Vector512<float> mv = Vector512.Create(max);
            Vector512<int> none = Vector512.Create(int.MaxValue);
            Vector512<int> best = Vector512.Min(
                Vector512.Min(Vector512.ConditionalSelect(Vector512.Equals(m0, mv).AsInt32(), i0, none),
                    Vector512.ConditionalSelect(Vector512.Equals(m1, mv).AsInt32(), i1, none)),
                Vector512.Min(Vector512.ConditionalSelect(Vector512.Equals(m2, mv).AsInt32(), i2, none),
                    Vector512.ConditionalSelect(Vector512.Equals(m3, mv).AsInt32(), i3, none)));
            Vector256<int> h = Vector256.Min(best.GetLower(), best.GetUpper());
            Vector128<int> q = Vector128.Min(h.GetLower(), h.GetUpper());
            q = Vector128.Min(q, Sse2.Shuffle(q, 0b_01_00_11_10));
            q = Vector128.Min(q, Sse2.Shuffle(q, 0b_10_11_00_01));
            argMax = q.ToScalar();
            return max;
        }

        /// <summary>FloatRows.Pass without the shifted sum and the exponentials' store (the loss-only call's form).</summary>
        public static double Pass(float* x, int n, float max, float* prefetch)
        {
            Vector512<float> m = Vector512.Create(max);
            Vector512<double> s0 = Vector512<double>.Zero, s1 = Vector512<double>.Zero;
            int i = 0;
            while (i <= n - 64)
            {
                int blockEnd = Math.Min(n - 63, i + 1024);
                Vector512<float> f0 = Vector512<float>.Zero, f1 = f0, f2 = f0, f3 = f0;
                for (; i < blockEnd; i += 64)
                {
                    if (prefetch != null)
                    {
                        Sse.Prefetch0(prefetch + i);
                        Sse.Prefetch0(prefetch + i + 16);
                        Sse.Prefetch0(prefetch + i + 32);
                        Sse.Prefetch0(prefetch + i + 48);
                    }

                    f0 += Exp(Avx512F.LoadVector512(x + i) - m);
                    f1 += Exp(Avx512F.LoadVector512(x + i + 16) - m);
                    f2 += Exp(Avx512F.LoadVector512(x + i + 32) - m);
                    f3 += Exp(Avx512F.LoadVector512(x + i + 48) - m);
                }

                (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen((f0 + f1) + (f2 + f3));
                s0 += lo;
                s1 += hi;
            }

            for (; i < n; i += 16)
            {
                int count = n - i;
                Vector512<float> mask = count >= 16 ? Vector512<float>.AllBitsSet : TailMask(count);
                Vector512<float> a = Avx512F.MaskLoad(x + i, mask, Vector512.Create(float.NegativeInfinity)) - m;
                Vector512<float> ea = Vector512.ConditionalSelect(mask, Exp(a), Vector512<float>.Zero);
                (Vector512<double> al, Vector512<double> ah) = Vector512.Widen(ea);
                s0 += al;
                s1 += ah;
            }

            return Vector512.Sum(s0 + s1);
        }

        /// <summary>
        /// Candidate: <see cref="Pass(float*, int, float, float*)"/> that also finds the first x == max (x − max == 0)
        /// while it has not been found: one compare per vector and one mask test per 64 elements, skipped after the hit.
        /// </summary>
        public static double Pass(float* x, int n, float max, float* prefetch, out int argMax)
        {
            Vector512<float> m = Vector512.Create(max);
            Vector512<double> s0 = Vector512<double>.Zero, s1 = Vector512<double>.Zero;
            int found = -1;
            int i = 0;
            while (i <= n - 64)
            {
                int blockEnd = Math.Min(n - 63, i + 1024);
                Vector512<float> f0 = Vector512<float>.Zero, f1 = f0, f2 = f0, f3 = f0;
                for (; i < blockEnd; i += 64)
                {
                    if (prefetch != null)
                    {
                        Sse.Prefetch0(prefetch + i);
                        Sse.Prefetch0(prefetch + i + 16);
                        Sse.Prefetch0(prefetch + i + 32);
                        Sse.Prefetch0(prefetch + i + 48);
                    }

                    Vector512<float> a = Avx512F.LoadVector512(x + i) - m;
                    Vector512<float> b = Avx512F.LoadVector512(x + i + 16) - m;
                    Vector512<float> c = Avx512F.LoadVector512(x + i + 32) - m;
                    Vector512<float> d = Avx512F.LoadVector512(x + i + 48) - m;
                    if (found < 0)
                    {
                        Vector512<float> zero = Vector512<float>.Zero;
                        if ((Vector512.Equals(a, zero) | Vector512.Equals(b, zero) | Vector512.Equals(c, zero) | Vector512.Equals(d, zero)) != Vector512<float>.Zero)
                        {
                            found = i + IndexOf(x + i, 64, max);
                        }
                    }

                    f0 += Exp(a);
                    f1 += Exp(b);
                    f2 += Exp(c);
                    f3 += Exp(d);
                }

                (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen((f0 + f1) + (f2 + f3));
                s0 += lo;
                s1 += hi;
            }

            for (; i < n; i += 16)
            {
                int count = n - i;
                Vector512<float> mask = count >= 16 ? Vector512<float>.AllBitsSet : TailMask(count);
                Vector512<float> a = Avx512F.MaskLoad(x + i, mask, Vector512.Create(float.NegativeInfinity)) - m;
                if (found < 0)
                {
                    int local = IndexOf(x + i, Math.Min(16, count), max);
                    found = local < 0 ? -1 : i + local;
                }

                Vector512<float> ea = Vector512.ConditionalSelect(mask, Exp(a), Vector512<float>.Zero);
                (Vector512<double> al, Vector512<double> ah) = Vector512.Widen(ea);
                s0 += al;
                s1 += ah;
            }

            argMax = found;
            return Vector512.Sum(s0 + s1);
        }

        /// <summary>FloatRows.IndexOf, unchanged.</summary>
        public static int IndexOf(float* x, int n, float value)
        {
            Vector512<float> v = Vector512.Create(value);
            int i = 0;
            for (; i <= n - 16; i += 16)
            {
                ulong bits = Vector512.Equals(Avx512F.LoadVector512(x + i), v).ExtractMostSignificantBits();
                if (bits != 0)
                {
                    return i + BitOperations.TrailingZeroCount(bits);
                }
            }

            for (; i < n; i++)
            {
                if (x[i] == value)
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Candidate: IndexOf testing 64 elements per branch (four compares or-ed together).</summary>
        public static int IndexOf4(float* x, int n, float value)
        {
            Vector512<float> v = Vector512.Create(value);
            int i = 0;
            for (; i <= n - 64; i += 64)
            {
                Vector512<float> e = Vector512.Equals(Avx512F.LoadVector512(x + i), v) | Vector512.Equals(Avx512F.LoadVector512(x + i + 16), v)
                    | Vector512.Equals(Avx512F.LoadVector512(x + i + 32), v) | Vector512.Equals(Avx512F.LoadVector512(x + i + 48), v);
                if (e != Vector512<float>.Zero)
                {
                    break;
                }
            }

            int local = IndexOf(x + i, n - i, value);
            return local < 0 ? -1 : i + local;
        }

        /// <summary>
        /// Candidate for C ≤ 16: the loss-only path's layout (16 rows transposed into a stack block, one row per lane)
        /// with the argmax found across lanes (classes visited from last to first, the lowest equal index kept) and
        /// each row's results written; without rows, the loss-only path itself (for reference).
        /// </summary>
        public static double SmallRun(float[] logits, int[] targets, int classes, CrossEntropyRow[]? rows)
        {
            const int Lanes = 16;
            float* columns = stackalloc float[16 * Lanes];
            float* maxima = stackalloc float[Lanes];
            double* logSums = stackalloc double[Lanes];
            int* argMaxes = stackalloc int[Lanes];
            Neumaier loss = default;
            int n = targets.Length;
            fixed (float* input = logits)
            fixed (CrossEntropyRow* r0 = rows)
            {
                CrossEntropyRow* output = rows == null ? null : r0;
                for (int first = 0; first < n; first += Lanes)
                {
                    int count = Math.Min(Lanes, n - first);
                    for (int k = 0; k < Lanes; k++)
                    {
                        float* source = input + (long)(first + k) * classes;
                        for (int j = 0; j < classes; j++)
                        {
                            columns[j * Lanes + k] = k < count ? source[j] : 0f;
                        }
                    }

                    Vector512<float> m = Vector512.Create(float.NegativeInfinity);
                    for (int j = 0; j < classes; j++)
                    {
                        m = Avx512F.Max(m, Avx512F.LoadVector512(columns + j * Lanes));
                    }

                    if (output != null)
                    {
                        Vector512<int> arg = Vector512<int>.Zero;
                        for (int j = classes - 1; j >= 0; j--)
                        {
                            arg = Vector512.ConditionalSelect(Vector512.Equals(Avx512F.LoadVector512(columns + j * Lanes), m).AsInt32(), Vector512.Create(j), arg);
                        }

                        Vector512.Store(arg, argMaxes);
                    }

                    Vector512<float> sum = Vector512<float>.Zero;
                    for (int j = 0; j < classes; j++)
                    {
                        sum += Exp(Avx512F.LoadVector512(columns + j * Lanes) - m);
                    }

                    (Vector512<double> sumLow, Vector512<double> sumHigh) = Vector512.Widen(sum);
                    Avx512F.Store(maxima, m);
                    Vector512.Store(Vector512.Log(sumLow), logSums);
                    Vector512.Store(Vector512.Log(sumHigh), logSums + 8);
                    for (int k = 0; k < count; k++)
                    {
                        int row = first + k;
                        int t = targets[row];
                        if (t == Functional.DefaultIgnoreIndex)
                        {
                            if (output != null)
                            {
                                output[row] = new CrossEntropyRow(double.NaN, 0.0, 0.0, -1, false);
                            }

                            continue;
                        }

                        double max = maxima[k];
                        double nll = logSums[k] - (columns[t * Lanes + k] - max);
                        if (output != null)
                        {
                            output[row] = new CrossEntropyRow(max + logSums[k], nll, 0.0, argMaxes[k], argMaxes[k] == t);
                        }

                        loss.Add(nll);
                    }
                }
            }

            return loss.Value;
        }
    }
}
