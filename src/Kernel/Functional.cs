using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xent.Internal;

namespace Xent;

/// <summary>
/// The kernel: pure, allocation-free functions over spans that compute log-sum-exp, softmax, log-softmax, negative
/// log-likelihood, cross entropy (class indices, probabilities, and over shards of a vocabulary), binary cross entropy
/// (of logits and of probabilities) and the KL divergence, with their gradients and PyTorch's semantics (the counterpart
/// of <c>torch.nn.functional</c>).
/// </summary>
/// <remarks>
/// <para>
/// <b>Layout.</b> Inputs are row-major and viewed as (outer, classes, inner): <c>classes</c> is the size of the class
/// dimension and <c>inner</c> the product of the dimensions after it. PyTorch's (N, C) input is
/// <c>classes: C</c> with the default <c>inner: 1</c>; (N, C, d1, ..., dk) is <c>classes: C, inner: d1·…·dk</c>; an
/// unbatched (C) input is one row. The loss functions take one target per position, in the order of
/// (outer, inner), i.e. PyTorch's target of shape (N) or (N, d1, ..., dk) flattened.
/// </para>
/// <para>
/// <b>Precision.</b> Rows are computed in double (float32 elements widened exactly, shifted exponentials and their sums in
/// double, log S taken as log1p of the sum of the terms below the maximum, so a confident row keeps its full relative
/// precision) and reductions over rows use compensated summation, so a float32 result is the float64 result rounded
/// once, with two documented exceptions. (1) Float32 cross entropy with index targets on contiguous rows (inner = 1, no
/// weighted label smoothing, no soft cap) takes the fast path on every machine: each exponential is computed once in
/// float (within 2 ulp) and summed in double, and the smoothing sum Σ (x − m) is taken in double from the widened logits,
/// so a row's log-sum-exp is within u·(18 + Σ_c p[c]·|x[c] − m|) of the float64 value (u = 2⁻²⁴, p the softmax, m the row
/// maximum), and the loss within that times the row's total coefficient. (2) On that path the gradient is computed from
/// the float exponentials stored in the gradient buffer: g = s·(e·A/S − a) − s·b at the target, in double from the
/// widened exponential and rounded once, so it is within 2u·|g| + 26u·|s|·Σ_c|a[c]| of the float64 gradient and finite
/// wherever its true value fits in float. Every other gradient of contiguous rows (double, Half, float off that path) is
/// computed in double from the logits and rounded once to the element type; on (N, C, d1, ..., dk) layouts (inner &gt; 1)
/// the exponentials are stored in the gradient buffer first, so a float gradient there is within
/// 2u·|g| + 3u·|s|·Σ_c|a[c]| of the float64 gradient (u = 2⁻¹¹ for Half). Results are the same, bit for bit, at every vector width
/// (AVX-512, AVX2, SSE, Arm64 AdvSimd) and thread count; the one exception is x64 processors without FMA3 (before 2013),
/// where the polynomial steps of the exponentials and logarithms round twice and may differ from other machines' by an
/// ulp. The element-wise losses (BCE with logits, BCE, KL divergence) are computed the same way, eight elements at a time
/// in double with the library's vector exponential and logarithms, their sums compensated per lane and per chunk.
/// </para>
/// <para>
/// <b>Validation.</b> Options are checked when they are set (<see cref="CrossEntropyOptions{T}"/>); a call checks its
/// arguments in a fixed order (sizes, lengths, the options against the sizes, the outputs and their overlaps, then every
/// target) and throws an <see cref="ArgumentException"/> naming the parameter, the rule and the value received before
/// any output is written. No function modifies its inputs unless asked: a gradient (or a normalizer's destination) may be
/// exactly its input, for in-place work, but never overlap it partially.
/// </para>
/// <para>
/// <b>Arrays.</b> Every span function has an overload that takes the same parameters in the same order with arrays
/// for spans (for F#, which cannot pass an array where a generic method expects a span nor capture a span in a
/// closure). Inputs must not be null (<see cref="ArgumentNullException"/>); an optional output may be null (not asked
/// for). These overloads allocate nothing and call the span overload, so their values are the span overloads' bit for
/// bit. In C# a call with arrays binds to the array overload (a higher
/// <see cref="System.Runtime.CompilerServices.OverloadResolutionPriorityAttribute">overload resolution priority</see>),
/// so a null array is refused rather than read as an empty span.
/// </para>
/// </remarks>
public static partial class Functional
{
    /// <summary>The default <c>ignoreIndex</c>, as in PyTorch: -100.</summary>
    public const int DefaultIgnoreIndex = -100;

    private static void ValidateInPlaceDestination<T>(ReadOnlySpan<T> input, Span<T> destination)
    {
        if (destination.Length < input.Length)
        {
            ThrowHelper.DestinationTooShort(destination.Length, input.Length);
        }

        if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(input), ref MemoryMarshal.GetReference(destination))
            && input.Overlaps(destination))
        {
            ThrowHelper.DestinationOverlapsInputPartially();
        }
    }

    private static void ValidateDestination<T>(Span<T> destination, int required, ReadOnlySpan<T> input)
    {
        if (destination.Length < required)
        {
            ThrowHelper.DestinationTooShort(destination.Length, required);
        }

        if (destination[..required].Overlaps(input))
        {
            ThrowHelper.DestinationOverlaps("input");
        }
    }
}
