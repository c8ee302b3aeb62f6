#!/usr/bin/env python3
"""Builds the photo strata of `plateblur eval --strata` from the training photos the default model has NOT seen.

Held out: every `openimages/` image whose Open Images ID is not in models/training/openimages-attribution.txt (the 899 added
after plateblur-plate-800 was trained) and all of `openimages-lp-useu/` (also added later). A model trained on them later must
leave these strata out of its training set (models/training reads tests/strata/*.txt as an exclusion list).

Each stratum lists plates (not images) by rules on the labelled box, measured on the pixels:
  close-up : box width 50-90 % of the image width (sharp photos downscaled only, never upscaled crops)
  yellow   : >= 35 % of the box's pixels yellow (OpenCV HSV hue 15-35, saturation >= 90, value >= 90)
  two-line : box aspect width/height <= 1.6 and height >= 16 px, Open Images only (openimages-lp-useu is stretched to 416x416)
  night    : the photo was taken in low artificial light: at night or dusk outdoors, or in a dark indoor place (car park, tunnel,
             dim garage), as judged by eye (tests/strata/light.tsv, verdicts `night` and `indoor-dark`). Judged were all 568 held-out
             photos whose mean luminance is under 110 (of 255), each copy once; of them 29 are night and 16 dark indoor photos (the
             rest daylight 508, bright indoor 14, unsure 1). Until round 11 the rule was "mean luminance < 60", which took dark-toned
             daylight photos (about half of its 51) and missed lit night scenes.
A photo is listed once: an `openimages-lp-useu/oi_ID` photo whose Open Images ID is also a held-out `openimages/ID` photo is the same
photo resized (194 such pairs), so only the `openimages/` original is used (before round 11 both were listed, so their plates counted
twice and a pair could fall into both halves of a stratum).
Besides the held-out training photos, the photos kept in tests/strata/photos (its README: seven CCPD night photos, MIT, added in
round 12 because the held-out photos hold only 47 night plates) go through the same rules; they are listed as `./photos/<file>`.
Output: tests/strata/NAME.txt, one plate per line: `train/<set>/images/<file> x y w h` (pixels, top-left origin), paths relative
to the shared data folder, or `./photos/<file> x y w h`, relative to tests/strata. Usage: /usr/bin/python3 tests/strata/build.py /path/to/shared
"""
import os, sys
import cv2

shared = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PLATEBLUR_SHARED", "../shared")
here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
used = {l.split("\t")[0] for l in open(os.path.join(repo, "models/training/openimages-attribution.txt")) if l.strip() and not l.startswith("#")}

light = {}
for line in open(os.path.join(here, "light.tsv")):
    f = line.rstrip("\n").split("\t")
    if len(f) >= 2 and f[0] != "path":
        light[f[0]] = f[1]

strata = {"close-up": [], "yellow": [], "two-line": [], "night": []}


def classify(listed, img, x0, y0, bw, bh, two_line_rule):
    """Puts the plate at (x0, y0, bw, bh) of the photo `listed` (its name in the lists) into every stratum whose rule it meets."""
    hsv = cv2.cvtColor(img[y0:y0 + bh, x0:x0 + bw], cv2.COLOR_BGR2HSV)
    yellow = float(((hsv[..., 0] >= 15) & (hsv[..., 0] <= 35) & (hsv[..., 1] >= 90) & (hsv[..., 2] >= 90)).mean())
    entry = f"{listed} {x0} {y0} {bw} {bh}"
    if 0.5 <= bw / img.shape[1] <= 0.9:
        strata["close-up"].append(entry)
    if yellow >= 0.35:
        strata["yellow"].append(entry)
    if two_line_rule and bw / bh <= 1.6 and bh >= 16:
        strata["two-line"].append(entry)
    if light.get(listed) in ("night", "indoor-dark"):
        strata["night"].append(entry)


held_out_oi = set()
for ds in ["openimages", "openimages-lp-useu"]:
    d = os.path.join(shared, "train", ds)
    for f in sorted(os.listdir(os.path.join(d, "images"))):
        stem = os.path.splitext(f)[0]
        oid = stem[3:] if stem.startswith("oi_") else stem
        if ds == "openimages" and oid in used:
            continue
        if ds == "openimages-lp-useu" and oid in held_out_oi:
            continue  # a resized copy of an openimages/ photo listed already
        lab = os.path.join(d, "labels", stem + ".txt")
        if not os.path.exists(lab):
            continue
        if ds == "openimages":
            held_out_oi.add(oid)
        img = cv2.imread(os.path.join(d, "images", f))
        h, w = img.shape[:2]
        for line in open(lab):
            p = line.split()
            if len(p) < 5:
                continue
            cx, cy, bw, bh = (float(x) for x in p[1:5])
            x0, y0 = max(0, round((cx - bw / 2) * w)), max(0, round((cy - bh / 2) * h))
            x1, y1 = min(w, round((cx + bw / 2) * w)), min(h, round((cy + bh / 2) * h))
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            classify(f"train/{ds}/images/{f}", img, x0, y0, x1 - x0, y1 - y0, two_line_rule=ds == "openimages")

# The photos kept beside the lists (tests/strata/photos, see its README: small, permissively licensed, not in the shared data), named
# "./photos/<file>" and put through the same rules (two-line stays Open Images only).
for line in open(os.path.join(here, "photos", "boxes.txt")):
    p = line.split("#")[0].split()
    if not p:
        continue
    classify("./photos/" + p[0], cv2.imread(os.path.join(here, "photos", p[0])), *(int(v) for v in p[1:5]), two_line_rule=False)

for name, lines in strata.items():
    with open(os.path.join(here, name + ".txt"), "w") as out:
        out.write(f"# stratum: {name}; built by tests/strata/build.py (see its docstring); {len(lines)} plates\n")
        out.write("\n".join(lines) + "\n")
    print(f"{name}: {len(lines)} plates")
