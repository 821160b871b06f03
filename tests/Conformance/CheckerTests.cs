using System;
using System.IO;
using System.Linq;
using Xent.Parity;
using Xunit;

namespace Xent.Conformance;

/// <summary>The parity tool's own judgement: tolerances, comparison and verdicts, which the golden tests rely on.</summary>
public sealed class CheckerTests
{
    [Theory]
    [InlineData(1.0, 1.0 + 0.9e-5, true)]
    [InlineData(1.0, 1.0 - 0.9e-5, true)]
    [InlineData(1.0, 1.0 + 1.1e-5, false)]
    [InlineData(1e4, 1e4 + 0.09, true)]
    [InlineData(1e4, 1e4 + 0.11, false)]
    [InlineData(0.0, 0.9e-6, true)] // the absolute floor
    [InlineData(0.0, 1.1e-6, false)]
    [InlineData(1e-3, 1e-3 + 0.9e-6, true)] // the floor dominates 1e-5 · 1e-3
    [InlineData(double.PositiveInfinity, double.PositiveInfinity, true)]
    [InlineData(double.NegativeInfinity, double.NegativeInfinity, true)]
    [InlineData(double.PositiveInfinity, double.NegativeInfinity, false)]
    [InlineData(double.PositiveInfinity, double.MaxValue, false)]
    [InlineData(double.MaxValue, double.PositiveInfinity, false)]
    [InlineData(double.NaN, double.NaN, true)]
    [InlineData(double.NaN, 0.0, false)]
    [InlineData(0.0, double.NaN, false)]
    [InlineData(double.NaN, double.PositiveInfinity, false)]
    public void Float32Tolerance(double expected, double actual, bool accepted)
    {
        Assert.Equal(accepted, Tolerance.Float32.Accepts(expected, actual));
    }

    [Theory]
    [InlineData(1.0, 1.0 + 0.9e-12, true)]
    [InlineData(1.0, 1.0 + 1.1e-12, false)]
    [InlineData(0.0, 0.9e-12, true)]
    [InlineData(0.0, 1.1e-12, false)]
    [InlineData(20000.0, 20000.0 + 1.9e-8, true)]
    [InlineData(20000.0, 20000.0 + 2.1e-8, false)]
    public void Float64Tolerance(double expected, double actual, bool accepted)
    {
        Assert.Equal(accepted, Tolerance.Float64.Accepts(expected, actual));
    }

    [Fact]
    public void Comparison_RequiresExactShapes()
    {
        var expected = new TensorData([3, 1], [1, 2, 3]);
        var actual = new TensorData([3], [1, 2, 3]);
        Mismatch? mismatch = Comparison.FirstMismatch(expected, actual, Tolerance.Float64);
        Assert.NotNull(mismatch);
        Assert.Contains("[3]", mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 1]", mismatch.Message, StringComparison.Ordinal);

        Assert.NotNull(Comparison.FirstMismatch(TensorData.Scalar(1), new TensorData([1], [1]), Tolerance.Float64));
        Assert.Null(Comparison.FirstMismatch(new TensorData([0], []), new TensorData([0], []), Tolerance.Float64));
    }

    [Fact]
    public void Comparison_ReportsTheFirstMismatchingIndexAndBothValues()
    {
        var expected = new TensorData([2, 3], [0, 1, 2, 3, 4, double.NaN]);
        var actual = new TensorData([2, 3], [0, 1, 2, 3.5, 4.5, 0]);
        Mismatch? mismatch = Comparison.FirstMismatch(expected, actual, Tolerance.Float32);
        Assert.NotNull(mismatch);
        Assert.Equal("value[1, 0] (flat 3): expected 3, got 3.5, |diff| 0.5 > 3E-05", mismatch.Message);
    }

