"""Render the review sheets used to check every box by eye: for every plate id, zoomed crops centred on its box,
one tile per frame in which it is boxed (box drawn as a 1-px rectangle just outside the box), 6 tiles per row,
48 frames per sheet. Also renders one whole-frame sheet per 16 frames with all boxes drawn (to spot missed plates).
usage: review.py <clip> <boxes.txt> <outdir> [crop_w crop_h scale]   (crop defaults: 3x the median box, >= 40x24)
"""
import os, sys, subprocess, statistics
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cv2, numpy as np
from common import frame_path
here = os.path.dirname(os.path.abspath(__file__))
clip, bf, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(outdir, exist_ok=True)
B = {}
for l in open(bf):
    if l.startswith('#') or not l.strip(): continue
    f, x, y, w, h, i = map(int, l.split()[:6])
    B.setdefault(i, {})[f] = (x, y, w, h)
for i, fb in sorted(B.items()):
    fr = sorted(fb)
    mw = statistics.median(b[2] for b in fb.values()); mh = statistics.median(b[3] for b in fb.values())
    cw = int(sys.argv[4]) if len(sys.argv) > 4 else max(40, int(3 * mw))
    ch = int(sys.argv[5]) if len(sys.argv) > 5 else max(24, int(3 * mh))
    sc = float(sys.argv[6]) if len(sys.argv) > 6 else max(1.0, min(6.0, 240 / cw))
    for k in range(0, len(fr), 48):
        part = fr[k:k + 48]
        out = f'{outdir}/{clip}_id{i}_{part[0]:04d}-{part[-1]:04d}.png'
        subprocess.run([sys.executable, f'{here}/cropsheet.py', clip, ','.join(map(str, part)), '0', '0', str(cw), str(ch),
                        str(sc), out, bf, '--follow', str(i), '--cols', '6'], check=True)
# whole frames with all boxes
n = max(f for fb in B.values() for f in fb) + 1
allb = {}
for i, fb in B.items():
    for f, b in fb.items(): allb.setdefault(f, []).append((i, b))
for k in range(0, n, 16):
    tiles = []
    for f in range(k, min(n, k + 16)):
        im = cv2.imread(frame_path(clip, f))
        for i, (x, y, w, h) in allb.get(f, []):
            cv2.rectangle(im, (x - 2, y - 2), (x + w + 1, y + h + 1), (0, 0, 255), 2)
        s = 320 / im.shape[1]
        im = cv2.resize(im, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        cv2.putText(im, str(f), (3, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 255, 255), 1)
        tiles.append(im)
    while len(tiles) % 4: tiles.append(np.zeros_like(tiles[0]))
    cv2.imwrite(f'{outdir}/{clip}_frames_{k:04d}.png', np.vstack([np.hstack(tiles[r:r + 4]) for r in range(0, len(tiles), 4)]))
