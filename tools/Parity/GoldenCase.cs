using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Xent.Parity;

/// <summary>
/// One golden case: a line of <c>torch-cases.jsonl</c> (the fields are defined in that file's README). Optional fields
/// are null when absent.
/// </summary>
public sealed class GoldenCase
{
    /// <summary>The index target kind: class indices.</summary>
    public const string IndexTargets = "index";

    /// <summary>The probability target kind: a target of the input's shape.</summary>
    public const string ProbabilityTargets = "probabilities";

    /// <summary>Unique name; its prefix is the family (<c>ce_index</c>, <c>nll</c>, <c>edge_*</c>, <c>error_*</c>, ...).</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary><c>cross_entropy</c>, <c>nll_loss</c>, <c>log_softmax</c>, <c>softmax</c>, <c>logsumexp</c>, <c>binary_cross_entropy_with_logits</c>, <c>binary_cross_entropy</c> or <c>kl_div</c>.</summary>
    [JsonPropertyName("op")]
    public required string Op { get; init; }

    /// <summary>The input; class dimension 1 for the losses.</summary>
    [JsonPropertyName("input")]
    public required TensorData Input { get; init; }

    /// <summary><see cref="IndexTargets"/> or <see cref="ProbabilityTargets"/>; null for the normalizers.</summary>
    [JsonPropertyName("target_kind")]
    public string? TargetKind { get; init; }

    /// <summary>The target: class indices stored as numbers, or probabilities of the input's shape.</summary>
    [JsonPropertyName("target")]
    public TensorData? Target { get; init; }

    /// <summary>Per-class weights (cross entropy, NLL) or per-element weights (BCE); null for none.</summary>
    [JsonPropertyName("weight")]
    public double[]? Weight { get; init; }

    /// <summary>BCE with logits: weight of positive examples.</summary>
    [JsonPropertyName("pos_weight")]
    public double[]? PosWeight { get; init; }

    /// <summary>Cross entropy and NLL; null means PyTorch's default -100.</summary>
    [JsonPropertyName("ignore_index")]
    public int? IgnoreIndex { get; init; }

    /// <summary><c>none</c>, <c>mean</c>, <c>sum</c> (<c>batchmean</c> for <c>kl_div</c>); null means <c>mean</c>.</summary>
    [JsonPropertyName("reduction")]
    public string? Reduction { get; init; }

    /// <summary>Cross entropy only; null means 0.</summary>
    [JsonPropertyName("label_smoothing")]
    public double? LabelSmoothing { get; init; }

    /// <summary><c>kl_div</c> only.</summary>
    [JsonPropertyName("log_target")]
    public bool? LogTarget { get; init; }

    /// <summary>The dimension of <c>log_softmax</c>, <c>softmax</c> and <c>logsumexp</c>.</summary>
    [JsonPropertyName("dim")]
    public int? Dim { get; init; }

    /// <summary>libtorch's answer computed in float64; null when the case has <see cref="Error"/>.</summary>
    [JsonPropertyName("expected")]
    public TensorData? Expected { get; init; }

    /// <summary>libtorch's answer computed in float32 (informative: the accuracy PyTorch gives a float32 user).</summary>
    [JsonPropertyName("torch_float32")]
    public TensorData? TorchFloat32 { get; init; }

    /// <summary>The gradient's upstream values; null means all ones.</summary>
    [JsonPropertyName("grad_output")]
    public TensorData? GradOutput { get; init; }

    /// <summary>The float64 gradient of <c>sum(loss * grad_output)</c> with respect to the input.</summary>
    [JsonPropertyName("expected_grad_input")]
    public TensorData? ExpectedGradInput { get; init; }

    /// <summary>libtorch's message where it refuses the call (then <see cref="Expected"/> is absent).</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }

    /// <summary>Parses one JSON line and validates it (<see cref="Validate"/>).</summary>
    /// <exception cref="FormatException">The line is not a valid golden case.</exception>
    public static GoldenCase Parse(string json)
    {
        GoldenCase? golden;
        try
        {
            golden = JsonSerializer.Deserialize<GoldenCase>(json, ParityJson.Options);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Not a golden case: {e.Message}", e);
        }

        if (golden is null)
        {
            throw new FormatException("Not a golden case: null.");
        }

        golden.Validate();
        return golden;
    }

    /// <summary>Checks the shapes against the data and that exactly one of <see cref="Expected"/> and <see cref="Error"/> is present.</summary>
    /// <exception cref="FormatException">The case is inconsistent.</exception>
    public void Validate()
    {
        Input.Validate($"{Id}: input");
        Target?.Validate($"{Id}: target");
        Expected?.Validate($"{Id}: expected");
        TorchFloat32?.Validate($"{Id}: torch_float32");
        GradOutput?.Validate($"{Id}: grad_output");
        ExpectedGradInput?.Validate($"{Id}: expected_grad_input");
        if ((Expected is null) == (Error is null))
        {
            throw new FormatException($"{Id}: a case holds exactly one of expected and error.");
        }

        if (TargetKind is not (null or IndexTargets or ProbabilityTargets))
        {
            throw new FormatException($"{Id}: unknown target_kind '{TargetKind}'.");
        }
    }

    /// <summary>The family: the id without its trailing <c>_NNNN</c> number (<c>ce_index_0001</c> → <c>ce_index</c>).</summary>
    [JsonIgnore]
    public string Family
    {
        get
        {
            int cut = Id.LastIndexOf('_');
            return cut > 0 && int.TryParse(Id.AsSpan(cut + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _) ? Id[..cut] : Id;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Id} ({Op})";
}

/// <summary>Reads a golden file: one <see cref="GoldenCase"/> per non-blank line.</summary>
public static class GoldenFile
{
    /// <summary>Reads and validates every case of <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FormatException">A line is not a valid case (the message gives the line number), or two cases share an id.</exception>
    public static IReadOnlyList<GoldenCase> Read(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <summary>Reads and validates every case from <paramref name="reader"/>; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="FormatException">A line is not a valid case, or two cases share an id.</exception>
    public static IReadOnlyList<GoldenCase> Read(TextReader reader, string source)
    {
        var cases = new List<GoldenCase>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            GoldenCase golden;
            try
            {
                golden = GoldenCase.Parse(line);
            }
            catch (FormatException e)
            {
                throw new FormatException($"{source}:{lineNumber}: {e.Message}", e);
            }

            if (!ids.Add(golden.Id))
            {
                throw new FormatException($"{source}:{lineNumber}: duplicate id '{golden.Id}'.");
            }

            cases.Add(golden);
        }

        return cases;
    }
}
