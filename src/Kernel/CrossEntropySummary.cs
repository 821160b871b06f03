namespace Xent;

/// <summary>
/// The reduced results of a large-vocabulary cross entropy over the n counted (not ignored) rows: the loss
/// (Σ ℓ / n for <see cref="Reduction.Mean"/>, Σ ℓ for <see cref="Reduction.Sum"/>, z-loss included), the z-loss
/// alone reduced the same way, and the token accuracy (correct / n).
/// </summary>
/// <param name="Loss">The reduced loss, z-loss included, computed in double (sums compensated).</param>
/// <param name="ZLoss">The reduced z-loss λ·lse² alone (0 when λ = 0).</param>
/// <param name="Count">n, the number of rows whose target is not the ignore index.</param>
/// <param name="Correct">How many of the counted rows were predicted right (argmax = target).</param>
/// <param name="Accuracy">Correct / n; with n = 0, NaN or 0 as <see cref="CrossEntropyOptions.EmptyMean"/> says.</param>
public readonly record struct CrossEntropySummary(double Loss, double ZLoss, long Count, long Correct, double Accuracy);
