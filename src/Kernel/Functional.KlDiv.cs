using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// The KL-divergence loss of PyTorch's <c>F.kl_div(input, target, reduction, log_target)</c>, reduced to a scalar:
    /// with input xᵢ = log qᵢ, ℓᵢ = tᵢ·(log tᵢ − xᵢ) (ℓᵢ = 0 where tᵢ = 0), or with <paramref name="logTarget"/>
    /// ℓᵢ = exp(tᵢ)·(tᵢ − xᵢ). <see cref="Reduction.Sum"/> returns Σ ℓᵢ, <see cref="Reduction.Mean"/>
    /// Σ ℓᵢ / n, and <see cref="Reduction.BatchMean"/> Σ ℓᵢ / <paramref name="batchSize"/>, which for rows that are
    /// distributions is the mean of KL(tₙ ‖ qₙ) over the batch.
    /// </summary>
    /// <param name="input">Log-probabilities log q, any shape, row-major; n elements.</param>
    /// <param name="target">Probabilities t (or log-probabilities with <paramref name="logTarget"/>), the input's shape.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default, as PyTorch), <see cref="Reduction.Sum"/> or <see cref="Reduction.BatchMean"/>; for <see cref="Reduction.None"/> call <see cref="KlDivPerElement{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, bool)"/>.</param>
    /// <param name="logTarget">PyTorch <c>log_target</c>: whether <paramref name="target"/> holds log-probabilities (default false).</param>
    /// <param name="batchSize">For <see cref="Reduction.BatchMean"/>: the size of dimension 0, at least 1 and dividing n. Ignored otherwise.</param>
    /// <returns>The reduced loss, computed in double and rounded once to <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="reduction"/> is None or undefined; <paramref name="target"/> is not the input's length; <paramref name="batchSize"/> is not positive or does not divide n with <see cref="Reduction.BatchMean"/>.</exception>
    /// <remarks>
    /// A zero target probability (or, with <paramref name="logTarget"/>, a target of −∞) contributes exactly 0
    /// (0·log 0 = 0) whatever the input, ±∞ included; PyTorch gives NaN there (0·∞). A NaN input still gives NaN. A negative target gives NaN (the logarithm of a negative number), as PyTorch. An empty input
    /// gives NaN for the mean.
    /// </remarks>
    public static T KlDiv<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, Reduction reduction = Reduction.Mean, bool logTarget = false, int batchSize = 0)
        where T : IFloatingPointIeee754<T>
    {
        double divisor = ValidateKlDiv(input, target, reduction, batchSize);
        return T.CreateTruncating(KlDivRun(input, target, logTarget, false, divisor, default, default, default));
    }

    /// <summary>
    /// The KL-divergence loss, one value per element (PyTorch <c>reduction='none'</c>):
    /// destination[i] = tᵢ·(log tᵢ − xᵢ), or exp(tᵢ)·(tᵢ − xᵢ) with <paramref name="logTarget"/>.
    /// </summary>
    /// <param name="input">Log-probabilities, n elements.</param>
    /// <param name="target">Probabilities (or log-probabilities), n elements.</param>
    /// <param name="destination">Receives n values; must not overlap an input.</param>
    /// <param name="logTarget">Whether <paramref name="target"/> holds log-probabilities.</param>
    /// <exception cref="ArgumentException"><paramref name="target"/> is not the input's length; <paramref name="destination"/> is too short or overlaps an input.</exception>
    public static void KlDivPerElement<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, Span<T> destination, bool logTarget = false)
        where T : IFloatingPointIeee754<T>
    {
        ValidateBinary(input, target, default, default);
        ValidatePointwiseOutputs(true, destination, false, default, default, input, target, default, default);
        KlDivRun(input, target, logTarget, true, double.NaN, destination, default, default);
    }

    /// <summary>
    /// The KL-divergence loss and its gradient: the reduced loss of <see cref="KlDiv{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, bool, int)"/> and ∂L/∂xᵢ = −tᵢ
    /// (−exp(tᵢ) with <paramref name="logTarget"/>), divided as the reduction divides.
    /// </summary>
    /// <param name="input">Log-probabilities, n elements.</param>
    /// <param name="target">Probabilities (or log-probabilities), n elements.</param>
    /// <param name="gradient">Receives n values; must not overlap an input.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/> or <see cref="Reduction.BatchMean"/>.</param>
    /// <param name="logTarget">Whether <paramref name="target"/> holds log-probabilities.</param>
    /// <param name="batchSize">For <see cref="Reduction.BatchMean"/>: the size of dimension 0.</param>
    /// <returns>The reduced loss, bit for bit that of <see cref="KlDiv{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, bool, int)"/>.</returns>
    /// <exception cref="ArgumentException">As <see cref="KlDiv{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, bool, int)"/>; also <paramref name="gradient"/> is too short or overlaps an input.</exception>
    public static T KlDivWithGradient<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, Span<T> gradient, Reduction reduction = Reduction.Mean, bool logTarget = false, int batchSize = 0)
        where T : IFloatingPointIeee754<T>
    {
        double divisor = ValidateKlDiv(input, target, reduction, batchSize);
        ValidatePointwiseOutputs(false, default, true, gradient, default, input, target, default, default);
        return T.CreateTruncating(KlDivRun(input, target, logTarget, false, divisor, default, default, gradient[..input.Length]));
    }

    /// <summary>
    /// The KL-divergence loss, one value per element, and the vector-Jacobian product gradient[i] = −gradOutput[i]·tᵢ
    /// (−gradOutput[i]·exp(tᵢ) with <paramref name="logTarget"/>).
    /// </summary>
    /// <param name="input">Log-probabilities, n elements.</param>
    /// <param name="target">Probabilities (or log-probabilities), n elements.</param>
    /// <param name="gradOutput">n upstream gradients.</param>
    /// <param name="destination">Receives n values.</param>
    /// <param name="gradient">Receives n values.</param>
    /// <param name="logTarget">Whether <paramref name="target"/> holds log-probabilities.</param>
    /// <exception cref="ArgumentException"><paramref name="target"/> or <paramref name="gradOutput"/> is not of length n; an output is too short or overlaps another argument.</exception>
    public static void KlDivPerElementWithGradient<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<T> gradOutput, Span<T> destination, Span<T> gradient, bool logTarget = false)
        where T : IFloatingPointIeee754<T>
    {
        ValidateBinary(input, target, default, default);
        ValidateGradOutput(gradOutput, input.Length);
        ValidatePointwiseOutputs(true, destination, true, gradient, gradOutput, input, target, default, default);
        KlDivRun(input, target, logTarget, true, double.NaN, destination, gradOutput, gradient[..input.Length]);
    }

    private static double KlDivRun<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> target, bool logTarget, bool perElement, double divisor,
        Span<T> destination, ReadOnlySpan<T> gradOutput, Span<T> gradient)
        where T : IFloatingPointIeee754<T> =>
        logTarget
            ? Pointwise<T>.Run<KlDivLogTargetLoss>(input, target, default, default, perElement, divisor, destination, gradOutput, gradient)
            : Pointwise<T>.Run<KlDivLoss>(input, target, default, default, perElement, divisor, destination, gradOutput, gradient);

    /// <summary>Validates a reduced KL call and returns the reduction's divisor.</summary>
    private static double ValidateKlDiv<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, Reduction reduction, int batchSize)
    {
        ValidateBinary(input, target, default, default);
        switch (reduction)
        {
            case Reduction.Mean:
                return input.Length;
            case Reduction.Sum:
                return 1.0;
            case Reduction.BatchMean:
                if (batchSize <= 0 || input.Length % batchSize != 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                        $"BatchMean divides by the batch size, the size of dimension 0: it must be at least 1 and divide the {input.Length} elements.");
                }

                return batchSize;
            default:
                throw new ArgumentException(
                    $"Reduction {reduction} has no scalar result; pass Mean, Sum or BatchMean, or call KlDivPerElement with a destination.",
                    nameof(reduction));
        }
    }
}
