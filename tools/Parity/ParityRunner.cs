using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using ParityAnswer = Xent.Parity.Answer;

namespace Xent.Parity;

/// <summary>
/// Runs one golden case through the library and returns its <see cref="ParityAnswer"/>. This is the single code path
/// of the <c>answer</c> and <c>check</c> commands and of the conformance tests.
/// </summary>
/// <remarks>
/// <para>Mapping: <c>cross_entropy</c> → <see cref="CrossEntropyLoss"/> (index targets as <see cref="int"/>, probability
/// targets as T), <c>nll_loss</c> → <see cref="NllLoss"/>, <c>softmax</c> / <c>log_softmax</c> →
/// <see cref="Softmax"/> / <see cref="LogSoftmax"/>, <c>logsumexp</c> → <see cref="Functional.LogSumExp{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
/// with classes = shape[dim] and inner = the product of the dimensions after dim. The losses get their targets as
/// tensors of the case's own target shape (so the library's shape checks see what PyTorch saw); a 0-d index target
/// of an unbatched input becomes one element.</para>
/// <para>Only <see cref="ArgumentException"/> (and subtypes) thrown by the library count as a refusal. A malformed
/// case throws <see cref="FormatException"/> before the library is called; any other exception escapes, as a bug.</para>
/// <para><c>grad_output</c> is ignored until the library computes gradients; then <see cref="ParityAnswer.GradInput"/>
/// is filled here.</para>
/// </remarks>
public static class ParityRunner
{
    /// <summary>The ops the library answers; every other op (BCE, BCE with logits, KL divergence, anything unknown) is <c>unsupported</c>.</summary>
    public static FrozenSet<string> SupportedOps { get; } =
        new[] { "cross_entropy", "nll_loss", "log_softmax", "softmax", "logsumexp" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>True when <paramref name="op"/> is in <see cref="SupportedOps"/>.</summary>
    public static bool Supports(string op) => SupportedOps.Contains(op);

    /// <summary>Answers <paramref name="golden"/> with the library run in <paramref name="dtype"/>; values are reported as double.</summary>
    /// <exception cref="FormatException">The case lacks a field its op needs or holds a value that cannot be mapped.</exception>
    public static ParityAnswer Answer(GoldenCase golden, Dtype dtype)
    {
        ArgumentNullException.ThrowIfNull(golden);
        return dtype switch
        {
            Dtype.Float32 => Run<float>(golden),
            Dtype.Float64 => Run<double>(golden),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Undefined dtype."),
        };
    }

    private static ParityAnswer Run<T>(GoldenCase golden)
        where T : IFloatingPointIeee754<T>
    {
        if (!Supports(golden.Op))
        {
            return ParityAnswer.Unsupported(golden.Id);
        }

        // Map the case first (a FormatException here is the data's fault), then call the library.
        Func<TensorData> call = golden.Op switch
        {
            "cross_entropy" => CrossEntropy<T>(golden),
            "nll_loss" => NllLoss<T>(golden),
            "softmax" => Normalizer<T>(golden, logarithm: false),
            "log_softmax" => Normalizer<T>(golden, logarithm: true),
            "logsumexp" => LogSumExp<T>(golden),
            _ => throw new InvalidOperationException($"Supported op '{golden.Op}' has no mapping."),
        };

        try
        {
            return ParityAnswer.Computed(golden.Id, call());
        }
        catch (ArgumentException e)
        {
            return ParityAnswer.Refused(golden.Id, e);
        }
    }

    private static Func<TensorData> CrossEntropy<T>(GoldenCase golden)
        where T : IFloatingPointIeee754<T>
    {
        Reduction reduction = ParseReduction(golden);
        double[]? weight = Weights<T>(golden.Weight);
        int ignoreIndex = golden.IgnoreIndex ?? Functional.DefaultIgnoreIndex;
        double labelSmoothing = golden.LabelSmoothing ?? 0.0;
        T[] input = Values<T>(golden.Input.Data);
        nint[] shape = Shape(golden.Input.Shape);
        TensorData target = RequireTarget(golden);

        if (TargetKind(golden) == GoldenCase.IndexTargets)
        {
            int[] indices = Indices(golden.Id, target.Data);
            nint[] targetShape = IndexTargetShape(target);
            return () =>
            {
                var loss = new CrossEntropyLoss(reduction, weight, ignoreIndex, labelSmoothing);
                return FromLoss(loss.Forward(new ReadOnlyTensorSpan<T>(input, shape), new ReadOnlyTensorSpan<int>(indices, targetShape)));
            };
        }

        T[] probabilities = Values<T>(target.Data);
        nint[] probabilityShape = Shape(target.Shape);
        return () =>
        {
            var loss = new CrossEntropyLoss(reduction, weight, ignoreIndex, labelSmoothing);
            return FromLoss(loss.Forward(new ReadOnlyTensorSpan<T>(input, shape), new ReadOnlyTensorSpan<T>(probabilities, probabilityShape)));
        };
    }

    private static Func<TensorData> NllLoss<T>(GoldenCase golden)
        where T : IFloatingPointIeee754<T>
    {
        Reduction reduction = ParseReduction(golden);
        double[]? weight = Weights<T>(golden.Weight);
        int ignoreIndex = golden.IgnoreIndex ?? Functional.DefaultIgnoreIndex;
        T[] input = Values<T>(golden.Input.Data);
        nint[] shape = Shape(golden.Input.Shape);
        TensorData target = RequireTarget(golden);
        if (TargetKind(golden) != GoldenCase.IndexTargets)
        {
            throw new FormatException($"{golden.Id}: nll_loss takes index targets.");
        }

        int[] indices = Indices(golden.Id, target.Data);
        nint[] targetShape = IndexTargetShape(target);
        return () =>
        {
            var loss = new NllLoss(reduction, weight, ignoreIndex);
            return FromLoss(loss.Forward(new ReadOnlyTensorSpan<T>(input, shape), new ReadOnlyTensorSpan<int>(indices, targetShape)));
        };
    }

    private static Func<TensorData> Normalizer<T>(GoldenCase golden, bool logarithm)
        where T : IFloatingPointIeee754<T>
    {
        int dim = RequireDim(golden);
        T[] input = Values<T>(golden.Input.Data);
        nint[] shape = Shape(golden.Input.Shape);
        return logarithm
            ? () => FromTensor(new LogSoftmax(dim).Forward<T>(input, shape))
            : () => FromTensor(new Softmax(dim).Forward<T>(input, shape));
    }

    private static Func<TensorData> LogSumExp<T>(GoldenCase golden)
        where T : IFloatingPointIeee754<T>
    {
        int dim = RequireDim(golden);
        T[] input = Values<T>(golden.Input.Data);
        int[] shape = golden.Input.Shape;
        return () =>
        {
            // torch.logsumexp(input, dim) over the (outer, classes, inner) view. The dimension check is PyTorch's rule,
            // made here because the kernel takes sizes, not a dimension.
            if (dim < -shape.Length || dim >= shape.Length || shape.Length == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(dim), dim,
                    $"Dimension out of range (expected to be in range of [{-shape.Length}, {shape.Length - 1}], but got {dim}).");
            }

            int d = dim < 0 ? dim + shape.Length : dim;
            int classes = shape[d];
            int inner = 1;
            var outputShape = new List<int>(shape.Length - 1);
            for (int i = 0; i < shape.Length; i++)
            {
                if (i > d)
                {
                    inner *= shape[i];
                }

                if (i != d)
                {
                    outputShape.Add(shape[i]);
                }
            }

            var output = new T[input.Length == 0 ? ElementCount(outputShape) : input.Length / classes];
            // An empty input with a non-empty reduced dimension is zero rows: lay it out with inner = 1 as the facade does.
            Functional.LogSumExp<T>(input, output, classes, input.Length == 0 && classes > 0 ? 1 : inner);
            return new TensorData([.. outputShape], ToDoubles<T>(output));
        };
    }

