using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Xent.Parity;

/// <summary>
/// The System.Text.Json options of the golden format and of answer files: property names are explicit
/// (<c>[JsonPropertyName]</c>), non-finite numbers are the strings <c>"NaN"</c>, <c>"Infinity"</c> and
/// <c>"-Infinity"</c> (<see cref="JsonNumberHandling.AllowNamedFloatingPointLiterals"/>), nulls are not written, unknown
/// properties are refused (a new golden field must be mapped, not silently ignored), and doubles round-trip exactly.
/// </summary>
public static class ParityJson
{
    /// <summary>The shared options (one line per object: not indented).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        WriteIndented = false,
        // Answer files are data, not HTML: keep messages such as "3 classes × 1 positions" readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
