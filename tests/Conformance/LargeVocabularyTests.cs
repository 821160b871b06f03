using System;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// The large-vocabulary API (<see cref="Functional.CrossEntropyDetailed{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/>,
/// the shard functions and <see cref="CrossEntropyOptions"/>): every refusal names its parameter, its rule and the
/// value and writes nothing; a missing or twice-merged shard is refused; special values and ignored rows; the tensor
/// overloads; a small example worked from the formula; determinism across threads and no allocation after warm-up.
/// </summary>
public sealed class LargeVocabularyTests
{
    private const double Sentinel = 42.0;

    private static readonly CrossEntropyRow SentinelRow = new(Sentinel, Sentinel, Sentinel, 42, true);

    private static readonly CrossEntropyPartial SentinelPartial = new(new LogSumExpState(Sentinel, Sentinel), Sentinel, 7, Sentinel, Sentinel, 3, 42);

    private static readonly CrossEntropyRow IgnoredRow = new(double.NaN, 0.0, 0.0, -1, false);

    // 2 × 3 logits, targets 2 and 0.
    private static readonly double[] Input = [0.5, -1.0, 2.0, 1.5, 0.25, -0.75];

    private static readonly int[] Targets = [2, 0];

    private static readonly CrossEntropyOptions Rich = new() { LabelSmoothing = 0.1, ZLossScale = 1e-4, SoftCap = 2.0 };