    private static int ElementCount(List<int> shape)
    {
        int count = 1;
        foreach (int length in shape)
        {
            count *= length;
        }

        return count;
    }

    private static Reduction ParseReduction(GoldenCase golden) => golden.Reduction switch
    {
        null or "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        _ => throw new FormatException($"{golden.Id}: reduction '{golden.Reduction}' has no counterpart for {golden.Op}."),
    };

    private static string TargetKind(GoldenCase golden) =>
        golden.TargetKind ?? throw new FormatException($"{golden.Id}: {golden.Op} needs target_kind.");

    private static TensorData RequireTarget(GoldenCase golden) =>
        golden.Target ?? throw new FormatException($"{golden.Id}: {golden.Op} needs a target.");

    private static int RequireDim(GoldenCase golden) =>
        golden.Dim ?? throw new FormatException($"{golden.Id}: {golden.Op} needs dim.");

    /// <summary>The weights as the library sees them in T: converted through T (exact for the golden values) and back to double, which the loss constructors take.</summary>
    private static double[]? Weights<T>(double[]? weight)
        where T : IFloatingPointIeee754<T> =>
        weight is null ? null : Array.ConvertAll(weight, w => double.CreateTruncating(T.CreateTruncating(w)));

    private static T[] Values<T>(double[] data)
        where T : IFloatingPointIeee754<T> =>
        Array.ConvertAll(data, T.CreateTruncating);

    private static double[] ToDoubles<T>(ReadOnlySpan<T> data)
        where T : IFloatingPointIeee754<T>
    {
        var result = new double[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            result[i] = double.CreateTruncating(data[i]);
        }

        return result;
    }

    private static nint[] Shape(int[] shape) => Array.ConvertAll(shape, length => (nint)length);

    /// <summary>The index target's shape; PyTorch's 0-d target (an unbatched input) is one element.</summary>
    private static nint[] IndexTargetShape(TensorData target) => target.Shape.Length == 0 ? [1] : Shape(target.Shape);

    private static int[] Indices(string id, double[] data) => Array.ConvertAll(data, value =>
        double.IsInteger(value) && value >= int.MinValue && value <= int.MaxValue
            ? (int)value
            : throw new FormatException($"{id}: index target {value} is not an int."));

    private static TensorData FromLoss<T>(LossResult<T> result)
        where T : IFloatingPointIeee754<T> =>
        result.IsScalar ? TensorData.Scalar(double.CreateTruncating(result.Value)) : FromTensor(result.Elements!);

    private static TensorData FromTensor<T>(Tensor<T> tensor)
        where T : IFloatingPointIeee754<T>
    {
        var values = new T[checked((int)tensor.FlattenedLength)];
        tensor.AsReadOnlyTensorSpan().FlattenTo(values);
        int[] shape = new int[tensor.Rank];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = checked((int)tensor.Lengths[i]);
        }

        return new TensorData(shape, ToDoubles<T>(values));
    }
}
