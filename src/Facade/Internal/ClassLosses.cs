using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Xent.Internal;

/// <summary>A loss over a class dimension with class-index targets: cross entropy (from logits) or NLL (from log-probabilities), with its options.</summary>
internal readonly struct IndexLoss<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly CrossEntropyOptions<T> _options;
    private readonly bool _logits;

    private IndexLoss(CrossEntropyOptions<T> options, bool logits)
    {
        _options = options;
        _logits = logits;
    }

    public static IndexLoss<T> CrossEntropy(CrossEntropyOptions<T> options) => new(options, logits: true);

    public static IndexLoss<T> Nll(CrossEntropyOptions<T> options) => new(options, logits: false);

    public Reduction Reduction => _options.Reduction;

    /// <summary>The kernel call: the loss (Σ ℓ for None) and, for cross entropy, its summary.</summary>
    public (T Loss, CrossEntropySummary? Summary) Run<TLabel>(
        ReadOnlySpan<T> x, ReadOnlySpan<TLabel> y, ClassAxis axis, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> gradOutput)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        if (_logits)
        {
            CrossEntropySummary summary = Functional.CrossEntropy(x, y, axis.Classes, _options, gradient, losses, default, default, gradOutput, axis.Inner);
            return (T.CreateTruncating(summary.Loss), summary);
        }

        return (Functional.NllLoss(x, y, axis.Classes, _options, gradient, losses, gradOutput, axis.Inner), null);
    }
}

