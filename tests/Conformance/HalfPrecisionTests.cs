using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xent.Parity;
using Xunit;

namespace Xent.Conformance;

/// <summary>
/// One case of Data/torch-half-cases.jsonl: a golden case (read by the parity tool's reader) and libtorch's float16
/// answers; libtorch's float32 gradient is there too except for the cases of 1000 elements or more.
/// </summary>
public sealed record HalfCase(GoldenCase Golden, TensorData TorchFloat16, TensorData TorchFloat16GradInput, TensorData? TorchFloat32GradInput)
{
    /// <summary>The fields this file adds to the golden format; the golden reader refuses unknown fields, so they are taken out first.</summary>
    public static IReadOnlyList<string> AddedFields { get; } = ["torch_float16", "torch_float16_grad_input", "torch_float32_grad_input"];
}

/// <summary>The half-precision cases (Data/torch-half-cases.jsonl, copied to the output directory), read once.</summary>
public static class HalfData
{
    /// <summary>Every case in the file.</summary>
    public const int TotalCases = 166;

    private static readonly Lazy<IReadOnlyList<HalfCase>> All = new(Read);

    private static readonly Lazy<FrozenDictionary<string, HalfCase>> ById =
        new(() => All.Value.ToFrozenDictionary(c => c.Golden.Id, StringComparer.Ordinal));

    /// <summary>Where the copied data file is.</summary>
    public static string FilePath => Path.Combine(AppContext.BaseDirectory, "Data", "torch-half-cases.jsonl");

    /// <summary>Every case, in file order.</summary>
    public static IReadOnlyList<HalfCase> Cases => All.Value;

    /// <summary>The case named <paramref name="id"/>.</summary>
    public static HalfCase Get(string id) => ById.Value[id];

    /// <summary>Theory rows: every case id, in file order.</summary>
    public static TheoryData<string> Rows() => [.. Cases.Select(c => c.Golden.Id)];

    /// <summary>
    /// Takes the added fields out of each line, reads what is left with <see cref="GoldenFile.Read(TextReader, string)"/>
    /// (validation, line numbers, unique ids) and pairs each case with libtorch's float16 answers.
    /// </summary>
    private static IReadOnlyList<HalfCase> Read()
    {
        var added = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var stripped = new StringWriter();
        foreach (string line in File.ReadLines(FilePath))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                stripped.WriteLine();
                continue;
            }

            JsonObject json = JsonNode.Parse(line)!.AsObject();
            var extra = new JsonObject();
            foreach (string field in HalfCase.AddedFields)
            {
                if (json.TryGetPropertyValue(field, out JsonNode? value))
                {
                    json.Remove(field);
                    extra[field] = value;
                }
            }

            added[json["id"]!.GetValue<string>()] = extra;
            stripped.WriteLine(json.ToJsonString());
        }

        return [.. GoldenFile.Read(new StringReader(stripped.ToString()), FilePath).Select(c => new HalfCase(
            c,
            Tensor(added[c.Id], "torch_float16", c.Id) ?? throw new FormatException($"{c.Id}: torch_float16 is missing."),
            Tensor(added[c.Id], "torch_float16_grad_input", c.Id) ?? throw new FormatException($"{c.Id}: torch_float16_grad_input is missing."),
            Tensor(added[c.Id], "torch_float32_grad_input", c.Id)))];
    }

    private static TensorData? Tensor(JsonObject fields, string name, string id)
    {
        TensorData? tensor = fields[name]?.Deserialize<TensorData>(ParityJson.Options);
        tensor?.Validate($"{id}: {name}");
        return tensor;
    }
}

/// <summary>Xent's answer to a case with T = Half: the value and the gradient, both as float16.</summary>
public sealed record HalfAnswer(Half[] Value, Half[] GradInput);

