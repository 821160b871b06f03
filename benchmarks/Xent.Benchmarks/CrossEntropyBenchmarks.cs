using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace Xent.Benchmarks;

/// <summary>
/// Float32 cross entropy with class-index targets and mean reduction, forward (loss only) and forward + gradient, at 1
/// and 2 threads: the library against libtorch (the baseline, when it loads), a scalar loop, the TensorPrimitives
/// composition per row, and one TensorPrimitives.Sum pass over the logits (the memory floor).
/// </summary>
[MemoryDiagnoser]
public class CrossEntropyBenchmarks
{
    private float[] _logits = [];
    private int[] _targets = [];
    private float[] _gradient = [];
    private float[] _rowBuffer = [];
    private int _classes;
#if LIBTORCH
    private LibTorch? _torch;
#endif

    /// <summary>Logits N × C.</summary>
    [Params("4096x32000", "65536x1000", "1000000x10", "256x1000")]
    public string Shape { get; set; } = "256x1000";

    /// <summary>Threads given to the library and to libtorch (torch.set_num_threads).</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        int rows = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        _classes = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var random = new Random(2026);
        _logits = new float[(long)rows * _classes];
        for (long i = 0; i < _logits.Length; i++)
        {
            _logits[i] = (float)(random.NextDouble() * 8 - 4);
        }

        _targets = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            _targets[r] = random.Next(_classes);
        }

        _gradient = new float[_logits.Length];
        _rowBuffer = new float[_classes];
        Functional.MaxDegreeOfParallelism = Threads;
#if LIBTORCH
        if (Program.LibTorchUnavailable is null)
        {
            _torch = new LibTorch(_logits, _targets, _classes, Threads);
        }
#endif
    }

    [GlobalCleanup]
    public void Cleanup()
    {
#if LIBTORCH
        _torch?.Dispose();
        _torch = null;
#endif
    }

#if LIBTORCH
    [Benchmark(Baseline = true, Description = "libtorch forward")]
    [BenchmarkCategory("Forward")]
    public float LibTorchForward() => _torch!.Forward();

    [Benchmark(Baseline = true, Description = "libtorch forward+backward")]
    [BenchmarkCategory("ForwardBackward")]
    public float LibTorchForwardBackward() => _torch!.ForwardBackward();
#endif

    [Benchmark(Description = "Xent forward")]
    [BenchmarkCategory("Forward")]
    public float XentForward() => (float)Functional.CrossEntropy<float, int>(_logits, _targets, _classes).Loss;

    [Benchmark(Description = "Xent forward+gradient")]
    [BenchmarkCategory("ForwardBackward")]
    public float XentForwardGradient() => (float)Functional.CrossEntropy<float, int>(_logits, _targets, _classes, gradient: _gradient).Loss;

    [Benchmark(Description = "scalar loop forward")]
    [BenchmarkCategory("Forward")]
    public float ScalarLoopForward() => Baselines.ScalarLoopForward(_logits, _targets, _classes);

    [Benchmark(Description = "scalar loop forward+gradient")]
    [BenchmarkCategory("ForwardBackward")]
    public float ScalarLoopForwardGradient() => Baselines.ScalarLoopForwardBackward(_logits, _targets, _classes, _gradient);

    [Benchmark(Description = "TensorPrimitives per row forward")]
    [BenchmarkCategory("Forward")]
    public float TensorPrimitivesForward() => Baselines.TensorPrimitivesForward(_logits, _targets, _classes, _rowBuffer);

    [Benchmark(Description = "TensorPrimitives per row forward+gradient")]
    [BenchmarkCategory("ForwardBackward")]
    public float TensorPrimitivesForwardGradient() => Baselines.TensorPrimitivesForwardBackward(_logits, _targets, _classes, _gradient);

    [Benchmark(Description = "TensorPrimitives.Sum pass (memory floor)")]
    [BenchmarkCategory("Forward")]
    public float SumPass() => TensorPrimitives.Sum<float>(_logits);
}
