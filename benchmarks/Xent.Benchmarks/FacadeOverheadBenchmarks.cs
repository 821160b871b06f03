using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace Xent.Benchmarks;

/// <summary>
/// What the facade costs over the kernel call it wraps: float32 cross entropy with its gradient on 256 × 1000 logits
/// (class indices, mean), the kernel's <see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
/// with a gradient buffer (the baseline) against <see cref="CrossEntropyLoss{T}"/>'s <c>ForwardWithGradient</c> into a
/// caller-owned gradient tensor, with <c>int</c> and <c>long</c> targets, at 1 and 2 threads. The requirement: within
/// 5 % of the kernel call (ratio ≤ 1.05) and 0 B allocated. Run alone with <c>--facade</c>.
/// </summary>
[MemoryDiagnoser]
public class FacadeOverheadBenchmarks
{
    private const int Rows = 256;
    private const int Classes = 1000;
    private readonly CrossEntropyLoss<float> _loss = new();
    private float[] _logits = [];
    private int[] _targets = [];
    private long[] _longTargets = [];
    private float[] _gradient = [];
    private Tensor<float> _input = null!;
    private Tensor<int> _target = null!;
    private Tensor<long> _longTarget = null!;
    private Tensor<float> _gradientTensor = null!;

    /// <summary>Threads given to the library (<see cref="Functional.MaxDegreeOfParallelism"/>).</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2026);
        _logits = new float[Rows * Classes];
        for (int i = 0; i < _logits.Length; i++)
        {
            _logits[i] = (float)(random.NextDouble() * 8 - 4);
        }

        _targets = new int[Rows];
        for (int r = 0; r < Rows; r++)
        {
            _targets[r] = random.Next(Classes);
        }

        _longTargets = Array.ConvertAll(_targets, t => (long)t);
        _gradient = new float[_logits.Length];
        _input = Tensor.Create(_logits, [Rows, Classes]);
        _target = Tensor.Create(_targets, [Rows]);
        _longTarget = Tensor.Create(_longTargets, [Rows]);
        _gradientTensor = Tensor.Create(new float[_logits.Length], [Rows, Classes]);
        Functional.MaxDegreeOfParallelism = Threads;
    }

    /// <summary>The kernel: spans in, the gradient into a caller-owned array.</summary>
    [Benchmark(Baseline = true)]
    public double Kernel() => Functional.CrossEntropy(_logits.AsSpan(), _targets.AsSpan(), Classes, gradient: _gradient.AsSpan()).Loss;

    /// <summary>The facade: tensors in, the gradient into a caller-owned tensor.</summary>
    [Benchmark]
    public double Facade() => _loss.ForwardWithGradient(_input, _target, _gradientTensor).Loss;

    /// <summary>The facade with PyTorch's int64 targets.</summary>
    [Benchmark]
    public double FacadeLongTargets() => _loss.ForwardWithGradient(_input, _longTarget, _gradientTensor).Loss;
}
