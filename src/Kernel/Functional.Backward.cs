using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xent.Internal;
using Xent.Internal.Rows;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// The backward pass of <see cref="Softmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>, the vector-Jacobian product gradInput = Jᵀ·gradOutput: for each
    /// row with output y and upstream gradient g, gradInput[c] = y[c]·(g[c] − Σ_k g[k]·y[k]) (PyTorch's
    /// <c>_softmax_backward_data</c>).
    /// </summary>
    /// <param name="output">The softmax output y, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="gradOutput">The upstream gradient g, the output's layout.</param>
    /// <param name="gradInput">Receives the gradient with respect to the softmax input; may be <paramref name="output"/> or <paramref name="gradOutput"/> itself (same start), never a partial overlap.</param>
    /// <param name="classes">Size of the normalized dimension, at least 1.</param>
    /// <param name="inner">Product of the dimensions after the normalized one, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The output length is not a multiple of classes × inner; <paramref name="gradOutput"/> is not the output's length; <paramref name="gradInput"/> is too short or overlaps partially.</exception>
    /// <remarks>The dot product is accumulated in double. NaN in a row's output or gradient makes that row's gradient NaN.</remarks>
    public static void SoftmaxBackward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateBackward(output, gradOutput, gradInput, classes, inner);
        RunBackward(Backward.Softmax, output, gradOutput, default, default, gradInput, layout);
    }

    /// <summary>
    /// The backward pass of <see cref="LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>: for each row with output o (log-probabilities) and upstream
    /// gradient g, gradInput[c] = g[c] − exp(o[c])·Σ_k g[k] (PyTorch's <c>_log_softmax_backward_data</c>).
    /// </summary>
    /// <param name="output">The log-softmax output o, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="gradOutput">The upstream gradient g, the output's layout.</param>
    /// <param name="gradInput">Receives the gradient with respect to the log-softmax input; may be <paramref name="output"/> or <paramref name="gradOutput"/> itself (same start), never a partial overlap.</param>
    /// <param name="classes">Size of the normalized dimension, at least 1.</param>
    /// <param name="inner">Product of the dimensions after the normalized one, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The output length is not a multiple of classes × inner; <paramref name="gradOutput"/> is not the output's length; <paramref name="gradInput"/> is too short or overlaps partially.</exception>
    /// <remarks>The sum is accumulated in double. A −∞ output (probability 0) gets gradInput = g[c].</remarks>
    public static void LogSoftmaxBackward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ValidateBackward(output, gradOutput, gradInput, classes, inner);
        RunBackward(Backward.LogSoftmax, output, gradOutput, default, default, gradInput, layout);
    }

    /// <summary>
    /// The backward pass of <see cref="LogSumExp{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>: gradInput[o, c, i] =
    /// gradOutput[o, i]·exp(input[o, c, i] − result[o, i]), i.e. the upstream gradient times the softmax (PyTorch's
    /// <c>logsumexp_backward</c>).
    /// </summary>
    /// <param name="input">The log-sum-exp input, (outer, <paramref name="classes"/>, <paramref name="inner"/>) row-major.</param>
    /// <param name="result">The log-sum-exp result, one value per position (outer × inner).</param>
    /// <param name="gradOutput">The upstream gradient, one value per position.</param>
    /// <param name="gradInput">Receives the gradient, the input's layout; may be <paramref name="input"/> itself (same start); must not overlap <paramref name="result"/> or <paramref name="gradOutput"/>.</param>
    /// <param name="classes">Size of the reduced dimension, at least 1.</param>
    /// <param name="inner">Product of the dimensions after the reduced one, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> or <paramref name="inner"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The input length is not a multiple of classes × inner; <paramref name="result"/> or <paramref name="gradOutput"/> does not hold one value per position; <paramref name="gradInput"/> is too short or overlaps.</exception>
    /// <remarks>As PyTorch, a row whose result is infinite (a +∞ or an all −∞ row) gets NaN where exp(∞ − ∞) is met.</remarks>
    public static void LogSumExpBackward<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> result, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int classes, int inner = 1)
        where T : IFloatingPointIeee754<T>
    {
        ClassLayout layout = ClassLayout.Create(input.Length, classes, inner);
        if (result.Length != layout.Positions)
        {
            throw new ArgumentException(
                $"result must hold one log-sum-exp per position ({layout.Positions}); got {result.Length}.", nameof(result));
        }

        if (gradOutput.Length != layout.Positions)
        {
            ThrowHelper.GradOutputLengthMismatch(gradOutput.Length, layout.Positions);
        }

        ValidateInPlaceGradient(input, gradInput, nameof(input));
        if (gradInput[..input.Length].Overlaps(result) || gradInput[..input.Length].Overlaps(gradOutput))
        {
            ThrowHelper.Overlaps(nameof(gradInput), gradInput[..input.Length].Overlaps(result) ? nameof(result) : nameof(gradOutput));
        }

        RunBackward(Backward.LogSumExp, input, default, result, gradOutput, gradInput, layout);
    }

    private static ClassLayout ValidateBackward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int classes, int inner)
    {
        ClassLayout layout = ClassLayout.Create(output.Length, classes, inner, nameof(output));
        if (gradOutput.Length != output.Length)
        {
            ThrowHelper.GradOutputLengthMismatch(gradOutput.Length, output.Length);
        }

        ValidateInPlaceGradient(output, gradInput, nameof(output));
        ValidateInPlaceGradient(gradOutput, gradInput, nameof(gradOutput));
        return layout;
    }

    /// <summary>gradInput must be long enough and either start where <paramref name="source"/> starts or not overlap it.</summary>
    private static void ValidateInPlaceGradient<T>(ReadOnlySpan<T> source, Span<T> gradInput, string sourceName)
    {
        if (gradInput.Length < source.Length)
        {
            throw new ArgumentException(
                $"gradInput is too short: {source.Length} values are written but it holds {gradInput.Length}.", nameof(gradInput));
        }

        if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(gradInput))
            && source.Overlaps(gradInput))
        {
            ThrowHelper.Overlaps(nameof(gradInput), sourceName + " partially");
        }
    }

    /// <summary>A backward pass through the engine's walks (arguments already validated).</summary>
    private static unsafe void RunBackward<T>(
        Backward kind, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> result, ReadOnlySpan<T> positionGradient, Span<T> gradInput, ClassLayout layout)
        where T : IFloatingPointIeee754<T>
    {
        fixed (byte* pa = &AsBytes(a))
        fixed (byte* pb = &AsBytes(b))
        fixed (byte* r = &AsBytes(result))
        fixed (byte* g = &AsBytes(positionGradient))
        fixed (byte* output = &AsBytes((ReadOnlySpan<T>)gradInput))
        {
            var job = new BackwardJob
            {
                Kind = kind,
                A = pa,
                B = pb,
                Result = r,
                PositionGradient = g,
                Output = output,
                Shape = new WalkShape(layout.Positions, layout.Classes, layout.Inner),
            };
            BackwardRows.Run<T>(ref job);
        }
    }
}
