using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace Xent.Packaging.Tests;

/// <summary>
/// Packs the two libraries into a local folder and installs them the way users do: a throwaway C# project and a
/// throwaway F# project reference the packages from that folder (not the source), restore them into their own package
/// cache, and run a few lines whose output is checked. Also checks the packages' metadata.
/// </summary>
public sealed class ConsumerTests
{
    private static readonly Lazy<string> Feed = new(PackOnce);
    private readonly ITestOutputHelper _output;

    public ConsumerTests(ITestOutputHelper output) => _output = output;

    private static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Functional.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Functional.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static readonly string Work = Path.Combine(Path.GetTempPath(), "xent-consumer-" + Environment.ProcessId);

    private static string PackOnce()
    {
        // One folder per test process, emptied first; the consumers get their own package caches inside it, so no
        // package of an earlier run (same version, other contents) can be picked up from the global cache.
        if (Directory.Exists(Work))
        {
            Directory.Delete(Work, recursive: true);
        }

        string feed = Path.Combine(Work, "feed");
        Directory.CreateDirectory(feed);
        foreach (string project in new[] { "src/Kernel/Xent.Kernel.csproj", "src/Facade/Xent.Facade.csproj" })
        {
            Run("dotnet", $"pack \"{Path.Combine(Root, project)}\" -c Release -o \"{feed}\" -p:PackageOutputPath=\"{feed}\"", Root, null);
        }

        return feed;
    }

    private static string Run(string file, string arguments, string directory, string? packages)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (packages is not null)
        {
            start.Environment["NUGET_PACKAGES"] = packages;
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish in 8 minutes.");
        }

        string output = stdout.Result + stderr.Result;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}:\n{output}");
        }

        return output;
    }

    private string Consume(string name, string projectFile, string projectText, string programFile, string programText)
    {
        string feed = Feed.Value; // packs first: packing empties the work folder
        string directory = Path.Combine(Work, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="xent-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(directory, projectFile), projectText);
        File.WriteAllText(Path.Combine(directory, programFile), programText);
        string output = Run("dotnet", "run", directory, Path.Combine(Work, name + "-packages"));
        _output.WriteLine(output);
        return output;
    }

    [Fact]
    public void Packages_CarryTheirMetadata_AndTheFacadeDependsOnTheKernel()
    {
        foreach ((string id, string[] dependencies) in new[] { ("Xent.Kernel", new[] { "System.Numerics.Tensors" }), ("Xent.Facade", new[] { "Xent.Kernel", "System.Numerics.Tensors" }) })
        {
            string package = Path.Combine(Feed.Value, $"{id}.0.2.0.nupkg");
            Assert.True(File.Exists(package), package);
            Assert.True(File.Exists(Path.ChangeExtension(package, ".snupkg")), "symbols package of " + id);
            using ZipArchive zip = ZipFile.OpenRead(package);
            Assert.Contains(zip.Entries, e => e.FullName == "README.md");
            Assert.Contains(zip.Entries, e => e.FullName.StartsWith("lib/net10.0/", StringComparison.Ordinal) && e.FullName.EndsWith(".xml", StringComparison.Ordinal));
            using Stream nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
            XElement metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string Field(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
            Assert.Equal(id, Field("id"));
            Assert.Equal("0.2.0", Field("version"));
            Assert.Equal("MIT", Field("license"));
            Assert.Equal("README.md", Field("readme"));
            Assert.Contains("cross-entropy", Field("tags"), StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(Field("description")));
            string[] actual = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToArray();
            Assert.Equal(dependencies.Order(), actual.Order());
        }
    }

    [Fact]
    public void ACSharpProject_InstallsThePackages_AndComputesTheSeedLoss()
    {
        string output = Consume("csharp", "Consumer.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Xent.Facade" Version="0.2.0" />
              </ItemGroup>
            </Project>
            """, "Program.cs", """
            using System;
            using System.Globalization;
            using System.Numerics.Tensors;
            using Xent;

            var logits = Tensor.Create(new float[] { 1.2372f, -0.9604f, 1.5415f }, [1, 3]);
            var target = Tensor.Create(new[] { 2 }, [1]);
            var loss = new CrossEntropyLoss<float>();
            LossResult<float> result = loss.ForwardWithGradient(logits, target);
            float kernel = (float)Functional.CrossEntropy<float, int>([1.2372f, -0.9604f, 1.5415f], [2], classes: 3).Loss;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loss {result.Value:0.0000} kernel {kernel:0.0000} grad {result.Gradient![0, 2]:0.0000}"));

            // The gradient into the caller's buffer, with long targets; the summary counts the correct predictions.
            var gradient = Tensor.Create(new float[3], [1, 3]);
            CrossEntropySummary summary = loss.ForwardWithGradient(logits, Tensor.Create(new[] { 2L }, [1]), gradient);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"buffer {summary.Loss:0.0000} grad {gradient[0, 2]:0.0000} correct {summary.Correct} of {summary.Count}"));
            """);
        Assert.Contains("loss 0.5986 kernel 0.5986 grad -0.4504", output, StringComparison.Ordinal);
        Assert.Contains("buffer 0.5986 grad -0.4504 correct 1 of 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AnFSharpProject_InstallsThePackages_AndComputesTheSeedLoss()
    {
        string output = Consume("fsharp", "Consumer.fsproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <Compile Include="Program.fs" />
              </ItemGroup>
              <ItemGroup>
                <PackageReference Include="Xent.Facade" Version="0.2.0" />
              </ItemGroup>
            </Project>
            """, "Program.fs", """
            open Xent

            let logits = [| 1.2372f; -0.9604f; 1.5415f |]
            let loss = float32 (Functional.CrossEntropy(logits, [| 2 |], classes = 3).Loss)
            let smoothed = CrossEntropyLoss<float32>(labelSmoothing = 0.1).Forward(logits, [| 1; 3 |], [| 2 |]).Value
            let batch =
                [ [| 0.1f; 0.2f; 0.3f; 0.4f |], 3; [| 0.2f; 0.3f; 0.35f; 0.15f |], 2 ]
                |> List.map (fun (row, label) -> float32 (Functional.CrossEntropy(row, [| label |], classes = 4).Loss))
            printfn "loss %.4f smoothed %.4f batch %.4f %.4f" loss smoothed batch.[0] batch.[1]
            """);
        Assert.Contains("loss 0.5986 smoothed", output, StringComparison.Ordinal);
        Assert.Contains("batch 1.2425 1.2894", output, StringComparison.Ordinal);
    }
}
