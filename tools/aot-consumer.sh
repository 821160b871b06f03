#!/usr/bin/env bash
# Publishes tools/AotConsumer as a trimmed NativeAOT executable against the packages packed from this checkout, with
# every trim and AOT warning an error, runs it, and checks its output: the libraries work in an AOT-published app.
#
#   tools/aot-consumer.sh            # needs the .NET 10 SDK and a C toolchain (gcc or clang) for the native link
#
# Works in a scratch folder (AOT_WORK, default a new temp folder) with its own package cache, so no package of an
# earlier build is picked up. Takes about a minute.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${AOT_WORK:-$(mktemp -d)}"
version="$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' "$root/Directory.Build.props")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NUGET_PACKAGES="$work/packages"

mkdir -p "$work/feed" "$work/app"
for project in src/Kernel/Xent.Kernel.csproj src/Facade/Xent.Facade.csproj; do
  dotnet pack "$root/$project" -c Release -o "$work/feed" -v q -nologo >/dev/null
done
sed "s/@VERSION@/$version/g" "$root/tools/AotConsumer/AotConsumer.csproj.template" > "$work/app/AotConsumer.csproj"
cp "$root/tools/AotConsumer/Program.cs" "$work/app/"
cat > "$work/app/nuget.config" <<XML
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
# The native link uses clang when it is installed, else gcc.
linker=()
command -v clang >/dev/null || linker=(-p:CppCompilerAndLinker=gcc)
dotnet publish "$work/app/AotConsumer.csproj" -c Release -r linux-x64 -o "$work/out" "${linker[@]}" -nologo | tee "$work/publish.log"
if grep -Eq 'warning (IL|CS)[0-9]+' "$work/publish.log"; then
  echo "aot-consumer: the publish printed warnings (above)" >&2
  exit 1
fi

output="$("$work/out/AotConsumer")"
echo "$output"
expected="kernel: loss 0.5986, long labels 0.5986, accuracy 1.0000"
if [[ "$output" != *"$expected"* || "$output" != *"facade: loss "* || "$output" != *"facade: kl 0.4034"* ]]; then
  echo "aot-consumer: unexpected output; expected a line starting with: $expected" >&2
  exit 1
fi
echo "aot-consumer: passed (NativeAOT, trimmed, no warnings; $(du -h "$work/out/AotConsumer" | cut -f1) executable)"
