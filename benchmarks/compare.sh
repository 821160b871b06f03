#!/usr/bin/env bash
# Xent against libtorch 2.10 (TorchSharp-cpu 0.107.0), side by side in one process: the loss family at 1 and 2 threads,
# float32 and float64, first with the CPU's full ISA (AVX-512 where it has it), then again restricted to AVX2.
#
#   benchmarks/compare.sh [--quick] [--threads 1|2|1,2] [--filter TERM]... [--native-only | --avx2-only]
#   benchmarks/compare.sh --linear [--shapes NxDxV,...] [--threads 1,2] [--reps R] [--no-matmul] [--no-memory] [--native-only | --avx2-only]
#
# --linear runs the fused linear cross entropy and the matrix multiply against libtorch instead of the loss family
# (benchmarks/Xent.Benchmarks/LinearCompare.cs), with the same set-up; its memory traces go to
# BenchmarkDotNet.Artifacts/linear/<stamp>-<run>/.
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
#  warmcache.c (preloaded) keeps libtorch's blocks of 64 KiB or more in a cache of exact sizes, so a warm call reuses
#  faulted pages (the table shows ~0 minor faults per warm call). libtorch's speed, and the ratio, are judged on the
#  warm column, measured interleaved with Xent in one process.
#  The default-allocator column comes from a second process of the same program, which the first starts when it has
#  finished (--default-rows) with libwarmcache.so removed from LD_PRELOAD: glibc's allocator exactly as a user's process
#  has it, no mallopt. We first toggled the cache off for some samples inside the warm process instead, to interleave
#  them, and dropped that: with the cache holding libtorch's blocks, glibc never sees them freed, so its dynamic mmap
#  threshold never rises and its heap stays fragmented; the toggled samples then took fresh pages on every call for
#  outputs of 1 to 32 MiB (e.g. 8,000 faults per call for softmax float64 4096x1000) where a process without the cache
#  mostly takes none after a few calls. The price of the second process is that its samples are not interleaved with
#  the others, so they see the machine's load at another time. Expect that column to be erratic for outputs under
#  32 MiB: glibc's reuse of freed memalign blocks depends on the heap's history, and a case now and then keeps taking
#  fresh pages on every call (seen: 6,600 faults per call for ce-probs float32 4096x1000 at 2 threads in one run, 0 in
#  the next). In it, each case gets a warm-up call (so glibc's threshold
#  has adapted, as in any process that has run a while) unless its input is at least 32 MiB, glibc's largest mmap
#  threshold: those outputs are mapped afresh on every call whatever happened before, and the calls take seconds.
#  The AVX2 run takes its default-allocator samples at the first thread count only (--default-threads first): the cost
#  of fresh pages does not depend on the ISA, and those samples are the slowest part of a run. --no-default (passed
#  through) drops the column.
#
# Tiering: DOTNET_TC_CallCountingDelayMs=0 makes .NET start counting calls for tier-1 compilation at once instead of
#  after 100 ms without new tier-0 code; it changes when Xent's code reaches tier 1, not that code, and lets a warm-up of
#  a few hundred milliseconds per case reach it (the benchmark JIT-compiles new code between cases all along).
#
# Runtime: the default-allocator samples of the largest shapes dominate (a float64 4096x32000 forward+backward call
#  with glibc's allocator takes 768,000 fresh pages: ~12 s at 15 µs a page, ~30 s on a loaded machine). --quick takes
#  them at one thread count, with 3-7 short samples per case: about 10 minutes for both runs, build included, on a
#  2-core VM loaded by other builds (load average ~8-10), less on a quiet one. The full run is estimated at 11-13 minutes
#  on a quiet 2-core VM; on a loaded one it takes longer, and its figures mean little anyway.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
project=$root/benchmarks/Xent.Benchmarks
out=$project/bin/Release/net10.0
native=$out/native
results=$root/BenchmarkDotNet.Artifacts/compare

runs="native avx2"
mode=--compare
args=()
while [ $# -gt 0 ]; do
    case $1 in
        --native-only) runs="native" ;;
        --avx2-only) runs="avx2" ;;
        --linear) mode=--linear ;;
        --threads | --filter | --gap-ms | --shapes | --reps)
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

extra=()
run() { # name, then environment assignments; the options are "${args[@]}" and "${extra[@]}"
    local name=$1
    shift
    echo "== run: $name" >&2
    if [ "$mode" = --linear ]; then
        env "$@" dotnet "$out/Xent.Benchmarks.dll" --linear --out "$root/BenchmarkDotNet.Artifacts/linear/$stamp-$name" "${args[@]}" | tee "$results/$stamp-linear-$name.md"
    else
        env "$@" dotnet "$out/Xent.Benchmarks.dll" --compare "${args[@]}" "${extra[@]}" | tee "$results/$stamp-$name.md"
    fi
    echo
}

for r in $runs; do
    case $r in
        native) run native LD_PRELOAD="$native/libiosshim.so $native/libwarmcache.so" ;;
        avx2)
            [ "$mode" = --linear ] || extra=(--default-threads first)
            run avx2 LD_PRELOAD="$native/libiosshim.so $native/libwarmcache.so" DOTNET_EnableAVX512=0 ATEN_CPU_CAPABILITY=avx2
            extra=() ;;
    esac
done

echo "Tables kept in $results/$stamp-*.md" >&2
