using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// Cross entropy between logits and targets, PyTorch's <c>torch.nn.CrossEntropyLoss</c>: for class-index targets
/// ℓₙ = (1 − ε)·w[yₙ]·(log Σ_c exp(xₙ[c]) − xₙ[yₙ]) + (ε / C)·Σ_c w[c]·(log Σ_k exp(xₙ[k]) − xₙ[c]), and for
/// probability targets ℓₙ = −Σ_c w[c]·p′ₙ[c]·log softmax(xₙ)[c] with p′ = (1 − ε)·p + ε / C; reduced as
/// <see cref="Reduction"/> says. An immutable record: options are validated once, when set (by the constructor or by
/// <c>with</c>, which makes a copy with changed options); one instance may be used from many threads at once.
/// </summary>
/// <remarks>
/// <para>Shapes, as PyTorch: input (N, C), (N, C, d1, ..., dk) with the class dimension at 1, or unbatched (C). Index
/// targets have the input's shape without the class dimension ((N), (N, d1, ..., dk), or one element for unbatched
/// input); probability targets have the input's shape.</para>
/// <para>The mean over index targets divides by the sum of the weights of the non-ignored targets; over probability
/// targets by the number of positions. Edge cases (all targets ignored, empty batch, NaN and infinite logits) are
/// those of <see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>,
/// which computes every value; <see cref="EmptyMean"/> chooses what a mean over no counted position returns (NaN by
/// default, as PyTorch, or 0).</para>
/// </remarks>
public sealed record CrossEntropyLoss
{
    private readonly Reduction _reduction;
    private readonly ClassWeights? _weight;
    private readonly double _labelSmoothing;
    private readonly EmptyMean _emptyMean;

    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="weight">PyTorch <c>weight</c>: one weight per class, copied; null (default) for all ones. Its length is checked against C when the loss is evaluated.</param>
    /// <param name="ignoreIndex">PyTorch <c>ignore_index</c> (default -100): index targets equal to it contribute nothing; it may be a real class. Unused with probability targets.</param>
    /// <param name="labelSmoothing">PyTorch <c>label_smoothing</c>, ε in [0, 1] (default 0).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value; <paramref name="labelSmoothing"/> is outside [0, 1] or NaN (PyTorch accepts negative values; this library refuses them).</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> is empty.</exception>
    public CrossEntropyLoss(
        Reduction reduction = Reduction.Mean,
        IReadOnlyList<double>? weight = null,
        int ignoreIndex = Functional.DefaultIgnoreIndex,
        double labelSmoothing = 0.0)
    {
        Reduction = reduction;
        Weight = weight;
        IgnoreIndex = ignoreIndex;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>How per-position losses are combined (PyTorch <c>reduction</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public Reduction Reduction { get => _reduction; init => _reduction = OptionChecks.Reduction(value); }

    /// <summary>The per-class weights (PyTorch <c>weight</c>), copied when set; null for none.</summary>
    /// <exception cref="ArgumentException">Set to an empty list.</exception>
    public IReadOnlyList<double>? Weight { get => _weight?.Values; init => _weight = ClassWeights.Create(value); }

    /// <summary>The ignored target value (PyTorch <c>ignore_index</c>).</summary>
    public int IgnoreIndex { get; init; }

    /// <summary>The label smoothing ε in [0, 1] (PyTorch <c>label_smoothing</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set outside [0, 1] or to NaN.</exception>
    public double LabelSmoothing { get => _labelSmoothing; init => _labelSmoothing = OptionChecks.LabelSmoothing(value); }

    /// <summary>
    /// What a <see cref="Reduction.Mean"/> returns when no position counts: every index target equals
    /// <see cref="IgnoreIndex"/>, or the batch is empty. <see cref="EmptyMean.NaN"/> (the default) is PyTorch's 0/0;
    /// <see cref="EmptyMean.Zero"/> returns 0, as Keras and Liger-Kernel. Weights summing to zero over targets that
    /// count still give what the division gives, and the gradient is 0 in both cases. Not a PyTorch option.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public EmptyMean EmptyMean { get => _emptyMean; init => _emptyMean = OptionChecks.EmptyMean(value); }

    /// <summary>Cross entropy of logits and class-index targets (see the class summary for the formula), without gradient work.</summary>
    /// <param name="input">Logits: (N, C), (N, C, d1, ..., dk) or (C). Need not be dense.</param>
    /// <param name="target">Class indices: the input's shape without dimension 1, or one element for an unbatched input; each in [0, C) or <see cref="IgnoreIndex"/>.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentException">A shape is wrong (no dimensions, a class dimension of size 0, a target shape that does not match), the weight length is not C, or a target is out of range (an <see cref="ArgumentOutOfRangeException"/>).</exception>
    public LossResult<T> Forward<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> target)
        where T : IFloatingPointIeee754<T> =>
        Evaluate(input, target, default, probabilities: false, withGradient: false, default, gradOutputGiven: false);

    /// <summary>Cross entropy of logits and probability targets (soft labels or one-hot; see the class summary), without gradient work.</summary>
    /// <param name="input">Logits: (N, C), (N, C, d1, ..., dk) or (C). Need not be dense.</param>
    /// <param name="target">Target probabilities of the input's shape; rows need not sum to one.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentException">A shape is wrong (no dimensions, a class dimension of size 0, a target not of the input's shape) or the weight length is not C.</exception>
    public LossResult<T> Forward<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target)
        where T : IFloatingPointIeee754<T> =>
        Evaluate(input, default, target, probabilities: true, withGradient: false, default, gradOutputGiven: false);

