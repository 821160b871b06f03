using System;

namespace Xent;

/// <summary>
/// Log-softmax along one dimension, PyTorch's <c>torch.nn.LogSoftmax(dim)</c>: yᵢ = (xᵢ − m) − log Σ_k exp(x_k − m) over
/// that dimension, m its maximum. An immutable record (<c>with</c> makes a copy with another
/// <see cref="Normalizer.Dim"/>); computed by <see cref="Functional.LogSoftmax{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>.
/// </summary>
public sealed record LogSoftmax : Normalizer
{
    /// <summary>Creates the function for dimension <paramref name="dim"/>.</summary>
    /// <param name="dim">The normalized dimension; negative values count from the end (-1 is the last), as in PyTorch. Checked against the input's rank when applied.</param>
    public LogSoftmax(int dim)
        : base(dim)
    {
    }

    private protected override bool Logarithm => true;

    /// <summary>The options: <c>LogSoftmax(dim: 1)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"LogSoftmax(dim: {Dim})";
}
