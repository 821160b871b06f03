using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Xent.Internal;

/// <summary>Which coefficients a loss row weighs the shifted logits with (see <see cref="RowPass{T}"/>).</summary>
internal enum CoefficientKind
{
    /// <summary>No linear term: plain cross entropy of an index target without label smoothing.</summary>
    None,

    /// <summary>Every class with coefficient 1: label smoothing without weights.</summary>
    Uniform,

    /// <summary>The class weights w[c]: label smoothing with weights.</summary>
    Weights,

    /// <summary>w[c]·((1 − ε)·p[c] + ε / C) from a probability target row (w[c] = 1 without weights).</summary>
    Probabilities,
}

/// <summary>The coefficients a[c] of a row: what <see cref="CoefficientKind"/> says, with the spans it needs.</summary>
internal readonly ref struct RowCoefficients<T>
    where T : IFloatingPointIeee754<T>
{
    public RowCoefficients(CoefficientKind kind, ReadOnlySpan<T> weight, ReadOnlySpan<T> target, double keep, double spread)
    {
        Kind = kind;
        Weight = weight;
        Target = target;
        Keep = keep;
        Spread = spread;
    }

    public CoefficientKind Kind { get; }

    public ReadOnlySpan<T> Weight { get; }

    /// <summary>The whole probability target (the input's layout), for <see cref="CoefficientKind.Probabilities"/>.</summary>
    public ReadOnlySpan<T> Target { get; }

    /// <summary>1 − ε.</summary>
    public double Keep { get; }

    /// <summary>ε / C, or 0 without label smoothing.</summary>
    public double Spread { get; }

    public bool Smoothing => Spread > 0.0;

    public double WeightOf(int cls) => Weight.IsEmpty ? 1.0 : double.CreateTruncating(Weight[cls]);

    /// <summary>a[c] for the class <paramref name="cls"/> whose element sits at <paramref name="at"/> in the input's layout.</summary>
    public double At(int cls, int at) => Kind switch
    {
        CoefficientKind.Uniform => 1.0,
        CoefficientKind.Weights => WeightOf(cls),
        CoefficientKind.Probabilities => WeightOf(cls) * (Smoothing
            ? Keep * double.CreateTruncating(Target[at]) + Spread
            : double.CreateTruncating(Target[at])),
        _ => 0.0,
    };
}

/// <summary>The sums one pass over a row of logits produces.</summary>
internal readonly struct RowSums
{
    public RowSums(double max, double sumExp, double linear, double coefficientSum)
    {
        Max = max;
        SumExp = sumExp;
        Linear = linear;
        CoefficientSum = coefficientSum;
    }

    /// <summary>m, the row maximum (NaN if the row holds NaN).</summary>
    public double Max { get; }

    /// <summary>S = Σ_c exp(x[c] − m).</summary>
    public double SumExp { get; }

    /// <summary>Σ_{a[c] ≠ 0} a[c]·(x[c] − m): a zero coefficient never meets an infinite logit, so 0·∞ never occurs.</summary>
    public double Linear { get; }

    /// <summary>K = Σ_c a[c].</summary>
    public double CoefficientSum { get; }

    /// <summary>Σ_c a[c]·(log S − (x[c] − m)) = K·log S − Linear: the linear part of the loss. Both terms are ≥ 0 for a ≥ 0, so no cancellation.</summary>
    public double LinearLoss(double logSum) => CoefficientSum * logSum - Linear;
}

/// <summary>
/// One pass over a row of logits that yields everything a loss and its gradient need: the maximum, the sum of the
/// shifted exponentials, and the coefficient-weighted sum of the shifted logits; with a destination, it also stores
/// exp(x[c] − m) there, so the gradient costs no second exponential. Every element is read before the destination
/// element at the same index is written, so the destination may be the input itself (in-place).
/// </summary>
internal static class RowPass<T>
    where T : IFloatingPointIeee754<T>
{
    private const int Chunk = Rows<T>.Chunk;

    public static RowSums Run(
        ReadOnlySpan<T> x, int offset, int stride, int count, scoped in RowCoefficients<T> coefficients, Span<T> exponentials)
    {
        double max = Rows<T>.Max(x, offset, stride, count);
        Span<double> shifted = stackalloc double[Chunk];
        Span<double> exp = stackalloc double[Chunk];
        double sum = 0.0;
        double linear = 0.0;
        double coefficientSum = 0.0;
        for (int start = 0; start < count; start += Chunk)
        {
            int n = Math.Min(Chunk, count - start);
            Span<double> d = shifted[..n];
            Span<double> e = exp[..n];
            int at = offset + start * stride;
            Rows<T>.Load(x, at, stride, d);
            TensorPrimitives.Subtract(d, max, d);
            switch (coefficients.Kind)
            {
                case CoefficientKind.Uniform:
                    linear += TensorPrimitives.Sum<double>(d);
                    coefficientSum += n;
                    break;
                case CoefficientKind.Weights:
                case CoefficientKind.Probabilities:
                    for (int k = 0; k < n; k++)
                    {
                        double a = coefficients.At(start + k, at + k * stride);
                        if (a != 0.0)
                        {
                            linear += a * d[k];
                            coefficientSum += a;
                        }
                    }

                    break;
            }

            TensorPrimitives.Exp(d, e);
            sum += TensorPrimitives.Sum<double>(e);
            if (!exponentials.IsEmpty)
            {
                Rows<T>.Store(e, exponentials, at, stride);
            }
        }

        return new RowSums(max, sum, linear, coefficientSum);
    }

    /// <summary>
    /// Turns the exponentials stored by <see cref="Run"/> into the gradient of a cross entropy row:
    /// g[c] = scale·(exp(x[c] − m) / S · A − B[c]) with B[c] = a[c]·bFactor + (c == target ? bTarget : 0).
    /// </summary>
    public static void WriteGradient(
        Span<T> gradient, int offset, int stride, int count, double sumExp, double scale, double a,
        scoped in RowCoefficients<T> coefficients, double bFactor, int target, double bTarget)
    {
        Span<double> buffer = stackalloc double[Chunk];
        double probabilityScale = scale * a / sumExp;
        for (int start = 0; start < count; start += Chunk)
        {
            int n = Math.Min(Chunk, count - start);
            Span<double> g = buffer[..n];
            int at = offset + start * stride;
            Rows<T>.Load(gradient, at, stride, g);
            TensorPrimitives.Multiply(g, probabilityScale, g);
            if (bFactor != 0.0 && coefficients.Kind != CoefficientKind.None)
            {
                for (int k = 0; k < n; k++)
                {
                    g[k] -= scale * bFactor * coefficients.At(start + k, at + k * stride);
                }
            }

            if (target >= start && target < start + n)
            {
                g[target - start] -= scale * bTarget;
            }

            Rows<T>.Store(g, gradient, at, stride);
        }
    }
}
