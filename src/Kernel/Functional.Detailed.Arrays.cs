using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Xent;

// Array overloads of the large-vocabulary API, for F# and for callers who want values rather than buffers: each checks
// its arrays for null, allocates its outputs and calls the span overload, so results are bit for bit the same.
public static partial class Functional
{
    /// <inheritdoc cref="CrossEntropyDetailed{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/>
    /// <returns>The summary and a new array of one <see cref="CrossEntropyRow"/> per row.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static CrossEntropyDetails CrossEntropyDetailed<T>(T[] input, int[] target, int classes, CrossEntropyOptions? options = null)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var rows = new CrossEntropyRow[y.Length];
        CrossEntropySummary summary = CrossEntropyDetailed(x, y, classes, options, rows.AsSpan());
        return new CrossEntropyDetails(summary, rows);
    }

    /// <inheritdoc cref="CrossEntropyDetailedWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, CrossEntropyOptions?, Span{CrossEntropyRow}, double)"/>
    /// <returns>The summary, a new array of one <see cref="CrossEntropyRow"/> per row, and a new gradient array of the input's length.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static CrossEntropyDetailsWithGradient<T> CrossEntropyDetailedWithGradient<T>(
        T[] input, int[] target, int classes, CrossEntropyOptions? options = null, double gradOutput = 1.0)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(input);
        var y = In(target);
        var rows = new CrossEntropyRow[y.Length];
        var gradient = new T[x.Length];
        CrossEntropySummary summary = CrossEntropyDetailedWithGradient(x, y, gradient.AsSpan(), classes, options, rows.AsSpan(), gradOutput);
        return new CrossEntropyDetailsWithGradient<T>(summary, rows, gradient);
    }

    /// <inheritdoc cref="CrossEntropyShard{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{CrossEntropyPartial}, int, int, int, CrossEntropyOptions?)"/>
    /// <returns>A new array of one partial per row.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shard"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static CrossEntropyPartial[] CrossEntropyShard<T>(
        T[] shard, int[] target, int classes, int shardOffset, int shardClasses, CrossEntropyOptions? options = null)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(shard);
        var y = In(target);
        var partials = new CrossEntropyPartial[y.Length];
        CrossEntropyShard(x, y, partials.AsSpan(), classes, shardOffset, shardClasses, options);
        return partials;
    }

    /// <summary>
    /// The row-by-row merge of two shards' partials, as a new array: result[n] =
    /// <see cref="CrossEntropyPartial.Merge(CrossEntropyPartial, CrossEntropyPartial)"/>(left[n], right[n]). Commutative
    /// and associative (see <see cref="CrossEntropyPartial"/>), so shards can be folded in any order.
    /// </summary>
    /// <param name="left">One shard's (or several merged shards') partials, N values.</param>
    /// <param name="right">Another's, N values, of classes disjoint from <paramref name="left"/>'s.</param>
    /// <returns>A new array of N merged partials; the inputs are not changed.</returns>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">The arrays differ in length.</exception>
    /// <remarks>
    /// In C#, two arrays bind to the span overload, which merges <paramref name="left"/> into <paramref name="right"/>
    /// in place; this pure overload is for F#, or for C# through explicit argument names (<c>left:</c>, <c>right:</c>).
    /// </remarks>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static CrossEntropyPartial[] MergeCrossEntropyPartials(CrossEntropyPartial[] left, CrossEntropyPartial[] right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (left.Length != right.Length)
        {
            throw new ArgumentException(
                $"Both shards must hold one partial per row: left has {left.Length}, right has {right.Length}.", nameof(right));
        }

        var merged = (CrossEntropyPartial[])left.Clone();
        MergeCrossEntropyPartials(new ReadOnlySpan<CrossEntropyPartial>(right), merged.AsSpan());
        return merged;
    }

    /// <inheritdoc cref="CrossEntropyFromPartials(ReadOnlySpan{CrossEntropyPartial}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/>
    /// <returns>The summary and a new array of one <see cref="CrossEntropyRow"/> per row.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="partials"/> or <paramref name="target"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static CrossEntropyDetails CrossEntropyFromPartials(
        CrossEntropyPartial[] partials, int[] target, int classes, CrossEntropyOptions? options = null)
    {
        var p = In(partials);
        var y = In(target);
        var rows = new CrossEntropyRow[y.Length];
        CrossEntropySummary summary = CrossEntropyFromPartials(p, y, classes, options, rows.AsSpan());
        return new CrossEntropyDetails(summary, rows);
    }

    /// <inheritdoc cref="CrossEntropyShardGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{CrossEntropyPartial}, Span{T}, int, int, int, CrossEntropyOptions?, double)"/>
    /// <returns>A new array holding the shard's gradient, (N, S) row-major.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shard"/>, <paramref name="target"/> or <paramref name="partials"/> is null.</exception>
    [OverloadResolutionPriority(ArrayOverloadPriority)]
    public static T[] CrossEntropyShardGradient<T>(
        T[] shard, int[] target, CrossEntropyPartial[] partials, int classes, int shardOffset, int shardClasses,
        CrossEntropyOptions? options = null, double gradOutput = 1.0)
        where T : IFloatingPointIeee754<T>
    {
        var x = In(shard);
        var y = In(target);
        var p = In(partials);
        var gradient = new T[x.Length];
        CrossEntropyShardGradient(x, y, p, gradient.AsSpan(), classes, shardOffset, shardClasses, options, gradOutput);
        return gradient;
    }
}
