using System;
using System.Linq;
using System.Reflection;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// The array overloads of <see cref="Functional"/> and of the facade (the form F# calls): each returns bit for bit what
/// its span overload writes, passes every option through in its place, refuses null arrays by name, and, in C#, never
/// takes a call that a span overload accepts (their overload resolution priority is lower), so C# code written against
/// the span overloads binds as it did.
/// </summary>
public sealed class ArrayOverloadTests
{
    // (outer 2, classes 3, inner 2): 4 positions, the third ignored; options that differ from every default.
    private static readonly double[] Input = [0.5, -1.0, 2.0, 1.5, 0.25, -0.75, -0.3, 1.1, 0.9, -2.0, 0.4, 0.6];
    private static readonly int[] Targets = [2, 0, -1, 1];
    private static readonly double[] Probabilities = [0.2, 0.3, 0.5, 0.0, 0.3, 0.7, 0.1, 0.6, 0.4, 0.5, 0.3, 0.2];
    private static readonly double[] Weight = [0.5, 2.0, 1.5];
    private static readonly double[] GradOutput = [1.0, -0.5, 2.0, 0.25];
    private const int Classes = 3;
    private const int Inner = 2;
    private const int Ignore = -1;
    private const double Smoothing = 0.2;

    // Element-wise losses: 2 × 3 values, weight per element, pos_weight along the last dimension.
    private static readonly double[] Logits = [0.5, -1.0, 2.0, 0.0, 1.5, -0.5];
    private static readonly double[] Binary = [1.0, 0.0, 1.0, 0.5, 0.0, 1.0];
    private static readonly double[] Probability = [0.6, 0.2, 0.9, 0.5, 0.7, 0.3];
    private static readonly double[] ElementWeight = [1.0, 2.0, 0.5, 1.5, 1.0, 3.0];
    private static readonly double[] PosWeight = [2.0, 1.0, 0.5];
    private static readonly double[] ElementGradOutput = [1.0, 2.0, -1.0, 0.5, 1.0, 3.0];

    [Fact]
    public void C_sharp_calls_that_fit_a_span_overload_keep_binding_to_it()
    {
        // Were the array overloads preferred, the third array would become the weight and nothing would be written.
        double[] destination = new double[6];
        Functional.BinaryCrossEntropyWithLogitsPerElement(Logits, Binary, destination);
        Assert.Equal(Functional.BinaryCrossEntropyWithLogitsPerElement(Logits, Binary, weight: null), destination);

        destination = new double[6];
        Functional.BinaryCrossEntropyPerElement(Probability, Binary, destination);
        Assert.Equal(Functional.BinaryCrossEntropyPerElement(Probability, Binary, weight: null), destination);

        destination = new double[6];
        double[] gradient = new double[6];
        Functional.BinaryCrossEntropyWithLogitsPerElementWithGradient(Logits, Binary, ElementGradOutput, destination, gradient);
        PerElementLossWithGradient<double> expected = Functional.BinaryCrossEntropyWithLogitsPerElementWithGradient(Logits, Binary, ElementGradOutput, weight: null);
        Assert.Equal(expected.Losses, destination);
        Assert.Equal(expected.Gradient, gradient);

        // Facade: (float[], int[], float[]) with explicit T is (input, index target, gradOutput) of 1-D tensors, not (input, shape, probabilities).
        float[] logits = [0.1f, 0.2f, 0.3f, 0.4f];
        int[] target = [3];
        float[] gradOutput = [2f];
        LossResult<float> result = new CrossEntropyLoss().ForwardWithGradient<float>(logits, target, gradOutput);
        Assert.Equal(new CrossEntropyLoss().Forward(logits, [4], target).Value, result.Value);
    }

    [Fact]
    public void Collection_expressions_and_arrays_resolve_without_ambiguity()
    {
        float[] logits = [0.1f, 0.2f, 0.3f, 0.4f];
        float expected = Functional.CrossEntropy<float>([0.1f, 0.2f, 0.3f, 0.4f], [3], classes: 4, Reduction.Sum);
        // The one-hot probability target takes another code path (float index targets have a fused float path):
        // the same value within float rounding.
        Assert.Equal(expected, Functional.CrossEntropy(logits, [0f, 0f, 0f, 1f], 4, Reduction.Sum), 1e-6f);
        Assert.Equal(expected, Functional.CrossEntropy(logits, new[] { 3 }, 4, Reduction.Sum));
        Assert.Equal(expected, new CrossEntropyLoss(Reduction.Sum).Forward<float>([0.1f, 0.2f, 0.3f, 0.4f], [1, 4], [3]).Value);
        int[] shape = [1, 4];
        Assert.Equal(expected, new CrossEntropyLoss(Reduction.Sum).Forward(logits, shape, new[] { 3 }).Value);
    }

