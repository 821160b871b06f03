using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Text;

namespace Xent.Properties;

/// <summary>
/// One input to the kernel, in float64: logits of shape (outer, classes, inner) row-major, one index target per
/// position (outer, inner), a probability target of the logits' shape, optional class weights, ignore index and label
/// smoothing. Transformations return new problems and never modify arrays in place.
/// </summary>
public sealed record Problem(
    int Outer,
    int Classes,
    int Inner,
    double[] Logits,
    int[] Targets,
    int IgnoreIndex,
    double[]? Weights,
    double LabelSmoothing,
    double[] Probabilities)
{
    /// <summary>An ignore index that is never a class (class indices are non-negative).</summary>
    public const int NeverIgnored = Functional.DefaultIgnoreIndex;

    public int Positions => Outer * Inner;

    /// <summary>Index in a (outer, classes, inner) array of class <paramref name="cls"/> at <paramref name="position"/>.</summary>
    public int At(int position, int cls) => ((position / Inner * Classes) + cls) * Inner + (position % Inner);

    public double[] Row(double[] data, int position)
    {
        var row = new double[Classes];
        for (int c = 0; c < Classes; c++)
        {
            row[c] = data[At(position, c)];
        }

        return row;
    }

    public double Weight(int cls) => Weights is null ? 1.0 : Weights[cls];

    public bool IsIgnored(int position) => Targets[position] == IgnoreIndex;

    /// <summary>Σ w[yₙ] over the positions that are not ignored: the mean's normalizer for index targets.</summary>
    public double TargetWeightSum()
    {
        double sum = 0.0;
        for (int p = 0; p < Positions; p++)
        {
            if (!IsIgnored(p))
            {
                sum += Weight(Targets[p]);
            }
        }

        return sum;
    }

    public double MaxAbsLogit() => Logits.Length == 0 ? 0.0 : Logits.Max(Math.Abs);

    /// <summary>The same problem with every floating-point value rounded to <typeparamref name="T"/> (and widened back).</summary>
    public Problem RoundedTo<T>()
        where T : IFloatingPointIeee754<T> =>
        this with
        {
            Logits = Round<T>(Logits),
            Weights = Weights is null ? null : Round<T>(Weights),
            Probabilities = Round<T>(Probabilities),
        };

    public static double[] Round<T>(double[] values)
        where T : IFloatingPointIeee754<T> =>
        values.Select(v => double.CreateTruncating(T.CreateTruncating(v))).ToArray();

    /// <summary>Rearranges (outer, classes, inner) data as (positions, classes): row p holds position p's classes.</summary>
    public double[] ToRows(double[] data)
    {
        var rows = new double[data.Length];
        for (int p = 0; p < Positions; p++)
        {
            for (int c = 0; c < Classes; c++)
            {
                rows[(p * Classes) + c] = data[At(p, c)];
            }
        }

        return rows;
    }

    /// <summary>The same problem in the (positions, classes) layout with inner = 1.</summary>
    public Problem Transposed() =>
        this with { Outer = Positions, Inner = 1, Logits = ToRows(Logits), Probabilities = ToRows(Probabilities) };

    /// <summary>Keeps the positions for which <paramref name="keep"/> holds, in order; the result has inner = 1.</summary>
    public Problem KeepPositions(Func<int, bool> keep)
    {
        int[] kept = Enumerable.Range(0, Positions).Where(keep).ToArray();
        var logits = new double[kept.Length * Classes];
        var probabilities = new double[kept.Length * Classes];
        for (int k = 0; k < kept.Length; k++)
        {
            for (int c = 0; c < Classes; c++)
            {
                logits[(k * Classes) + c] = Logits[At(kept[k], c)];
                probabilities[(k * Classes) + c] = Probabilities[At(kept[k], c)];
            }
        }

        return this with
        {
            Outer = kept.Length,
            Inner = 1,
            Logits = logits,
            Probabilities = probabilities,
            Targets = kept.Select(p => Targets[p]).ToArray(),
        };
    }

    /// <summary>Keeps the given outer rows (all their inner positions), in the given order.</summary>
    public Problem KeepOuterRows(IReadOnlyList<int> rows)
    {
        int block = Classes * Inner;
        var logits = new List<double>();
        var probabilities = new List<double>();
        var targets = new List<int>();
        foreach (int o in rows)
        {
            logits.AddRange(Logits.AsSpan(o * block, block).ToArray());
            probabilities.AddRange(Probabilities.AsSpan(o * block, block).ToArray());
            targets.AddRange(Targets.AsSpan(o * Inner, Inner).ToArray());
        }

        return this with
        {
            Outer = rows.Count,
            Logits = logits.ToArray(),
            Probabilities = probabilities.ToArray(),
            Targets = targets.ToArray(),
        };
    }

    /// <summary>
    /// Permutes the classes: new class j is old class <paramref name="permutation"/>[j]. Logits, probabilities and
    /// weights move with their class; targets (and an ignore index that is a real class) are renamed.
    /// </summary>
    public Problem PermuteClasses(int[] permutation)
    {
        var inverse = new int[Classes];
        for (int j = 0; j < Classes; j++)
        {
            inverse[permutation[j]] = j;
        }

        return this with
        {
            Logits = PermuteData(Logits, permutation),
            Probabilities = PermuteData(Probabilities, permutation),
            Weights = Weights is null ? null : permutation.Select(old => Weights[old]).ToArray(),
            Targets = Targets.Select(t => t >= 0 && t < Classes ? inverse[t] : t).ToArray(),
            IgnoreIndex = IgnoreIndex >= 0 && IgnoreIndex < Classes ? inverse[IgnoreIndex] : IgnoreIndex,
        };
    }

    /// <summary>Moves class permutation[j] of every position of (outer, classes, inner) data to class j.</summary>
    public double[] PermuteData(double[] data, int[] permutation)
    {
        var result = new double[data.Length];
        for (int p = 0; p < Positions; p++)
        {
            for (int j = 0; j < Classes; j++)
            {
                result[At(p, j)] = data[At(p, permutation[j])];
            }
        }

        return result;
    }

    /// <summary>
    /// No position is ignored any more: targets equal to a negative ignore index become class (p mod C), and the
    /// ignore index becomes one that matches no class (so a real-class ignore index becomes an ordinary class).
    /// </summary>
    public Problem WithoutIgnoredTargets() =>
        this with
        {
            Targets = Targets.Select((t, p) => t >= 0 ? t : p % Classes).ToArray(),
            IgnoreIndex = NeverIgnored,
        };

    /// <summary>One-hot rows for the targets (all-zero rows at ignored positions).</summary>
    public double[] OneHotTargets()
    {
        var oneHot = new double[Logits.Length];
        for (int p = 0; p < Positions; p++)
        {
            if (!IsIgnored(p))
            {
                oneHot[At(p, Targets[p])] = 1.0;
            }
        }

        return oneHot;
    }

    /// <summary>Every logit of every ignored position replaced by <paramref name="value"/> (null: unchanged).</summary>
    public Problem PoisonIgnoredRows(double? value)
    {
        if (value is not double v)
        {
            return this;
        }

        double[] logits = (double[])Logits.Clone();
        for (int p = 0; p < Positions; p++)
        {
            if (IsIgnored(p))
            {
                for (int c = 0; c < Classes; c++)
                {
                    logits[At(p, c)] = v;
                }
            }
        }

        return this with { Logits = logits };
    }

    /// <summary>
    /// Inserts a class at index <paramref name="k"/> whose logit is <paramref name="logit"/> everywhere, whose
    /// probability is 0 everywhere and whose weight is 0 (if there are weights). Targets and a real-class ignore index
    /// at or after k are renamed.
    /// </summary>
    public Problem InsertClass(int k, double logit)
    {
        int wider = Classes + 1;
        var logits = new double[Positions * wider];
        var probabilities = new double[Positions * wider];
        Problem shape = this with { Classes = wider };
        for (int p = 0; p < Positions; p++)
        {
            for (int c = 0; c < wider; c++)
            {
                int at = shape.At(p, c);
                if (c == k)
                {
                    logits[at] = logit;
                    probabilities[at] = 0.0;
                }
                else
                {
                    int old = c < k ? c : c - 1;
                    logits[at] = Logits[At(p, old)];
                    probabilities[at] = Probabilities[At(p, old)];
                }
            }
        }

        double[]? weights = null;
        if (Weights is not null)
        {
            var list = Weights.ToList();
            list.Insert(k, 0.0);
            weights = list.ToArray();
        }

        return shape with
        {
            Logits = logits,
            Probabilities = probabilities,
            Weights = weights,
            Targets = Targets.Select(t => t >= k ? t + 1 : t).ToArray(),
            IgnoreIndex = IgnoreIndex >= k ? IgnoreIndex + 1 : IgnoreIndex,
        };
    }

    public override string ToString()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"outer={Outer} classes={Classes} inner={Inner} positions={Positions} ");
        s.Append(CultureInfo.InvariantCulture, $"ignoreIndex={IgnoreIndex} labelSmoothing={Format.Number(LabelSmoothing)}");
        s.Append("\n  targets=").Append(Format.Array(Targets));
        s.Append("\n  weights=").Append(Weights is null ? "(none)" : Format.Array(Weights));
        s.Append("\n  logits=").Append(Format.Array(Logits));
        s.Append("\n  probabilities=").Append(Format.Array(Probabilities));
        return s.ToString();
    }
}

/// <summary>Readable, round-trippable printing of generated data (long arrays are cut; the replay seed reproduces them).</summary>
public static class Format
{
    private const int MaxShown = 256;

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Array(double[] values) => Join(values.Select(Number), values.Length);

    public static string Array(int[] values) =>
        Join(values.Select(v => v.ToString(CultureInfo.InvariantCulture)), values.Length);

    private static string Join(IEnumerable<string> items, int count)
    {
        string shown = string.Join(", ", items.Take(MaxShown));
        return count > MaxShown ? $"[{shown}, … ({count - MaxShown} more, {count} in all)]" : $"[{shown}]";
    }
}
