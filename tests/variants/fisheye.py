#!/usr/bin/env python3
"""Derives barrel-distorted ("fisheye") variants of the annotated clips, labels mapped with the picture.

Issue 12 names wide-angle and fisheye edges as a class that leaks: plates near the edges of such a frame are squeezed, skewed
and turned. None of our annotated clips is wide-angle, and no permissively licensed one was found (docs/results.md, round 5).
This script turns each annotated clip into one: every frame is remapped with a radial distortion

    r_src = r_dst * (1 + K * r_dst^2) / (1 + K * e^2)      (r: distance from the centre over the half-diagonal)

where e is the middle of the long edge (e = W / 2 over the half-diagonal for a landscape frame), so the whole width of the
source stays in the picture, edge to edge. The centre is magnified by (1 + K e^2), the left and right edges squeezed radially by
(1 + 3 K e^2) / (1 + K e^2) (1.63 at K = 0.6 for 16:9), a straight line off the centre bows, a plate near a corner is turned and
squeezed, the corners turn black and a strip along the top and bottom leaves the picture, as in a wide-angle dashcam or a fisheye
CCTV frame. K = 0 is the identity (the clip re-encoded at the same quality, to separate the encoding from the warp).
Each label box (and each ambiguous box) becomes the axis-aligned box around its warped outline (40 points along its edges);
a box that leaves the frame keeps its visible part; one more than half outside (the black corners, the strips above and
below) becomes an ambiguous region (it cannot be judged from what is left, and is not counted either way), one wholly outside
is dropped; the script says how many of each.

ffmpeg does the warp (its `remap` filter with 16-bit maps written here), so frame count and frame times are the source's own
(vn_toll_cctv has variable frame times) and the ≈ 10 fps variants pick the same frames as for the original clip.

  /usr/bin/python3 tests/variants/fisheye.py --clips ../shared/samples --annotations tests/annotations --k 0.6 --out /tmp/fisheye-06
  plateblur eval-video --data /tmp/fisheye-06 --annotations /tmp/fisheye-06 --rates native,10 --out /tmp/fisheye-06/eval

Evaluation material only, never training data. Deterministic: the same arguments give the same files (up to the encoder)."""
import argparse, math, os, shutil, subprocess, sys

import cv2
import numpy as np

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--clips", required=True, help="folder holding the annotated clips (CLIP.mp4)")
ap.add_argument("--annotations", required=True, help="folder holding CLIP.boxes.txt (+ CLIP.ambiguous.txt, halves.txt)")
ap.add_argument("--out", required=True)
ap.add_argument("--k", type=float, default=0.6, help="distortion strength K (0 = identity)")
ap.add_argument("--crf", type=int, default=16, help="x264 CRF of the warped clips (visually lossless by default)")
ap.add_argument("--supersample", type=int, default=3, help="warp at this many times the frame size, then shrink by area")
ap.add_argument("--only", default="", help="comma list of clip names (default: every annotated clip found)")
a = ap.parse_args()
if a.k < 0:
    sys.exit("--k must be 0 or more")
os.makedirs(a.out, exist_ok=True)


def edge(w, h):
    return max(w, h) / math.hypot(w, h)


def src_radius(rd, k, e):
    return rd * (1 + k * rd * rd) / (1 + k * e * e)


def dst_radius(rs, k, e):
    """Inverse of src_radius (monotonic for k >= 0): Newton from rs."""
    rd = np.array(rs, np.float64)
    for _ in range(40):
        f = rd * (1 + k * rd * rd) / (1 + k * e * e) - rs
        d = (1 + 3 * k * rd * rd) / (1 + k * e * e)
        rd = rd - f / d
    return rd


def maps(w, h, k, ss):
    """16-bit maps for remap at SS times the frame size: the picture is enlarged SS times (bicubic), sampled at the nearest
    supersampled pixel (remap has no interpolation) and shrunk back by area, which comes close to a smooth (bilinear) warp;
    without it the magnified centre shows blocks and the 4-9 px plates of the report half change their look more than the
    warp would."""
    cx, cy, r0 = (w - 1) / 2, (h - 1) / 2, math.hypot(w, h) / 2
    W, H = w * ss, h * ss
    xs, ys = np.meshgrid((np.arange(W, dtype=np.float64) + 0.5) / ss - 0.5, (np.arange(H, dtype=np.float64) + 0.5) / ss - 0.5)
    dx, dy = (xs - cx) / r0, (ys - cy) / r0
    rd = np.hypot(dx, dy)
    e = edge(w, h)
    f = np.where(rd > 0, src_radius(rd, k, e) / np.maximum(rd, 1e-12), 1 / (1 + k * e * e))
    sx, sy = np.rint((cx + dx * f * r0 + 0.5) * ss - 0.5), np.rint((cy + dy * f * r0 + 0.5) * ss - 0.5)
    # outside the source: a coordinate past the edge, which remap fills black
    sx = np.where((sx < 0) | (sx > W - 1), 65535, sx)
    sy = np.where((sy < 0) | (sy > H - 1), 65535, sy)
    return sx.astype(np.uint16), sy.astype(np.uint16)


