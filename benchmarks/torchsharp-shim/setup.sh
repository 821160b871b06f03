#!/usr/bin/env bash
# Makes TorchSharp-cpu 0.107 (libtorch 2.10) load on Debian 12 (libstdc++ of GCC 12):
# weakens its GLIBCXX_3.4.32 version need and supplies the one missing symbol.
# Usage: setup.sh OUTDIR   (after a `dotnet restore` of a project that references TorchSharp-cpu)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?outdir}
mkdir -p "$out"
pk=${NUGET_PACKAGES:-$HOME/.nuget/packages}
cp "$pk"/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native/* "$out"/
cp "$pk"/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so "$out"/
chmod u+w "$out"/libLibTorchSharp.so
command -v patchelf >/dev/null || { apt-get update >/dev/null && apt-get install -y patchelf >/dev/null; }
patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$out"/libLibTorchSharp.so
python3 "$here"/weakver.py "$out"/libLibTorchSharp.so GLIBCXX_3.4.32 >/dev/null
gcc -shared -fPIC -o "$out"/libiosshim.so "$here"/iosshim.c
echo "export LD_PRELOAD=$out/libiosshim.so LD_LIBRARY_PATH=$out"