    [Fact]
    public void Normalizers_return_what_the_span_overloads_write()
    {
        Assert.Equal(Span(d => Functional.Softmax<double>(Input, d, Classes, Inner), 12), Functional.Softmax(Input, Classes, Inner));
        double[] logProbabilities = Functional.LogSoftmax(Input, Classes, Inner);
        Assert.Equal(Span(d => Functional.LogSoftmax<double>(Input, d, Classes, Inner), 12), logProbabilities);
        double[] logSumExp = Functional.LogSumExp(Input, Classes, Inner);
        Assert.Equal(Span(d => Functional.LogSumExp<double>(Input, d, Classes, Inner), 4), logSumExp);
        Assert.Equal(Functional.LogSumExp<double>(Input), Scalar(nameof(Functional.LogSumExp), Input));

        double[] probabilities = Functional.Softmax(Input, Classes, Inner);
        Assert.Equal(Span(d => Functional.SoftmaxBackward<double>(probabilities, Probabilities, d, Classes, Inner), 12),
            Functional.SoftmaxBackward(probabilities, Probabilities, Classes, Inner));
        Assert.Equal(Span(d => Functional.LogSoftmaxBackward<double>(logProbabilities, Probabilities, d, Classes, Inner), 12),
            Functional.LogSoftmaxBackward(logProbabilities, Probabilities, Classes, Inner));
        Assert.Equal(Span(d => Functional.LogSumExpBackward<double>(Input, logSumExp, GradOutput, d, Classes, Inner), 12),
            Functional.LogSumExpBackward(Input, logSumExp, GradOutput, Classes, Inner));
    }

    [Fact]
    public void Class_losses_return_what_the_span_overloads_compute()
    {
        Assert.Equal(Functional.CrossEntropy<double>(Input, Targets, Classes, Reduction.Sum, Weight, Ignore, Smoothing, Inner),
            Scalar(nameof(Functional.CrossEntropy), Input, Targets, Classes, Reduction.Sum, Weight, Ignore, Smoothing, Inner, EmptyMean.NaN));
        Assert.Equal(Functional.CrossEntropy<double>(Input, Probabilities, Classes, Reduction.Sum, Weight, Smoothing, Inner),
            Scalar(nameof(Functional.CrossEntropy), Input, Probabilities, Classes, Reduction.Sum, Weight, Smoothing, Inner, EmptyMean.NaN));
        Assert.Equal(Functional.NllLoss<double>(Input, Targets, Classes, Reduction.Sum, Weight, Ignore, Inner),
            Scalar(nameof(Functional.NllLoss), Input, Targets, Classes, Reduction.Sum, Weight, Ignore, Inner, EmptyMean.NaN));

        Assert.Equal(Span(d => Functional.CrossEntropyPerElement<double>(Input, Targets, d, Classes, Weight, Ignore, Smoothing, Inner), 4),
            Functional.CrossEntropyPerElement(Input, Targets, Classes, Weight, Ignore, Smoothing, Inner));
        Assert.Equal(Span(d => Functional.CrossEntropyPerElement<double>(Input, Probabilities, d, Classes, Weight, Smoothing, Inner), 4),
            Functional.CrossEntropyPerElement(Input, Probabilities, Classes, Weight, Smoothing, Inner));
        Assert.Equal(Span(d => Functional.NllLossPerElement<double>(Input, Targets, d, Classes, Weight, Ignore, Inner), 4),
            Functional.NllLossPerElement(Input, Targets, Classes, Weight, Ignore, Inner));

        double[] gradient = new double[12];
        double loss = Functional.CrossEntropyWithGradient<double>(Input, Targets, gradient, Classes, Reduction.Sum, Weight, Ignore, Smoothing, Inner);
        AssertSame(loss, gradient, Functional.CrossEntropyWithGradient(Input, Targets, Classes, Reduction.Sum, Weight, Ignore, Smoothing, Inner));
        loss = Functional.CrossEntropyWithGradient<double>(Input, Probabilities, gradient, Classes, Reduction.Sum, Weight, Smoothing, Inner);
        AssertSame(loss, gradient, Functional.CrossEntropyWithGradient(Input, Probabilities, Classes, Reduction.Sum, Weight, Smoothing, Inner));
        loss = Functional.NllLossWithGradient<double>(Input, Targets, gradient, Classes, Reduction.Sum, Weight, Ignore, Inner);
        AssertSame(loss, gradient, Functional.NllLossWithGradient(Input, Targets, Classes, Reduction.Sum, Weight, Ignore, Inner));

        double[] losses = new double[4];
        Functional.CrossEntropyPerElementWithGradient<double>(Input, Targets, GradOutput, losses, gradient, Classes, Weight, Ignore, Smoothing, Inner);
        AssertSame(losses, gradient, Functional.CrossEntropyPerElementWithGradient(Input, Targets, GradOutput, Classes, Weight, Ignore, Smoothing, Inner));
        Functional.CrossEntropyPerElementWithGradient<double>(Input, Probabilities, GradOutput, losses, gradient, Classes, Weight, Smoothing, Inner);
        AssertSame(losses, gradient, Functional.CrossEntropyPerElementWithGradient(Input, Probabilities, GradOutput, Classes, Weight, Smoothing, Inner));
        Functional.NllLossPerElementWithGradient<double>(Input, Targets, GradOutput, losses, gradient, Classes, Weight, Ignore, Inner);
        AssertSame(losses, gradient, Functional.NllLossPerElementWithGradient(Input, Targets, GradOutput, Classes, Weight, Ignore, Inner));
    }

