using System;
using System.Linq;

namespace Xent.Properties;

/// <summary>
/// The documented accuracy of the fused float path of index-target cross entropy (float rows with inner = 1, no
/// weighted label smoothing): each exponential is computed in float (within 2u of exp of the float-rounded shifted
/// logit, whose own rounding adds u·|x − m| relatively), sums are kept in float within blocks of at most 16 terms per
/// lane, then in double. So log S is within u·(18 + Σ_c p[c]·|x[c] − m|) of the double value, and the loss of a row
/// within that times its total coefficient A = (1 − ε)·w[y] + (ε/C)·Σ w, plus, with smoothing, (ε/C)·u·Σ_c |x[c] − m|
/// for the float shifted logits; the result is then rounded once more (2u relative is allowed).
/// </summary>
public static class FastPathBounds
{
    public static bool Applies(Problem pr) => pr.Inner == 1 && !(pr.LabelSmoothing > 0 && pr.Weights is not null);

    /// <summary>Σ_c p[c]·|x[c] − m| of a row (0 for a row with a non-finite maximum).</summary>
    public static double Spread(Problem pr, int position)
    {
        double[] row = pr.Row(pr.Logits, position);
        double max = row.Max();
        if (!double.IsFinite(max))
        {
            return 0;
        }

        double sum = row.Sum(x => Math.Exp(x - max));
        return row.Sum(x => Math.Exp(x - max) / sum * Math.Abs(x - max));
    }

    /// <summary>Per-output absolute floors for the float index CE of <paramref name="pr"/> with <paramref name="reduction"/>.</summary>
    public static double[] Floors(Problem pr, Reduction reduction)
    {
        double u = Tolerance.UnitRoundoff<float>();
        double eps = pr.LabelSmoothing;
        double weightTotal = Enumerable.Range(0, pr.Classes).Sum(c => Math.Abs(pr.Weight(c)));
        var perPosition = new double[pr.Positions];
        for (int p = 0; p < pr.Positions; p++)
        {
            if (pr.IsIgnored(p))
            {
                continue;
            }

            double[] row = pr.Row(pr.Logits, p);
            double max = row.Max();
            if (!double.IsFinite(max))
            {
                continue; // NaN or infinite rows: the exact special value is compared as is.
            }

            double[] shifted = row.Select(x => x - max).ToArray();
            double spread = Spread(pr, p);
            double a = (1 - eps) * Math.Abs(pr.Weight(pr.Targets[p])) + eps / pr.Classes * weightTotal;
            double floor = a * u * (18 + spread);
            if (eps > 0)
            {
                floor += eps / pr.Classes * u * shifted.Sum(Math.Abs);
            }

            perPosition[p] = floor;
        }

        return reduction switch
        {
            Reduction.None => perPosition,
            Reduction.Sum => [perPosition.Sum()],
            _ => [perPosition.Sum() / Math.Abs(pr.TargetWeightSum())],
        };
    }
}
