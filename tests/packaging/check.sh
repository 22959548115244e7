#!/usr/bin/env bash
# Packs every library and the sapling tool, then uses them as a .NET developer would, from outside the repository:
# the TrainDigits sample (trains on the embedded digits through the library API) runs against the packages, the
# ChatApi sample builds against them, and the tool installs into a temporary tool path and runs `sapling demo` from an
# empty folder. Prints package sizes and the installed tool's cold start. A per-run version suffix keeps NuGet's cache
# from serving an earlier build of the same version.
#   bash tests/packaging/check.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
base=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)
version="$base-check.$(date +%s)"
work=${1:-$(mktemp -d /tmp/sapling-packaging-XXXXXX)}
mkdir -p "$work"
echo "packing $version into $work/feed"
dotnet pack Sapling.slnx -c Release -o "$work/feed" -p:Version="$version" --artifacts-path "$work/artifacts" >"$work/pack.log" 2>&1 || { tail -20 "$work/pack.log"; exit 1; }
ls -l "$work/feed" | awk 'NR > 1 { printf "  %-52s %8.1f KB\n", $9, $5 / 1024 }'
cat >"$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="sapling-local" value="$work/feed" />
  </packageSources>
</configuration>
XML
for sample in TrainDigits ChatApi; do
  rm -rf "$work/$sample" && cp -r "$repo/samples/$sample" "$work/$sample" && cp "$work/nuget.config" "$work/$sample/"
done
echo "TrainDigits against the packages:"
(cd "$work/TrainDigits" && dotnet run -c Release -p:SaplingVersion="$version" 2>&1 | tail -1) | tee "$work/train.out"
grep -q "test accuracy" "$work/train.out"
echo "ChatApi builds against the packages:"
(cd "$work/ChatApi" && dotnet build -c Release -p:SaplingVersion="$version" 2>&1 | grep -E "Warn|Error|error" | tail -3)
echo "the tool:"
rm -rf "$work/tool" "$work/empty" && mkdir -p "$work/empty"
dotnet tool install sapling --tool-path "$work/tool" --add-source "$work/feed" --version "$version" | tail -1
cd "$work/empty"
for i in 1 2 3; do /usr/bin/time -f "  sapling --help: %e s, %M KB" "$work/tool/sapling" --help >/dev/null; done
"$work/tool/sapling" demo --plain >"$work/demo.out" 2>&1
grep -E "accuracy" "$work/demo.out" | head -2
echo "packaging check passed ($work)"
