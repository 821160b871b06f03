namespace Xent;

/// <summary>
/// How KL-divergence losses ℓᵢ are combined: PyTorch's <c>reduction</c> argument of <c>kl_div</c>, which alone accepts
/// <c>'batchmean'</c>.
/// </summary>
public enum KlDivReduction
{
    /// <summary>One loss per element (PyTorch <c>reduction='none'</c>).</summary>
    None = 0,

    /// <summary>Σ ℓᵢ divided by the number of elements (PyTorch <c>reduction='mean'</c>, the default, which is not the KL divergence per sample).</summary>
    Mean = 1,

    /// <summary>Σ ℓᵢ (PyTorch <c>reduction='sum'</c>).</summary>
    Sum = 2,

    /// <summary>Σ ℓᵢ divided by the batch size, the size of dimension 0: the true KL divergence per sample (PyTorch <c>reduction='batchmean'</c>).</summary>
    BatchMean = 3,
}
