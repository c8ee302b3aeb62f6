#!/usr/bin/env bash
# Installs everything PlateBlur needs on a Debian machine that has the .NET 10 SDK, Node.js and apt,
# then builds it and fetches the default model (sha256 checked). Safe to run again: it skips what is there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { echo "setup: $*" >&2; }

if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  say "installing ffmpeg with apt"
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq ffmpeg >/dev/null
fi
say "$(ffmpeg -version | head -n1)"

if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing Azurite from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "building (Release)"
dotnet build PlateBlur.slnx -c Release -nologo -v quiet -clp:ErrorsOnly

cli="$root/src/PlateBlur.Cli/bin/Release/net10.0/plateblur.dll"
say "fetching models (mirror: ${PLATEBLUR_MODELS_MIRROR:-none, downloading})"
dotnet "$cli" models fetch plateblur-plate-800 hyperlpr3-640 hyperlpr3-320 yolox-nano >&2   # the first is in the repository: its sha256 is checked in place