    /// <summary>
    /// Cross entropy of logits and class-index targets and its gradient ∂L/∂input, from one pass over the logits
    /// (<see cref="LossResult{T}.Gradient"/>). For <see cref="Reduction.None"/> the gradient is that of the sum of the
    /// per-position losses, i.e. the vector-Jacobian product with an upstream gradient of ones.
    /// </summary>
    /// <param name="input">Logits: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices, as for <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>.</param>
    /// <returns>The loss and its gradient, the input's shape. An ignored position's gradient is exactly 0.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> target)
        where T : IFloatingPointIeee754<T> =>
        Evaluate(input, target, default, probabilities: false, withGradient: true, default, gradOutputGiven: false);

    /// <summary>
    /// Cross entropy of logits and class-index targets and the vector-Jacobian product of its gradient with
    /// <paramref name="gradOutput"/>: Σ gradOutput·∂ℓ/∂input (PyTorch's <c>loss.backward(grad_output)</c>).
    /// </summary>
    /// <param name="input">Logits: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices, as for <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>.</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape: the target's shape for <see cref="Reduction.None"/> on batched input, otherwise one element.</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>, or <paramref name="gradOutput"/> does not have the loss's shape.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> target, ReadOnlyTensorSpan<T> gradOutput)
        where T : IFloatingPointIeee754<T> =>
        Evaluate(input, target, default, probabilities: false, withGradient: true, gradOutput, gradOutputGiven: true);

    /// <summary>
    /// Cross entropy of logits and probability targets and its gradient ∂L/∂input, from one pass over the logits.
    /// For <see cref="Reduction.None"/> the gradient is that of the sum of the per-position losses.
    /// </summary>
    /// <param name="input">Logits: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Target probabilities of the input's shape.</param>
    /// <returns>The loss and its gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target)
        where T : IFloatingPointIeee754<T> =>
        Evaluate(input, default, target, probabilities: true, withGradient: true, default, gradOutputGiven: false);

    /// <summary>
    /// Cross entropy of logits and probability targets and the vector-Jacobian product of its gradient with
    /// <paramref name="gradOutput"/>.
    /// </summary>
    /// <param name="input">Logits: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Target probabilities of the input's shape.</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape (one element for a scalar loss).</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>, or <paramref name="gradOutput"/> does not have the loss's shape.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target, ReadOnlyTensorSpan<T> gradOutput)
        where T : IFloatingPointIeee754<T> =>
        Evaluate(input, default, target, probabilities: true, withGradient: true, gradOutput, gradOutputGiven: true);