/// <summary>Runs a golden case through the kernel (<see cref="Functional"/>) with T = Half.</summary>
public static class HalfKernel
{
    /// <summary>The value and the gradient of sum(value · grad_output) (grad_output absent = ones).</summary>
    public static HalfAnswer Answer(GoldenCase golden)
    {
        Half[] input = Halves(golden.Input.Data);
        Half[] gradInput = new Half[input.Length];
        int[] shape = golden.Input.Shape;
        Half[] gradOutput = golden.GradOutput is { } g ? Halves(g.Data) : [];
        Half[] weight = golden.Weight is { } w ? Halves(w) : [];
        Reduction reduction = golden.Reduction switch
        {
            null or "mean" => Reduction.Mean,
            "sum" => Reduction.Sum,
            _ => Reduction.None,
        };
        switch (golden.Op)
        {
            case "cross_entropy" or "nll_loss":
            {
                int classes = shape[1];
                int inner = shape.Skip(2).Aggregate(1, (a, b) => a * b);
                int ignoreIndex = golden.IgnoreIndex ?? Functional.DefaultIgnoreIndex;
                double labelSmoothing = golden.LabelSmoothing ?? 0.0;
                bool nll = golden.Op == "nll_loss";

                // NLL takes no label smoothing (the old NllLoss had no such argument).
                var options = new CrossEntropyOptions<Half>
                {
                    Reduction = reduction,
                    Weight = weight,
                    IgnoreIndex = ignoreIndex,
                    LabelSmoothing = nll ? 0.0 : labelSmoothing,
                };
                if (golden.TargetKind == GoldenCase.ProbabilityTargets)
                {
                    Half[] target = Halves(golden.Target!.Data);
                    if (reduction == Reduction.None)
                    {
                        var losses = new Half[gradOutput.Length];
                        Functional.CrossEntropyProbabilities<Half>(input, target, classes, options, gradInput, losses, gradOutput: gradOutput, inner: inner);
                        return new HalfAnswer(losses, gradInput);
                    }

                    Half loss = (Half)Functional.CrossEntropyProbabilities<Half>(input, target, classes, options, gradInput, inner: inner).Loss;
                    Assert.Equal((Half)Functional.CrossEntropyProbabilities<Half>(input, target, classes, options, inner: inner).Loss, loss);
                    return new HalfAnswer([loss], gradInput);
                }

                int[] indices = Array.ConvertAll(golden.Target!.Data, v => (int)v);
                if (reduction == Reduction.None)
                {
                    var losses = new Half[indices.Length];
                    if (nll)
                    {
                        Functional.NllLoss<Half, int>(input, indices, classes, options, gradInput, losses, gradOutput, inner);
                    }
                    else
                    {
                        Functional.CrossEntropy<Half, int>(input, indices, classes, options, gradInput, losses, gradOutput: gradOutput, inner: inner);
                    }

                    return new HalfAnswer(losses, gradInput);
                }

                Half value = nll
                    ? Functional.NllLoss<Half, int>(input, indices, classes, options, gradInput, inner: inner)
                    : (Half)Functional.CrossEntropy<Half, int>(input, indices, classes, options, gradInput, inner: inner).Loss;
                Half lossOnly = nll
                    ? Functional.NllLoss<Half, int>(input, indices, classes, options, inner: inner)
                    : (Half)Functional.CrossEntropy<Half, int>(input, indices, classes, options, inner: inner).Loss;
                Assert.Equal(lossOnly, value);
                return new HalfAnswer([value], gradInput);
            }

            case "log_softmax" or "softmax" or "logsumexp":
            {
                int dim = golden.Dim!.Value;
                int classes = shape[dim];
                int inner = shape.Skip(dim + 1).Aggregate(1, (a, b) => a * b);
                if (golden.Op == "logsumexp")
                {
                    var result = new Half[input.Length / classes];
                    Functional.LogSumExp<Half>(input, result, classes, inner);
                    Functional.LogSumExpBackward<Half>(input, result, gradOutput, gradInput, classes, inner);
                    return new HalfAnswer(result, gradInput);
                }

                var output = new Half[input.Length];
                if (golden.Op == "softmax")
                {
                    Functional.Softmax<Half>(input, output, classes, inner);
                    Functional.SoftmaxBackward<Half>(output, gradOutput, gradInput, classes, inner);
                }
                else
                {
                    Functional.LogSoftmax<Half>(input, output, classes, inner);
                    Functional.LogSoftmaxBackward<Half>(output, gradOutput, gradInput, classes, inner);
                }

                return new HalfAnswer(output, gradInput);
            }

            case "binary_cross_entropy_with_logits":
            {
                Half[] target = Halves(golden.Target!.Data);
                Half[] posWeight = golden.PosWeight is { } p ? Halves(p) : [];
                if (reduction == Reduction.None)
                {
                    var losses = new Half[input.Length];
                    Functional.BinaryCrossEntropyWithLogits<Half>(input, target, Reduction.None, weight, posWeight, gradInput, losses, gradOutput);
                    return new HalfAnswer(losses, gradInput);
                }

                Half loss = Functional.BinaryCrossEntropyWithLogits<Half>(input, target, reduction, weight, posWeight, gradInput);
                Assert.Equal(Functional.BinaryCrossEntropyWithLogits<Half>(input, target, reduction, weight, posWeight), loss);
                return new HalfAnswer([loss], gradInput);
            }

            case "kl_div":
            {
                Half[] target = Halves(golden.Target!.Data);
                bool logTarget = golden.LogTarget ?? false;
                if (golden.Reduction == "none")
                {
                    var losses = new Half[input.Length];
                    Functional.KlDiv<Half>(input, target, Reduction.None, logTarget, gradient: gradInput, losses: losses, gradOutput: gradOutput);
                    return new HalfAnswer(losses, gradInput);
                }

                Reduction klReduction = golden.Reduction switch
                {
                    "sum" => Reduction.Sum,
                    "batchmean" => Reduction.BatchMean,
                    _ => Reduction.Mean,
                };
                Half loss = Functional.KlDiv<Half>(input, target, klReduction, logTarget, shape[0], gradInput);
                Assert.Equal(Functional.KlDiv<Half>(input, target, klReduction, logTarget, shape[0]), loss);
                return new HalfAnswer([loss], gradInput);
            }

            default:
                throw new InvalidOperationException($"{golden.Id}: no Half mapping for {golden.Op}.");
        }
    }

