using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Xent.Benchmarks;

/// <summary>
/// A manual run (not CI) past 2³¹ logits: 8192 × 262144 floats (2,147,483,648 elements, 8 GiB, one more than
/// int.MaxValue, so no span can hold them) allocated natively and wrapped in a tensor span, filled deterministically
/// with values in [−8, 8), reduced by the tensor-span overload of
/// <see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlyTensorSpan{T}, ReadOnlySpan{TLabel}, CrossEntropyOptions{T}?, TensorSpan{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T})"/>
/// with the per-row outputs (losses, log-sum-exps, predictions; timed), and checked against (1) the span overload over
/// blocks of 4096 rows (2³⁰ elements each): the per-row results must agree bit for bit; (2) an independent
/// double-precision scalar loop over every row (Math.Exp): mean loss, per-row loss (against the reference rounded to
/// float), prediction and correct count. Then, when another 8 GiB is available, the same call with a gradient output
/// as well, its gradient checked on sampled rows against the double formula (softmax − onehot) / n. Run with
/// <c>dotnet run -c Release --project benchmarks/Xent.Benchmarks -- --huge</c>.
/// </summary>
public static unsafe class HugeRun
{
    private const int Rows = 8192;
    private const int Classes = 262144;
    private const long Elements = (long)Rows * Classes;
    private const long Bytes = Elements * sizeof(float);

    // Native sizes (a 64-bit process is required: Run checks).
    private static readonly nuint ByteCount = unchecked((nuint)Bytes);
    private static readonly nint ElementCount = unchecked((nint)Elements);

