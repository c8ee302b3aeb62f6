#!/usr/bin/env bash
# Decode every frame of a clip in presentation order, no frame duplicated or dropped (works for the VFR clip too),
# and check the count against the packet count.
# usage: extract_frames.sh /path/to/clip.mp4      -> $PB_FRAMES/<clip-name>/f%05d.png (frame 0 = f00001.png)
set -euo pipefail
clip="$1"; name="$(basename "${clip%.*}")"; out="${PB_FRAMES:-/tmp/fr}/$name"
mkdir -p "$out"
ffmpeg -v error -y -i "$clip" -fps_mode passthrough -f image2 "$out/f%05d.png"
n=$(ls "$out" | wc -l)
p=$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$clip")
echo "$name: $n frames decoded, $p packets"
[ "$n" = "$p" ] || { echo "frame count mismatch" >&2; exit 1; }
