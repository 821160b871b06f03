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
/// <para>Every answer carries <see cref="ParityAnswer.GradInput"/>: the gradient of <c>sum(value · grad_output)</c> with
/// respect to the input (<c>grad_output</c> absent = ones), from <c>ForwardWithGradient</c> for the losses and from the
/// backward functions for the normalizers. The losses are also run loss-only (<c>Forward</c>), and the two values must
/// agree bit for bit, so the golden values check both paths.</para>
/// </remarks>
public static class ParityRunner
{
    /// <summary>The ops the library answers; any other op is <c>unsupported</c>.</summary>
    public static FrozenSet<string> SupportedOps { get; } =
        new[]
        {
            "cross_entropy", "nll_loss", "log_softmax", "softmax", "logsumexp",
            "binary_cross_entropy_with_logits", "binary_cross_entropy", "kl_div",
        }.ToFrozenSet(StringComparer.Ordinal);

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
        Func<(TensorData Value, TensorData Gradient)> call = golden.Op switch
        {
            "cross_entropy" => CrossEntropy<T>(golden),
            "nll_loss" => NllLoss<T>(golden),
            "softmax" => Normalizer<T>(golden, logarithm: false),
            "log_softmax" => Normalizer<T>(golden, logarithm: true),
            "logsumexp" => LogSumExp<T>(golden),
            "binary_cross_entropy_with_logits" => Elementwise<T>(golden, new BceWithLogitsLoss<T>(ParseReduction(golden), Weights<T>(golden.Weight), Weights<T>(golden.PosWeight))),
            "binary_cross_entropy" => Elementwise<T>(golden, new BceLoss<T>(ParseReduction(golden), Weights<T>(golden.Weight))),
            "kl_div" => Elementwise<T>(golden, new KlDivLoss<T>(ParseKlReduction(golden), golden.LogTarget ?? false)),
            _ => throw new InvalidOperationException($"Supported op '{golden.Op}' has no mapping."),
        };