    /// <summary>The values as float16; every number of the data file's inputs is a float16 value, so this is exact.</summary>
    public static Half[] Halves(double[] data) => Array.ConvertAll(data, v =>
    {
        var h = (Half)v;
        return (double)h == v ? h : throw new FormatException($"{v:R} is not a float16 value.");
    });
}


/// <summary>
/// The float16 tolerances, per element, with e the float64 truth (libtorch's float64 answer on the same float16
/// inputs), x Xent's float16 answer and h libtorch's (the reasoning is in Data/README.md, "Half precision").
/// </summary>
public static class HalfTolerance
{
    /// <summary>float16's unit roundoff, 2⁻¹¹: rounding a normal value to float16 changes it by at most this, relatively.</summary>
    public static readonly double UnitRoundoff = Math.ScaleB(1.0, -11);

    /// <summary>2⁻²⁵, half the spacing of the subnormals: rounding a subnormal value changes it by at most this.</summary>
    public static readonly double SubnormalRoundoff = Math.ScaleB(1.0, -25);

    /// <summary>The spacing of float16 values at |<paramref name="value"/>|: 2^(⌊log2 |v|⌋ − 10), and 2⁻²⁴ in the subnormal range.</summary>
    public static double Ulp(double value)
    {
        double a = Math.Abs(value);
        return a < Math.ScaleB(1.0, -14) ? Math.ScaleB(1.0, -24) : Math.ScaleB(1.0, Math.ILogB(a) - 10);
    }

    /// <summary>
    /// The float64 truth's own error, which decides only near-ties: 1e-12·(1 + |e|), four orders of magnitude below the
    /// smallest float16 spacing (2⁻²⁴ ≈ 6e-8) for every value in the file (all below 100 in magnitude).
    /// </summary>
    public static double Noise(double e) => 1e-12 * (1 + Math.Abs(e));

    /// <summary>x is e rounded once to float16: no float16 value is nearer to e.</summary>
    public static bool IsRoundedOnce(double x, double e) => Math.Abs(x - e) <= Math.Abs((double)(Half)e - e) + Noise(e);

    /// <summary>x is no farther from e than libtorch's float16 answer h.</summary>
    public static bool IsNoFartherThan(double x, double h, double e) => Math.Abs(x - e) <= Math.Abs(h - e) + Noise(e);

