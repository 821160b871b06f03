namespace Xent;

/// <summary>
/// One row's results from the single pass of <see cref="Functional.CrossEntropyDetailed{T}(System.ReadOnlySpan{T}, System.ReadOnlySpan{int}, int, CrossEntropyOptions?, System.Span{CrossEntropyRow})"/>
/// or <see cref="Functional.CrossEntropyFromPartials(System.ReadOnlySpan{CrossEntropyPartial}, System.ReadOnlySpan{int}, int, CrossEntropyOptions?, System.Span{CrossEntropyRow})"/>: lse = log Σⱼ exp(zⱼ), the loss ℓ (z-loss included), the
/// z-loss λ·lse² alone, the predicted class argmaxⱼ zⱼ and whether it is the target.
/// </summary>
/// <param name="LogSumExp">lse over the row's (soft-capped) logits; NaN for an ignored row (not computed).</param>
/// <param name="Loss">ℓ = (1 − ε)·(lse − z_y) + (ε / C)·Σⱼ (lse − zⱼ) + λ·lse²; 0 for an ignored row.</param>
/// <param name="ZLoss">λ·lse², the part of <paramref name="Loss"/> due to the z-loss; 0 for an ignored row or λ = 0.</param>
/// <param name="Predicted">The predicted class (as <c>torch.argmax</c>: the first largest logit, NaN the largest); −1 for an ignored row.</param>
/// <param name="Correct">Whether <paramref name="Predicted"/> equals the target; false for an ignored row.</param>
public readonly record struct CrossEntropyRow(double LogSumExp, double Loss, double ZLoss, int Predicted, bool Correct)
{
    /// <summary>Whether the row was ignored (its target is the ignore index): nothing was computed for it.</summary>
    public bool Ignored => Predicted < 0;

    /// <summary>The result of an ignored row.</summary>
    internal static CrossEntropyRow OfIgnored => new(double.NaN, 0.0, 0.0, -1, false);
}
