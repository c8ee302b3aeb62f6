#!/usr/bin/env python3
"""Derives a photo stress set from annotated photos (openalpr layout: `name.jpg` + `name.txt` with `name x y w h text` lines):
each photo is turned by +-ANGLE degrees (the sign alternates by file), shrunk so its widest plate is PLATE_WIDTH px wide, and
pasted into a CANVAS-sized picture (the background is another photo of the set, heavily blurred so its plates are gone), near the
left or right edge when --edge is given, else anywhere. The truth box is the axis-aligned box around the turned plate.

It stands for issue 12's "wide-angle and fisheye edges" class (plates 20-45 px wide, turned and skewed, near the edges of a large
frame) and its "small plates in dashcam footage" class, which no annotated clip we have samples. It is an evaluation set, never
training data (openalpr is AGPL and evaluation only). The output goes to a folder outside the repository:

  /usr/bin/python3 tests/variants/turned.py ../shared/data/openalpr-eu /tmp/turned/openalpr-eu --angle 25 --plate-width 32 --canvas 2560x1920 --edge
  plateblur eval --data /tmp/turned/openalpr-us --data /tmp/turned/openalpr-eu --out /tmp/turned/eval

Deterministic: the same arguments give the same pictures (seed 7)."""
import argparse, math, os, random

import cv2
import numpy as np

import openalpr_set

ap = argparse.ArgumentParser()
ap.add_argument("src"); ap.add_argument("dst")
ap.add_argument("--angle", type=float, default=25)
ap.add_argument("--plate-width", type=float, default=32)
ap.add_argument("--canvas", default="2560x1920")
ap.add_argument("--edge", action="store_true", help="paste within 400 px of the left or right edge")
ap.add_argument("--seed", type=int, default=7)
a = ap.parse_args()
CW, CH = (int(v) for v in a.canvas.split("x"))
rng = random.Random(a.seed)
os.makedirs(a.dst, exist_ok=True)
files = openalpr_set.label_files(a.src)
for idx, stem, f, im, lines in openalpr_set.photos(a.src):
    H, W = im.shape[:2]
    ang = a.angle * (1 if idx % 2 == 0 else -1)
    M = cv2.getRotationMatrix2D((W / 2, H / 2), ang, 1.0)
    c, s = abs(M[0, 0]), abs(M[0, 1])
    nW, nH = int(H * s + W * c), int(H * c + W * s)
    M[0, 2] += nW / 2 - W / 2
    M[1, 2] += nH / 2 - H / 2
    turned = cv2.warpAffine(im, M, (nW, nH), borderMode=cv2.BORDER_REFLECT)
    scale = a.plate_width / max(float(l[3]) for l in lines)
    small = cv2.resize(turned, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    sh, sw = min(small.shape[0], CH), min(small.shape[1], CW)
    small = small[:sh, :sw]
    other = cv2.imread(os.path.join(a.src, files[(idx + 7) % len(files)][:-4] + ".jpg"))
    canvas = cv2.GaussianBlur(cv2.resize(other, (CW, CH)), (0, 0), 10)
    if a.edge and sw < CW:
        left = rng.randint(0, max(0, 400 - sw // 2))
        right = rng.randint(min(CW - sw, CW - 400 - sw // 2), CW - sw)
        ox = rng.choice([left, right])
    else:
        ox = rng.randint(0, CW - sw)
    oy = rng.randint(0, CH - sh)
    canvas[oy:oy + sh, ox:ox + sw] = small
    out = []
    for l in lines:
        x, y, w, h = (float(v) for v in l[1:5])
        pts = np.array([M @ np.array([px, py, 1.0]) for px, py in [(x, y), (x + w, y), (x, y + h), (x + w, y + h)]]) * scale
        x0, y0 = pts.min(0)
        x1, y1 = pts.max(0)
        # clip to the pasted picture (a plate cut by the canvas keeps its visible part)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, sw), min(y1, sh)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        out.append("%s\t%d\t%d\t%d\t%d\t%s" % (stem + ".jpg", round(x0 + ox), round(y0 + oy), round(x1 - x0), round(y1 - y0), l[5] if len(l) > 5 else "?"))
    cv2.imwrite(os.path.join(a.dst, stem + ".jpg"), canvas, [cv2.IMWRITE_JPEG_QUALITY, 92])
    open(os.path.join(a.dst, f), "w").write("\n".join(out) + "\n")
print(f"wrote {len(files)} photos to {a.dst}")
