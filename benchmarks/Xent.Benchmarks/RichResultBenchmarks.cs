using System;
using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace Xent.Benchmarks;

/// <summary>
/// The cost of the rich result: float32 cross entropy with class-index targets (about 1 in 16 rows ignored, target
/// −100), mean reduction, at 1 and 2 threads. "Forward": the plain call, the loss alone (<see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
/// with no output, the baseline) against the same call with the per-row outputs <c>losses</c>, <c>logSumExp</c> and
/// <c>predicted</c> (per-row loss, lse and prediction; the summary gives the counts and accuracy), with default options
/// and with a z-loss (λ = 1e-4), and the summary alone, without per-row outputs (since 0.2 every call computes the whole
/// summary, so this is the plain call again, kept so that the table keeps its rows).
/// "ForwardGradient": the call with a gradient output (the baseline) against the same call with the gradient and the
/// three per-row outputs. The requirement: the rich result costs at most 10 % over the loss alone (ratio ≤ 1.10).
/// Run alone with <c>--rich</c>.
/// </summary>
[MemoryDiagnoser]
public class RichResultBenchmarks
{
    private static readonly CrossEntropyOptions<float> ZLoss = new() { ZLossScale = 1e-4 };

    private float[] _logits = [];
    private int[] _targets = [];
    private float[] _gradient = [];
    private float[] _losses = [];
    private float[] _logSumExp = [];
    private int[] _predicted = [];
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
        _losses = new float[rows];
        _logSumExp = new float[rows];
        _predicted = new int[rows];
        Functional.MaxDegreeOfParallelism = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => Functional.MaxDegreeOfParallelism = Environment.ProcessorCount;

    [Benchmark(Baseline = true, Description = "loss only (CrossEntropy)")]
    [BenchmarkCategory("Forward")]
    public float LossOnly() => (float)Functional.CrossEntropy<float, int>(_logits, _targets, _classes).Loss;

    [Benchmark(Description = "rich (CrossEntropy, per-row outputs)")]
    [BenchmarkCategory("Forward")]
    public double Rich() =>
        Functional.CrossEntropy<float, int>(_logits, _targets, _classes, losses: _losses, logSumExp: _logSumExp, predicted: _predicted).Loss;

    [Benchmark(Description = "rich + z-loss 1e-4 (CrossEntropy, per-row outputs)")]
    [BenchmarkCategory("Forward")]
    public double RichZLoss() =>
        Functional.CrossEntropy<float, int>(_logits, _targets, _classes, ZLoss, losses: _losses, logSumExp: _logSumExp, predicted: _predicted).Loss;

    [Benchmark(Description = "rich summary only (CrossEntropy, no per-row outputs)")]
    [BenchmarkCategory("Forward")]
    public double RichNoRows() => Functional.CrossEntropy<float, int>(_logits, _targets, _classes).Loss;

    [Benchmark(Baseline = true, Description = "loss+gradient (CrossEntropy, gradient)")]
    [BenchmarkCategory("ForwardGradient")]
    public float LossGradient() => (float)Functional.CrossEntropy<float, int>(_logits, _targets, _classes, gradient: _gradient).Loss;

    [Benchmark(Description = "rich+gradient (CrossEntropy, gradient and per-row outputs)")]
    [BenchmarkCategory("ForwardGradient")]
    public double RichGradient() =>
        Functional.CrossEntropy<float, int>(_logits, _targets, _classes, gradient: _gradient, losses: _losses, logSumExp: _logSumExp, predicted: _predicted).Loss;
}
