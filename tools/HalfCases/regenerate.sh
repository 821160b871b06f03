#!/usr/bin/env bash
# Regenerates tests/Conformance/Data/torch-half-cases.jsonl with libtorch 2.10 (TorchSharp-cpu 0.107.0).
# Usage, from anywhere: bash tools/HalfCases/regenerate.sh   (README.md beside this file says more)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
dotnet build -c Release tools/HalfCases
out=$root/tools/HalfCases/bin/Release/net10.0
# Debian 12 only (libstdc++ of GCC 12): see benchmarks/torchsharp-shim/README.md.
eval "$(bash benchmarks/torchsharp-shim/setup.sh "$out/native")"
cp "$out/native/libLibTorchSharp.so" "$out/"
dotnet "$out/Xent.HalfCases.dll" tests/Conformance/Data/torch-half-cases.jsonl
