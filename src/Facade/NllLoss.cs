using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// Negative log-likelihood of class-index targets given log-probabilities, PyTorch's <c>torch.nn.NLLLoss</c>:
/// ℓₙ = −w[yₙ]·xₙ[yₙ] for yₙ ≠ ignoreIndex and 0 otherwise, reduced as <see cref="Reduction"/> says (the mean divides
/// by the sum of the weights of the non-ignored targets). An immutable record: options are validated when set (by the
/// constructor or by <c>with</c>); one instance may be used from many threads at once.
/// </summary>
/// <remarks>
/// Shapes, as PyTorch: input (N, C), (N, C, d1, ..., dk) or unbatched (C), usually the output of
/// <see cref="LogSoftmax"/>; targets the input's shape without the class dimension. Values are computed by
/// <see cref="Functional.NllLoss{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, ReadOnlySpan{T}, int)"/>,
/// edge cases included; <see cref="EmptyMean"/> chooses what a mean over no counted position returns (NaN by default,
/// as PyTorch, or 0).
/// </remarks>
public sealed record NllLoss
{
    private readonly Reduction _reduction;
    private readonly ClassWeights? _weight;
    private readonly EmptyMean _emptyMean;

    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="weight">PyTorch <c>weight</c>: one weight per class, copied; null (default) for all ones.</param>
    /// <param name="ignoreIndex">PyTorch <c>ignore_index</c> (default -100); it may be a real class.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> is empty.</exception>
    public NllLoss(Reduction reduction = Reduction.Mean, IReadOnlyList<double>? weight = null, int ignoreIndex = Functional.DefaultIgnoreIndex)
    {
        Reduction = reduction;
        Weight = weight;
        IgnoreIndex = ignoreIndex;
    }

    /// <summary>How per-position losses are combined (PyTorch <c>reduction</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public Reduction Reduction { get => _reduction; init => _reduction = OptionChecks.Reduction(value); }

    /// <summary>The per-class weights (PyTorch <c>weight</c>), copied when set; null for none.</summary>
    /// <exception cref="ArgumentException">Set to an empty list.</exception>
    public IReadOnlyList<double>? Weight { get => _weight?.Values; init => _weight = ClassWeights.Create(value); }

    /// <summary>The ignored target value (PyTorch <c>ignore_index</c>).</summary>
    public int IgnoreIndex { get; init; }

    /// <summary>
    /// What a <see cref="Reduction.Mean"/> returns when no position counts: every target equals
    /// <see cref="IgnoreIndex"/>, or the batch is empty. <see cref="EmptyMean.NaN"/> (the default) is PyTorch's 0/0;
    /// <see cref="EmptyMean.Zero"/> returns 0, as Keras and Liger-Kernel. Weights summing to zero over targets that
    /// count still give what the division gives, and the gradient is 0 in both cases. Not a PyTorch option.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public EmptyMean EmptyMean { get => _emptyMean; init => _emptyMean = OptionChecks.EmptyMean(value); }

