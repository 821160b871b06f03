using System;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// The large-vocabulary API (<see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
/// with its per-row outputs, the shard functions and <see cref="CrossEntropyOptions{T}"/>): every refusal names its
/// parameter, its rule and the value and writes nothing; a missing or twice-merged shard is refused; special values and
/// ignored rows; the tensor overloads; a small example worked from the formula; determinism across threads and no
/// allocation after warm-up.
/// </summary>
public sealed class LargeVocabularyTests
{
    private const double Sentinel = 42.0;

    private static readonly CrossEntropyPartial SentinelPartial = new(new LogSumExpState(Sentinel, Sentinel), Sentinel, 7, Sentinel, Sentinel, 3, 42);

    // 2 × 3 logits, targets 2 and 0.
    private static readonly double[] Input = [0.5, -1.0, 2.0, 1.5, 0.25, -0.75];

    private static readonly int[] Targets = [2, 0];

    private static readonly CrossEntropyOptions<double> Rich = RichOf<double>();

    private static CrossEntropyOptions<T> RichOf<T>()
        where T : IFloatingPointIeee754<T> =>
        new() { LabelSmoothing = 0.1, ZLossScale = 1e-4, SoftCap = 2.0 };

    /// <summary>
    /// Without label smoothing or z-loss, asking for the per-row outputs (losses, log-sum-exps, predictions) does not
    /// change the loss: the summary's loss with them and the loss alone are the same numbers (one row engine, the same
    /// per-row losses summed in the same chunk order), for rows of at most 32 classes (lane tiles), longer float rows
    /// (the fast pass) and double rows (the exact pass), mean, sum and none (Σ ℓ, the sum's value).
    /// </summary>
    [Theory]
    [InlineData(300, 1000)]
    [InlineData(5000, 10)]
    [InlineData(129, 17)]
    [InlineData(129, 33)]     // the shortest rows of the row walk (float: the fast pass)
    [InlineData(3, 40000)]
    public void CrossEntropyWithRowOutputs_IsTheLossAlone_BitForBit_WithoutSmoothingOrZLoss(int rows, int classes)
    {
        var random = new Random((rows * 31) + classes);
        double[] x = Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() * 30) - 15).ToArray();
        int[] y = Enumerable.Range(0, rows).Select(i => i % 7 == 3 ? Functional.DefaultIgnoreIndex : random.Next(classes)).ToArray();
        float[] xf = As<float>(x);
        foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            var optionsFloat = new CrossEntropyOptions<float> { Reduction = reduction };
            float aloneFloat = (float)Functional.CrossEntropy(xf, y, classes, optionsFloat).Loss;
            var rowsFloat = new RowOutputs<float>(rows);
            CrossEntropySummary detailedFloat = Functional.CrossEntropy(
                xf, y, classes, optionsFloat, losses: rowsFloat.Losses, logSumExp: rowsFloat.LogSumExp, predicted: rowsFloat.Predicted);
            Assert.Equal(aloneFloat, (float)detailedFloat.Loss);

            var optionsDouble = new CrossEntropyOptions<double> { Reduction = reduction };
            double aloneDouble = Functional.CrossEntropy(x, y, classes, optionsDouble).Loss;
            var rowsDouble = new RowOutputs<double>(rows);
            CrossEntropySummary detailedDouble = Functional.CrossEntropy(
                x, y, classes, optionsDouble, losses: rowsDouble.Losses, logSumExp: rowsDouble.LogSumExp, predicted: rowsDouble.Predicted);
            Assert.Equal(BitConverter.DoubleToInt64Bits(aloneDouble), BitConverter.DoubleToInt64Bits(detailedDouble.Loss));

            if (reduction == Reduction.None)
            {
                // Σ ℓ, the value of the sum.
                Assert.Equal(
                    BitConverter.DoubleToInt64Bits(Functional.CrossEntropy(x, y, classes, optionsDouble with { Reduction = Reduction.Sum }).Loss),
                    BitConverter.DoubleToInt64Bits(aloneDouble));
            }
        }
    }

    private static T[] As<T>(double[] values)
        where T : IFloatingPointIeee754<T> =>
        Array.ConvertAll(values, T.CreateTruncating);

    private static double D<T>(T value)
        where T : IFloatingPointIeee754<T> =>
        double.CreateTruncating(value);

    private static T[] Filled<T>(int length)
        where T : IFloatingPointIeee754<T>
    {
        var values = new T[length];
        Array.Fill(values, T.CreateTruncating(Sentinel));
        return values;
    }

    private static CrossEntropyPartial[] SentinelPartials(int length) => Enumerable.Repeat(SentinelPartial, length).ToArray();

    /// <summary>One shard's partials in a new array (what the removed array overload of the shard step returned).</summary>
    private static CrossEntropyPartial[] ShardPartials<T>(T[] shard, int[] target, int classes, int shardOffset, int shardClasses, CrossEntropyOptions<T>? options)
        where T : IFloatingPointIeee754<T>
    {
        var partials = new CrossEntropyPartial[target.Length];
        Functional.CrossEntropyShard(shard, target, partials, classes, shardOffset, shardClasses, options);
        return partials;
    }

    /// <summary>The row-by-row merge of two shards' partials into a new array (what the removed pure merge returned); the inputs are not changed.</summary>
    private static CrossEntropyPartial[] Merge(CrossEntropyPartial[] left, CrossEntropyPartial[] right)
    {
        CrossEntropyPartial[] merged = [.. left];
        Functional.MergeCrossEntropyPartials(right, merged);
        return merged;
    }

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

    /// <summary>Every row's lse, loss and prediction the same, bit for bit (so its z-loss λ·lse² and whether it is correct too).</summary>
    private static void AssertSameBits<T>(RowOutputs<T> expected, RowOutputs<T> actual, string what)
        where T : IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertSameBits(D(expected.LogSumExp[i]), D(actual.LogSumExp[i]), $"{what}: row {i} lse");
            AssertSameBits(D(expected.Losses[i]), D(actual.Losses[i]), $"{what}: row {i} loss");
            Assert.Equal(expected.Predicted[i], actual.Predicted[i]);
        }
    }

    private static void AssertSameBits<T>(T[] expected, T[] actual, string what)
        where T : IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertSameBits(D(expected[i]), D(actual[i]), $"{what} [{i}]");
        }
    }

    private static void AssertClose(double expected, double actual, double relative, string what) =>
        Assert.True(
            (double.IsNaN(expected) && double.IsNaN(actual)) || expected == actual || Math.Abs(expected - actual) <= relative * Math.Max(Math.Abs(expected), Math.Abs(actual)),
            $"{what}: expected {expected:R}, got {actual:R}");

    // ---- Validation: CrossEntropy with its per-row outputs and gradient (spans) ----

    [Fact]
    public void CrossEntropy_InvalidArguments_AreRefused_AndNothingIsWritten()
    {
        RowOutputs<double> rows = RowOutputs<double>.Sentinels(2);
        double[] gradient = Filled<double>(6);

        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropy(Input, Targets, 0, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "classes", "at least one class", "Actual value was 0.");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(Input, Targets, 4, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "input", "6 elements", "4 classes");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(Input, [2, 0, 1], 3, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "target", "2 positions", "3 elements");

        // The first target is valid, the second is not: nothing may be written for the first.
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropy(Input, [2, 3], 3, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "target", "Target 3", "3 classes", "position 1");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropy(Input, [2, -1], 3, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "target", "Target -1", "position 1");

        // Each per-row output too short (one value for two rows).
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(Input, Targets, 3, null, losses: rows.Losses.AsSpan(0, 1), logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "losses", "(2)", "holds 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(Input, Targets, 3, null, losses: rows.Losses, logSumExp: rows.LogSumExp.AsSpan(0, 1), predicted: rows.Predicted),
            "logSumExp", "(2)", "holds 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(Input, Targets, 3, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted.AsSpan(0, 1)),
            "predicted", "(2)", "holds 1");
        rows.AssertUntouched();

        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropy(Input, [2, 3], 3, Rich, gradient, rows.Losses, rows.LogSumExp, rows.Predicted), "target", "Target 3");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(Input, Targets, 3, Rich, gradient.AsSpan(0, 5), rows.Losses, rows.LogSumExp, rows.Predicted), "gradient", "too short", "(6)", "holds 5");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(Input, Targets, 3, Rich, gradient, rows.Losses.AsSpan(0, 1), rows.LogSumExp, rows.Predicted), "losses", "holds 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(Input, Targets, 3, Rich, gradient, rows.Losses, rows.LogSumExp.AsSpan(0, 1), rows.Predicted), "logSumExp", "holds 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(Input, Targets, 3, Rich, gradient, rows.Losses, rows.LogSumExp, rows.Predicted.AsSpan(0, 1)), "predicted", "holds 1");
        rows.AssertUntouched();
        AssertUntouched(gradient);

        // The gradient overlapping the input partly is refused (exactly, it is the in-place gradient: below).
        double[] buffer = [.. Input, Sentinel, Sentinel];
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlySpan<double>(buffer, 0, 6), Targets, 3, Rich, buffer.AsSpan(2, 6), rows.Losses, rows.LogSumExp, rows.Predicted),
            "gradient", "must not overlap it otherwise");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlySpan<double>(buffer, 2, 6), Targets, 3, Rich, buffer.AsSpan(0, 6), rows.Losses, rows.LogSumExp, rows.Predicted),
            "gradient", "must not overlap it otherwise");
        Assert.Equal([.. Input, Sentinel, Sentinel], buffer);
        rows.AssertUntouched();

        // The gradient exactly over the input: computed in place, the same numbers as into a separate buffer.
        double[] separate = new double[6];
        var separateRows = new RowOutputs<double>(2);
        CrossEntropySummary expected = Functional.CrossEntropy(Input, Targets, 3, Rich, separate, separateRows.Losses, separateRows.LogSumExp, separateRows.Predicted);
        double[] inPlace = [.. Input];
        var inPlaceRows = new RowOutputs<double>(2);
        CrossEntropySummary actual = Functional.CrossEntropy(inPlace, Targets, 3, Rich, inPlace, inPlaceRows.Losses, inPlaceRows.LogSumExp, inPlaceRows.Predicted);
        AssertSameBits(expected, actual, "in place vs separate gradient");
        AssertSameBits(separateRows, inPlaceRows, "in place vs separate gradient");
        AssertSameBits(separate, inPlace, "in place vs separate gradient: gradient");
    }

    [Fact]
    public void CrossEntropy_EmptyRowOutputs_GiveTheSameSummary_AndLongerOnesAreAllowed()
    {
        CrossEntropySummary without = Functional.CrossEntropy(Input, Targets, 3, Rich);
        RowOutputs<double> rows = RowOutputs<double>.Sentinels(3);
        CrossEntropySummary with = Functional.CrossEntropy(Input, Targets, 3, Rich, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted);
        AssertSameBits(without, with, "empty row outputs vs row outputs");
        rows.AssertSentinel(2);
        Assert.NotEqual(Sentinel, rows.Losses[1]);
        Assert.NotEqual(Sentinel, rows.LogSumExp[1]);
        Assert.NotEqual(RowOutputs<double>.SentinelPrediction, rows.Predicted[1]);
    }

    // ---- Validation: options ----

    [Fact]
    public void Options_InvalidValues_AreRefused_NamingTheOption()
    {
        OptionRefusals<double>();
        OptionRefusals<float>();
        OptionRefusals<Half>();

        // Class weights are checked against C at the call, by the whole-row and the sharded cross entropy alike (a
        // shard of 1 class still takes the weights of all C).
        var weighted = new CrossEntropyOptions<double> { Weight = new[] { 1.0, 2.0 } };
        AssertRefused<ArgumentException>(() => Functional.CrossEntropy(Input, Targets, 3, weighted), "weight", "(3)", "got 2");
        AssertRefused<ArgumentException>(() => Functional.CrossEntropyShard(Input, Targets, new CrossEntropyPartial[2], 3, 0, 3, weighted), "weight", "(3)", "got 2");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShard((ReadOnlySpan<double>)Input.AsSpan(0, 2), Targets, new CrossEntropyPartial[2], 3, 0, 1, weighted with { Weight = new[] { 1.0 } }), "weight", "(3)", "got 1");
    }

    private static void OptionRefusals<T>()
        where T : IFloatingPointIeee754<T>
    {
        foreach (double value in new[] { -1.0, -double.Epsilon, double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            string shown = $"Actual value was {value}."; // the value is reported once, by the runtime
            AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions<T> { SoftCap = value }, "SoftCap", "soft cap", shown);
            AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions<T> { ZLossScale = value }, "ZLossScale", "z-loss scale", shown);
        }

        foreach (double value in new[] { -0.1, 1.0000001, double.NaN, double.PositiveInfinity })
        {
            string shown = $"Actual value was {value}."; // the value is reported once, by the runtime
            AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions<T> { LabelSmoothing = value }, "LabelSmoothing", "between 0.0 and 1.0", shown);
        }

        // Reduction.None is an option of cross entropy now (per-position losses); BatchMean is the KL divergence's only.
        AssertRefused<ArgumentOutOfRangeException>(
            () => _ = new CrossEntropyOptions<T> { Reduction = Reduction.BatchMean }, "Reduction", "KL divergence only", "None, Mean or Sum", "BatchMean");
        Assert.Equal(Reduction.None, new CrossEntropyOptions<T> { Reduction = Reduction.None }.Reduction);
        AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions<T> { Reduction = (Reduction)7 }, "Reduction", "Mean or Sum", "7");
        AssertRefused<ArgumentOutOfRangeException>(() => _ = new CrossEntropyOptions<T> { EmptyMean = (EmptyMean)5 }, "EmptyMean", "NaN or Zero", "5");

        // `with` validates too, and the boundaries are accepted.
        AssertRefused<ArgumentOutOfRangeException>(() => _ = RichOf<T>() with { SoftCap = -2.0 }, "SoftCap", "-2");
        var edges = new CrossEntropyOptions<T> { LabelSmoothing = 1.0, ZLossScale = 0.0, SoftCap = 0.0, Reduction = Reduction.Sum, EmptyMean = EmptyMean.Zero };
        Assert.Equal(1.0, edges.LabelSmoothing);
        Assert.Equal(0.0, new CrossEntropyOptions<T> { LabelSmoothing = 0.0 }.LabelSmoothing);
        Assert.Equal(CrossEntropyOptions<T>.Default, new CrossEntropyOptions<T>());
        Assert.Equal(Functional.DefaultIgnoreIndex, CrossEntropyOptions<T>.Default.IgnoreIndex);
        Assert.Equal(Reduction.Mean, CrossEntropyOptions<T>.Default.Reduction);
    }

    // ---- Validation: shards ----

    [Fact]
    public void Shard_InvalidArguments_AreRefused_AndNothingIsWritten()
    {
        // A (2, 2) shard of classes [1, 3) of 3.
        double[] shard = [-1.0, 2.0, 0.25, -0.75];
        CrossEntropyPartial[] partials = SentinelPartials(2);
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShard(shard, Targets, partials, 0, 0, 2), "classes", "Actual value was 0.");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShard(shard, Targets, partials, 3, 1, 0), "shardClasses", "Actual value was 0.");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShard(shard, Targets, partials, 3, 2, 2), "shardOffset", "[2, 4)", "3 classes");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShard(shard, Targets, partials, 3, -1, 2), "shardOffset", "[-1, 1)");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShard(shard, Targets, partials, 3, 1, 1), "shard", "1 classes for each of the 2 targets", "holds 4");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShard(shard, [2, 3], partials, 3, 1, 2), "target", "Target 3", "position 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShard(shard, Targets, partials.AsSpan(0, 1), 3, 1, 2), "partials", "(2)", "holds 1");
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
        CrossEntropyPartial[] buffer = ShardPartials<double>([1.0, 2.0, 3.0], [0, 0, 0], 1, 0, 1, null);
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
        CrossEntropyPartial[] merged = Merge(
            ShardPartials(left, Targets, 3, 0, 1, Rich),
            ShardPartials(right, Targets, 3, 1, 2, Rich));
        RowOutputs<double> rows = RowOutputs<double>.Sentinels(2);
        double[] gradient = Filled<double>(4);

        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyFromPartials(merged, Targets, 0, Rich, rows.Losses, rows.LogSumExp, rows.Predicted), "classes", "Actual value was 0.");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyFromPartials(merged.AsSpan(0, 1), Targets, 3, Rich, rows.Losses, rows.LogSumExp, rows.Predicted), "partials", "(2)", "got 1");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyFromPartials(merged, [2, 3], 3, Rich, rows.Losses, rows.LogSumExp, rows.Predicted), "target", "Target 3");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyFromPartials(merged, Targets, 3, Rich, rows.Losses.AsSpan(0, 1), rows.LogSumExp, rows.Predicted), "losses", "holds 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyFromPartials(merged, Targets, 3, Rich, rows.Losses, rows.LogSumExp.AsSpan(0, 1), rows.Predicted), "logSumExp", "holds 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyFromPartials(merged, Targets, 3, Rich, rows.Losses, rows.LogSumExp, rows.Predicted.AsSpan(0, 1)), "predicted", "holds 1");

        // The partials of 3 classes finished as 4: row 0 covers 3 of the 4 classes.
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyFromPartials(merged, Targets, 4, Rich, rows.Losses, rows.LogSumExp, rows.Predicted), "partials", "row 0", "3 of the 4 classes");
        rows.AssertUntouched();

        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShardGradient(right, Targets, merged.AsSpan(0, 1), gradient, 3, 1, 2, Rich), "partials", "got 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShardGradient(right, Targets, merged, gradient.AsSpan(0, 3), 3, 1, 2, Rich), "gradient", "too short", "holds 3");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShardGradient(right, Targets, merged, gradient, 3, 2, 2, Rich), "shardOffset", "[2, 4)");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShardGradient(right, Targets, merged, gradient, 3, 1, 0, Rich), "shardClasses", "Actual value was 0.");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShardGradient(right, [2], merged.AsSpan(0, 1), gradient, 3, 1, 2, Rich), "shard", "holds 4");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropyShardGradient(right, [2, -5], merged, gradient, 3, 1, 2, Rich), "target", "Target -5", "position 1");
        AssertUntouched(gradient);

        // The gradient overlapping the shard.
        double[] buffer = [.. right, Sentinel];
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropyShardGradient(new ReadOnlySpan<double>(buffer, 0, 4), Targets, merged, buffer.AsSpan(1, 4), 3, 1, 2, Rich), "gradient", "must not overlap");
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
        CrossEntropyPartial[] pa = ShardPartials(a, y, 4, 0, 2, Rich);
        CrossEntropyPartial[] pb = ShardPartials(b, y, 4, 2, 2, Rich);
        CrossEntropyPartial[] both = Merge(pa, pb);

        // Shard b missing: 2 of the 4 classes.
        AssertPartialsRefused(pa, "covers 2 of the 4 classes");

        // Shard a merged twice (and b missing): the count is right, the coverage is not.
        AssertPartialsRefused(Merge(pa, pa), "not the classes 0 to 3 each once");

        // Both shards, and a merged once more: 6 of 4.
        AssertPartialsRefused(Merge(both, pa), "covers 6 of the 4 classes");

        // Overlapping shards [0, 2) and [1, 3) add up to 4 classes but cover class 1 twice and class 3 never.
        double[] middle = [-1.0, 2.0, 0.25, -0.75];
        CrossEntropyPartial[] pm = ShardPartials(middle, y, 4, 1, 2, Rich);
        AssertPartialsRefused(Merge(pa, pm), "not the classes 0 to 3 each once");

        // A row whose target is ignored is not checked.
        int[] firstIgnored = [Functional.DefaultIgnoreIndex, 1];
        CrossEntropyPartial[] mixed = [pa[0], both[1]];
        CrossEntropySummary summary = Functional.CrossEntropyFromPartials(mixed, firstIgnored, 4, Rich);
        Assert.Equal(1, summary.Count);

        // And the complete merge finishes, equal to the whole rows within a few double ulps.
        var rows = new RowOutputs<double>(2);
        var wholeRows = new RowOutputs<double>(2);
        CrossEntropySummary sharded = Functional.CrossEntropyFromPartials(both, y, 4, Rich, rows.Losses, rows.LogSumExp, rows.Predicted);
        CrossEntropySummary whole = Functional.CrossEntropy(x, y, 4, Rich, losses: wholeRows.Losses, logSumExp: wholeRows.LogSumExp, predicted: wholeRows.Predicted);
        AssertClose(whole.Loss, sharded.Loss, 1e-14, "sharded loss");
        AssertClose(whole.ZLoss, sharded.ZLoss, 1e-14, "sharded z-loss");
        Assert.Equal(whole.Correct, sharded.Correct);

        void AssertPartialsRefused(CrossEntropyPartial[] partials, string fragment)
        {
            RowOutputs<double> sentinelRows = RowOutputs<double>.Sentinels(2);
            double[] gradient = Filled<double>(4);
            AssertRefused<ArgumentException>(
                () => Functional.CrossEntropyFromPartials(partials, y, 4, Rich, sentinelRows.Losses, sentinelRows.LogSumExp, sentinelRows.Predicted), "partials", "row 0", fragment);
            AssertRefused<ArgumentException>(() => Functional.CrossEntropyShardGradient(b, y, partials, gradient, 4, 2, 2, Rich), "partials", "row 0", fragment);
            sentinelRows.AssertUntouched();
            AssertUntouched(gradient);
        }
    }

    // ---- Validation and agreement: tensor overloads ----

    [Fact]
    public void TensorOverloads_InvalidShapes_AreRefused_AndNothingIsWritten()
    {
        double[] wide = [0.5, -1.0, 2.0, 9.0, 1.5, 0.25, -0.75, 9.0];
        RowOutputs<double> rows = RowOutputs<double>.Sentinels(2);
        double[] gradient = Filled<double>(8);

        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [6]), Targets, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "input", "two-dimensional", "rank 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3, 1]), Targets, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "input", "two-dimensional", "rank 3");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [3, 2]), Targets, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "input", "3 rows", "2 elements");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 0]), Targets, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "input", "class dimension", "got 0");

        // Not dense: every other row of a wider matrix, a column-major view, a broadcast row.
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(wide, [2, 3], [4, 1]), Targets, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "input", "dense and row-major", "strides 3 and 1", "got strides 4 and 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3], [1, 2]), Targets, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "input", "dense and row-major", "got strides 1 and 2");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3], [0, 1]), Targets, null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "input", "dense and row-major", "got strides 0 and 1");
        AssertRefused<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3]), [2, 3], null, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted),
            "target", "Target 3");
        rows.AssertUntouched();

        var input = new ReadOnlyTensorSpan<double>(Input, [2, 3]);
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, Rich, new TensorSpan<double>(gradient, [2, 4]), rows.Losses, rows.LogSumExp, rows.Predicted),
            "gradient", "input's shape", "2 × 4");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, Rich, new TensorSpan<double>(gradient, [8]), rows.Losses, rows.LogSumExp, rows.Predicted),
            "gradient", "rank 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, Rich, new TensorSpan<double>(gradient, [2, 3], [4, 1]), rows.Losses, rows.LogSumExp, rows.Predicted),
            "gradient", "dense and row-major", "got strides 4 and 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, Rich, new TensorSpan<double>(gradient, [1, 3]), rows.Losses, rows.LogSumExp, rows.Predicted),
            "gradient", "1 rows", "2 elements");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, Rich, new TensorSpan<double>(gradient, [2, 3]), rows.Losses.AsSpan(0, 1), rows.LogSumExp, rows.Predicted),
            "losses", "holds 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, Rich, new TensorSpan<double>(gradient, [2, 3]), rows.Losses, rows.LogSumExp.AsSpan(0, 1), rows.Predicted),
            "logSumExp", "holds 1");
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(Input, [2, 3]), Targets, Rich, new TensorSpan<double>(gradient, [2, 3]), rows.Losses, rows.LogSumExp, rows.Predicted.AsSpan(0, 1)),
            "predicted", "holds 1");
        rows.AssertUntouched();
        AssertUntouched(gradient);

        // The gradient over the input's own buffer, shifted (exactly over it, it is the in-place gradient: below).
        double[] buffer = [.. Input, Sentinel];
        AssertRefused<ArgumentException>(
            () => Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(buffer, 0, [2, 3], [3, 1]), Targets, Rich, new TensorSpan<double>(buffer, 1, [2, 3], [3, 1]), rows.Losses, rows.LogSumExp, rows.Predicted),
            "gradient", "must not overlap it otherwise");
        Assert.Equal([.. Input, Sentinel], buffer);
        rows.AssertUntouched();
        Assert.Equal(6, input.FlattenedLength);

        // In place: the span overload's gradient, bit for bit.
        double[] spanGradient = new double[6];
        CrossEntropySummary span = Functional.CrossEntropy(Input, Targets, 3, Rich, spanGradient);
        double[] inPlace = [.. Input];
        CrossEntropySummary tensor = Functional.CrossEntropy(new ReadOnlyTensorSpan<double>(inPlace, [2, 3]), Targets, Rich, new TensorSpan<double>(inPlace, [2, 3]));
        AssertSameBits(span, tensor, "tensor in place vs span");
        AssertSameBits(spanGradient, inPlace, "tensor in place vs span: gradient");
    }

    [Fact]
    public void TensorOverloads_AgreeWithTheSpanOverloads_BitForBit()
    {
        TensorAgreement(RichOf<double>());
        TensorAgreement(RichOf<float>());
        TensorAgreement(new CrossEntropyOptions<float> { LabelSmoothing = 0.2, ZLossScale = 1e-3, Reduction = Reduction.Sum });
        TensorAgreement(new CrossEntropyOptions<float> { LabelSmoothing = 0.2, ZLossScale = 1e-3, Reduction = Reduction.None });
        TensorAgreement(RichOf<Half>());
    }

    private static void TensorAgreement<T>(CrossEntropyOptions<T> options)
        where T : IFloatingPointIeee754<T>
    {
        const int N = 37;
        const int C = 53;
        (double[] logits, int[] y) = Problem(N, C, 11);
        T[] x = As<T>(logits);
        T[] gradOutput = options.Reduction == Reduction.None
            ? Enumerable.Range(0, N).Select(n => T.CreateTruncating((0.25 * (n % 5)) - 0.5)).ToArray()
            : [T.CreateTruncating(0.75)];
        var spanRows = new RowOutputs<T>(N);
        var tensorRows = new RowOutputs<T>(N);
        T[] spanGradient = Filled<T>(x.Length);
        T[] tensorGradient = Filled<T>(x.Length);
        CrossEntropySummary span = Functional.CrossEntropy(x, y, C, options, spanGradient, spanRows.Losses, spanRows.LogSumExp, spanRows.Predicted, gradOutput);
        CrossEntropySummary tensor = Functional.CrossEntropy(
            new ReadOnlyTensorSpan<T>(x, [N, C]), y, options, new TensorSpan<T>(tensorGradient, [N, C]), tensorRows.Losses, tensorRows.LogSumExp, tensorRows.Predicted, gradOutput);
        string what = $"{typeof(T).Name} {options.Reduction} tensor vs span";
        AssertSameBits(span, tensor, what);
        AssertSameBits(spanRows, tensorRows, what);
        AssertSameBits(spanGradient, tensorGradient, $"{what}: gradient");

        RowOutputs<T> lossOnlyRows = RowOutputs<T>.Sentinels(N);
        CrossEntropySummary lossOnly = Functional.CrossEntropy(
            new ReadOnlyTensorSpan<T>(x, [N, C]), y, options, losses: lossOnlyRows.Losses, logSumExp: lossOnlyRows.LogSumExp, predicted: lossOnlyRows.Predicted);
        AssertSameBits(span, lossOnly, $"{what}, loss only");
        AssertSameBits(spanRows, lossOnlyRows, $"{what}, loss only");
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
            var options = new CrossEntropyOptions<T> { ZLossScale = 1e-3 };
            var rows = new RowOutputs<T>(7);
            T[] gradient = Filled<T>(x.Length);
            CrossEntropySummary summary = Functional.CrossEntropy(x, y, classes, options, gradient, rows.Losses, rows.LogSumExp, rows.Predicted);
            string what = $"{typeof(T).Name}, C = {classes}";

            int[] predicted = [3, 4, 1, 0, 2, 2, -1];
            for (int r = 0; r < 7; r++)
            {
                Assert.True(predicted[r] == rows.Predicted[r], $"{what}: row {r} predicted {rows.Predicted[r]}, expected {predicted[r]}");
                Assert.Equal(predicted[r] == y[r], rows.Correct(r, y));
            }

            foreach (int r in new[] { 0, 1, 2, 3 })
            {
                Assert.True(T.IsNaN(rows.Losses[r]), $"{what}: row {r} loss {rows.Losses[r]}, expected NaN");
                for (int j = 0; j < classes; j++)
                {
                    // Documented: a row with a NaN loss has a NaN gradient.
                    Assert.True(T.IsNaN(gradient[(r * classes) + j]), $"{what}: row {r} gradient [{j}] is {gradient[(r * classes) + j]}, expected NaN");
                }
            }

            Assert.True(T.IsNaN(rows.LogSumExp[0]) && T.IsNaN(rows.LogSumExp[1]) && T.IsNaN(rows.LogSumExp[2]), what);
            Assert.Equal(T.NegativeInfinity, rows.LogSumExp[3]);

            // Row 4: the loss of the row without class 0, and a zero gradient there.
            double[] without = logits.Skip((4 * classes) + 1).Take(classes - 1).ToArray();
            var reduced = new RowOutputs<T>(1);
            Functional.CrossEntropy(As<T>(without), [1], classes - 1, options, losses: reduced.Losses, logSumExp: reduced.LogSumExp, predicted: reduced.Predicted);
            AssertClose(D(reduced.Losses[0]), D(rows.Losses[4]), 1e-15, $"{what}: row 4 vs the row without its −∞ class");
            AssertClose(D(reduced.LogSumExp[0]), D(rows.LogSumExp[4]), 1e-15, $"{what}: row 4 lse");
            Assert.True(T.IsZero(gradient[4 * classes]), $"{what}: gradient at the −∞ class is {gradient[4 * classes]}");
            Assert.True(T.IsFinite(rows.Losses[4]));

            Assert.Equal(T.PositiveInfinity, rows.Losses[5]);
            rows.AssertIgnored(6);
            Assert.True(rows.Ignored(6));
            for (int j = 0; j < classes; j++)
            {
                AssertSameBits(0.0, D(gradient[(6 * classes) + j]), $"{what}: ignored row gradient [{j}]");
            }

            // Summary: NaN rows make the mean NaN; 6 counted rows, 2 right (rows 1 and 4).
            Assert.True(double.IsNaN(summary.Loss), $"{what}: mean {summary.Loss}");
            Assert.Equal(6, summary.Count);
            Assert.Equal(2, summary.Correct);
            Assert.Equal(2.0 / 6.0, summary.Accuracy);

            // The same rows through two shards give the same predictions, NaN losses and infinities.
            int cut = classes / 2;
            CrossEntropyPartial[] merged = Merge(
                ShardPartials(Columns(x, classes, 0, cut), y, classes, 0, cut, options),
                ShardPartials(Columns(x, classes, cut, classes - cut), y, classes, cut, classes - cut, options));
            var shardRows = new RowOutputs<T>(7);
            CrossEntropySummary sharded = Functional.CrossEntropyFromPartials(merged, y, classes, options, shardRows.Losses, shardRows.LogSumExp, shardRows.Predicted);
            Assert.Equal(summary.Correct, sharded.Correct);
            Assert.True(double.IsNaN(sharded.Loss));
            for (int r = 0; r < 7; r++)
            {
                Assert.Equal(rows.Predicted[r], shardRows.Predicted[r]);
                Assert.Equal(T.IsNaN(rows.Losses[r]), T.IsNaN(shardRows.Losses[r]));
                Assert.Equal(T.IsPositiveInfinity(rows.Losses[r]), T.IsPositiveInfinity(shardRows.Losses[r]));
            }

            // Double rows: a few double ulps; float rows without a cap run the fused float pass per shard, whose
            // log-sum is within about 20 float ulps of the whole row's.
            AssertClose(D(rows.Losses[4]), D(shardRows.Losses[4]), typeof(T) == typeof(float) ? 2e-6 : 1e-14, $"{what}: sharded row 4");

            // Without the NaN rows, the −∞ target makes the mean +∞.
            int[] keep = [4, 5, 6];
            T[] finiteRows = keep.SelectMany(r => x.Skip(r * classes).Take(classes)).ToArray();
            CrossEntropySummary finite = Functional.CrossEntropy(finiteRows, keep.Select(r => y[r]).ToArray(), classes, options);
            Assert.Equal(double.PositiveInfinity, finite.Loss);
            Assert.Equal(2, finite.Count);
        }
    }

    [Fact]
    public void MinusInfinity_AwayFromTheTarget_WithLabelSmoothing_GivesAnInfiniteLoss_AsPyTorch()
    {
        // ε/C·Σⱼ (lse − zⱼ) holds lse − (−∞) = +∞: PyTorch's label_smoothing gives inf too.
        double[] x = [double.NegativeInfinity, 1.0, 2.0];
        Assert.Equal(double.PositiveInfinity, Functional.CrossEntropy(x, [2], 3, new CrossEntropyOptions<double> { LabelSmoothing = 0.1 }).Loss);
        Assert.Equal(double.PositiveInfinity, Functional.CrossEntropy(As<float>(x), [2], 3, new CrossEntropyOptions<float> { LabelSmoothing = 0.1 }).Loss);
        Assert.True(double.IsFinite(Functional.CrossEntropy(x, [2], 3).Loss));
    }

    [Fact]
    public void SoftCap_SaturatesInfiniteLogits_ToTheCap()
    {
        // z = cap·tanh(x / cap): +∞ becomes the cap and −∞ minus the cap, exactly as a huge finite logit does, so a
        // capped row holding ±∞ has a finite loss (the special values of the uncapped loss apply to the capped logits).
        var options = new CrossEntropyOptions<double> { SoftCap = 5.0, ZLossScale = 1e-4 };
        foreach ((double infinite, double huge) in new[] { (double.PositiveInfinity, 1e300), (double.NegativeInfinity, -1e300) })
        {
            var a = new RowOutputs<double>(1);
            var b = new RowOutputs<double>(1);
            double[] ga = new double[3];
            double[] gb = new double[3];
            Functional.CrossEntropy<double, int>([0.5, infinite, 2.0], [0], 3, options, ga, a.Losses, a.LogSumExp, a.Predicted);
            Functional.CrossEntropy<double, int>([0.5, huge, 2.0], [0], 3, options, gb, b.Losses, b.LogSumExp, b.Predicted);
            Assert.True(double.IsFinite(a.Losses[0]), $"x = {infinite}: loss {a.Losses[0]}");
            AssertSameBits(a, b, $"{infinite} vs {huge} under a cap");
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
        var options = new CrossEntropyOptions<float> { ZLossScale = 1.0, Reduction = Reduction.Sum };
        float[] x = [3e38f, 0f, -1f];
        double[] doubleGradient = new double[3];
        Functional.CrossEntropy(Array.ConvertAll(x, v => (double)v), [0], 3, new CrossEntropyOptions<double> { ZLossScale = 1.0, Reduction = Reduction.Sum }, doubleGradient);
        float[] expected = Array.ConvertAll(doubleGradient, v => (float)v);
        Assert.Equal([float.PositiveInfinity, 0f, 0f], expected);

        float[] gradient = new float[3];
        Functional.CrossEntropy(x, [0], 3, options, gradient);
        Assert.Equal(expected, gradient);

        CrossEntropyPartial[] partials = ShardPartials(x, [0], 3, 0, 3, options);
        float[] shardGradient = new float[3];
        Functional.CrossEntropyShardGradient(x, [0], partials, shardGradient, 3, 0, 3, options);
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
        T[] gradOutput = [T.CreateTruncating(2.0)];
        foreach (CrossEntropyOptions<T> options in new[] { RichOf<T>() with { IgnoreIndex = 1 }, new CrossEntropyOptions<T> { IgnoreIndex = 1, Reduction = Reduction.Sum } })
        {
            T[] x = As<T>(logits);
            RowOutputs<T> rows = RowOutputs<T>.Sentinels(3);
            T[] gradient = Filled<T>(x.Length);
            CrossEntropySummary summary = Functional.CrossEntropy(x, y, C, options, gradient, rows.Losses, rows.LogSumExp, rows.Predicted, gradOutput);
            Assert.Equal(1, summary.Count);
            Assert.True(double.IsFinite(summary.Loss));
            foreach (int r in new[] { 0, 2 })
            {
                rows.AssertIgnored(r);
                Assert.True(rows.Ignored(r));
                for (int j = 0; j < C; j++)
                {
                    AssertSameBits(0.0, D(gradient[(r * C) + j]), $"{typeof(T).Name}: ignored row {r} gradient [{j}]");
                }
            }

            Assert.False(rows.Ignored(1));

            // The shard path: ignored rows get the empty partial and a zero gradient too.
            CrossEntropyPartial[] partials = SentinelPartials(3);
            Functional.CrossEntropyShard(x, y, partials, C, 0, C, options);
            Assert.Equal(CrossEntropyPartial.Empty, partials[0]);
            Assert.Equal(CrossEntropyPartial.Empty, partials[2]);
            T[] shardGradient = Filled<T>(x.Length);
            Functional.CrossEntropyShardGradient(x, y, partials, shardGradient, C, 0, C, options, gradOutput);
            RowOutputs<T> shardRows = RowOutputs<T>.Sentinels(3);
            Functional.CrossEntropyFromPartials(partials, y, C, options, shardRows.Losses, shardRows.LogSumExp, shardRows.Predicted);
            shardRows.AssertIgnored(0);
            shardRows.AssertIgnored(2);
            for (int i = 0; i < C; i++)
            {
                AssertSameBits(0.0, D(shardGradient[i]), $"{typeof(T).Name}: shard gradient of ignored row 0 [{i}]");
                AssertSameBits(0.0, D(shardGradient[(2 * C) + i]), $"{typeof(T).Name}: shard gradient of ignored row 2 [{i}]");
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

        var options = new CrossEntropyOptions<double> { ZLossScale = Lambda, SoftCap = Cap };
        var rows = new RowOutputs<double>(1);
        double[] gradient = new double[3];
        int[] y = [0];
        CrossEntropySummary summary = Functional.CrossEntropy(x, y, 3, options, gradient, rows.Losses, rows.LogSumExp, rows.Predicted);
        AssertClose(lse, rows.LogSumExp[0], 1e-15, "lse");
        AssertClose(loss, rows.Losses[0], 1e-15, "loss");
        AssertClose(zLoss, rows.ZLoss(0, Lambda), 1e-14, "z-loss");
        Assert.Equal(2, rows.Predicted[0]);
        Assert.False(rows.Correct(0, y));
        AssertClose(loss, summary.Loss, 1e-15, "summary loss");
        AssertClose(zLoss, summary.ZLoss, 1e-14, "summary z-loss");
        Assert.Equal(new CrossEntropySummary(summary.Loss, summary.ZLoss, 1, 0, 0.0), summary);
        for (int j = 0; j < 3; j++)
        {
            AssertClose(expectedGradient[j], gradient[j], 1e-14, $"gradient [{j}]");
        }

        // Float and Half inputs (1, 2, 3 are exact): the same numbers in double (the summary, bit for bit), the rows
        // and the gradient rounded once.
        var floatRows = new RowOutputs<float>(1);
        float[] floatGradient = new float[3];
        CrossEntropySummary floatSummary = Functional.CrossEntropy<float, int>(
            [1f, 2f, 3f], y, 3, new CrossEntropyOptions<float> { ZLossScale = Lambda, SoftCap = Cap }, floatGradient, floatRows.Losses, floatRows.LogSumExp, floatRows.Predicted);
        AssertSameBits(summary, floatSummary, "float vs double summary (a cap: the double path)");
        AssertSameBits(rows.RoundedTo<float>(), floatRows, "float vs double rows, rounded once (a cap: the double path)");
        var halfRows = new RowOutputs<Half>(1);
        Half[] halfGradient = new Half[3];
        CrossEntropySummary halfSummary = Functional.CrossEntropy<Half, int>(
            [(Half)1, (Half)2, (Half)3], y, 3, new CrossEntropyOptions<Half> { ZLossScale = Lambda, SoftCap = Cap }, halfGradient, halfRows.Losses, halfRows.LogSumExp, halfRows.Predicted);
        AssertSameBits(summary, halfSummary, "Half vs double summary");
        AssertSameBits(rows.RoundedTo<Half>(), halfRows, "Half vs double rows, rounded once");
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
        var options = new CrossEntropyOptions<double> { LabelSmoothing = Eps, ZLossScale = Lambda, Reduction = Reduction.Sum };
        var rows = new RowOutputs<double>(3);
        double[] gradient = new double[9];
        CrossEntropySummary summary = Functional.CrossEntropy(x.SelectMany(r => r).ToArray(), y, 3, options, gradient, rows.Losses, rows.LogSumExp, rows.Predicted, [0.5]);
        double total = 0.0;
        double totalZ = 0.0;
        for (int r = 0; r < 2; r++)
        {
            double m = x[r].Max();
            double lse = m + Math.Log(x[r].Sum(v => Math.Exp(v - m)));
            double z = Lambda * lse * lse;
            double loss = ((1 - Eps) * (lse - x[r][y[r]])) + (Eps / 3 * x[r].Sum(v => lse - v)) + z;
            AssertClose(loss, rows.Losses[r], 1e-14, $"row {r} loss");
            AssertClose(z, rows.ZLoss(r, Lambda), 1e-14, $"row {r} z-loss");
            Assert.Equal(2, rows.Predicted[r]);
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
        rows.AssertIgnored(2);
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

    /// <summary>
    /// The per-row outputs of one cross-entropy call, which replace the removed per-row record: each row's loss and
    /// log-sum-exp in the element type, and its prediction. An ignored row has loss 0, lse NaN and prediction −1; a row
    /// is correct when its prediction is its target, and its z-loss is λ·lse² (0 for an ignored row).
    /// </summary>
    /// <typeparam name="T">The element type of the call.</typeparam>
    internal sealed class RowOutputs<T>
        where T : IFloatingPointIeee754<T>
    {
        /// <summary>The prediction a sentinel row holds (not a class of any test here).</summary>
        public const int SentinelPrediction = 42;

        private const double Sentinel = 42.0;

        /// <summary>Zeroed outputs for <paramref name="length"/> rows.</summary>
        public RowOutputs(int length)
            : this(new T[length], new T[length], new int[length])
        {
        }

        private RowOutputs(T[] losses, T[] logSumExp, int[] predicted)
        {
            Losses = losses;
            LogSumExp = logSumExp;
            Predicted = predicted;
        }

        public T[] Losses { get; }

        public T[] LogSumExp { get; }

        public int[] Predicted { get; }

        public int Length => Predicted.Length;

        /// <summary>Outputs filled with the sentinel 42, to see that nothing is written.</summary>
        public static RowOutputs<T> Sentinels(int length)
        {
            var rows = new RowOutputs<T>(length);
            Array.Fill(rows.Losses, T.CreateTruncating(Sentinel));
            Array.Fill(rows.LogSumExp, T.CreateTruncating(Sentinel));
            Array.Fill(rows.Predicted, SentinelPrediction);
            return rows;
        }

        /// <summary>Whether row <paramref name="row"/> was ignored (its prediction is −1).</summary>
        public bool Ignored(int row) => Predicted[row] < 0;

        /// <summary>Whether row <paramref name="row"/> was predicted right.</summary>
        public bool Correct(int row, int[] target) => !Ignored(row) && Predicted[row] == target[row];

        /// <summary>The row's z-loss λ·lse², 0 for an ignored row.</summary>
        public double ZLoss(int row, double lambda)
        {
            double lse = double.CreateTruncating(LogSumExp[row]);
            return Ignored(row) ? 0.0 : lambda * lse * lse;
        }

        /// <summary>The same rows in another element type, each value rounded once.</summary>
        public RowOutputs<TOther> RoundedTo<TOther>()
            where TOther : IFloatingPointIeee754<TOther> =>
            new(Array.ConvertAll(Losses, TOther.CreateTruncating), Array.ConvertAll(LogSumExp, TOther.CreateTruncating), [.. Predicted]);

        /// <summary>Row <paramref name="row"/> is the ignored row: loss 0, lse NaN, prediction −1.</summary>
        public void AssertIgnored(int row)
        {
            Assert.True(T.IsZero(Losses[row]), $"ignored row {row}: loss {Losses[row]}, expected 0");
            Assert.True(T.IsNaN(LogSumExp[row]), $"ignored row {row}: lse {LogSumExp[row]}, expected NaN");
            Assert.Equal(-1, Predicted[row]);
            Assert.Equal(0.0, ZLoss(row, 1.0));
        }

        /// <summary>Row <paramref name="row"/> still holds the sentinel.</summary>
        public void AssertSentinel(int row)
        {
            Assert.Equal(T.CreateTruncating(Sentinel), Losses[row]);
            Assert.Equal(T.CreateTruncating(Sentinel), LogSumExp[row]);
            Assert.Equal(SentinelPrediction, Predicted[row]);
        }

        /// <summary>Every row still holds the sentinel: nothing was written.</summary>
        public void AssertUntouched()
        {
            for (int row = 0; row < Length; row++)
            {
                AssertSentinel(row);
            }
        }
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

    /// <summary>The options of the determinism test: the defaults, smoothing with z-loss (sum), the same with a cap, and per-row losses with a z-loss.</summary>
    private static CrossEntropyOptions<T>[] OptionSets<T>()
        where T : IFloatingPointIeee754<T> =>
    [
        CrossEntropyOptions<T>.Default,
        new() { LabelSmoothing = 0.1, ZLossScale = 1e-4, Reduction = Reduction.Sum },
        new() { LabelSmoothing = 0.05, ZLossScale = 1e-3, SoftCap = 10.0 },
        new() { ZLossScale = 1e-4, Reduction = Reduction.None },
    ];

    [Theory]
    [InlineData(300, 1000)]   // 10 chunks of 32 rows
    [InlineData(5000, 10)]    // 2 chunks of 3276 rows and a rest
    [InlineData(3, 40000)]    // one row per chunk
    public void CrossEntropy_IsTheSameBitForBit_AtOneTwoAndThreeThreads(int rows, int classes)
    {
        (float[] x, int[] y) = Problem(rows, classes, rows + classes);
        double[] xd = Array.ConvertAll(x, v => (double)v);
        Half[] xh = Array.ConvertAll(x, v => (Half)v);
        CrossEntropyOptions<float>[] floatOptions = OptionSets<float>();
        CrossEntropyOptions<double>[] doubleOptions = OptionSets<double>();
        CrossEntropyOptions<Half>[] halfOptions = OptionSets<Half>();
        int saved = Functional.MaxDegreeOfParallelism;
        try
        {
            long[]? reference = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Functional.MaxDegreeOfParallelism = threads;
                var bits = new System.Collections.Generic.List<long>();
                for (int o = 0; o < floatOptions.Length; o++)
                {
                    bits.AddRange(Run(x, y, classes, floatOptions[o]));
                    bits.AddRange(Run(xd, y, classes, doubleOptions[o]));
                    bits.AddRange(Run(xh, y, classes, halfOptions[o]));
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

    /// <summary>Every bit of the summary, the per-row outputs and the gradient, from the span and the tensor overloads.</summary>
    private static long[] Run<T>(T[] x, int[] y, int classes, CrossEntropyOptions<T> options)
        where T : IFloatingPointIeee754<T>
    {
        var rows = new LargeVocabularyTests.RowOutputs<T>(y.Length);
        var gradient = new T[x.Length];
        T[] gradOutput = options.Reduction == Reduction.None
            ? Enumerable.Repeat(T.CreateTruncating(0.5), y.Length).ToArray()
            : [T.CreateTruncating(0.5)];
        CrossEntropySummary summary = Functional.CrossEntropy(x, y, classes, options, gradient, rows.Losses, rows.LogSumExp, rows.Predicted, gradOutput);
        CrossEntropySummary lossOnly = Functional.CrossEntropy(new ReadOnlyTensorSpan<T>(x, [y.Length, classes]), y, options);
        var bits = new System.Collections.Generic.List<long>();
        foreach (CrossEntropySummary s in new[] { summary, lossOnly })
        {
            bits.AddRange([BitConverter.DoubleToInt64Bits(s.Loss), BitConverter.DoubleToInt64Bits(s.ZLoss), s.Count, s.Correct, BitConverter.DoubleToInt64Bits(s.Accuracy)]);
        }

        for (int r = 0; r < y.Length; r++)
        {
            bits.AddRange([
                BitConverter.DoubleToInt64Bits(double.CreateTruncating(rows.LogSumExp[r])),
                BitConverter.DoubleToInt64Bits(double.CreateTruncating(rows.Losses[r])),
                rows.Predicted[r]]);
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
        var rows = new LargeVocabularyTests.RowOutputs<float>(N);
        var rowsD = new LargeVocabularyTests.RowOutputs<double>(N);
        var rowsH = new LargeVocabularyTests.RowOutputs<Half>(N);
        float[] left = Columns(x, C, 0, Cut);
        float[] right = Columns(x, C, Cut, C - Cut);
        var leftPartials = new CrossEntropyPartial[N];
        var rightPartials = new CrossEntropyPartial[N];
        var merged = new CrossEntropyPartial[N];
        var leftGradient = new float[left.Length];
        var rightGradient = new float[right.Length];
        var options = new CrossEntropyOptions<float> { LabelSmoothing = 0.1, ZLossScale = 1e-4 };
        var capped = options with { SoftCap = 30.0 };
        var optionsD = new CrossEntropyOptions<double> { LabelSmoothing = 0.1, ZLossScale = 1e-4 };
        var cappedH = new CrossEntropyOptions<Half> { LabelSmoothing = 0.1, ZLossScale = 1e-4, SoftCap = 30.0 };
        int saved = Functional.MaxDegreeOfParallelism;
        try
        {
            Functional.MaxDegreeOfParallelism = threads;
            void Calls()
            {
                Functional.CrossEntropy(x, y, C, options, losses: rows.Losses, logSumExp: rows.LogSumExp, predicted: rows.Predicted);
                Functional.CrossEntropy(x, y, C, options, gradient, rows.Losses, rows.LogSumExp, rows.Predicted);
                Functional.CrossEntropy(x, y, C, capped, gradient, rows.Losses, rows.LogSumExp, rows.Predicted);
                Functional.CrossEntropy(xd, y, C, optionsD, gradientD, rowsD.Losses, rowsD.LogSumExp, rowsD.Predicted);
                Functional.CrossEntropy(xh, y, C, cappedH, gradientH, rowsH.Losses, rowsH.LogSumExp, rowsH.Predicted);
                Functional.CrossEntropy(new ReadOnlyTensorSpan<float>(x, [N, C]), y, options, new TensorSpan<float>(gradient, [N, C]), rows.Losses, rows.LogSumExp, rows.Predicted);
                Functional.CrossEntropyShard(left, y, leftPartials, C, 0, Cut, options);
                Functional.CrossEntropyShard(right, y, rightPartials, C, Cut, C - Cut, options);
                Array.Clear(merged);
                Functional.MergeCrossEntropyPartials(leftPartials.AsSpan(), merged.AsSpan());
                Functional.MergeCrossEntropyPartials(rightPartials.AsSpan(), merged.AsSpan());
                Functional.CrossEntropyFromPartials(merged, y, C, options, rows.Losses, rows.LogSumExp, rows.Predicted);
                Functional.CrossEntropyShardGradient(left, y, merged, leftGradient, C, 0, Cut, options);
                Functional.CrossEntropyShardGradient(right, y, merged, rightGradient, C, Cut, C - Cut, options);
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
