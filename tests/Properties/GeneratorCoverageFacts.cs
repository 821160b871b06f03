using System.Linq;
using FsCheck.Fluent;
using Xunit;

namespace Xent.Properties;

/// <summary>
/// The properties are only as good as the cases they see: this samples the generator and checks that every
/// situation the properties rely on actually occurs (each has probability ≥ 1/20 per case, so missing one in 400
/// samples would mean the generator is broken, not bad luck: (19/20)^400 ≈ 1e-9).
/// </summary>
public class GeneratorCoverageFacts
{
    [Fact]
    public void Generator_CoversTheSituationsThePropertiesNeed()
    {
        Case[] cases = Gen.Sample(Generators.CaseGen(large: false), 400, 400).ToArray();
        Assert.True(cases.Length >= 400);

        void Covers(string situation, System.Func<Case, bool> predicate) =>
            Assert.True(cases.Any(predicate), $"no generated case has {situation}");

        foreach (LogitKind kind in System.Enum.GetValues<LogitKind>())
        {
            Covers($"logits of kind {kind}", c => c.LogitKind == kind);
        }

        foreach (ProbabilityKind kind in System.Enum.GetValues<ProbabilityKind>())
        {
            Covers($"probabilities of kind {kind}", c => c.ProbabilityKind == kind);
        }

        Covers("an empty batch", c => c.Problem.Outer == 0);
        Covers("one class", c => c.Problem.Classes == 1 && c.Problem.Positions > 0);
        Covers("at least 1000 classes", c => c.Problem.Classes >= 1000 && c.Problem.Positions > 0);
        Covers("inner > 1", c => c.Problem.Inner > 1 && c.Problem.Outer > 1);
        Covers("an ignored position with ignoreIndex = -100", c => c.Problem.IgnoreIndex == -100 && c.Problem.Targets.Contains(-100));
        Covers("an ignoreIndex that is a real class, ignored", c => c.Problem.IgnoreIndex >= 0 && c.Problem.Targets.Contains(c.Problem.IgnoreIndex) && c.Problem.Classes > 1);
        Covers("a mix of ignored and kept positions", c => Enumerable.Range(0, c.Problem.Positions).Any(c.Problem.IsIgnored) && Enumerable.Range(0, c.Problem.Positions).Any(p => !c.Problem.IsIgnored(p)));
        Covers("no weights", c => c.Problem.Weights is null);
        Covers("weights including a zero", c => c.Problem.Weights?.Contains(0.0) == true);
        Covers("non-uniform positive weights", c => c.Problem.Weights is { } w && w.All(v => v > 0) && w.Distinct().Count() > 1);
        Covers("label smoothing 0", c => c.Problem.LabelSmoothing == 0.0);
        Covers("label smoothing 1", c => c.Problem.LabelSmoothing == 1.0);
        Covers("label smoothing strictly between 0 and 1", c => c.Problem.LabelSmoothing is > 0.0 and < 1.0);
        Covers("ties in a row", c => c.LogitKind == LogitKind.Ties && c.Problem.Classes > 5);
        Covers("an exact shift", c => Shift.Apply<float>(c.Problem.RoundedTo<float>().Logits, c.Shift, out double d).Length >= 0 && d == 0.0 && c.Problem.Positions > 0);
        Covers("an inexact shift", c => Shift.Apply<double>(c.Problem.Logits, c.Shift, out double d).Length >= 0 && d > 0.0);
        foreach (Poison poison in System.Enum.GetValues<Poison>())
        {
            Covers($"poison {poison}", c => c.Poison == poison);
        }
    }

    [Fact]
    public void LargeGenerator_ProducesHugeAndExtremeLogits()
    {
        LargeCase[] cases = Gen.Sample(Generators.LargeCases().Generator, 200, 200).ToArray();
        Assert.Contains(cases, c => c.Value.Problem.Logits.Any(x => System.Math.Abs(x) == Case.Largest));
        Assert.Contains(cases, c => c.Value.LogitKind == LogitKind.Huge && c.Value.Problem.MaxAbsLogit() > 1e29);
        Assert.All(cases, c => Assert.True(c.Value.Problem.Logits.All(double.IsFinite)));
    }
}