    /// <summary>Negative log-likelihood of log-probabilities and class-index targets (see the class summary), without gradient work.</summary>
    /// <param name="input">Log-probabilities: (N, C), (N, C, d1, ..., dk) or (C). Need not be dense.</param>
    /// <param name="target">Class indices: the input's shape without dimension 1, or one element for an unbatched input.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentException">A shape is wrong, the weight length is not C, or a target is out of range (an <see cref="ArgumentOutOfRangeException"/>).</exception>
    public LossResult<T> Forward<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> target)
        where T : IFloatingPointIeee754<T> =>
        Evaluate(input, target, withGradient: false, default, gradOutputGiven: false);

    /// <summary>
    /// Negative log-likelihood and its gradient ∂L/∂input (<see cref="LossResult{T}.Gradient"/>): −w[yₙ] times the
    /// reduction's scale at each non-ignored target, 0 elsewhere. For <see cref="Reduction.None"/>, the gradient of the sum.
    /// </summary>
    /// <param name="input">Log-probabilities: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices, as for <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>.</param>
    /// <returns>The loss and its gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> target)
        where T : IFloatingPointIeee754<T> =>
        Evaluate(input, target, withGradient: true, default, gradOutputGiven: false);

    /// <summary>Negative log-likelihood and the vector-Jacobian product of its gradient with <paramref name="gradOutput"/>.</summary>
    /// <param name="input">Log-probabilities: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices, as for <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>.</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape (one element for a scalar loss).</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>, or <paramref name="gradOutput"/> does not have the loss's shape.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> target, ReadOnlyTensorSpan<T> gradOutput)
        where T : IFloatingPointIeee754<T> =>
        Evaluate(input, target, withGradient: true, gradOutput, gradOutputGiven: true);

    /// <inheritdoc cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>
    public LossResult<T> Forward<T>(Tensor<T> input, Tensor<int> target)
        where T : IFloatingPointIeee754<T> =>
        Forward(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>
    public LossResult<T> ForwardWithGradient<T>(Tensor<T> input, Tensor<int> target)
        where T : IFloatingPointIeee754<T> =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <summary>Negative log-likelihood of row-major log-probabilities of the given shape and class-index targets.</summary>
    /// <param name="input">Log-probabilities, row-major (C order).</param>
    /// <param name="shape">The input's shape: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices in row-major order of the input's shape without dimension 1.</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{int})"/>.</exception>
    public LossResult<T> Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<nint> shape, ReadOnlySpan<int> target)
        where T : IFloatingPointIeee754<T> =>
        Forward(TensorShapes.View(input, shape, nameof(input)), TensorShapes.IndexTargetView(target, shape));

    /// <summary>
    /// Negative log-likelihood of row-major log-probabilities of the given shape and class-index targets (see the class
    /// summary), from arrays: the form for F# and for callers without spans or <c>nint</c> shapes.
    /// </summary>
    /// <param name="input">Log-probabilities, row-major (C order).</param>
    /// <param name="shape">The input's shape: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices in row-major order of the input's shape without dimension 1 (one index for an unbatched input).</param>
    /// <returns>The scalar loss, or one loss per position for <see cref="Reduction.None"/> on batched input (<see cref="LossResult{T}.ToArray"/> reads either as an array).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{nint}, ReadOnlySpan{int})"/>.</exception>
    /// <remarks>In C#, an overload taking spans or tensors is preferred whenever one applies.</remarks>
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
    /// Negative log-likelihood of row-major log-probabilities of the given shape and class-index targets, and its
    /// gradient ∂L/∂input (<see cref="LossResult{T}.GradientToArray"/>): −w[yₙ] times the reduction's scale at each
    /// non-ignored target, 0 elsewhere; from arrays. For <see cref="Reduction.None"/>, the gradient of the sum.
    /// </summary>
    /// <param name="input">Log-probabilities, row-major (C order).</param>
    /// <param name="shape">The input's shape: (N, C), (N, C, d1, ..., dk) or (C).</param>
    /// <param name="target">Class indices, as for <see cref="Forward{T}(T[], int[], int[])"/>.</param>
    /// <returns>The loss and its gradient, the input's shape.</returns>
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

    private LossResult<T> Evaluate<T>(
        ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> target, bool withGradient, ReadOnlyTensorSpan<T> gradOutput, bool gradOutputGiven)
        where T : IFloatingPointIeee754<T>
    {
        ClassAxis axis = TensorShapes.LossAxis(input.Lengths);
        TensorShapes.CheckIndexTarget(input.Lengths, target.Lengths, axis);
        ReadOnlySpan<T> x = TensorShapes.RowMajor(input);
        ReadOnlySpan<int> y = TensorShapes.RowMajor(target);
        ReadOnlySpan<T> w = _weight is null ? default : _weight.As<T>();
        T[]? gradient = withGradient ? new T[x.Length] : null;

        if (Reduction == Reduction.None)
        {
            var losses = new T[axis.Positions];
            if (gradient is null)
            {
                Functional.NllLoss(x, y, axis.Classes, Options(w, Reduction.None), losses: losses, inner: axis.Inner);
            }
            else
            {
                ReadOnlySpan<T> g = LossEvaluation.GradOutput(gradOutput, gradOutputGiven, axis.Positions, TensorShapes.WithoutClassDim(input.Lengths));
                Functional.NllLoss(x, y, axis.Classes, Options(w, Reduction.None), gradient, losses, g, axis.Inner);
            }

            return LossEvaluation.PerPosition(losses, axis, input.Lengths, gradient);
        }

        T value = Functional.NllLoss(x, y, axis.Classes, Options(w, Reduction), gradient, inner: axis.Inner);
        return LossEvaluation.Scalar(value, input.Lengths, gradient, gradOutput, gradOutputGiven);
    }

    private CrossEntropyOptions<T> Options<T>(ReadOnlySpan<T> weight, Reduction reduction)
        where T : IFloatingPointIeee754<T> =>
        new() { Weight = weight.ToArray(), IgnoreIndex = IgnoreIndex, Reduction = reduction, EmptyMean = EmptyMean };

    /// <summary>Whether <paramref name="other"/> has the same options (weights compared value by value).</summary>
    /// <param name="other">Another loss, or null.</param>
    /// <returns>True when every option is equal.</returns>
    public bool Equals(NllLoss? other) =>
        other is not null && Reduction == other.Reduction && ClassWeights.AreEqual(_weight, other._weight) && IgnoreIndex == other.IgnoreIndex
        && EmptyMean == other.EmptyMean;

    /// <summary>A hash of the options, consistent with <see cref="Equals(NllLoss)"/>.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => HashCode.Combine(Reduction, ClassWeights.HashOf(_weight), IgnoreIndex, EmptyMean);

    /// <summary>The options: <c>NllLoss(reduction: Mean, weight: none, ignoreIndex: -100, emptyMean: NaN)</c>.</summary>
    public override string ToString() =>
        $"NllLoss(reduction: {Reduction}, weight: {_weight?.ToString() ?? "none"}, ignoreIndex: {IgnoreIndex}, emptyMean: {EmptyMean})";
}