        try
        {
            (TensorData value, TensorData gradient) = call();
            return ParityAnswer.Computed(golden.Id, value, gradient);
        }
        catch (ArgumentException e)
        {
            return ParityAnswer.Refused(golden.Id, e);
        }
    }

    private static Func<(TensorData, TensorData)> CrossEntropy<T>(GoldenCase golden)
        where T : IFloatingPointIeee754<T>
    {
        Reduction reduction = ParseReduction(golden);
        T[]? weight = Weights<T>(golden.Weight);
        int ignoreIndex = golden.IgnoreIndex ?? Functional.DefaultIgnoreIndex;
        double labelSmoothing = golden.LabelSmoothing ?? 0.0;
        T[] input = Values<T>(golden.Input.Data);
        nint[] shape = Shape(golden.Input.Shape);
        TensorData target = RequireTarget(golden);
        (T[] gradOutput, nint[] gradOutputShape)? upstream = GradOutput<T>(golden);

        if (TargetKind(golden) == GoldenCase.IndexTargets)
        {
            int[] indices = Indices(golden.Id, target.Data);
            nint[] targetShape = IndexTargetShape(target);
            return () =>
            {
                var loss = new CrossEntropyLoss<T>(reduction, weight, ignoreIndex, labelSmoothing);
                var x = new ReadOnlyTensorSpan<T>(input, shape);
                var y = new ReadOnlyTensorSpan<int>(indices, targetShape);
                return upstream is { } g
                    ? FromBuffer(loss.Forward(x, y), gradient => loss.ForwardWithGradient(new ReadOnlyTensorSpan<T>(input, shape), new ReadOnlyTensorSpan<int>(indices, targetShape), new TensorSpan<T>(gradient, shape), new ReadOnlyTensorSpan<T>(g.gradOutput, g.gradOutputShape)).Loss, shape)
                    : FromLoss(loss.Forward(x, y), loss.ForwardWithGradient(x, y));
            };
        }

        T[] probabilities = Values<T>(target.Data);
        nint[] probabilityShape = Shape(target.Shape);
        return () =>
        {
            var loss = new CrossEntropyLoss<T>(reduction, weight, ignoreIndex, labelSmoothing);
            var x = new ReadOnlyTensorSpan<T>(input, shape);
            var p = new ReadOnlyTensorSpan<T>(probabilities, probabilityShape);
            return upstream is { } g
                ? FromBuffer(loss.ForwardProbabilities(x, p), gradient => loss.ForwardProbabilitiesWithGradient(new ReadOnlyTensorSpan<T>(input, shape), new ReadOnlyTensorSpan<T>(probabilities, probabilityShape), new TensorSpan<T>(gradient, shape), new ReadOnlyTensorSpan<T>(g.gradOutput, g.gradOutputShape)).Loss, shape)
                : FromLoss(loss.ForwardProbabilities(x, p), loss.ForwardProbabilitiesWithGradient(x, p));
        };
    }

    private static Func<(TensorData, TensorData)> NllLoss<T>(GoldenCase golden)
        where T : IFloatingPointIeee754<T>
    {
        Reduction reduction = ParseReduction(golden);
        T[]? weight = Weights<T>(golden.Weight);
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
        (T[] gradOutput, nint[] gradOutputShape)? upstream = GradOutput<T>(golden);
        return () =>
        {
            var loss = new NllLoss<T>(reduction, weight, ignoreIndex);
            var x = new ReadOnlyTensorSpan<T>(input, shape);
            var y = new ReadOnlyTensorSpan<int>(indices, targetShape);
            return upstream is { } g
                ? FromBuffer(loss.Forward(x, y), gradient => double.CreateTruncating(loss.ForwardWithGradient(new ReadOnlyTensorSpan<T>(input, shape), new ReadOnlyTensorSpan<int>(indices, targetShape), new TensorSpan<T>(gradient, shape), new ReadOnlyTensorSpan<T>(g.gradOutput, g.gradOutputShape))), shape)
                : FromLoss(loss.Forward(x, y), loss.ForwardWithGradient(x, y));
        };
    }

    private static Func<(TensorData, TensorData)> Normalizer<T>(GoldenCase golden, bool logarithm)
        where T : IFloatingPointIeee754<T>
    {
        int dim = RequireDim(golden);
        T[] input = Values<T>(golden.Input.Data);
        nint[] shape = Shape(golden.Input.Shape);
        T[] gradOutput = GradOutput<T>(golden)?.Data ?? Ones<T>(input.Length);
        return () =>
        {
            Tensor<T> output;
            Tensor<T> gradient;
            if (logarithm)
            {
                var function = new LogSoftmax(dim);
                output = function.Forward<T>(input, shape);
                gradient = function.Backward<T>(output, new ReadOnlyTensorSpan<T>(gradOutput, shape));
            }
            else
            {
                var function = new Softmax(dim);
                output = function.Forward<T>(input, shape);
                gradient = function.Backward<T>(output, new ReadOnlyTensorSpan<T>(gradOutput, shape));
            }

            return (FromTensor(output), FromTensor(gradient));
        };
    }

    private static Func<(TensorData, TensorData)> LogSumExp<T>(GoldenCase golden)
        where T : IFloatingPointIeee754<T>
    {
        int dim = RequireDim(golden);
        T[] input = Values<T>(golden.Input.Data);
        int[] shape = golden.Input.Shape;
        T[]? gradOutput = GradOutput<T>(golden)?.Data;
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
            int layoutInner = input.Length == 0 && classes > 0 ? 1 : inner;
            Functional.LogSumExp<T>(input, output, classes, layoutInner);
            var gradient = new T[input.Length];
            Functional.LogSumExpBackward<T>(input, output, gradOutput ?? Ones<T>(output.Length), gradient, classes, layoutInner);
            return (new TensorData([.. outputShape], ToDoubles<T>(output)), new TensorData(shape, ToDoubles<T>(gradient)));
        };
    }

    /// <summary>BCE, BCE with logits and KL divergence: losses whose target has the input's shape.</summary>
    private static Func<(TensorData, TensorData)> Elementwise<T>(GoldenCase golden, ElementwiseLoss<T> loss)
        where T : IFloatingPointIeee754<T>
    {
        T[] input = Values<T>(golden.Input.Data);
        nint[] shape = Shape(golden.Input.Shape);
        TensorData target = RequireTarget(golden);
        T[] targetValues = Values<T>(target.Data);
        nint[] targetShape = Shape(target.Shape);
        (T[] gradOutput, nint[] gradOutputShape)? upstream = GradOutput<T>(golden);
        return () =>
        {
            var x = new ReadOnlyTensorSpan<T>(input, shape);
            var t = new ReadOnlyTensorSpan<T>(targetValues, targetShape);
            return upstream is { } u
                ? FromBuffer(loss.Forward(x, t), gradient => double.CreateTruncating(loss.ForwardWithGradient(new ReadOnlyTensorSpan<T>(input, shape), new ReadOnlyTensorSpan<T>(targetValues, targetShape), new TensorSpan<T>(gradient, shape), new ReadOnlyTensorSpan<T>(u.gradOutput, u.gradOutputShape))), shape)
                : FromLoss(loss.Forward(x, t), loss.ForwardWithGradient(x, t));
        };
    }

    private static Reduction ParseKlReduction(GoldenCase golden) => golden.Reduction switch
    {
        null or "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        "batchmean" => Reduction.BatchMean,
        _ => throw new FormatException($"{golden.Id}: reduction '{golden.Reduction}' has no counterpart for kl_div."),
    };

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

    /// <summary>The weights in T, which the loss constructors take (exact for the golden values).</summary>
    private static T[]? Weights<T>(double[]? weight)
        where T : IFloatingPointIeee754<T> =>
        weight is null ? null : Array.ConvertAll(weight, T.CreateTruncating);

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

    /// <summary>
    /// The value and gradient of a loss evaluated twice, loss-only and with its gradient; the two values must be
    /// identical, bit for bit (the loss-only call is the same computation without the gradient writes).
    /// </summary>
    private static (TensorData, TensorData) FromLoss<T>(LossResult<T> lossOnly, LossResult<T> withGradient)
        where T : IFloatingPointIeee754<T>
    {
        TensorData value = Value(lossOnly);
        TensorData again = Value(withGradient);
        for (int i = 0; i < value.Data.Length; i++)
        {
            if (!value.Data[i].Equals(again.Data[i]))
            {
                throw new InvalidOperationException(
                    $"The loss-only value {value.Data[i]:R} and the value computed with the gradient {again.Data[i]:R} differ at {i}.");
            }
        }

        return (value, FromTensor(withGradient.Gradient ?? throw new InvalidOperationException("ForwardWithGradient returned no gradient.")));
    }

    /// <summary>
    /// The value of a loss-only call and the gradient that the same loss writes into a buffer given the case's upstream
    /// gradient (<paramref name="intoBuffer"/> returns the loss it computed with it); a scalar loss must be the same
    /// value in both, bit for bit.
    /// </summary>
    private static (TensorData, TensorData) FromBuffer<T>(LossResult<T> lossOnly, Func<T[], double> intoBuffer, nint[] inputShape)
        where T : IFloatingPointIeee754<T>
    {
        int length = 1;
        foreach (nint dimension in inputShape)
        {
            length *= (int)dimension;
        }

        var gradient = new T[length];
        double loss = intoBuffer(gradient);
        TensorData value = Value(lossOnly);
        if (lossOnly.IsScalar && !T.CreateTruncating(loss).Equals(lossOnly.Value))
        {
            throw new InvalidOperationException(
                $"The loss-only value {lossOnly.Value} and the value computed with the gradient {T.CreateTruncating(loss)} differ.");
        }

        return (value, FromTensor(Tensor.Create(gradient, inputShape)));
    }

    private static TensorData Value<T>(LossResult<T> result)
        where T : IFloatingPointIeee754<T> =>
        result.IsScalar ? TensorData.Scalar(double.CreateTruncating(result.Value)) : FromTensor(result.Elements!);

    /// <summary>The case's grad_output in T with its shape (a 0-d one becomes one element), or null when absent (ones).</summary>
    private static (T[] Data, nint[] Shape)? GradOutput<T>(GoldenCase golden)
        where T : IFloatingPointIeee754<T> =>
        golden.GradOutput is { } g ? (Values<T>(g.Data), g.Shape.Length == 0 ? [1] : Shape(g.Shape)) : null;

    private static T[] Ones<T>(int count)
        where T : IFloatingPointIeee754<T>
    {
        var ones = new T[count];
        Array.Fill(ones, T.One);
        return ones;
    }

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