def warp_box(x, y, bw, bh, w, h, k):
    cx, cy, r0 = (w - 1) / 2, (h - 1) / 2, math.hypot(w, h) / 2
    t = np.linspace(0, 1, 40)
    px = np.concatenate([x + t * bw, x + t * bw, np.full_like(t, x), np.full_like(t, x + bw)])
    py = np.concatenate([np.full_like(t, y), np.full_like(t, y + bh), y + t * bh, y + t * bh])
    dx, dy = (px - cx) / r0, (py - cy) / r0
    rs = np.hypot(dx, dy)
    e = edge(w, h)
    rd = dst_radius(rs, k, e)
    f = np.where(rs > 0, rd / np.maximum(rs, 1e-12), 1 + k * e * e)
    qx, qy = cx + dx * f * r0, cy + dy * f * r0
    full = (qx.max() - qx.min()) * (qy.max() - qy.min())
    x0, y0, x1, y1 = max(qx.min(), 0), max(qy.min(), 0), min(qx.max(), w), min(qy.max(), h)
    if x1 - x0 < 0.5 or y1 - y0 < 0.5:
        return None, 0.0
    return (round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0))), (x1 - x0) * (y1 - y0) / max(full, 1e-9)


def map_labels(src, dst, w, h, k, amb_out=None):
    """Maps one labels file. A plate that the warp pushes more than half out of the frame (the black corners, the strips above
    and below) cannot be judged from what is left: with AMB_OUT it goes to the ambiguous file instead (never counted either way)."""
    kept = dropped = moved = 0
    with open(src) as fi, open(dst, "w") as fo:
        for line in fi:
            if line.startswith("#") or not line.strip():
                if line.startswith("# clip:"):
                    fo.write(line.rstrip("\n") + f"  (fisheye variant, K = {a.k:g}; tests/variants/fisheye.py)\n")
                else:
                    fo.write(line)
                continue
            f_, x, y, bw, bh, pid = line.split()[:6]
            b, visible = warp_box(float(x), float(y), float(bw), float(bh), w, h, k)
            if b is None:
                dropped += 1
                continue
            row = f"{f_} {b[0]} {b[1]} {b[2]} {b[3]} {pid}\n"
            if amb_out is not None and visible < 0.5 and k > 0:
                moved += 1
                amb_out.append(row)
                continue
            kept += 1
            fo.write(row)
    return kept, dropped, moved


def packets(path):
    """Frames of the first video stream, counted packet by packet (not the header's figure)."""
    return subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0", "-show_entries", "stream=nb_read_packets",
                           "-of", "csv=p=0", path], capture_output=True, text=True, check=True).stdout.strip()


only = {s for s in a.only.split(",") if s}
clips = sorted(f[:-len(".boxes.txt")] for f in os.listdir(a.annotations) if f.endswith(".boxes.txt"))
done = 0
for name in clips:
    if only and name not in only:
        continue
    video = os.path.join(a.clips, name + ".mp4")
    if not os.path.exists(video):
        print(f"{name}: no {video}, skipped", flush=True)
        continue
    header = open(os.path.join(a.annotations, name + ".boxes.txt")).readline()
    w, h = (int(v) for v in header.split("size:")[1].split()[0].split("x"))
    xm, ym = maps(w, h, a.k, a.supersample)
    xmap, ymap = os.path.join(a.out, f".{name}.xmap.pgm"), os.path.join(a.out, f".{name}.ymap.pgm")
    cv2.imwrite(xmap, xm)
    cv2.imwrite(ymap, ym)
    out = os.path.join(a.out, name + ".mp4")
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", video, "-i", xmap, "-i", ymap,
           "-filter_complex", f"[0:v]scale={w * a.supersample}:{h * a.supersample}:flags=bicubic,format=yuv444p[up];"
           f"[up][1:v][2:v]remap=fill=black,scale={w}:{h}:flags=area,format=yuv420p[v]", "-map", "[v]",
           "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "medium", "-crf", str(a.crf), "-pix_fmt", "yuv420p", out]
    subprocess.run(cmd, check=True)
    os.remove(xmap)
    os.remove(ymap)
    n_src, n_out = packets(video), packets(out)
    if n_src != n_out:
        sys.exit(f"{name}: the warped clip has {n_out} frames, the source {n_src}; its labels would not line up")
    halfway = []
    kept, dropped, moved = map_labels(os.path.join(a.annotations, name + ".boxes.txt"), os.path.join(a.out, name + ".boxes.txt"), w, h,
                                      a.k, halfway)
    amb = os.path.join(a.annotations, name + ".ambiguous.txt")
    amb_dst = os.path.join(a.out, name + ".ambiguous.txt")
    if os.path.exists(amb):
        map_labels(amb, amb_dst, w, h, a.k)
    if halfway:
        if not os.path.exists(amb_dst):
            with open(amb_dst, "w") as fo:
                fo.write(header.rstrip("\n") + f"  (fisheye variant, K = {a.k:g}; tests/variants/fisheye.py)\n")
                fo.write("# AMBIGUOUS candidates only - NOT ground truth, not counted as plates (see README.md)\n")
                fo.write("# frame x y w h id\n")
        with open(amb_dst, "a") as fo:
            fo.writelines(halfway)
    print(f"{name}: {n_out} frames, {kept} boxes mapped, {moved} more than half out of the frame (now ambiguous), "
          f"{dropped} wholly out", flush=True)
    done += 1
halves = os.path.join(a.annotations, "halves.txt")
if os.path.exists(halves):
    shutil.copy(halves, os.path.join(a.out, "halves.txt"))
print(f"wrote {done} fisheye clips (K = {a.k:g}) to {a.out}")
