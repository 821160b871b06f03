using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Xent.Internal;

/// <summary>Shapes in, kernel call, result out, for losses whose target has the input's shape (BCE, KL divergence).</summary>
internal static class ElementwiseEvaluation
{
    public static LossResult<T> Evaluate<T>(
        ElementwiseLoss loss, ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> target, bool withGradient, ReadOnlyTensorSpan<T> gradOutput, bool gradOutputGiven)
        where T : IFloatingPointIeee754<T>
    {
        if (!target.Lengths.SequenceEqual(input.Lengths))
        {
            throw new ArgumentException(
                $"Target size ({TensorShapes.Format(target.Lengths)}) must be the same as input size ({TensorShapes.Format(input.Lengths)}).",
                nameof(target));
        }

        ReadOnlySpan<T> x = TensorShapes.RowMajor(input);
        ReadOnlySpan<T> t = TensorShapes.RowMajor(target);
        T[]? gradient = withGradient ? new T[x.Length] : null;
        if (!loss.ReducesToScalar)
        {
            var losses = new T[x.Length];
            ReadOnlySpan<T> g = withGradient ? LossEvaluation.GradOutput(gradOutput, gradOutputGiven, x.Length, input.Lengths) : default;
            loss.PerElementLoss(x, t, input.Lengths, g, losses, gradient);
            return new LossResult<T>(Tensor.Create(losses, input.Lengths), gradient is null ? null : Tensor.Create(gradient, input.Lengths));
        }

        T value = loss.ReducedLoss(x, t, input.Lengths, gradient);
        return LossEvaluation.Scalar(value, input.Lengths, gradient, gradOutput, gradOutputGiven);
    }

    /// <summary>
    /// Checks that per-element weights can be broadcast to <paramref name="shape"/> the way PyTorch broadcasts a 1-D
    /// tensor: one value per element, or one per position of the last dimension (only the latter when
    /// <paramref name="lastDimensionOnly"/>, as for <c>pos_weight</c>).
    /// </summary>
    public static void CheckBroadcast(ClassWeights? weights, ReadOnlySpan<nint> shape, string paramName, bool lastDimensionOnly = false)
    {
        if (weights is null)
        {
            return;
        }

        long count = 1;
        foreach (nint length in shape)
        {
            count *= length;
        }

        long last = shape.Length == 0 ? 1 : shape[^1];
        if (lastDimensionOnly ? weights.Length != last : weights.Length != count && weights.Length != last)
        {
            string allowed = lastDimensionOnly ? $"{last} (one per position of the last dimension)" : $"{count} (one per element) or {last} (one per position of the last dimension)";
            throw new ArgumentException(
                $"{paramName} has {weights.Length} values and cannot be broadcast to input shape {TensorShapes.Format(shape)}: give {allowed}.",
                paramName);
        }
    }
}