    [Fact]
    public void Checker_ErrorCasePassesOnlyWhenTheLibraryRefuses()
    {
        GoldenCase golden = GoldenData.Get("error_target_too_large_0180");
        Assert.Equal(CheckStatus.Passed, CaseChecker.Check(golden, Answer.Refused(golden.Id, new ArgumentException("no")), Dtype.Float64).Status);

        CheckOutcome computed = CaseChecker.Check(golden, Answer.Computed(golden.Id, TensorData.Scalar(1.0)), Dtype.Float64);
        Assert.Equal(CheckStatus.Failed, computed.Status);
        Assert.Contains("Target 3 is out of bounds.", computed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checker_ValueCaseFailsOnRefusalOrWrongValueOrWrongId()
    {
        GoldenCase golden = GoldenData.Get("seed001_example");
        Assert.Equal(CheckStatus.Failed, CaseChecker.Check(golden, Answer.Refused(golden.Id, new ArgumentException("no")), Dtype.Float32).Status);
        Assert.Equal(CheckStatus.Failed, CaseChecker.Check(golden, Answer.Computed(golden.Id, TensorData.Scalar(0.5987)), Dtype.Float32).Status);
        Assert.Equal(CheckStatus.Passed, CaseChecker.Check(golden, Answer.Computed(golden.Id, TensorData.Scalar(0.598600), golden.ExpectedGradInput), Dtype.Float32).Status);
        Assert.Equal(CheckStatus.Failed, CaseChecker.Check(golden, Answer.Computed(golden.Id, TensorData.Scalar(0.598600), golden.ExpectedGradInput), Dtype.Float64).Status);
        Assert.Equal(CheckStatus.Failed, CaseChecker.Check(golden, Answer.Computed("seed004_index", golden.Expected!), Dtype.Float64).Status);
    }

    [Fact]
    public void Checker_FailsACaseWithExpectedGradInputWhenTheAnswerHasNone()
    {
        GoldenCase golden = GoldenData.Get("seed001_example");
        CheckOutcome outcome = CaseChecker.Check(golden, Answer.Computed(golden.Id, golden.Expected!), Dtype.Float64);
        Assert.Equal(CheckStatus.Failed, outcome.Status);
        Assert.Contains("no grad_input", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checker_ComparesGradInputWhenTheAnswerHasOne()
    {
        GoldenCase golden = GoldenData.Get("seed001_example");
        TensorData gradient = golden.ExpectedGradInput!;
        var wrongGradient = new TensorData(gradient.Shape, gradient.Data.Select(g => g + 1e-3).ToArray());

        Assert.Equal(CheckStatus.Passed, CaseChecker.Check(golden, Answer.Computed(golden.Id, golden.Expected!, gradient), Dtype.Float64).Status);
        CheckOutcome outcome = CaseChecker.Check(golden, Answer.Computed(golden.Id, golden.Expected!, wrongGradient), Dtype.Float64);
        Assert.Equal(CheckStatus.Failed, outcome.Status);
        Assert.StartsWith("grad_input[0, 0]", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParityCheck_PrintsOneLinePerFailure()
    {
        GoldenCase good = GoldenData.Get("seed001_example");
        GoldenCase bad = GoldenCase.Parse(
            """{"id":"bad_0001","op":"softmax","input":{"shape":[1,2],"data":[0,0]},"dim":1,"expected":{"shape":[1,2],"data":[0.5,0.6]}}""");
        GoldenCase unsupported = GoldenCase.Parse(
            """{"id":"x_0001","op":"hinge_embedding","input":{"shape":[2],"data":[1,2]},"expected":{"shape":[],"data":[0]}}""");

        using var failures = new StringWriter();
        CheckSummary summary = ParityCheck.Run([good, bad, unsupported], Dtype.Float64, failures);

        Assert.Equal("1 passed, 1 failed, 1 unsupported", summary.ToString());
        Assert.Equal("FAIL bad_0001 [float64]: value[0, 1] (flat 1): expected 0.6, got 0.5, |diff| 0.09999999999999998 > 1E-12" + Environment.NewLine, failures.ToString());
    }

    [Fact]
    public void GoldenFile_RejectsMalformedLines()
    {
        Assert.Throws<FormatException>(() => GoldenCase.Parse("""{"id":"a","op":"softmax","input":{"shape":[2],"data":[1]},"dim":0,"expected":{"shape":[2],"data":[1,2]}}"""));
        Assert.Throws<FormatException>(() => GoldenCase.Parse("""{"id":"a","op":"softmax","input":{"shape":[1],"data":[1]},"dim":0}"""));
        Assert.Throws<FormatException>(() => GoldenCase.Parse("""{"id":"a","op":"softmax","input":{"shape":[1],"data":[1]},"dim":0,"expected":{"shape":[1],"data":[1]},"surprise":1}"""));
        Assert.Throws<FormatException>(() => GoldenCase.Parse("""{"op":"softmax","input":{"shape":[1],"data":[1]},"dim":0,"expected":{"shape":[1],"data":[1]}}"""));

        string line = """{"id":"a","op":"softmax","input":{"shape":[1],"data":[1]},"dim":0,"expected":{"shape":[1],"data":[1]}}""";
        using var duplicate = new StringReader(line + "\n\n" + line + "\n");
        FormatException e = Assert.Throws<FormatException>(() => GoldenFile.Read(duplicate, "dup.jsonl"));
        Assert.StartsWith("dup.jsonl:3:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runner_MapsTheUnbatchedZeroDimensionalIndexTarget()
    {
        GoldenCase golden = GoldenData.Get("ce_unbatched_index_0067");
        Assert.Empty(golden.Target!.Shape);
        Answer answer = ParityRunner.Answer(golden, Dtype.Float64);
        Assert.NotNull(answer.Value);
        Assert.Empty(answer.Value.Shape);
    }
}
