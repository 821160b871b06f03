using System;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// The array overloads of <see cref="Functional"/> and of the facade (the form F# calls): each takes its span overload's
/// parameters in the same order, writes the caller's arrays and returns bit for bit what its span overload writes and
/// returns, passes every option through in its place, refuses null input arrays by name (a null optional output is not
/// asked for), and, in C#, never takes a call that a span overload accepts (their overload resolution priority is
/// lower), so C# code written against the span overloads binds as it did.
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

    // The options of every cross-entropy call: reduced (Sum), per position (None), and NLL's (no smoothing).
    private static readonly CrossEntropyOptions<double> Options = new() { Reduction = Reduction.Sum, Weight = Weight, IgnoreIndex = Ignore, LabelSmoothing = Smoothing };
    private static readonly CrossEntropyOptions<double> PerPosition = Options with { Reduction = Reduction.None };
    private static readonly CrossEntropyOptions<double> NllOptions = Options with { LabelSmoothing = 0.0 };
    private static readonly CrossEntropyOptions<double> NllPerPosition = NllOptions with { Reduction = Reduction.None };

    // Element-wise losses: 2 × 3 values, weight per element, pos_weight along the last dimension.
    private static readonly double[] Logits = [0.5, -1.0, 2.0, 0.0, 1.5, -0.5];
    private static readonly double[] Binary = [1.0, 0.0, 1.0, 0.5, 0.0, 1.0];
    private static readonly double[] Probability = [0.6, 0.2, 0.9, 0.5, 0.7, 0.3];
    private static readonly double[] ElementWeight = [1.0, 2.0, 0.5, 1.5, 1.0, 3.0];
    private static readonly double[] PosWeight = [2.0, 1.0, 0.5];
    private static readonly double[] ElementGradOutput = [1.0, 2.0, -1.0, 0.5, 1.0, 3.0];

    [Fact]
    public void C_sharp_calls_with_arrays_bind_to_the_array_overloads_which_refuse_null()
    {
        // Every array overload ranks above the span overloads, so that a C# call with arrays reaches the null checks.
        MethodInfo[] arrayOverloads = [.. typeof(Functional).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(ArrayOverloads.IsArrayOverload)];
        Assert.NotEmpty(arrayOverloads);
        Assert.All(arrayOverloads, m => Assert.Equal(1, m.GetCustomAttribute<OverloadResolutionPriorityAttribute>()?.Priority));

        // These calls fit both overloads; a span overload would compute over empty spans, the array overloads refuse.
        Assert.Equal("input", Assert.Throws<ArgumentNullException>(() => Functional.CrossEntropy((double[])null!, (int[])null!, Classes)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentNullException>(() => Functional.BinaryCrossEntropyWithLogits((double[])null!, (double[])null!, Reduction.Sum)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentNullException>(() => Functional.Softmax((double[])null!, (double[])null!, Classes)).ParamName);

        // A call that passes a span binds to the span overload, where an empty span is an empty input.
        CrossEntropySummary empty = Functional.CrossEntropy(ReadOnlySpan<double>.Empty, (int[])null!, Classes);
        Assert.Equal(0, empty.Count);
        Assert.True(double.IsNaN(empty.Loss));

        // What the span overloads (called with a span) write into C# arrays is what the array overloads write.
        double[] destination = new double[6];
        Functional.BinaryCrossEntropyWithLogits(Logits.AsSpan(), Binary, Reduction.None, losses: destination);
        Assert.Equal(Written(6, d => Call(nameof(Functional.BinaryCrossEntropyWithLogits), Logits, Binary, Reduction.None, null, null, null, d, null)), destination);

        destination = new double[6];
        Functional.BinaryCrossEntropy(Probability.AsSpan(), Binary, Reduction.None, losses: destination);
        Assert.Equal(Written(6, d => Call(nameof(Functional.BinaryCrossEntropy), Probability, Binary, Reduction.None, null, null, d, null)), destination);

        destination = new double[6];
        double[] gradient = new double[6];
        Functional.BinaryCrossEntropyWithLogits(Logits.AsSpan(), Binary, Reduction.None, gradient: gradient, losses: destination, gradOutput: ElementGradOutput);
        double[] expectedLosses = new double[6];
        double[] expectedGradient = new double[6];
        Call(nameof(Functional.BinaryCrossEntropyWithLogits), Logits, Binary, Reduction.None, null, null, expectedGradient, expectedLosses, ElementGradOutput);
        Assert.Equal(expectedLosses, destination);
        Assert.Equal(expectedGradient, gradient);

        // Facade: (float[], int[], float[]) with an explicit label type is (input, index target, gradient buffer) of 1-D
        // tensors, not (input, shape, probabilities); a fourth array is the upstream gradient. (The gradient used to come
        // back in a new tensor: then the third array was gradOutput and the explicit type argument the element type.)
        float[] logits = [0.1f, 0.2f, 0.3f, 0.4f];
        int[] target = [3];
        float[] gradOutput = [2f];
        float[] facadeGradient = new float[4];
        float[] scaled = new float[4];
        var loss = new CrossEntropyLoss<float>();
        CrossEntropySummary result = loss.ForwardWithGradient<int>(logits, target, facadeGradient);
        CrossEntropySummary withGradOutput = loss.ForwardWithGradient<int>(logits, target, scaled, gradOutput);
        Assert.Equal(loss.Forward(logits, [4], target).Value, (float)result.Loss);
        Assert.Equal(loss.Forward(logits, [4], target).Value, (float)withGradOutput.Loss);
        Assert.Equal(loss.ForwardWithGradient(logits, [4], target).GradientToArray(), facadeGradient);
        Assert.Equal(facadeGradient.Select(g => 2f * g), scaled);
    }

    [Fact]
    public void Collection_expressions_and_arrays_resolve_without_ambiguity()
    {
        var sum = new CrossEntropyOptions<float> { Reduction = Reduction.Sum };
        float[] logits = [0.1f, 0.2f, 0.3f, 0.4f];
        float expected = (float)Functional.CrossEntropy<float, int>([0.1f, 0.2f, 0.3f, 0.4f], [3], classes: 4, sum).Loss;
        // The one-hot probability target takes another code path (float index targets have a fused float path):
        // the same value within float rounding.
        Assert.Equal(expected, (float)Functional.CrossEntropyProbabilities(logits, [0f, 0f, 0f, 1f], 4, sum).Loss, 1e-6f);
        Assert.Equal(expected, (float)Functional.CrossEntropy(logits, new[] { 3 }, 4, sum).Loss);
        Assert.Equal(expected, (float)Functional.CrossEntropy(logits, [3], 4, sum).Loss);
        Assert.Equal(expected, new CrossEntropyLoss<float>(Reduction.Sum).Forward([0.1f, 0.2f, 0.3f, 0.4f], [1, 4], [3]).Value);
        int[] shape = [1, 4];
        Assert.Equal(expected, new CrossEntropyLoss<float>(Reduction.Sum).Forward(logits, shape, new[] { 3 }).Value);
    }

    [Fact]
    public void Normalizers_return_what_the_span_overloads_write()
    {
        double[] probabilities = Written(12, d => Call(nameof(Functional.Softmax), Input, d, Classes, Inner));
        Assert.Equal(Span(d => Functional.Softmax<double>(Input, d, Classes, Inner), 12), probabilities);
        double[] logProbabilities = Written(12, d => Call(nameof(Functional.LogSoftmax), Input, d, Classes, Inner));
        Assert.Equal(Span(d => Functional.LogSoftmax<double>(Input, d, Classes, Inner), 12), logProbabilities);
        double[] logSumExp = Written(4, d => Call(nameof(Functional.LogSumExp), Input, d, Classes, Inner));
        Assert.Equal(Span(d => Functional.LogSumExp<double>(Input, d, Classes, Inner), 4), logSumExp);
        Assert.Equal(Functional.LogSumExp<double>(Input), Call<double>(nameof(Functional.LogSumExp), Input));

        Assert.Equal(Span(d => Functional.SoftmaxBackward<double>(probabilities, Probabilities, d, Classes, Inner), 12),
            Written(12, d => Call(nameof(Functional.SoftmaxBackward), probabilities, Probabilities, d, Classes, Inner)));
        Assert.Equal(Span(d => Functional.LogSoftmaxBackward<double>(logProbabilities, Probabilities, d, Classes, Inner), 12),
            Written(12, d => Call(nameof(Functional.LogSoftmaxBackward), logProbabilities, Probabilities, d, Classes, Inner)));
        Assert.Equal(Span(d => Functional.LogSumExpBackward<double>(Input, logSumExp, GradOutput, d, Classes, Inner), 12),
            Written(12, d => Call(nameof(Functional.LogSumExpBackward), Input, logSumExp, GradOutput, d, Classes, Inner)));
    }

    [Fact]
    public void Class_losses_return_what_the_span_overloads_compute()
    {
        const string ce = nameof(Functional.CrossEntropy);
        const string probabilities = nameof(Functional.CrossEntropyProbabilities);
        const string nll = nameof(Functional.NllLoss);

        // Reduced: the summary (NLL: the loss).
        Assert.Equal(Functional.CrossEntropy<double, int>(Input, Targets, Classes, Options, inner: Inner),
            Call<CrossEntropySummary>(ce, Input, Targets, Classes, Options, null, null, null, null, null, Inner));
        Assert.Equal(Functional.CrossEntropyProbabilities<double>(Input, Probabilities, Classes, Options, inner: Inner),
            Call<CrossEntropySummary>(probabilities, Input, Probabilities, Classes, Options, null, null, null, null, null, Inner));
        Assert.Equal(Functional.NllLoss<double, int>(Input, Targets, Classes, NllOptions, inner: Inner),
            Call<double>(nll, Input, Targets, Classes, NllOptions, null, null, null, Inner));

        // Per-position losses.
        Assert.Equal(Span(d => Functional.CrossEntropy<double, int>(Input, Targets, Classes, PerPosition, losses: d, inner: Inner), 4),
            Written(4, d => Call(ce, Input, Targets, Classes, PerPosition, null, d, null, null, null, Inner)));
        Assert.Equal(Span(d => Functional.CrossEntropyProbabilities<double>(Input, Probabilities, Classes, PerPosition, losses: d, inner: Inner), 4),
            Written(4, d => Call(probabilities, Input, Probabilities, Classes, PerPosition, null, d, null, null, null, Inner)));
        Assert.Equal(Span(d => Functional.NllLoss<double, int>(Input, Targets, Classes, NllPerPosition, losses: d, inner: Inner), 4),
            Written(4, d => Call(nll, Input, Targets, Classes, NllPerPosition, null, d, null, Inner)));

        // The loss and the gradient.
        double[] gradient = new double[12];
        double[] arrayGradient = new double[12];
        CrossEntropySummary summary = Functional.CrossEntropy<double, int>(Input, Targets, Classes, Options, gradient, inner: Inner);
        AssertSame(summary, gradient, Call<CrossEntropySummary>(ce, Input, Targets, Classes, Options, arrayGradient, null, null, null, null, Inner), arrayGradient);
        (gradient, arrayGradient) = (new double[12], new double[12]);
        summary = Functional.CrossEntropyProbabilities<double>(Input, Probabilities, Classes, Options, gradient, inner: Inner);
        AssertSame(summary, gradient, Call<CrossEntropySummary>(probabilities, Input, Probabilities, Classes, Options, arrayGradient, null, null, null, null, Inner), arrayGradient);
        (gradient, arrayGradient) = (new double[12], new double[12]);
        double loss = Functional.NllLoss<double, int>(Input, Targets, Classes, NllOptions, gradient, inner: Inner);
        AssertSame(loss, gradient, Call<double>(nll, Input, Targets, Classes, NllOptions, arrayGradient, null, null, Inner), arrayGradient);

        // Per-position losses and the gradient, with an upstream gradient per position.
        (gradient, arrayGradient) = (new double[12], new double[12]);
        double[] losses = new double[4];
        double[] arrayLosses = new double[4];
        Functional.CrossEntropy<double, int>(Input, Targets, Classes, PerPosition, gradient, losses, gradOutput: GradOutput, inner: Inner);
        Call(ce, Input, Targets, Classes, PerPosition, arrayGradient, arrayLosses, null, null, GradOutput, Inner);
        AssertSame(losses, gradient, arrayLosses, arrayGradient);
        (gradient, arrayGradient, losses, arrayLosses) = (new double[12], new double[12], new double[4], new double[4]);
        Functional.CrossEntropyProbabilities<double>(Input, Probabilities, Classes, PerPosition, gradient, losses, gradOutput: GradOutput, inner: Inner);
        Call(probabilities, Input, Probabilities, Classes, PerPosition, arrayGradient, arrayLosses, null, null, GradOutput, Inner);
        AssertSame(losses, gradient, arrayLosses, arrayGradient);
        (gradient, arrayGradient, losses, arrayLosses) = (new double[12], new double[12], new double[4], new double[4]);
        Functional.NllLoss<double, int>(Input, Targets, Classes, NllPerPosition, gradient, losses, GradOutput, Inner);
        Call(nll, Input, Targets, Classes, NllPerPosition, arrayGradient, arrayLosses, GradOutput, Inner);
        AssertSame(losses, gradient, arrayLosses, arrayGradient);

        // Every output at once: the log-sum-exps and predictions too, each in its place.
        (gradient, arrayGradient, losses, arrayLosses) = (new double[12], new double[12], new double[4], new double[4]);
        double[] lse = new double[4];
        double[] arrayLse = new double[4];
        int[] predicted = new int[4];
        int[] arrayPredicted = new int[4];
        summary = Functional.CrossEntropy<double, int>(Input, Targets, Classes, PerPosition, gradient, losses, lse, predicted, GradOutput, Inner);
        Assert.Equal(summary, Call<CrossEntropySummary>(ce, Input, Targets, Classes, PerPosition, arrayGradient, arrayLosses, arrayLse, arrayPredicted, GradOutput, Inner));
        AssertSame(losses, gradient, arrayLosses, arrayGradient);
        Assert.Equal(lse, arrayLse);
        Assert.Equal(predicted, arrayPredicted);
    }

    [Fact]
    public void Element_wise_losses_return_what_the_span_overloads_compute()
    {
        const string withLogits = nameof(Functional.BinaryCrossEntropyWithLogits);
        const string bce = nameof(Functional.BinaryCrossEntropy);
        const string kl = nameof(Functional.KlDiv);

        Assert.Equal(Functional.BinaryCrossEntropyWithLogits<double>(Logits, Binary, Reduction.Sum, ElementWeight, PosWeight),
            Call<double>(withLogits, Logits, Binary, Reduction.Sum, ElementWeight, PosWeight, null, null, null));
        Assert.Equal(Functional.BinaryCrossEntropy<double>(Probability, Binary, Reduction.Sum, ElementWeight),
            Call<double>(bce, Probability, Binary, Reduction.Sum, ElementWeight, null, null, null));
        Assert.Equal(Functional.KlDiv<double>(Logits, Probability, Reduction.BatchMean, true, 2),
            Call<double>(kl, Logits, Probability, Reduction.BatchMean, true, 2, null, null, null));

        Assert.Equal(Span(d => Functional.BinaryCrossEntropyWithLogits<double>(Logits, Binary, Reduction.None, ElementWeight, PosWeight, losses: d), 6),
            Written(6, d => Call(withLogits, Logits, Binary, Reduction.None, ElementWeight, PosWeight, null, d, null)));
        Assert.Equal(Span(d => Functional.BinaryCrossEntropy<double>(Probability, Binary, Reduction.None, ElementWeight, losses: d), 6),
            Written(6, d => Call(bce, Probability, Binary, Reduction.None, ElementWeight, null, d, null)));
        Assert.Equal(Span(d => Functional.KlDiv<double>(Logits, Probability, Reduction.None, true, losses: d), 6),
            Written(6, d => Call(kl, Logits, Probability, Reduction.None, true, 0, null, d, null)));

        double[] gradient = new double[6];
        double[] arrayGradient = new double[6];
        double loss = Functional.BinaryCrossEntropyWithLogits<double>(Logits, Binary, Reduction.Sum, ElementWeight, PosWeight, gradient);
        AssertSame(loss, gradient, Call<double>(withLogits, Logits, Binary, Reduction.Sum, ElementWeight, PosWeight, arrayGradient, null, null), arrayGradient);
        (gradient, arrayGradient) = (new double[6], new double[6]);
        loss = Functional.BinaryCrossEntropy<double>(Probability, Binary, Reduction.Sum, ElementWeight, gradient);
        AssertSame(loss, gradient, Call<double>(bce, Probability, Binary, Reduction.Sum, ElementWeight, arrayGradient, null, null), arrayGradient);
        (gradient, arrayGradient) = (new double[6], new double[6]);
        loss = Functional.KlDiv<double>(Logits, Probability, Reduction.BatchMean, true, 2, gradient);
        AssertSame(loss, gradient, Call<double>(kl, Logits, Probability, Reduction.BatchMean, true, 2, arrayGradient, null, null), arrayGradient);

        (gradient, arrayGradient) = (new double[6], new double[6]);
        double[] losses = new double[6];
        double[] arrayLosses = new double[6];
        Functional.BinaryCrossEntropyWithLogits<double>(Logits, Binary, Reduction.None, ElementWeight, PosWeight, gradient, losses, ElementGradOutput);
        Call(withLogits, Logits, Binary, Reduction.None, ElementWeight, PosWeight, arrayGradient, arrayLosses, ElementGradOutput);
        AssertSame(losses, gradient, arrayLosses, arrayGradient);
        (gradient, arrayGradient, losses, arrayLosses) = (new double[6], new double[6], new double[6], new double[6]);
        Functional.BinaryCrossEntropy<double>(Probability, Binary, Reduction.None, ElementWeight, gradient, losses, ElementGradOutput);
        Call(bce, Probability, Binary, Reduction.None, ElementWeight, arrayGradient, arrayLosses, ElementGradOutput);
        AssertSame(losses, gradient, arrayLosses, arrayGradient);
        (gradient, arrayGradient, losses, arrayLosses) = (new double[6], new double[6], new double[6], new double[6]);
        Functional.KlDiv<double>(Logits, Probability, Reduction.None, true, 0, gradient, losses, ElementGradOutput);
        Call(kl, Logits, Probability, Reduction.None, true, 0, arrayGradient, arrayLosses, ElementGradOutput);
        AssertSame(losses, gradient, arrayLosses, arrayGradient);
    }

    [Fact]
    public void Null_arrays_are_refused_by_name_before_anything_else()
    {
        Assert.Equal("input", Assert.Throws<ArgumentNullException>(() => Call(nameof(Functional.Softmax), null, new double[12], 0, 1)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentNullException>(() => Call(nameof(Functional.CrossEntropy), Input, null, 0, null, new double[12], null, null, null, null, 1)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentNullException>(() => Call(nameof(Functional.KlDiv), Logits, null, Reduction.None, true, 0, new double[6], new double[6], ElementGradOutput)).ParamName);
        Assert.Equal("result", Assert.Throws<ArgumentNullException>(() => Call(nameof(Functional.LogSumExpBackward), Input, null, GradOutput, new double[12], Classes, 1)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentNullException>(() => new NllLoss<double>().Forward(Input, (int[])null!, Targets)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentNullException>(() => new KlDivLoss<double>().ForwardWithGradient(Logits, [6], (double[])null!)).ParamName);

        // The upstream gradient is optional now: null is "not asked for", all ones, as an empty span.
        double[] gradient = new double[6];
        double[] ones = new double[6];
        Call(nameof(Functional.KlDiv), Logits, Probability, Reduction.None, true, 0, gradient, null, null);
        Call(nameof(Functional.KlDiv), Logits, Probability, Reduction.None, true, 0, ones, null, new[] { 1.0, 1.0, 1.0, 1.0, 1.0, 1.0 });
        Assert.Equal(ones, gradient);
    }

    [Fact]
    public void Loss_results_read_as_arrays()
    {
        int[] shape = [2, 3, 2];
        var perPosition = new CrossEntropyLoss<double>(Reduction.None, Weight, Ignore, Smoothing).ForwardWithGradient(Input, shape, Targets);
        double[] losses = new double[4];
        Functional.CrossEntropy<double, int>(Input, Targets, Classes, PerPosition, losses: losses, inner: Inner);
        Assert.Equal(losses, perPosition.ToArray());
        double[] gradient = new double[12];
        Functional.CrossEntropy<double, int>(Input, Targets, Classes, PerPosition, gradient, gradOutput: [1.0, 1.0, 1.0, 1.0], inner: Inner);
        Assert.Equal(gradient, perPosition.GradientToArray());

        int[] elementShape = [2, 3];
        var scalar = new BceWithLogitsLoss<double>(Reduction.Sum, ElementWeight, PosWeight).Forward(Logits, elementShape, Binary);
        Assert.Equal(new[] { scalar.Value }, scalar.ToArray());
        Assert.Throws<InvalidOperationException>(() => scalar.GradientToArray());
        double[] softmax = new double[12];
        Functional.Softmax(Input, softmax, Classes, Inner);
        Assert.Equal(softmax, new Softmax(1).Forward(Input, shape));
    }

    /// <summary>Calls the array overload <paramref name="name"/> with T = double (<see cref="ArrayOverloads"/>); returns what it returns.</summary>
    private static object? Call(string name, params object?[] arguments) => ArrayOverloads.Invoke<double>(name, arguments);

    private static TResult Call<TResult>(string name, params object?[] arguments) => (TResult)ArrayOverloads.Invoke<double>(name, arguments)!;

    private delegate void Writer(Span<double> destination);

    private static double[] Span(Writer write, int length)
    {
        var destination = new double[length];
        write(destination);
        return destination;
    }

    /// <summary>A new array of <paramref name="length"/> zeros, after <paramref name="write"/> (an array overload's call) wrote it.</summary>
    private static double[] Written(int length, Action<double[]> write)
    {
        var destination = new double[length];
        write(destination);
        return destination;
    }

    private static void AssertSame<TResult>(TResult expected, double[] expectedGradient, TResult actual, double[] actualGradient)
    {
        Assert.Equal(expected, actual);
        Assert.Equal(expectedGradient, actualGradient);
    }
}

/// <summary>
/// Calls an array overload of <see cref="Functional"/>. C# cannot name one: wherever it applies, the span overload of the
/// same name and parameters applies too and takes precedence, even for a method group converted to a delegate of the
/// array signature. F# (tests/FSharp) calls these overloads directly.
/// </summary>
internal static class ArrayOverloads
{
    /// <summary>Whether <paramref name="method"/> is an array overload: it takes an array and no span.</summary>
    public static bool IsArrayOverload(MethodInfo method)
    {
        ParameterInfo[] parameters = method.GetParameters();
        return parameters.Any(p => p.ParameterType.IsArray) && !parameters.Any(p => p.ParameterType.IsByRefLike);
    }

    /// <summary>
    /// Invokes the array overload named <paramref name="name"/> of as many parameters as <paramref name="arguments"/>
    /// (every one given, optional ones included), with <typeparamref name="T"/> as the element type and <c>int</c>
    /// labels; returns what it returns (null for void). Its exceptions are thrown as they are, not wrapped.
    /// </summary>
    public static object? Invoke<T>(string name, params object?[] arguments)
    {
        MethodInfo method = typeof(Functional).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(m => m.Name == name && m.GetParameters().Length == arguments.Length && IsArrayOverload(m));
        if (method.IsGenericMethodDefinition)
        {
            method = method.MakeGenericMethod([.. method.GetGenericArguments().Select(a => a.Name == "TLabel" ? typeof(int) : typeof(T))]);
        }

        return method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, arguments, null);
    }
}
