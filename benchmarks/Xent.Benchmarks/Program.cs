using System;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Xent.Benchmarks;

/// <summary>
/// dotnet run -c Release --project benchmarks/Xent.Benchmarks [-p:LibTorch=true] -- [--quick] [--rich] [BenchmarkDotNet options].
/// --quick runs each case with 3 warm-up and 5 measured iterations of about 250 ms (a few minutes for the whole set);
/// without it, BenchmarkDotNet's defaults apply. --rich runs only <see cref="RichResultBenchmarks"/> (the cost of the
/// per-row outputs over the loss alone). --facade runs only <see cref="FacadeOverheadBenchmarks"/> (the facade's cost over
/// the kernel call). --huge runs the manual check past 2³¹ logits instead (<see cref="HugeRun"/>,
/// 8 to 16 GiB of memory; not a BenchmarkDotNet run). --rich-ab times the same comparison by interleaved A/B runs outside
/// BenchmarkDotNet (<see cref="RichResultAB"/>). --compare runs the side-by-side comparison with libtorch over the loss
/// family (<see cref="Compare"/>; run it through benchmarks/compare.sh, which sets up the warm allocator and the shim).
/// --linear compares the fused linear cross entropy and the matrix multiply with libtorch (LinearCompare; run it through
/// benchmarks/linear.sh).
/// Benchmarks run in process, so the environment that makes libtorch load (see
/// docs/benchmarks.md) reaches them.
/// </summary>
public static class Program
{
    /// <summary>Why libtorch cannot be used in this run, or null when it can.</summary>
    public static string? LibTorchUnavailable { get; private set; } = "this build does not include libtorch (build with -p:LibTorch=true)";

    public static int Main(string[] args)
    {
        if (args.Contains("--huge"))
        {
            return HugeRun.Run();
        }

        if (args.Contains("--rich-ab"))
        {
            return RichResultAB.RunAB();
        }

        if (args.Contains("--linear"))
        {
#if LIBTORCH
            return LinearCompare.Run(args);
#else
            Console.Error.WriteLine("--linear needs libtorch: build with -p:LibTorch=true, or run benchmarks/linear.sh.");
            return 2;
#endif
        }

        if (args.Contains("--compare"))
        {
#if LIBTORCH
            return Compare.Run(args);
#else
            Console.Error.WriteLine("--compare needs libtorch: build with -p:LibTorch=true, or run benchmarks/compare.sh.");
            return 2;
#endif
        }

#if LIBTORCH
        LibTorchUnavailable = LibTorch.Unavailable();
#endif
        Console.WriteLine(LibTorchUnavailable is null
            ? "libtorch (TorchSharp-cpu 0.107.0) loaded: it is the baseline of every ratio."
            : $"libtorch is not measured: {LibTorchUnavailable}. The other benchmarks run.");

        bool quick = args.Contains("--quick");
        Job job = quick
            ? Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5)
                .WithIterationTime(TimeInterval.FromMilliseconds(250)).WithId("Quick")
            : Job.Default;
        IConfig config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(RankColumn.Arabic)
            .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend))
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableOptimizationsValidator);
        string[] rest = args.Where(a => a is not ("--quick" or "--rich" or "--facade")).ToArray();
        if (args.Contains("--rich"))
        {
            rest = ["--filter", "*" + nameof(RichResultBenchmarks) + "*", .. rest];
        }
        else if (args.Contains("--facade"))
        {
            rest = ["--filter", "*" + nameof(FacadeOverheadBenchmarks) + "*", .. rest];
        }
        else if (rest.Length == 0)
        {
            rest = ["--filter", "*"];
        }

        Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config).ToArray();
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
