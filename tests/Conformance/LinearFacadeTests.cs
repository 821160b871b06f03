using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// <see cref="LinearCrossEntropyLoss{T}"/>: PyTorch's shapes ((B, T, D) input, (V, D) weight, (B, T) targets), the
/// kernel's values bit for bit, its refusals, and no allocation when it writes into the caller's buffers.
/// </summary>
public class LinearFacadeTests
{
    private const int B = 2, S = 5, D = 7, V = 300;

    private static readonly float[] Hidden = Values(B * S * D, 1.0, 1);
    private static readonly float[] Weight = Values(V * D, 0.5, 2);
    private static readonly float[] Bias = Values(V, 0.5, 3);
    private static readonly int[] Targets = [.. Enumerable.Range(0, B * S).Select(i => i == 3 ? -100 : (i * 37) % V)];

    private static float[] Values(int count, double scale, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale))];
    }

    private static readonly nint[] InputShape = [B, S, D];
    private static readonly nint[] WeightShape = [V, D];
    private static readonly nint[] TargetShape = [B, S];
    private static readonly nint[] BiasShape = [V];

    [Fact]
    public void Forward_WithBatchAndSequenceDimensions_IsTheKernelOnTheFlattenedRows_BitForBit()
    {
        var options = new CrossEntropyOptions<float> { LabelSmoothing = 0.1, ZLossScale = 1e-4, Weight = Values(V, 1.0, 4).Select(w => 1.5f + w).ToArray() };
        var loss = new LinearCrossEntropyLoss<float>(options);
        LinearLossResult<float> result = loss.ForwardWithGradient(
            new ReadOnlyTensorSpan<float>(Hidden, InputShape), new ReadOnlyTensorSpan<float>(Weight, WeightShape), new ReadOnlyTensorSpan<int>(Targets, TargetShape),
            new ReadOnlyTensorSpan<float>(Bias, BiasShape));

        float[] dh = new float[Hidden.Length], dw = new float[Weight.Length], db = new float[V];
        CrossEntropySummary kernel = Functional.LinearCrossEntropy(Hidden, Weight, Targets, D, Bias, options, dh, dw, db);
        Assert.Equal(kernel, result.Loss.Summary);
        Assert.Equal((float)kernel.Loss, result.Loss.Value);
        Assert.Equal(InputShape, result.InputGradient.Lengths.ToArray());
        Assert.Equal(WeightShape, result.WeightGradient.Lengths.ToArray());
        Assert.Equal(dh, Flat(result.InputGradient));
        Assert.Equal(dw, Flat(result.WeightGradient));
        Assert.Equal(db, Flat(result.BiasGradient!));

        LossResult<float> forward = loss.Forward(
            new ReadOnlyTensorSpan<float>(Hidden, InputShape), new ReadOnlyTensorSpan<float>(Weight, WeightShape), new ReadOnlyTensorSpan<int>(Targets, TargetShape),
            new ReadOnlyTensorSpan<float>(Bias, BiasShape));
        Assert.Equal(kernel, forward.Summary);
        Assert.Null(forward.Gradient);
    }

    private static float[] Flat(Tensor<float> tensor)
    {
        var values = new float[tensor.FlattenedLength];
        tensor.FlattenTo(values);
        return values;
    }

    [Fact]
    public void ReductionNone_GivesOneLossPerPosition_ShapedLikeTheTargets()
    {
        var loss = new LinearCrossEntropyLoss<float>(Reduction.None);
        LossResult<float> result = loss.Forward(
            new ReadOnlyTensorSpan<float>(Hidden, InputShape), new ReadOnlyTensorSpan<float>(Weight, WeightShape), new ReadOnlyTensorSpan<int>(Targets, TargetShape));
        Assert.False(result.IsScalar);
        Assert.Equal(TargetShape, result.Elements!.Lengths.ToArray());
        float[] losses = new float[B * S];
        Functional.LinearCrossEntropy<float, int>(Hidden, Weight, Targets, D, options: new CrossEntropyOptions<float> { Reduction = Reduction.None }, losses: losses);
        Assert.Equal(losses, result.ToArray());
        Assert.Equal(0f, result.ToArray()[3]);
    }

    [Fact]
    public void ArrayOverloads_AreTheTensorOverloads()
    {
        var loss = new LinearCrossEntropyLoss<float>(labelSmoothing: 0.05);
        LinearLossResult<float> fromArrays = loss.ForwardWithGradient(Hidden, Weight, Targets, D, Bias);
        LinearLossResult<float> fromTensors = loss.ForwardWithGradient(
            new ReadOnlyTensorSpan<float>(Hidden, [B * S, D]), new ReadOnlyTensorSpan<float>(Weight, WeightShape), new ReadOnlyTensorSpan<int>(Targets, [B * S]),
            new ReadOnlyTensorSpan<float>(Bias, BiasShape));
        Assert.Equal(fromTensors.Loss.Value, fromArrays.Loss.Value);
        Assert.Equal(Flat(fromTensors.InputGradient), Flat(fromArrays.InputGradient));
        Assert.Equal(Flat(fromTensors.WeightGradient), Flat(fromArrays.WeightGradient));
        Assert.Equal(Flat(fromTensors.BiasGradient!), Flat(fromArrays.BiasGradient!));
        Assert.Equal(fromTensors.Loss.Value, loss.Forward(Hidden, Weight, Targets, D, Bias).Value);
        Assert.Null(loss.ForwardWithGradient(Hidden, Weight, Targets, D).BiasGradient);
        Assert.Equal("input", Assert.Throws<ArgumentNullException>(() => loss.Forward<int>(null!, Weight, Targets, D)).ParamName);
    }

    [Fact]
    public void WrongShapes_AreRefused_NamingTheParameter()
    {
        var loss = new LinearCrossEntropyLoss<float>();
        var input = new ReadOnlyTensorSpan<float>(Hidden, InputShape);
        var weight = new ReadOnlyTensorSpan<float>(Weight, WeightShape);
        var target = new ReadOnlyTensorSpan<int>(Targets, TargetShape);
        string Refused(Action call) => Assert.Throws<ArgumentException>(call).ParamName!;

        Assert.Equal("weight", Refused(() => loss.Forward(new ReadOnlyTensorSpan<float>(Hidden, InputShape), new ReadOnlyTensorSpan<float>(Weight, [D, V]), new ReadOnlyTensorSpan<int>(Targets, TargetShape))));
        Assert.Equal("target", Refused(() => loss.Forward(new ReadOnlyTensorSpan<float>(Hidden, InputShape), new ReadOnlyTensorSpan<float>(Weight, WeightShape), new ReadOnlyTensorSpan<int>(Targets, [S, B]))));
        Assert.Equal("bias", Refused(() => loss.Forward(
            new ReadOnlyTensorSpan<float>(Hidden, InputShape), new ReadOnlyTensorSpan<float>(Weight, WeightShape), new ReadOnlyTensorSpan<int>(Targets, TargetShape), new ReadOnlyTensorSpan<float>(Bias, [1, V]))));
        float[] dh = new float[Hidden.Length], dw = new float[Weight.Length];
        Assert.Equal("inputGradient", Refused(() => loss.ForwardWithGradient(
            new ReadOnlyTensorSpan<float>(Hidden, InputShape), new ReadOnlyTensorSpan<float>(Weight, WeightShape), new ReadOnlyTensorSpan<int>(Targets, TargetShape), default,
            new TensorSpan<float>(dh, [B * S, D]), new TensorSpan<float>(dw, WeightShape), default)));
        Assert.Equal("gradOutput", Refused(() => loss.ForwardWithGradient(
            new ReadOnlyTensorSpan<float>(Hidden, InputShape), new ReadOnlyTensorSpan<float>(Weight, WeightShape), new ReadOnlyTensorSpan<int>(Targets, TargetShape), default,
            new TensorSpan<float>(dh, InputShape), new TensorSpan<float>(dw, WeightShape), default, new ReadOnlyTensorSpan<float>(new float[2], [2]))));
        Assert.All(dh.Concat(dw), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ForwardWithGradient_IntoBuffers_AllocatesNothing_AfterWarmUp(int threads)
    {
        var loss = new LinearCrossEntropyLoss<float>(new CrossEntropyOptions<float> { LabelSmoothing = 0.1 });
        float[] dh = new float[Hidden.Length], dw = new float[Weight.Length], db = new float[V];
        float[] upstream = [0.5f];
        nint[] one = [1];
        void Calls()
        {
            loss.ForwardWithGradient(
                new ReadOnlyTensorSpan<float>(Hidden, InputShape), new ReadOnlyTensorSpan<float>(Weight, WeightShape), new ReadOnlyTensorSpan<int>(Targets, TargetShape),
                new ReadOnlyTensorSpan<float>(Bias, BiasShape), new TensorSpan<float>(dh, InputShape), new TensorSpan<float>(dw, WeightShape), new TensorSpan<float>(db, BiasShape),
                new ReadOnlyTensorSpan<float>(upstream, one), accumulate: true);
        }

        int saved = Functional.MaxDegreeOfParallelism;
        try
        {
            Functional.MaxDegreeOfParallelism = threads;
            Assert.Equal(0, AllocationProbe.FewestBytes(Calls, 10));
        }
        finally
        {
            Functional.MaxDegreeOfParallelism = saved;
        }
    }
}
