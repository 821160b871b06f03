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
public sealed record NllLoss<T> : ClassIndexLoss<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="weight">PyTorch <c>weight</c>: one weight per class in the element type, copied; null (default) for all ones.</param>
    /// <param name="ignoreIndex">PyTorch <c>ignore_index</c> (default −100); it may be a real class.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is BatchMean or not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> is empty.</exception>
    public NllLoss(Reduction reduction = Reduction.Mean, T[]? weight = null, long ignoreIndex = Functional.DefaultIgnoreIndex)
        : base(new CrossEntropyOptions<T>
        {
            Reduction = OptionRules.Reduction(reduction, nameof(reduction)),
            Weight = FacadeWeights.Of(weight, nameof(weight)),
            IgnoreIndex = ignoreIndex,
        })
    {
    }

    /// <summary>Creates the loss from options (class weights, ignore index, reduction, empty-mean rule).</summary>
    /// <param name="options">The options; label smoothing, z-loss and soft cap must be 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options ask for label smoothing, a z-loss or a soft cap.</exception>
    public NllLoss(CrossEntropyOptions<T> options)
        : base(options)
    {
    }

    /// <inheritdoc/>
    private protected override IndexLoss<T> Kind => IndexLoss<T>.Nll(Options);

    /// <summary>A copy with other options: the form of <c>with</c> for F#.</summary>
    /// <param name="options">The options.</param>
    /// <returns>A new loss.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options ask for label smoothing, a z-loss or a soft cap.</exception>
    public NllLoss<T> WithOptions(CrossEntropyOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return this with { Options = options };
    }

    /// <summary>Negative log-likelihood, its gradient g·∂L/∂input written into the caller's buffer; allocates nothing for dense input.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Log-probabilities: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices.</param>
    /// <param name="gradient">Receives ∂L/∂input: the input's shape, dense; it may be the input itself.</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape; empty (default) for ones.</param>
    /// <returns>The loss (Σ ℓ for <see cref="Reduction.None"/>).</returns>
    /// <exception cref="ArgumentException">As <see cref="ClassIndexLoss{T}.Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>; the gradient is not dense or not of the input's shape; <paramref name="gradOutput"/> is neither empty nor of the loss's shape.</exception>
    public T ForwardWithGradient<TLabel>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target, TensorSpan<T> gradient, ReadOnlyTensorSpan<T> gradOutput = default)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        T.CreateTruncating(IntoBuffer(input, target, gradient, gradOutput).Loss);

    /// <inheritdoc cref="ForwardWithGradient{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel}, TensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public T ForwardWithGradient<TLabel>(Tensor<T> input, Tensor<TLabel> target, Tensor<T> gradient)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan(), gradient.AsTensorSpan());

    /// <summary>Negative log-likelihood of row-major arrays, its gradient written into the caller's array; from arrays.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">Log-probabilities, row-major (C order).</param>
    /// <param name="shape">The input's shape.</param>
    /// <param name="target">Class indices.</param>
    /// <param name="gradient">Receives ∂L/∂input, the input's element count; it may be <paramref name="input"/> itself.</param>
    /// <param name="gradOutput">The upstream gradient, row-major in the loss's shape; null (default) for ones.</param>
    /// <returns>The loss (Σ ℓ for <see cref="Reduction.None"/>).</returns>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">As the tensor overload.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public T ForwardWithGradient<TLabel>(T[] input, int[] shape, TLabel[] target, T[] gradient, T[]? gradOutput = null)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        T.CreateTruncating(IntoBuffer(input, shape, target, gradient, gradOutput).Loss);

    /// <summary>The options: <c>NllLoss(reduction: Mean, weight: none, ignoreIndex: -100, emptyMean: NaN)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"NllLoss(reduction: {Reduction}, weight: {FacadeWeights.Format(Weight.Span)}, ignoreIndex: {IgnoreIndex}, emptyMean: {EmptyMean})";

    /// <summary>NLL takes the options of cross entropy but label smoothing, the z-loss and the soft cap.</summary>
    private protected override CrossEntropyOptions<T> Accept(CrossEntropyOptions<T> options) =>
        options.LabelSmoothing != 0.0 || options.ZLossScale != 0.0 || options.SoftCap != 0.0
            ? throw new ArgumentException(
                "NLL takes log-probabilities: label smoothing, the z-loss and the soft cap are options of cross entropy and must be 0 here.", nameof(options))
            : options;
}
