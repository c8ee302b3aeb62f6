#!/usr/bin/env python3
"""Derives a photo stress set of plates cut by the picture's edge (openalpr layout: `name.jpg` + `name.txt` with
`name x y w h text` lines, tab-separated).

Round 7 found a readable plate that the shipped model misses while part of it lies outside the frame (docs/results.md, "Round 7").
Every dashcam and CCTV clip has plates entering and leaving the picture, and no annotated clip or photo set measured the class.
Each photo is cropped (never resampled, so the plate stays as sharp as it was) so that its widest plate is cut by one edge of the
picture: the bottom, left, top and right edge in turn, keeping VISIBLE of the plate (drawn from --visible, default 0.4-0.8 of its
height for the top and bottom edges, of its width for the sides). The truth box is the visible part. Other plates keep their
visible part when at least half of them is left, else they are dropped (not scored either way).

  /usr/bin/python3 tests/variants/cut.py ../shared/data/openalpr-eu /tmp/cut/openalpr-eu
  plateblur eval --data /tmp/cut/openalpr-us --data /tmp/cut/openalpr-eu --out /tmp/cut/eval

Evaluation material only (openalpr is AGPL and evaluation only), never training data. Deterministic (seed 7)."""
import argparse, os, random

import cv2

import openalpr_set

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("src"); ap.add_argument("dst")
ap.add_argument("--visible", default="0.4,0.8", help="range of the cut plate's visible share, LOW,HIGH")
ap.add_argument("--side", default="turns", choices=["turns", "bottom", "left", "top", "right"],
                help="the edge that cuts the plate: each in turn (default), or always this one")
ap.add_argument("--seed", type=int, default=7)
a = ap.parse_args()
lo, hi = (float(v) for v in a.visible.split(","))
if not 0 < lo <= hi <= 1:
    raise SystemExit("--visible must be LOW,HIGH with 0 < LOW <= HIGH <= 1")
rng = random.Random(a.seed)
os.makedirs(a.dst, exist_ok=True)
written = 0
for idx, stem, f, im, lines in openalpr_set.photos(a.src):
    H, W = im.shape[:2]
    boxes = [(float(l[1]), float(l[2]), float(l[3]), float(l[4]), l[5] if len(l) > 5 else "?") for l in lines]
    x, y, w, h, _ = max(boxes, key=lambda b: b[2])
    side = ("bottom", "left", "top", "right")[idx % 4] if a.side == "turns" else a.side
    v = rng.uniform(lo, hi)
    x0, y0, x1, y1 = 0.0, 0.0, float(W), float(H)
    if side == "bottom":
        y1 = y + v * h
    elif side == "top":
        y0 = y + (1 - v) * h
    elif side == "left":
        x0 = x + (1 - v) * w
    else:
        x1 = x + v * w
    x0, y0, x1, y1 = int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1))
    if x1 - x0 < 32 or y1 - y0 < 32:
        continue
    out = []
    for bx, by, bw, bh, text in boxes:
        cx0, cy0, cx1, cy1 = max(bx, x0), max(by, y0), min(bx + bw, x1), min(by + bh, y1)
        if cx1 - cx0 < 1 or cy1 - cy0 < 1:
            continue
        share = (cx1 - cx0) * (cy1 - cy0) / max(bw * bh, 1e-9)
        cut = (bx, by, bw) == (x, y, w)
        if not cut and share < 0.5:
            continue
        out.append("%s\t%d\t%d\t%d\t%d\t%s" % (stem + ".jpg", round(cx0 - x0), round(cy0 - y0), round(cx1 - cx0), round(cy1 - cy0), text))
    cv2.imwrite(os.path.join(a.dst, stem + ".jpg"), im[y0:y1, x0:x1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    open(os.path.join(a.dst, f), "w").write("\n".join(out) + "\n")
    written += 1
print(f"wrote {written} photos to {a.dst}, each with its widest plate cut by an edge (visible {lo:g}-{hi:g})")
