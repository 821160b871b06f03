using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using Xent.Internal;

namespace Xent;

// The array overloads: arrays in, values out, for F# (which cannot pass an array where a generic method expects a
// ReadOnlySpan<'T>, nor capture a span in a closure) and for any caller who holds arrays and wants results rather than
// caller-owned buffers. Each one checks its arrays for null, allocates its outputs and calls the span overload of the
// same name: no formula is restated here, so results are bit for bit those of the span overloads.
//
// OverloadResolutionPriority(-1): in C#, whenever a span overload applies it is chosen, so every C# call that compiled
// before these overloads existed binds to the same method as before. That matters where the two overload sets accept
// the same arguments with different meanings: with arrays, BinaryCrossEntropyWithLogitsPerElement(x, t, d) passes d
// as the span overload's destination, but would pass it as the array overload's weight. A C# caller reaches an array
// overload when no span overload applies (Softmax(x, classes), CrossEntropyWithGradient(x, y, classes)), or by naming
// an optional argument the span overload lacks. F# ignores the attribute; there the span overloads do not apply to
// arrays and the array overloads are chosen.
public static partial class Functional
{
    private const int ArrayOverloadPriority = -1;

    /// <inheritdoc cref="LogSumExp{T}(ReadOnlySpan{T})"/>
    /// <returns>log Σ exp(xₖ), as the span overload returns it; nothing is allocated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="x"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T LogSumExp<T>(T[] x)
        where T : IFloatingPointIeee754<T> =>
        LogSumExp(In(x));