    /// <summary>
    /// Without label smoothing or z-loss, the detailed summary's loss and the classic reduced loss are the same numbers
    /// (one row engine, the same per-row losses summed in the same chunk order), for rows of at most 32 classes (lane
    /// tiles), longer float rows (the fast pass) and double rows (the exact pass), mean and sum.
    /// </summary>
    [Theory]
    [InlineData(300, 1000)]
    [InlineData(5000, 10)]
    [InlineData(129, 17)]
    [InlineData(129, 33)]     // the shortest rows of the row walk (float: the fast pass)
    [InlineData(3, 40000)]
    public void DetailedLoss_IsTheClassicLoss_BitForBit_WithoutSmoothingOrZLoss(int rows, int classes)
    {
        var random = new Random((rows * 31) + classes);
        double[] x = Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() * 30) - 15).ToArray();
        int[] y = Enumerable.Range(0, rows).Select(i => i % 7 == 3 ? Functional.DefaultIgnoreIndex : random.Next(classes)).ToArray();
        foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum })
        {
            var options = new CrossEntropyOptions { Reduction = reduction };
            float[] xf = As<float>(x);
            float classicFloat = Functional.CrossEntropy<float>(xf, y, classes, reduction);
            Assert.Equal(classicFloat, (float)Functional.CrossEntropyDetailed<float>(xf, y, classes, options).Loss);
            double classicDouble = Functional.CrossEntropy<double>(x, y, classes, reduction);
            Assert.Equal(
                BitConverter.DoubleToInt64Bits(classicDouble),
                BitConverter.DoubleToInt64Bits(Functional.CrossEntropyDetailed<double>(x, y, classes, options).Loss));
        }
    }

    private static T[] As<T>(double[] values)
        where T : IFloatingPointIeee754<T> =>
        Array.ConvertAll(values, T.CreateTruncating);

    private static T[] Filled<T>(int length)
        where T : IFloatingPointIeee754<T>
    {
        var values = new T[length];
        Array.Fill(values, T.CreateTruncating(Sentinel));
        return values;
    }

    private static CrossEntropyRow[] SentinelRows(int length) => Enumerable.Repeat(SentinelRow, length).ToArray();

    private static CrossEntropyPartial[] SentinelPartials(int length) => Enumerable.Repeat(SentinelPartial, length).ToArray();

    /// <summary>The exception is <typeparamref name="TException"/>, names <paramref name="paramName"/>, and its message holds each fragment (the rule and the value).</summary>
    private static void AssertRefused<TException>(Action call, string paramName, params string[] fragments)
        where TException : ArgumentException
    {
        TException e = Assert.Throws<TException>(call);
        Assert.Equal(paramName, e.ParamName);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        }
    }

    private static void AssertUntouched<T>(T[] values)
        where T : IFloatingPointIeee754<T> =>
        Assert.All(values, v => Assert.Equal(T.CreateTruncating(Sentinel), v));

    private static void AssertSameBits(double expected, double actual, string what) =>
        Assert.True(
            BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual) || (double.IsNaN(expected) && double.IsNaN(actual)),
            $"{what}: expected {expected:R}, got {actual:R}");

    private static void AssertSameBits(CrossEntropySummary expected, CrossEntropySummary actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Correct, actual.Correct);
        AssertSameBits(expected.Loss, actual.Loss, $"{what}: loss");
        AssertSameBits(expected.ZLoss, actual.ZLoss, $"{what}: z-loss");
        AssertSameBits(expected.Accuracy, actual.Accuracy, $"{what}: accuracy");
    }

    private static void AssertSameBits(CrossEntropyRow[] expected, CrossEntropyRow[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertSameBits(expected[i].LogSumExp, actual[i].LogSumExp, $"{what}: row {i} lse");
            AssertSameBits(expected[i].Loss, actual[i].Loss, $"{what}: row {i} loss");
            AssertSameBits(expected[i].ZLoss, actual[i].ZLoss, $"{what}: row {i} z-loss");
            Assert.Equal(expected[i].Predicted, actual[i].Predicted);
            Assert.Equal(expected[i].Correct, actual[i].Correct);
        }
    }

    private static void AssertSameBits<T>(T[] expected, T[] actual, string what)
        where T : IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertSameBits(double.CreateTruncating(expected[i]), double.CreateTruncating(actual[i]), $"{what} [{i}]");
        }
    }

    private static void AssertClose(double expected, double actual, double relative, string what) =>
        Assert.True(
            (double.IsNaN(expected) && double.IsNaN(actual)) || expected == actual || Math.Abs(expected - actual) <= relative * Math.Max(Math.Abs(expected), Math.Abs(actual)),
            $"{what}: expected {expected:R}, got {actual:R}");

    // ---- Validation: CrossEntropyDetailed and CrossEntropyDetailedWithGradient (spans) ----

    [Fact]
    public void Detailed_InvalidArguments_AreRefused_AndNothingIsWritten()
    {
        CrossEntropyRow[] rows = SentinelRows(2);
        double[] gradient = Filled<double>(6);

        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyDetailed<double>(Input, Targets, 0, null, rows), "classes", "at least one class", "Actual value was 0.");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailed<double>(Input, Targets, 4, null, rows), "input", "6 elements", "4 classes");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailed<double>(Input, [2, 0, 1], 3, null, rows), "target", "2 positions", "3 elements");

        // The first target is valid, the second is not: nothing may be written for the first.
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyDetailed<double>(Input, [2, 3], 3, null, rows), "target", "Target 3", "3 classes", "position 1");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyDetailed<double>(Input, [2, -1], 3, null, rows), "target", "Target -1", "position 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailed<double>(Input, Targets, 3, null, rows.AsSpan(0, 1)), "rows", "(2)", "holds 1");
        Assert.All(rows, r => Assert.Equal(SentinelRow, r));

        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(Input, [2, 3], gradient, 3, Rich, rows), "target", "Target 3");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(Input, Targets, gradient.AsSpan(0, 5), 3, Rich, rows), "gradient", "too short", "(6)", "holds 5");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(Input, Targets, gradient, 3, Rich, rows.AsSpan(0, 1)), "rows", "holds 1");
        Assert.All(rows, r => Assert.Equal(SentinelRow, r));
        AssertUntouched(gradient);

        // The gradient overlapping the input (partly, or exactly: there is no in-place variant).
        double[] buffer = [.. Input, Sentinel, Sentinel];
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(buffer.AsSpan(0, 6), Targets, buffer.AsSpan(2, 6), 3, Rich, rows), "gradient", "must not overlap input");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(buffer.AsSpan(0, 6), Targets, buffer.AsSpan(0, 6), 3, Rich, rows), "gradient", "must not overlap input");
        Assert.Equal([.. Input, Sentinel, Sentinel], buffer);
        Assert.All(rows, r => Assert.Equal(SentinelRow, r));
    }

    [Fact]
    public void Detailed_EmptyRowsSpan_GivesTheSameSummary_AndLongerRowsAreAllowed()
    {
        CrossEntropySummary without = Functional.CrossEntropyDetailed<double>(Input.AsSpan(), Targets, 3, Rich);
        CrossEntropyRow[] rows = SentinelRows(3);
        CrossEntropySummary with = Functional.CrossEntropyDetailed<double>(Input, Targets, 3, Rich, rows);
        AssertSameBits(without, with, "empty rows span vs rows");
        Assert.Equal(SentinelRow, rows[2]);
        Assert.NotEqual(SentinelRow, rows[1]);
    }

    // ---- Validation: options ----

    [Fact]
    public void Options_InvalidValues_AreRefused_NamingTheOption()
    {
        foreach (double value in new[] { -1.0, -double.Epsilon, double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            string shown = $"Actual value was {value}."; // the value is reported once, by the runtime
            AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions { SoftCap = value }, "SoftCap", "soft cap", shown);
            AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions { ZLossScale = value }, "ZLossScale", "z-loss scale", shown);
        }

        foreach (double value in new[] { -0.1, 1.0000001, double.NaN, double.PositiveInfinity })
        {
            string shown = $"Actual value was {value}."; // the value is reported once, by the runtime
            AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions { LabelSmoothing = value }, "LabelSmoothing", "between 0.0 and 1.0", shown);
        }

        AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions { Reduction = Reduction.None }, "Reduction", "Mean or Sum", "None");
        AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions { Reduction = (Reduction)7 }, "Reduction", "Mean or Sum", "7");
        AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions { EmptyMean = (EmptyMean)5 }, "EmptyMean", "NaN or Zero", "5");

        // `with` validates too, and the boundaries are accepted.
        AssertRefused<ArgumentOutOfRangeException>(() => _ = Rich with { SoftCap = -2.0 }, "SoftCap", "-2");
        var edges = new CrossEntropyOptions { LabelSmoothing = 1.0, ZLossScale = 0.0, SoftCap = 0.0, Reduction = Reduction.Sum, EmptyMean = EmptyMean.Zero };
        Assert.Equal(1.0, edges.LabelSmoothing);
        Assert.Equal(0.0, new CrossEntropyOptions { LabelSmoothing = 0.0 }.LabelSmoothing);
        Assert.Equal(CrossEntropyOptions.Default, new CrossEntropyOptions());
        Assert.Equal(Functional.DefaultIgnoreIndex, CrossEntropyOptions.Default.IgnoreIndex);
        Assert.Equal(Reduction.Mean, CrossEntropyOptions.Default.Reduction);
    }

    // ---- Validation: shards ----

    [Fact]
    public void Shard_InvalidArguments_AreRefused_AndNothingIsWritten()
    {
        // A (2, 2) shard of classes [1, 3) of 3.
        double[] shard = [-1.0, 2.0, 0.25, -0.75];
        CrossEntropyPartial[] partials = SentinelPartials(2);
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShard<double>(shard, Targets, partials, 0, 0, 2), "classes", "Actual value was 0.");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShard<double>(shard, Targets, partials, 3, 1, 0), "shardClasses", "Actual value was 0.");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShard<double>(shard, Targets, partials, 3, 2, 2), "shardOffset", "[2, 4)", "3 classes");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShard<double>(shard, Targets, partials, 3, -1, 2), "shardOffset", "[-1, 1)");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShard<double>(shard, Targets, partials, 3, 1, 1), "shard", "1 classes for each of the 2 targets", "holds 4");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShard<double>(shard, [2, 3], partials, 3, 1, 2), "target", "Target 3", "position 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShard<double>(shard, Targets, partials.AsSpan(0, 1), 3, 1, 2), "partials", "(2)", "holds 1");
        Assert.All(partials, p => Assert.Equal(SentinelPartial, p));

        AssertRefused<ArgumentException>(
            () => Functional.MergeCrossEntropyPartials(new CrossEntropyPartial[2], new CrossEntropyPartial[3]), "accumulator", "(2)", "holds 3");
    }

    [Fact]
    public void MergePartials_PartiallyOverlappingSpans_AreRefused_AsDocumented()
    {
        // Documented: "The two spans differ in length, or overlap other than exactly" is an ArgumentException.
        // source = buffer[0..2] and accumulator = buffer[1..3] share buffer[1]; merging row by row would read an
        // already updated entry.
        CrossEntropyPartial[] buffer = Functional.CrossEntropyShard<double>([1.0, 2.0, 3.0], [0, 0, 0], 1, 0, 1, null);
        CrossEntropyPartial[] before = [.. buffer];
        Assert.Throws<ArgumentException>(() => Functional.MergeCrossEntropyPartials(buffer.AsSpan(0, 2), buffer.AsSpan(1, 2)));
        Assert.Equal(before, buffer);
    }

    [Fact]
    public void FromPartialsAndShardGradient_InvalidArguments_AreRefused_AndNothingIsWritten()
    {
        // Two shards of 3 classes: [0, 1) and [1, 3).
        double[] left = [0.5, 1.5];
        double[] right = [-1.0, 2.0, 0.25, -0.75];
        CrossEntropyPartial[] merged = Functional.MergeCrossEntropyPartials(
            left: Functional.CrossEntropyShard<double>(left, Targets, 3, 0, 1, Rich),
            right: Functional.CrossEntropyShard<double>(right, Targets, 3, 1, 2, Rich));
        CrossEntropyRow[] rows = SentinelRows(2);
        double[] gradient = Filled<double>(4);

        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyFromPartials(merged, Targets, 0, Rich, rows), "classes", "Actual value was 0.");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyFromPartials(merged.AsSpan(0, 1), Targets, 3, Rich, rows), "partials", "(2)", "got 1");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyFromPartials(merged, [2, 3], 3, Rich, rows), "target", "Target 3");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyFromPartials(merged, Targets, 3, Rich, rows.AsSpan(0, 1)), "rows", "holds 1");

        // The partials of 3 classes finished as 4: row 0 covers 3 of the 4 classes.
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyFromPartials(merged, Targets, 4, Rich, rows), "partials", "row 0", "3 of the 4 classes");
        Assert.All(rows, r => Assert.Equal(SentinelRow, r));

        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShardGradient<double>(right, Targets, merged.AsSpan(0, 1), gradient, 3, 1, 2, Rich), "partials", "got 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShardGradient<double>(right, Targets, merged, gradient.AsSpan(0, 3), 3, 1, 2, Rich), "gradient", "too short", "holds 3");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShardGradient<double>(right, Targets, merged, gradient, 3, 2, 2, Rich), "shardOffset", "[2, 4)");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShardGradient<double>(right, Targets, merged, gradient, 3, 1, 0, Rich), "shardClasses", "Actual value was 0.");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShardGradient<double>(right, [2], merged.AsSpan(0, 1), gradient, 3, 1, 2, Rich), "shard", "holds 4");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShardGradient<double>(right, [2, -5], merged, gradient, 3, 1, 2, Rich), "target", "Target -5", "position 1");
        AssertUntouched(gradient);

        // The gradient overlapping the shard.
        double[] buffer = [.. right, Sentinel];
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShardGradient<double>(buffer.AsSpan(0, 4), Targets, merged, buffer.AsSpan(1, 4), 3, 1, 2, Rich), "gradient", "must not overlap");
        Assert.Equal([.. right, Sentinel], buffer);
    }

    [Fact]
    public void MissingShard_ShardMergedTwice_OrOverlappingShards_AreRefused_ByFromPartialsAndShardGradient()
    {
        // 2 rows of 4 classes in two shards of two classes: [0, 2) and [2, 4).
        double[] x = [0.5, -1.0, 2.0, 1.5, 1.5, 0.25, -0.75, 3.0];
        int[] y = [3, 1];
        double[] a = [0.5, -1.0, 1.5, 0.25];
        double[] b = [2.0, 1.5, -0.75, 3.0];
        CrossEntropyPartial[] pa = Functional.CrossEntropyShard<double>(a, y, 4, 0, 2, Rich);
        CrossEntropyPartial[] pb = Functional.CrossEntropyShard<double>(b, y, 4, 2, 2, Rich);
        CrossEntropyPartial[] both = Functional.MergeCrossEntropyPartials(left: pa, right: pb);

        // Shard b missing: 2 of the 4 classes.
        AssertPartialsRefused(pa, "covers 2 of the 4 classes");

        // Shard a merged twice (and b missing): the count is right, the coverage is not.
        AssertPartialsRefused(Functional.MergeCrossEntropyPartials(left: pa, right: pa), "not the classes 0 to 3 each once");

        // Both shards, and a merged once more: 6 of 4.
        AssertPartialsRefused(Functional.MergeCrossEntropyPartials(left: both, right: pa), "covers 6 of the 4 classes");

        // Overlapping shards [0, 2) and [1, 3) add up to 4 classes but cover class 1 twice and class 3 never.
        double[] middle = [-1.0, 2.0, 0.25, -0.75];
        CrossEntropyPartial[] pm = Functional.CrossEntropyShard<double>(middle, y, 4, 1, 2, Rich);
        AssertPartialsRefused(Functional.MergeCrossEntropyPartials(left: pa, right: pm), "not the classes 0 to 3 each once");

        // A row whose target is ignored is not checked.
        int[] firstIgnored = [Functional.DefaultIgnoreIndex, 1];
        CrossEntropyPartial[] mixed = [pa[0], both[1]];
        CrossEntropySummary summary = Functional.CrossEntropyFromPartials(mixed.AsSpan(), firstIgnored, 4, Rich);
        Assert.Equal(1, summary.Count);

        // And the complete merge finishes, equal to the whole rows within a few double ulps.
        CrossEntropyRow[] rows = new CrossEntropyRow[2];
        CrossEntropyRow[] wholeRows = new CrossEntropyRow[2];
        CrossEntropySummary sharded = Functional.CrossEntropyFromPartials(both, y, 4, Rich, rows);
        CrossEntropySummary whole = Functional.CrossEntropyDetailed<double>(x, y, 4, Rich, wholeRows);
        AssertClose(whole.Loss, sharded.Loss, 1e-14, "sharded loss");
        AssertClose(whole.ZLoss, sharded.ZLoss, 1e-14, "sharded z-loss");
        Assert.Equal(whole.Correct, sharded.Correct);

        void AssertPartialsRefused(CrossEntropyPartial[] partials, string fragment)
        {
            CrossEntropyRow[] sentinelRows = SentinelRows(2);
            double[] gradient = Filled<double>(4);
            AssertRefused<ArgumentException>(() => Functional.CrossEntropyFromPartials(partials, y, 4, Rich, sentinelRows), "partials", "row 0", fragment);
            AssertRefused<ArgumentException>(() => Functional.CrossEntropyShardGradient<double>(b, y, partials, gradient, 4, 2, 2, Rich), "partials", "row 0", fragment);
            Assert.All(sentinelRows, r => Assert.Equal(SentinelRow, r));
            AssertUntouched(gradient);
        }
    }

    // ---- Validation and agreement: tensor overloads ----

    [Fact]
    public void TensorOverloads_InvalidShapes_AreRefused_AndNothingIsWritten()
    {
        double[] wide = [0.5, -1.0, 2.0, 9.0, 1.5, 0.25, -0.75, 9.0];
        CrossEntropyRow[] rows = SentinelRows(2);
        double[] gradient = Filled<double>(8);

        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailed<double>(new ReadOnlyTensorSpan<double>(Input, [6]), Targets, null, rows), "input", "two-dimensional", "rank 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailed<double>(new ReadOnlyTensorSpan<double>(Input, [2, 3, 1]), Targets, null, rows), "input", "two-dimensional", "rank 3");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailed<double>(new ReadOnlyTensorSpan<double>(Input, [3, 2]), Targets, null, rows), "input", "3 rows", "2 elements");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailed<double>(new ReadOnlyTensorSpan<double>(Input, [2, 0]), Targets, null, rows), "input", "class dimension", "got 0");

        // Not dense: every other row of a wider matrix, a column-major view, a broadcast row.
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailed<double>(new ReadOnlyTensorSpan<double>(wide, [2, 3], [4, 1]), Targets, null, rows), "input", "dense and row-major", "strides 3 and 1", "got strides 4 and 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailed<double>(new ReadOnlyTensorSpan<double>(Input, [2, 3], [1, 2]), Targets, null, rows), "input", "dense and row-major", "got strides 1 and 2");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailed<double>(new ReadOnlyTensorSpan<double>(Input, [2, 3], [0, 1]), Targets, null, rows), "input", "dense and row-major", "got strides 0 and 1");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyDetailed<double>(new ReadOnlyTensorSpan<double>(Input, [2, 3]), [2, 3], null, rows), "target", "Target 3");
        Assert.All(rows, r => Assert.Equal(SentinelRow, r));

        var input = new ReadOnlyTensorSpan<double>(Input, [2, 3]);
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, new TensorSpan<double>(gradient, [2, 4]), Rich, rows), "gradient", "input's shape", "2 × 4");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, new TensorSpan<double>(gradient, [8]), Rich, rows), "gradient", "rank 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, new TensorSpan<double>(gradient, [2, 3], [4, 1]), Rich, rows), "gradient", "dense and row-major", "got strides 4 and 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, new TensorSpan<double>(gradient, [1, 3]), Rich, rows), "gradient", "1 rows", "2 elements");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, new TensorSpan<double>(gradient, [2, 3]), Rich, rows.AsSpan(0, 1)), "rows", "holds 1");
        Assert.All(rows, r => Assert.Equal(SentinelRow, r));
        AssertUntouched(gradient);

        // The gradient over the input's own buffer.
        double[] buffer = [.. Input, Sentinel];
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyDetailedWithGradient<double>(new ReadOnlyTensorSpan<double>(buffer, 0, [2, 3], [3, 1]), Targets, new TensorSpan<double>(buffer, 1, [2, 3], [3, 1]), Rich, rows), "gradient", "must not overlap input");
        Assert.Equal([.. Input, Sentinel], buffer);
        Assert.Equal(6, input.FlattenedLength);
    }

    [Fact]
    public void TensorOverloads_AgreeWithTheSpanOverloads_BitForBit()
    {
        TensorAgreement<double>(Rich);
        TensorAgreement<float>(Rich);
        TensorAgreement<float>(new CrossEntropyOptions { LabelSmoothing = 0.2, ZLossScale = 1e-3, Reduction = Reduction.Sum });
        TensorAgreement<Half>(Rich);
    }

    private static void TensorAgreement<T>(CrossEntropyOptions options)
        where T : IFloatingPointIeee754<T>
    {
        const int N = 37;
        const int C = 53;
        (double[] logits, int[] y) = Problem(N, C, 11);
        T[] x = As<T>(logits);
        var spanRows = new CrossEntropyRow[N];
        var tensorRows = new CrossEntropyRow[N];
        T[] spanGradient = Filled<T>(x.Length);
        T[] tensorGradient = Filled<T>(x.Length);
        CrossEntropySummary span = Functional.CrossEntropyDetailedWithGradient<T>(x, y, spanGradient, C, options, spanRows, 0.75);
        CrossEntropySummary tensor = Functional.CrossEntropyDetailedWithGradient<T>(
            new ReadOnlyTensorSpan<T>(x, [N, C]), y, new TensorSpan<T>(tensorGradient, [N, C]), options, tensorRows, 0.75);
        string what = $"{typeof(T).Name} tensor vs span";
        AssertSameBits(span, tensor, what);
        AssertSameBits(spanRows, tensorRows, what);
        AssertSameBits(spanGradient, tensorGradient, $"{what}: gradient");

        CrossEntropySummary lossOnly = Functional.CrossEntropyDetailed<T>(new ReadOnlyTensorSpan<T>(x, [N, C]), y, options, tensorRows);
        AssertSameBits(span, lossOnly, $"{what}, loss only");
        AssertSameBits(spanRows, tensorRows, $"{what}, loss only");
    }

    // ---- Special values and ignored rows ----

    [Fact]
    public void SpecialValues_GiveNaNLosses_AndTorchArgmaxPredictions_Double() => SpecialValues<double>();

    [Fact]
    public void SpecialValues_GiveNaNLosses_AndTorchArgmaxPredictions_Float() => SpecialValues<float>();

    [Fact]
    public void SpecialValues_GiveNaNLosses_AndTorchArgmaxPredictions_Half() => SpecialValues<Half>();

    private static void SpecialValues<T>()
        where T : IFloatingPointIeee754<T>
    {
        foreach (int classes in new[] { 5, 37 })
        {
            const double Nan = double.NaN;
            const double Inf = double.PositiveInfinity;
            const double NegInf = double.NegativeInfinity;
            var logits = new double[7 * classes];
            for (int i = 0; i < logits.Length; i++)
            {
                logits[i] = 0.25 * ((i * 7) % 11) - 1.0; // at most 1.5, so 2.0 below is each row's maximum
            }

            void Set(int row, int cls, double value) => logits[(row * classes) + cls] = value;
            Set(0, 3, Nan);                                  // row 0: NaN → NaN loss, predicted 3
            Set(1, 2, Inf);                                  // row 1: +∞ before a NaN: the NaN (4) is predicted,
            Set(1, 4, Nan);                                  //        and it is the target: correct
            Set(2, 1, Inf);                                  // row 2: two +∞: the first (1) is predicted
            Set(2, 3, Inf);
            for (int j = 0; j < classes; j++)
            {
                Set(3, j, NegInf);                           // row 3: only −∞ → NaN loss, lse −∞, predicted 0
            }

            Set(4, 0, NegInf);                               // row 4: −∞ away from the target contributes nothing
            Set(4, 2, 2.0);                                  //        target 2 is the maximum: correct
            Set(5, 1, NegInf);                               // row 5: −∞ at the target → +∞ loss
            Set(5, 2, 2.0);
            Set(6, 0, Nan);                                  // row 6: ignored, NaN and +∞ inside
            Set(6, 1, Inf);
            int[] y = [1, 4, 0, 2, 2, 1, Functional.DefaultIgnoreIndex];
            T[] x = As<T>(logits);
            var options = new CrossEntropyOptions { ZLossScale = 1e-3 };
            var rows = new CrossEntropyRow[7];
            T[] gradient = Filled<T>(x.Length);
            CrossEntropySummary summary = Functional.CrossEntropyDetailedWithGradient<T>(x, y, gradient, classes, options, rows);
            string what = $"{typeof(T).Name}, C = {classes}";

            int[] predicted = [3, 4, 1, 0, 2, 2, -1];
            for (int r = 0; r < 7; r++)
            {
                Assert.True(predicted[r] == rows[r].Predicted, $"{what}: row {r} predicted {rows[r].Predicted}, expected {predicted[r]}");
                Assert.Equal(predicted[r] == y[r], rows[r].Correct);
            }

            foreach (int r in new[] { 0, 1, 2, 3 })
            {
                Assert.True(double.IsNaN(rows[r].Loss), $"{what}: row {r} loss {rows[r].Loss}, expected NaN");
                for (int j = 0; j < classes; j++)
                {
                    // Documented: a row with a NaN loss has a NaN gradient.
                    Assert.True(T.IsNaN(gradient[(r * classes) + j]), $"{what}: row {r} gradient [{j}] is {gradient[(r * classes) + j]}, expected NaN");
                }
            }

            Assert.True(double.IsNaN(rows[0].LogSumExp) && double.IsNaN(rows[1].LogSumExp) && double.IsNaN(rows[2].LogSumExp), what);
            Assert.Equal(double.NegativeInfinity, rows[3].LogSumExp);

            // Row 4: the loss of the row without class 0, and a zero gradient there.
            double[] without = logits.Skip((4 * classes) + 1).Take(classes - 1).ToArray();
            CrossEntropyRow[] reduced = new CrossEntropyRow[1];
            Functional.CrossEntropyDetailed<T>(As<T>(without), [1], classes - 1, options, reduced);
            AssertClose(reduced[0].Loss, rows[4].Loss, 1e-15, $"{what}: row 4 vs the row without its −∞ class");
            AssertClose(reduced[0].LogSumExp, rows[4].LogSumExp, 1e-15, $"{what}: row 4 lse");
            Assert.True(T.IsZero(gradient[4 * classes]), $"{what}: gradient at the −∞ class is {gradient[4 * classes]}");
            Assert.True(double.IsFinite(rows[4].Loss));

            Assert.Equal(double.PositiveInfinity, rows[5].Loss);
            Assert.Equal(IgnoredRow, rows[6]);
            Assert.True(rows[6].Ignored);
            for (int j = 0; j < classes; j++)
            {
                AssertSameBits(0.0, double.CreateTruncating(gradient[(6 * classes) + j]), $"{what}: ignored row gradient [{j}]");
            }

            // Summary: NaN rows make the mean NaN; 6 counted rows, 2 right (rows 1 and 4).
            Assert.True(double.IsNaN(summary.Loss), $"{what}: mean {summary.Loss}");
            Assert.Equal(6, summary.Count);
            Assert.Equal(2, summary.Correct);
            Assert.Equal(2.0 / 6.0, summary.Accuracy);

            // The same rows through two shards give the same predictions, NaN losses and infinities.
            int cut = classes / 2;
            CrossEntropyPartial[] merged = Functional.MergeCrossEntropyPartials(
                left: Functional.CrossEntropyShard<T>(Columns(x, classes, 0, cut), y, classes, 0, cut, options),
                right: Functional.CrossEntropyShard<T>(Columns(x, classes, cut, classes - cut), y, classes, cut, classes - cut, options));
            var shardRows = new CrossEntropyRow[7];
            CrossEntropySummary sharded = Functional.CrossEntropyFromPartials(merged, y, classes, options, shardRows);
            Assert.Equal(summary.Correct, sharded.Correct);
            Assert.True(double.IsNaN(sharded.Loss));
            for (int r = 0; r < 7; r++)
            {
                Assert.Equal(rows[r].Predicted, shardRows[r].Predicted);
                Assert.Equal(double.IsNaN(rows[r].Loss), double.IsNaN(shardRows[r].Loss));
                Assert.Equal(double.IsPositiveInfinity(rows[r].Loss), double.IsPositiveInfinity(shardRows[r].Loss));
            }

            // Double rows: a few double ulps; float rows without a cap run the fused float pass per shard, whose
            // log-sum is within about 20 float ulps of the whole row's.
            AssertClose(rows[4].Loss, shardRows[4].Loss, typeof(T) == typeof(float) ? 2e-6 : 1e-14, $"{what}: sharded row 4");

            // Without the NaN rows, the −∞ target makes the mean +∞.
            int[] keep = [4, 5, 6];
            T[] finiteRows = keep.SelectMany(r => x.Skip(r * classes).Take(classes)).ToArray();
            CrossEntropySummary finite = Functional.CrossEntropyDetailed<T>(finiteRows.AsSpan(), keep.Select(r => y[r]).ToArray(), classes, options);
            Assert.Equal(double.PositiveInfinity, finite.Loss);
            Assert.Equal(2, finite.Count);
        }
    }

    [Fact]
    public void MinusInfinity_AwayFromTheTarget_WithLabelSmoothing_GivesAnInfiniteLoss_AsPyTorch()
    {
        // ε/C·Σⱼ (lse − zⱼ) holds lse − (−∞) = +∞: PyTorch's label_smoothing gives inf too.
        double[] x = [double.NegativeInfinity, 1.0, 2.0];
        var options = new CrossEntropyOptions { LabelSmoothing = 0.1 };
        Assert.Equal(double.PositiveInfinity, Functional.CrossEntropyDetailed<double>(x.AsSpan(), [2], 3, options).Loss);
        Assert.Equal(double.PositiveInfinity, Functional.CrossEntropyDetailed<float>(As<float>(x).AsSpan(), [2], 3, options).Loss);
        Assert.True(double.IsFinite(Functional.CrossEntropyDetailed<double>(x.AsSpan(), [2], 3).Loss));
    }

    [Fact]
    public void SoftCap_SaturatesInfiniteLogits_ToTheCap()
    {
        // z = cap·tanh(x / cap): +∞ becomes the cap and −∞ minus the cap, exactly as a huge finite logit does, so a
        // capped row holding ±∞ has a finite loss (the special values of the uncapped loss apply to the capped logits).
        var options = new CrossEntropyOptions { SoftCap = 5.0, ZLossScale = 1e-4 };
        foreach ((double infinite, double huge) in new[] { (double.PositiveInfinity, 1e300), (double.NegativeInfinity, -1e300) })
        {
            var a = new CrossEntropyRow[1];
            var b = new CrossEntropyRow[1];
            double[] ga = new double[3];
            double[] gb = new double[3];
            Functional.CrossEntropyDetailedWithGradient<double>([0.5, infinite, 2.0], [0], ga, 3, options, a);
            Functional.CrossEntropyDetailedWithGradient<double>([0.5, huge, 2.0], [0], gb, 3, options, b);
            Assert.True(double.IsFinite(a[0].Loss), $"x = {infinite}: loss {a[0].Loss}");
            AssertSameBits([a[0]], [b[0]], $"{infinite} vs {huge} under a cap");
            AssertSameBits(gb, ga, $"{infinite} vs {huge} under a cap: gradient");
        }
    }

    [Fact]
    public void FloatGradient_WhenTheZLossFactorPassesFloatRange_IsTheDoubleGradientRounded_NotNaN()
    {
        // x = [3e38, 0, −1], y = 0, λ = 1, sum: lse ≈ 3e38 and a = 1 + 2λ·lse ≈ 6e38, beyond float's range, while
        // p₁ = p₂ = 0. The gradient is a·p − [j = y]: 6e38 (+∞ once rounded to float), 0 and 0; the double path gives
        // exactly that. Found by LargeVocabularyProperties.Detailed_MatchesDefiningFormula_Float (λ = 0.5, g = −1.63,
        // a row holding 3e38): the fused float path scales its stored exponentials by (float)(scale·a / S) = ∞, and
        // 0·∞ is NaN; the float shard gradient does the same.
        var options = new CrossEntropyOptions { ZLossScale = 1.0, Reduction = Reduction.Sum };
        float[] x = [3e38f, 0f, -1f];
        double[] doubleGradient = new double[3];
        Functional.CrossEntropyDetailedWithGradient<double>(Array.ConvertAll(x, v => (double)v), [0], doubleGradient, 3, options);
        float[] expected = Array.ConvertAll(doubleGradient, v => (float)v);
        Assert.Equal([float.PositiveInfinity, 0f, 0f], expected);

        float[] gradient = new float[3];
        Functional.CrossEntropyDetailedWithGradient<float>(x, [0], gradient, 3, options);
        Assert.Equal(expected, gradient);

        CrossEntropyPartial[] partials = Functional.CrossEntropyShard<float>(x, [0], 3, 0, 3, options);
        float[] shardGradient = new float[3];
        Functional.CrossEntropyShardGradient<float>(x, [0], partials, shardGradient, 3, 0, 3, options);
        Assert.Equal(expected, shardGradient);
    }

    [Fact]
    public void IgnoredRows_GetTheIgnoredEntry_AndAZeroGradient_EvenWithNaNLogits()
    {
        IgnoredRows<double>();
        IgnoredRows<float>();
        IgnoredRows<Half>();
    }

    private static void IgnoredRows<T>()
        where T : IFloatingPointIeee754<T>
    {
        // Ignore index 1, a real class: rows 0 and 2 are ignored and hold NaN, +∞ and −∞.
        const int C = 20;
        var logits = new double[3 * C];
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] = i % 3 == 0 ? double.NaN : i % 3 == 1 ? double.PositiveInfinity : double.NegativeInfinity;
        }

        for (int j = 0; j < C; j++)
        {
            logits[C + j] = 0.1 * j;
        }

        int[] y = [1, 4, 1];
        foreach (CrossEntropyOptions options in new[] { Rich with { IgnoreIndex = 1 }, new CrossEntropyOptions { IgnoreIndex = 1, Reduction = Reduction.Sum } })
        {
            T[] x = As<T>(logits);
            CrossEntropyRow[] rows = SentinelRows(3);
            T[] gradient = Filled<T>(x.Length);
            CrossEntropySummary summary = Functional.CrossEntropyDetailedWithGradient<T>(x, y, gradient, C, options, rows, 2.0);
            Assert.Equal(1, summary.Count);
            Assert.True(double.IsFinite(summary.Loss));
            foreach (int r in new[] { 0, 2 })
            {
                Assert.Equal(IgnoredRow, rows[r]);
                Assert.True(rows[r].Ignored);
                for (int j = 0; j < C; j++)
                {
                    AssertSameBits(0.0, double.CreateTruncating(gradient[(r * C) + j]), $"{typeof(T).Name}: ignored row {r} gradient [{j}]");
                }
            }

            Assert.False(rows[1].Ignored);

            // The shard path: ignored rows get the empty partial and a zero gradient too.
            CrossEntropyPartial[] partials = SentinelPartials(3);
            Functional.CrossEntropyShard<T>(x, y, partials, C, 0, C, options);
            Assert.Equal(CrossEntropyPartial.Empty, partials[0]);
            Assert.Equal(CrossEntropyPartial.Empty, partials[2]);
            T[] shardGradient = Filled<T>(x.Length);
            Functional.CrossEntropyShardGradient<T>(x, y, partials, shardGradient, C, 0, C, options, 2.0);
            var shardRows = SentinelRows(3);
            Functional.CrossEntropyFromPartials(partials, y, C, options, shardRows);
            Assert.Equal(IgnoredRow, shardRows[0]);
            Assert.Equal(IgnoredRow, shardRows[2]);
            for (int i = 0; i < C; i++)
            {
                AssertSameBits(0.0, double.CreateTruncating(shardGradient[i]), $"{typeof(T).Name}: shard gradient of ignored row 0 [{i}]");
                AssertSameBits(0.0, double.CreateTruncating(shardGradient[(2 * C) + i]), $"{typeof(T).Name}: shard gradient of ignored row 2 [{i}]");
            }
        }
    }

    // ---- A small example worked from the formula ----

    [Fact]
    public void SmallExample_LogitsOneTwoThree_TargetZero_ZLossAndCap_MatchesTheFormula()
    {
        // x = [1, 2, 3], y = 0, λ = 1e-4, cap = 2, one row, mean:
        // z = 2·tanh(x / 2), lse = log Σ exp(z), ℓ = lse − z₀ + λ·lse², z-loss λ·lse², prediction argmax z = 2,
        // gradient (1 − (zⱼ/2)²)·(softmax(z)ⱼ·(1 + 2λ·lse) − [j = 0]).
        const double Lambda = 1e-4;
        const double Cap = 2.0;
        double[] x = [1.0, 2.0, 3.0];
        double[] z = x.Select(v => Cap * Math.Tanh(v / Cap)).ToArray();
        double m = z.Max();
        double lse = m + Math.Log(z.Sum(v => Math.Exp(v - m)));
        double zLoss = Lambda * lse * lse;
        double loss = lse - z[0] + zLoss;
        double[] expectedGradient = z.Select((v, j) => (1.0 - ((v / Cap) * (v / Cap))) * ((Math.Exp(v - lse) * (1.0 + (2.0 * Lambda * lse))) - (j == 0 ? 1.0 : 0.0))).ToArray();

        // The same numbers, worked by hand to 9 digits: the formula above is the one meant.
        Assert.Equal(0.924234315, z[0], 9);
        Assert.Equal(2.581656979, lse, 9);
        Assert.Equal(1.658089160, loss, 9);
        Assert.Equal(0.000666495, zLoss, 9);
        Assert.Equal(-0.636450057, expectedGradient[0], 9);
        Assert.Equal(0.145800777, expectedGradient[1], 9);
        Assert.Equal(0.083598925, expectedGradient[2], 9);

        var options = new CrossEntropyOptions { ZLossScale = Lambda, SoftCap = Cap };
        var rows = new CrossEntropyRow[1];
        double[] gradient = new double[3];
        CrossEntropySummary summary = Functional.CrossEntropyDetailedWithGradient<double>(x, [0], gradient, 3, options, rows);
        AssertClose(lse, rows[0].LogSumExp, 1e-15, "lse");
        AssertClose(loss, rows[0].Loss, 1e-15, "loss");
        AssertClose(zLoss, rows[0].ZLoss, 1e-14, "z-loss");
        Assert.Equal(2, rows[0].Predicted);
        Assert.False(rows[0].Correct);
        AssertClose(loss, summary.Loss, 1e-15, "summary loss");
        AssertClose(zLoss, summary.ZLoss, 1e-14, "summary z-loss");
        Assert.Equal(new CrossEntropySummary(summary.Loss, summary.ZLoss, 1, 0, 0.0), summary);
        for (int j = 0; j < 3; j++)
        {
            AssertClose(expectedGradient[j], gradient[j], 1e-14, $"gradient [{j}]");
        }

        // Float and Half inputs (1, 2, 3 are exact): the same rows in double; the gradient rounded once.
        var floatRows = new CrossEntropyRow[1];
        float[] floatGradient = new float[3];
        Functional.CrossEntropyDetailedWithGradient<float>([1f, 2f, 3f], [0], floatGradient, 3, options, floatRows);
        AssertSameBits(rows, floatRows, "float vs double rows (a cap: the double path)");
        var halfRows = new CrossEntropyRow[1];
        Half[] halfGradient = new Half[3];
        Functional.CrossEntropyDetailedWithGradient<Half>([(Half)1, (Half)2, (Half)3], [0], halfGradient, 3, options, halfRows);
        AssertSameBits(rows, halfRows, "Half vs double rows");
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal((float)gradient[j], floatGradient[j]);
            Assert.Equal((Half)gradient[j], halfGradient[j]);
        }
    }

    [Fact]
    public void SmallExample_WithLabelSmoothing_SumAndIgnoredRow_MatchesTheFormula()
    {
        // Two counted rows and an ignored one; ε = 0.1, λ = 1e-2, no cap, sum, upstream gradient 0.5.
        const double Eps = 0.1;
        const double Lambda = 1e-2;
        double[][] x = [[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0], [double.NaN, 0.0, 0.0]];
        int[] y = [0, 2, -100];
        var options = new CrossEntropyOptions { LabelSmoothing = Eps, ZLossScale = Lambda, Reduction = Reduction.Sum };
        var rows = new CrossEntropyRow[3];
        double[] gradient = new double[9];
        CrossEntropySummary summary = Functional.CrossEntropyDetailedWithGradient<double>(x.SelectMany(r => r).ToArray(), y, gradient, 3, options, rows, 0.5);
        double total = 0.0;
        double totalZ = 0.0;
        for (int r = 0; r < 2; r++)
        {
            double m = x[r].Max();
            double lse = m + Math.Log(x[r].Sum(v => Math.Exp(v - m)));
            double z = Lambda * lse * lse;
            double loss = ((1 - Eps) * (lse - x[r][y[r]])) + (Eps / 3 * x[r].Sum(v => lse - v)) + z;
            AssertClose(loss, rows[r].Loss, 1e-14, $"row {r} loss");
            AssertClose(z, rows[r].ZLoss, 1e-14, $"row {r} z-loss");
            Assert.Equal(2, rows[r].Predicted);
            total += loss;
            totalZ += z;
            for (int j = 0; j < 3; j++)
            {
                double expected = 0.5 * ((Math.Exp(x[r][j] - lse) * (1 + (2 * Lambda * lse))) - (Eps / 3) - (j == y[r] ? 1 - Eps : 0.0));
                AssertClose(expected, gradient[(r * 3) + j], 1e-14, $"row {r} gradient [{j}]");
            }
        }

        AssertClose(total, summary.Loss, 1e-14, "summary loss (sum)");
        AssertClose(totalZ, summary.ZLoss, 1e-14, "summary z-loss (sum)");
        Assert.Equal(2, summary.Count);
        Assert.Equal(1, summary.Correct);
        Assert.Equal(0.5, summary.Accuracy);
        Assert.Equal(IgnoredRow, rows[2]);
        Assert.All(gradient.Skip(6), g => AssertSameBits(0.0, g, "ignored row gradient"));
    }

    // ---- Helpers for the bigger problems ----

    /// <summary>N × C logits in [−15, 15) and targets (every 7th row ignored), from a seed.</summary>
    private static (double[] X, int[] Y) Problem(int rows, int classes, int seed)
    {
        var random = new Random(seed);
        double[] x = Enumerable.Range(0, rows * classes).Select(_ => (double)(float)((random.NextDouble() * 30) - 15)).ToArray();
        int[] y = Enumerable.Range(0, rows).Select(i => i % 7 == 3 ? Functional.DefaultIgnoreIndex : random.Next(classes)).ToArray();
        return (x, y);
    }

    /// <summary>Columns [offset, offset + width) of every row of (N, C) data, as (N, width).</summary>
    private static T[] Columns<T>(T[] x, int classes, int offset, int width)
    {
        int rows = x.Length / classes;
        var shard = new T[rows * width];
        for (int n = 0; n < rows; n++)
        {
            Array.Copy(x, (n * classes) + offset, shard, n * width, width);
        }

        return shard;
    }
}