    /// <summary>
    /// x is a value within <paramref name="propagated"/> of e rounded once: |x − e| ≤ P + ½·ulp(|e| + P). P is the
    /// error an intermediate float16 rounding inside the computation carries to the result (<see cref="HalfBounds"/>).
    /// </summary>
    public static bool IsWithin(double x, double e, double propagated) =>
        Math.Abs(x - e) <= propagated + Ulp(Math.Abs(e) + propagated) / 2 + Noise(e);
}

/// <summary>
/// The propagated errors P of the two computations whose float16 result is not the float64 truth rounded once, per
/// element of the gradient.
/// </summary>
public static class HalfBounds
{
    /// <summary>
    /// Cross-entropy gradients. The kernel stores each exp(x[c] − m) in the gradient buffer, that is in float16, and
    /// rescales it there: g[c] = s·(E[c]/S·A − B[c]), with S the row's sum of exponentials (≥ 1, from the unrounded
    /// values), A the softmax factor, B[c] the target term and s the reduction's scale. Storing E[c] changes it by at
    /// most u·E[c] + 2⁻²⁵ (u = 2⁻¹¹), so g[c] by at most |s·A|·(u·p[c] + 2⁻²⁵), and s·A·p[c] = g[c] + s·B[c]:
    /// P = u·|e + s·B[c]| + 2⁻²⁵·|s·A|. Ignored positions get P = 0 (their gradient must be exactly 0).
    /// </summary>
    public static double[] CrossEntropy(GoldenCase golden)
    {
        int[] shape = golden.Input.Shape;
        int classes = shape[1];
        int inner = shape.Skip(2).Aggregate(1, (a, b) => a * b);
        int positions = shape[0] * inner;
        double[] target = golden.Target!.Data;
        double[] weight = golden.Weight ?? Enumerable.Repeat(1.0, classes).ToArray();
        double epsilon = golden.LabelSmoothing ?? 0.0;
        int ignoreIndex = golden.IgnoreIndex ?? Functional.DefaultIgnoreIndex;
        bool probabilities = golden.TargetKind == GoldenCase.ProbabilityTargets;
        double[] e = golden.ExpectedGradInput!.Data;

        double meanScale = probabilities
            ? 1.0 / positions
            : 1.0 / target.Where(t => (int)t != ignoreIndex).Sum(t => weight[(int)t]);
        var bound = new double[e.Length];
        for (int p = 0; p < positions; p++)
        {
            int outer = p / inner;
            int position = p % inner;
            int At(int c) => (outer * classes + c) * inner + position;
            double scale = golden.Reduction switch
            {
                "sum" => 1.0,
                "none" => golden.GradOutput!.Data[p],
                _ => meanScale,
            };

            var b = new double[classes];
            if (probabilities)
            {
                for (int c = 0; c < classes; c++)
                {
                    b[c] = weight[c] * ((1 - epsilon) * target[At(c)] + epsilon / classes);
                }
            }
            else
            {
                int y = (int)target[p];
                if (y == ignoreIndex)
                {
                    continue;
                }

                for (int c = 0; c < classes; c++)
                {
                    b[c] = epsilon / classes * weight[c] + (c == y ? (1 - epsilon) * weight[y] : 0.0);
                }
            }

            double a = b.Sum();
            for (int c = 0; c < classes; c++)
            {
                bound[At(c)] = HalfTolerance.UnitRoundoff * Math.Abs(e[At(c)] + scale * b[c])
                    + HalfTolerance.SubnormalRoundoff * Math.Abs(scale * a);
            }
        }

        return bound;
    }

