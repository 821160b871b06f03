using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Xent.Parity;

/// <summary>The command line; the logic lives in <see cref="ParityRunner"/>, <see cref="AnswerWriter"/> and <see cref="ParityCheck"/>.</summary>
public static class Program
{
    /// <summary>The <c>--help</c> text.</summary>
    public const string Usage = """
        Xent.Parity: runs PyTorch golden cases through the Xent library.

        Usage:
          dotnet run --project tools/Parity -- answer CASES.jsonl ANSWERS.jsonl --dtype float32|float64
          dotnet run --project tools/Parity -- check CASES.jsonl --dtype float32|float64
          dotnet run --project tools/Parity -- --help

        CASES.jsonl is in the golden format (tests/Conformance/Data/README.md): one case a line.

        answer  Writes one JSON line per case to ANSWERS.jsonl ('-' for standard output):
                  {"id": ..., "value": {"shape": [...], "data": [...]}, "grad_input": {"shape": [...], "data": [...]}}
                      the library's result (shape [] for a scalar) and the gradient of sum(value * grad_output)
                      with respect to the input (grad_output absent = ones)
                  {"id": ..., "error": "message"}       the library refused the call (its message)
                  {"id": ..., "error": "unsupported"}   an op the library does not support yet
                Non-finite numbers are the strings "NaN", "Infinity", "-Infinity".
        check   Answers every case and compares "value" with "expected" and "grad_input" with
                "expected_grad_input" within the README's tolerances (float32:
                relative 1e-5, absolute floor 1e-6; float64: relative 1e-12, absolute floor 1e-12; an
                infinity equals only itself, NaN only NaN; shapes must match exactly). A case with "error"
                passes when the library refuses it too. Prints one line per failure (id, first mismatching
                index, expected and actual), then "N passed, M failed, K unsupported".

        --dtype float32 runs the library with T = float (inputs, targets and weights converted to float;
        values reported as double); --dtype float64 with T = double. Required.

        Exit codes: 0 success (check: no failure); 1 check found failures, or answer could not answer a
        case (reported on standard error); 2 bad arguments or an unreadable cases file.
        """;

    /// <summary>Runs the command line.</summary>
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Console.OutputEncoding = new UTF8Encoding(false);
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            (args.Length == 0 ? Console.Error : Console.Out).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            (List<string> positional, Dtype dtype) = ParseOptions(args.AsSpan(1));
            return args[0] switch
            {
                "answer" when positional.Count == 2 => AnswerCommand(positional[0], positional[1], dtype),
                "check" when positional.Count == 1 => CheckCommand(positional[0], dtype),
                "answer" or "check" => UsageError($"wrong number of arguments for '{args[0]}'."),
                _ => UsageError($"unknown command '{args[0]}'."),
            };
        }
        catch (FormatException e)
        {
            return UsageError(e.Message);
        }
        catch (IOException e)
        {
            return UsageError(e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            return UsageError(e.Message);
        }
    }

    private static (List<string> Positional, Dtype Dtype) ParseOptions(ReadOnlySpan<string> args)
    {
        var positional = new List<string>();
        Dtype? dtype = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg == "--dtype")
            {
                if (i + 1 >= args.Length)
                {
                    throw new FormatException("--dtype needs a value: float32 or float64.");
                }

                dtype = DtypeNames.Parse(args[++i]);
            }
            else if (arg.StartsWith("--dtype=", StringComparison.Ordinal))
            {
                dtype = DtypeNames.Parse(arg["--dtype=".Length..]);
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new FormatException($"unknown option '{arg}'.");
            }
            else
            {
                positional.Add(arg);
            }
        }

        return (positional, dtype ?? throw new FormatException("--dtype float32|float64 is required."));
    }

    private static int AnswerCommand(string casesPath, string answersPath, Dtype dtype)
    {
        IReadOnlyList<GoldenCase> cases = GoldenFile.Read(casesPath);
        bool toStandardOutput = answersPath == "-";
        TextWriter writer = toStandardOutput ? Console.Out : new StreamWriter(answersPath, append: false, new UTF8Encoding(false));
        int crashed = 0;
        try
        {
            foreach (GoldenCase golden in cases)
            {
                Answer answer;
                try
                {
                    answer = ParityRunner.Answer(golden, dtype);
                }
#pragma warning disable CA1031 // Report the case and go on; the exit code says something went wrong.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    crashed++;
                    Console.Error.WriteLine($"error: {golden.Id}: no answer: {e.GetType().Name}: {e.Message}");
                    continue;
                }

                AnswerWriter.Write(writer, [answer]);
            }
        }
        finally
        {
            if (!toStandardOutput)
            {
                writer.Dispose();
            }
        }

        return crashed == 0 ? 0 : 1;
    }

    private static int CheckCommand(string casesPath, Dtype dtype)
    {
        IReadOnlyList<GoldenCase> cases = GoldenFile.Read(casesPath);
        CheckSummary summary = ParityCheck.Run(cases, dtype, Console.Out);
        Console.Out.WriteLine(summary.ToString());
        return summary.Failed == 0 ? 0 : 1;
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine("Run with --help for usage.");
        return 2;
    }
}
