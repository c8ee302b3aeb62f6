#!/usr/bin/env bash
# The chaos run of issue 13: N files (default 50) through a real `plateblur serve` (durable backend) on its own Azurite while serve is
# killed -9 mid-segment and restarted, an ffmpeg child is killed, Azurite is stopped and started, the work disk (a tmpfs, where it can
# be mounted) is filled and the Event Grid endpoint refuses requests. Prints the table and exits non-zero if anything was lost,
# published twice, deleted early, orphaned or not announced. The harness is tests/PlateBlur.Cli.Tests/Chaos/ChaosRun.cs; CI runs it
# with N = 12 as the test ChaosTests.
# Usage: scripts/chaos.sh [N]       (needs PLATEBLUR_SHARED, the shared data folder; .ci/run's variables are used when unset)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-50}"
cd "$root"
export CI="${CI:-true}"
export PLATEBLUR_SHARED="${PLATEBLUR_SHARED:-$(cd "$root/../shared" 2>/dev/null && pwd || true)}"
export PLATEBLUR_MODELS_MIRROR="${PLATEBLUR_MODELS_MIRROR:-$PLATEBLUR_SHARED/models}"
export PLATEBLUR_DATA_MIRROR="${PLATEBLUR_DATA_MIRROR:-$PLATEBLUR_SHARED}"
export PLATEBLUR_MODELS_DIR="${PLATEBLUR_MODELS_DIR:-$root/.cache/models}"
"$root/scripts/setup.sh"
out="$root/out/chaos-$n"
mkdir -p "$out"
export PLATEBLUR_CHAOS_N="$n" PLATEBLUR_CHAOS_REPORT="$out/chaos.md" PLATEBLUR_CHAOS_LOGS="$out"
rm -f "$out/chaos.md"
status=0
dotnet test tests/PlateBlur.Cli.Tests -c Release --no-build --nologo -v quiet --filter "FullyQualifiedName~ChaosTests" \
  --logger "console;verbosity=minimal" || status=$?
if [ -f "$out/chaos.md" ]; then cat "$out/chaos.md"; else echo "chaos: no table was written (see $out)" >&2; fi
echo "chaos: table, notes and serve logs in $out" >&2
exit "$status"
