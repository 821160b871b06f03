#if LIBTORCH
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using Tensor = TorchSharp.torch.Tensor;

namespace Xent.Benchmarks;

/// <summary>
/// <c>--compare</c>: the library against libtorch 2.10 (TorchSharp-cpu 0.107.0), case by case, in one process with
/// interleaved samples (Xent then libtorch, the reverse on the next repetition), reporting medians; libtorch runs with
/// the preloaded warm allocator (native/warmcache.c). The default-allocator column comes from a second process of the
/// same program without the warm allocator (<c>--default-rows</c>), started at the end and merged into the table. Run it
/// through benchmarks/compare.sh, which builds and preloads the warm allocator and the TorchSharp shim, and repeats the
/// run restricted to AVX2.
/// <para>
/// Options: <c>--quick</c> (fewer, shorter samples), <c>--threads 1|2|1,2</c> (default 1,2), <c>--filter TERM</c>
/// (repeatable, all must match; a term is comma-separated alternatives, each a substring of the case id
/// <c>path/shape/dtype/mode</c>, or a glob when it holds <c>*</c>), <c>--list</c> (print the case ids), <c>--no-check</c>
/// (skip the one untimed agreement check per case), <c>--gap-ms X</c> (idle time before each sample, default 3, so that
/// libtorch's OpenMP workers, which spin 1–2 ms after a call, and the thread pool are idle when the next sample starts),
/// <c>--no-default</c> (no default-allocator column), <c>--default-threads first|all</c> (default-allocator samples at
/// the first thread count only, the quick mode's choice, or at every one, the full mode's), <c>--default-allocator</c>
/// (no warm allocator: the libtorch column is timed with glibc's allocator; works without the preload).
/// </para>
/// </summary>
public static class Compare
{
    private static double _sink;

    /// <summary>What the process measures: Xent against warm libtorch (the comparison), against libtorch with glibc's allocator, or only the latter, as rows for a parent comparison.</summary>
    private enum Allocator
    {
        Warm,
        Default,
        DefaultRows,
    }

    private sealed record Options(
        bool Quick, int[] Threads, List<string[]> Filters, bool Check, double GapMs, Allocator Allocator, bool DefaultColumn,
        bool DefaultAtFirstThreadsOnly, bool List, string[] Arguments);

    /// <summary>How long to warm up and sample; the quick mode only shortens it.</summary>
    private sealed record Plan(
        double WarmupSeconds, int MinWarmupCalls, double SampleSeconds, double CaseSeconds, int MinReps, int MaxReps,
        double DefaultSeconds, int MaxDefaultReps);

    private static readonly Plan QuickPlan = new(0.15, 2, 0.004, 0.12, 3, 7, 0.03, 2);
    private static readonly Plan FullPlan = new(0.3, 3, 0.015, 0.6, 5, 21, 0.4, 5);

    /// <summary>
    /// glibc's largest dynamic mmap threshold on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX): a block this large or larger is
    /// mapped afresh by every allocation and unmapped by its free, whatever happened before.
    /// </summary>
    private const long AlwaysMappedBytes = 32L << 20;

    /// <summary>One timed pair: the library's call and libtorch's for the same work, and an untimed agreement check.</summary>
    private sealed record Case(string Path, string Shape, string DType, string Mode, Func<double> Xent, Func<double> Torch, Func<double>? Check)
    {
        public string Id => $"{Path}/{Shape}/{DType}/{Mode}";

        /// <summary>Bytes of the input tensor, the size of libtorch's large outputs.</summary>
        public long InputBytes => Shape.Split('x').Aggregate(1L, (n, d) => n * long.Parse(d, CultureInfo.InvariantCulture)) * (DType == "f32" ? 4 : 8);
    }

    /// <summary>The data of one shape and dtype for one path (and its cases' path and mode), built only when one of its cases is selected.</summary>
    private sealed record Group(string Path, string Shape, string DType, (string Path, string Mode)[] Cases, Func<Built> Build)
    {
        public IEnumerable<string> Ids => Cases.Select(c => $"{c.Path}/{Shape}/{DType}/{c.Mode}");
    }

    private sealed class Built(Case[] cases, List<IDisposable> owned) : IDisposable
    {
        public Case[] Cases { get; } = cases;

        public void Dispose()
        {
            foreach (IDisposable d in owned)
            {
                d.Dispose();
            }
        }
    }

    /// <summary>Median seconds per call, minor faults per call, and the number of samples.</summary>
    private readonly record struct Timing(double Median, double FaultsPerCall, int Samples)
    {
        public static readonly Timing None = new(double.NaN, double.NaN, 0);
    }

    private sealed record Row(Case Case, int Threads, double Xent, Timing Torch, double Ratio, double XentBytes, double Check)
    {
        public Timing Default { get; set; } = Timing.None;
    }

