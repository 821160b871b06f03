using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// The KL-divergence loss, PyTorch's <c>torch.nn.KLDivLoss</c>: with input xᵢ = log qᵢ and target tᵢ,
/// ℓᵢ = tᵢ·(log tᵢ − xᵢ) (0 where tᵢ = 0), or exp(tᵢ)·(tᵢ − xᵢ) with <see cref="LogTarget"/>; reduced as
/// <see cref="Reduction"/> says (<see cref="KlDivReduction.BatchMean"/>, the true KL divergence per sample, divides by
/// the size of dimension 0). An immutable record; values are computed by <see cref="Functional.KlDiv{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, KlDivReduction, bool, int)"/>.
/// </summary>
/// <remarks>As in PyTorch the default reduction is <see cref="KlDivReduction.Mean"/>, which divides by the number of elements, not of samples.</remarks>
public sealed record KlDivLoss : IElementwiseLoss
{
    private readonly KlDivReduction _reduction;

    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="KlDivReduction.Mean"/> (default), <see cref="KlDivReduction.Sum"/>, <see cref="KlDivReduction.BatchMean"/> or <see cref="KlDivReduction.None"/>.</param>
    /// <param name="logTarget">PyTorch <c>log_target</c>: whether targets are log-probabilities (default false).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public KlDivLoss(KlDivReduction reduction = KlDivReduction.Mean, bool logTarget = false)
    {
        Reduction = reduction;
        LogTarget = logTarget;
    }

    /// <summary>How the element losses are combined (PyTorch <c>reduction</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public KlDivReduction Reduction
    {
        get => _reduction;
        init => _reduction = Enum.IsDefined(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Reduction), value, $"Reduction must be None, Mean, Sum or BatchMean; got {(int)value}.");
    }

    /// <summary>Whether targets are log-probabilities (PyTorch <c>log_target</c>).</summary>
    public bool LogTarget { get; init; }

    bool IElementwiseLoss.Reduces => Reduction != KlDivReduction.None;

    /// <summary>The loss of log-probabilities and targets of the same shape, without gradient work.</summary>
    /// <param name="input">Log-probabilities, any shape; dimension 0 is the batch for <see cref="KlDivReduction.BatchMean"/>.</param>
    /// <param name="target">Probabilities (or log-probabilities with <see cref="LogTarget"/>), the input's shape.</param>
    /// <returns>The scalar loss, or one value per element (the input's shape) for <see cref="KlDivReduction.None"/>.</returns>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public LossResult<T> Forward<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target)
        where T : IFloatingPointIeee754<T> =>
        ElementwiseEvaluation.Evaluate(this, input, target, false, default, false);

    /// <summary>The loss and its gradient ∂L/∂input = −t (−exp(t) with <see cref="LogTarget"/>), scaled by the reduction.</summary>
    /// <param name="input">Log-probabilities, any shape.</param>
    /// <param name="target">Probabilities (or log-probabilities), the input's shape.</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target)
        where T : IFloatingPointIeee754<T> =>
        ElementwiseEvaluation.Evaluate(this, input, target, true, default, false);

    /// <summary>The loss and the vector-Jacobian product of its gradient with <paramref name="gradOutput"/>.</summary>
    /// <param name="input">Log-probabilities, any shape.</param>
    /// <param name="target">Probabilities (or log-probabilities), the input's shape.</param>
    /// <param name="gradOutput">The upstream gradient, the loss's shape (the input's shape for <see cref="KlDivReduction.None"/>, otherwise one element).</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentException">The shapes differ, or <paramref name="gradOutput"/> does not have the loss's shape.</exception>
    public LossResult<T> ForwardWithGradient<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target, ReadOnlyTensorSpan<T> gradOutput)
        where T : IFloatingPointIeee754<T> =>
        ElementwiseEvaluation.Evaluate(this, input, target, true, gradOutput, true);

    /// <summary>The loss of row-major log-probabilities of the given shape and probabilities (or log-probabilities with LogTarget) of the same shape (see the class summary), from arrays: the form for F# and for callers without tensors.</summary>
    /// <param name="input">Log-probabilities, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target, at least one dimension.</param>
    /// <param name="target">Probabilities (or log-probabilities with LogTarget), row-major, the input's shape.</param>
    /// <returns>The scalar loss, or one loss per element for reduction None (<see cref="LossResult{T}.ToArray"/> reads either as an array).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="target"/> does not hold the number of elements <paramref name="shape"/> needs, or as <see cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>.</exception>
    /// <remarks>In C#, an overload taking tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> Forward<T>(T[] input, int[] shape, T[] target)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return Forward(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <summary>The loss of row-major log-probabilities and probabilities (or log-probabilities with LogTarget) of the given shape and its gradient ∂L/∂input = −t (−exp(t) with LogTarget), scaled by the reduction (<see cref="LossResult{T}.GradientToArray"/>), from arrays. For reduction None, the gradient of the sum of the element losses.</summary>
    /// <param name="input">Log-probabilities, row-major (C order).</param>
    /// <param name="shape">The shape of the input and of the target, at least one dimension.</param>
    /// <param name="target">Probabilities (or log-probabilities with LogTarget), row-major, the input's shape.</param>
    /// <returns>The loss and the gradient, the input's shape.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(T[], int[], T[])"/>.</exception>
    /// <remarks>In C#, an overload taking tensors is preferred whenever one applies.</remarks>
    [OverloadResolutionPriority(TensorShapes.ArrayOverloadPriority)]
    public LossResult<T> ForwardWithGradient<T>(T[] input, int[] shape, T[] target)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        nint[] dims = TensorShapes.Dims(shape);
        ArgumentNullException.ThrowIfNull(target);
        return ForwardWithGradient(TensorShapes.View<T>(input, dims, nameof(input)), TensorShapes.View<T>(target, dims, nameof(target)));
    }

    /// <inheritdoc cref="Forward{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> Forward<T>(Tensor<T> input, Tensor<T> target)
        where T : IFloatingPointIeee754<T> =>
        Forward(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    /// <inheritdoc cref="ForwardWithGradient{T}(ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{T})"/>
    public LossResult<T> ForwardWithGradient<T>(Tensor<T> input, Tensor<T> target)
        where T : IFloatingPointIeee754<T> =>
        ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan());

    T IElementwiseLoss.Reduced<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, Span<T> gradient)
    {
        // PyTorch's batchmean divides by input.size(0); the facade's inputs have at least one dimension.
        int batchSize = shape.Length == 0 ? 1 : (int)shape[0];
        if (Reduction == KlDivReduction.BatchMean && batchSize == 0)
        {
            // An empty batch: Σ over nothing divided by 0, as PyTorch (NaN); the kernel refuses a zero batch size.
            return T.NaN;
        }

        return gradient.IsEmpty
            ? Functional.KlDiv(input, target, Reduction, LogTarget, batchSize)
            : Functional.KlDivWithGradient(input, target, gradient, Reduction, LogTarget, batchSize);
    }

    void IElementwiseLoss.PerElement<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, ReadOnlySpan<T> gradOutput, Span<T> destination, Span<T> gradient)
    {
        if (gradient.IsEmpty)
        {
            Functional.KlDivPerElement(input, target, destination, LogTarget);
        }
        else
        {
            Functional.KlDivPerElementWithGradient(input, target, gradOutput, destination, gradient, LogTarget);
        }
    }

    /// <summary>The options: <c>KlDivLoss(reduction: BatchMean, logTarget: false)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"KlDivLoss(reduction: {Reduction}, logTarget: {(LogTarget ? "true" : "false")})";
}
