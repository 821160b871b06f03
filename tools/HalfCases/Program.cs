using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Xent.HalfCases;

/// <summary>
/// Writes <c>torch-half-cases.jsonl</c>: each case of <see cref="CaseCatalog"/> run by libtorch in float64, float32 and
/// float16 (README.md beside this file gives the command).
/// </summary>
internal static class Program
{
    private const string Usage = "Usage: Xent.HalfCases OUTPUT.jsonl   (see tools/HalfCases/README.md)";

    /// <summary>Generates the file; exit code 0 on success, 1 when libtorch cannot be loaded or refuses a float64 or float32 call, 2 on bad arguments.</summary>
    public static int Main(string[] args)
    {
        if (args.Length != 1 || args[0].StartsWith('-'))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        try
        {
            // One thread: libtorch's reductions then add in one fixed order, so a rerun gives the same file.
            torch.set_num_threads(1);
        }
        catch (Exception e) when (e is DllNotFoundException or NotSupportedException or TypeInitializationException or InvalidOperationException)
        {
            Console.Error.WriteLine($"libtorch cannot be loaded: {e.GetBaseException().Message}");
            return 1;
        }

        var lines = new List<string>();
        var refused = new SortedDictionary<string, string>(StringComparer.Ordinal);
        IReadOnlyList<HalfCase> cases = CaseCatalog.Build();
        foreach (HalfCase golden in cases)
        {
            TorchAnswer float64 = TorchAnswer.Compute(golden, ScalarType.Float64);
            TorchAnswer float32 = TorchAnswer.Compute(golden, ScalarType.Float32);
            TorchAnswer float16;
            try
            {
                float16 = TorchAnswer.Compute(golden, ScalarType.Float16);
            }
            catch (ExternalException e)
            {
                // libtorch has no float16 CPU kernel for this op: record it once and leave the op out.
                refused.TryAdd(golden.Op, e.Message.Split('\n')[0]);
                continue;
            }

            CheckShapes(golden, float64, float32, float16);
            lines.Add(CaseWriter.Line(golden, float64, float32, float16));
        }

        CaseWriter.WriteAll(args[0], lines);
        Console.WriteLine($"{lines.Count} cases written to {args[0]} (seed {CaseCatalog.Seed}, libtorch through TorchSharp {typeof(torch).Assembly.GetName().Version}).");
        foreach (IGrouping<string, HalfCase> op in cases.GroupBy(c => c.Op))
        {
            string outcome = refused.TryGetValue(op.Key, out string? message) ? $"refused in float16: {message}" : $"{op.Count()} cases";
            Console.WriteLine($"  {op.Key}: {outcome}");
        }

        return 0;
    }

    private static void CheckShapes(HalfCase golden, TorchAnswer float64, TorchAnswer float32, TorchAnswer float16)
    {
        foreach (TorchAnswer answer in new[] { float32, float16 })
        {
            if (!answer.Value.Shape.SequenceEqual(float64.Value.Shape) || !answer.GradInput.Shape.SequenceEqual(golden.Input.Shape))
            {
                throw new InvalidOperationException($"{golden.Id}: the dtypes' answers differ in shape.");
            }
        }
    }
}
