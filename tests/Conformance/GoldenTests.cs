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
        Assert.Equal(2 * GoldenData.CoveredCases, GoldenData.CoveredRows().Count);

        // Every case is of a covered op and a covered family.
        Assert.All(GoldenData.Cases, c => Assert.True(GoldenData.CoveredOps.Contains(c.Op), $"{c.Id}: unexpected op {c.Op}"));
        Assert.All(GoldenData.Covered, c => Assert.Contains(GoldenData.CoveredPrefixes, prefix => c.Id.StartsWith(prefix, StringComparison.Ordinal)));

        // Per op, so that a truncated or filtered file is caught where it happened.
        Assert.Equal(120, GoldenData.Cases.Count(c => c.Op == "cross_entropy"));
        Assert.Equal(22, GoldenData.Cases.Count(c => c.Op == "nll_loss"));
        Assert.Equal(5, GoldenData.Cases.Count(c => c.Op == "log_softmax"));
        Assert.Equal(5, GoldenData.Cases.Count(c => c.Op == "softmax"));
        Assert.Equal(5, GoldenData.Cases.Count(c => c.Op == "logsumexp"));
        Assert.Equal(13, GoldenData.Cases.Count(c => c.Op == "binary_cross_entropy_with_logits"));
        Assert.Equal(12, GoldenData.Cases.Count(c => c.Op == "binary_cross_entropy"));
        Assert.Equal(8, GoldenData.Cases.Count(c => c.Op == "kl_div"));
        Assert.Equal(8, GoldenData.Covered.Count(c => c.Error is not null));
        Assert.Equal(3, GoldenData.Covered.Count(c => c.Id.StartsWith("seed", StringComparison.Ordinal)));
        Assert.Equal(45, GoldenData.Covered.Count(c => c.Id.StartsWith("edge_", StringComparison.Ordinal)));
    }

    [Fact]
    public void CoveredOps_AreTheOpsTheRunnerSupports()
    {
        Assert.Equal(GoldenData.CoveredOps.Order(), ParityRunner.SupportedOps.Order());
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
        Assert.Equal(new CheckSummary(GoldenData.CoveredCases, 0, 0), summary);
        Assert.Equal($"{GoldenData.CoveredCases} passed, 0 failed, 0 unsupported", summary.ToString());
    }
}
