using System;
using System.Numerics;

namespace Xent.Internal;

/// <summary>An element-wise loss: ℓ(x, t) with weights, and ∂ℓ/∂x, both in double.</summary>
internal interface IPointwiseLoss
{
    /// <summary>The weighted loss of one element and its derivative with respect to x.</summary>
    static abstract (double Loss, double Derivative) Evaluate(double x, double t, double weight, double posWeight);
}

/// <summary>
/// BCE with logits as PyTorch's <c>binary_cross_entropy_with_logits</c>, in the form
/// ℓ = w·(pw·t·softplus(−x) + (1 − t)·softplus(x)), softplus(z) = max(z, 0) + log1p(exp(−|z|)): algebraically
/// PyTorch's (1 − t)·x + (1 + (pw − 1)·t)·softplus(−x), stable for every finite x, and with a zero coefficient
/// contributing 0 at an infinite logit. ∂ℓ/∂x = w·((1 − t)·σ(x) − pw·t·σ(−x)).
/// </summary>
internal readonly struct BceWithLogitsLoss : IPointwiseLoss
{
    public static (double Loss, double Derivative) Evaluate(double x, double t, double weight, double posWeight)
    {
        double tail = Zero.Log1P(double.Exp(-double.Abs(x))); // log1p(exp(−|x|)); exp(−|x|) ≤ 1
        double softplusPositive = double.Max(x, 0.0) + tail;
        double softplusNegative = double.Max(-x, 0.0) + tail;
        double positive = posWeight * t;
        double negative = 1.0 - t;
        double loss = weight * (Zero.Term(positive, softplusNegative) + Zero.Term(negative, softplusPositive));

        // σ(x) and σ(−x) without overflow: both from exp(−|x|).
        double e = double.Exp(-double.Abs(x));
        double sigmoid = x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        double sigmoidNegative = x >= 0 ? e / (1.0 + e) : 1.0 / (1.0 + e);
        return (loss, weight * (negative * sigmoid - positive * sigmoidNegative));
    }
}

/// <summary>
/// BCE on probabilities as PyTorch's <c>binary_cross_entropy</c>: ℓ = −w·(t·max(log x, −100) + (1 − t)·max(log(1 − x), −100)),
/// ∂ℓ/∂x = w·(x − t) / max(x·(1 − x), ε) with PyTorch's ε = 1e-12f.
/// </summary>
internal readonly struct BceLoss : IPointwiseLoss
{
    /// <summary>PyTorch's EPSILON of the backward pass: the float 1e-12, widened.</summary>
    private const double Epsilon = (double)1e-12f;

    public static (double Loss, double Derivative) Evaluate(double x, double t, double weight, double posWeight)
    {
        double logX = double.Max(double.Log(x), -100.0);
        double logOneMinusX = double.Max(Zero.Log1P(-x), -100.0);
        double loss = -weight * (t * logX + (1.0 - t) * logOneMinusX);
        return (loss, weight * (x - t) / double.Max(x * (1.0 - x), Epsilon));
    }
}

/// <summary>
/// KL divergence as PyTorch's <c>kl_div</c> with probability targets: ℓ = t·(log t − x) with ℓ = 0 where t = 0
/// (0·log 0 = 0, even at x = −∞); ∂ℓ/∂x = −t. A negative target gives NaN (log of a negative), as PyTorch.
/// </summary>
internal readonly struct KlDivLoss : IPointwiseLoss
{
    public static (double Loss, double Derivative) Evaluate(double x, double t, double weight, double posWeight) =>
        (t == 0.0 ? ZeroTarget(x) : t * (double.Log(t) - x), -t);

    /// <summary>A zero target contributes 0 (0·log 0 = 0) whatever the input, infinite included; a NaN input stays NaN.</summary>
    public static double ZeroTarget(double x) => double.IsNaN(x) ? double.NaN : 0.0;
}

/// <summary>
/// KL divergence as PyTorch's <c>kl_div(log_target=True)</c>: ℓ = exp(t)·(t − x), 0 where exp(t) = 0; ∂ℓ/∂x = −exp(t).
/// </summary>
internal readonly struct KlDivLogTargetLoss : IPointwiseLoss
{
    public static (double Loss, double Derivative) Evaluate(double x, double t, double weight, double posWeight)
    {
        double p = double.Exp(t);
        return (p == 0.0 ? KlDivLoss.ZeroTarget(x) : p * (t - x), -p);
    }
}

/// <summary>The zero-coefficient rule shared by the losses, and an accurate log(1 + x).</summary>
internal static class Zero
{
    /// <summary>
    /// log(1 + x) with full relative accuracy for small |x| (.NET's <c>double.LogP1</c> is log(x + 1), which loses it):
    /// with u = 1 + x rounded, log(u)·x/(u − 1) corrects the rounding of u (Goldberg, 1991).
    /// </summary>
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0)
        {
            return x;
        }

        return double.IsInfinity(u) ? u : double.Log(u) * x / (u - 1.0);
    }

    /// <summary>
    /// coefficient · value, except that a zero coefficient times an infinity is 0 (the limit, as 0·log 0 = 0: a term
    /// that does not take part contributes nothing, whichever sign its infinite log-probability carries after a
    /// negative weight); NaN still propagates.
    /// </summary>
    public static double Term(double coefficient, double value) =>
        coefficient == 0.0 && double.IsInfinity(value) ? 0.0 : coefficient * value;
}

/// <summary>Runs an element-wise loss over spans: per-element values, a reduced value, and optionally the gradient.</summary>
internal static class Pointwise<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>
    /// With <paramref name="divisor"/> = NaN, writes one loss per element into <paramref name="destination"/> and scales
    /// each derivative by <paramref name="gradOutput"/>; otherwise returns Σ ℓᵢ / divisor and scales derivatives by
    /// 1 / divisor. Weights apply cyclically (element i uses weight[i mod length]). Arguments are validated.
    /// </summary>
    public static double Run<TLoss>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> target,
        ReadOnlySpan<T> weight,
        ReadOnlySpan<T> posWeight,
        bool perElement,
        double divisor,
        Span<T> destination,
        ReadOnlySpan<T> gradOutput,
        Span<T> gradient)
        where TLoss : IPointwiseLoss
    {
        bool withGradient = !gradient.IsEmpty;
        double scale = 1.0 / divisor;
        CompensatedSum total = default;
        for (int i = 0; i < input.Length; i++)
        {
            double w = weight.IsEmpty ? 1.0 : double.CreateTruncating(weight[i % weight.Length]);
            double pw = posWeight.IsEmpty ? 1.0 : double.CreateTruncating(posWeight[i % posWeight.Length]);
            (double loss, double derivative) = TLoss.Evaluate(double.CreateTruncating(input[i]), double.CreateTruncating(target[i]), w, pw);
            if (perElement)
            {
                destination[i] = T.CreateTruncating(loss);
            }
            else
            {
                total.Add(loss);
            }

            if (withGradient)
            {
                double g = perElement ? double.CreateTruncating(gradOutput[i]) : scale;
                gradient[i] = T.CreateTruncating(g * derivative);
            }
        }

        return perElement ? 0.0 : total.Value / divisor;
    }
}
