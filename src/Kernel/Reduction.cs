namespace Xent;

/// <summary>
/// How the per-position losses ℓ₁ … ℓₙ are combined: PyTorch's <c>reduction</c> argument
/// (<c>'none'</c>, <c>'mean'</c>, <c>'sum'</c>, and <c>'batchmean'</c> for the KL divergence).
/// </summary>
/// <remarks>
/// <see cref="None"/> returns every ℓᵢ; <see cref="Sum"/> returns Σ ℓᵢ; <see cref="Mean"/> returns Σ ℓᵢ divided by
/// a normalizer that depends on the loss: for class-index targets the sum of the weights of the non-ignored targets,
/// for probability targets the number of positions. Each loss documents its normalizer. <see cref="BatchMean"/> is
/// accepted by the KL divergence alone (as in PyTorch); every other loss refuses it with an <see cref="System.ArgumentException"/>.
/// </remarks>
public enum Reduction
{
    /// <summary>No reduction: one loss per position (PyTorch <c>reduction='none'</c>).</summary>
    None = 0,

    /// <summary>The weighted mean of the losses (PyTorch <c>reduction='mean'</c>, the default).</summary>
    Mean = 1,

    /// <summary>The sum of the losses (PyTorch <c>reduction='sum'</c>).</summary>
    Sum = 2,

    /// <summary>
    /// Σ ℓᵢ divided by the batch size, the size of dimension 0: the true KL divergence per sample (PyTorch
    /// <c>reduction='batchmean'</c>). KL divergence only.
    /// </summary>
    BatchMean = 3,
}
