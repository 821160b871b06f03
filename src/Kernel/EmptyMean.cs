namespace Xent;

/// <summary>
/// What a <see cref="Reduction.Mean"/> over zero non-ignored targets returns: 0 / 0 is NaN in PyTorch
/// (<see cref="NaN"/>, the default); Keras and Liger-Kernel return 0 (<see cref="Zero"/>).
/// </summary>
/// <remarks>
/// It applies only when no position counts: every target equals the ignore index, or the batch is empty. A mean whose
/// weights sum to zero over targets that do count (signed class weights) is still a division by zero and gives what
/// that division gives, whichever value is chosen. The gradient is 0 everywhere in both cases, as in PyTorch.
/// </remarks>
public enum EmptyMean
{
    /// <summary>NaN, as PyTorch (0 / 0): an empty mean is visible in the training log.</summary>
    NaN = 0,

    /// <summary>0, as Keras and Liger-Kernel: a batch made only of padding adds nothing to a running loss.</summary>
    Zero = 1,
}
