#!/usr/bin/env bash
# Runs the kernel tests (tests/Properties and tests/Conformance) as linux-arm64 programs under qemu-user emulation on
# an x64 Debian 12 machine: the Arm64 runtime, JIT and AdvSimd (Vector128) paths, with no Arm machine.
#
#   tools/arm64-tests.sh                  # every test of both projects
#   tools/arm64-tests.sh --subset         # the subset .ci/run runs (ARM64_SUBSET below)
#   tools/arm64-tests.sh -- -class 'Xent.Properties.Softmax*'   # anything after -- goes to both test executables
#
# Needs root (or sudo) the first time, to add Debian's arm64 architecture and install qemu-user and the arm64 C, SSL and
# ICU libraries; later runs skip that step. Publishes self-contained (the arm64 runtime pack comes from NuGet) to
# ARM64_OUT (default: artifacts/arm64, ignored by git) and runs each executable with qemu-aarch64 -L /, which finds the
# arm64 libraries under / (/lib/aarch64-linux-gnu). W^X is turned off because qemu-user does not cope with the
# runtime's double-mapped code pages.
set -euo pipefail
cd "$(dirname "$0")/.."

# The subset that .ci/run runs under emulation (the whole of both projects takes about 16 minutes there, beyond CI's
# time), with the -class filters of xunit v3's in-process runner. Properties: the instruction-set fact and the
# properties of the vectorized paths (exp, log-sum-exp, softmax, cross entropy, stability, reductions), the fused linear
# cross entropy's (its matrix multiply on AdvSimd's 128-bit tile) and the chunk driver's regions; not the slow
# gradient, large-vocabulary, finite-difference and matrix-multiply properties (the last checks every element of
# products up to 513 × 513 × 513 against a scalar loop). Conformance: every class but the two multi-threaded
# determinism and allocation classes, which take nearly all of its time under emulation, the facade-only classes (no
# kernel code of their own; the x64 run covers them), and the one test that starts a second process of its own
# assembly (a fresh process's first calls): under qemu-user the child cannot be started.
ARM64_SUBSET_PROPERTIES=(-class 'Xent.Tests.InstructionSetFacts' -class 'Xent.Properties.FastExpProperties'
  -class 'Xent.Properties.LogSumExpProperties' -class 'Xent.Properties.SoftmaxProperties'
  -class 'Xent.Properties.CrossEntropyProperties' -class 'Xent.Properties.StabilityProperties'
  -class 'Xent.Properties.ReductionProperties' -class 'Xent.Properties.LinearCrossEntropyProperties'
  -class 'Xent.Properties.ChunkDriverRegionFacts')
ARM64_SUBSET_CONFORMANCE=(-class- 'Xent.Conformance.DeterminismAndAllocationTests'
  -class- 'Xent.Conformance.LargeVocabularyParallelismTests'
  -class- 'Xent.Conformance.FacadeTests' -class- 'Xent.Conformance.FamilyFacadeTests'
  -class- 'Xent.Conformance.FacadeApiTests' -class- 'Xent.Conformance.FacadeAllocationTests'
  -class- 'Xent.Conformance.CheckerTests' -class- 'Xent.Conformance.AnswerRoundTripTests'
  -class- 'Xent.Conformance.LinearFacadeTests'
  -method- 'Xent.Conformance.EngineRegressionTests.RepeatedCalls_InPlaceAndArrayOverloads_GiveTheSameBits_DoubleRowsHoldingMinusInfinity')

subset=false
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --subset) subset=true; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--subset] [-- xunit options]" >&2; exit 2 ;;
  esac
done

as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

packages=(qemu-user libc6:arm64 libssl3:arm64 libicu72:arm64)
if ! dpkg-query -W -f='${Status}\n' "${packages[@]}" 2>/dev/null | grep -c '^install ok installed$' | grep -qx "${#packages[@]}"; then
  echo "arm64: installing ${packages[*]}"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    as_root dpkg --add-architecture arm64
  fi
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}"
fi

out="${ARM64_OUT:-$PWD/artifacts/arm64}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

run() {
  local project="$1" name="$2"; shift 2
  local start=$SECONDS
  echo "arm64: publishing $project"
  dotnet publish "$project" -c Release -r linux-arm64 --self-contained -o "$out/$name" -v quiet -nologo
  echo "arm64: publish took $((SECONDS - start)) s; running $name under qemu-aarch64 $*"
  start=$SECONDS
  # Conformance reads Data/*.jsonl beside the executable (AppContext.BaseDirectory); publish copies them there.
  local status=0
  DOTNET_EnableWriteXorExecute=0 qemu-aarch64 -L / "$out/$name/$name" -noColor "$@" || status=$?
  echo "arm64: $name ran in $((SECONDS - start)) s (exit code $status)"
  [[ $status -eq 0 ]] || failed+=("$name")
}

failed=()

if $subset; then
  run tests/Properties/Xent.Properties.csproj Xent.Properties "${ARM64_SUBSET_PROPERTIES[@]}" "${extra[@]}"
  run tests/Conformance/Xent.Conformance.csproj Xent.Conformance "${ARM64_SUBSET_CONFORMANCE[@]}" "${extra[@]}"
else
  run tests/Properties/Xent.Properties.csproj Xent.Properties "${extra[@]}"
  run tests/Conformance/Xent.Conformance.csproj Xent.Conformance "${extra[@]}"
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "arm64: failed: ${failed[*]}" >&2
  exit 1
fi