    /// <inheritdoc cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>
    public LossResult<T> Forward<T>(Tensor<T> input, Tensor<int> target)
        where T : IFloatingPointIeee754<T> =>
        Forward(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> Forward<T>(Tensor<T> input, Tensor<T> target)
        where T : IFloatingPointIeee754<T> =>
        Forward(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>
    public LossResult<T> ForwardWithGradient<T>(Tensor<T> input, Tensor<int> target)
        where T : IFloatingPointIeee754<T> =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> ForwardWithGradient<T>(Tensor<T> input, Tensor<T> target)
        where T : IFloatingPointIeee754<T> =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <summary>Cross entropy of row-major logits of the given shape and class-index targets (see the class summary).</summary>
    /// <param name="input">Logits, row-major (C order).</param>
    /// <param name="shape">The input's shape: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices in row-major order of the input's shape without dimension 1 (one index for an unbatched input).</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>.</exception>
    public LossResult<T> Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<nint> shape, ReadOnlySpan<int> target)
        where T : IFloatingPointIeee754<T> =>
        Forward(TensorShapes.View(input, shape, nameof(input)), TensorShapes.IndexTargetView(target, shape));

    /// <summary>Cross entropy of row-major logits of the given shape and probability targets of the same shape (see the class summary).</summary>
    /// <param name="input">Logits, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Target probabilities, row-major, same shape.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="target"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    public LossResult<T> Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<nint> shape, ReadOnlySpan<T> target)
        where T : IFloatingPointIeee754<T> =>
        Forward(TensorShapes.View(input, shape, nameof(input)), TensorShapes.View(target, shape, nameof(target)));

    /// <summary>
    /// Cross entropy of row-major logits of the given shape and class-index targets (see the class summary), from
    /// arrays: the form for F# and for callers without spans or <c>nint</c> shapes.
    /// </summary>
    /// <param name="input">Logits, row-major (C order).</param>
    /// <param name="shape">The input's shape: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices in row-major order of the input's shape without dimension 1 (one index for an unbatched input); each in [0, C) or <see cref="IgnoreIndex"/>.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input (<see cref="LossResult{T}.ToArray"/> reads either as an array).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{nint}, ReadOnlySpan{int})"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies (the array overloads have a lower overload resolution priority), so calls written before this overload existed bind as they did.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> Forward<T>(T[] input, int[] shape, int[] target)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return Forward(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.IndexTargetView(target, dims));
    }

