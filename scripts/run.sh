#!/usr/bin/env bash
# Set-up plus one plateblur command, e.g.: scripts/run.sh anonymize INPUT -o OUTPUT
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
exec dotnet "$root/src/PlateBlur.Cli/bin/Release/net10.0/plateblur.dll" "$@"
