using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;

namespace Xent.Properties;

/// <summary>
/// FsCheck arbitraries for <see cref="Case"/> and <see cref="LargeCase"/>. FsCheck's own double generator produces
/// NaN and infinities often and never large finite logits, so everything here is drawn explicitly: integers from
/// <see cref="Gen.Choose"/> scaled by powers of two, so that every logit of the grid kinds is exactly representable in
/// float32 as well (21 significant bits) and a shift by a multiple of the grid step is exact in both types.
/// </summary>
public class Generators
{
    private const int GridBits = 20;

    public static Arbitrary<Case> Cases() => Arb.From(CaseGen(large: false), c => c.Shrink());

    public static Arbitrary<LargeCase> LargeCases() =>
        Arb.From(CaseGen(large: true).Select(c => new LargeCase(c)), c => c.Value.Shrink().Select(s => new LargeCase(s)));

    /// <summary>Tiny class counts (1, 2, 3) often, up to 300 regularly, 1000–2048 occasionally.</summary>
    private static Gen<int> ClassesGen() =>
        Gen.Frequency(
            (5, Gen.Choose(1, 3)),
            (6, Gen.Choose(4, 40)),
            (3, Gen.Choose(41, 300)),
            (1, Gen.Choose(1000, 2048)));

    private static Gen<LogitKind> KindGen(bool large) =>
        large
            ? Gen.Elements(LogitKind.Huge, LogitKind.Extreme)
            : Gen.Frequency(
                (3, Gen.Constant(LogitKind.Unit)),
                (2, Gen.Constant(LogitKind.Sixteen)),
                (2, Gen.Constant(LogitKind.Large)),
                (2, Gen.Constant(LogitKind.Huge)),
                (1, Gen.Constant(LogitKind.Offset)),
                (1, Gen.Constant(LogitKind.Ties)),
                (1, Gen.Constant(LogitKind.Extreme)));

    /// <summary>log2 of the grid kinds' range: values are k·2^(E − 20) with |k| ≤ 2^20.</summary>
    public static int RangeExponent(LogitKind kind) => kind switch
    {
        LogitKind.Unit => 0,
        LogitKind.Sixteen => 4,
        LogitKind.Large => 14,
        LogitKind.Huge or LogitKind.Extreme => 100,
        _ => 0,
    };

    private static Gen<double> GridValue(int exponent) =>
        Gen.Choose(-(1 << GridBits), 1 << GridBits).Select(k => Math.ScaleB(k, exponent - GridBits));

    private static Gen<double[]> LogitsGen(LogitKind kind, int outer, int classes, int inner)
    {
        int n = outer * classes * inner;
        int positions = outer * inner;
        switch (kind)
        {
            case LogitKind.Offset:
                return from offset in Gen.Elements(1e4, -1e4, 1e6, -3e5)
                       from values in Gen.ArrayOf(Gen.Choose(-(1 << 22), 1 << 22).Select(k => offset + Math.ScaleB(k, -GridBits)), n)
                       select values;
            case LogitKind.Ties:
                return Gen.ArrayOf(Gen.Choose(-2, 2).Select(k => (double)k), n);
            case LogitKind.Extreme:
                return from values in Gen.ArrayOf(GridValue(RangeExponent(kind)), n)
                       from at in Gen.ArrayOf(Gen.Choose(0, classes - 1), positions)
                       from sign in Gen.ArrayOf(Gen.Elements(1.0, -1.0), positions)
                       select WithOneExtremePerRow(values, at, sign, classes, inner);
            default:
                return Gen.ArrayOf(GridValue(RangeExponent(kind)), n);
        }
    }

    private static double[] WithOneExtremePerRow(double[] values, int[] at, double[] sign, int classes, int inner)
    {
        double[] result = (double[])values.Clone();
        for (int p = 0; p < at.Length; p++)
        {
            result[((p / inner * classes) + at[p]) * inner + (p % inner)] = sign[p] * Case.Largest;
        }

        return result;
    }

