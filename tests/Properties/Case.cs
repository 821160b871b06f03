using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Xent.Properties;

/// <summary>How the logits of a case are drawn.</summary>
public enum LogitKind
{
    /// <summary>k·2^-20, |x| ≤ 1.</summary>
    Unit,

    /// <summary>k·2^-16, |x| ≤ 16.</summary>
    Sixteen,

    /// <summary>k·2^-6, |x| ≤ 16384: exp overflows/underflows without the max shift.</summary>
    Large,

    /// <summary>k·2^80, |x| ≤ 2^100 ≈ 1.27e30.</summary>
    Huge,

    /// <summary>A large common offset (±1e4, 1e6, −3e5) plus a small spread: tests cancellation of the offset.</summary>
    Offset,

    /// <summary>Integers in [−2, 2]: many exact ties.</summary>
    Ties,

    /// <summary>As <see cref="Huge"/>, with one entry per row set to ±3e38 (near float's maximum).</summary>
    Extreme,
}

/// <summary>How the probability targets of a case are drawn (each row is normalized in double).</summary>
public enum ProbabilityKind
{
    Random,
    Sparse,
    OneHot,
    Uniform,

    /// <summary>p = softmax(x) of the case's own logits: cross entropy then equals the entropy (the bound is tight).</summary>
    SoftmaxOfLogits,
}

/// <summary>What the logits of ignored positions are replaced by in the properties that poison them.</summary>
public enum Poison
{
    None,
    NaN,
    PositiveInfinity,
    NegativeInfinity,
    Largest,
}

/// <summary>
/// A generated test case: a <see cref="Problem"/> plus the extra random choices some properties need (a shift
/// constant, a class permutation, a poison for ignored rows, and a number that picks a position and class).
/// </summary>
public sealed record Case(
    Problem Problem,
    LogitKind LogitKind,
    ProbabilityKind ProbabilityKind,
    double Shift,
    int[] Permutation,
    Poison Poison,
    int Special)
{
    /// <summary>±3e38 as a float value, so float and double cases hold exactly the same number.</summary>
    public const double Largest = (double)3e38f;

    public double? PoisonValue => Poison switch
    {
        Poison.NaN => double.NaN,
        Poison.PositiveInfinity => double.PositiveInfinity,
        Poison.NegativeInfinity => double.NegativeInfinity,
        Poison.Largest => Largest,
        _ => null,
    };

    /// <summary>A position picked by <see cref="Special"/> (requires at least one position).</summary>
    public int SpecialPosition => Special % Problem.Positions;

    /// <summary>A class picked by <see cref="Special"/>.</summary>
    public int SpecialClass => Special / 7 % Problem.Classes;

    /// <summary>Smaller cases for FsCheck's shrinking: fewer outer rows, no smoothing, no weights.</summary>
    public IEnumerable<Case> Shrink()
    {
        Problem p = Problem;
        if (p.Outer > 1)
        {
            for (int o = 0; o < p.Outer; o++)
            {
                yield return this with { Problem = p.KeepOuterRows(new[] { o }) };
            }

            for (int o = 0; o < p.Outer; o++)
            {
                int skip = o;
                yield return this with { Problem = p.KeepOuterRows(Enumerable.Range(0, p.Outer).Where(r => r != skip).ToArray()) };
            }
        }

        if (p.LabelSmoothing != 0.0)
        {
            yield return this with { Problem = p with { LabelSmoothing = 0.0 } };
        }

        if (p.Weights is not null)
        {
            yield return this with { Problem = p with { Weights = null } };
        }
    }

    public override string ToString() =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"Case(logits {LogitKind}, probabilities {ProbabilityKind}, shift {Format.Number(Shift)}, poison {Poison}, special {Special},\n  {Problem}")
        + $"\n  permutation={Format.Array(Permutation)})";
}

/// <summary>A case whose logits are huge (|x| up to 1.27e30) or extreme (single entries of ±3e38).</summary>
public sealed record LargeCase(Case Value)
{
    public override string ToString() => Value.ToString();
}
