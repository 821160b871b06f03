using System;
using System.IO;
using System.Linq;

namespace Xent.Samples;

/// <summary>The text the model reads (the GNU GPL v3, embedded), as class indices over its distinct characters.</summary>
public sealed class Corpus
{
    private Corpus(string text)
    {
        Alphabet = text.Distinct().Order().ToArray();
        Codes = text.Select(c => Array.BinarySearch(Alphabet, c)).ToArray();
    }

    /// <summary>The distinct characters, sorted: character c is class Array.BinarySearch(Alphabet, c).</summary>
    public char[] Alphabet { get; }

    /// <summary>The text as class indices.</summary>
    public int[] Codes { get; }

    /// <summary>V, the vocabulary size.</summary>
    public int Classes => Alphabet.Length;

    public static Corpus Load()
    {
        using Stream stream = typeof(Corpus).Assembly.GetManifestResourceStream("corpus.txt")
            ?? throw new InvalidOperationException("The embedded corpus.txt is missing.");
        using var reader = new StreamReader(stream);
        return new Corpus(reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal));
    }
}
