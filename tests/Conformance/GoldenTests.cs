using System;
using System.IO;
using System.Linq;
using Xent.Parity;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// The golden cases of the ops the core covers, each answered through the parity tool's code path
/// (<see cref="ParityRunner.Answer"/> and <see cref="CaseChecker.Check"/>) in both dtypes.
/// </summary>
public sealed class GoldenTests
{
    [Theory]
    [MemberData(nameof(GoldenData.CoveredRows), MemberType = typeof(GoldenData))]
    public void Case(string id, Dtype dtype)
    {
        GoldenCase golden = GoldenData.Get(id);
        Answer answer = ParityRunner.Answer(golden, dtype);

        Assert.False(answer.IsUnsupported, $"{id}: the library should support {golden.Op}.");
        if (golden.Error is not null)
        {
            // libtorch refuses this call; the library must refuse it too, with an ArgumentException (or a subtype).
            Assert.True(answer.IsRefused, $"{id}: libtorch refuses this call (\"{golden.Error}\") but the library returned a value.");
            ArgumentException exception = Assert.IsAssignableFrom<ArgumentException>(answer.Exception);
            Assert.Equal(exception.Message, answer.Error);
        }
        else
        {
            Assert.True(answer.Value is not null, $"{id}: the library refused the call: {answer.Error}");
        }

        CheckOutcome outcome = CaseChecker.Check(golden, answer, dtype);
        Assert.True(outcome.Status == CheckStatus.Passed, $"{dtype.Name()}: {outcome}");
    }

    [Fact]
    public void DataFile_HoldsTheExpectedNumberOfCases()
    {
        Assert.Equal(GoldenData.TotalCases, GoldenData.Cases.Count);
        Assert.Equal(GoldenData.CoveredCases, GoldenData.Covered.Count());
        Assert.Equal(GoldenData.NotYetImplementedCases, GoldenData.Cases.Count(c => GoldenData.NotYetImplementedOps.Contains(c.Op)));
        Assert.Equal(2 * GoldenData.CoveredCases, GoldenData.CoveredRows().Count);

        // Every case belongs to exactly one of the two groups, and the covered ones to the covered families.
        Assert.All(GoldenData.Cases, c => Assert.True(
            GoldenData.CoveredOps.Contains(c.Op) ^ GoldenData.NotYetImplementedOps.Contains(c.Op), $"{c.Id}: unexpected op {c.Op}"));
        Assert.All(GoldenData.Covered, c => Assert.Contains(GoldenData.CoveredPrefixes, prefix => c.Id.StartsWith(prefix, StringComparison.Ordinal)));

        // Per op, so that a truncated or filtered file is caught where it happened.
        Assert.Equal(120, GoldenData.Cases.Count(c => c.Op == "cross_entropy"));
        Assert.Equal(22, GoldenData.Cases.Count(c => c.Op == "nll_loss"));
        Assert.Equal(5, GoldenData.Cases.Count(c => c.Op == "log_softmax"));
        Assert.Equal(5, GoldenData.Cases.Count(c => c.Op == "softmax"));
        Assert.Equal(5, GoldenData.Cases.Count(c => c.Op == "logsumexp"));
        Assert.Equal(7, GoldenData.Covered.Count(c => c.Error is not null));
        Assert.Equal(3, GoldenData.Covered.Count(c => c.Id.StartsWith("seed", StringComparison.Ordinal)));
        Assert.Equal(39, GoldenData.Covered.Count(c => c.Id.StartsWith("edge_", StringComparison.Ordinal)));
    }

    [Fact]
    public void CoveredOps_AreTheOpsTheRunnerSupports()
    {
        Assert.Equal(GoldenData.CoveredOps.Order(), ParityRunner.SupportedOps.Order());
    }

    /// <summary>
    /// BCE, BCE with logits and KL divergence are not implemented yet, so the runner answers "unsupported" and
    /// <c>check</c> counts them apart. When one of them lands, this test fails for it: move the op from
    /// <see cref="GoldenData.NotYetImplementedOps"/> to <see cref="GoldenData.CoveredOps"/> and update the counts.
    /// </summary>
    [Fact]
    public void NotYetImplementedOps_AnswerUnsupported()
    {
        foreach (GoldenCase golden in GoldenData.Cases.Where(c => GoldenData.NotYetImplementedOps.Contains(c.Op)))
        {
            foreach (Dtype dtype in Enum.GetValues<Dtype>())
            {
                Answer answer = ParityRunner.Answer(golden, dtype);
                Assert.True(answer.IsUnsupported, $"{golden.Id} ({golden.Op}, {dtype.Name()}) is no longer unsupported: move its op to GoldenData.CoveredOps.");
                Assert.Equal(Answer.UnsupportedError, answer.Error);
                Assert.Equal(CheckStatus.Unsupported, CaseChecker.Check(golden, answer, dtype).Status);
                Assert.Equal($"{{\"id\":\"{golden.Id}\",\"error\":\"unsupported\"}}", AnswerWriter.ToJsonLine(answer));
            }
        }
    }

    [Fact]
    public void UnknownOp_AnswersUnsupported()
    {
        GoldenCase golden = GoldenCase.Parse("""{"id":"x_0001","op":"hinge_embedding","input":{"shape":[2],"data":[1,2]},"expected":{"shape":[],"data":[0]}}""");
        Assert.True(ParityRunner.Answer(golden, Dtype.Float64).IsUnsupported);
    }

    [Theory]
    [InlineData(Dtype.Float32)]
    [InlineData(Dtype.Float64)]
    public void CheckCommand_SummarizesTheWholeFile(Dtype dtype)
    {
        using var failures = new StringWriter();
        CheckSummary summary = ParityCheck.Run(GoldenData.Cases, dtype, failures);

        Assert.Equal(string.Empty, failures.ToString());
        Assert.Equal(new CheckSummary(GoldenData.CoveredCases, 0, GoldenData.NotYetImplementedCases), summary);
        Assert.Equal($"{GoldenData.CoveredCases} passed, 0 failed, {GoldenData.NotYetImplementedCases} unsupported", summary.ToString());
    }
}