    [Fact]
    public void Element_wise_losses_return_what_the_span_overloads_compute()
    {
        Assert.Equal(Functional.BinaryCrossEntropyWithLogits<double>(Logits, Binary, Reduction.Sum, ElementWeight, PosWeight),
            Scalar(nameof(Functional.BinaryCrossEntropyWithLogits), Logits, Binary, Reduction.Sum, ElementWeight, PosWeight));
        Assert.Equal(Functional.BinaryCrossEntropy<double>(Probability, Binary, Reduction.Sum, ElementWeight),
            Scalar(nameof(Functional.BinaryCrossEntropy), Probability, Binary, Reduction.Sum, ElementWeight));
        Assert.Equal(Functional.KlDiv<double>(Logits, Probability, Reduction.BatchMean, true, 2),
            Scalar(nameof(Functional.KlDiv), Logits, Probability, Reduction.BatchMean, true, 2));

        Assert.Equal(Span(d => Functional.BinaryCrossEntropyWithLogitsPerElement<double>(Logits, Binary, d, ElementWeight, PosWeight), 6),
            Functional.BinaryCrossEntropyWithLogitsPerElement(Logits, Binary, weight: ElementWeight, posWeight: PosWeight));
        Assert.Equal(Span(d => Functional.BinaryCrossEntropyPerElement<double>(Probability, Binary, d, ElementWeight), 6),
            Functional.BinaryCrossEntropyPerElement(Probability, Binary, weight: ElementWeight));
        Assert.Equal(Span(d => Functional.KlDivPerElement<double>(Logits, Probability, d, true), 6),
            Functional.KlDivPerElement(Logits, Probability, true));

        double[] gradient = new double[6];
        double loss = Functional.BinaryCrossEntropyWithLogitsWithGradient<double>(Logits, Binary, gradient, Reduction.Sum, ElementWeight, PosWeight);
        AssertSame(loss, gradient, Functional.BinaryCrossEntropyWithLogitsWithGradient(Logits, Binary, Reduction.Sum, ElementWeight, PosWeight));
        loss = Functional.BinaryCrossEntropyWithGradient<double>(Probability, Binary, gradient, Reduction.Sum, ElementWeight);
        AssertSame(loss, gradient, Functional.BinaryCrossEntropyWithGradient(Probability, Binary, Reduction.Sum, ElementWeight));
        loss = Functional.KlDivWithGradient<double>(Logits, Probability, gradient, Reduction.BatchMean, true, 2);
        AssertSame(loss, gradient, Functional.KlDivWithGradient(Logits, Probability, Reduction.BatchMean, true, 2));

        double[] losses = new double[6];
        Functional.BinaryCrossEntropyWithLogitsPerElementWithGradient<double>(Logits, Binary, ElementGradOutput, losses, gradient, ElementWeight, PosWeight);
        AssertSame(losses, gradient, Functional.BinaryCrossEntropyWithLogitsPerElementWithGradient(Logits, Binary, ElementGradOutput, weight: ElementWeight, posWeight: PosWeight));
        Functional.BinaryCrossEntropyPerElementWithGradient<double>(Probability, Binary, ElementGradOutput, losses, gradient, ElementWeight);
        AssertSame(losses, gradient, Functional.BinaryCrossEntropyPerElementWithGradient(Probability, Binary, ElementGradOutput, weight: ElementWeight));
        Functional.KlDivPerElementWithGradient<double>(Logits, Probability, ElementGradOutput, losses, gradient, true);
        AssertSame(losses, gradient, Functional.KlDivPerElementWithGradient(Logits, Probability, ElementGradOutput, true));
    }

