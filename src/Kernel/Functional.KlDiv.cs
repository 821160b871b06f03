using System;
using System.Numerics;
using Xent.Internal;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// The KL-divergence loss of log-probabilities and target probabilities (PyTorch <c>F.kl_div(input, target,
    /// reduction, log_target)</c>): ℓᵢ = tᵢ·(log tᵢ − xᵢ), or with <paramref name="logTarget"/> (targets given as
    /// log-probabilities) ℓᵢ = exp(tᵢ)·(tᵢ − xᵢ); with the gradient ∂L/∂xᵢ = −s·tᵢ (−s·exp(tᵢ)) and the per-element
    /// losses from the same pass.
    /// </summary>
    /// <typeparam name="T">float, double or Half; computed in double.</typeparam>
    /// <param name="input">Log-probabilities x (the model's, for example from log-softmax), any shape; n elements.</param>
    /// <param name="target">Targets of the input's shape: probabilities, or log-probabilities with <paramref name="logTarget"/>.</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (default, as PyTorch: Σ ℓᵢ / n, which is not the KL divergence per sample), <see cref="Reduction.BatchMean"/> (Σ ℓᵢ / <paramref name="batchSize"/>: the KL divergence per sample for rows that are distributions), <see cref="Reduction.Sum"/> or <see cref="Reduction.None"/> (the return value is then Σ ℓᵢ).</param>
    /// <param name="logTarget">Whether <paramref name="target"/> holds log-probabilities (PyTorch <c>log_target</c>).</param>
    /// <param name="batchSize">For <see cref="Reduction.BatchMean"/>: the size of dimension 0, at least 1 and dividing n. Ignored otherwise.</param>
    /// <param name="gradient">Empty, or at least n values: receives ∂L/∂x, s being 1 / n (Mean), 1 / batch size (BatchMean), 1 (Sum) or the element's upstream gradient (None); it may be the input itself.</param>
    /// <param name="losses">Empty, or at least n values: receives each ℓᵢ.</param>
    /// <param name="gradOutput">The upstream gradient, only with a gradient: empty (1) or one value when reduced; empty (all ones) or n values for None.</param>
    /// <returns>The loss as the reduction says, computed in double and rounded once.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is undefined; <paramref name="batchSize"/> is not positive or does not divide n with BatchMean.</exception>
    /// <exception cref="ArgumentException"><paramref name="target"/> is not the input's length; an output is too short or overlaps an input or the other output; <paramref name="gradOutput"/> is given without a gradient or has the wrong length. Nothing is written when an exception is thrown.</exception>
    /// <remarks>
    /// A zero target contributes 0 at any input but NaN (PyTorch gives NaN where the input is ±∞); with
    /// <paramref name="logTarget"/>, a target of −∞ contributes 0 likewise. Targets are not checked to be probabilities,
    /// as in PyTorch. Runs on up to <see cref="MaxDegreeOfParallelism"/> threads, the same bits at any count; allocates nothing.
    /// </remarks>
    public static T KlDiv<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        Reduction reduction = Reduction.Mean,
        bool logTarget = false,
        int batchSize = 0,
        Span<T> gradient = default,
        Span<T> losses = default,
        ReadOnlySpan<T> gradOutput = default)
        where T : IFloatingPointIeee754<T>
    {
        double divisor = ValidateKlDiv(input, target, reduction, batchSize);
        var outputs = new ElementwiseOutputs<T>(input, target, default, default, reduction, gradient, losses, gradOutput);
        return T.CreateTruncating(logTarget
            ? outputs.Run<KlDivLogTargetLoss>(input, target, default, default, divisor)
            : outputs.Run<KlDivLoss>(input, target, default, default, divisor));
    }

    /// <summary>Validates a KL call's sizes and reduction and returns the reduction's divisor.</summary>
    private static double ValidateKlDiv<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, Reduction reduction, int batchSize)
    {
        ValidateBinary(input, target, default, default);
        switch (reduction)
        {
            case Reduction.Mean:
                return input.Length;
            case Reduction.Sum:
            case Reduction.None:
                return 1.0;
            case Reduction.BatchMean:
                if (batchSize <= 0 || input.Length % batchSize != 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                        $"BatchMean divides by the batch size, the size of dimension 0: it must be at least 1 and divide the {input.Length} elements.");
                }

                return batchSize;
            default:
                throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Reduction must be None, Mean, Sum or BatchMean.");
        }
    }
}
