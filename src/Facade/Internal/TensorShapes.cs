using System;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Xent.Internal;

/// <summary>The class axis of a loss input: PyTorch's dimension 1 for (N, C, d1, ..., dk), dimension 0 for an unbatched (C).</summary>
internal readonly struct ClassAxis
{
    public ClassAxis(int classes, int inner, int positions, bool batched)
    {
        Classes = classes;
        Inner = inner;
        Positions = positions;
        Batched = batched;
    }

    public int Classes { get; }

    /// <summary>Product of the dimensions after the class dimension, at least 1 (an empty input is laid out as (0, C, 1)).</summary>
    public int Inner { get; }

    public int Positions { get; }

    public bool Batched { get; }
}

internal static class TensorShapes
{
    /// <summary>
    /// The overload resolution priority of the facade's array overloads: below the span and tensor overloads, so that a
    /// C# call that binds to one of those keeps doing so (F# ignores the attribute and picks the array overloads).
    /// </summary>
    public const int ArrayOverloadPriority = -1;

    public static string Format(ReadOnlySpan<nint> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>Normalizes a PyTorch dimension index (negative counts from the end) for a tensor of the given rank.</summary>
    public static int NormalizeDim(int dim, int rank, string paramName)
    {
        if (rank == 0)
        {
            throw new ArgumentException("The input must have at least one dimension.", paramName);
        }

        if (dim < -rank || dim >= rank)
        {
            throw new ArgumentOutOfRangeException(paramName, dim,
                $"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim}).");
        }

        return dim < 0 ? dim + rank : dim;
    }

    /// <summary>Splits a shape at <paramref name="dim"/> into (outer, size of dim, inner).</summary>
    public static (int Outer, int Classes, int Inner) Split(ReadOnlySpan<nint> shape, int dim, string paramName)
    {
        long outer = 1;
        long inner = 1;
        for (int i = 0; i < dim; i++)
        {
            outer *= shape[i];
        }

        for (int i = dim + 1; i < shape.Length; i++)
        {
            inner *= shape[i];
        }

        long classes = shape[dim];
        if (classes == 0)
        {
            throw new ArgumentException(
                $"Dimension {dim} of input shape {Format(shape)} has size 0; the class dimension must hold at least one class.",
                paramName);
        }

        if (outer * classes * inner > int.MaxValue)
        {
            throw new ArgumentException($"Input shape {Format(shape)} holds more than {int.MaxValue} elements.", paramName);
        }

        return ((int)outer, (int)classes, (int)inner);
    }

    /// <summary>PyTorch's class dimension for a loss input: 1 when batched (rank ≥ 2), 0 for an unbatched (C).</summary>
    public static ClassAxis LossAxis(ReadOnlySpan<nint> inputShape)
    {
        if (inputShape.Length == 0)
        {
            throw new ArgumentException("The input must have at least one dimension (the class dimension).", "input");
        }

        bool batched = inputShape.Length >= 2;
        (int outer, int classes, int inner) = Split(inputShape, batched ? 1 : 0, "input");
        int positions = outer * inner;
        // An empty input (a zero batch or spatial size) is laid out as zero rows of C classes.
        return new ClassAxis(classes, positions == 0 ? 1 : inner, positions, batched);
    }

    /// <summary>The shape of index targets and of per-position losses: the input's shape without its class dimension.</summary>
    public static nint[] WithoutClassDim(ReadOnlySpan<nint> inputShape)
    {
        if (inputShape.Length < 2)
        {
            return [];
        }

        var shape = new nint[inputShape.Length - 1];
        shape[0] = inputShape[0];
        inputShape[2..].CopyTo(shape.AsSpan(1));
        return shape;
    }

    /// <summary>Index targets have the input's shape without the class dimension (one element for an unbatched input). Allocates nothing unless it throws.</summary>
    public static void CheckIndexTarget(ReadOnlySpan<nint> inputShape, ReadOnlySpan<nint> targetShape, ClassAxis axis)
    {
        if (!axis.Batched)
        {
            // Unbatched: PyTorch takes a 0-d target; a tensor here has at least one dimension, so one element of any rank ≤ 1.
            if (targetShape.Length > 1 || (targetShape.Length == 1 && targetShape[0] != 1))
            {
                throw new ArgumentException(
                    $"For an unbatched input of shape {Format(inputShape)} the target must be a single class index; got shape {Format(targetShape)}.",
                    "target");
            }

            return;
        }

        bool matches = targetShape.Length == inputShape.Length - 1 && targetShape[0] == inputShape[0] && targetShape[1..].SequenceEqual(inputShape[2..]);
        if (!matches)
        {
            nint[] expected = WithoutClassDim(inputShape);
            string batch = targetShape.Length > 0 ? targetShape[0].ToString(CultureInfo.InvariantCulture) : "none";
            throw new ArgumentException(
                $"Expected input batch_size ({inputShape[0]}) to match target batch_size ({batch}): target shape {Format(targetShape)} must be the input shape {Format(inputShape)} without its class dimension, {Format(expected)}.",
                "target");
        }
    }

    public static void CheckProbabilityTarget(ReadOnlySpan<nint> inputShape, ReadOnlySpan<nint> targetShape)
    {
        if (!targetShape.SequenceEqual(inputShape))
        {
            throw new ArgumentException(
                $"A probability target must have the input's shape {Format(inputShape)}; got {Format(targetShape)}.",
                "target");
        }
    }

    /// <summary>The elements in row-major order: the tensor's own memory when dense, otherwise a copy.</summary>
    public static ReadOnlySpan<T> RowMajor<T>(ReadOnlyTensorSpan<T> tensor)
    {
        if (tensor.FlattenedLength == 0)
        {
            return default;
        }

        if (tensor.IsDense)
        {
            return MemoryMarshal.CreateReadOnlySpan(in tensor.GetPinnableReference(), checked((int)tensor.FlattenedLength));
        }

        var copy = new T[checked((int)tensor.FlattenedLength)];
        tensor.FlattenTo(copy);
        return copy;
    }

    /// <summary>The elements of a dense tensor span, writable.</summary>
    public static Span<T> RowMajor<T>(TensorSpan<T> tensor) =>
        tensor.FlattenedLength == 0 ? default : MemoryMarshal.CreateSpan(ref tensor.GetPinnableReference(), checked((int)tensor.FlattenedLength));

    /// <summary>Wraps a writable flat array with a shape, checking the element count first so the error names the caller's parameter.</summary>
    public static TensorSpan<T> MutableView<T>(T[] data, ReadOnlySpan<nint> shape, string paramName)
    {
        View<T>(data, shape, paramName);
        return new TensorSpan<T>(data, shape);
    }

    /// <summary>
    /// The one rule of an upstream gradient given as a tensor: empty (all ones), or the loss's shape, which is
    /// <paramref name="lossShape"/> for per-position losses and one element otherwise. Allocates nothing unless it throws.
    /// </summary>
    /// <exception cref="ArgumentException">Any other shape; names <c>gradOutput</c>.</exception>
    public static void CheckGradOutput<T>(ReadOnlyTensorSpan<T> gradOutput, bool perPosition, ReadOnlySpan<nint> lossShape)
    {
        if (gradOutput.FlattenedLength == 0 && gradOutput.Rank <= 1)
        {
            return;
        }

        bool matches = perPosition
            ? gradOutput.Lengths.SequenceEqual(lossShape)
            : gradOutput.FlattenedLength == 1 && gradOutput.Rank <= 1;
        if (!matches)
        {
            string expected = perPosition ? Format(lossShape) : "[] (one element)";
            throw new ArgumentException($"gradOutput must have the loss's shape {expected}; got {Format(gradOutput.Lengths)}.", "gradOutput");
        }
    }

    /// <summary>The dimensions of a shape given as <c>int[]</c> (the array overloads' form) as <c>nint</c>; null throws.</summary>
    public static nint[] Dims(int[]? shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return Array.ConvertAll(shape, length => (nint)length);
    }

    /// <summary>
    /// Index targets (of any integer type) viewed with the shape PyTorch expects for an input of shape <paramref name="inputShape"/>: the
    /// input's shape without the class dimension, or (for an unbatched input) the target's own length, which the
    /// shape check then requires to be 1.
    /// </summary>
    public static ReadOnlyTensorSpan<TLabel> IndexTargetView<TLabel>(ReadOnlySpan<TLabel> target, ReadOnlySpan<nint> inputShape)
    {
        nint[] targetShape = inputShape.Length >= 2 ? WithoutClassDim(inputShape) : [target.Length];
        return View(target, targetShape, "target");
    }

    /// <summary>Wraps flat data with a shape, checking the element count first so the error names the caller's parameter.</summary>
    public static ReadOnlyTensorSpan<T> View<T>(ReadOnlySpan<T> data, ReadOnlySpan<nint> shape, string paramName)
    {
        long count = 1;
        foreach (nint length in shape)
        {
            if (length < 0)
            {
                throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.", nameof(shape));
            }

            count *= length;
        }

        if (count != data.Length)
        {
            throw new ArgumentException(
                $"{paramName} holds {data.Length} elements but shape {Format(shape)} needs {count}.", paramName);
        }

        return new ReadOnlyTensorSpan<T>(data, shape);
    }
}
