using System;
using System.Globalization;

namespace Xent;

/// <summary>
/// The options of the large-vocabulary cross entropy (<see cref="Functional.CrossEntropyDetailed{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/>
/// and the shard functions), each validated when it is set. For a row with target y and soft-capped logits
/// zⱼ = cap·tanh(xⱼ / cap) (zⱼ = xⱼ when <see cref="SoftCap"/> is 0) and lse = log Σⱼ exp(zⱼ):
/// ℓ = (1 − ε)·(lse − z_y) + (ε / C)·Σⱼ (lse − zⱼ) + λ·lse², with ε = <see cref="LabelSmoothing"/> and
/// λ = <see cref="ZLossScale"/>; rows whose target is <see cref="IgnoreIndex"/> count for nothing.
/// </summary>
/// <remarks>
/// An immutable record: build one with an object initializer (<c>new CrossEntropyOptions { ZLossScale = 1e-4 }</c>)
/// or derive one with <c>with</c>; <see cref="Default"/> (or <c>null</c> where an options argument is taken) is PyTorch's
/// <c>cross_entropy</c> defaults. Class weights are not supported here; use <see cref="Functional.CrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/> for them.
/// </remarks>
public sealed record CrossEntropyOptions
{
    private readonly Reduction _reduction = Reduction.Mean;
    private readonly double _labelSmoothing;
    private readonly double _zLossScale;
    private readonly double _softCap;
    private readonly EmptyMean _emptyMean;

    /// <summary>PyTorch's defaults: mean reduction, ignore index −100, no smoothing, no z-loss, no soft-capping, NaN for an empty mean.</summary>
    public static CrossEntropyOptions Default { get; } = new();

    /// <summary>Target value whose rows count for nothing (PyTorch <c>ignore_index</c>, default −100); it may be a real class.</summary>
    public int IgnoreIndex { get; init; } = Functional.DefaultIgnoreIndex;

    /// <summary>
    /// <see cref="Reduction.Mean"/> (default): the summary's loss is Σ ℓ / n over the n counted rows;
    /// <see cref="Reduction.Sum"/>: Σ ℓ. Per-row values come from the rows span, so <see cref="Reduction.None"/> is refused.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to <see cref="Reduction.None"/> or to an undefined value.</exception>
    public Reduction Reduction
    {
        get => _reduction;
        init
        {
            if (value is not (Reduction.Mean or Reduction.Sum))
            {
                throw new ArgumentOutOfRangeException(nameof(Reduction), value,
                    "Reduction must be Mean or Sum (per-row losses come from the rows span).");
            }

            _reduction = value;
        }
    }

    /// <summary>ε in [0, 1] (PyTorch <c>label_smoothing</c>): the target becomes (1 − ε)·onehot + ε / C. Default 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1], or NaN.</exception>
    public double LabelSmoothing
    {
        get => _labelSmoothing;
        init
        {
            if (!(value >= 0.0 && value <= 1.0))
            {
                throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), value,
                    "Label smoothing must be between 0.0 and 1.0.");
            }

            _labelSmoothing = value;
        }
    }

    /// <summary>
    /// λ ≥ 0, the z-loss scale (PaLM; Liger-Kernel's <c>lse_square_scale</c>): λ·lse² is added to each counted row's
    /// loss and 2λ·lse·softmax to its gradient, and reported on its own as the z-loss. Default 0 (off).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, infinite or NaN.</exception>
    public double ZLossScale
    {
        get => _zLossScale;
        init
        {
            if (!(value >= 0.0 && double.IsFinite(value)))
            {
                throw new ArgumentOutOfRangeException(nameof(ZLossScale), value,
                    "The z-loss scale must be finite and at least 0.");
            }

            _zLossScale = value;
        }
    }

    /// <summary>
    /// The soft cap (Gemma 2; Liger-Kernel's <c>softcap</c>): logits pass through cap·tanh(x / cap) inside the kernel,
    /// and the gradient through its derivative 1 − tanh²(x / cap). No capped copy of the logits is made. Default 0 (off).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, infinite or NaN (0 turns capping off).</exception>
    public double SoftCap
    {
        get => _softCap;
        init
        {
            if (!(value >= 0.0 && double.IsFinite(value)))
            {
                throw new ArgumentOutOfRangeException(nameof(SoftCap), value,
                    "The soft cap must be finite and positive, or 0 for none.");
            }

            _softCap = value;
        }
    }

    /// <summary>What a mean over zero counted rows returns: NaN (default, PyTorch) or 0 (Keras, Liger-Kernel). It also applies to the accuracy.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public EmptyMean EmptyMean
    {
        get => _emptyMean;
        init
        {
            if (value is not (EmptyMean.NaN or EmptyMean.Zero))
            {
                throw new ArgumentOutOfRangeException(nameof(EmptyMean), value, "EmptyMean must be NaN or Zero.");
            }

            _emptyMean = value;
        }
    }

    private static string Str(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
