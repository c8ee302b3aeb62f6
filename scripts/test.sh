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
# The parity test of the training code (models/training) runs the PyTorch rebuild of the detector: Debian's packages.
if ! /usr/bin/python3 -c "import torch, onnx, cv2, numpy" 2>/dev/null; then
  echo "test: installing python3-torch, python3-onnx, python3-opencv with apt (training code parity test)" >&2
  sudo_cmd=""; if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3-torch python3-onnx python3-opencv python3-numpy >/dev/null
fi
# The review page's browser test drives Debian's Chromium through Playwright (Playwright's own browser download is not used).
if [ ! -x /usr/bin/chromium ]; then
  echo "test: installing chromium with apt (review page browser test)" >&2
  sudo_cmd=""; if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
# The rendered photo strata (tests/strata/*.render) letter their plates with Debian's DejaVu condensed bold.
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf ]; then
  echo "test: installing fonts-dejavu-core with apt (rendered plate strata)" >&2
  sudo_cmd=""; if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq fonts-dejavu-core >/dev/null
fi
source scripts/azurite.sh
trap stop_azurite EXIT
if [ -z "${PLATEBLUR_SHARED:-}" ]; then
  echo "test: PLATEBLUR_SHARED is not set: tests on real photos, clips and models will be SKIPPED (set it to the shared data folder)" >&2
fi
# The projects run in parallel and their output interleaves, so every project also writes a TRX file and the
# failed tests (name, message, first lines of the stack) are listed once more at the very end.
results="$root/TestResults/run-$(date +%Y%m%d-%H%M%S)"
set +e
dotnet test PlateBlur.slnx -c Release --no-build --nologo -v quiet --logger "console;verbosity=normal" \
  --logger trx --results-directory "$results" "$@"
rc=$?
set -e
/usr/bin/python3 scripts/test-summary.py "$results" || echo "test: could not summarise $results" >&2
exit $rc
