using System;

namespace Xent;

/// <summary>
/// Softmax along one dimension, PyTorch's <c>torch.nn.Softmax(dim)</c>: yᵢ = exp(xᵢ − m) / Σ_k exp(x_k − m) over
/// that dimension, m its maximum; each slice sums to one. An immutable record (<c>with</c> makes a copy with another
/// <see cref="Normalizer.Dim"/>); computed by <see cref="Functional.Softmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>.
/// </summary>
public sealed record Softmax : Normalizer
{
    /// <summary>Creates the function for dimension <paramref name="dim"/>.</summary>
    /// <param name="dim">The normalized dimension; negative values count from the end (-1 is the last), as in PyTorch. Checked against the input's rank when applied.</param>
    public Softmax(int dim)
        : base(dim)
    {
    }

    private protected override bool Logarithm => false;

    /// <summary>The options: <c>Softmax(dim: 1)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"Softmax(dim: {Dim})";
}
