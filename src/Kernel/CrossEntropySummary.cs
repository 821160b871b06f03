namespace Xent;

/// <summary>
/// The reduced results of a cross entropy over its n counted (not ignored) positions: the loss as the reduction says
/// (Σ ℓ / Σ w[y] for <see cref="Reduction.Mean"/>, the count n without class weights; Σ ℓ for <see cref="Reduction.Sum"/>
/// and for <see cref="Reduction.None"/>, whose per-position losses go to the caller's buffer; z-loss included), the
/// z-loss alone reduced the same way, the counted positions, the correct predictions and the accuracy (correct / n).
/// </summary>
/// <param name="Loss">The reduced loss, z-loss included, computed in double with compensated sums; cast it to the element type for PyTorch's value rounded once.</param>
/// <param name="ZLoss">The reduced z-loss λ·lse² alone (0 when λ = 0).</param>
/// <param name="Count">n, the number of positions whose target is not the ignore index (every position for probability targets).</param>
/// <param name="Correct">How many counted positions were predicted right (argmax = target); 0 for probability targets, which name no one class.</param>
/// <param name="Accuracy">Correct / n; with n = 0, NaN or 0 as <see cref="CrossEntropyOptions{T}.EmptyMean"/> says; NaN for probability targets.</param>
public readonly record struct CrossEntropySummary(double Loss, double ZLoss, long Count, long Correct, double Accuracy);
