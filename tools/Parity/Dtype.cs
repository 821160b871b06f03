using System;

namespace Xent.Parity;

/// <summary>The element type the library is run with: <c>--dtype float32</c> (T = float) or <c>--dtype float64</c> (T = double).</summary>
public enum Dtype
{
    /// <summary>T = float; inputs, targets and weights are converted to float (the golden values are exactly representable).</summary>
    Float32,

    /// <summary>T = double.</summary>
    Float64,
}

/// <summary>Command-line names of <see cref="Dtype"/>.</summary>
public static class DtypeNames
{
    /// <summary>Parses <c>float32</c> or <c>float64</c> (case-insensitive).</summary>
    /// <exception cref="FormatException">Any other text.</exception>
    public static Dtype Parse(string text) => text.ToLowerInvariant() switch
    {
        "float32" => Dtype.Float32,
        "float64" => Dtype.Float64,
        _ => throw new FormatException($"Unknown dtype '{text}'; expected float32 or float64."),
    };

    /// <summary>The command-line name: <c>float32</c> or <c>float64</c>.</summary>
    public static string Name(this Dtype dtype) => dtype switch
    {
        Dtype.Float32 => "float32",
        Dtype.Float64 => "float64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Undefined dtype."),
    };
}