/// <summary>Shapes in, kernel call, result out, for the losses over a class dimension (cross entropy and NLL).</summary>
internal static class ClassLosses
{
    /// <summary>The loss of class-index targets, with a new gradient tensor when asked (the gradient of Σ ℓ for None).</summary>
    public static LossResult<T> Evaluate<T, TLabel>(IndexLoss<T> loss, ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target, bool withGradient)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        ClassAxis axis = TensorShapes.LossAxis(input.Lengths);
        TensorShapes.CheckIndexTarget(input.Lengths, target.Lengths, axis);
        ReadOnlySpan<T> x = TensorShapes.RowMajor(input);
        ReadOnlySpan<TLabel> y = TensorShapes.RowMajor(target);
        T[]? gradient = withGradient ? new T[x.Length] : null;
        T[]? losses = loss.Reduction == Reduction.None ? new T[axis.Positions] : null;
        (T value, CrossEntropySummary? summary) = loss.Run(x, y, axis, gradient, losses, default);
        return Package(value, summary, losses, axis, input.Lengths, gradient);
    }

    /// <summary>The cross entropy of probability targets, with a new gradient tensor when asked.</summary>
    public static LossResult<T> EvaluateProbabilities<T>(CrossEntropyOptions<T> options, ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target, bool withGradient)
        where T : IFloatingPointIeee754<T>
    {
        ClassAxis axis = TensorShapes.LossAxis(input.Lengths);
        TensorShapes.CheckProbabilityTarget(input.Lengths, target.Lengths);
        ReadOnlySpan<T> x = TensorShapes.RowMajor(input);
        ReadOnlySpan<T> p = TensorShapes.RowMajor(target);
        T[]? gradient = withGradient ? new T[x.Length] : null;
        T[]? losses = options.Reduction == Reduction.None ? new T[axis.Positions] : null;
        CrossEntropySummary summary = Functional.CrossEntropyProbabilities(x, p, axis.Classes, options, gradient, losses, default, default, default, axis.Inner);
        return Package(T.CreateTruncating(summary.Loss), summary, losses, axis, input.Lengths, gradient);
    }

    /// <summary>The loss of class-index targets with its gradient written into the caller's dense buffer; allocates nothing for dense inputs.</summary>
    public static CrossEntropySummary IntoBuffer<T, TLabel>(
        IndexLoss<T> loss, ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target, TensorSpan<T> gradient, ReadOnlyTensorSpan<T> gradOutput)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        CheckGradOutputShape(gradOutput, input.Lengths, loss.Reduction);
        return IntoBufferFlat(loss, input, target, gradient, TensorShapes.RowMajor(gradOutput));
    }

    /// <summary>As <see cref="IntoBuffer{T, TLabel}(IndexLoss{T}, ReadOnlyTensorSpan{T}, ReadOnlyTensorSpan{TLabel}, TensorSpan{T}, ReadOnlyTensorSpan{T})"/> with the upstream gradient flat (the arrays' form: the kernel checks its length).</summary>
    public static CrossEntropySummary IntoBufferFlat<T, TLabel>(
        IndexLoss<T> loss, ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TLabel> target, TensorSpan<T> gradient, ReadOnlySpan<T> gradOutput)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        ClassAxis axis = TensorShapes.LossAxis(input.Lengths);
        TensorShapes.CheckIndexTarget(input.Lengths, target.Lengths, axis);
        Span<T> g = GradientBuffer(gradient, input.Lengths);
        (T value, CrossEntropySummary? summary) = loss.Run(TensorShapes.RowMajor(input), TensorShapes.RowMajor(target), axis, g, default, gradOutput);
        return summary ?? new CrossEntropySummary(double.CreateTruncating(value), 0.0, 0, 0, double.NaN);
    }

    /// <summary>The cross entropy of probability targets with its gradient written into the caller's dense buffer.</summary>
    public static CrossEntropySummary ProbabilitiesIntoBuffer<T>(
        CrossEntropyOptions<T> options, ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target, TensorSpan<T> gradient, ReadOnlyTensorSpan<T> gradOutput)
        where T : IFloatingPointIeee754<T>
    {
        ClassAxis axis = TensorShapes.LossAxis(input.Lengths);
        TensorShapes.CheckProbabilityTarget(input.Lengths, target.Lengths);
        CheckGradOutputShape(gradOutput, input.Lengths, options.Reduction);
        Span<T> g = GradientBuffer(gradient, input.Lengths);
        return Functional.CrossEntropyProbabilities(
            TensorShapes.RowMajor(input), TensorShapes.RowMajor(target), axis.Classes, options, g, default, default, default, TensorShapes.RowMajor(gradOutput), axis.Inner);
    }

    /// <summary>The caller's gradient buffer as a span: the input's shape, dense.</summary>
    private static Span<T> GradientBuffer<T>(TensorSpan<T> gradient, ReadOnlySpan<nint> inputShape)
    {
        if (!gradient.Lengths.SequenceEqual(inputShape))
        {
            throw new ArgumentException(
                $"The gradient must have the input's shape {TensorShapes.Format(inputShape)}; got {TensorShapes.Format(gradient.Lengths)}.", nameof(gradient));
        }

        if (!gradient.IsDense)
        {
            throw new ArgumentException("The gradient buffer must be dense (row-major, no gaps): the kernel writes it in place.", nameof(gradient));
        }

        return TensorShapes.RowMajor(gradient);
    }

    /// <summary>
    /// An upstream gradient given as a tensor has the loss's shape: the target's shape (the input's without dimension 1)
    /// for per-position losses of a batched input, otherwise one element (<see cref="TensorShapes.CheckGradOutput{T}"/>).
    /// Allocates nothing unless it throws.
    /// </summary>
    private static void CheckGradOutputShape<T>(ReadOnlyTensorSpan<T> gradOutput, ReadOnlySpan<nint> inputShape, Reduction reduction)
    {
        bool perPosition = reduction == Reduction.None && inputShape.Length >= 2;
        Span<nint> lossShape = perPosition && inputShape.Length <= 17 ? stackalloc nint[inputShape.Length - 1] : default;
        if (perPosition)
        {
            lossShape = lossShape.IsEmpty ? TensorShapes.WithoutClassDim(inputShape) : lossShape;
            lossShape[0] = inputShape[0];
            inputShape[2..].CopyTo(lossShape[1..]);
        }

        TensorShapes.CheckGradOutput(gradOutput, perPosition, lossShape);
    }

    /// <summary>Packages a result: per-position losses as a tensor of the loss shape when batched with None, else the scalar.</summary>
    private static LossResult<T> Package<T>(T value, CrossEntropySummary? summary, T[]? losses, ClassAxis axis, ReadOnlySpan<nint> inputShape, T[]? gradient)
        where T : IFloatingPointIeee754<T>
    {
        Tensor<T>? g = gradient is null ? null : Tensor.Create(gradient, inputShape);
        if (losses is not null)
        {
            return axis.Batched
                ? new LossResult<T>(Tensor.Create(losses, TensorShapes.WithoutClassDim(inputShape)), g, summary)
                : new LossResult<T>(losses[0], g, summary);
        }

        return new LossResult<T>(value, g, summary);
    }
}
