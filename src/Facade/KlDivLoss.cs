using System;
using System.Numerics;

namespace Xent;

/// <summary>
/// The KL-divergence loss, PyTorch's <c>torch.nn.KLDivLoss</c>: with input xᵢ = log qᵢ and target tᵢ,
/// ℓᵢ = tᵢ·(log tᵢ − xᵢ) (0 where tᵢ = 0), or exp(tᵢ)·(tᵢ − xᵢ) with <see cref="LogTarget"/>; reduced as
/// <see cref="Reduction"/> says (<see cref="Reduction.BatchMean"/>, the true KL divergence per sample, divides by
/// the size of dimension 0). An immutable record; values are computed by <see cref="Functional.KlDiv{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Reduction, bool, int, Span{T}, Span{T}, ReadOnlySpan{T})"/>.
/// </summary>
/// <typeparam name="T">The element type: float, double or Half.</typeparam>
/// <remarks>As in PyTorch the default reduction is <see cref="Reduction.Mean"/>, which divides by the number of elements, not of samples.</remarks>
public sealed record KlDivLoss<T> : ElementwiseLoss<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly Reduction _reduction;

    /// <summary>Creates the loss with PyTorch's options and defaults.</summary>
    /// <param name="reduction">PyTorch <c>reduction</c>: <see cref="Reduction.Mean"/> (default), <see cref="Reduction.Sum"/>, <see cref="Reduction.BatchMean"/> or <see cref="Reduction.None"/>.</param>
    /// <param name="logTarget">PyTorch <c>log_target</c>: whether targets are log-probabilities (default false).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reduction"/> is not a defined value.</exception>
    public KlDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false)
    {
        Reduction = reduction;
        LogTarget = logTarget;
    }

    /// <summary>How the element losses are combined (PyTorch <c>reduction</c>), BatchMean included.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to an undefined value.</exception>
    public override Reduction Reduction
    {
        get => _reduction;
        init => _reduction = Enum.IsDefined(value)
            ? value
            : throw new ArgumentOutOfRangeException("reduction", value, "Reduction must be None, Mean, Sum or BatchMean.");
    }

    /// <summary>Whether targets are log-probabilities (PyTorch <c>log_target</c>).</summary>
    public bool LogTarget { get; init; }

    private protected override T Run(ReadOnlySpan<T> input, ReadOnlySpan<T> target, ReadOnlySpan<nint> shape, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> gradOutput)
    {
        // PyTorch's batchmean divides by input.size(0); the facade's inputs have at least one dimension.
        int batchSize = shape.Length == 0 ? 1 : (int)shape[0];
        if (Reduction == Reduction.BatchMean && batchSize == 0)
        {
            // An empty batch: Σ over nothing divided by 0, as PyTorch (NaN); the kernel refuses a zero batch size.
            return T.NaN;
        }

        return Functional.KlDiv(input, target, Reduction, LogTarget, batchSize, gradient, losses, gradOutput);
    }

    /// <summary>The options: <c>KlDivLoss(reduction: BatchMean, logTarget: false)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"KlDivLoss(reduction: {Reduction}, logTarget: {(LogTarget ? "true" : "false")})";
}
