using System;
using System.Text.Json.Serialization;

namespace Xent.Parity;

/// <summary>
/// The library's answer to one golden case, one line of an answers file:
/// <c>{"id": ..., "value": {"shape": [...], "data": [...]}}</c> when it computed a result,
/// <c>{"id": ..., "error": "message"}</c> when it refused the call (the exception's message), or
/// <c>{"id": ..., "error": "unsupported"}</c> for an op it does not implement yet.
/// </summary>
/// <remarks>
/// <see cref="GradInput"/> is the gradient with respect to the input (<c>"grad_input"</c>) of <c>sum(value · grad_output)</c>;
/// <see cref="CaseChecker"/> compares it with <c>expected_grad_input</c> and fails a case that has one when it is missing.
/// </remarks>
public sealed class Answer
{
    /// <summary>The <see cref="Error"/> of an op the library does not support yet.</summary>
    public const string UnsupportedError = "unsupported";

    /// <summary>The case's id.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The computed value (shape <c>[]</c> for a scalar), or null with <see cref="Error"/>.</summary>
    [JsonPropertyName("value")]
    public TensorData? Value { get; init; }

    /// <summary>The gradient with respect to the input; null only with <see cref="Error"/>.</summary>
    [JsonPropertyName("grad_input")]
    public TensorData? GradInput { get; init; }

    /// <summary>The message of the library's refusal, or <see cref="UnsupportedError"/>; null with <see cref="Value"/>.</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }

    /// <summary>
    /// The exception with which the library refused the call (always an <see cref="ArgumentException"/>: the runner
    /// catches nothing else); null when the answer was read from a file, computed, or unsupported.
    /// </summary>
    [JsonIgnore]
    public ArgumentException? Exception { get; init; }

    /// <summary>True for an op the library does not support yet.</summary>
    [JsonIgnore]
    public bool IsUnsupported => Exception is null && Value is null && Error == UnsupportedError;

    /// <summary>True when the library refused the call (an error other than <see cref="UnsupportedError"/>).</summary>
    [JsonIgnore]
    public bool IsRefused => Error is not null && !IsUnsupported;

    /// <summary>An answer holding a computed value and, where computed, its gradient.</summary>
    public static Answer Computed(string id, TensorData value, TensorData? gradInput = null) =>
        new() { Id = id, Value = value, GradInput = gradInput };

    /// <summary>An answer recording the library's refusal.</summary>
    public static Answer Refused(string id, ArgumentException exception) =>
        new() { Id = id, Error = exception.Message, Exception = exception };

    /// <summary>An answer for an op the library does not support yet.</summary>
    public static Answer Unsupported(string id) => new() { Id = id, Error = UnsupportedError };

    /// <summary>Checks that exactly one of <see cref="Value"/> and <see cref="Error"/> is present and the shapes match the data.</summary>
    /// <exception cref="FormatException">The answer is inconsistent.</exception>
    public void Validate()
    {
        if ((Value is null) == (Error is null))
        {
            throw new FormatException($"{Id}: an answer holds exactly one of value and error.");
        }

        if (GradInput is not null && Value is null)
        {
            throw new FormatException($"{Id}: grad_input comes with a value.");
        }

        Value?.Validate($"{Id}: value");
        GradInput?.Validate($"{Id}: grad_input");
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Value is not null ? $"{Id}: value of shape {TensorData.FormatShape(Value.Shape)}" : $"{Id}: error {Error}";
}
