using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// The loss of a language model's output layer: cross entropy of the logits z = x·Wᵀ + b of a linear layer and
/// class-index targets, computed without ever holding the logits (PyTorch <c>F.linear_cross_entropy(input, weight,
/// target, bias, reduction, ignore_index, label_smoothing)</c>, Liger-Kernel's <c>LigerFusedLinearCrossEntropyLoss</c>):
/// ℓₙ = (1 − ε)·w[yₙ]·(lseₙ − zₙ[yₙ]) + (ε / V)·Σ_c w[c]·(lseₙ − zₙ[c]) + λ·lseₙ², reduced as
/// <see cref="CrossEntropyOptions{T}.Reduction"/> says, with the gradients of x, W and b.
/// </summary>
/// <typeparam name="T">The element type: float, double, or Half (stored as Half, computed in float).</typeparam>
/// <remarks>
/// <para>Shapes, as PyTorch's <c>F.linear</c>: input (…, D) (any number of leading dimensions: (N, D), or (B, T, D) for a
/// batch of sequences), weight (V, D), bias (V) or empty, targets of the input's shape without its last dimension;
/// per-position losses (<see cref="Reduction.None"/>) have the targets' shape.</para>
/// <para>An immutable record over one <see cref="CrossEntropyOptions{T}"/> (class weights are the options' <c>Weight</c>,
/// V values; not to be confused with the layer's weight W), validated when set; one instance may be used from many
/// threads at once. Every value is computed by
/// <see cref="Functional.LinearCrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, ReadOnlySpan{T}, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, bool)"/>,
/// which documents the method, the extra memory (a few MiB, against 2 × N × V values unfused) and the bound on its
/// difference from the unfused computation.</para>
/// </remarks>
public sealed record LinearCrossEntropyLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly CrossEntropyOptions<T> _options;

    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="ignoreIndex">PyTorch <c>ignore_index</c> (default −100): targets equal to it contribute nothing.</param>
    /// <param name="labelSmoothing">PyTorch <c>label_smoothing</c>, ε in [0, 1] (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is BatchMean or not a defined value; <paramref name="labelSmoothing"/> is outside [0, 1] or NaN.</exception>
    public LinearCrossEntropyLoss(Reduction reduction = Reduction.Mean, long ignoreIndex = Functional.DefaultIgnoreIndex, double labelSmoothing = 0.0)
        : this(new CrossEntropyOptions<T>
        {
            Reduction = OptionRules.Reduction(reduction, nameof(reduction)),
            IgnoreIndex = ignoreIndex,
            LabelSmoothing = OptionRules.LabelSmoothing(labelSmoothing, nameof(labelSmoothing)),
        })
    {
    }

    /// <summary>Creates the loss with every option of cross entropy: class weights, z-loss and soft cap included.</summary>
    /// <param name="options">The options; shared, not copied (they are immutable).</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public LinearCrossEntropyLoss(CrossEntropyOptions<T> options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>All the options, as the kernel takes them.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public CrossEntropyOptions<T> Options
    {
        get => _options;
        init => _options = value ?? throw new ArgumentNullException(nameof(Options));
    }

    /// <summary>A copy with other options: the form of <c>with</c> for F# and other languages without it.</summary>
    /// <param name="options">The options (derive them with their own <c>With…</c> methods).</param>
    /// <returns>A new loss.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public LinearCrossEntropyLoss<T> WithOptions(CrossEntropyOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return this with { Options = options };
    }

    /// <summary>The loss of the linear layer's output, without gradient work.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">x: (…, D), at least one dimension. Need not be dense.</param>
    /// <param name="weight">W: (V, D).</param>
    /// <param name="target">Class indices: the input's shape without its last dimension; each in [0, V) or the ignore index.</param>
    /// <param name="bias">b: (V), or empty for none.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/>, with the summary.</returns>
    /// <exception cref="ArgumentException">A shape is wrong, the class weights are not V values, or a target is out of range (an <see cref="ArgumentOutOfRangeException"/>).</exception>
    public LossResult<T> Forward<TLabel>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> weight, ReadOnlyTensorSpan<TLabel> target, ReadOnlyTensorSpan<T> bias = default)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        LinearShapes shape = LinearShapes.Of(input.Lengths, weight.Lengths, target.Lengths, bias);
        T[]? losses = _options.Reduction == Reduction.None ? new T[shape.Rows] : null;
        CrossEntropySummary summary = Functional.LinearCrossEntropy(
            TensorShapes.RowMajor(input), TensorShapes.RowMajor(weight), TensorShapes.RowMajor(target), shape.Features, TensorShapes.RowMajor(bias), _options,
            losses: losses);
        return Package(summary, losses, target.Lengths, null);
    }

    /// <summary>The loss and its gradients ∂L/∂x, ∂L/∂W and ∂L/∂b in new tensors. For <see cref="Reduction.None"/> they are the gradients of the sum of the per-position losses.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">x: (…, D).</param>
    /// <param name="weight">W: (V, D).</param>
    /// <param name="target">Class indices, as for <see cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel}, ReadOnlyTensorSpan{T})"/>.</param>
    /// <param name="bias">b: (V), or empty for none (then <see cref="LinearLossResult{T}.BiasGradient"/> is null).</param>
    /// <returns>The loss with its summary, and the three gradients (the shapes of x, W and b). An ignored position's input gradient is exactly 0.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel}, ReadOnlyTensorSpan{T})"/>.</exception>
    public LinearLossResult<T> ForwardWithGradient<TLabel>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> weight, ReadOnlyTensorSpan<TLabel> target, ReadOnlyTensorSpan<T> bias = default)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        LinearShapes shape = LinearShapes.Of(input.Lengths, weight.Lengths, target.Lengths, bias);
        T[]? losses = _options.Reduction == Reduction.None ? new T[shape.Rows] : null;
        var inputGradient = new T[checked((int)input.FlattenedLength)];
        var weightGradient = new T[checked((int)weight.FlattenedLength)];
        T[]? biasGradient = bias.FlattenedLength == 0 ? null : new T[checked((int)bias.FlattenedLength)];
        CrossEntropySummary summary = Functional.LinearCrossEntropy(
            TensorShapes.RowMajor(input), TensorShapes.RowMajor(weight), TensorShapes.RowMajor(target), shape.Features, TensorShapes.RowMajor(bias), _options,
            inputGradient, weightGradient, biasGradient, losses);
        return new LinearLossResult<T>(
            Package(summary, losses, target.Lengths, null),
            Tensor.Create(inputGradient, input.Lengths),
            Tensor.Create(weightGradient, weight.Lengths),
            biasGradient is null ? null : Tensor.Create(biasGradient, bias.Lengths));
    }

    /// <summary>
    /// The loss, its gradients written into the caller's buffers: g·∂L/∂x, g·∂L/∂W and g·∂L/∂b with g the upstream
    /// gradient (PyTorch's <c>loss.backward(grad_output)</c>), the last two added to what the buffers hold when
    /// <paramref name="accumulate"/> (gradient accumulation over micro-batches). Allocates nothing and copies nothing
    /// when every tensor is dense.
    /// </summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">x: (…, D).</param>
    /// <param name="weight">W: (V, D).</param>
    /// <param name="target">Class indices: the input's shape without its last dimension.</param>
    /// <param name="bias">b: (V), or empty.</param>
    /// <param name="inputGradient">Receives ∂L/∂x: the input's shape, dense; overwritten.</param>
    /// <param name="weightGradient">Receives ∂L/∂W: (V, D), dense.</param>
    /// <param name="biasGradient">Receives ∂L/∂b: (V), dense; empty when there is no bias (or when it is not wanted).</param>
    /// <param name="gradOutput">The upstream gradient: empty (g = 1), one element, or for <see cref="Reduction.None"/> the targets' shape.</param>
    /// <param name="accumulate">Whether ∂L/∂W and ∂L/∂b are added to the buffers' values instead of overwriting them.</param>
    /// <returns>The summary: the loss (Σ ℓ for <see cref="Reduction.None"/>), z-loss, counted positions, correct predictions and accuracy.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel}, ReadOnlyTensorSpan{T})"/>; a gradient buffer does not have its parameter's shape, is not dense, or overlaps an input; <paramref name="gradOutput"/> has the wrong shape.</exception>
    public CrossEntropySummary ForwardWithGradient<TLabel>(
        ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> weight, ReadOnlyTensorSpan<TLabel> target, ReadOnlyTensorSpan<T> bias,
        TensorSpan<T> inputGradient, TensorSpan<T> weightGradient, TensorSpan<T> biasGradient, ReadOnlyTensorSpan<T> gradOutput = default, bool accumulate = false)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        LinearShapes shape = LinearShapes.Of(input.Lengths, weight.Lengths, target.Lengths, bias);
        Span<T> dx = LinearShapes.Buffer(inputGradient, input.Lengths, nameof(inputGradient));
        Span<T> dw = LinearShapes.Buffer(weightGradient, weight.Lengths, nameof(weightGradient));
        Span<T> db = biasGradient.FlattenedLength == 0 ? default : LinearShapes.Buffer(biasGradient, bias.Lengths, nameof(biasGradient));
        TensorShapes.CheckGradOutput(gradOutput, _options.Reduction == Reduction.None, target.Lengths);
        return Functional.LinearCrossEntropy(
            TensorShapes.RowMajor(input), TensorShapes.RowMajor(weight), TensorShapes.RowMajor(target), shape.Features, TensorShapes.RowMajor(bias), _options,
            dx, dw, db, gradOutput: TensorShapes.RowMajor(gradOutput), accumulate: accumulate);
    }

    /// <summary>The loss from row-major arrays: hidden states (N × D values), the weight (V × D) and N targets; the form for F#.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">x, N rows of D values.</param>
    /// <param name="weight">W, V rows of D values.</param>
    /// <param name="target">N class indices.</param>
    /// <param name="features">D.</param>
    /// <param name="bias">b (V values), or null.</param>
    /// <returns>The scalar loss, or N losses for <see cref="Reduction.None"/> (<see cref="LossResult{T}.ToArray"/>), with the summary.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/>, <paramref name="weight"/> or <paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException">As the kernel's <see cref="Functional.LinearCrossEntropy{T, TLabel}(T[], T[], TLabel[], int, T[], CrossEntropyOptions{T}?, T[], T[], T[], T[], T[], int[], T[], bool)"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> Forward<TLabel>(T[] input, T[] weight, TLabel[] target, int features, T[]? bias = null)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(target);
        T[]? losses = _options.Reduction == Reduction.None ? new T[target.Length] : null;
        CrossEntropySummary summary = Functional.LinearCrossEntropy(input, weight, target, features, bias, _options, losses: losses);
        return Package(summary, losses, [target.Length], null);
    }

    /// <summary>The loss and its three gradients in new tensors, from row-major arrays (<see cref="LinearLossResult{T}"/> reads them back as arrays).</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">x, N rows of D values.</param>
    /// <param name="weight">W, V rows of D values.</param>
    /// <param name="target">N class indices.</param>
    /// <param name="features">D.</param>
    /// <param name="bias">b (V values), or null.</param>
    /// <returns>The loss with its summary, and ∂L/∂x (N, D), ∂L/∂W (V, D) and ∂L/∂b (V; null without a bias).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/>, <paramref name="weight"/> or <paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{TLabel}(T[], T[], TLabel[], int, T[])"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LinearLossResult<T> ForwardWithGradient<TLabel>(T[] input, T[] weight, TLabel[] target, int features, T[]? bias = null)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(target);
        T[]? losses = _options.Reduction == Reduction.None ? new T[target.Length] : null;
        var inputGradient = new T[input.Length];
        var weightGradient = new T[weight.Length];
        T[]? biasGradient = bias is null || bias.Length == 0 ? null : new T[bias.Length];
        CrossEntropySummary summary = Functional.LinearCrossEntropy(input, weight, target, features, bias, _options, inputGradient, weightGradient, biasGradient, losses);
        nint rows = target.Length, d = features;
        return new LinearLossResult<T>(
            Package(summary, losses, [target.Length], null),
            Tensor.Create(inputGradient, [rows, d]),
            Tensor.Create(weightGradient, [weight.Length / features, d]),
            biasGradient is null ? null : Tensor.Create(biasGradient, [(nint)biasGradient.Length]));
    }

    /// <summary>The scalar, or the per-position losses shaped like the targets.</summary>
    private LossResult<T> Package(CrossEntropySummary summary, T[]? losses, ReadOnlySpan<nint> targetShape, Tensor<T>? gradient) =>
        losses is null
            ? new LossResult<T>(T.CreateTruncating(summary.Loss), gradient, summary)
            : new LossResult<T>(Tensor.Create(losses, targetShape.Length == 0 ? [1] : targetShape), gradient, summary);
}

/// <summary>The value of a <see cref="LinearCrossEntropyLoss{T}"/> and its gradients with respect to the layer's input, weight and bias.</summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class LinearLossResult<T>
    where T : IFloatingPointIeee754<T>
{
    internal LinearLossResult(LossResult<T> loss, Tensor<T> inputGradient, Tensor<T> weightGradient, Tensor<T>? biasGradient)
    {
        Loss = loss;
        InputGradient = inputGradient;
        WeightGradient = weightGradient;
        BiasGradient = biasGradient;
    }

    /// <summary>The loss (a scalar, or one loss per position for <see cref="Reduction.None"/>) and its summary.</summary>
    public LossResult<T> Loss { get; }

    /// <summary>∂L/∂x, the input's shape.</summary>
    public Tensor<T> InputGradient { get; }

    /// <summary>∂L/∂W, (V, D).</summary>
    public Tensor<T> WeightGradient { get; }

    /// <summary>∂L/∂b, (V); null when the call had no bias.</summary>
    public Tensor<T>? BiasGradient { get; }
}
