using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// Negative log-likelihood of class-index targets given log-probabilities, PyTorch's <c>torch.nn.NLLLoss</c>:
/// ℓₙ = −w[yₙ]·xₙ[yₙ] for yₙ ≠ ignoreIndex and 0 otherwise, reduced as <see cref="Reduction"/> says (the mean divides
/// by the sum of the weights of the non-ignored targets).
/// </summary>
/// <typeparam name="T">The element type of the log-probabilities and of the class weights: float, double or Half.</typeparam>
/// <remarks>
/// <para>An immutable record over a <see cref="CrossEntropyOptions{T}"/> (its class weights, ignore index, reduction and
/// empty-mean rule; label smoothing, z-loss and soft cap belong to cross entropy and are refused here), validated when
/// set; one instance may be used from many threads at once.</para>
/// <para>Shapes, as PyTorch: input (N, C), (N, C, d1, ..., dk) or unbatched (C), usually the output of
/// <see cref="LogSoftmax"/>; targets (any integer type) the input's shape without the class dimension. Values are
/// computed by <see cref="Functional.NllLoss{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, ReadOnlySpan{T}, int)"/>,
/// edge cases included.</para>
/// </remarks>
public sealed record NllLoss<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly CrossEntropyOptions<T> _options = CrossEntropyOptions<T>.Default;

    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="weight">PyTorch <c>weight</c>: one weight per class in the element type, copied; null (default) for all ones.</param>
    /// <param name="ignoreIndex">PyTorch <c>ignore_index</c> (default −100); it may be a real class.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is BatchMean or not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> is empty.</exception>
    public NllLoss(Reduction reduction = Reduction.Mean, T[]? weight = null, long ignoreIndex = Functional.DefaultIgnoreIndex)
    {
        _options = new CrossEntropyOptions<T>
        {
            Reduction = OptionRules.Reduction(reduction, nameof(reduction)),
            Weight = FacadeWeights.Of(weight, nameof(weight)),
            IgnoreIndex = ignoreIndex,
        };
    }

    /// <summary>Creates the loss from options (class weights, ignore index, reduction, empty-mean rule).</summary>
    /// <param name="options">The options; label smoothing, z-loss and soft cap must be 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options ask for label smoothing, a z-loss or a soft cap.</exception>
    public NllLoss(CrossEntropyOptions<T> options)
    {
        Options = options;
    }

    /// <summary>The options, as the kernel takes them.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    /// <exception cref="ArgumentException">Set to options with label smoothing, a z-loss or a soft cap.</exception>
    public CrossEntropyOptions<T> Options
    {
        get => _options;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.LabelSmoothing != 0.0 || value.ZLossScale != 0.0 || value.SoftCap != 0.0)
            {
                throw new ArgumentException(
                    "NLL takes log-probabilities: label smoothing, the z-loss and the soft cap are options of cross entropy and must be 0 here.", nameof(value));
            }

            _options = value;
        }
    }

    /// <summary>How per-position losses are combined (PyTorch <c>reduction</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to BatchMean or to an undefined value.</exception>
    public Reduction Reduction
    {
        get => _options.Reduction;
        init => _options = _options with { Reduction = OptionRules.Reduction(value, "reduction") };
    }

    /// <summary>The per-class weights (PyTorch <c>weight</c>) in the element type, copied when set; empty for none.</summary>
    public ReadOnlyMemory<T> Weight
    {
        get => _options.Weight;
        init => _options = _options with { Weight = value };
    }

    /// <summary>The ignored target value (PyTorch <c>ignore_index</c>).</summary>
    public long IgnoreIndex
    {
        get => _options.IgnoreIndex;
        init => _options = _options with { IgnoreIndex = value };
    }

    /// <summary>
    /// What a <see cref="Reduction.Mean"/> returns when no position counts: <see cref="EmptyMean.NaN"/> (default,
    /// PyTorch's 0/0) or <see cref="EmptyMean.Zero"/>; the gradient is 0 in both cases. Not a PyTorch option.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public EmptyMean EmptyMean
    {
        get => _options.EmptyMean;
        init => _options = _options with { EmptyMean = OptionRules.EmptyMean(value, "emptyMean") };
    }

    /// <summary>A copy with other options: the form of <c>with</c> for F#.</summary>
    /// <param name="options">The options.</param>
    /// <returns>A new loss.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Options"/>.</exception>
    public NllLoss<T> WithOptions(CrossEntropyOptions<T> options) => this with { Options = options };

    /// <summary>Negative log-likelihood of log-probabilities and class-index targets (see the class summary), without gradient work.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Log-probabilities: (N, C), (N, C, d1, ..., dk) or (C). Need not be dense.</param>
    /// <param name="target">Class indices: the input's shape without dimension 1, or one element for an unbatched input.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentException">A shape is wrong, the weight length is not C, or a target is out of range (an <see cref="ArgumentOutOfRangeException"/>).</exception>
    public LossResult<T> Forward<TLabel>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        ClassLosses.Evaluate(IndexLoss<T>.Nll(_options), input, target, withGradient: false);

    /// <summary>
    /// Negative log-likelihood and its gradient ∂L/∂input in a new tensor: −w[yₙ] times the reduction's scale at each
    /// non-ignored target, 0 elsewhere. For <see cref="Reduction.None"/>, the gradient of the sum.
    /// </summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Log-probabilities: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices, as for <see cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>.</param>
    /// <returns>The loss and its gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>.</exception>
    public LossResult<T> ForwardWithGradient<TLabel>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        ClassLosses.Evaluate(IndexLoss<T>.Nll(_options), input, target, withGradient: true);

    /// <summary>Negative log-likelihood, its gradient g·∂L/∂input written into the caller's buffer; allocates nothing for dense input.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Log-probabilities: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices.</param>
    /// <param name="gradient">Receives ∂L/∂input: the input's shape, dense; it may be the input itself.</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape; empty (default) for ones.</param>
    /// <returns>The loss (Σ ℓ for <see cref="Reduction.None"/>).</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>; the gradient is not dense or not of the input's shape; <paramref name="gradOutput"/> is neither empty nor of the loss's shape.</exception>
    public T ForwardWithGradient<TLabel>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target, TensorSpan<T> gradient, ReadOnlyTensorSpan<T> gradOutput = default)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        T.CreateTruncating(ClassLosses.IntoBuffer(IndexLoss<T>.Nll(_options), input, target, gradient, gradOutput).Loss);

    /// <inheritdoc cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>
    public LossResult<T> Forward<TLabel>(Tensor<T> input, Tensor<TLabel> target)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        Forward(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>
    public LossResult<T> ForwardWithGradient<TLabel>(Tensor<T> input, Tensor<TLabel> target)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <summary>Negative log-likelihood of row-major log-probabilities of the given shape and class-index targets.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Log-probabilities, row-major (C order).</param>
    /// <param name="shape">The input's shape: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices in row-major order of the input's shape without dimension 1.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>.</exception>
    public LossResult<T> Forward<TLabel>(ReadOnlySpan<T> input, ReadOnlySpan<nint> shape, ReadOnlySpan<TLabel> target)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        Forward(TensorShapes.View(input, shape, nameof(input)), TensorShapes.IndexTargetView(target, shape));

    /// <summary>Negative log-likelihood of row-major log-probabilities and class-index targets, from arrays: the form for F#.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Log-probabilities, row-major (C order).</param>
    /// <param name="shape">The input's shape.</param>
    /// <param name="target">Class indices in row-major order of the input's shape without dimension 1.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{TLabel}(ReadOnlySpan{T}, ReadOnlySpan{nint}, ReadOnlySpan{TLabel})"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> Forward<TLabel>(T[] input, int[] shape, TLabel[] target)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return Forward(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.IndexTargetView<TLabel>(target, dims));
    }

    /// <summary>Negative log-likelihood and its gradient in a new tensor, from arrays.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Log-probabilities, row-major (C order).</param>
    /// <param name="shape">The input's shape.</param>
    /// <param name="target">Class indices.</param>
    /// <returns>The loss and its gradient, the input's shape.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{TLabel}(T[], int[], TLabel[])"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> ForwardWithGradient<TLabel>(T[] input, int[] shape, TLabel[] target)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return ForwardWithGradient(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.IndexTargetView<TLabel>(target, dims));
    }

    /// <summary>The options: <c>NllLoss(reduction: Mean, weight: none, ignoreIndex: -100, emptyMean: NaN)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"NllLoss(reduction: {Reduction}, weight: {FacadeWeights.Format(_options.Weight.Span)}, ignoreIndex: {IgnoreIndex}, emptyMean: {EmptyMean})";
}
