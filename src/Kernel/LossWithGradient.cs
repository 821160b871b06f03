using System.Numerics;

namespace Xent;

/// <summary>
/// A reduced loss L and its gradient ∂L/∂input, as returned by the array overloads of the <c>WithGradient</c>
/// functions of <see cref="Functional"/> (for example
/// <see cref="Functional.CrossEntropyWithGradient{T}(T[], int[], int, Reduction, T[], int, double, int, EmptyMean)"/>).
/// </summary>
/// <typeparam name="T">The element type of the input.</typeparam>
/// <param name="Loss">The reduced loss L (mean or sum), bit for bit the value the span overload returns.</param>
/// <param name="Gradient">∂L/∂input in the input's layout: a new array of the input's length, owned by the caller; no other object refers to it.</param>
/// <remarks>
/// An immutable value: both members are fixed at construction. Equality is that of a record struct: the losses are
/// compared by value and the gradients by reference, so two results of two calls are not equal even when their
/// gradients hold the same numbers.
/// </remarks>
public readonly record struct LossWithGradient<T>(T Loss, T[] Gradient)
    where T : IFloatingPointIeee754<T>;

/// <summary>
/// One loss ℓₙ per position (or per element) and the vector-Jacobian product gradient = Σₙ gradOutput[n]·∂ℓₙ/∂input,
/// as returned by the array overloads of the <c>PerElementWithGradient</c> functions of <see cref="Functional"/>
/// (for example <see cref="Functional.CrossEntropyPerElementWithGradient{T}(T[], int[], T[], int, T[], int, double, int)"/>).
/// </summary>
/// <typeparam name="T">The element type of the input.</typeparam>
/// <param name="Losses">The losses ℓₙ, one per position (the target's order) or per element: a new array owned by the caller.</param>
/// <param name="Gradient">The gradient in the input's layout: a new array of the input's length owned by the caller.</param>
/// <remarks>
/// An immutable value: both members are fixed at construction. Equality is that of a record struct: the arrays are
/// compared by reference.
/// </remarks>
public readonly record struct PerElementLossWithGradient<T>(T[] Losses, T[] Gradient)
    where T : IFloatingPointIeee754<T>;
