using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// The losses over a class dimension whose targets are class indices: <see cref="CrossEntropyLoss{T}"/> (on logits) and
/// <see cref="NllLoss{T}"/> (on log-probabilities), each documenting its formula. This base holds what they share: the
/// options (the kernel's <see cref="CrossEntropyOptions{T}"/>, validated when set), the shapes, and the ways to call them
/// from tensors, tensor spans or arrays, with targets of any integer type.
/// </summary>
/// <typeparam name="T">The element type of the input and of the class weights: float, double or Half.</typeparam>
/// <remarks>
/// Shapes, as PyTorch: input (N, C), (N, C, d1, ..., dk) with the class dimension at 1, or unbatched (C); index targets
/// (<c>int</c>, <c>long</c>, <c>byte</c>, ...) have the input's shape without the class dimension ((N), (N, d1, ..., dk),
/// or one element for unbatched input). Only the losses of this library derive from it; one instance may be used from
/// many threads at once.
/// </remarks>
public abstract record ClassIndexLoss<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly CrossEntropyOptions<T> _options;

    private protected ClassIndexLoss(CrossEntropyOptions<T> options)
    {
        _options = Accept(options ?? throw new ArgumentNullException(nameof(options)));
    }

    /// <summary>All the options, as the kernel takes them.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    /// <exception cref="ArgumentException">Set to options this loss does not take (see the derived class).</exception>
    public CrossEntropyOptions<T> Options
    {
        get => _options;
        init => _options = Accept(value ?? throw new ArgumentNullException(nameof(Options)));
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

    /// <summary>The ignored target value (PyTorch <c>ignore_index</c>), compared with each target exactly; it may be a real class.</summary>
    public long IgnoreIndex
    {
        get => _options.IgnoreIndex;
        init => _options = _options with { IgnoreIndex = value };
    }

    /// <summary>
    /// What a <see cref="Reduction.Mean"/> returns when no position counts (every target is <see cref="IgnoreIndex"/>,
    /// or the batch is empty): <see cref="EmptyMean.NaN"/> (default, PyTorch's 0/0) or <see cref="EmptyMean.Zero"/>
    /// (Keras, Liger-Kernel); the gradient is 0 in both cases. Not a PyTorch option.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public EmptyMean EmptyMean
    {
        get => _options.EmptyMean;
        init => _options = _options with { EmptyMean = OptionRules.EmptyMean(value, "emptyMean") };
    }

    /// <summary>The loss of the input and class-index targets (see the derived class for the formula), without gradient work.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">The input: (N, C), (N, C, d1, ..., dk) or (C). Need not be dense.</param>
    /// <param name="target">Class indices: the input's shape without dimension 1, or one element for an unbatched input; each in [0, C) or <see cref="IgnoreIndex"/>.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input (with the summary, for cross entropy).</returns>
    /// <exception cref="ArgumentException">A shape is wrong (no dimensions, a class dimension of size 0, a target shape that does not match), the weight length is not C, or a target is out of range (an <see cref="ArgumentOutOfRangeException"/>).</exception>
    public LossResult<T> Forward<TLabel>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        ClassLosses.Evaluate(Kind, input, target, withGradient: false);

    /// <summary>
    /// The loss and its gradient ∂L/∂input from one pass, in a new tensor (<see cref="LossResult{T}.Gradient"/>). For
    /// <see cref="Reduction.None"/> the gradient is that of the sum of the per-position losses.
    /// </summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">The input: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices, as for <see cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>.</param>
    /// <returns>The loss and its gradient, the input's shape. An ignored position's gradient is exactly 0.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>.</exception>
    public LossResult<T> ForwardWithGradient<TLabel>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        ClassLosses.Evaluate(Kind, input, target, withGradient: true);

    /// <inheritdoc cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>
    public LossResult<T> Forward<TLabel>(Tensor<T> input, Tensor<TLabel> target)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        Forward(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>
    public LossResult<T> ForwardWithGradient<TLabel>(Tensor<T> input, Tensor<TLabel> target)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <summary>The loss of row-major input of the given shape and class-index targets.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">The input, row-major (C order).</param>
    /// <param name="shape">The input's shape: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices in row-major order of the input's shape without dimension 1 (one index for an unbatched input).</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward{TLabel}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel})"/>.</exception>
    public LossResult<T> Forward<TLabel>(ReadOnlySpan<T> input, ReadOnlySpan<nint> shape, ReadOnlySpan<TLabel> target)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        Forward(TensorShapes.View(input, shape, nameof(input)), TensorShapes.IndexTargetView(target, shape));

    /// <summary>The loss of row-major input of the given shape and class-index targets, from arrays: the form for F# and for callers without spans or <c>nint</c> shapes.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">The input, row-major (C order).</param>
    /// <param name="shape">The input's shape: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices in row-major order of the input's shape without dimension 1; each in [0, C) or <see cref="IgnoreIndex"/>.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input (<see cref="LossResult{T}.ToArray"/> reads either as an array).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{TLabel}(ReadOnlySpan{T}, ReadOnlySpan{nint}, ReadOnlySpan{TLabel})"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies (the array overloads have a lower overload resolution priority).</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> Forward<TLabel>(T[] input, int[] shape, TLabel[] target)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        nint[] dims = ArrayShape(input, shape, target);
        return Forward(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.IndexTargetView<TLabel>(target, dims));
    }

    /// <summary>The loss and its gradient in a new tensor (<see cref="LossResult{T}.GradientToArray"/>), from row-major arrays of the given shape.</summary>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="input">The input, row-major (C order).</param>
    /// <param name="shape">The input's shape.</param>
    /// <param name="target">Class indices, as for <see cref="Forward{TLabel}(T[], int[], TLabel[])"/>.</param>
    /// <returns>The loss and its gradient, the input's shape.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{TLabel}(T[], int[], TLabel[])"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> ForwardWithGradient<TLabel>(T[] input, int[] shape, TLabel[] target)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        nint[] dims = ArrayShape(input, shape, target);
        return ForwardWithGradient(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.IndexTargetView<TLabel>(target, dims));
    }

    /// <summary>The kernel function of the loss, with its options.</summary>
    private protected abstract IndexLoss<T> Kind { get; }

    /// <summary>The options this loss takes, checked when set; the base takes any.</summary>
    private protected virtual CrossEntropyOptions<T> Accept(CrossEntropyOptions<T> options) => options;

    /// <summary>The loss with its gradient written into the caller's buffer (the derived classes' <c>ForwardWithGradient</c> with a gradient).</summary>
    private protected CrossEntropySummary IntoBuffer<TLabel>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target, TensorSpan<T> gradient, ReadOnlyTensorSpan<T> gradOutput)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        ClassLosses.IntoBuffer(Kind, input, target, gradient, gradOutput);

    /// <summary>The same from arrays; the kernel checks the upstream gradient's length.</summary>
    private protected CrossEntropySummary IntoBuffer<TLabel>(T[] input, int[] shape, TLabel[] target, T[] gradient, T[]? gradOutput)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        nint[] dims = ArrayShape(input, shape, target);
        ArgumentNullException.ThrowIfNull(gradient);
        return ClassLosses.IntoBufferFlat(
            Kind,
            TensorShapes.View<T>(input, dims, nameof(input)),
            TensorShapes.IndexTargetView<TLabel>(target, dims),
            TensorShapes.MutableView(gradient, dims, nameof(gradient)),
            gradOutput);
    }

    private static nint[] ArrayShape<TLabel>(T[] input, int[] shape, TLabel[] target)
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return dims;
    }
}
