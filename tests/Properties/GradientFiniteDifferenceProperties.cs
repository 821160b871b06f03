using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>
/// Every gradient the kernel computes against central finite differences, in double, at moderate logits
/// (<see cref="Gradients.Moderate"/>: |x| ≤ 16), with weights, ignored rows, label smoothing and inner &gt; 1 as the
/// generator draws them. Mean and Sum check ∂L/∂x; None checks the vector-Jacobian product with a random upstream
/// gradient g, i.e. ∂(Σₙ gₙ·ℓₙ)/∂x.
/// </summary>
/// <remarks>
/// <para>
/// The reduced loss is L = Σₙ sₙ·ℓₙ with sₙ = 1 (Sum), 1 / normalizer (Mean, the normalizer does not depend on x)
/// or gₙ (None), and ℓₙ depends on row n only; so ∂L/∂xₙ[j] = sₙ·∂ℓₙ/∂xₙ[j], and the difference is taken of the
/// one-row loss. That keeps the cancellation to the size of one row's loss rather than the whole batch's.
/// </para>
/// <para>
/// The differenced function is the float64 <see cref="Reference"/> formula with compensated sums, not the kernel's
/// loss: the kernel's vectorized row sums are off by up to ~C·u (Floors.LogSum, 9e-13 at C = 2048), which divided by
/// the step 2h ~ 2e-5 would swamp the comparison; that the kernel's loss equals the formula is checked elsewhere
/// (CrossEntropy_MatchesDefiningFormula). For NLL the kernel's own per-element loss is differenced: it is one
/// product rounded once.
/// </para>
/// <para>
/// Tolerance, per coordinate and scaled by |sₙ|: central differences with step h have truncation error
/// h²/6·|f‴| and rounding error δ/h when each evaluation of f is within δ; the kernel's gradient adds its own
/// (tiny) rounding. Each property derives the three terms for its function in the comment next to its bound.
/// </para>
/// </remarks>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class GradientFiniteDifferenceProperties
{
    private const double U = Tolerance.UnitRoundoffDouble;

    [Property]
    public void Gradient_MatchesFiniteDifferences_IndexCrossEntropy(Case c) => CrossEntropyMatchesFiniteDifferences(c, TargetForm.Index);

    [Property]
    public void Gradient_MatchesFiniteDifferences_ProbabilityCrossEntropy(Case c) => CrossEntropyMatchesFiniteDifferences(c, TargetForm.Probability);

    [Property]
    public void Gradient_MatchesFiniteDifferences_NllLoss(Case c)
    {
        // NLL does not check that its input holds log-probabilities: any moderate values do.
        Problem pr = Gradients.Moderate(c.Problem);
        double[] gradOutput = Gradients.Upstream(c, 1, pr.Positions);
        var runs = Run<double>.AllReductions
            .Select(r => (Reduction: r, Gradient: Grad<double>.NllLoss(pr, pr.Logits, r, gradOutput).Gradient, Scales: Gradients.Scales(pr, TargetForm.Index, r, gradOutput)))
            .ToArray();
        var rows = new Dictionary<int, Problem>();
        foreach ((int p, int j) in Gradients.Coordinates(pr, c.Special))
        {
            Problem row = RowOf(pr, p, rows);
            double fd = Gradients.CentralDifference(x => Run<double>.NllLoss(row, x, Reduction.None)[0], row.Logits, j, out double h);

            // ℓ = −w[y]·x[y] is linear: no truncation error. Each evaluation is one product rounded once, within
            // u·w[y]·(|x_j| + h); the quotient divides the two errors by 2h. Twice that is allowed.
            double k = row.IsIgnored(0) ? 0.0 : Math.Abs(row.Weight(row.Targets[0]));
            double bound = 2.0 * U * k * (Math.Abs(row.Logits[j]) + h) / h;
            foreach (var run in runs)
            {
                Compare(run.Reduction, run.Scales[p], fd, run.Gradient[pr.At(p, j)], bound, $"NLL gradient at position {p}, class {j}", h);
            }
        }
    }

    [Property]
    public void Gradient_MatchesFiniteDifferences_SoftmaxBackward(Case c)
    {
        Problem pr = Gradients.Moderate(c.Problem);
        double[] g = Gradients.Upstream(c, 2, pr.Logits.Length);
        double[] gradInput = Grad<double>.SoftmaxBackward(Run<double>.Softmax(pr), g, pr.Classes, pr.Inner);
        foreach ((int p, int j) in Gradients.Coordinates(pr, c.Special))
        {
            double[] gRow = pr.Row(g, p);
            double[] x = pr.Row(pr.Logits, p);
            double fd = Gradients.CentralDifference(
                v => Reference.Sum(Reference.LogSoftmaxRow(v).Select((l, k) => gRow[k] * Math.Exp(l))), x, j, out double h);

            // φ(x) = Σ_k g[k]·softmax(x)[k]. Third derivative in x_j: for k ≠ j it is −s_k·s_j·(1 − 6s_j + 6s_j²),
            // at most s_k; for k = j it is s_j(1 − s_j)(1 − 6s_j + 6s_j²), at most 1/4: |φ‴| ≤ 2·max|g|, truncation
            // ≤ h²·max|g| / 3. Each s_k = exp(log-softmax) is within 2u·(R + ln C + 2) relative (R = max |x − m|), so
            // φ is within δ = 4u·max|g|·(R + ln C + 3). The kernel's y·(g − Σ g·y) uses the kernel softmax, off by
            // ≤ Floors.LogSum relative: ≤ 3·max|g|·(Floors.LogSum + 4u).
            double gMax = gRow.Select(Math.Abs).DefaultIfEmpty(0.0).Max();
            double delta = 4.0 * U * gMax * (Spread(x, h) + Math.Log(pr.Classes) + 3.0);
            double bound = (delta / h) + (h * h * gMax / 3.0) + (3.0 * gMax * (Floors.LogSum(pr.Classes) + (4.0 * U)));
            Tolerance.AssertClose(fd, gradInput[pr.At(p, j)], Tol.Double.WithFloor(bound), $"softmax backward at position {p}, class {j} vs central difference of Σ g·softmax with h = {Tolerance.R(h)}");
        }
    }

    [Property]
    public void Gradient_MatchesFiniteDifferences_LogSoftmaxBackward(Case c)
    {
        Problem pr = Gradients.Moderate(c.Problem);
        double[] g = Gradients.Upstream(c, 2, pr.Logits.Length);
        double[] gradInput = Grad<double>.LogSoftmaxBackward(Run<double>.LogSoftmax(pr), g, pr.Classes, pr.Inner);
        foreach ((int p, int j) in Gradients.Coordinates(pr, c.Special))
        {
            double[] gRow = pr.Row(g, p);
            double[] x = pr.Row(pr.Logits, p);
            double fd = Gradients.CentralDifference(
                v => Reference.Sum(Reference.LogSoftmaxRow(v).Select((l, k) => gRow[k] * l)), x, j, out double h);

            // φ(x) = Σ_k g[k]·log_softmax(x)[k] = Σ_k g[k]·x[k] − (Σ_k g[k])·lse(x): φ‴ = −(Σg)·s_j(1 − s_j)(1 − 2s_j),
            // at most |Σg| / 10, truncation ≤ h²·|Σg| / 60. Each log-softmax entry is within 2u·(R + ln C + 1), so
            // δ = 4u·Σ|g|·(R + ln C + 2). The kernel's g − exp(o)·Σg reads the kernel log-softmax o, off by
            // ≤ Floors.LogSum absolutely, which exp turns into a relative error of the (≤ 1) probability:
            // ≤ Σ|g|·(Floors.LogSum + 8u).
            double gAbs = gRow.Sum(Math.Abs);
            double delta = 4.0 * U * gAbs * (Spread(x, h) + Math.Log(pr.Classes) + 2.0);
            double bound = (delta / h) + (h * h * gAbs / 60.0) + (gAbs * (Floors.LogSum(pr.Classes) + (8.0 * U)));
            Tolerance.AssertClose(fd, gradInput[pr.At(p, j)], Tol.Double.WithFloor(bound), $"log-softmax backward at position {p}, class {j} vs central difference of Σ g·log_softmax with h = {Tolerance.R(h)}");
        }
    }

    [Property]
    public void Gradient_MatchesFiniteDifferences_LogSumExpBackward(Case c)
    {
        Problem pr = Gradients.Moderate(c.Problem);
        double[] g = Gradients.Upstream(c, 2, pr.Positions);
        double[] gradInput = Grad<double>.LogSumExpBackward(pr.Logits, Run<double>.LogSumExp(pr), g, pr.Classes, pr.Inner);
        foreach ((int p, int j) in Gradients.Coordinates(pr, c.Special))
        {
            double[] x = pr.Row(pr.Logits, p);
            double fd = Gradients.CentralDifference(v => g[p] * Reference.LogSumExpRow(v), x, j, out double h);

            // φ(x) = g·lse(x): φ‴ = g·s_j(1 − s_j)(1 − 2s_j), truncation ≤ h²·|g| / 60. lse = m + log S is within
            // 4u·(|m| + ln C + 2). The kernel's g·exp(x − r) uses the kernel's lse r, off by ≤ Floors.LogSum + u·|r|,
            // plus the rounding of x − r: a relative error of ≤ Floors.LogSum + u·(|r| + |x| + 2) on a value ≤ |g|.
            double gp = Math.Abs(g[p]);
            double m = Math.Abs(x.Max()) + h;
            double delta = 4.0 * U * gp * (m + Math.Log(pr.Classes) + 2.0);
            double kernel = gp * (Floors.LogSum(pr.Classes) + (U * ((3.0 * m) + Math.Log(pr.Classes) + 4.0)));
            double bound = (delta / h) + (h * h * gp / 60.0) + kernel;
            Tolerance.AssertClose(fd, gradInput[pr.At(p, j)], Tol.Double.WithFloor(bound), $"logsumexp backward at position {p}, class {j} vs central difference of g·lse with h = {Tolerance.R(h)}");
        }
    }

    private static void CrossEntropyMatchesFiniteDifferences(Case c, TargetForm form)
    {
        Problem pr = Gradients.Moderate(c.Problem);
        double[] gradOutput = Gradients.Upstream(c, 1, pr.Positions);
        var runs = Run<double>.AllReductions
            .Select(r => (Reduction: r, Gradient: Grad<double>.CrossEntropy(pr, form, r, gradOutput).Gradient, Scales: Gradients.Scales(pr, form, r, gradOutput)))
            .ToArray();
        Func<Problem, double> rowLoss = form == TargetForm.Index
            ? row => Reference.IndexCrossEntropy(row)[0]
            : row => Reference.ProbabilityCrossEntropy(row)[0];
        var rows = new Dictionary<int, Problem>();
        foreach ((int p, int j) in Gradients.Coordinates(pr, c.Special))
        {
            Problem row = RowOf(pr, p, rows);
            double fd = Gradients.CentralDifference(x => rowLoss(row with { Logits = x }), row.Logits, j, out double h);
            double bound = CrossEntropyDifferenceError(row, form, h);
            foreach (var run in runs)
            {
                Compare(run.Reduction, run.Scales[p], fd, run.Gradient[pr.At(p, j)], bound, $"{form} CE gradient at position {p}, class {j}", h);
            }
        }
    }

    /// <summary>
    /// The error allowed between ∂ℓ/∂x_j of one cross-entropy row and its central difference, for scale 1. With
    /// coefficients a ≥ 0 summing to K, ℓ(x) = K·lse(x) − Σ_c a[c]·x[c], so ℓ‴ in x_j is K·s_j(1 − s_j)(1 − 2s_j),
    /// at most K/(6√3) &lt; K/10: truncation ≤ K·h²/60. The reference evaluates each −log softmax within
    /// 3u·(R + ln C + 1) (R = max |x − m| including the step) and sums Σ a[c]·(−log s[c]) compensated: δ ≤
    /// 8u·K·(R + ln C + 2), which the quotient turns into δ/h. The kernel's own gradient s_j·K − a_j is within
    /// 2K·(Floors.LogSum + 8u).
    /// </summary>
    private static double CrossEntropyDifferenceError(Problem row, TargetForm form, double h)
    {
        double k = Gradients.CoefficientSums(row, form)[0];
        double delta = 8.0 * U * k * (Spread(row.Logits, h) + Math.Log(row.Classes) + 2.0);
        return (delta / h) + (k * h * h / 60.0) + (2.0 * k * (Floors.LogSum(row.Classes) + (8.0 * U)));
    }

    /// <summary>R = max |x − max x| of a row, widened by the step h.</summary>
    private static double Spread(double[] row, double h) => row.Length == 0 ? h : row.Max() - row.Min() + h;

    private static Problem RowOf(Problem pr, int p, Dictionary<int, Problem> cache)
    {
        if (!cache.TryGetValue(p, out Problem? row))
        {
            row = pr.KeepPositions(q => q == p);
            cache[p] = row;
        }

        return row;
    }

    private static void Compare(Reduction reduction, double scale, double fd, double actual, double bound, string what, double h)
    {
        if (!double.IsFinite(scale))
        {
            return; // Mean over a zero normalizer: documented NaN, nothing to differentiate.
        }

        Tolerance.AssertClose(
            scale * fd,
            actual,
            Tol.Double.WithFloor(Math.Abs(scale) * bound),
            $"{what}, {reduction} (scale {Tolerance.R(scale)}) vs central difference with h = {Tolerance.R(h)}");
    }
}
