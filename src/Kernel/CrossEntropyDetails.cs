using System.Numerics;

namespace Xent;

/// <summary>
/// The results of a large-vocabulary cross entropy as values, returned by the array overloads of
/// <see cref="Functional.CrossEntropyDetailed{T}(T[], int[], int, CrossEntropyOptions?)"/> and
/// <see cref="Functional.CrossEntropyFromPartials(CrossEntropyPartial[], int[], int, CrossEntropyOptions?)"/>: the
/// summary (reduced loss, reduced z-loss, counted rows, correct predictions, accuracy) and every row's results.
/// </summary>
/// <param name="Summary">The reduced results, bit for bit those of the span overload.</param>
/// <param name="Rows">One entry per row: a new array owned by the caller.</param>
/// <remarks>An immutable value; equality compares the summaries by value and the arrays by reference.</remarks>
public readonly record struct CrossEntropyDetails(CrossEntropySummary Summary, CrossEntropyRow[] Rows);

/// <summary>
/// <see cref="CrossEntropyDetails"/> and the gradient ∂L/∂input, returned by the array overload of
/// <see cref="Functional.CrossEntropyDetailedWithGradient{T}(T[], int[], int, CrossEntropyOptions?, double)"/>.
/// </summary>
/// <typeparam name="T">The element type of the input.</typeparam>
/// <param name="Summary">The reduced results, bit for bit those of the span overload.</param>
/// <param name="Rows">One entry per row: a new array owned by the caller.</param>
/// <param name="Gradient">∂L/∂input in the input's layout: a new array owned by the caller.</param>
/// <remarks>An immutable value; equality compares the summaries by value and the arrays by reference.</remarks>
public readonly record struct CrossEntropyDetailsWithGradient<T>(CrossEntropySummary Summary, CrossEntropyRow[] Rows, T[] Gradient)
    where T : IFloatingPointIeee754<T>;
