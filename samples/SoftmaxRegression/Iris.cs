using System;
using System.Globalization;
using System.IO;
using System.Reflection;

namespace Xent.Samples;

/// <summary>
/// Fisher's Iris data (R. A. Fisher, 1936; public domain): 150 flowers, 4 measurements in cm, 3 species, shipped in
/// this assembly as iris.csv (the corrected UCI version, as R's <c>datasets::iris</c>).
/// </summary>
public sealed class Iris
{
    /// <summary>The species, in class-index order.</summary>
    public static readonly string[] Species = ["setosa", "versicolor", "virginica"];

    private Iris(float[] features, int[] labels)
    {
        Features = features;
        Labels = labels;
    }

    /// <summary>Number of measurements per flower.</summary>
    public const int FeatureCount = 4;

    /// <summary>Row-major (150, 4): sepal length, sepal width, petal length, petal width.</summary>
    public float[] Features { get; }

    /// <summary>Class index of each flower's species.</summary>
    public int[] Labels { get; }

    /// <summary>Number of flowers.</summary>
    public int Count => Labels.Length;

    /// <summary>Reads the embedded iris.csv.</summary>
    public static Iris Load()
    {
        using Stream stream = typeof(Iris).Assembly.GetManifestResourceStream("iris.csv")
            ?? throw new InvalidOperationException("iris.csv is not embedded in " + typeof(Iris).Assembly.GetName().Name);
        using var reader = new StreamReader(stream);
        reader.ReadLine(); // header
        var features = new System.Collections.Generic.List<float>();
        var labels = new System.Collections.Generic.List<int>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            string[] fields = line.Split(',');
            for (int j = 0; j < FeatureCount; j++)
            {
                features.Add(float.Parse(fields[j], CultureInfo.InvariantCulture));
            }

            labels.Add(Array.IndexOf(Species, fields[FeatureCount]));
        }

        return new Iris(features.ToArray(), labels.ToArray());
    }
}
