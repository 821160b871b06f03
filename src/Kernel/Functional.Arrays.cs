using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xent;

// The array overloads, for F# (which cannot pass an array where a generic method expects a ReadOnlySpan<'T>, nor capture
// a span in a closure) and for any .NET language without spans. Each one takes the parameters of the span overload of
// the same name, in the same order, with arrays for spans: inputs must not be null (ArgumentNullException), optional
// outputs may be (null is "not asked for", as an empty span is). Each calls the span overload, so results are those of
// the span overloads, bit for bit, and nothing is allocated.
//
// OverloadResolutionPriority(1): in C#, a call whose arguments are all arrays binds here rather than to the span
// overload (arrays convert to spans, so both apply), so that a null array is an ArgumentNullException naming the
// parameter instead of an empty span; the two compute the same. A call that passes any span binds to the span overload.
// F# ignores the attribute and picks the array overloads for arrays.
public static partial class Functional
{
    private const int ArrayOverloadPriority = 1;

    /// <inheritdoc cref="LogSumExp{T}(ReadOnlySpan{T})"/>
    /// <exception cref="ArgumentNullException"><paramref name="x"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T LogSumExp<T>(T[] x)
        where T : IFloatingPointIeee754<T> =>
        LogSumExp(In(x));

    /// <inheritdoc cref="LogSumExp{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="destination"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static void LogSumExp<T>(T[] input, T[] destination, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T> =>
        LogSumExp(In(input), Out(destination), classes, inner);

    /// <inheritdoc cref="Softmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="destination"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static void Softmax<T>(T[] input, T[] destination, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T> =>
        Softmax(In(input), Out(destination), classes, inner);

    /// <inheritdoc cref="LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="destination"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static void LogSoftmax<T>(T[] input, T[] destination, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T> =>
        LogSoftmax(In(input), Out(destination), classes, inner);

    /// <inheritdoc cref="SoftmaxBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static void SoftmaxBackward<T>(T[] output, T[] gradOutput, T[] gradInput, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T> =>
        SoftmaxBackward(In(output), In(gradOutput), Out(gradInput), classes, inner);

    /// <inheritdoc cref="LogSoftmaxBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static void LogSoftmaxBackward<T>(T[] output, T[] gradOutput, T[] gradInput, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T> =>
        LogSoftmaxBackward(In(output), In(gradOutput), Out(gradInput), classes, inner);

    /// <inheritdoc cref="LogSumExpBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static void LogSumExpBackward<T>(T[] input, T[] result, T[] gradOutput, T[] gradInput, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T> =>
        LogSumExpBackward(In(input), In(result), In(gradOutput), Out(gradInput), classes, inner);

