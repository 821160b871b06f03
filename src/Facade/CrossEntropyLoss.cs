using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// Cross entropy between logits and targets, PyTorch's <c>torch.nn.CrossEntropyLoss</c> (with Liger-Kernel's z-loss and
/// soft cap): for class-index targets ℓₙ = (1 − ε)·w[yₙ]·(lseₙ − zₙ[yₙ]) + (ε / C)·Σ_c w[c]·(lseₙ − zₙ[c]) + λ·lseₙ²,
/// and for probability targets ℓₙ = Σ_c w[c]·p′ₙ[c]·(lseₙ − zₙ[c]) + λ·lseₙ² with p′ = (1 − ε)·p + ε / C, where z are the
/// (soft-capped) logits and lseₙ = log Σ_c exp(zₙ[c]); reduced as <see cref="Reduction"/> says.
/// </summary>
/// <typeparam name="T">The element type of the logits and of the class weights: float, double or Half.</typeparam>
/// <remarks>
/// <para>An immutable record over one <see cref="CrossEntropyOptions{T}"/>, the kernel's: options are validated once,
/// when set (by a constructor, by C#'s <c>with</c>, or by <see cref="WithOptions"/> from F#); one instance may be used
/// from many threads at once.</para>
/// <para>Shapes, as PyTorch: input (N, C), (N, C, d1, ..., dk) with the class dimension at 1, or unbatched (C). Index
/// targets (any integer type: <c>int</c>, <c>long</c>, <c>byte</c>, ...) have the input's shape without the class
/// dimension ((N), (N, d1, ..., dk), or one element for unbatched input); probability targets have the input's shape.</para>
/// <para>The mean over index targets divides by the sum of the weights of the non-ignored targets; over probability
/// targets by the number of positions. Every value, edge cases included, is computed by
/// <see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
/// and <see cref="Functional.CrossEntropyProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>.</para>
/// <para>Three ways to call it: <c>Forward</c> (the loss, and its <see cref="LossResult{T}.Summary"/>: counted
/// positions, correct predictions, accuracy, z-loss), <c>ForwardWithGradient</c> returning a new gradient tensor, and
/// <c>ForwardWithGradient</c> into the caller's gradient buffer, which allocates nothing for dense input.</para>
/// </remarks>
public sealed record CrossEntropyLoss<T> : ClassIndexLoss<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="weight">PyTorch <c>weight</c>: one weight per class in the element type, copied; null (default) for all ones. Its length is checked against C when the loss is evaluated.</param>
    /// <param name="ignoreIndex">PyTorch <c>ignore_index</c> (default −100): index targets equal to it contribute nothing; it may be a real class. Unused with probability targets.</param>
    /// <param name="labelSmoothing">PyTorch <c>label_smoothing</c>, ε in [0, 1] (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is BatchMean or not a defined value; <paramref name="labelSmoothing"/> is outside [0, 1] or NaN (PyTorch accepts negative values; this library refuses them).</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> is empty.</exception>
    public CrossEntropyLoss(Reduction reduction = Reduction.Mean, T[]? weight = null, long ignoreIndex = Functional.DefaultIgnoreIndex, double labelSmoothing = 0.0)
        : base(new CrossEntropyOptions<T>
        {
            Reduction = OptionRules.Reduction(reduction, nameof(reduction)),
            Weight = FacadeWeights.Of(weight, nameof(weight)),
            IgnoreIndex = ignoreIndex,
            LabelSmoothing = OptionRules.LabelSmoothing(labelSmoothing, nameof(labelSmoothing)),
        })
    {
    }

    /// <summary>Creates the loss with every option of the kernel, z-loss and soft cap included.</summary>
    /// <param name="options">The options; shared, not copied (they are immutable).</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public CrossEntropyLoss(CrossEntropyOptions<T> options)
        : base(options)
    {
    }

    /// <summary>The label smoothing ε in [0, 1] (PyTorch <c>label_smoothing</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set outside [0, 1] or to NaN.</exception>
    public double LabelSmoothing
    {
        get => Options.LabelSmoothing;
        init => Options = Options with { LabelSmoothing = OptionRules.LabelSmoothing(value, "labelSmoothing") };
    }

    /// <summary>The z-loss scale λ ≥ 0 (<see cref="CrossEntropyOptions{T}.ZLossScale"/>); 0 (default) for none. Not a PyTorch option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set negative, infinite or NaN.</exception>
    public double ZLossScale
    {
        get => Options.ZLossScale;
        init => Options = Options with { ZLossScale = OptionRules.ZLossScale(value, "zLossScale") };
    }

    /// <summary>The soft cap (<see cref="CrossEntropyOptions{T}.SoftCap"/>); 0 (default) for none. Not a PyTorch option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set negative, infinite or NaN.</exception>
    public double SoftCap
    {
        get => Options.SoftCap;
        init => Options = Options with { SoftCap = OptionRules.SoftCap(value, "softCap") };
    }

    /// <inheritdoc/>
    private protected override IndexLoss<T> Kind => IndexLoss<T>.CrossEntropy(Options);

    /// <summary>A copy with other options: the form of <c>with</c> for F# and other languages without it.</summary>
    /// <param name="options">The options (derive them with their own <c>With…</c> methods).</param>
    /// <returns>A new loss.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public CrossEntropyLoss<T> WithOptions(CrossEntropyOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return this with { Options = options };
    }

    /// <summary>Cross entropy of logits and probability targets (soft labels or one-hot; see the class summary), without gradient work.</summary>
    /// <param name="input">Logits: (N, C), (N, C, d1, ..., dk) or (C). Need not be dense.</param>
    /// <param name="target">Target probabilities of the input's shape; rows need not sum to one.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input, and the summary.</returns>
    /// <exception cref="ArgumentException">A shape is wrong (no dimensions, a class dimension of size 0, a target not of the input's shape) or the weight length is not C.</exception>
    public LossResult<T> ForwardProbabilities(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target) =>
        ClassLosses.EvaluateProbabilities(Options, input, target, withGradient: false);

    /// <summary>Cross entropy of logits and probability targets and its gradient ∂L/∂input in a new tensor. For <see cref="Reduction.None"/> the gradient is that of the sum of the per-position losses.</summary>
    /// <param name="input">Logits: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Target probabilities of the input's shape.</param>
    /// <returns>The loss, its summary and its gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="ForwardProbabilities(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    public LossResult<T> ForwardProbabilitiesWithGradient(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target) =>
        ClassLosses.EvaluateProbabilities(Options, input, target, withGradient: true);

    /// <summary>
    /// Cross entropy of logits and class-index targets, its gradient written into the caller's buffer: g·∂L/∂input, with
    /// g the upstream gradient (PyTorch's <c>loss.backward(grad_output)</c>). Allocates nothing and copies nothing when
    /// <paramref name="input"/> and <paramref name="target"/> are dense, so a training loop pays what the kernel call
    /// costs.
    /// </summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Logits: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices, as for <see cref="ClassIndexLoss{T}.Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>.</param>
    /// <param name="gradient">Receives ∂L/∂input: the input's shape, dense. It may be the input itself (the gradient then overwrites the logits).</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape (the target's shape for <see cref="Reduction.None"/> on batched input, otherwise one element); empty (default) for ones.</param>
    /// <returns>The summary: the loss (Σ ℓ for <see cref="Reduction.None"/>), the z-loss, the counted positions, the correct predictions and the accuracy, in double.</returns>
    /// <exception cref="ArgumentException">As <see cref="ClassIndexLoss{T}.Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>; also <paramref name="gradient"/> is not dense or not of the input's shape, or overlaps the input other than exactly; <paramref name="gradOutput"/> is neither empty nor of the loss's shape.</exception>
    public CrossEntropySummary ForwardWithGradient<TLabel>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target, TensorSpan<T> gradient, ReadOnlyTensorSpan<T> gradOutput = default)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        IntoBuffer(input, target, gradient, gradOutput);

    /// <summary>Cross entropy of logits and probability targets, its gradient written into the caller's buffer (see the class-index overload).</summary>
    /// <param name="input">Logits: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Target probabilities of the input's shape.</param>
    /// <param name="gradient">Receives ∂L/∂input: the input's shape, dense; it may be the input itself.</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape; empty (default) for ones.</param>
    /// <returns>The summary (correct 0 and accuracy NaN: a probability target names no one class).</returns>
    /// <exception cref="ArgumentException">As <see cref="ForwardProbabilities(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>, and as the class-index overload for the buffers.</exception>
    public CrossEntropySummary ForwardProbabilitiesWithGradient(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target, TensorSpan<T> gradient, ReadOnlyTensorSpan<T> gradOutput = default) =>
        ClassLosses.ProbabilitiesIntoBuffer(Options, input, target, gradient, gradOutput);

    /// <inheritdoc cref="ForwardProbabilities(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> ForwardProbabilities(Tensor<T> input, Tensor<T> target) =>
        ForwardProbabilities(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardProbabilitiesWithGradient(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> ForwardProbabilitiesWithGradient(Tensor<T> input, Tensor<T> target) =>
        ForwardProbabilitiesWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel}, TensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public CrossEntropySummary ForwardWithGradient<TLabel>(Tensor<T> input, Tensor<TLabel> target, Tensor<T> gradient)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan(), gradient.AsTensorSpan());

    /// <inheritdoc cref="ForwardProbabilitiesWithGradient(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T}, TensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public CrossEntropySummary ForwardProbabilitiesWithGradient(Tensor<T> input, Tensor<T> target, Tensor<T> gradient) =>
        ForwardProbabilitiesWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan(), gradient.AsTensorSpan());

    /// <summary>Cross entropy of row-major logits of the given shape and probability targets of the same shape.</summary>
    /// <param name="input">Logits, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Target probabilities, row-major, same shape.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input, and the summary.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="target"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="ForwardProbabilities(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    public LossResult<T> ForwardProbabilities(ReadOnlySpan<T> input, ReadOnlySpan<nint> shape, ReadOnlySpan<T> target) =>
        ForwardProbabilities(TensorShapes.View(input, shape, nameof(input)), TensorShapes.View(target, shape, nameof(target)));

    /// <summary>Cross entropy of row-major logits of the given shape and probability targets of the same shape, from arrays.</summary>
    /// <param name="input">Logits, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target.</param>
    /// <param name="target">Target probabilities, row-major, same shape; rows need not sum to one.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input, and the summary.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="ForwardProbabilities(ReadOnlySpan{T}, ReadOnlySpan{nint}, ReadOnlySpan{T})"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> ForwardProbabilities(T[] input, int[] shape, T[] target)
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return ForwardProbabilities(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <summary>Cross entropy of row-major logits and probability targets, and its gradient in a new tensor, from arrays.</summary>
    /// <param name="input">Logits, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target.</param>
    /// <param name="target">Target probabilities, row-major, same shape.</param>
    /// <returns>The loss, its summary and its gradient, the input's shape.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="ForwardProbabilities(T[], int[], T[])"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> ForwardProbabilitiesWithGradient(T[] input, int[] shape, T[] target)
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return ForwardProbabilitiesWithGradient(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <summary>Cross entropy of row-major logits and class-index targets, its gradient written into the caller's array (see the tensor overload), from arrays.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Logits, row-major (C order).</param>
    /// <param name="shape">The input's shape.</param>
    /// <param name="target">Class indices, as for <see cref="ClassIndexLoss{T}.Forward{TLabel}(T[], int[], TLabel[])"/>.</param>
    /// <param name="gradient">Receives ∂L/∂input, the input's element count; it may be <paramref name="input"/> itself.</param>
    /// <param name="gradOutput">The upstream gradient, row-major in the loss's shape; null (default) for ones.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">As the tensor overload.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public CrossEntropySummary ForwardWithGradient<TLabel>(T[] input, int[] shape, TLabel[] target, T[] gradient, T[]? gradOutput = null)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        return IntoBuffer(input, shape, target, gradient, gradOutput);
    }

    /// <summary>
    /// The options, as PyTorch would print them, then the empty-mean rule, then the z-loss scale and the soft cap when
    /// they are set: <c>CrossEntropyLoss(reduction: Mean, weight: none, ignoreIndex: -100, labelSmoothing: 0, emptyMean: NaN)</c>.
    /// </summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"CrossEntropyLoss(reduction: {Reduction}, weight: {FacadeWeights.Format(Weight.Span)}, ignoreIndex: {IgnoreIndex}, labelSmoothing: {FacadeWeights.Number(LabelSmoothing)}, emptyMean: {EmptyMean}"
        + (ZLossScale > 0.0 ? $", zLossScale: {FacadeWeights.Number(ZLossScale)}" : string.Empty)
        + (SoftCap > 0.0 ? $", softCap: {FacadeWeights.Number(SoftCap)}" : string.Empty)
        + ")";
}
