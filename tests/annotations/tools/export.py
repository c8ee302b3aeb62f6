"""Build the per-frame annotation file of a clip from its keyframe file and print statistics.

usage: export.py keys/<clip>.keys.txt <clip> [out.boxes.txt]
  (default output: tests/annotations/<clip>.boxes.txt; frame count and size are read from the decoded frames)
"""
import os, sys, glob, statistics
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cv2
from common import FRAMES, frame_path
from interp import build

def write(keys, clip, out):
    n = len(glob.glob(f'{FRAMES}/{clip}/f*.png'))
    H, W = cv2.imread(frame_path(clip, 0)).shape[:2]
    rows = [r for r in build(keys, clip, W, H) if r[0] < n]
    seen = set()
    for r in rows:
        assert (r[0], r[5]) not in seen, f'duplicate box for frame {r[0]} plate {r[5]}'
        seen.add((r[0], r[5]))
        assert 0 <= r[1] and 0 <= r[2] and r[1] + r[3] <= W and r[2] + r[4] <= H and r[3] > 0 and r[4] > 0, r
    with open(out, 'w') as fh:
        fh.write(f'# clip: {clip}.mp4  frames: {n}  size: {W}x{H}\n')
        if 'ambiguous' in os.path.basename(out):
            fh.write('# AMBIGUOUS candidates only - NOT ground truth, not counted as plates (see README.md)\n')
        fh.write('# frame x y w h id   (frame = 0-based index in presentation order; box in pixels, top-left origin; '
                 'one line per plate per frame; id = stable plate id)\n')
        for r in rows:
            fh.write('%d %d %d %d %d %d\n' % r)
    return n, rows

def stats(n, rows):
    ids = sorted({r[5] for r in rows})
    ws = [r[3] for r in rows]
    print(f'frames {n}  plates {len(ids)}  plate-frames {len(rows)}  frames-with-plates {len({r[0] for r in rows})}  '
          f'width min {min(ws)} median {statistics.median(ws)} max {max(ws)}')
    for i in ids:
        rr = [r for r in rows if r[5] == i]
        fr = [r[0] for r in rr]
        # visible intervals
        iv = []; s = fr[0]; p = fr[0]
        for f in fr[1:]:
            if f != p + 1: iv.append((s, p)); s = f
            p = f
        iv.append((s, p))
        w = [r[3] for r in rr]
        print(f'  id {i}: {len(rr)} boxes, frames ' + ', '.join(f'{a}-{b}' for a, b in iv) +
              f'; width {min(w)}-{max(w)} (median {statistics.median(w)})')

if __name__ == '__main__':
    keys, clip = sys.argv[1], sys.argv[2]
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), f'{clip}.boxes.txt')
    n, rows = write(keys, clip, out)
    print(out); stats(n, rows)
