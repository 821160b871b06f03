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
/// the same data, at 1 and 2 threads.
/// </summary>
public static unsafe class RichResultAB
{
    private static double _sink;

    /// <summary>Median of the A times, of the B times, and of the per-pair ratios B / A (seconds per call).</summary>
    private readonly record struct Pair(double A, double B, double Ratio);

    private sealed class Data
    {
        public float[] Logits = [];
        public int[] Targets = [];
        public float[] Gradient = [];
        public float[] Losses = [];
        public float[] LogSumExp = [];
        public int[] Predicted = [];
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
            d.Losses = new float[rows];
            d.LogSumExp = new float[rows];
            d.Predicted = new int[rows];
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
        var zLoss = new CrossEntropyOptions<float> { ZLossScale = 1e-4 };
        Console.WriteLine("Interleaved A/B (median of 15 pairs of ~20 ms samples; ratio = median of per-pair B/A)");
        Console.WriteLine("| shape | threads | A | time A | B | time B | B/A |");
        Console.WriteLine("|---|---|---|---:|---|---:|---:|");
        foreach (string shape in Shapes)
        {
            Data d = Data.Create(shape);
            foreach (int threads in (int[])[1, 2])
            {
                Functional.MaxDegreeOfParallelism = threads;
                Func<double> loss = () => (float)Functional.CrossEntropy<float, int>(d.Logits, d.Targets, d.Classes).Loss;
                Func<double> lossGradient = () => (float)Functional.CrossEntropy<float, int>(d.Logits, d.Targets, d.Classes, gradient: d.Gradient).Loss;
                Print(shape, threads, "loss only", "rich (rows)", Interleave(loss,
                    () => Functional.CrossEntropy<float, int>(d.Logits, d.Targets, d.Classes, losses: d.Losses, logSumExp: d.LogSumExp, predicted: d.Predicted).Loss));
                Print(shape, threads, "loss only", "rich + z-loss (rows)", Interleave(loss,
                    () => Functional.CrossEntropy<float, int>(d.Logits, d.Targets, d.Classes, zLoss, losses: d.Losses, logSumExp: d.LogSumExp, predicted: d.Predicted).Loss));
                Print(shape, threads, "loss only", "rich, no rows", Interleave(loss,
                    () => Functional.CrossEntropy<float, int>(d.Logits, d.Targets, d.Classes).Loss));
                Print(shape, threads, "loss+gradient", "rich+gradient (rows)", Interleave(lossGradient,
                    () => Functional.CrossEntropy<float, int>(d.Logits, d.Targets, d.Classes, gradient: d.Gradient, losses: d.Losses, logSumExp: d.LogSumExp, predicted: d.Predicted).Loss));
            }
        }

        Functional.MaxDegreeOfParallelism = Environment.ProcessorCount;
        GC.KeepAlive(_sink);
        return 0;
    }
}
