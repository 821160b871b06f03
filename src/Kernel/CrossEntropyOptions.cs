using System;
using System.Numerics;
using System.Runtime.InteropServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// The options of cross entropy and NLL (PyTorch <c>torch.nn.CrossEntropyLoss</c>'s arguments, and the large-vocabulary
/// ones of Liger-Kernel), validated once, when each is set. For a position with target y, logits x, soft-capped logits
/// zⱼ = cap·tanh(xⱼ / cap) (zⱼ = xⱼ when <see cref="SoftCap"/> is 0) and lse = log Σⱼ exp(zⱼ):
/// ℓ = (1 − ε)·w[y]·(lse − z_y) + (ε / C)·Σⱼ w[j]·(lse − zⱼ) + λ·lse², with w = <see cref="Weight"/> (all ones when
/// empty), ε = <see cref="LabelSmoothing"/> and λ = <see cref="ZLossScale"/>; a position whose target is
/// <see cref="IgnoreIndex"/> counts for nothing. <see cref="Reduction"/> says how the ℓ are combined.
/// </summary>
/// <typeparam name="T">The element type of the logits, which the class weights share (float, double or Half).</typeparam>
/// <remarks>
/// <para>An immutable record: build one with an object initializer
/// (<c>new CrossEntropyOptions&lt;float&gt; { LabelSmoothing = 0.1 }</c>), derive one with C#'s <c>with</c>, or, from F#
/// and other languages without <c>with</c>, with the <c>With…</c> methods. <see cref="Default"/> (and <c>null</c> where
/// an options argument is taken) is PyTorch's defaults. One instance may be shared by any number of threads and calls.</para>
/// <para>Two options are equal when every option is, the weights compared value by value (NaN weights equal).</para>
/// </remarks>
public sealed record CrossEntropyOptions<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly T[] _weight = [];
    private readonly Reduction _reduction = Reduction.Mean;
    private readonly double _labelSmoothing;
    private readonly double _zLossScale;
    private readonly double _softCap;
    private readonly EmptyMean _emptyMean;

    /// <summary>PyTorch's defaults: no class weights, ignore index −100, mean reduction, no smoothing, no z-loss, no soft cap, NaN for an empty mean.</summary>
    public static CrossEntropyOptions<T> Default { get; } = new();

    /// <summary>
    /// The class weights w (PyTorch <c>weight</c>): one per class, in the element type, copied when set; empty (the
    /// default) for all ones. Their number is checked against C when a loss is computed. Any values are accepted,
    /// negative ones included, as PyTorch accepts them.
    /// </summary>
    public ReadOnlyMemory<T> Weight
    {
        get => _weight;
        init => _weight = value.ToArray();
    }

    /// <summary>
    /// The target value whose positions count for nothing (PyTorch <c>ignore_index</c>, default −100), compared with each
    /// target exactly, whatever its integer type; it may be a real class. Unused with probability targets.
    /// </summary>
    public long IgnoreIndex { get; init; } = Functional.DefaultIgnoreIndex;

    /// <summary>
    /// How the per-position losses are combined (PyTorch <c>reduction</c>): <see cref="Reduction.Mean"/> (default),
    /// <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/> (per-position losses into the caller's buffer).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to <see cref="Reduction.BatchMean"/> (KL divergence only) or to an undefined value.</exception>
    public Reduction Reduction
    {
        get => _reduction;
        init => _reduction = OptionRules.Reduction(value, nameof(Reduction));
    }

    /// <summary>ε in [0, 1] (PyTorch <c>label_smoothing</c>): the target becomes (1 − ε)·onehot + ε / C. Default 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1], or NaN.</exception>
    public double LabelSmoothing
    {
        get => _labelSmoothing;
        init => _labelSmoothing = OptionRules.LabelSmoothing(value, nameof(LabelSmoothing));
    }

    /// <summary>
    /// λ ≥ 0, the z-loss scale (PaLM; Liger-Kernel's <c>lse_square_scale</c>): λ·lse² is added to each counted
    /// position's loss (and so is reduced with it) and 2λ·lse·softmax to its gradient; the summary reports the reduced
    /// z-loss on its own. Default 0 (off). Not a PyTorch option.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, infinite or NaN.</exception>
    public double ZLossScale
    {
        get => _zLossScale;
        init => _zLossScale = OptionRules.ZLossScale(value, nameof(ZLossScale));
    }

    /// <summary>
    /// The soft cap (Gemma 2; Liger-Kernel's <c>softcap</c>): logits pass through cap·tanh(x / cap) inside the kernel, and
    /// the gradient through its derivative 1 − tanh²(x / cap); no capped copy of the logits is made. Default 0 (off).
    /// Not a PyTorch option.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, infinite or NaN (0 turns capping off).</exception>
    public double SoftCap
    {
        get => _softCap;
        init => _softCap = OptionRules.SoftCap(value, nameof(SoftCap));
    }

    /// <summary>
    /// What a <see cref="Reduction.Mean"/> over no counted position returns (every target ignored, or an empty batch):
    /// <see cref="EmptyMean.NaN"/> (default, PyTorch's 0/0) or <see cref="EmptyMean.Zero"/> (Keras, Liger-Kernel). It
    /// applies to the accuracy too. Weights summing to zero over targets that count still give what the division gives.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public EmptyMean EmptyMean
    {
        get => _emptyMean;
        init => _emptyMean = OptionRules.EmptyMean(value, nameof(EmptyMean));
    }

    /// <summary>A copy with the class weights w (copied); null or empty for all ones.</summary>
    public CrossEntropyOptions<T> WithWeight(T[]? weight) => this with { Weight = weight };

    /// <summary>A copy with another ignore index.</summary>
    public CrossEntropyOptions<T> WithIgnoreIndex(long ignoreIndex) => this with { IgnoreIndex = ignoreIndex };

    /// <summary>A copy with another reduction.</summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="Reduction"/>.</exception>
    public CrossEntropyOptions<T> WithReduction(Reduction reduction) => this with { Reduction = reduction };

    /// <summary>A copy with another label smoothing ε.</summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="LabelSmoothing"/>.</exception>
    public CrossEntropyOptions<T> WithLabelSmoothing(double labelSmoothing) => this with { LabelSmoothing = labelSmoothing };

    /// <summary>A copy with another z-loss scale λ.</summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="ZLossScale"/>.</exception>
    public CrossEntropyOptions<T> WithZLossScale(double zLossScale) => this with { ZLossScale = zLossScale };

    /// <summary>A copy with another soft cap.</summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="SoftCap"/>.</exception>
    public CrossEntropyOptions<T> WithSoftCap(double softCap) => this with { SoftCap = softCap };

    /// <summary>A copy with another empty-mean rule.</summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="EmptyMean"/>.</exception>
    public CrossEntropyOptions<T> WithEmptyMean(EmptyMean emptyMean) => this with { EmptyMean = emptyMean };

    /// <summary>Whether every option equals <paramref name="other"/>'s, the weights value by value.</summary>
    public bool Equals(CrossEntropyOptions<T>? other) =>
        other is not null
        && IgnoreIndex == other.IgnoreIndex
        && _reduction == other._reduction
        && _labelSmoothing.Equals(other._labelSmoothing)
        && _zLossScale.Equals(other._zLossScale)
        && _softCap.Equals(other._softCap)
        && _emptyMean == other._emptyMean
        && WeightValues.Equal<T>(_weight, other._weight);

    /// <summary>A hash of every option, the weights by value.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(IgnoreIndex);
        hash.Add(_reduction);
        hash.Add(_labelSmoothing);
        hash.Add(_zLossScale);
        hash.Add(_softCap);
        hash.Add(_emptyMean);
        WeightValues.AddTo<T>(ref hash, _weight);

        return hash.ToHashCode();
    }

    /// <summary>The weights as a span (empty for none), for the kernel.</summary>
    internal ReadOnlySpan<T> WeightSpan => _weight;

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Weight = ").Append(_weight.Length == 0 ? "none" : "[" + string.Join(", ", Array.ConvertAll(_weight, w => w.ToString(null, System.Globalization.CultureInfo.InvariantCulture))) + "]");
        builder.Append(", IgnoreIndex = ").Append(IgnoreIndex);
        builder.Append(", Reduction = ").Append(_reduction);
        builder.Append(", LabelSmoothing = ").Append(_labelSmoothing.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        builder.Append(", ZLossScale = ").Append(_zLossScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        builder.Append(", SoftCap = ").Append(_softCap.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        builder.Append(", EmptyMean = ").Append(_emptyMean);
        return true;
    }
}