    /// <inheritdoc cref="LogSumExp{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <returns>A new array, allocated by this call, of outer × inner values: the log-sum-exp of each position, in (outer, inner) order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] LogSumExp<T>(T[] input, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var destination = new T[Positions(x, classes, inner)];
        LogSumExp(x, destination.AsSpan(), classes, inner);
        return destination;
    }

    /// <inheritdoc cref="Softmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <returns>A new array, allocated by this call, of the probabilities in the input's layout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] Softmax<T>(T[] input, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var destination = new T[x.Length];
        Softmax(x, destination.AsSpan(), classes, inner);
        return destination;
    }

    /// <inheritdoc cref="LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <returns>A new array, allocated by this call, of the log-probabilities in the input's layout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] LogSoftmax<T>(T[] input, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var destination = new T[x.Length];
        LogSoftmax(x, destination.AsSpan(), classes, inner);
        return destination;
    }

    /// <inheritdoc cref="SoftmaxBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <returns>A new array, allocated by this call, of the gradient with respect to the softmax input, in the output's layout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> or <paramref name="gradOutput"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] SoftmaxBackward<T>(T[] output, T[] gradOutput, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var o = In(output);
        var g = In(gradOutput);
        var gradInput = new T[o.Length];
        SoftmaxBackward(o, g, gradInput.AsSpan(), classes, inner);
        return gradInput;
    }

    /// <inheritdoc cref="LogSoftmaxBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <returns>A new array, allocated by this call, of the gradient with respect to the log-softmax input, in the output's layout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> or <paramref name="gradOutput"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] LogSoftmaxBackward<T>(T[] output, T[] gradOutput, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var o = In(output);
        var g = In(gradOutput);
        var gradInput = new T[o.Length];
        LogSoftmaxBackward(o, g, gradInput.AsSpan(), classes, inner);
        return gradInput;
    }

    /// <inheritdoc cref="LogSumExpBackward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>
    /// <returns>A new array, allocated by this call, of the gradient in the input's layout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/>, <paramref name="result"/> or <paramref name="gradOutput"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] LogSumExpBackward<T>(T[] input, T[] result, T[] gradOutput, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var r = In(result);
        var g = In(gradOutput);
        var gradInput = new T[x.Length];
        LogSumExpBackward(x, r, g, gradInput.AsSpan(), classes, inner);
        return gradInput;
    }

    /// <inheritdoc cref="CrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/>
    /// <returns>The reduced loss, as the span overload returns it; nothing is allocated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T CrossEntropy<T>(
        T[] input,
        int[] target,
        int classes,
        Reduction reduction = Reduction.Mean,
        T[]? weight = null,
        int ignoreIndex = DefaultIgnoreIndex,
        double labelSmoothing = 0.0,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T> =>
        CrossEntropy(In(input), In(target), classes, reduction, Optional(weight), ignoreIndex, labelSmoothing, inner, emptyMean);

    /// <inheritdoc cref="CrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Reduction, ReadOnlySpan{T}, double, int, EmptyMean)"/>
    /// <returns>The reduced loss, as the span overload returns it; nothing is allocated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T CrossEntropy<T>(
        T[] input,
        T[] target,
        int classes,
        Reduction reduction = Reduction.Mean,
        T[]? weight = null,
        double labelSmoothing = 0.0,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T> =>
        CrossEntropy(In(input), In(target), classes, reduction, Optional(weight), labelSmoothing, inner, emptyMean);

    /// <inheritdoc cref="CrossEntropyPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, ReadOnlySpan{T}, int, double, int)"/>
    /// <returns>A new array, allocated by this call, of one loss per position, in target order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] CrossEntropyPerElement<T>(
        T[] input,
        int[] target,
        int classes,
        T[]? weight = null,
        int ignoreIndex = DefaultIgnoreIndex,
        double labelSmoothing = 0.0,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var losses = new T[y.Length];
        CrossEntropyPerElement(x, y, losses.AsSpan(), classes, Optional(weight), ignoreIndex, labelSmoothing, inner);
        return losses;
    }

    /// <inheritdoc cref="CrossEntropyPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, ReadOnlySpan{T}, double, int)"/>
    /// <returns>A new array, allocated by this call, of one loss per position (outer × inner values).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] CrossEntropyPerElement<T>(
        T[] input,
        T[] target,
        int classes,
        T[]? weight = null,
        double labelSmoothing = 0.0,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var losses = new T[Positions(x, classes, inner)];
        CrossEntropyPerElement(x, y, losses.AsSpan(), classes, Optional(weight), labelSmoothing, inner);
        return losses;
    }

    /// <inheritdoc cref="CrossEntropyWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/>
    /// <returns>The reduced loss, bit for bit the loss-only value, and ∂L/∂input in a new array of the input's length, allocated by this call.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static LossWithGradient<T> CrossEntropyWithGradient<T>(
        T[] input,
        int[] target,
        int classes,
        Reduction reduction = Reduction.Mean,
        T[]? weight = null,
        int ignoreIndex = DefaultIgnoreIndex,
        double labelSmoothing = 0.0,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var gradient = new T[x.Length];
        T loss = CrossEntropyWithGradient(x, y, gradient.AsSpan(), classes, reduction, Optional(weight), ignoreIndex, labelSmoothing, inner, emptyMean);
        return new LossWithGradient<T>(loss, gradient);
    }

    /// <inheritdoc cref="CrossEntropyWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, Reduction, ReadOnlySpan{T}, double, int, EmptyMean)"/>
    /// <returns>The reduced loss, bit for bit the loss-only value, and ∂L/∂input in a new array of the input's length, allocated by this call.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static LossWithGradient<T> CrossEntropyWithGradient<T>(
        T[] input,
        T[] target,
        int classes,
        Reduction reduction = Reduction.Mean,
        T[]? weight = null,
        double labelSmoothing = 0.0,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var gradient = new T[x.Length];
        T loss = CrossEntropyWithGradient(x, y, gradient.AsSpan(), classes, reduction, Optional(weight), labelSmoothing, inner, emptyMean);
        return new LossWithGradient<T>(loss, gradient);
    }

    /// <inheritdoc cref="CrossEntropyPerElementWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, Span{T}, Span{T}, int, ReadOnlySpan{T}, int, double, int)"/>
    /// <returns>New arrays, allocated by this call: one loss per position, and the gradient in the input's layout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/>, <paramref name="target"/> or <paramref name="gradOutput"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static PerElementLossWithGradient<T> CrossEntropyPerElementWithGradient<T>(
        T[] input,
        int[] target,
        T[] gradOutput,
        int classes,
        T[]? weight = null,
        int ignoreIndex = DefaultIgnoreIndex,
        double labelSmoothing = 0.0,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var g = In(gradOutput);
        var losses = new T[y.Length];
        var gradient = new T[x.Length];
        CrossEntropyPerElementWithGradient(x, y, g, losses.AsSpan(), gradient.AsSpan(), classes, Optional(weight), ignoreIndex, labelSmoothing, inner);
        return new PerElementLossWithGradient<T>(losses, gradient);
    }

    /// <inheritdoc cref="CrossEntropyPerElementWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, int, ReadOnlySpan{T}, double, int)"/>
    /// <returns>New arrays, allocated by this call: one loss per position, and the gradient in the input's layout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/>, <paramref name="target"/> or <paramref name="gradOutput"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static PerElementLossWithGradient<T> CrossEntropyPerElementWithGradient<T>(
        T[] input,
        T[] target,
        T[] gradOutput,
        int classes,
        T[]? weight = null,
        double labelSmoothing = 0.0,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var g = In(gradOutput);
        var losses = new T[Positions(x, classes, inner)];
        var gradient = new T[x.Length];
        CrossEntropyPerElementWithGradient(x, y, g, losses.AsSpan(), gradient.AsSpan(), classes, Optional(weight), labelSmoothing, inner);
        return new PerElementLossWithGradient<T>(losses, gradient);
    }

    /// <inheritdoc cref="NllLoss{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, int, EmptyMean)"/>
    /// <returns>The reduced loss, as the span overload returns it; nothing is allocated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T NllLoss<T>(
        T[] input,
        int[] target,
        int classes,
        Reduction reduction = Reduction.Mean,
        T[]? weight = null,
        int ignoreIndex = DefaultIgnoreIndex,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T> =>
        NllLoss(In(input), In(target), classes, reduction, Optional(weight), ignoreIndex, inner, emptyMean);

    /// <inheritdoc cref="NllLossPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, ReadOnlySpan{T}, int, int)"/>
    /// <returns>A new array, allocated by this call, of one loss per position, in target order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] NllLossPerElement<T>(
        T[] input,
        int[] target,
        int classes,
        T[]? weight = null,
        int ignoreIndex = DefaultIgnoreIndex,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var losses = new T[y.Length];
        NllLossPerElement(x, y, losses.AsSpan(), classes, Optional(weight), ignoreIndex, inner);
        return losses;
    }

    /// <inheritdoc cref="NllLossWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Reduction, ReadOnlySpan{T}, int, int, EmptyMean)"/>
    /// <returns>The reduced loss, bit for bit the loss-only value, and ∂L/∂input in a new array of the input's length, allocated by this call.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static LossWithGradient<T> NllLossWithGradient<T>(
        T[] input,
        int[] target,
        int classes,
        Reduction reduction = Reduction.Mean,
        T[]? weight = null,
        int ignoreIndex = DefaultIgnoreIndex,
        int inner = 1,
        EmptyMean emptyMean = EmptyMean.NaN)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var gradient = new T[x.Length];
        T loss = NllLossWithGradient(x, y, gradient.AsSpan(), classes, reduction, Optional(weight), ignoreIndex, inner, emptyMean);
        return new LossWithGradient<T>(loss, gradient);
    }

    /// <inheritdoc cref="NllLossPerElementWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, Span{T}, Span{T}, int, ReadOnlySpan{T}, int, int)"/>
    /// <returns>New arrays, allocated by this call: one loss per position, and the gradient in the input's layout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/>, <paramref name="target"/> or <paramref name="gradOutput"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static PerElementLossWithGradient<T> NllLossPerElementWithGradient<T>(
        T[] input,
        int[] target,
        T[] gradOutput,
        int classes,
        T[]? weight = null,
        int ignoreIndex = DefaultIgnoreIndex,
        int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var g = In(gradOutput);
        var losses = new T[y.Length];
        var gradient = new T[x.Length];
        NllLossPerElementWithGradient(x, y, g, losses.AsSpan(), gradient.AsSpan(), classes, Optional(weight), ignoreIndex, inner);
        return new PerElementLossWithGradient<T>(losses, gradient);
    }

    /// <inheritdoc cref="BinaryCrossEntropyWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    /// <returns>The reduced loss, as the span overload returns it; nothing is allocated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T BinaryCrossEntropyWithLogits<T>(
        T[] input, T[] target, Reduction reduction = Reduction.Mean, T[]? weight = null, T[]? posWeight = null)
        where T : IFloatingPointIeee754<T> =>
        BinaryCrossEntropyWithLogits(In(input), In(target), reduction, Optional(weight), Optional(posWeight));

    /// <inheritdoc cref="BinaryCrossEntropyWithLogitsPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    /// <returns>A new array, allocated by this call, of n losses.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] BinaryCrossEntropyWithLogitsPerElement<T>(T[] input, T[] target, T[]? weight = null, T[]? posWeight = null)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var losses = new T[x.Length];
        BinaryCrossEntropyWithLogitsPerElement(x, y, losses.AsSpan(), Optional(weight), Optional(posWeight));
        return losses;
    }

    /// <inheritdoc cref="BinaryCrossEntropyWithLogitsWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    /// <returns>The reduced loss, bit for bit the loss-only value, and ∂L/∂input in a new array of n values, allocated by this call.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static LossWithGradient<T> BinaryCrossEntropyWithLogitsWithGradient<T>(
        T[] input, T[] target, Reduction reduction = Reduction.Mean, T[]? weight = null, T[]? posWeight = null)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var gradient = new T[x.Length];
        T loss = BinaryCrossEntropyWithLogitsWithGradient(x, y, gradient.AsSpan(), reduction, Optional(weight), Optional(posWeight));
        return new LossWithGradient<T>(loss, gradient);
    }

    /// <inheritdoc cref="BinaryCrossEntropyWithLogitsPerElementWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    /// <returns>New arrays of n values each, allocated by this call: the losses and the gradient.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/>, <paramref name="target"/> or <paramref name="gradOutput"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static PerElementLossWithGradient<T> BinaryCrossEntropyWithLogitsPerElementWithGradient<T>(
        T[] input, T[] target, T[] gradOutput, T[]? weight = null, T[]? posWeight = null)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var g = In(gradOutput);
        var losses = new T[x.Length];
        var gradient = new T[x.Length];
        BinaryCrossEntropyWithLogitsPerElementWithGradient(
            x, y, g, losses.AsSpan(), gradient.AsSpan(), Optional(weight), Optional(posWeight));
        return new PerElementLossWithGradient<T>(losses, gradient);
    }

    /// <inheritdoc cref="BinaryCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, ReadOnlySpan{T})"/>
    /// <returns>The reduced loss, as the span overload returns it; nothing is allocated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T BinaryCrossEntropy<T>(T[] input, T[] target, Reduction reduction = Reduction.Mean, T[]? weight = null)
        where T : IFloatingPointIeee754<T> =>
        BinaryCrossEntropy(In(input), In(target), reduction, Optional(weight));

    /// <inheritdoc cref="BinaryCrossEntropyPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T})"/>
    /// <returns>A new array, allocated by this call, of n losses.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] BinaryCrossEntropyPerElement<T>(T[] input, T[] target, T[]? weight = null)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var losses = new T[x.Length];
        BinaryCrossEntropyPerElement(x, y, losses.AsSpan(), Optional(weight));
        return losses;
    }

    /// <inheritdoc cref="BinaryCrossEntropyWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, ReadOnlySpan{T})"/>
    /// <returns>The reduced loss, bit for bit the loss-only value, and ∂L/∂input in a new array of n values, allocated by this call.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static LossWithGradient<T> BinaryCrossEntropyWithGradient<T>(
        T[] input, T[] target, Reduction reduction = Reduction.Mean, T[]? weight = null)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var gradient = new T[x.Length];
        T loss = BinaryCrossEntropyWithGradient(x, y, gradient.AsSpan(), reduction, Optional(weight));
        return new LossWithGradient<T>(loss, gradient);
    }

    /// <inheritdoc cref="BinaryCrossEntropyPerElementWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, ReadOnlySpan{T})"/>
    /// <returns>New arrays of n values each, allocated by this call: the losses and the gradient.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/>, <paramref name="target"/> or <paramref name="gradOutput"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static PerElementLossWithGradient<T> BinaryCrossEntropyPerElementWithGradient<T>(
        T[] input, T[] target, T[] gradOutput, T[]? weight = null)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var g = In(gradOutput);
        var losses = new T[x.Length];
        var gradient = new T[x.Length];
        BinaryCrossEntropyPerElementWithGradient(x, y, g, losses.AsSpan(), gradient.AsSpan(), Optional(weight));
        return new PerElementLossWithGradient<T>(losses, gradient);
    }

    /// <inheritdoc cref="KlDiv{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, bool, int)"/>
    /// <returns>The reduced loss, as the span overload returns it; nothing is allocated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T KlDiv<T>(
        T[] input, T[] target, Reduction reduction = Reduction.Mean, bool logTarget = false, int batchSize = 0)
        where T : IFloatingPointIeee754<T> =>
        KlDiv(In(input), In(target), reduction, logTarget, batchSize);

    /// <inheritdoc cref="KlDivPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, bool)"/>
    /// <returns>A new array, allocated by this call, of n values.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] KlDivPerElement<T>(T[] input, T[] target, bool logTarget = false)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var losses = new T[x.Length];
        KlDivPerElement(x, y, losses.AsSpan(), logTarget);
        return losses;
    }

    /// <inheritdoc cref="KlDivWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, bool, int)"/>
    /// <returns>The reduced loss, bit for bit the loss-only value, and ∂L/∂input in a new array of n values, allocated by this call.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static LossWithGradient<T> KlDivWithGradient<T>(
        T[] input, T[] target, Reduction reduction = Reduction.Mean, bool logTarget = false, int batchSize = 0)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var gradient = new T[x.Length];
        T loss = KlDivWithGradient(x, y, gradient.AsSpan(), reduction, logTarget, batchSize);
        return new LossWithGradient<T>(loss, gradient);
    }

    /// <inheritdoc cref="KlDivPerElementWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, bool)"/>
    /// <returns>New arrays of n values each, allocated by this call: the losses and the gradient.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/>, <paramref name="target"/> or <paramref name="gradOutput"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static PerElementLossWithGradient<T> KlDivPerElementWithGradient<T>(T[] input, T[] target, T[] gradOutput, bool logTarget = false)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var g = In(gradOutput);
        var losses = new T[x.Length];
        var gradient = new T[x.Length];
        KlDivPerElementWithGradient(x, y, g, losses.AsSpan(), gradient.AsSpan(), logTarget);
        return new PerElementLossWithGradient<T>(losses, gradient);
    }

    /// <summary>A required array as a span; null throws <see cref="ArgumentNullException"/> naming the caller's parameter.</summary>
    private static ReadOnlySpan<T> In<T>(T[]? array, [CallerArgumentExpression(nameof(array))] string? paramName = null)
    {
        ArgumentNullException.ThrowIfNull(array, paramName);
        return array;
    }

    /// <summary>An optional array as a span: null becomes the empty span, which the span overloads read as "none".</summary>
    private static ReadOnlySpan<T> Optional<T>(T[]? array) => array;

    /// <summary>The number of positions (outer × inner), validated exactly as the span overloads validate the layout first.</summary>
    private static int Positions<T>(ReadOnlySpan<T> input, int classes, int inner) =>
        ClassLayout.Create(input.Length, classes, inner).Positions;
}