    /// <inheritdoc cref="CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static CrossEntropySummary CrossEntropy<T, TLabel>(
        T[] input, TLabel[] target, int classes, CrossEntropyOptions<T>? options = null,
        T[]? gradient = null, T[]? losses = null, T[]? logSumExp = null, int[]? predicted = null, T[]? gradOutput = null, int inner = 1)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        CrossEntropy(In(input), In(target), classes, options, gradient, losses, logSumExp, predicted, gradOutput, inner);

    /// <inheritdoc cref="LinearCrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, ReadOnlySpan{T}, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, bool)"/>
    /// <exception cref="ArgumentNullException"><paramref name="hidden"/>, <paramref name="weight"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static CrossEntropySummary LinearCrossEntropy<T, TLabel>(
        T[] hidden, T[] weight, TLabel[] target, int features, T[]? bias = null, CrossEntropyOptions<T>? options = null,
        T[]? hiddenGradient = null, T[]? weightGradient = null, T[]? biasGradient = null, T[]? losses = null, T[]? logSumExp = null, int[]? predicted = null,
        T[]? gradOutput = null, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        LinearCrossEntropy(
            In(hidden), In(weight), In(target), features, bias, options, hiddenGradient, weightGradient, biasGradient, losses, logSumExp, predicted, gradOutput, accumulate);

    /// <inheritdoc cref="CrossEntropyProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static CrossEntropySummary CrossEntropyProbabilities<T>(
        T[] input, T[] target, int classes, CrossEntropyOptions<T>? options = null,
        T[]? gradient = null, T[]? losses = null, T[]? logSumExp = null, int[]? predicted = null, T[]? gradOutput = null, int inner = 1)
        where T : IFloatingPointIeee754<T> =>
        CrossEntropyProbabilities(In(input), In(target), classes, options, gradient, losses, logSumExp, predicted, gradOutput, inner);

    /// <inheritdoc cref="NllLoss{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, ReadOnlySpan{T}, int)"/>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T NllLoss<T, TLabel>(
        T[] input, TLabel[] target, int classes, CrossEntropyOptions<T>? options = null,
        T[]? gradient = null, T[]? losses = null, T[]? gradOutput = null, int inner = 1)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        NllLoss(In(input), In(target), classes, options, gradient, losses, gradOutput, inner);

    /// <inheritdoc cref="BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, ReadOnlySpan{T})"/>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T BinaryCrossEntropyWithLogits<T>(
        T[] input, T[] target, Reduction reduction = Reduction.Mean, T[]? weight = null, T[]? posWeight = null,
        T[]? gradient = null, T[]? losses = null, T[]? gradOutput = null)
        where T : IFloatingPointIeee754<T> =>
        BinaryCrossEntropyWithLogits(In(input), In(target), reduction, weight, posWeight, gradient, losses, gradOutput);

    /// <inheritdoc cref="BinaryCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, Span{T}, Span{T}, ReadOnlySpan{T})"/>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T BinaryCrossEntropy<T>(
        T[] input, T[] target, Reduction reduction = Reduction.Mean, T[]? weight = null,
        T[]? gradient = null, T[]? losses = null, T[]? gradOutput = null)
        where T : IFloatingPointIeee754<T> =>
        BinaryCrossEntropy(In(input), In(target), reduction, weight, gradient, losses, gradOutput);

    /// <inheritdoc cref="KlDiv{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, bool, int, Span{T}, Span{T}, ReadOnlySpan{T})"/>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T KlDiv<T>(
        T[] input, T[] target, Reduction reduction = Reduction.Mean, bool logTarget = false, int batchSize = 0,
        T[]? gradient = null, T[]? losses = null, T[]? gradOutput = null)
        where T : IFloatingPointIeee754<T> =>
        KlDiv(In(input), In(target), reduction, logTarget, batchSize, gradient, losses, gradOutput);

    /// <inheritdoc cref="CrossEntropyShard{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, Span{CrossEntropyPartial}, int, int, int, CrossEntropyOptions{T}?)"/>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static void CrossEntropyShard<T, TLabel>(
        T[] shard, TLabel[] target, CrossEntropyPartial[] partials, int classes, int shardOffset, int shardClasses, CrossEntropyOptions<T>? options = null)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        CrossEntropyShard(In(shard), In(target), Out(partials), classes, shardOffset, shardClasses, options);

    /// <inheritdoc cref="CrossEntropyShardGradient{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, ReadOnlySpan{CrossEntropyPartial}, Span{T}, int, int, int, CrossEntropyOptions{T}?, ReadOnlySpan{T})"/>
    /// <exception cref="ArgumentNullException">A required array is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static void CrossEntropyShardGradient<T, TLabel>(
        T[] shard, TLabel[] target, CrossEntropyPartial[] partials, T[] gradient, int classes, int shardOffset, int shardClasses,
        CrossEntropyOptions<T>? options = null, T[]? gradOutput = null)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        CrossEntropyShardGradient(In(shard), In(target), In(partials), Out(gradient), classes, shardOffset, shardClasses, options, gradOutput);

    /// <inheritdoc cref="CrossEntropyFromPartials{T, TLabel}(ReadOnlySpan{CrossEntropyPartial}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{int})"/>
    /// <exception cref="ArgumentNullException"><paramref name="partials"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static CrossEntropySummary CrossEntropyFromPartials<T, TLabel>(
        CrossEntropyPartial[] partials, TLabel[] target, int classes, CrossEntropyOptions<T>? options = null,
        T[]? losses = null, T[]? logSumExp = null, int[]? predicted = null)
        where T : IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        CrossEntropyFromPartials(In(partials), In(target), classes, options, losses, logSumExp, predicted);

    /// <inheritdoc cref="MergeCrossEntropyPartials(ReadOnlySpan{CrossEntropyPartial}, Span{CrossEntropyPartial})"/>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static void MergeCrossEntropyPartials(CrossEntropyPartial[] source, CrossEntropyPartial[] accumulator) =>
        MergeCrossEntropyPartials(In(source), Out(accumulator));

    /// <summary>A required input array as a span; null is refused, naming the parameter.</summary>
    private static ReadOnlySpan<TElement> In<TElement>(TElement[]? array, [CallerArgumentExpression(nameof(array))] string? paramName = null)
    {
        ArgumentNullException.ThrowIfNull(array, paramName);
        return array;
    }

    /// <summary>A required output array as a span; null is refused, naming the parameter.</summary>
    private static Span<TElement> Out<TElement>(TElement[]? array, [CallerArgumentExpression(nameof(array))] string? paramName = null)
    {
        ArgumentNullException.ThrowIfNull(array, paramName);
        return array;
    }
}