    public static int Run()
    {
        if (!Environment.Is64BitProcess)
        {
            Console.WriteLine("HugeRun needs a 64-bit process.");
            return 1;
        }

        Console.WriteLine($"HugeRun: logits {Rows} x {Classes} float32 = {Elements:N0} elements ({Bytes / (1L << 30)} GiB; int.MaxValue = {int.MaxValue:N0}), " +
            $"threads {Functional.MaxDegreeOfParallelism}, {RuntimeInformation.FrameworkDescription}");
        float* logits = null;
        float* gradient = null;
        bool ok = true;
        try
        {
            logits = (float*)NativeMemory.AlignedAlloc(ByteCount, 64);
            var watch = Stopwatch.StartNew();
            int[] targets = Fill(logits);
            Console.WriteLine($"fill: {watch.Elapsed.TotalSeconds:F2} s (hash values in [-8, 8); target -100 when row % 16 == 5; " +
                "logit 9 at the target when row % 3 == 0)");

            var input = new ReadOnlyTensorSpan<float>(logits, ElementCount, [Rows, Classes], [Classes, 1]);
            var rows = new RowOutputs(Rows);
            Warm(logits, targets, null);
            CrossEntropySummary summary = default;
            for (int run = 1; run <= 3; run++)
            {
                watch.Restart();
                summary = Functional.CrossEntropy<float, int>(input, targets, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted);
                double seconds = watch.Elapsed.TotalSeconds;
                Console.WriteLine($"CrossEntropy (ReadOnlyTensorSpan, per-row outputs) run {run}: {seconds * 1e3:F1} ms ({Bytes / seconds / 1e9:F1} GB/s read)");
            }

            Console.WriteLine($"  summary: loss {R(summary.Loss)}, z-loss {R(summary.ZLoss)}, count {summary.Count}, correct {summary.Correct}, accuracy {R(summary.Accuracy)}");

            // (1) The span overload over blocks of 4096 rows (2^30 elements each): the same rows bit for bit.
            watch.Restart();
            var blockRows = new RowOutputs(Rows);
            var sum = new CrossEntropyOptions<float> { Reduction = Reduction.Sum };
            double blockLossSum = 0.0;
            long blockCount = 0, blockCorrect = 0;
            const int BlockRows = 4096;
            for (int first = 0; first < Rows; first += BlockRows)
            {
                var block = new ReadOnlySpan<float>(logits + (long)first * Classes, BlockRows * Classes);
                CrossEntropySummary s = Functional.CrossEntropy<float, int>(block, targets.AsSpan(first, BlockRows), Classes, sum,
                    losses: blockRows.Losses.AsSpan(first, BlockRows), logSumExp: blockRows.LogSumExp.AsSpan(first, BlockRows),
                    predicted: blockRows.Predicted.AsSpan(first, BlockRows));
                blockLossSum += s.Loss;
                blockCount += s.Count;
                blockCorrect += s.Correct;
            }

            int rowMismatches = rows.Differing(blockRows);

            double blockMean = blockLossSum / blockCount;
            bool blockOk = rowMismatches == 0 && blockCount == summary.Count && blockCorrect == summary.Correct
                && Math.Abs(blockMean - summary.Loss) <= 1e-12 * Math.Abs(summary.Loss);
            ok &= blockOk;
            Console.WriteLine($"check 1, span overload on 2 blocks of {BlockRows} rows: mean loss {R(blockMean)} (diff {blockMean - summary.Loss:E2}), " +
                $"count {blockCount}, correct {blockCorrect}, rows differing {rowMismatches} -> {(blockOk ? "OK" : "FAIL")} ({watch.Elapsed.TotalSeconds:F2} s)");

            // (2) An independent double scalar loop over every row.
            watch.Restart();
            Reference[] reference = ReferenceRows(logits, targets);
            double referenceSum = 0.0, referenceCompensation = 0.0, maxRowDiff = 0.0, maxLseDiff = 0.0;
            long referenceCount = 0, referenceCorrect = 0;
            int predictionMismatches = 0;
            for (int r = 0; r < Rows; r++)
            {
                if (targets[r] == Functional.DefaultIgnoreIndex)
                {
                    predictionMismatches += rows.Predicted[r] == -1 && rows.Losses[r] == 0f ? 0 : 1;
                    continue;
                }

                Reference e = reference[r];
                referenceCount++;
                referenceCorrect += e.ArgMax == targets[r] ? 1 : 0;
                double y = e.Loss - referenceCompensation; // Kahan
                double t = referenceSum + y;
                referenceCompensation = t - referenceSum - y;
                referenceSum = t;
                // The per-row outputs are floats: compared with the reference rounded to float.
                maxRowDiff = Math.Max(maxRowDiff, Math.Abs(rows.Losses[r] - (float)e.Loss));
                maxLseDiff = Math.Max(maxLseDiff, Math.Abs(rows.LogSumExp[r] - (float)e.Lse));
                predictionMismatches += rows.Predicted[r] == e.ArgMax ? 0 : 1;
            }

            double referenceMean = referenceSum / referenceCount;
            double relative = Math.Abs(summary.Loss - referenceMean) / Math.Abs(referenceMean);
            bool referenceOk = referenceCount == summary.Count && referenceCorrect == summary.Correct && predictionMismatches == 0
                && relative <= 1e-6 && maxRowDiff <= 1e-5;
            ok &= referenceOk;
            Console.WriteLine($"check 2, double scalar loop over all {Rows} rows: mean loss {R(referenceMean)} (relative diff {relative:E2}), " +
                $"count {referenceCount}, correct {referenceCorrect}, max |row loss diff| {maxRowDiff:E2}, max |row lse diff| {maxLseDiff:E2}, " +
                $"predictions differing {predictionMismatches} -> {(referenceOk ? "OK" : "FAIL")} ({watch.Elapsed.TotalSeconds:F2} s)");

            // The gradient variant: another 8 GiB.
            long available = AvailableBytes();
            if (available < Bytes + (1L << 30))
            {
                Console.WriteLine($"With the gradient: not run, {available / (double)(1L << 30):F1} GiB available, {Bytes / (1L << 30)} GiB + 1 GiB needed");
            }
            else
            {
                gradient = (float*)NativeMemory.AlignedAlloc(ByteCount, 64);
                NativeMemory.Clear(gradient, ByteCount); // commit the pages before timing
                var gradientSpan = new TensorSpan<float>(gradient, ElementCount, [Rows, Classes], [Classes, 1]);
                var gradientRows = new RowOutputs(Rows);
                Warm(logits, targets, gradient);
                CrossEntropySummary withGradient = default;
                for (int run = 1; run <= 3; run++)
                {
                    watch.Restart();
                    withGradient = Functional.CrossEntropy<float, int>(input, targets, null, gradientSpan,
                        gradientRows.Losses, gradientRows.LogSumExp, gradientRows.Predicted);
                    double seconds = watch.Elapsed.TotalSeconds;
                    Console.WriteLine($"CrossEntropy (TensorSpan gradient, per-row outputs) run {run}: {seconds * 1e3:F1} ms ({2 * Bytes / seconds / 1e9:F1} GB/s read+written)");
                }

                Console.WriteLine($"  summary: loss {R(withGradient.Loss)}, z-loss {R(withGradient.ZLoss)}, count {withGradient.Count}, correct {withGradient.Correct}, accuracy {R(withGradient.Accuracy)}");
                int gradientRowMismatches = gradientRows.Differing(rows);

                (double maxGradientError, int checkedRows) = CheckGradient(logits, gradient, targets, reference, summary.Count);
                bool gradientOk = withGradient == summary && gradientRowMismatches == 0 && maxGradientError <= 1e-5;
                ok &= gradientOk;
                Console.WriteLine($"check 3, gradient: summary equal to the loss-only call: {withGradient == summary}, rows differing {gradientRowMismatches}, " +
                    $"max |g - (softmax - onehot)/n| * n over {checkedRows} sampled rows {maxGradientError:E2} -> {(gradientOk ? "OK" : "FAIL")}");
            }
        }
        finally
        {
            NativeMemory.AlignedFree(gradient);
            NativeMemory.AlignedFree(logits);
        }

        Console.WriteLine(ok ? "HugeRun: all checks passed; memory freed" : "HugeRun: CHECK FAILED; memory freed");
        return ok ? 0 : 1;
    }

