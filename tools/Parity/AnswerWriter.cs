using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace Xent.Parity;

/// <summary>Writes answers as JSON lines (non-finite numbers as <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>).</summary>
public static class AnswerWriter
{
    /// <summary>One answer as a single JSON line, without the line break.</summary>
    public static string ToJsonLine(Answer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return JsonSerializer.Serialize(answer, ParityJson.Options);
    }

    /// <summary>Writes one line per answer.</summary>
    public static void Write(TextWriter writer, IEnumerable<Answer> answers)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(answers);
        foreach (Answer answer in answers)
        {
            writer.Write(ToJsonLine(answer));
            writer.Write('\n');
        }
    }
}

/// <summary>Reads answers written by <see cref="AnswerWriter"/>.</summary>
public static class AnswerReader
{
    /// <summary>Parses and validates one JSON line.</summary>
    /// <exception cref="FormatException">The line is not a valid answer.</exception>
    public static Answer Parse(string json)
    {
        Answer? answer;
        try
        {
            answer = JsonSerializer.Deserialize<Answer>(json, ParityJson.Options);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Not an answer: {e.Message}", e);
        }

        if (answer is null)
        {
            throw new FormatException("Not an answer: null.");
        }

        answer.Validate();
        return answer;
    }

    /// <summary>Reads every non-blank line of <paramref name="reader"/>.</summary>
    /// <exception cref="FormatException">A line is not a valid answer (the message gives the line number).</exception>
    public static IReadOnlyList<Answer> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var answers = new List<Answer>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                answers.Add(Parse(line));
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {lineNumber}: {e.Message}", e);
            }
        }

        return answers;
    }

    /// <summary>Reads an answers file.</summary>
    public static IReadOnlyList<Answer> ReadFile(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader);
    }
}
