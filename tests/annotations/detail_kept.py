#!/usr/bin/env python3
"""A pixel check of eval-video's geometric score: for every annotated plate-frame, how much of the source's fine detail the
anonymized output keeps inside the plate's box (mean absolute horizontal plus vertical difference of the luma, output over
source). A plate whose box is 90 % inside masks can still show a character in the other 10 %; this measures what a viewer sees.
Blur leaves the plate's low-frequency shading, so a fully covered small plate keeps about 0.3-0.45 of this measure; a plate left
in the clear keeps about 1.0.

  plateblur eval-video --data <clips> --annotations tests/annotations --keep-clips --out OUT
  /usr/bin/python3 tests/annotations/detail_kept.py tests/annotations/CLIP.boxes.txt <clips>/CLIP.mp4 OUT/clips/anonymized-CLIP.mp4 rows.json

prints the plate-frames keeping at least 0.5 of their detail, and writes every row (frame, plate, w, h, source, output, ratio)."""
import collections, json, os, sys

import cv2
import numpy as np


def boxes(path):
    d = collections.defaultdict(list)
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        f = line.replace(",", " ").split()
        d[int(f[0])].append((float(f[1]), float(f[2]), float(f[3]), float(f[4]), int(f[5]) if len(f) > 5 else 0))
    return d


def detail(g):
    g = g.astype(np.float32)
    return float(np.abs(np.diff(g, axis=1)).mean() + np.abs(np.diff(g, axis=0)).mean())


truth = boxes(sys.argv[1])
src, out = cv2.VideoCapture(sys.argv[2]), cv2.VideoCapture(sys.argv[3])
rows, i = [], 0
while True:
    ok1, fa = src.read()
    ok2, fb = out.read()
    if not ok1 or not ok2:
        break
    if i in truth:
        ga, gb = cv2.cvtColor(fa, cv2.COLOR_BGR2GRAY), cv2.cvtColor(fb, cv2.COLOR_BGR2GRAY)
        H, W = ga.shape
        for x, y, w, h, pid in truth[i]:
            x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
            x1, y1 = min(W, int(round(x + w))), min(H, int(round(y + h)))
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            a, b = detail(ga[y0:y1, x0:x1]), detail(gb[y0:y1, x0:x1])
            rows.append((i, pid, w, h, a, b, b / max(a, 1e-6)))
    i += 1
json.dump(rows, open(sys.argv[4], "w"))
kept = [(r[0], r[1], round(r[6], 2)) for r in rows if r[6] >= 0.5]
print(f"{os.path.basename(sys.argv[3])}: {len(rows)} plate-frames, {len(kept)} keep >= 0.5 of their detail: {kept}")