    [Fact]
    public void Null_arrays_are_refused_by_name_before_anything_else()
    {
        Assert.Equal("input", Assert.Throws<ArgumentNullException>(() => Functional.Softmax((double[])null!, 0)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentNullException>(() => Functional.CrossEntropyWithGradient(Input, (int[])null!, 0)).ParamName);
        Assert.Equal("gradOutput", Assert.Throws<ArgumentNullException>(() => Functional.KlDivPerElementWithGradient(Logits, Probability, null!)).ParamName);
        Assert.Equal("result", Assert.Throws<ArgumentNullException>(() => Functional.LogSumExpBackward(Input, null!, GradOutput, Classes)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentNullException>(() => new NllLoss().Forward(Input, (int[])null!, Targets)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentNullException>(() => new KlDivLoss().ForwardWithGradient(Logits, [6], (double[])null!)).ParamName);
    }

    [Fact]
    public void Loss_results_read_as_arrays()
    {
        int[] shape = [2, 3, 2];
        var perPosition = new CrossEntropyLoss(Reduction.None, Weight, Ignore, Smoothing).ForwardWithGradient(Input, shape, Targets);
        Assert.Equal(Functional.CrossEntropyPerElement(Input, Targets, Classes, Weight, Ignore, Smoothing, Inner), perPosition.ToArray());
        Assert.Equal(Functional.CrossEntropyPerElementWithGradient(Input, Targets, [1.0, 1.0, 1.0, 1.0], Classes, Weight, Ignore, Smoothing, Inner).Gradient,
            perPosition.GradientToArray());

        int[] elementShape = [2, 3];
        var scalar = new BceWithLogitsLoss(Reduction.Sum, ElementWeight, PosWeight).Forward(Logits, elementShape, Binary);
        Assert.Equal(new[] { scalar.Value }, scalar.ToArray());
        Assert.Throws<InvalidOperationException>(() => scalar.GradientToArray());
        Assert.Equal(Functional.Softmax(Input, Classes, Inner), new Softmax(1).Forward(Input, shape));
    }

    /// <summary>
    /// Calls the array overload of a function that returns a scalar. C# cannot name it: wherever it applies the span
    /// overload applies too and takes precedence, even for a method group converted to a delegate of the array
    /// signature. F# (tests/FSharp) calls these overloads directly.
    /// </summary>
    private static double Scalar(string name, params object?[] arguments)
    {
        MethodInfo method = typeof(Functional).GetMethods(BindingFlags.Public | BindingFlags.Static).Single(m =>
            m.Name == name && m.GetParameters().Length == arguments.Length
            && m.GetParameters().Select((p, i) => Fits(p.ParameterType, arguments[i])).All(fits => fits));
        return (double)method.MakeGenericMethod(typeof(double)).Invoke(null, arguments)!;
    }

    private static bool Fits(Type parameter, object? argument) =>
        parameter.IsArray
            ? argument is Array array && array.GetType() == (parameter.GetElementType()!.IsGenericParameter ? typeof(double[]) : parameter)
            : !parameter.IsByRefLike;

    private delegate void Writer(Span<double> destination);

    private static double[] Span(Writer write, int length)
    {
        var destination = new double[length];
        write(destination);
        return destination;
    }

    private static void AssertSame(double loss, double[] gradient, LossWithGradient<double> actual)
    {
        Assert.Equal(loss, actual.Loss);
        Assert.Equal(gradient, actual.Gradient);
    }

    private static void AssertSame(double[] losses, double[] gradient, PerElementLossWithGradient<double> actual)
    {
        Assert.Equal(losses, actual.Losses);
        Assert.Equal(gradient, actual.Gradient);
    }
}