    /// <summary>
    /// Backward passes of log_softmax, softmax and logsumexp. They take the forward result, which is float16 (ô, Xent's
    /// own, itself the truth o rounded once), and compute the vector-Jacobian product from it in double, rounded once;
    /// PyTorch's backward does the same. P is what that rounding of the forward result changes in the exact product:
    /// for log_softmax P = |exp(ô[c]) − exp(o[c])|·|Σ_k g[k]|; for softmax
    /// P = |ŷ[c]·(g[c] − Σ_k g[k]·ŷ[k]) − y[c]·(g[c] − Σ_k g[k]·y[k])|; for logsumexp P = |g|·|exp(x[c] − r̂) − exp(x[c] − r)|.
    /// </summary>
    public static double[] Normalizer(GoldenCase golden, Half[] forward)
    {
        int[] shape = golden.Input.Shape;
        int dim = golden.Dim!.Value;
        int classes = shape[dim];
        int inner = shape.Skip(dim + 1).Aggregate(1, (a, b) => a * b);
        int positions = golden.Input.Data.Length / classes;
        double[] x = golden.Input.Data;
        double[] g = golden.GradOutput!.Data;
        double[] truth = golden.Expected!.Data;
        var bound = new double[x.Length];
        for (int p = 0; p < positions; p++)
        {
            int start = p / inner * classes * inner + p % inner;
            int At(int c) => start + c * inner;
            switch (golden.Op)
            {
                case "logsumexp":
                    for (int c = 0; c < classes; c++)
                    {
                        bound[At(c)] = Math.Abs(g[p]) * Math.Abs(Math.Exp(x[At(c)] - (double)forward[p]) - Math.Exp(x[At(c)] - truth[p]));
                    }

                    break;
                case "log_softmax":
                {
                    double sum = Enumerable.Range(0, classes).Sum(c => g[At(c)]);
                    for (int c = 0; c < classes; c++)
                    {
                        bound[At(c)] = Math.Abs(Math.Exp((double)forward[At(c)]) - Math.Exp(truth[At(c)])) * Math.Abs(sum);
                    }

                    break;
                }

                default:
                {
                    double rounded = Enumerable.Range(0, classes).Sum(c => g[At(c)] * (double)forward[At(c)]);
                    double exact = Enumerable.Range(0, classes).Sum(c => g[At(c)] * truth[At(c)]);
                    for (int c = 0; c < classes; c++)
                    {
                        bound[At(c)] = Math.Abs((double)forward[At(c)] * (g[At(c)] - rounded) - truth[At(c)] * (g[At(c)] - exact));
                    }

                    break;
                }
            }
        }

        return bound;
    }
}

/// <summary>
/// Xent with T = Half on the inputs of Data/torch-half-cases.jsonl, against libtorch's float16 answers and the float64
/// truth (the tolerances are <see cref="HalfTolerance"/>'s).
/// </summary>
public sealed class HalfPrecisionTests(ITestOutputHelper output)
{
    /// <summary>Cases per op: a truncated or filtered file is caught where it happened.</summary>
    private static readonly Dictionary<string, int> CasesPerOp = new(StringComparer.Ordinal)
    {
        ["cross_entropy"] = 69,
        ["nll_loss"] = 20,
        ["log_softmax"] = 11,
        ["softmax"] = 11,
        ["logsumexp"] = 11,
        ["binary_cross_entropy_with_logits"] = 27,
        ["kl_div"] = 17,
    };

    /// <summary>Theory rows of the facade test: the cross_entropy, log_softmax and softmax cases.</summary>
    public static TheoryData<string> FacadeRows()
    {
        var rows = new TheoryData<string>();
        foreach (HalfCase c in HalfData.Cases.Where(c => c.Golden.Op is "cross_entropy" or "log_softmax" or "softmax").OrderBy(c => c.Golden.Id, StringComparer.Ordinal))
        {
            rows.Add(c.Golden.Id);
        }

        return rows;
    }

