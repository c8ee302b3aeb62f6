"""Reads an annotated photo folder in the openalpr layout (`name.jpg` + `name.txt` with tab-separated `name x y w h text` lines),
for the scripts of this folder that derive stress sets from it."""
import os

import cv2


def photos(src):
    """Yields (index, stem, label file name, BGR image, label rows) for every labelled photo, in file-name order (the index counts
    every label file, readable or not, so a derived set stays the same when one photo is unreadable)."""
    files = sorted(f for f in os.listdir(src) if f.endswith(".txt"))
    for idx, f in enumerate(files):
        stem = f[:-4]
        im = cv2.imread(os.path.join(src, stem + ".jpg"))
        lines = [l.rstrip("\n").split("\t") for l in open(os.path.join(src, f)) if l.strip()]
        if im is None or not lines:
            continue
        yield idx, stem, f, im, lines


def label_files(src):
    return sorted(f for f in os.listdir(src) if f.endswith(".txt"))