    private static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>splitmix64's finalizer: a cheap, well-mixed hash of the element index.</summary>
    private static ulong Hash(ulong z)
    {
        z *= 0x9E3779B97F4A7C15UL;
        z ^= z >> 30;
        z *= 0xBF58476D1CE4E5B9UL;
        z ^= z >> 27;
        z *= 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// xᵢ = h(i)/2²⁰ − 8 with h(i) the top 24 bits of the hash (exact in float, in [−8, 8)); the target of row r is
    /// −100 when r % 16 == 5, else a hashed class, and its logit is set to 9 (the row maximum) when r % 3 == 0.
    /// </summary>
    private static int[] Fill(float* logits)
    {
        var targets = new int[Rows];
        for (int r = 0; r < Rows; r++)
        {
            targets[r] = r % 16 == 5 ? Functional.DefaultIgnoreIndex : (int)(Hash(0xC0FFEE00UL + (ulong)r) % Classes);
        }

        nint p = (nint)logits;
        Parallel.For(0, Rows, r =>
        {
            float* row = (float*)p + (long)r * Classes;
            ulong first = (ulong)r * Classes;
            for (int j = 0; j < Classes; j++)
            {
                row[j] = (Hash(first + (ulong)j) >> 40) * (1f / (1 << 20)) - 8f;
            }

            if (r % 3 == 0 && targets[r] >= 0)
            {
                row[targets[r]] = 9f;
            }
        });
        return targets;
    }

    /// <summary>Tiers the kernel up on the first 8 rows (40 calls) so that the timed calls run optimized code.</summary>
    private static void Warm(float* logits, int[] targets, float* gradient)
    {
        const int WarmRows = 8;
        var input = new ReadOnlyTensorSpan<float>(logits, WarmRows * Classes, [WarmRows, Classes], [Classes, 1]);
        var rows = new RowOutputs(WarmRows);
        for (int i = 0; i < 40; i++)
        {
            TensorSpan<float> g = gradient == null
                ? default
                : new TensorSpan<float>(gradient, WarmRows * Classes, [WarmRows, Classes], [Classes, 1]);
            Functional.CrossEntropy<float, int>(input, targets.AsSpan(0, WarmRows), null, g, rows.Losses, rows.LogSumExp, rows.Predicted);
        }

        Thread.Sleep(1000); // let the background tier-1 compilation finish
    }

    private readonly record struct Reference(double Lse, double Loss, int ArgMax);

    /// <summary>The per-row outputs of one call: loss, log-sum-exp and prediction of each row (0, NaN and −1 where ignored).</summary>
    private sealed class RowOutputs(int rows)
    {
        public float[] Losses { get; } = new float[rows];

        public float[] LogSumExp { get; } = new float[rows];

        public int[] Predicted { get; } = new int[rows];

        /// <summary>How many rows differ from <paramref name="other"/>'s in any output (NaN equal to NaN).</summary>
        public int Differing(RowOutputs other)
        {
            int count = 0;
            for (int r = 0; r < Losses.Length; r++)
            {
                bool same = Losses[r].Equals(other.Losses[r]) && LogSumExp[r].Equals(other.LogSumExp[r]) && Predicted[r] == other.Predicted[r];
                count += same ? 0 : 1;
            }

            return count;
        }
    }

    /// <summary>Per row in double: m = max, the first index of m, lse = m + log Σ exp(x − m), loss = lse − x_y.</summary>
    private static Reference[] ReferenceRows(float* logits, int[] targets)
    {
        var result = new Reference[Rows];
        nint p = (nint)logits;
        Parallel.For(0, Rows, r =>
        {
            if (targets[r] == Functional.DefaultIgnoreIndex)
            {
                return;
            }

            float* row = (float*)p + (long)r * Classes;
            double max = double.NegativeInfinity;
            int argMax = 0;
            for (int j = 0; j < Classes; j++)
            {
                if (row[j] > max)
                {
                    max = row[j];
                    argMax = j;
                }
            }

            double sum = 0.0;
            for (int j = 0; j < Classes; j++)
            {
                sum += Math.Exp(row[j] - max);
            }

            double lse = max + Math.Log(sum);
            result[r] = new Reference(lse, lse - row[targets[r]], argMax);
        });
        return result;
    }

    /// <summary>
    /// The largest |gⱼ − (softmaxⱼ − [j = y]) / n|·n over sampled rows (first, last, around the block boundary at 4096,
    /// an ignored row and hashed ones); an ignored row must be all zeros.
    /// </summary>
    private static (double MaxError, int Rows) CheckGradient(float* logits, float* gradient, int[] targets, Reference[] reference, long count)
    {
        int[] sample = [0, 1, 3, 5, 4095, 4096, 8190, 8191, .. Enumerable(16)];
        double maxError = 0.0;
        foreach (int r in sample)
        {
            float* x = logits + (long)r * Classes;
            float* g = gradient + (long)r * Classes;
            int t = targets[r];
            for (int j = 0; j < Classes; j++)
            {
                double expected = t == Functional.DefaultIgnoreIndex
                    ? 0.0
                    : (Math.Exp(x[j] - reference[r].Lse) - (j == t ? 1.0 : 0.0)) / count;
                maxError = Math.Max(maxError, Math.Abs(g[j] - expected) * count);
            }
        }

        return (maxError, sample.Length);
    }

    private static int[] Enumerable(int n)
    {
        var rows = new int[n];
        for (int i = 0; i < n; i++)
        {
            rows[i] = (int)(Hash(0xBADC0DEUL + (ulong)i) % Rows);
        }

        return rows;
    }

    /// <summary>MemAvailable from /proc/meminfo, or the GC's view of the machine's memory elsewhere.</summary>
    private static long AvailableBytes()
    {
        const string Path = "/proc/meminfo";
        if (File.Exists(Path))
        {
            foreach (string line in File.ReadLines(Path))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