    [Fact]
    public void DataFile_HoldsTheExpectedCases()
    {
        Assert.True(new FileInfo(HalfData.FilePath).Length < 2_000_000, "the data file should stay under 2 MB");
        Assert.Equal(HalfData.TotalCases, HalfData.Cases.Count);
        foreach ((string op, int count) in CasesPerOp)
        {
            Assert.Equal(count, HalfData.Cases.Count(c => c.Golden.Op == op));
        }

        // Rows of 1, 3, 10, 1000 and 32000 classes; logits up to ±60; every reduction; ignore_index, smoothing, weights.
        HashSet<int> classes = [.. HalfData.Cases.Where(c => c.Golden.Op == "cross_entropy").Select(c => c.Golden.Input.Shape[1])];
        Assert.Superset(new HashSet<int> { 1, 3, 10, 1000, 32000 }, classes);
        Assert.Contains(HalfData.Cases, c => c.Golden.Input.Data.Max(Math.Abs) == 60);
        Assert.Equal(["batchmean", "mean", "none", "sum"], HalfData.Cases.Select(c => c.Golden.Reduction).OfType<string>().Distinct().Order(StringComparer.Ordinal));
        Assert.Contains(HalfData.Cases, c => c.Golden.IgnoreIndex is >= 0);
        Assert.Contains(HalfData.Cases, c => c.Golden.Target?.Data.Contains(-100) == true);
        Assert.Contains(HalfData.Cases, c => c.Golden.LabelSmoothing > 0);
        Assert.Contains(HalfData.Cases, c => c.Golden.Weight is not null);

        foreach (HalfCase c in HalfData.Cases)
        {
            // Every input is a float16 value (Halves throws otherwise) and libtorch's answers have the float64 answers' shapes.
            HalfKernel.Halves(c.Golden.Input.Data);
            HalfKernel.Halves(c.Golden.TargetKind == GoldenCase.ProbabilityTargets ? c.Golden.Target!.Data : []);
            HalfKernel.Halves(c.Golden.Weight ?? []);
            HalfKernel.Halves(c.Golden.PosWeight ?? []);
            HalfKernel.Halves(c.Golden.GradOutput?.Data ?? []);
            Assert.Equal(c.Golden.Expected!.Shape, c.TorchFloat16.Shape);
            Assert.Equal(c.Golden.Input.Shape, c.Golden.ExpectedGradInput!.Shape);
            Assert.Equal(c.Golden.Input.Shape, c.TorchFloat16GradInput.Shape);
            Assert.Equal(c.Golden.Input.Data.Length < 1000 ? c.Golden.Input.Shape : null, c.TorchFloat32GradInput?.Shape);
        }
    }

    /// <summary>Every value (loss, per-element loss, normalized output, log-sum-exp) is computed in double from the float16 inputs and rounded once.</summary>
    [Theory]
    [MemberData(nameof(HalfData.Rows), MemberType = typeof(HalfData))]
    public void Value_IsTheTruthRoundedOnce_SoNoFartherFromItThanLibtorch(string id)
    {
        HalfCase c = HalfData.Get(id);
        HalfAnswer answer = HalfKernel.Answer(c.Golden);
        double[] e = c.Golden.Expected!.Data;
        Assert.Equal(e.Length, answer.Value.Length);
        for (int i = 0; i < e.Length; i++)
        {
            double x = (double)answer.Value[i];
            double h = Torch(c.TorchFloat16.Data[i]);
            Assert.True(HalfTolerance.IsRoundedOnce(x, e[i]), Describe(c, "value", c.Golden.Expected.FormatIndex(i), x, h, e[i]));
            Assert.True(HalfTolerance.IsNoFartherThan(x, h, e[i]), Describe(c, "value", c.Golden.Expected.FormatIndex(i), x, h, e[i]));
        }
    }

    /// <summary>
    /// NLL, BCE-with-logits and KL gradients are rounded once too; cross-entropy and normalizer gradients carry one
    /// intermediate float16 rounding, and are within <see cref="HalfBounds"/>' propagated error of the truth rounded once.
    /// </summary>
    [Theory]
    [MemberData(nameof(HalfData.Rows), MemberType = typeof(HalfData))]
    public void Gradient_IsTheTruthRoundedOnce_OrWithinItsPropagatedBound(string id)
    {
        HalfCase c = HalfData.Get(id);
        HalfAnswer answer = HalfKernel.Answer(c.Golden);
        double[] e = c.Golden.ExpectedGradInput!.Data;
        Assert.Equal(e.Length, answer.GradInput.Length);
        double[]? propagated = Propagated(c, answer);
        for (int i = 0; i < e.Length; i++)
        {
            double x = (double)answer.GradInput[i];
            double h = Torch(c.TorchFloat16GradInput.Data[i]);
            string where = c.Golden.ExpectedGradInput.FormatIndex(i);
            if (propagated is null)
            {
                Assert.True(HalfTolerance.IsRoundedOnce(x, e[i]), Describe(c, "gradient", where, x, h, e[i]));
                Assert.True(HalfTolerance.IsNoFartherThan(x, h, e[i]), Describe(c, "gradient", where, x, h, e[i]));
            }
            else
            {
                Assert.True(HalfTolerance.IsWithin(x, e[i], propagated[i]), Describe(c, "gradient", where, x, h, e[i]) + $", propagated bound P = {propagated[i]:G4}");
            }
        }
    }

