#!/usr/bin/env bash
# Installs everything PlateBlur needs on a Debian machine that has the .NET 10 SDK, Node.js and apt:
# ffmpeg (apt), Azurite (npm, from package-lock.json), the build, the plateblur .NET tool (installed globally from a
# package packed here), the models and the README's sample clip (both sha256 checked).
# Safe to run again, and quick: each step is skipped when what it makes is there and up to date; the build, pack and
# tool install are skipped when no file under src/ tests/ models/ (nor the solution and props files) changed since the
# last successful build (.cache/setup.stamp).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { echo "setup: $*" >&2; }
started=$SECONDS

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

# What the build depends on: the SDK version and the content of every source file as it is on disk, whether committed,
# staged, modified or new (the git object id: taken from the index for unmodified files, hashed for the others).
source_hash() {
  local paths=(src tests models Directory.Build.props Directory.Packages.props PlateBlur.slnx)
  {
    dotnet --version
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      { git ls-files -m -- "${paths[@]}" | sed 's/^/M\t/'; git ls-files -s -- "${paths[@]}"; } |
        awk -F'\t' '$1 == "M" { m[$2] = 1; next } !($2 in m) { split($1, a, " "); print $2 " " a[2] }'
      git ls-files -m -o --exclude-standard -- "${paths[@]}" | sort -u | while IFS= read -r f; do
        if [ -f "$f" ]; then echo "$f $(git hash-object -- "$f")"; fi
      done
    else
      find "${paths[@]}" -type f -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 sha256sum
    fi
  } | LC_ALL=C sort | sha256sum | cut -d' ' -f1
}

cli="$root/src/PlateBlur.Cli/bin/Release/net10.0/plateblur.dll"
tools="$HOME/.dotnet/tools"
packages="$root/.cache/tool-packages"
stamp="$root/.cache/setup.stamp"
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' src/PlateBlur.Cli/PlateBlur.Cli.csproj | head -n1)"
hash="$(source_hash)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && [ -f "$cli" ] && [ -x "$tools/plateblur" ]; then
  say "build and plateblur tool up to date (no source changed since the last set-up): skipped"
else
  rm -f "$stamp"
  say "building (Release)"
  dotnet build PlateBlur.slnx -c Release -nologo -v quiet -clp:ErrorsOnly
  # A framework-dependent .NET tool holding only this machine's native libraries (ONNX Runtime, SkiaSharp).
  rid="$(dotnet --info | awk '/^ *RID:/ { print $2; exit }')"
  say "packing the plateblur tool $version ($rid) into .cache/tool-packages and installing it with dotnet tool install --global"
  rm -rf "$packages"
  dotnet pack src/PlateBlur.Cli/PlateBlur.Cli.csproj -c Release --no-build -nologo -v quiet -o "$packages" -p:PlateBlurToolRids="$rid" >/dev/null
  # Only the local folder as package source: no lookup on nuget.org for the name, works offline.
  cat > "$packages/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><clear /><add key="plateblur-local" value="$packages" /></packageSources></configuration>
EOF
  # Uninstall first: the version only changes on release, and an update to the same version would keep the old files.
  dotnet tool uninstall --global PlateBlur.Cli >/dev/null 2>&1 || true
  dotnet tool install --global --configfile "$packages/nuget.config" PlateBlur.Cli --version "$version" >/dev/null
  mkdir -p "$(dirname "$stamp")"
  echo "$hash" > "$stamp"
fi
case ":$PATH:" in
  *":$tools:"*) ;;
  *) say "the plateblur command is in $tools, which is not on PATH: add  export PATH=\"\$PATH:$tools\"  to ~/.profile (scripts/run.sh adds it itself)" ;;
esac

say "fetching models (mirror: ${PLATEBLUR_MODELS_MIRROR:-none, downloading})"
dotnet "$cli" models fetch plateblur-plate-800 hyperlpr3-640 hyperlpr3-320 yolox-nano >&2   # the first is in the repository: its sha256 is checked in place

# The README's sample clip, from tests/data.manifest.json (PLATEBLUR_DATA_MIRROR, else its public URL), sha256 checked.
data="${PLATEBLUR_DATA_DIR:-$root/.cache/data}"
say "fetching the sample clip into $data (mirror: ${PLATEBLUR_DATA_MIRROR:-none, downloading})"
if ! dotnet "$cli" data fetch samples/us_freeway_dashcam_540p.mp4 --to "$data" >&2; then
  say "WARNING: the sample clip could not be fetched (above); the README's first command needs it. Set PLATEBLUR_DATA_MIRROR to a folder holding samples/us_freeway_dashcam_540p.mp4, or anonymize a file of your own"
fi
say "done in $((SECONDS - started)) s"
