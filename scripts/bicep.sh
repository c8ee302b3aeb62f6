#!/usr/bin/env bash
# Builds and lints infra/main.bicep with the Bicep CLI from NuGet (infra/tools/Bicep.Restore.csproj pins the version).
# Fails on any error or warning: a warning that is accepted must be suppressed in the Bicep source with a
# `#disable-next-line <rule> // why` comment. Prints the CLI's path last (for tests that want it: BICEP=...).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { echo "bicep: $*" >&2; }

version="$(sed -n 's/.*Azure.Bicep.CommandLine.linux-x64" Version="\[\([0-9.]*\)\]".*/\1/p' infra/tools/Bicep.Restore.csproj)"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
bicep="$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"
if [ ! -x "$bicep" ]; then
  say "restoring the Bicep CLI $version from NuGet"
  dotnet restore infra/tools/Bicep.Restore.csproj -nologo -v quiet >&2
  chmod +x "$bicep" 2>/dev/null || true
fi
[ -x "$bicep" ] || { say "the Bicep CLI is not at $bicep after restore"; exit 1; }

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
# `bicep build` and `bicep lint` exit 0 when they only warn, so the output is read as well as the exit code.
"$bicep" build infra/main.bicep --stdout >/dev/null 2>"$out" || status=$?
"$bicep" lint infra/main.bicep >>"$out" 2>&1 || status=$?
sort -u "$out" >&2
if [ "$status" != 0 ] || grep -Eq '(: Error |: Warning )' "$out"; then
  say "FAILED: infra/main.bicep has errors or warnings (Bicep $version)"
  exit 1
fi
say "infra/main.bicep builds and lints clean (Bicep $version)"
echo "$bicep"