    /// <summary>
    /// Over the whole file, per op and result: Xent's float16 error is never larger than libtorch's on average, and
    /// where Xent rounds once it is never larger on any element. Writes the worst ratios (the figures in the README).
    /// </summary>
    [Fact]
    public void AcrossTheFile_XentIsAtLeastAsAccurateAsLibtorchOnAverage()
    {
        var rows = new SortedDictionary<string, Accuracy>(StringComparer.Ordinal);
        foreach (HalfCase c in HalfData.Cases)
        {
            HalfAnswer answer = HalfKernel.Answer(c.Golden);
            double[]? propagated = Propagated(c, answer);
            Accumulate(rows, $"{c.Golden.Op} value", c.Golden.Expected!.Data, answer.Value, c.TorchFloat16.Data, null);
            Accumulate(rows, $"{c.Golden.Op} gradient", c.Golden.ExpectedGradInput!.Data, answer.GradInput, c.TorchFloat16GradInput.Data, propagated);
        }

        output.WriteLine("op result: elements | mean ulp error Xent / libtorch | max ulp error Xent / libtorch | max (|x−e| − |h−e|) in ulp | max |x−e| / (P + ½ulp)");
        foreach ((string key, Accuracy a) in rows)
        {
            output.WriteLine(
                $"{key}: {a.Count} | {a.XentSum / a.Count:F3} / {a.TorchSum / a.Count:F3} | {a.XentMax:F3} / {a.TorchMax:F3} | {a.ExcessMax:F3} | {a.BoundRatioMax:F4}");
        }

        Assert.All(rows, row => Assert.True(row.Value.XentSum <= row.Value.TorchSum, $"{row.Key}: Xent's mean ulp error exceeds libtorch's"));
        Assert.All(rows.Where(r => r.Value.RoundedOnce), row => Assert.True(row.Value.ExcessMax <= 0, $"{row.Key}: farther than libtorch somewhere"));
    }

    [Theory]
    [MemberData(nameof(FacadeRows))]
    public void Facade_OverTensorOfHalf_GivesTheKernelsAnswer(string id)
    {
        GoldenCase golden = HalfData.Get(id).Golden;
        HalfAnswer kernel = HalfKernel.Answer(golden);
        Tensor<Half> input = Tensor.Create(HalfKernel.Halves(golden.Input.Data), Lengths(golden.Input.Shape));
        Half[] value;
        Tensor<Half> gradient;
        if (golden.Op == "cross_entropy")
        {
            var loss = new CrossEntropyLoss<Half>(
                golden.Reduction == "sum" ? Reduction.Sum : golden.Reduction == "none" ? Reduction.None : Reduction.Mean,
                golden.Weight is { } w ? HalfKernel.Halves(w) : null, golden.IgnoreIndex ?? Functional.DefaultIgnoreIndex, golden.LabelSmoothing ?? 0.0);
            LossResult<Half> lossOnly;
            CrossEntropySummary withGradient;
            ReadOnlyTensorSpan<Half> gradOutput = golden.GradOutput is { } g
                ? Tensor.Create(HalfKernel.Halves(g.Data), Lengths(g.Shape)).AsReadOnlyTensorSpan()
                : Tensor.Create([Half.One], [1]).AsReadOnlyTensorSpan();

            // The gradient goes into the caller's buffer (it came back in a new tensor); the per-position losses of
            // Reduction.None come from Forward, and the buffer call's summary must be Forward's, bit for bit.
            gradient = Tensor.Create(new Half[input.FlattenedLength], input.Lengths);
            if (golden.TargetKind == GoldenCase.ProbabilityTargets)
            {
                Tensor<Half> target = Tensor.Create(HalfKernel.Halves(golden.Target!.Data), Lengths(golden.Target.Shape));
                lossOnly = loss.ForwardProbabilities(input, target);
                withGradient = loss.ForwardProbabilitiesWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan(), gradient.AsTensorSpan(), gradOutput);
            }
            else
            {
                Tensor<int> target = Tensor.Create(Array.ConvertAll(golden.Target!.Data, t => (int)t), Lengths(golden.Target.Shape));
                lossOnly = loss.Forward(input, target);
                withGradient = loss.ForwardWithGradient(input.AsReadOnlyTensorSpan(), target.AsReadOnlyTensorSpan(), gradient.AsTensorSpan(), gradOutput);
            }

            Assert.Equal(lossOnly.Summary, withGradient);
            if (lossOnly.IsScalar)
            {
                Assert.Equal(lossOnly.Value, (Half)withGradient.Loss);
            }

            value = lossOnly.ToArray();
        }
        else
        {
            Normalizer function = golden.Op == "softmax" ? new Softmax(golden.Dim!.Value) : new LogSoftmax(golden.Dim!.Value);
            Tensor<Half> forward = function.Forward(input);
            gradient = function.Backward<Half>(forward, Tensor.Create(HalfKernel.Halves(golden.GradOutput!.Data), Lengths(golden.GradOutput.Shape)));
            value = [.. forward];
        }

