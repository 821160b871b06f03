using System;
using System.Globalization;
using System.Text.Json.Serialization;

namespace Xent.Parity;

/// <summary>
/// A tensor as the golden format writes it: <c>{"shape": [...], "data": [...]}</c>, data row-major (C order).
/// A scalar (PyTorch's 0-d tensor) has shape <c>[]</c> and one element.
/// </summary>
public sealed class TensorData
{
    /// <summary>Creates a tensor; the data is not copied.</summary>
    [JsonConstructor]
    public TensorData(int[] shape, double[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        Shape = shape;
        Data = data;
    }

    /// <summary>The dimensions; empty for a scalar.</summary>
    [JsonPropertyName("shape")]
    public int[] Shape { get; }

    /// <summary>The elements in row-major order.</summary>
    [JsonPropertyName("data")]
    public double[] Data { get; }

    /// <summary>The product of <see cref="Shape"/> (1 for a scalar).</summary>
    [JsonIgnore]
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (int length in Shape)
            {
                count *= length;
            }

            return count;
        }
    }

    /// <summary>A 0-d tensor holding <paramref name="value"/>.</summary>
    public static TensorData Scalar(double value) => new([], [value]);

    /// <summary>Checks that the shape has no negative dimension and that the data holds exactly its element count.</summary>
    /// <exception cref="FormatException">It does not.</exception>
    public void Validate(string what)
    {
        foreach (int length in Shape)
        {
            if (length < 0)
            {
                throw new FormatException($"{what}: shape {FormatShape(Shape)} has a negative dimension.");
            }
        }

        if (ElementCount != Data.Length)
        {
            throw new FormatException($"{what}: shape {FormatShape(Shape)} needs {ElementCount} elements but data holds {Data.Length}.");
        }
    }

    /// <summary>The shape as <c>[2, 3]</c>.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>The row-major index <paramref name="flat"/> as a multi-index <c>[i, j, ...]</c> of this shape.</summary>
    public string FormatIndex(int flat)
    {
        var index = new int[Shape.Length];
        int rest = flat;
        for (int d = Shape.Length - 1; d >= 0; d--)
        {
            int length = Shape[d];
            index[d] = length == 0 ? 0 : rest % length;
            rest = length == 0 ? 0 : rest / length;
        }

        return FormatShape(index);
    }

    /// <inheritdoc/>
    public override string ToString() => $"TensorData(shape {FormatShape(Shape)}, {Data.Length} values)";
}
