using System;

namespace Xent.HalfCases;

/// <summary>A tensor of the golden format: its shape (empty for a scalar) and its row-major values.</summary>
/// <param name="Shape">The dimensions.</param>
/// <param name="Data">The elements in row-major order.</param>
internal sealed record Values(long[] Shape, double[] Data)
{
    /// <summary>A one-dimensional tensor.</summary>
    public static Values Vector(double[] data) => new([data.Length], data);
}

/// <summary>
/// The inputs of one case, in the fields of <c>tests/Conformance/Data/README.md</c>; libtorch's answers are added when
/// the case is written (<see cref="CaseWriter"/>). Every number here is exactly representable in float16.
/// </summary>
internal sealed record HalfCase
{
    /// <summary>Unique name: the family, then a number.</summary>
    public required string Id { get; init; }

    /// <summary>The op, named as in the golden format.</summary>
    public required string Op { get; init; }

    /// <summary>The input; class dimension 1 for the losses.</summary>
    public required Values Input { get; init; }

    /// <summary><c>index</c> or <c>probabilities</c>; null for the normalizers.</summary>
    public string? TargetKind { get; init; }

    /// <summary>Class indices (stored as numbers) or values of the input's shape.</summary>
    public Values? Target { get; init; }

    /// <summary>Per-class weights (cross entropy, NLL), or per-element weights broadcast along the last dimension (BCE).</summary>
    public double[]? Weight { get; init; }

    /// <summary>BCE with logits: the weight of positive examples, broadcast along the last dimension.</summary>
    public double[]? PosWeight { get; init; }

    /// <summary>Cross entropy and NLL (NLL always uses -100: TorchSharp's <c>nll_loss</c> has no ignore_index).</summary>
    public int? IgnoreIndex { get; init; }

    /// <summary><c>none</c>, <c>mean</c>, <c>sum</c>, or <c>batchmean</c> for <c>kl_div</c>.</summary>
    public string? Reduction { get; init; }

    /// <summary>Cross entropy only.</summary>
    public double? LabelSmoothing { get; init; }

    /// <summary><c>kl_div</c> only.</summary>
    public bool? LogTarget { get; init; }

    /// <summary>The dimension of <c>log_softmax</c>, <c>softmax</c> and <c>logsumexp</c>.</summary>
    public int? Dim { get; init; }

    /// <summary>The upstream gradient of a non-scalar result; null for a scalar (then the gradient is of the loss itself).</summary>
    public Values? GradOutput { get; init; }

    /// <summary>Whether libtorch's float32 gradient is written too (left out of the largest cases, to keep the file small).</summary>
    public bool WithFloat32Gradient { get; init; }

    /// <summary>The family: the id without its trailing number.</summary>
    public string Family => Id[..Id.LastIndexOf('_')];
}
