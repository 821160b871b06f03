using System;
using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace Xent.Benchmarks;

/// <summary>
/// The cost of the rich result: float32 cross entropy with class-index targets (about 1 in 16 rows ignored, target
/// −100), mean reduction, at 1 and 2 threads. "Forward": the loss alone (<see cref="Functional.CrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/>,
/// the baseline) against <see cref="Functional.CrossEntropyDetailed{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/>
/// with a rows span (per-row lse, loss, z-loss, prediction, correctness and the summary's accuracy), with default
/// options and with a z-loss (λ = 1e-4), and without a rows span (to separate the cost of writing the rows).
/// "ForwardGradient": <see cref="Functional.CrossEntropyWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/>
/// (the baseline) against <see cref="Functional.CrossEntropyDetailedWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, CrossEntropyOptions?, Span{CrossEntropyRow}, double)"/>
/// with a rows span. The requirement: the rich result costs at most 10 % over the loss alone (ratio ≤ 1.10).
/// Run alone with <c>--rich</c>.
/// </summary>
[MemoryDiagnoser]
public class RichResultBenchmarks
{
    private static readonly CrossEntropyOptions ZLoss = new() { ZLossScale = 1e-4 };

    private float[] _logits = [];
    private int[] _targets = [];
    private float[] _gradient = [];
    private CrossEntropyRow[] _rows = [];
    private int _classes;

    /// <summary>Logits N × C.</summary>
    [Params("4096x32000", "65536x1000", "256x1000", "1000000x10")]
    public string Shape { get; set; } = "256x1000";

    /// <summary>Threads given to the library (<see cref="Functional.MaxDegreeOfParallelism"/>).</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        int rows = int.Parse(parts[0], CultureInfo.InvariantCulture);
        _classes = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var random = new Random(2026);
        _logits = new float[(long)rows * _classes];
        for (long i = 0; i < _logits.Length; i++)
        {
            _logits[i] = (float)(random.NextDouble() * 8 - 4);
        }

        _targets = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            // Mostly valid classes; about 1 row in 16 is ignored (PyTorch's default ignore index).
            _targets[r] = random.Next(16) == 0 ? Functional.DefaultIgnoreIndex : random.Next(_classes);
        }

        _gradient = new float[_logits.Length];
        _rows = new CrossEntropyRow[rows];
        Functional.MaxDegreeOfParallelism = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => Functional.MaxDegreeOfParallelism = Environment.ProcessorCount;

    [Benchmark(Baseline = true, Description = "loss only (CrossEntropy)")]
    [BenchmarkCategory("Forward")]
    public float LossOnly() => Functional.CrossEntropy<float>(_logits, _targets, _classes);

    [Benchmark(Description = "rich (Detailed, rows)")]
    [BenchmarkCategory("Forward")]
    public double Rich() => Functional.CrossEntropyDetailed<float>(_logits, _targets, _classes, null, _rows).Loss;

    [Benchmark(Description = "rich + z-loss 1e-4 (Detailed, rows)")]
    [BenchmarkCategory("Forward")]
    public double RichZLoss() => Functional.CrossEntropyDetailed<float>(_logits, _targets, _classes, ZLoss, _rows).Loss;

    [Benchmark(Description = "rich summary only (Detailed, no rows)")]
    [BenchmarkCategory("Forward")]
    public double RichNoRows() => Functional.CrossEntropyDetailed<float>(_logits, _targets, _classes, null, default).Loss;

    [Benchmark(Baseline = true, Description = "loss+gradient (CrossEntropyWithGradient)")]
    [BenchmarkCategory("ForwardGradient")]
    public float LossGradient() => Functional.CrossEntropyWithGradient<float>(_logits, _targets, _gradient, _classes);

    [Benchmark(Description = "rich+gradient (DetailedWithGradient, rows)")]
    [BenchmarkCategory("ForwardGradient")]
    public double RichGradient() =>
        Functional.CrossEntropyDetailedWithGradient<float>(_logits, _targets, _gradient, _classes, null, _rows).Loss;
}