    /// <summary>
    /// Cross entropy of row-major logits of the given shape and probability targets of the same shape (see the class
    /// summary), from arrays.
    /// </summary>
    /// <param name="input">Logits, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Target probabilities, row-major, same shape; rows need not sum to one.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{nint}, ReadOnlySpan{T})"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> Forward<T>(T[] input, int[] shape, T[] target)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return Forward(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <summary>
    /// Cross entropy of row-major logits of the given shape and class-index targets, and its gradient ∂L/∂input from
    /// the same pass (<see cref="LossResult{T}.GradientToArray"/>), from arrays. For <see cref="Reduction.None"/> the
    /// gradient is that of the sum of the per-position losses.
    /// </summary>
    /// <param name="input">Logits, row-major (C order).</param>
    /// <param name="shape">The input's shape: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices, as for <see cref="Forward{T}(T[], int[], int[])"/>.</param>
    /// <returns>The loss and its gradient, the input's shape. An ignored position's gradient is exactly 0.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(T[], int[], int[])"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> ForwardWithGradient<T>(T[] input, int[] shape, int[] target)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return ForwardWithGradient(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.IndexTargetView(target, dims));
    }

    /// <summary>
    /// Cross entropy of row-major logits of the given shape and probability targets of the same shape, and its
    /// gradient ∂L/∂input from the same pass, from arrays. For <see cref="Reduction.None"/> the gradient is that of
    /// the sum of the per-position losses.
    /// </summary>
    /// <param name="input">Logits, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target.</param>
    /// <param name="target">Target probabilities, row-major, same shape.</param>
    /// <returns>The loss and its gradient, the input's shape.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(T[], int[], T[])"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies: with arrays
    /// <c>ForwardWithGradient(x, y, g)</c> (float, int, float) keeps binding to the tensor-span overload
    /// (input, index target, gradOutput), not to this one; name the arguments or pass an <c>int[]</c> shape variable
    /// with <c>shape:</c> to reach it.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> ForwardWithGradient<T>(T[] input, int[] shape, T[] target)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return ForwardWithGradient(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    private LossResult<T> Evaluate<T>(
        ReadOnlyTensorSpan<T> input,
        ReadOnlyTensorSpan<int> indexTarget,
        ReadOnlyTensorSpan<T> probabilityTarget,
        bool probabilities,
        bool withGradient,
        ReadOnlyTensorSpan<T> gradOutput,
        bool gradOutputGiven)
        where T : IFloatingPointIeee754<T>
    {
        ClassAxis axis = TensorShapes.LossAxis(input.Lengths);
        if (probabilities)
        {
            TensorShapes.CheckProbabilityTarget(input.Lengths, probabilityTarget.Lengths);
        }
        else
        {
            TensorShapes.CheckIndexTarget(input.Lengths, indexTarget.Lengths, axis);
        }

        ReadOnlySpan<T> x = TensorShapes.RowMajor(input);
        ReadOnlySpan<int> y = probabilities ? default : TensorShapes.RowMajor(indexTarget);
        ReadOnlySpan<T> p = probabilities ? TensorShapes.RowMajor(probabilityTarget) : default;
        ReadOnlySpan<T> w = _weight is null ? default : _weight.As<T>();
        T[]? gradient = withGradient ? new T[x.Length] : null;
        int classes = axis.Classes;
        int inner = axis.Inner;

        if (Reduction == Reduction.None)
        {
            var losses = new T[axis.Positions];
            if (gradient is null)
            {
                if (probabilities)
                {
                    Functional.CrossEntropyProbabilities(x, p, classes, Options(w, Reduction.None), losses: losses, inner: inner);
                }
                else
                {
                    Functional.CrossEntropy(x, y, classes, Options(w, Reduction.None), losses: losses, inner: inner);
                }
            }
            else
            {
                ReadOnlySpan<T> g = LossEvaluation.GradOutput(gradOutput, gradOutputGiven, axis.Positions, TensorShapes.WithoutClassDim(input.Lengths));
                if (probabilities)
                {
                    Functional.CrossEntropyProbabilities(x, p, classes, Options(w, Reduction.None), gradient, losses, gradOutput: g, inner: inner);
                }
                else
                {
                    Functional.CrossEntropy(x, y, classes, Options(w, Reduction.None), gradient, losses, gradOutput: g, inner: inner);
                }
            }

            return LossEvaluation.PerPosition(losses, axis, input.Lengths, gradient);
        }

        CrossEntropySummary summary = probabilities
            ? Functional.CrossEntropyProbabilities(x, p, classes, Options(w, Reduction), gradient, inner: inner)
            : Functional.CrossEntropy(x, y, classes, Options(w, Reduction), gradient, inner: inner);
        return LossEvaluation.Scalar(T.CreateTruncating(summary.Loss), input.Lengths, gradient, gradOutput, gradOutputGiven);
    }

    private CrossEntropyOptions<T> Options<T>(ReadOnlySpan<T> weight, Reduction reduction)
        where T : IFloatingPointIeee754<T> =>
        new() { Weight = weight.ToArray(), IgnoreIndex = IgnoreIndex, Reduction = reduction, LabelSmoothing = LabelSmoothing, EmptyMean = EmptyMean };

    /// <summary>Whether <paramref name="other"/> has the same options (weights compared value by value).</summary>
    /// <param name="other">Another loss, or null.</param>
    /// <returns>True when every option is equal.</returns>
    public bool Equals(CrossEntropyLoss? other) =>
        other is not null && Reduction == other.Reduction && ClassWeights.AreEqual(_weight, other._weight)
        && IgnoreIndex == other.IgnoreIndex && LabelSmoothing.Equals(other.LabelSmoothing) && EmptyMean == other.EmptyMean;

    /// <summary>A hash of the options, consistent with <see cref="Equals(CrossEntropyLoss)"/>.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => HashCode.Combine(Reduction, ClassWeights.HashOf(_weight), IgnoreIndex, LabelSmoothing, EmptyMean);

    /// <summary>The options, as PyTorch would print them, then <see cref="EmptyMean"/>: <c>CrossEntropyLoss(reduction: Mean, weight: none, ignoreIndex: -100, labelSmoothing: 0, emptyMean: NaN)</c>.</summary>
    public override string ToString() =>
        $"CrossEntropyLoss(reduction: {Reduction}, weight: {_weight?.ToString() ?? "none"}, ignoreIndex: {IgnoreIndex}, labelSmoothing: {OptionChecks.Number(LabelSmoothing)}, emptyMean: {EmptyMean})";
}