    public static int Run(string[] args)
    {
        Options? o = Parse(args);
        if (o is null)
        {
            return 2;
        }

        List<Group> groups = Groups();
        if (o.List)
        {
            foreach (string id in groups.SelectMany(g => g.Ids))
            {
                Console.WriteLine(id);
            }

            return 0;
        }

        string? unavailable = LibTorch.Unavailable();
        if (unavailable is not null)
        {
            Console.Error.WriteLine($"libtorch does not load: {unavailable}. Run benchmarks/compare.sh (it builds with -p:LibTorch=true and sets up the shim).");
            return 1;
        }

        if (o.Allocator == Allocator.Warm && !NativeProbes.WarmCacheLoaded)
        {
            Console.Error.WriteLine("libwarmcache.so is not preloaded, so libtorch cannot be timed with a warm allocator. Run benchmarks/compare.sh, "
                + "or pass --default-allocator to time libtorch with glibc's allocator only.");
            return 1;
        }

        if (NativeProbes.MinorFaults() < 0)
        {
            Console.Error.WriteLine("getrusage is not reachable; minor faults cannot be counted.");
            return 1;
        }

        Plan plan = o.Quick ? QuickPlan : FullPlan;
        if (o.Allocator != Allocator.DefaultRows)
        {
            PrintHeader(o, plan);
        }

        NativeProbes.EnableWarmCache(o.Allocator == Allocator.Warm);
        var rows = new List<Row>();
        var total = Stopwatch.StartNew();
        foreach (Group g in groups)
        {
            string[] ids = g.Ids.Where(id => Selected(o, id)).ToArray();
            if (ids.Length == 0)
            {
                continue;
            }

            var groupTime = Stopwatch.StartNew();
            using (Built built = g.Build())
            {
                Case[] cases = built.Cases.Where(c => ids.Contains(c.Id)).ToArray();
                var checks = new Dictionary<Case, double>();
                foreach (int threads in o.Threads)
                {
                    foreach (Case c in cases)
                    {
                        if (o.Allocator == Allocator.DefaultRows)
                        {
                            if (!o.DefaultAtFirstThreadsOnly || threads == o.Threads[0])
                            {
                                Timing d = MeasureDefault(c, threads, plan, o);
                                Console.WriteLine(string.Join('\t', "DEFAULT", c.Id, threads.ToString(CultureInfo.InvariantCulture),
                                    d.Median.ToString("R", CultureInfo.InvariantCulture), d.FaultsPerCall.ToString("R", CultureInfo.InvariantCulture),
                                    d.Samples.ToString(CultureInfo.InvariantCulture)));
                                Console.Error.WriteLine($"  {c.Id} t={threads}: libtorch with glibc's allocator {Us(d.Median)} µs, {Faults(d.FaultsPerCall)} faults per call");
                            }

                            continue;
                        }

                        if (!checks.TryGetValue(c, out double check))
                        {
                            check = o.Check && c.Check is not null ? RunCheck(c, threads) : double.NaN;
                            checks[c] = check;
                        }

                        Row row = Measure(c, threads, plan, o, check);
                        rows.Add(row);
                        Console.Error.WriteLine($"  {c.Id} t={threads}: Xent {Us(row.Xent)} µs, libtorch {Us(row.Torch.Median)} µs, {row.Torch.Samples} repetitions");
                    }
                }
            }

            // Release the group's memory before the next one: the managed arrays, the tensors, and the cached blocks.
            NativeProbes.FlushWarmCache();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Console.Error.WriteLine($"{g.Path}/{g.Shape}/{g.DType}: {groupTime.Elapsed.TotalSeconds:F1} s");
        }

        Functional.MaxDegreeOfParallelism = Environment.ProcessorCount;
        GC.KeepAlive(_sink);
        if (o.Allocator == Allocator.DefaultRows)
        {
            return 0;
        }

        string defaultNote = "";
        if (o.Allocator == Allocator.Warm && o.DefaultColumn && rows.Count > 0)
        {
            defaultNote = MergeDefaultColumn(rows, o);
        }

        PrintTable(rows, o, defaultNote);
        Console.WriteLine();
        Console.WriteLine($"Total {total.Elapsed.TotalSeconds:F0} s; load average at the end: {LoadAverage()}.");
        return 0;
    }

    private static Options? Parse(string[] args)
    {
        bool quick = false, check = true, list = false, defaultColumn = true;
        bool? defaultFirstOnly = null;
        Allocator allocator = Allocator.Warm;
        int[] threads = [1, 2];
        double gap = 3;
        var filters = new List<string[]>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (a)
            {
                case "--compare":
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--no-check":
                    check = false;
                    break;
                case "--no-default":
                    defaultColumn = false;
                    break;
                case "--default-allocator":
                    allocator = Allocator.Default;
                    break;
                case "--default-rows":
                    allocator = Allocator.DefaultRows;
                    break;
                case "--list":
                    list = true;
                    break;
                case "--default-threads":
                    string? which = Next();
                    if (which is not ("first" or "all"))
                    {
                        Console.Error.WriteLine("--default-threads takes first or all");
                        return null;
                    }

                    defaultFirstOnly = which == "first";
                    break;
                case "--threads":
                    string? t = Next();
                    if (t is null || !t.Split(',').All(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1))
                    {
                        Console.Error.WriteLine("--threads takes a list of positive counts, e.g. 1 or 2 or 1,2");
                        return null;
                    }

                    threads = t.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Distinct().ToArray();
                    break;
                case "--filter":
                    string? f = Next();
                    if (f is null)
                    {
                        Console.Error.WriteLine("--filter takes a term");
                        return null;
                    }

                    filters.Add(f.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--gap-ms":
                    if (!double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out gap) || gap < 0)
                    {
                        Console.Error.WriteLine("--gap-ms takes a non-negative number");
                        return null;
                    }

                    break;
                default:
                    Console.Error.WriteLine($"unknown option {a}; --compare takes --quick, --threads, --filter, --list, --no-check, --gap-ms, "
                        + "--no-default, --default-threads, --default-allocator");
                    return null;
            }
        }

