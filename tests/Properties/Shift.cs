using System;
using System.Numerics;

namespace Xent.Properties;

/// <summary>Adds a constant to every logit in type T and measures how far the stored result is from the exact sum.</summary>
public static class Shift
{
    /// <summary>
    /// Returns fl_T(x + c) for each x (x must already be a T value) and sets <paramref name="delta"/> to
    /// max |fl_T(x + c) − (x + c)|: the perturbation the rounding of the shifted input adds on top of the pure shift.
    /// It is 0 when the shift is exact (a multiple of the grid step for grid logits). The exact error of the double
    /// addition comes from TwoSum; the float rounding on top is measured against that double sum.
    /// </summary>
    public static double[] Apply<T>(double[] x, double c, out double delta)
        where T : IFloatingPointIeee754<T>
    {
        var result = new double[x.Length];
        delta = 0.0;
        for (int i = 0; i < x.Length; i++)
        {
            double s = x[i] + c;
            double bb = s - x[i];
            double err = (x[i] - (s - bb)) + (c - bb); // x + c = s + err exactly (Knuth's TwoSum).
            double stored = double.CreateTruncating(T.CreateTruncating(s));
            result[i] = stored;

            // stored − (x + c) = (stored − s) − err; stored and s are within a factor 2, so stored − s is exact.
            double e = Math.Abs((stored - s) - err);
            delta = Math.Max(delta, e + (Tolerance.UnitRoundoffDouble * Math.Abs(e)));
        }

        return result;
    }
}
