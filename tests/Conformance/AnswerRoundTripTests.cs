using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xent.Parity;
using Xunit;

namespace Xent.Conformance;

/// <summary>The <c>answer</c> command's output read back through <see cref="AnswerReader"/>.</summary>
public sealed class AnswerRoundTripTests
{
    [Fact]
    public void NonFiniteNumbers_AreWrittenAsNamedLiterals_AndReadBack()
    {
        Answer[] answers =
        [
            Answer.Computed("values", new TensorData([2, 4], [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, 0.1, -1e308, 1.2914236091013136])),
            Answer.Computed("scalar", TensorData.Scalar(double.NaN)),
            Answer.Computed("empty", new TensorData([0], [])),
            Answer.Computed("gradient", TensorData.Scalar(1.5), new TensorData([1, 2], [double.NegativeInfinity, 0.25])),
            Answer.Refused("refused", new ArgumentException("Target 7 is out of bounds for 5 classes \"quoted\"\nsecond line, 3 classes × 1 positions", "target")),
            Answer.Unsupported("unsupported"),
        ];

        using var writer = new StringWriter();
        AnswerWriter.Write(writer, answers);
        string text = writer.ToString();
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(answers.Length, lines.Length);
        Assert.Equal("""{"id":"values","value":{"shape":[2,4],"data":["NaN","Infinity","-Infinity",-0,5E-324,0.1,-1E+308,1.2914236091013136]}}""", lines[0]);
        Assert.Equal("""{"id":"scalar","value":{"shape":[],"data":["NaN"]}}""", lines[1]);
        Assert.Equal("""{"id":"empty","value":{"shape":[0],"data":[]}}""", lines[2]);
        Assert.Equal("""{"id":"gradient","value":{"shape":[],"data":[1.5]},"grad_input":{"shape":[1,2],"data":["-Infinity",0.25]}}""", lines[3]);
        Assert.Equal("""{"id":"unsupported","error":"unsupported"}""", lines[5]);
        Assert.DoesNotContain("grad_input", lines[0], StringComparison.Ordinal);

        using var reader = new StringReader(text);
        IReadOnlyList<Answer> read = AnswerReader.Read(reader);
        Assert.Equal(answers.Length, read.Count);
        for (int i = 0; i < answers.Length; i++)
        {
            AssertSame(answers[i], read[i]);
        }

        Assert.True(read[5].IsUnsupported);
        Assert.True(read[4].IsRefused);
        Assert.Null(read[4].Exception); // the exception does not travel through the file, only its message
    }

    [Theory]
    [InlineData(Dtype.Float32)]
    [InlineData(Dtype.Float64)]
    public void EveryGoldenAnswer_RoundTripsAndStillPasses(Dtype dtype)
    {
        List<(GoldenCase Case, Answer Answer)> answered = GoldenData.Cases.Select(c => (c, ParityRunner.Answer(c, dtype))).ToList();
        string path = Path.Combine(Path.GetTempPath(), $"xent-answers-{Guid.NewGuid():N}.jsonl");
        try
        {
            using (var writer = new StreamWriter(path))
            {
                AnswerWriter.Write(writer, answered.Select(a => a.Answer));
            }

            IReadOnlyList<Answer> read = AnswerReader.ReadFile(path);
            Assert.Equal(answered.Count, read.Count);
            Assert.Contains(read, a => a.Value is not null && a.Value.Data.Any(double.IsNaN));
            Assert.Contains(read, a => a.Value is not null && a.Value.Data.Any(double.IsPositiveInfinity));
            for (int i = 0; i < read.Count; i++)
            {
                AssertSame(answered[i].Answer, read[i]);
                Assert.Equal(
                    CaseChecker.Check(answered[i].Case, answered[i].Answer, dtype).Status,
                    CaseChecker.Check(answered[i].Case, read[i], dtype).Status);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Reader_RejectsInconsistentAnswers()
    {
        Assert.Throws<FormatException>(() => AnswerReader.Parse("""{"id":"a"}"""));
        Assert.Throws<FormatException>(() => AnswerReader.Parse("""{"id":"a","value":{"shape":[],"data":[1]},"error":"x"}"""));
        Assert.Throws<FormatException>(() => AnswerReader.Parse("""{"id":"a","value":{"shape":[2],"data":[1]}}"""));
        Assert.Throws<FormatException>(() => AnswerReader.Parse("""{"id":"a","error":"x","grad_input":{"shape":[],"data":[1]}}"""));
        Assert.Throws<FormatException>(() => AnswerReader.Parse("""{"id":"a","value":{"shape":[],"data":[nan]}}"""));
    }

    private static void AssertSame(Answer expected, Answer actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Error, actual.Error);
        AssertSame(expected.Value, actual.Value);
        AssertSame(expected.GradInput, actual.GradInput);
    }

    private static void AssertSame(TensorData? expected, TensorData? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }

        Assert.NotNull(actual);
        Assert.Equal(expected.Shape, actual.Shape);
        // Bit for bit (so -0 stays -0), except that any NaN matches any NaN.
        Assert.Equal(
            expected.Data.Select(v => double.IsNaN(v) ? double.NaN : v).Select(BitConverter.DoubleToInt64Bits),
            actual.Data.Select(v => double.IsNaN(v) ? double.NaN : v).Select(BitConverter.DoubleToInt64Bits));
    }
}
