using System;
using System.Buffers;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace Xent.HalfCases;

/// <summary>How the numbers of a field are written.</summary>
internal enum Precision
{
    /// <summary>The double itself, shortest round-trip form (inputs, which are float16 values, and the float64 answers).</summary>
    Float64,

    /// <summary>A float32 value: the shortest decimal that, read as a double and rounded to float32, gives it back.</summary>
    Float32,

    /// <summary>A float16 value: the shortest decimal that, read as a double and rounded to float16, gives it back.</summary>
    Float16,
}

/// <summary>Writes a case and libtorch's three answers as one JSON line in the golden format, with the float16 fields added.</summary>
internal static class CaseWriter
{
    /// <summary>The JSON line (without its newline).</summary>
    public static string Line(HalfCase golden, TorchAnswer float64, TorchAnswer float32, TorchAnswer float16)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", golden.Id);
            json.WriteString("op", golden.Op);
            Tensor(json, "input", golden.Input, Precision.Float64);
            if (golden.TargetKind is not null)
            {
                json.WriteString("target_kind", golden.TargetKind);
            }

            Tensor(json, "target", golden.Target, Precision.Float64);
            Array(json, "weight", golden.Weight);
            Array(json, "pos_weight", golden.PosWeight);
            if (golden.IgnoreIndex is { } ignoreIndex)
            {
                json.WriteNumber("ignore_index", ignoreIndex);
            }

            if (golden.Reduction is not null)
            {
                json.WriteString("reduction", golden.Reduction);
            }

            if (golden.LabelSmoothing is { } labelSmoothing)
            {
                json.WritePropertyName("label_smoothing");
                Number(json, labelSmoothing, Precision.Float64);
            }

            if (golden.LogTarget is { } logTarget)
            {
                json.WriteBoolean("log_target", logTarget);
            }

            if (golden.Dim is { } dim)
            {
                json.WriteNumber("dim", dim);
            }

            Tensor(json, "expected", float64.Value, Precision.Float64);
            Tensor(json, "torch_float32", float32.Value, Precision.Float32);
            Tensor(json, "torch_float16", float16.Value, Precision.Float16);
            Tensor(json, "grad_output", golden.GradOutput, Precision.Float64);
            Tensor(json, "expected_grad_input", float64.GradInput, Precision.Float64);
            if (golden.WithFloat32Gradient)
            {
                Tensor(json, "torch_float32_grad_input", float32.GradInput, Precision.Float32);
            }

            Tensor(json, "torch_float16_grad_input", float16.GradInput, Precision.Float16);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Tensor(Utf8JsonWriter json, string name, Values? values, Precision precision)
    {
        if (values is null)
        {
            return;
        }

        json.WriteStartObject(name);
        json.WriteStartArray("shape");
        foreach (long length in values.Shape)
        {
            json.WriteNumberValue(length);
        }

        json.WriteEndArray();
        json.WritePropertyName("data");
        json.WriteStartArray();
        foreach (double value in values.Data)
        {
            Number(json, value, precision);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Array(Utf8JsonWriter json, string name, double[]? values)
    {
        if (values is null)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (double value in values)
        {
            Number(json, value, Precision.Float64);
        }

        json.WriteEndArray();
    }

    /// <summary>Non-finite numbers as the strings of the golden format; finite ones as <see cref="Format"/> gives them.</summary>
    private static void Number(Utf8JsonWriter json, double value, Precision precision)
    {
        if (double.IsNaN(value))
        {
            json.WriteStringValue("NaN");
        }
        else if (double.IsInfinity(value))
        {
            json.WriteStringValue(value > 0 ? "Infinity" : "-Infinity");
        }
        else
        {
            json.WriteRawValue(Format(value, precision), skipInputValidation: true);
        }
    }

    /// <summary>
    /// The shortest decimal of <paramref name="value"/> at <paramref name="precision"/>, checked to read back (as a
    /// double, then rounded to the precision) as exactly that value; the double's own form when the shorter one does not.
    /// </summary>
    public static string Format(double value, Precision precision)
    {
        string exact = value.ToString("R", CultureInfo.InvariantCulture);
        string shortest = precision switch
        {
            Precision.Float32 => ((float)value).ToString("R", CultureInfo.InvariantCulture),
            Precision.Float16 => ((Half)value).ToString("R", CultureInfo.InvariantCulture),
            _ => exact,
        };
        double rounded = precision switch
        {
            Precision.Float32 => (float)value,
            Precision.Float16 => (double)(Half)value,
            _ => value,
        };
        if (rounded != value)
        {
            throw new InvalidOperationException($"{exact} is not a {precision} value.");
        }

        double back = double.Parse(shortest, NumberStyles.Float, CultureInfo.InvariantCulture);
        bool readsBack = precision switch
        {
            Precision.Float32 => (double)(float)back == value,
            Precision.Float16 => (double)(Half)back == value,
            _ => back == value,
        };
        return readsBack && shortest.All(c => c is (>= '0' and <= '9') or '-' or '.' or 'E' or 'e' or '+') ? shortest : exact;
    }

    /// <summary>Writes every line, each followed by a newline (<c>\n</c> on every platform).</summary>
    public static void WriteAll(string path, System.Collections.Generic.IEnumerable<string> lines)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false)) { NewLine = "\n" };
        foreach (string line in lines)
        {
            writer.WriteLine(line);
        }
    }
}