        Assert.Equal(kernel.Value, value);
        Assert.Equal(Lengths(golden.Input.Shape), gradient.Lengths.ToArray());
        Assert.Equal(kernel.GradInput, gradient.ToArray());
    }

    private static double[]? Propagated(HalfCase c, HalfAnswer answer) => c.Golden.Op switch
    {
        "cross_entropy" => HalfBounds.CrossEntropy(c.Golden),
        "log_softmax" or "softmax" or "logsumexp" => HalfBounds.Normalizer(c.Golden, answer.Value),
        _ => null,
    };

    /// <summary>libtorch's float16 answer: the file holds the shortest decimal that rounds to it.</summary>
    private static double Torch(double written) => (double)(Half)written;

    private static nint[] Lengths(int[] shape) => Array.ConvertAll(shape, l => (nint)l);

    private static string Describe(HalfCase c, string what, string where, double x, double h, double e) =>
        $"{c.Golden.Id} {what} {where}: Xent {x:R} ({Math.Abs(x - e) / HalfTolerance.Ulp(e):F2} ulp), "
        + $"libtorch {h:R} ({Math.Abs(h - e) / HalfTolerance.Ulp(e):F2} ulp), float64 {e:R}";

    private static void Accumulate(SortedDictionary<string, Accuracy> rows, string key, double[] e, Half[] xent, double[] torch, double[]? propagated)
    {
        if (!rows.TryGetValue(key, out Accuracy? a))
        {
            rows[key] = a = new Accuracy { RoundedOnce = propagated is null };
        }

        for (int i = 0; i < e.Length; i++)
        {
            double ulp = HalfTolerance.Ulp(e[i]);
            double xError = Math.Abs((double)xent[i] - e[i]);
            double hError = Math.Abs(Torch(torch[i]) - e[i]);
            a.Count++;
            a.XentSum += xError / ulp;
            a.TorchSum += hError / ulp;
            a.XentMax = Math.Max(a.XentMax, xError / ulp);
            a.TorchMax = Math.Max(a.TorchMax, hError / ulp);
            a.ExcessMax = Math.Max(a.ExcessMax, (xError - hError) / ulp);
            double p = propagated?[i] ?? 0.0;
            a.BoundRatioMax = Math.Max(a.BoundRatioMax, xError / (p + HalfTolerance.Ulp(Math.Abs(e[i]) + p) / 2));
        }
    }

    private sealed class Accuracy
    {
        public bool RoundedOnce { get; init; }

        public int Count { get; set; }

        public double XentSum { get; set; }

        public double TorchSum { get; set; }

        public double XentMax { get; set; }

        public double TorchMax { get; set; }

        public double ExcessMax { get; set; } = double.NegativeInfinity;

        public double BoundRatioMax { get; set; }
    }
}
