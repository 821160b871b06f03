using System.Runtime.CompilerServices;

namespace Xent.Internal.Vectors;

/// <summary>How the engine's loops are compiled.</summary>
internal static class Compile
{
    /// <summary>
    /// For a method that holds a loop over blocks, or a block's work done once per row: compiled on its own (never inlined into its caller, where the
    /// caller's inlining budget runs out and leaves the block operations as calls, each of which makes the JIT keep the
    /// loop's values in memory) and fully optimized from its first call (tiered compilation's profile-guided tier was
    /// measured to inline such loops differently and run them up to twice as slowly, steady state).
    /// </summary>
    public const MethodImplOptions HotLoop = MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization;
}
