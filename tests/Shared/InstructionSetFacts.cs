using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Xunit;

namespace Xent.Tests;

/// <summary>
/// Prints which vector widths the test process runs on (.ci/run runs the kernel tests again with
/// <c>DOTNET_EnableAVX512=0</c> and with <c>DOTNET_EnableAVX2=0</c>, and tools/arm64-tests.sh on Arm64), and checks that
/// such a switch reached the process: without it those runs would cover the AVX-512 path again and say otherwise.
/// Compiled into tests/Properties and tests/Conformance.
/// </summary>
public sealed class InstructionSetFacts
{
    [Fact]
    public void TheRuntimeSwitches_TurnOffTheVectorWidthsTheyName()
    {
        string line = $"instruction set: {RuntimeInformation.ProcessArchitecture}, " +
            $"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, " +
            $"Vector128 {Vector128.IsHardwareAccelerated}, Avx512F {Avx512F.IsSupported}, Avx2 {Avx2.IsSupported} " +
            $"(DOTNET_EnableAVX512={Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") ?? "unset"}, " +
            $"DOTNET_EnableAVX2={Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") ?? "unset"})";
        Console.WriteLine(line);
        TestContext.Current.TestOutputHelper?.WriteLine(line);

        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
        {
            Assert.False(Vector512.IsHardwareAccelerated, "DOTNET_EnableAVX512=0 but Vector512 is accelerated");
            Assert.False(Avx512F.IsSupported, "DOTNET_EnableAVX512=0 but Avx512F is supported");
        }

        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0")
        {
            Assert.False(Vector256.IsHardwareAccelerated, "DOTNET_EnableAVX2=0 but Vector256 is accelerated");
            Assert.False(Avx2.IsSupported, "DOTNET_EnableAVX2=0 but Avx2 is supported");
        }
    }
}