/// <summary>
/// Results do not depend on <see cref="Functional.MaxDegreeOfParallelism"/>, and the span API allocates nothing after
/// warm-up. These tests change the static setting, so they run in <see cref="ParallelismCollection"/> (alone).
/// </summary>
[Collection(nameof(ParallelismCollection))]
public sealed class LargeVocabularyParallelismTests
{
    private static (float[] X, int[] Y) Problem(int rows, int classes, int seed)
    {
        var random = new Random(seed);
        float[] x = Enumerable.Range(0, rows * classes).Select(_ => (float)((random.NextDouble() * 30) - 15)).ToArray();
        int[] y = Enumerable.Range(0, rows).Select(i => i % 7 == 3 ? Functional.DefaultIgnoreIndex : random.Next(classes)).ToArray();
        return (x, y);
    }

    [Theory]
    [InlineData(300, 1000)]   // 10 chunks of 32 rows
    [InlineData(5000, 10)]    // 2 chunks of 3276 rows and a rest
    [InlineData(3, 40000)]    // one row per chunk
    public void Detailed_IsTheSameBitForBit_AtOneTwoAndThreeThreads(int rows, int classes)
    {
        (float[] x, int[] y) = Problem(rows, classes, rows + classes);
        CrossEntropyOptions[] options =
        [
            CrossEntropyOptions.Default,
            new() { LabelSmoothing = 0.1, ZLossScale = 1e-4, Reduction = Reduction.Sum },
            new() { LabelSmoothing = 0.05, ZLossScale = 1e-3, SoftCap = 10.0 },
        ];
        int saved = Functional.MaxDegreeOfParallelism;
        try
        {
            long[]? reference = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Functional.MaxDegreeOfParallelism = threads;
                var bits = new System.Collections.Generic.List<long>();
                foreach (CrossEntropyOptions o in options)
                {
                    bits.AddRange(Run(x, y, classes, o));
                    bits.AddRange(Run(Array.ConvertAll(x, v => (double)v), y, classes, o));
                    bits.AddRange(Run(Array.ConvertAll(x, v => (Half)v), y, classes, o));
                }

                long[] current = [.. bits];
                if (reference is null)
                {
                    reference = current;
                    continue;
                }

                Assert.True(reference.SequenceEqual(current), $"results at {threads} threads differ from those at 1 thread");
            }
        }
        finally
        {
            Functional.MaxDegreeOfParallelism = saved;
        }
    }

    /// <summary>Every bit of the summary, the rows and the gradient, from the span and the tensor overloads.</summary>
    private static long[] Run<T>(T[] x, int[] y, int classes, CrossEntropyOptions options)
        where T : IFloatingPointIeee754<T>
    {
        var rows = new CrossEntropyRow[y.Length];
        var gradient = new T[x.Length];
        CrossEntropySummary summary = Functional.CrossEntropyDetailedWithGradient<T>(x, y, gradient, classes, options, rows, 0.5);
        CrossEntropySummary lossOnly = Functional.CrossEntropyDetailed<T>(new ReadOnlyTensorSpan<T>(x, [y.Length, classes]), y, options);
        var bits = new System.Collections.Generic.List<long>();
        foreach (CrossEntropySummary s in new[] { summary, lossOnly })
        {
            bits.AddRange([BitConverter.DoubleToInt64Bits(s.Loss), BitConverter.DoubleToInt64Bits(s.ZLoss), s.Count, s.Correct, BitConverter.DoubleToInt64Bits(s.Accuracy)]);
        }

        foreach (CrossEntropyRow r in rows)
        {
            bits.AddRange([BitConverter.DoubleToInt64Bits(r.LogSumExp), BitConverter.DoubleToInt64Bits(r.Loss), BitConverter.DoubleToInt64Bits(r.ZLoss), r.Predicted]);
        }

        foreach (T g in gradient)
        {
            bits.Add(BitConverter.DoubleToInt64Bits(double.CreateTruncating(g)));
        }

        return [.. bits];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SpanApi_AllocatesNothing_AfterWarmUp(int threads)
    {
        const int N = 64; // two chunks of 32 rows: the second thread has work
        const int C = 1000;
        const int Cut = 400;
        (float[] x, int[] y) = Problem(N, C, 7);
        double[] xd = Array.ConvertAll(x, v => (double)v);
        Half[] xh = Array.ConvertAll(x, v => (Half)v);
        var gradient = new float[x.Length];
        var gradientD = new double[x.Length];
        var gradientH = new Half[x.Length];
        var rows = new CrossEntropyRow[N];
        float[] left = Columns(x, C, 0, Cut);
        float[] right = Columns(x, C, Cut, C - Cut);
        var leftPartials = new CrossEntropyPartial[N];
        var rightPartials = new CrossEntropyPartial[N];
        var merged = new CrossEntropyPartial[N];
        var leftGradient = new float[left.Length];
        var rightGradient = new float[right.Length];
        var options = new CrossEntropyOptions { LabelSmoothing = 0.1, ZLossScale = 1e-4 };
        var capped = options with { SoftCap = 30.0 };
        int saved = Functional.MaxDegreeOfParallelism;
        try
        {
            Functional.MaxDegreeOfParallelism = threads;
            void Calls()
            {
                Functional.CrossEntropyDetailed<float>(x, y, C, options, rows);
                Functional.CrossEntropyDetailedWithGradient<float>(x, y, gradient, C, options, rows);
                Functional.CrossEntropyDetailedWithGradient<float>(x, y, gradient, C, capped, rows);
                Functional.CrossEntropyDetailedWithGradient<double>(xd, y, gradientD, C, options, rows);
                Functional.CrossEntropyDetailedWithGradient<Half>(xh, y, gradientH, C, capped, rows);
                Functional.CrossEntropyDetailedWithGradient<float>(new ReadOnlyTensorSpan<float>(x, [N, C]), y, new TensorSpan<float>(gradient, [N, C]), options, rows);
                Functional.CrossEntropyShard<float>(left, y, leftPartials, C, 0, Cut, options);
                Functional.CrossEntropyShard<float>(right, y, rightPartials, C, Cut, C - Cut, options);
                Array.Clear(merged);
                Functional.MergeCrossEntropyPartials(leftPartials.AsSpan(), merged.AsSpan());
                Functional.MergeCrossEntropyPartials(rightPartials.AsSpan(), merged.AsSpan());
                Functional.CrossEntropyFromPartials(merged, y, C, options, rows);
                Functional.CrossEntropyShardGradient<float>(left, y, merged, leftGradient, C, 0, Cut, options);
                Functional.CrossEntropyShardGradient<float>(right, y, merged, rightGradient, C, Cut, C - Cut, options);
            }

            Assert.Equal(0, AllocationProbe.FewestBytes(Calls, 20));
        }
        finally
        {
            Functional.MaxDegreeOfParallelism = saved;
        }
    }

    private static T[] Columns<T>(T[] x, int classes, int offset, int width)
    {
        int rows = x.Length / classes;
        var shard = new T[rows * width];
        for (int n = 0; n < rows; n++)
        {
            Array.Copy(x, (n * classes) + offset, shard, n * width, width);
        }

        return shard;
    }
}
