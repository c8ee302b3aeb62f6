#!/usr/bin/env bash
# Set-up, then every test against real ffmpeg, the real model and Azurite (started and stopped here).
# Test media come from PLATEBLUR_SHARED (the shared data folder); without it those tests are skipped and say so.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
cd "$root"
# infra/main.bicep must build and lint without errors or warnings; the deployment tests compile it with the same CLI.
PLATEBLUR_BICEP="$(scripts/bicep.sh)"
export PLATEBLUR_BICEP
source scripts/azurite.sh
trap stop_azurite EXIT
if [ -z "${PLATEBLUR_SHARED:-}" ]; then
  echo "test: PLATEBLUR_SHARED is not set: tests on real photos, clips and models will be SKIPPED (set it to the shared data folder)" >&2
fi
dotnet test PlateBlur.slnx -c Release --no-build --nologo -v quiet --logger "console;verbosity=normal" "$@"
