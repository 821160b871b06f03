#!/usr/bin/env bash
# Xent against libtorch 2.10 (TorchSharp-cpu 0.107.0), side by side in one process: the loss family at 1 and 2 threads,
# float32 and float64, first with the CPU's full ISA (AVX-512 where it has it), then again restricted to AVX2.
#
#   benchmarks/compare.sh [--quick] [--threads 1|2|1,2] [--filter TERM]... [--native-only | --avx2-only] [--pristine-default]
#
# Any other argument goes to `Xent.Benchmarks --compare` (see benchmarks/Xent.Benchmarks/Compare.cs: --list prints the
# case ids that --filter matches, e.g. --filter ce/4096x32000 --filter f32). The tables are printed and kept in
# BenchmarkDotNet.Artifacts/compare/ (not committed). A manual tool: tests and CI never run it.
#
# Steps:
#  1. Build the benchmark with -p:LibTorch=true (restores TorchSharp-cpu, about 1.2 GB, the first time).
#  2. Make libtorch load on Debian 12 (benchmarks/torchsharp-shim/setup.sh; once per build output).
#  3. Compile benchmarks/Xent.Benchmarks/native/warmcache.c with gcc and preload it with the shim.
#  4. Run the comparison natively, then with DOTNET_EnableAVX512=0 (.NET; DOTNET_EnableAVX512F=0 is silently ignored by
#     .NET 10) and ATEN_CPU_CAPABILITY=avx2 (libtorch). Each run prints Vector512/Vector256.IsHardwareAccelerated and
#     the libtorch setting at the top, so its table says which ISA ran.
#
# Why the warm allocator, and where the default-allocator column comes from:
#  libtorch allocates every output with posix_memalign(64, size), and glibc returns large blocks to the kernel on free
#  (or, for memalign'ed blocks, cannot reuse the freed hole), so each large call touches fresh pages; on this kind of VM
#  a fresh 4 KiB page costs ~15 µs, and a libtorch benchmark with glibc's allocator then mostly measures page faults.
#  warmcache.c (preloaded) keeps libtorch's blocks of 64 KiB or more in a cache of exact sizes while it is enabled, so
#  a warm call reuses faulted pages (the table shows ~0 minor faults per warm call). libtorch's speed, and the ratio,
#  are judged on the warm column.
#  The default-allocator column is measured in the same process: for those samples the program switches the cache off
#  (warm_cache_enable(0)), so posix_memalign and free go straight to glibc (the shim then only forwards), and switches
#  it back on afterwards. We chose this over a second process without the preload because the default samples then run
#  interleaved with the Xent and warm samples, under the same load of a shared 2-core machine; what differs from a
#  pristine process is that the cached blocks stay allocated meanwhile (glibc's heap is larger) and that glibc's dynamic
#  mmap threshold has adapted to earlier calls, as it does in any long-running process. No mallopt tuning is applied in
#  either setting. --pristine-default adds a run without libwarmcache.so in LD_PRELOAD (--default-allocator: libtorch
#  timed with glibc's allocator only) to cross-check that column.
#
# Tiering: DOTNET_TC_CallCountingDelayMs=0 makes .NET start counting calls for tier-1 compilation at once instead of
#  after 100 ms without new tier-0 code; it changes when Xent's code reaches tier 1, not that code, and lets a warm-up of
#  a few hundred milliseconds per case reach it (the benchmark JIT-compiles new code between cases all along).
#
# Runtime: --quick takes a few minutes for everything; the full run is meant to stay under about 15 minutes on a 2-core
#  VM (the default-allocator samples of the largest shapes dominate: a float64 4096x32000 forward+backward call touches
#  about 3 GB of fresh pages).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
project=$root/benchmarks/Xent.Benchmarks
out=$project/bin/Release/net10.0
native=$out/native
results=$root/BenchmarkDotNet.Artifacts/compare

runs="native avx2"
pristine=0
args=()
while [ $# -gt 0 ]; do
    case $1 in
        --native-only) runs="native" ;;
        --avx2-only) runs="avx2" ;;
        --pristine-default) pristine=1 ;;
        --threads | --filter | --gap-ms)
            [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
            args+=("$1" "$2"); shift ;;
        *) args+=("$1") ;;
    esac
    shift
done

command -v gcc >/dev/null || { echo "compare.sh needs gcc (apt-get install gcc)" >&2; exit 1; }

echo "== building $project with libtorch" >&2
dotnet build -c Release "$project" -p:LibTorch=true -nologo -v q >&2

if [ ! -f "$native/libiosshim.so" ] || [ "$native/libLibTorchSharp.so" -ot "$out/TorchSharp.dll" ]; then
    echo "== setting up the TorchSharp shim in $native" >&2
    bash "$root/benchmarks/torchsharp-shim/setup.sh" "$native" >/dev/null
fi
cp "$native/libLibTorchSharp.so" "$out/"

echo "== compiling native/warmcache.c" >&2
gcc -O2 -Wall -Wextra -shared -fPIC -o "$native/libwarmcache.so" "$project/native/warmcache.c"

mkdir -p "$results"
stamp=$(date +%Y%m%d-%H%M%S)
export LD_LIBRARY_PATH=$native
export DOTNET_TC_CallCountingDelayMs=0

run() { # name, then environment assignments
    local name=$1
    shift
    echo "== run: $name" >&2
    env "$@" dotnet "$out/Xent.Benchmarks.dll" --compare "${args[@]}" | tee "$results/$stamp-$name.md"
    echo
}

for r in $runs; do
    case $r in
        native) run native LD_PRELOAD="$native/libiosshim.so $native/libwarmcache.so" ;;
        avx2) run avx2 LD_PRELOAD="$native/libiosshim.so $native/libwarmcache.so" DOTNET_EnableAVX512=0 ATEN_CPU_CAPABILITY=avx2 ;;
    esac
done

if [ $pristine = 1 ]; then
    args+=(--default-allocator)
    run pristine-default LD_PRELOAD="$native/libiosshim.so"
fi

echo "Tables kept in $results/$stamp-*.md" >&2