    /// <summary>Absent (often), positive in [0.01, 10], positive with zeros, all ones, or small integers 0..3.</summary>
    private static Gen<double[]?> WeightsGen(int classes)
    {
        Gen<double> positive = Gen.Choose(1, 1000).Select(k => k / 100.0);
        return Gen.Frequency(
            (4, Gen.Constant<double[]?>(null)),
            (2, Gen.ArrayOf(positive, classes).Select(w => (double[]?)w)),
            (1, Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(0.0)), (3, positive)), classes).Select(w => (double[]?)w)),
            (1, Gen.Constant<double[]?>(Enumerable.Repeat(1.0, classes).ToArray())),
            (1, Gen.ArrayOf(Gen.Choose(0, 3).Select(k => (double)k), classes).Select(w => (double[]?)w)));
    }

    private static Gen<double> SmoothingGen() =>
        Gen.Frequency(
            (4, Gen.Constant(0.0)),
            (1, Gen.Constant(0.1)),
            (1, Gen.Constant(0.45)),
            (1, Gen.Constant(1.0)),
            (1, Gen.Choose(0, 1_000_000).Select(k => k / 1e6)));

    private static Gen<double[]> ProbabilitiesGen(ProbabilityKind kind, double[] logits, int outer, int classes, int inner)
    {
        int n = outer * classes * inner;
        int positions = outer * inner;
        Gen<int[]> hot = Gen.ArrayOf(Gen.Choose(0, classes - 1), positions);
        Gen<double> positive = Gen.Choose(1, 1_000_000).Select(k => (double)k);
        return kind switch
        {
            ProbabilityKind.Random =>
                Gen.ArrayOf(positive, n).Select(v => Normalize(v, null, outer, classes, inner)),
            ProbabilityKind.Sparse =>
                from v in Gen.ArrayOf(Gen.Frequency((2, Gen.Constant(0.0)), (1, positive)), n)
                from h in hot
                select Normalize(v, h, outer, classes, inner),
            ProbabilityKind.OneHot =>
                hot.Select(h => Normalize(new double[n], h, outer, classes, inner)),
            ProbabilityKind.Uniform =>
                Gen.Constant(Enumerable.Repeat(1.0 / classes, n).ToArray()),
            _ => Gen.Constant(Reference.SoftmaxOf(logits, outer, classes, inner)),
        };
    }

    /// <summary>Divides each row by its sum; a row given a hot class gets at least 1 there (so no row is all zero).</summary>
    private static double[] Normalize(double[] values, int[]? hot, int outer, int classes, int inner)
    {
        double[] v = (double[])values.Clone();
        var shape = new Problem(outer, classes, inner, v, Array.Empty<int>(), 0, null, 0.0, v);
        for (int p = 0; p < shape.Positions; p++)
        {
            if (hot is not null)
            {
                int at = shape.At(p, hot[p]);
                v[at] = Math.Max(v[at], 1.0);
            }

            double sum = 0.0;
            for (int c = 0; c < classes; c++)
            {
                sum += v[shape.At(p, c)];
            }

            for (int c = 0; c < classes; c++)
            {
                v[shape.At(p, c)] /= sum;
            }
        }

        return v;
    }

    /// <summary>
    /// Shifts: multiples of the grid step (exact in float and double for the grid kinds), decimal fractions that are
    /// not exact, large constants, and constants proportional to the logit range.
    /// </summary>
    private static Gen<double> ShiftGen(LogitKind kind)
    {
        int e = RangeExponent(kind);
        return Gen.Frequency(
            (3, Gen.Choose(-(1 << 22), 1 << 22).Select(j => Math.ScaleB(j, e - GridBits))),
            (1, Gen.Elements(0.1, -0.7, 1.0 / 3.0, 12345.678)),
            (1, Gen.Elements(1e6, -1e6, 3e7)),
            (1, Gen.Elements(Math.PI, -Math.E).Select(f => f * Math.ScaleB(1.0, e))));
    }

    /// <summary>The case generator itself (also sampled by <see cref="GeneratorCoverageFacts"/>).</summary>
    public static Gen<Case> CaseGen(bool large) =>
        from classes in ClassesGen()
        from outer in Gen.Choose(0, 8)
        from inner in Gen.Frequency((3, Gen.Constant(1)), (2, Gen.Choose(2, 4)))
        from kind in KindGen(large)
        from logits in LogitsGen(kind, outer, classes, inner)
        from ignoreIndex in Gen.Frequency((3, Gen.Constant(-100)), (1, Gen.Constant(-1)), (2, Gen.Choose(0, classes - 1)))
        from targets in Gen.ArrayOf(Gen.Frequency((5, Gen.Choose(0, classes - 1)), (1, Gen.Constant(ignoreIndex))), outer * inner)
        from weights in WeightsGen(classes)
        from smoothing in SmoothingGen()
        from probabilityKind in Gen.Elements(Enum.GetValues<ProbabilityKind>())
        from probabilities in ProbabilitiesGen(probabilityKind, logits, outer, classes, inner)
        from shift in ShiftGen(kind)
        from permutation in Gen.Shuffle(Enumerable.Range(0, classes).ToArray())
        from poison in Gen.Elements(Enum.GetValues<Poison>())
        from special in Gen.Choose(0, int.MaxValue - 1)
        select new Case(
            new Problem(outer, classes, inner, logits, targets, ignoreIndex, weights, smoothing, probabilities),
            kind,
            probabilityKind,
            shift,
            permutation,
            poison,
            special);
}
