using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Xent.Internal;

/// <summary>What every loss object does around its kernel call: shapes in, buffers out, the result packaged.</summary>
internal static class LossEvaluation
{
    /// <summary>
    /// The upstream gradient for the loss's values: ones when none is given, else the caller's, which must have the
    /// loss's shape (the target shape for per-position losses, one element for a scalar).
    /// </summary>
    public static ReadOnlySpan<T> GradOutput<T>(ReadOnlyTensorSpan<T> gradOutput, bool given, int count, ReadOnlySpan<nint> lossShape)
        where T : IFloatingPointIeee754<T>
    {
        if (!given)
        {
            var ones = new T[count];
            Array.Fill(ones, T.One);
            return ones;
        }

        bool matches = lossShape.Length == 0
            ? gradOutput.FlattenedLength == 1 && gradOutput.Rank <= 1
            : gradOutput.Lengths.SequenceEqual(lossShape);
        if (!matches)
        {
            throw new ArgumentException(
                $"gradOutput must have the loss's shape {TensorShapes.Format(lossShape)}; got {TensorShapes.Format(gradOutput.Lengths)}.",
                nameof(gradOutput));
        }

        return TensorShapes.RowMajor(gradOutput);
    }

    /// <summary>Packages per-position losses: a tensor of the loss shape when batched, the single value otherwise.</summary>
    public static LossResult<T> PerPosition<T>(T[] losses, ClassAxis axis, ReadOnlySpan<nint> inputShape, T[]? gradient)
        where T : IFloatingPointIeee754<T>
    {
        Tensor<T>? g = Gradient(gradient, inputShape);
        return axis.Batched
            ? new LossResult<T>(Tensor.Create(losses, TensorShapes.WithoutClassDim(inputShape)), g)
            : new LossResult<T>(losses[0], g);
    }

    /// <summary>Packages a reduced loss, scaling its gradient by the scalar upstream gradient when one was given.</summary>
    public static LossResult<T> Scalar<T>(T value, ReadOnlySpan<nint> inputShape, T[]? gradient, ReadOnlyTensorSpan<T> gradOutput, bool given)
        where T : IFloatingPointIeee754<T>
    {
        if (gradient is not null && given)
        {
            T scale = GradOutput(gradOutput, given: true, 1, [])[0];
            TensorPrimitives.Multiply(gradient, scale, gradient);
        }

        return new LossResult<T>(value, Gradient(gradient, inputShape));
    }

    private static Tensor<T>? Gradient<T>(T[]? gradient, ReadOnlySpan<nint> inputShape) =>
        gradient is null ? null : Tensor.Create(gradient, inputShape);
}
