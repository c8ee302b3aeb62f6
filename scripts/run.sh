#!/usr/bin/env bash
# Set-up plus one plateblur command (the installed .NET tool), e.g.: scripts/run.sh anonymize INPUT -o OUTPUT
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
export PATH="$PATH:$HOME/.dotnet/tools"
if [ "${1:-}" != anonymize ]; then exec plateblur "$@"; fi

# anonymize: say where the output and its report went.
output="" report=""
args=("$@")
for ((i = 1; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -o|--output) output="${args[i+1]:-}" ;;
    --output=*) output="${args[i]#--output=}" ;;
    --report) report="${args[i+1]:-}" ;;
    --report=*) report="${args[i]#--report=}" ;;
  esac
done
rc=0
plateblur "$@" || rc=$?
if [ "$rc" = 0 ] && [ -n "$output" ]; then
  if [ -d "$output" ]; then
    echo "run: output folder: $(realpath "$output")${report:+, summary report: $(realpath "$report")} (each file's report beside it: NAME.report.json)"
  else
    echo "run: output: $(realpath "$output")"
    echo "run: report: $(realpath "${report:-$output.report.json}")"
  fi
fi
exit "$rc"