        return new Options(quick, threads, filters, check, gap, allocator, defaultColumn, defaultFirstOnly ?? quick, list, args);
    }

    private static bool Selected(Options o, string id) => o.Filters.All(alternatives => alternatives.Any(term => Matches(term, id)));

    private static bool Matches(string term, string id)
    {
        if (!term.Contains('*', StringComparison.Ordinal))
        {
            return id.Contains(term, StringComparison.OrdinalIgnoreCase);
        }

        string pattern = "^" + System.Text.RegularExpressions.Regex.Escape(term).Replace("\\*", ".*", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(id, pattern, System.Text.RegularExpressions.RegexOptions.IgnoreCase);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Timing

    /// <summary>Seconds per call over <paramref name="calls"/> back-to-back calls.</summary>
    private static double Time(Func<double> f, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            _sink += f();
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
    }

    /// <summary>Calls <paramref name="f"/> for at least the plan's warm-up time and call count; the fastest call's seconds.</summary>
    private static double WarmUp(Func<double> f, Plan plan, double seconds)
    {
        double best = double.PositiveInfinity;
        var elapsed = Stopwatch.StartNew();
        for (int calls = 0; calls < plan.MinWarmupCalls || elapsed.Elapsed.TotalSeconds < seconds; calls++)
        {
            best = Math.Min(best, Time(f, 1));
        }

        return best;
    }

    private static int CallsPerSample(double perCall, Plan plan) => (int)Math.Clamp(Math.Round(plan.SampleSeconds / perCall), 1, 1_000_000);

    private static void Gap(Options o)
    {
        if (o.GapMs > 0)
        {
            Thread.Sleep(TimeSpan.FromMilliseconds(o.GapMs));
        }
    }

    private static void SetThreads(int threads)
    {
        Functional.MaxDegreeOfParallelism = threads;
        torch.set_num_threads(threads);
    }

    /// <summary>
    /// Interleaved samples of the case: Xent then libtorch on even repetitions, libtorch then Xent on odd ones. Each
    /// sample is a run of back-to-back calls of about the plan's sample time; the medians of the per-call times are
    /// reported, and the ratio is the median of the per-repetition ratios Xent / libtorch.
    /// </summary>
    private static Row Measure(Case c, int threads, Plan plan, Options o, double check)
    {
        SetThreads(threads);

        // Warm-up: Xent until its code is tiered up (compare.sh makes call counting start at once), libtorch until the
        // warm cache holds every block size the call asks for.
        double tx = WarmUp(c.Xent, plan, plan.WarmupSeconds);
        double tt = WarmUp(c.Torch, plan, plan.WarmupSeconds / 2);
        int nx = CallsPerSample(tx, plan), nt = CallsPerSample(tt, plan);
        double perRep = nx * tx + nt * tt + 2 * o.GapMs * 1e-3;
        int reps = Math.Clamp((int)(plan.CaseSeconds / perRep), plan.MinReps, plan.MaxReps);

        var xs = new double[reps];
        var ts = new double[reps];
        var ratios = new double[reps];
        long xentBytes = 0, torchFaults = 0;

        double SampleXent()
        {
            Gap(o);
            long before = GC.GetAllocatedBytesForCurrentThread();
            double t = Time(c.Xent, nx);
            xentBytes += GC.GetAllocatedBytesForCurrentThread() - before;
            return t;
        }

        double SampleTorch()
        {
            Gap(o);
            long before = NativeProbes.MinorFaults();
            double t = Time(c.Torch, nt);
            torchFaults += NativeProbes.MinorFaults() - before;
            return t;
        }

        for (int r = 0; r < reps; r++)
        {
            if (r % 2 == 0)
            {
                xs[r] = SampleXent();
                ts[r] = SampleTorch();
            }
            else
            {
                ts[r] = SampleTorch();
                xs[r] = SampleXent();
            }

            ratios[r] = xs[r] / ts[r];
        }

        return new Row(
            c, threads, Median(xs), new Timing(Median(ts), (double)torchFaults / ((long)reps * nt), reps), Median(ratios),
            (double)xentBytes / ((long)reps * nx), check);
    }

    /// <summary>
    /// libtorch alone with glibc's allocator (a process without the warm allocator). Warm-up calls first let glibc's
    /// dynamic mmap threshold adapt, as it has in a process that has run a while, unless the input is at least 32 MiB:
    /// libtorch's outputs are then mapped afresh on every call whatever came before (and such calls take seconds), so
    /// the first call is already a sample. The first sample is one call; it sets how many calls make a sample and how
    /// many more samples fit the plan's budget.
    /// </summary>
    private static Timing MeasureDefault(Case c, int threads, Plan plan, Options o)
    {
        SetThreads(threads);
        if (c.InputBytes < AlwaysMappedBytes)
        {
            // glibc takes a few calls to settle (its threshold rises on the first free; the heap's free blocks then fit).
            WarmUp(c.Torch, plan with { MinWarmupCalls = 5 }, plan.WarmupSeconds / 2);
        }

        var samples = new List<double>();
        long faults = 0, calls = 0;
        void Sample(int n)
        {
            Gap(o);
            long before = NativeProbes.MinorFaults();
            samples.Add(Time(c.Torch, n));
            faults += NativeProbes.MinorFaults() - before;
            calls += n;
        }

        Sample(1);
        int nd = CallsPerSample(samples[0], plan);
        int more = Math.Clamp((int)(plan.DefaultSeconds / (nd * samples[0])), 1, plan.MaxDefaultReps) - 1;
        for (int i = 0; i < more; i++)
        {
            Sample(nd);
        }

        return new Timing(Median([.. samples]), (double)faults / calls, samples.Count);
    }

    /// <summary>
    /// Runs this program again, without libwarmcache.so in LD_PRELOAD, for the default-allocator column of the same
    /// cases (<c>--default-rows</c>), and merges its rows. Returns a note for the table.
    /// </summary>
    private static string MergeDefaultColumn(List<Row> rows, Options o)
    {
        string preload = string.Join(' ', (Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "")
            .Split([' ', ':'], StringSplitOptions.RemoveEmptyEntries).Where(p => !p.Contains("libwarmcache", StringComparison.Ordinal)));
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Compare).Assembly.Location);
        foreach (string a in o.Arguments.Where(a => a is not ("--no-check" or "--no-default")))
        {
            start.ArgumentList.Add(a);
        }

        start.ArgumentList.Add("--default-rows");
        start.ArgumentList.Add("--default-threads");
        start.ArgumentList.Add(o.DefaultAtFirstThreadsOnly ? "first" : "all");
        start.Environment["LD_PRELOAD"] = preload;
        Console.Error.WriteLine($"== default allocator: the same cases in a second process, LD_PRELOAD={preload}");
        var found = new Dictionary<(string, int), Timing>();
        using (Process child = Process.Start(start) ?? throw new InvalidOperationException("the default-allocator process did not start"))
        {
            string? line;
            while ((line = child.StandardOutput.ReadLine()) is not null)
            {
                string[] f = line.Split('\t');
                if (f.Length == 6 && f[0] == "DEFAULT")
                {
                    found[(f[1], int.Parse(f[2], CultureInfo.InvariantCulture))] = new Timing(
                        double.Parse(f[3], CultureInfo.InvariantCulture), double.Parse(f[4], CultureInfo.InvariantCulture),
                        int.Parse(f[5], CultureInfo.InvariantCulture));
                }
            }

            child.WaitForExit();
            if (child.ExitCode != 0)
            {
                Console.Error.WriteLine($"the default-allocator process failed (exit code {child.ExitCode}); its column is incomplete");
            }
        }

        foreach (Row r in rows)
        {
            if (found.TryGetValue((r.Case.Id, r.Threads), out Timing d))
            {
                r.Default = d;
            }
        }

        return $"default: a second process of this program without the warm allocator (glibc's allocator, no mallopt), run after this "
            + $"one{(o.DefaultAtFirstThreadsOnly ? $", at {o.Threads[0]} thread(s) only" : "")}: at least 5 warm-up calls (none when the input is "
            + "at least 32 MiB: glibc then maps libtorch's outputs afresh on every call), then up to "
            + $"{(o.Quick ? QuickPlan : FullPlan).MaxDefaultReps} samples";
    }

    private static double RunCheck(Case c, int threads)
    {
        SetThreads(threads);
        return c.Check!();
    }

    private static double Median(double[] values)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Output

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', System.IO.File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (System.IO.IOException)
        {
            return "?";
        }
    }

    private static string CpuModel()
    {
        try
        {
            string? line = System.IO.File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "?" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (System.IO.IOException)
        {
            return "?";
        }
    }

    private static string Env(string name) => Environment.GetEnvironmentVariable(name) ?? "(unset)";

    private static void PrintHeader(Options o, Plan plan)
    {
        Console.WriteLine("# Xent against libtorch, side by side (--compare)");
        Console.WriteLine();
        Console.WriteLine($"- Machine: {CpuModel()}, {Environment.ProcessorCount} logical CPUs; {RuntimeInformation.OSDescription}; .NET {Environment.Version}; load average at the start: {LoadAverage()}");
        Console.WriteLine($"- .NET ISA: Vector512.IsHardwareAccelerated = {Vector512.IsHardwareAccelerated}, Vector256.IsHardwareAccelerated = {Vector256.IsHardwareAccelerated}, "
            + $"Avx512F.IsSupported = {Avx512F.IsSupported}, Avx2.IsSupported = {Avx2.IsSupported} (DOTNET_EnableAVX512 = {Env("DOTNET_EnableAVX512")}; "
            + "DOTNET_EnableAVX512F is ignored by .NET 10)");
        Console.WriteLine($"- libtorch: TorchSharp {typeof(torch).Assembly.GetName().Version} (libtorch 2.10), ATEN_CPU_CAPABILITY = {Env("ATEN_CPU_CAPABILITY")}; "
            + $"allocator: {(o.Allocator == Allocator.Warm ? "warm cache preloaded (native/warmcache.c)" : "glibc's (--default-allocator)")}");
        Console.WriteLine($"- Tiering: DOTNET_TC_CallCountingDelayMs = {Env("DOTNET_TC_CallCountingDelayMs")}; mode: {(o.Quick ? "quick" : "full")} "
            + $"(samples of ~{plan.SampleSeconds * 1e3:F0} ms, {plan.MinReps}–{plan.MaxReps} repetitions per case; {o.GapMs} ms idle before each sample); "
            + $"threads: {string.Join(", ", o.Threads)}");
        Console.WriteLine();
        Console.Out.Flush();
    }

    private static string Us(double seconds)
    {
        if (double.IsNaN(seconds))
        {
            return "–";
        }

        double us = seconds * 1e6;
        return us >= 1000 ? us.ToString("N0", CultureInfo.InvariantCulture) : us.ToString(us >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
    }

    private static string Faults(double perCall) => double.IsNaN(perCall) ? "–" : perCall.ToString(perCall >= 100 ? "N0" : "F1", CultureInfo.InvariantCulture);

    private static string CheckText(Case c, double check)
    {
        if (double.IsNaN(check))
        {
            return "–";
        }

        // Beyond these the two did not compute the same thing (the Sum row's float sums differ by their own rounding).
        double tolerance = c.Path == "sum" ? double.PositiveInfinity : c.DType == "f32" ? 1e-4 : 1e-10;
        return check.ToString("0.0E+0", CultureInfo.InvariantCulture) + (check <= tolerance ? "" : " ✗");
    }

    private static void PrintTable(List<Row> rows, Options o, string defaultNote)
    {
        bool warm = o.Allocator == Allocator.Warm;
        string torchHeader = warm ? "libtorch median µs (warm)" : "libtorch median µs (glibc allocator)";
        Console.WriteLine($"| path · mode | shape | dtype | threads | Xent median µs | {torchHeader} | Xent / libtorch | libtorch median µs (default alloc.) "
            + "| libtorch minor faults / call (warm) | (default) | Xent bytes / call | repetitions (warm/default) | check |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (Row r in rows)
        {
            Timing d = warm ? r.Default : r.Torch;
            Console.WriteLine($"| {r.Case.Path} · {r.Case.Mode} | {r.Case.Shape} | {r.Case.DType} | {r.Threads} | {Us(r.Xent)} | "
                + $"{Us(r.Torch.Median)} | {r.Ratio.ToString("F2", CultureInfo.InvariantCulture)} | {Us(d.Median)} | "
                + $"{(warm ? Faults(r.Torch.FaultsPerCall) : "–")} | {Faults(d.FaultsPerCall)} | {r.XentBytes.ToString("F0", CultureInfo.InvariantCulture)} | "
                + $"{(warm ? r.Torch.Samples : 0)}/{d.Samples} | {CheckText(r.Case, r.Check)} |");
        }

        Console.WriteLine();
        foreach (Row sum in rows.Where(r => r.Case.Path == "sum"))
        {
            Row? ce = rows.FirstOrDefault(r => r.Case.Path == "ce" && r.Case.Shape == sum.Case.Shape && r.Case.DType == sum.Case.DType
                && r.Case.Mode == "fwd" && r.Threads == sum.Threads);
            if (ce is not null)
            {
                Console.WriteLine($"- ce · fwd {sum.Case.Shape} {sum.Case.DType} at {sum.Threads} thread(s): {Us(ce.Xent)} µs = "
                    + $"{(ce.Xent / sum.Xent).ToString("F2", CultureInfo.InvariantCulture)} × one TensorPrimitives.Sum pass ({Us(sum.Xent)} µs, one thread; target ≤ 1.5 ×)");
            }
        }

        Console.WriteLine("""
            - Xent: the span API of Xent.Functional with preallocated outputs (gradient, softmax destination); median of the
              per-call times of its samples. libtorch: TorchSharp on tensors made once; every call allocates its outputs.
              "fwd+grad" is the loss and its gradient with respect to the input: Xent's call with a gradient output, libtorch's
              forward with requires_grad input, then torch.autograd.grad (the gradient is returned, not accumulated into
              .grad); softmax/log_softmax fwd+grad is forward then backward with a given upstream gradient (Xent:
              Softmax + SoftmaxBackward). libtorch's cross_entropy with class indices is log_softmax + nll_loss inside
              (same kernels, same autograd graph); spelling it out, or loss.backward() with .grad reset, timed the same.
            - ce: cross_entropy with class indices (mean); ce-probs: probability targets; ce-ncd: (N, C, d) layout,
              classes in dimension 1 (Xent inner = d); ce-ls-w: label_smoothing 0.1 with class weights; bce-logits(-posw):
              binary_cross_entropy_with_logits (with pos_weight over the last dimension); bce: binary_cross_entropy on
              probabilities; kl: kl_div batchmean (libtorch: reduction sum / N, which is what its batchmean computes);
              sum: TensorPrimitives.Sum<float> over the logits, one thread (libtorch: x.sum()).
            - Interleaving: per case, repetitions of one Xent sample and one libtorch sample (Xent first on even
              repetitions, libtorch first on odd ones); ratio: median of the per-repetition ratios Xent / libtorch.
            - Warm: libtorch's blocks of 64 KiB or more come from the preloaded cache, so its calls reuse faulted pages
              (minor faults per call, from getrusage around its samples, ~0 shows it worked).
            - Xent bytes / call: GC.GetAllocatedBytesForCurrentThread over Xent's samples (0 in a good run).
            - check: max relative difference between Xent's and libtorch's results (loss, gradient, outputs) in one untimed call.
            """);
        if (defaultNote.Length > 0)
        {
            Console.WriteLine($"- {defaultNote}.");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The cases

    private static List<Group> Groups()
    {
        var groups = new List<Group>();
        void Add(string path, string shape, string[] modes, Func<Built> f32, Func<Built> f64)
        {
            (string, string)[] cases = modes.Select(m => (path, m)).ToArray();
            // The reference row: one TensorPrimitives.Sum pass over the largest float logits, measured with their cases.
            groups.Add(new Group(path, shape, "f32", path == "ce" && shape == "4096x32000" ? [.. cases, ("sum", "one-pass")] : cases, f32));
            groups.Add(new Group(path, shape, "f64", cases, f64));
        }

        string[] both = ["fwd", "fwd+grad"];
        foreach ((int n, int c) in new[] { (256, 1000), (65536, 1000), (4096, 32000) })
        {
            Add("ce", $"{n}x{c}", both, () => CrossEntropyIndex<float>(n, c, "f32"), () => CrossEntropyIndex<double>(n, c, "f64"));
        }

        Add("ce-probs", "4096x1000", both, () => CrossEntropyProbabilities<float>(4096, 1000, "f32"), () => CrossEntropyProbabilities<double>(4096, 1000, "f64"));
        Add("ce-ncd", "64x21x4096", both, () => CrossEntropyNcd<float>(64, 21, 4096, "f32"), () => CrossEntropyNcd<double>(64, 21, 4096, "f64"));
        Add("ce-ls-w", "4096x1000", both, () => CrossEntropySmoothedWeighted<float>(4096, 1000, "f32"), () => CrossEntropySmoothedWeighted<double>(4096, 1000, "f64"));
        Add("bce-logits", "4096x1024", both, () => BceWithLogits<float>(4096, 1024, false, "f32"), () => BceWithLogits<double>(4096, 1024, false, "f64"));
        Add("bce-logits-posw", "4096x1024", both, () => BceWithLogits<float>(4096, 1024, true, "f32"), () => BceWithLogits<double>(4096, 1024, true, "f64"));
        Add("bce", "4096x1024", both, () => Bce<float>(4096, 1024, "f32"), () => Bce<double>(4096, 1024, "f64"));
        Add("kl", "4096x1000", both, () => KlBatchMean<float>(4096, 1000, "f32"), () => KlBatchMean<double>(4096, 1000, "f64"));
        Add("softmax", "4096x1000", both, () => SoftmaxCases<float>(4096, 1000, false, "f32"), () => SoftmaxCases<double>(4096, 1000, false, "f64"));
        Add("log-softmax", "4096x1000", both, () => SoftmaxCases<float>(4096, 1000, true, "f32"), () => SoftmaxCases<double>(4096, 1000, true, "f64"));
        return groups;
    }

    private static double D<T>(T value)
        where T : INumberBase<T> => double.CreateTruncating(value);

    /// <summary>A cross entropy's loss as the element type gives it (the summary's double rounded once to T), widened.</summary>
    private static double Loss<T>(CrossEntropySummary summary)
        where T : IFloatingPointIeee754<T> => D(T.CreateTruncating(summary.Loss));

    private static T[] Uniform<T>(Random random, long length, double low, double high)
        where T : INumberBase<T>
    {
        var a = new T[length];
        for (long i = 0; i < a.LongLength; i++)
        {
            a[i] = T.CreateTruncating(low + random.NextDouble() * (high - low));
        }

        return a;
    }

    /// <summary>Rows that are probability distributions (or their logarithms): normalized random positive values.</summary>
    private static T[] Distributions<T>(Random random, int rows, int classes, bool log)
        where T : INumberBase<T>
    {
        var a = new T[(long)rows * classes];
        var row = new double[classes];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                row[c] = Math.Exp(random.NextDouble() * 4 - 2);
                sum += row[c];
            }

            for (int c = 0; c < classes; c++)
            {
                double p = row[c] / sum;
                a[(long)r * classes + c] = T.CreateTruncating(log ? Math.Log(p) : p);
            }
        }

        return a;
    }

    private static int[] Indices(Random random, int length, int classes)
    {
        var a = new int[length];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = random.Next(classes);
        }

        return a;
    }

    private static Tensor Torch<T>(T[] values, params long[] shape) => values switch
    {
        float[] f => torch.tensor(f, shape),
        double[] d => torch.tensor(d, shape),
        _ => throw new NotSupportedException(typeof(T).Name),
    };

    private static Tensor TorchIndices(int[] values, params long[] shape) => torch.tensor(Array.ConvertAll(values, v => (long)v), shape);

    private static double RelativeDifference(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Abs(b), 1e-300);

    /// <summary>max |a − b| / max |b| over the elements.</summary>
    private static double RelativeDifference<T>(T[] a, Tensor b)
        where T : unmanaged, INumberBase<T>
    {
        T[] other = b.contiguous().data<T>().ToArray();
        if (other.LongLength != a.LongLength)
        {
            return double.PositiveInfinity;
        }

        double maxDiff = 0, maxAbs = 0;
        for (long i = 0; i < a.LongLength; i++)
        {
            double x = D(a[i]), y = D(other[i]);
            maxDiff = Math.Max(maxDiff, Math.Abs(x - y));
            maxAbs = Math.Max(maxAbs, Math.Abs(y));
        }

        return maxDiff / Math.Max(maxAbs, 1e-300);
    }

    /// <summary>
    /// The forward and forward+gradient cases of a loss: <paramref name="loss"/> builds libtorch's scalar loss from the
    /// input tensor (the requires_grad leaf, or its detached alias for the forward pass, which records no graph).
    /// </summary>
    private static Case[] LossCases<T>(
        string path, string shape, string dtype, Func<double> xentForward, Func<double> xentGradient, T[] gradient,
        Tensor leaf, Tensor input, Func<Tensor, Tensor> loss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double TorchForward()
        {
            using DisposeScope scope = torch.NewDisposeScope();
            return D(loss(input).item<T>());
        }

        double TorchGradient()
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor value = loss(leaf);
            torch.autograd.grad([value], [leaf]);
            return D(value.item<T>());
        }

        double CheckGradient()
        {
            double x = xentGradient();
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor value = loss(leaf);
            Tensor g = torch.autograd.grad([value], [leaf])[0];
            return Math.Max(RelativeDifference(x, D(value.item<T>())), RelativeDifference(gradient, g));
        }

        return
        [
            new Case(path, shape, dtype, "fwd", xentForward, TorchForward, () => RelativeDifference(xentForward(), TorchForward())),
            new Case(path, shape, dtype, "fwd+grad", xentGradient, TorchGradient, CheckGradient),
        ];
    }

    private static (Tensor Leaf, Tensor Input) TorchInput<T>(T[] values, List<IDisposable> owned, params long[] shape)
    {
        Tensor leaf = Torch(values, shape).requires_grad_(true);
        Tensor input = leaf.detach();
        owned.Add(leaf);
        owned.Add(input);
        return (leaf, input);
    }

    private static Tensor Own(Tensor t, List<IDisposable> owned)
    {
        owned.Add(t);
        return t;
    }

    private static Built CrossEntropyIndex<T>(int rows, int classes, string dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(2026);
        T[] logits = Uniform<T>(random, (long)rows * classes, -4, 4);
        int[] targets = Indices(random, rows, classes);
        var gradient = new T[logits.LongLength];
        var owned = new List<IDisposable>();
        (Tensor leaf, Tensor input) = TorchInput(logits, owned, rows, classes);
        Tensor target = Own(TorchIndices(targets, rows), owned);
        string shape = $"{rows}x{classes}";
        var cases = LossCases(
            "ce", shape, dtype,
            () => Loss<T>(Functional.CrossEntropy<T, int>(new ReadOnlySpan<T>(logits), targets, classes)),
            () => Loss<T>(Functional.CrossEntropy<T, int>(new ReadOnlySpan<T>(logits), targets, classes, gradient: gradient)),
            gradient, leaf, input, x => F.cross_entropy(x, target)).ToList();
        if (logits is float[] floats)
        {
            cases.Add(new Case(
                "sum", shape, dtype, "one-pass", () => TensorPrimitives.Sum<float>(floats),
                () =>
                {
                    using DisposeScope scope = torch.NewDisposeScope();
                    return input.sum().item<float>();
                },
                () =>
                {
                    using DisposeScope scope = torch.NewDisposeScope();
                    return RelativeDifference(TensorPrimitives.Sum<float>(floats), input.sum().item<float>());
                }));
        }

        return new Built([.. cases], owned);
    }

    private static Built CrossEntropyProbabilities<T>(int rows, int classes, string dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(2027);
        T[] logits = Uniform<T>(random, (long)rows * classes, -4, 4);
        T[] targets = Distributions<T>(random, rows, classes, false);
        var gradient = new T[logits.LongLength];
        var owned = new List<IDisposable>();
        (Tensor leaf, Tensor input) = TorchInput(logits, owned, rows, classes);
        Tensor target = Own(Torch(targets, rows, classes), owned);
        return new Built(LossCases(
            "ce-probs", $"{rows}x{classes}", dtype,
            () => Loss<T>(Functional.CrossEntropyProbabilities<T>(new ReadOnlySpan<T>(logits), new ReadOnlySpan<T>(targets), classes)),
            () => Loss<T>(Functional.CrossEntropyProbabilities<T>(new ReadOnlySpan<T>(logits), new ReadOnlySpan<T>(targets), classes, gradient: gradient)),
            gradient, leaf, input, x => F.cross_entropy(x, target)), owned);
    }

    private static Built CrossEntropyNcd<T>(int n, int classes, int inner, string dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(2028);
        T[] logits = Uniform<T>(random, (long)n * classes * inner, -4, 4);
        int[] targets = Indices(random, n * inner, classes);
        var gradient = new T[logits.LongLength];
        var owned = new List<IDisposable>();
        (Tensor leaf, Tensor input) = TorchInput(logits, owned, n, classes, inner);
        Tensor target = Own(TorchIndices(targets, n, inner), owned);
        return new Built(LossCases(
            "ce-ncd", $"{n}x{classes}x{inner}", dtype,
            () => Loss<T>(Functional.CrossEntropy<T, int>(new ReadOnlySpan<T>(logits), targets, classes, inner: inner)),
            () => Loss<T>(Functional.CrossEntropy<T, int>(new ReadOnlySpan<T>(logits), targets, classes, gradient: gradient, inner: inner)),
            gradient, leaf, input, x => F.cross_entropy(x, target)), owned);
    }

    private static Built CrossEntropySmoothedWeighted<T>(int rows, int classes, string dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(2029);
        T[] logits = Uniform<T>(random, (long)rows * classes, -4, 4);
        int[] targets = Indices(random, rows, classes);
        T[] weights = Uniform<T>(random, classes, 0.5, 1.5);
        var gradient = new T[logits.LongLength];
        var owned = new List<IDisposable>();
        (Tensor leaf, Tensor input) = TorchInput(logits, owned, rows, classes);
        Tensor target = Own(TorchIndices(targets, rows), owned);
        Tensor weight = Own(Torch(weights, classes), owned);
        var options = new CrossEntropyOptions<T> { Reduction = Reduction.Mean, Weight = weights, LabelSmoothing = 0.1 };
        return new Built(LossCases(
            "ce-ls-w", $"{rows}x{classes}", dtype,
            () => Loss<T>(Functional.CrossEntropy<T, int>(new ReadOnlySpan<T>(logits), targets, classes, options)),
            () => Loss<T>(Functional.CrossEntropy<T, int>(new ReadOnlySpan<T>(logits), targets, classes, options, gradient)),
            gradient, leaf, input, x => F.cross_entropy(x, target, weight, label_smoothing: 0.1)), owned);
    }

    private static Built BceWithLogits<T>(int rows, int columns, bool positiveWeight, string dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(2030);
        T[] logits = Uniform<T>(random, (long)rows * columns, -4, 4);
        T[] targets = Uniform<T>(random, (long)rows * columns, 0, 1);
        T[] posWeights = positiveWeight ? Uniform<T>(random, columns, 0.5, 2) : [];
        var gradient = new T[logits.LongLength];
        var owned = new List<IDisposable>();
        (Tensor leaf, Tensor input) = TorchInput(logits, owned, rows, columns);
        Tensor target = Own(Torch(targets, rows, columns), owned);
        Tensor? posWeight = positiveWeight ? Own(Torch(posWeights, columns), owned) : null;
        return new Built(LossCases(
            positiveWeight ? "bce-logits-posw" : "bce-logits", $"{rows}x{columns}", dtype,
            () => D(Functional.BinaryCrossEntropyWithLogits<T>(new ReadOnlySpan<T>(logits), targets, Reduction.Mean, default, posWeights)),
            () => D(Functional.BinaryCrossEntropyWithLogits<T>(new ReadOnlySpan<T>(logits), targets, Reduction.Mean, default, posWeights, gradient)),
            gradient, leaf, input, x => F.binary_cross_entropy_with_logits(x, target, pos_weights: posWeight)), owned);
    }

    private static Built Bce<T>(int rows, int columns, string dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(2031);
        T[] probabilities = Uniform<T>(random, (long)rows * columns, 0.02, 0.98);
        T[] targets = Uniform<T>(random, (long)rows * columns, 0, 1);
        var gradient = new T[probabilities.LongLength];
        var owned = new List<IDisposable>();
        (Tensor leaf, Tensor input) = TorchInput(probabilities, owned, rows, columns);
        Tensor target = Own(Torch(targets, rows, columns), owned);
        return new Built(LossCases(
            "bce", $"{rows}x{columns}", dtype,
            () => D(Functional.BinaryCrossEntropy<T>(new ReadOnlySpan<T>(probabilities), targets)),
            () => D(Functional.BinaryCrossEntropy<T>(new ReadOnlySpan<T>(probabilities), targets, gradient: gradient)),
            gradient, leaf, input, x => F.binary_cross_entropy(x, target)), owned);
    }

    private static Built KlBatchMean<T>(int rows, int classes, string dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(2032);
        T[] logProbabilities = Distributions<T>(random, rows, classes, true);
        T[] targets = Distributions<T>(random, rows, classes, false);
        var gradient = new T[logProbabilities.LongLength];
        var owned = new List<IDisposable>();
        (Tensor leaf, Tensor input) = TorchInput(logProbabilities, owned, rows, classes);
        Tensor target = Own(Torch(targets, rows, classes), owned);
        return new Built(LossCases(
            "kl", $"{rows}x{classes}", dtype,
            () => D(Functional.KlDiv<T>(new ReadOnlySpan<T>(logProbabilities), targets, Reduction.BatchMean, batchSize: rows)),
            () => D(Functional.KlDiv<T>(new ReadOnlySpan<T>(logProbabilities), targets, Reduction.BatchMean, batchSize: rows, gradient: gradient)),
            gradient, leaf, input, x => F.kl_div(x, target, log_target: false, reduction: nn.Reduction.Sum) / rows), owned);
    }

    private static Built SoftmaxCases<T>(int rows, int classes, bool log, string dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(2033);
        T[] logits = Uniform<T>(random, (long)rows * classes, -4, 4);
        T[] upstream = Uniform<T>(random, (long)rows * classes, -1, 1);
        var output = new T[logits.LongLength];
        var gradient = new T[logits.LongLength];
        var owned = new List<IDisposable>();
        (Tensor leaf, Tensor input) = TorchInput(logits, owned, rows, classes);
        Tensor gradOutput = Own(Torch(upstream, rows, classes), owned);
        string path = log ? "log-softmax" : "softmax";
        string shape = $"{rows}x{classes}";

        double XentForward()
        {
            if (log)
            {
                Functional.LogSoftmax<T>(logits, output, classes);
            }
            else
            {
                Functional.Softmax<T>(logits, output, classes);
            }

            return D(output[0]);
        }

        double XentGradient()
        {
            XentForward();
            if (log)
            {
                Functional.LogSoftmaxBackward<T>(output, upstream, gradient, classes);
            }
            else
            {
                Functional.SoftmaxBackward<T>(output, upstream, gradient, classes);
            }

            return D(gradient[0]);
        }

        Tensor Forward(Tensor x) => log ? x.log_softmax(1) : x.softmax(1);

        double TorchForward()
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Forward(input);
            return 0;
        }

        double TorchGradient()
        {
            using DisposeScope scope = torch.NewDisposeScope();
            torch.autograd.grad([Forward(leaf)], [leaf], [gradOutput]);
            return 0;
        }

        double CheckForward()
        {
            XentForward();
            using DisposeScope scope = torch.NewDisposeScope();
            return RelativeDifference(output, Forward(input));
        }

        double CheckGradient()
        {
            XentGradient();
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor g = torch.autograd.grad([Forward(leaf)], [leaf], [gradOutput])[0];
            return RelativeDifference(gradient, g);
        }

        return new Built(
        [
            new Case(path, shape, dtype, "fwd", XentForward, TorchForward, CheckForward),
            new Case(path, shape, dtype, "fwd+grad", XentGradient, TorchGradient, CheckGradient),
        ], owned);
    }
}
#endif
