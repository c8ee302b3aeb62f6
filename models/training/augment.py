"""Training sample generator: one square crop per call, augmented toward what
real footage does to plates.

Geometry (one perspective warp, then a crop of `size` px):
  * scale chosen so the focus plate becomes 6-300 px wide, most mass on
    10-32 px (distant plates) but enough close-ups to keep the original
    model's strength on near plates; downscaling uses INTER_AREA first
  * yaw-like horizontal squash + perspective (oblique plates), small roll,
    shear, horizontal flip
  * focus plate placed anywhere in the crop, sometimes across the crop edge
    (frame-edge cuts); outside the image the crop is black (letterbox pad)
Photometric: colour jitter, low light + sensor noise, glare blobs, partial
occlusion of plates, motion blur, defocus, resolution loss (down/up scale),
grayscale (IR cameras), JPEG at low quality (video codec stand-in).

Labels: GT boxes are warped (corner points -> axis-aligned box) and clipped.
A box that keeps < 35 % of its area, or ends < 6 px wide, becomes an IGNORE
region instead of a positive (neither taught as plate nor as background);
teacher regions (plates the original model sees but nobody labelled) are
warped the same way and always ignored.
"""
import math

import cv2
import numpy as np


def _logu(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def target_plate_width(rng):
    u = rng.random()
    if u < 0.45:
        return _logu(rng, 7, 32)
    if u < 0.80:
        return _logu(rng, 32, 110)
    return _logu(rng, 110, 300)


def warp_boxes(boxes, H):
    if not len(boxes):
        return np.zeros((0, 4), np.float32)
    x0, y0, x1, y1 = boxes.T
    pts = np.stack([np.stack([x0, y0], 1), np.stack([x1, y0], 1), np.stack([x1, y1], 1), np.stack([x0, y1], 1)], 1)
    pts = cv2.perspectiveTransform(pts.reshape(-1, 1, 2).astype(np.float64), H).reshape(-1, 4, 2)
    return np.concatenate([pts.min(1), pts.max(1)], 1).astype(np.float32)


def _clip_split(boxes, size, min_frac=0.35, min_w=6.0, min_h=3.0):
    """-> (positives, ignores) after clipping to the crop."""
    if not len(boxes):
        z = np.zeros((0, 4), np.float32)
        return z, z
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    c = boxes.copy()
    c[:, [0, 2]] = c[:, [0, 2]].clip(0, size)
    c[:, [1, 3]] = c[:, [1, 3]].clip(0, size)
    w = c[:, 2] - c[:, 0]
    h = c[:, 3] - c[:, 1]
    vis = (w * h) / np.maximum(area, 1e-6)
    inside = (w > 0.5) & (h > 0.5)
    pos = inside & (vis >= min_frac) & (w >= min_w) & (h >= min_h)
    ign = inside & ~pos
    return c[pos], c[ign]


def _motion_kernel(rng, length):
    k = np.zeros((length, length), np.float32)
    ang = rng.uniform(-30, 30) if rng.random() < 0.7 else rng.uniform(0, 180)
    c = (length - 1) / 2
    dx, dy = math.cos(math.radians(ang)), math.sin(math.radians(ang))
    for t in np.linspace(-c, c, length * 3):
        k[int(round(c + t * dy)), int(round(c + t * dx))] = 1
    return k / k.sum()


def photometric(img, boxes, rng):
    s = img.shape[0]
    f = img.astype(np.float32)
    # colour / exposure jitter
    if rng.random() < 0.8:
        hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.float32)
        hsv[..., 0] = (hsv[..., 0] + rng.uniform(-3, 3)) % 180
        hsv[..., 1] *= rng.uniform(0.5, 1.5)
        hsv[..., 2] *= rng.uniform(0.6, 1.35)
        f = cv2.cvtColor(hsv.clip(0, 255).astype(np.uint8), cv2.COLOR_HSV2BGR).astype(np.float32)
    if rng.random() < 0.3:
        f = (f - 128) * rng.uniform(0.6, 1.3) + 128 + rng.uniform(-25, 25)
    # partial occlusion of plates (tow bar, pedestrian, another car's edge)
    for b in boxes:
        if rng.random() < 0.15:
            x0, y0, x1, y1 = b
            w, h = x1 - x0, y1 - y0
            frac = rng.uniform(0.1, 0.4)
            side = rng.integers(4)
            if side == 0:
                r = (x0, y0, x0 + w * frac, y1)
            elif side == 1:
                r = (x1 - w * frac, y0, x1, y1)
            elif side == 2:
                r = (x0, y1 - h * min(0.6, frac * 1.5), x1, y1)
            else:
                cx = rng.uniform(x0, x1)
                r = (cx - w * frac / 2, y0 - h, cx + w * frac / 2, y1 + h)
            r = [int(round(v)) for v in r]
            r = [max(0, min(s, v)) for v in r]
            if r[2] > r[0] and r[3] > r[1]:
                f[r[1]:r[3], r[0]:r[2]] = rng.uniform(0, 255, 3) if rng.random() < 0.5 else \
                    rng.uniform(0, 255) * np.ones(3)
    # low light
    if rng.random() < 0.15:
        f = 255.0 * np.power(np.clip(f / 255.0, 0, 1), rng.uniform(1.5, 3.0)) * rng.uniform(0.4, 1.0)
        f += rng.normal(0, rng.uniform(2, 8), f.shape)
    # glare: bright soft blob, sometimes on a plate (headlights, sun, wet
    # reflections); kept below full wash-out so a labelled plate stays visible
    if rng.random() < 0.15:
        for _ in range(rng.integers(1, 3)):
            if len(boxes) and rng.random() < 0.5:
                b = boxes[rng.integers(len(boxes))]
                cx, cy = rng.uniform(b[0], b[2]), rng.uniform(b[1], b[3])
                sig = max(2.0, (b[2] - b[0]) * rng.uniform(0.15, 0.6))
                amp = rng.uniform(50, 140)
            else:
                cx, cy = rng.uniform(0, s), rng.uniform(0, s)
                sig = rng.uniform(3, s / 8)
                amp = rng.uniform(80, 220)
            yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
            ar = rng.uniform(0.5, 2.0)
            g = np.exp(-(((xx - cx) / (sig * ar)) ** 2 + ((yy - cy) / sig) ** 2) / 2)
            f += g[..., None] * amp * np.array([1, rng.uniform(0.9, 1.0), rng.uniform(0.8, 1.0)])
    f = f.clip(0, 255)
    img = f.astype(np.uint8)
    if rng.random() < 0.05:
        img = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    # motion blur / defocus
    u = rng.random()
    if u < 0.25:
        img = cv2.filter2D(img, -1, _motion_kernel(rng, int(rng.integers(3, 12))))
    elif u < 0.40:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.5))
    # resolution loss (video scaled down and back up)
    if rng.random() < 0.25:
        k = rng.uniform(1.3, 3.0)
        small = cv2.resize(img, (max(8, int(s / k)), max(8, int(s / k))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (s, s), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.15:
        img = (img.astype(np.float32) + rng.normal(0, rng.uniform(2, 6), img.shape)).clip(0, 255).astype(np.uint8)
    # codec artefacts
    if rng.random() < 0.6:
        for _ in range(1 if rng.random() < 0.85 else 2):
            q = int(rng.uniform(12, 60))
            ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
            if ok:
                img = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    return img


def restyle_plates(img, boxes, rng, p_two_line=0.10, p_yellow=0.12):
    """Plate styles the data has few of, made from the plates it has (in place on img and boxes, crop coordinates).

    Two-line: the plate's left half is stacked over its right half in a box about half as wide and twice as high
    (motorcycle, Vietnamese, Korean and older square plates); the old plate area is filled with its own border colour
    first, so no unlabelled half-plate is left behind. Yellow: the plate's grey levels mapped to a yellow ground with
    dark characters (UK rear, Dutch, Luxembourg plates). Only plates fully inside the crop are changed."""
    s = img.shape[0]
    for i in range(len(boxes)):
        x0, y0, x1, y1 = (int(round(v)) for v in boxes[i])
        if x0 < 0 or y0 < 0 or x1 > s or y1 > s:
            continue
        w, h = x1 - x0, y1 - y0
        if w < 10 or h < 4:
            continue
        if rng.random() < p_two_line and w >= 2.5 * h and w >= 16:
            nw = max(6, int(round(w * rng.uniform(0.45, 0.6))))
            nh = max(6, int(round(h * rng.uniform(1.7, 2.1))))
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            nx0, ny0 = int(round(cx - nw / 2)), int(round(cy - nh / 2))
            if nx0 >= 0 and ny0 >= 0 and nx0 + nw <= s and ny0 + nh <= s:
                plate = img[y0:y1, x0:x1].copy()
                half = w // 2
                top = cv2.resize(plate[:, :half], (nw, nh // 2), interpolation=cv2.INTER_AREA)
                bottom = cv2.resize(plate[:, half:], (nw, nh - nh // 2), interpolation=cv2.INTER_AREA)
                edge = np.concatenate([plate[0], plate[-1], plate[:, 0], plate[:, -1]], 0)
                img[y0:y1, x0:x1] = np.median(edge, 0).astype(np.uint8)
                img[ny0:ny0 + nh, nx0:nx0 + nw] = np.concatenate([top, bottom], 0)
                boxes[i] = [nx0, ny0, nx0 + nw, ny0 + nh]
                x0, y0, x1, y1 = nx0, ny0, nx0 + nw, ny0 + nh
        if rng.random() < p_yellow:
            region = img[y0:y1, x0:x1]
            g = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY).astype(np.float32)
            g = (g - g.min()) / max(1.0, float(g.max() - g.min())) * 255.0   # the plate's own contrast, stretched
            tint = np.array([rng.uniform(0.05, 0.3), rng.uniform(0.72, 0.9), rng.uniform(0.9, 1.0)], np.float32)
            img[y0:y1, x0:x1] = (g[..., None] * tint).clip(0, 255).astype(np.uint8)
    return img


def cctv_degrade(img, rng):
    """What a fixed traffic camera does to distant plates: low contrast (haze, compressed dynamic range), a soft optic,
    sensor noise and heavy compression. Applied to the whole crop after the photometric stage."""
    f = img.astype(np.float32)
    mean = cv2.GaussianBlur(f, (0, 0), 12)
    f = mean + (f - mean) * rng.uniform(0.45, 0.8)
    f = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.5, 1.1))
    f += rng.normal(0, rng.uniform(1.5, 5), f.shape)
    img = f.clip(0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        s = img.shape[0]
        k = rng.uniform(1.4, 2.2)
        small = cv2.resize(img, (max(8, int(s / k)), max(8, int(s / k))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (s, s), interpolation=cv2.INTER_LINEAR)
    ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.uniform(10, 32))])
    return cv2.imdecode(enc, cv2.IMREAD_COLOR) if ok else img


def make_sample(img, gt, ignore, size, rng, p_negative=0.12, augment_photo=True, restyle=1.0, cctv=0.0, roll_wide=0.0):
    """img: BGR uint8; gt/ignore: xyxy float32 in image px.
    cctv: probability that a positive sample is made a distant CCTV plate (9-24 px wide, then cctv_degrade).
    roll_wide: probability that the roll is drawn uniformly from +-35 degrees instead of N(0, 4 degrees) (plates turned in
    the picture: wide-angle and fisheye edges, a tilted camera). With 0 the random stream is the earlier one.
    Returns (crop BGR uint8 [size,size,3], pos xyxy [K,4], ign xyxy [L,4])."""
    h0, w0 = img.shape[:2]
    negative = (not len(gt)) or rng.random() < p_negative
    distant = False
    if not negative:
        b = gt[rng.integers(len(gt))]
        pw = max(2.0, float(b[2] - b[0]))
        distant = cctv > 0 and rng.random() < cctv
        s = (_logu(rng, 9, 24) if distant else target_plate_width(rng)) / pw
        # real footage keeps a small plate inside a large scene: do not shrink
        # the whole picture to a stamp in a black crop (except sometimes)
        s_min = 0.65 * size / max(h0, w0) if rng.random() > 0.1 else 0.05
        s = float(np.clip(s, s_min, 2.0))
        fx, fy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    else:
        s = _logu(rng, 0.5 * size / max(h0, w0), max(0.6 * size / max(h0, w0), 1.5))
        fx, fy = rng.uniform(0, w0), rng.uniform(0, h0)

    # pre-scale with proper anti-aliasing
    if s < 0.9:
        interp = cv2.INTER_AREA if rng.random() < 0.7 else cv2.INTER_LINEAR
        nw, nh = max(1, int(round(w0 * s))), max(1, int(round(h0 * s)))
        img = cv2.resize(img, (nw, nh), interpolation=interp)
        sx, sy = nw / w0, nh / h0
        gt = gt * np.array([sx, sy, sx, sy], np.float32)
        ignore = ignore * np.array([sx, sy, sx, sy], np.float32)
        fx, fy = fx * sx, fy * sy
        s_rest = 1.0
    else:
        s_rest = s

    # warp around the focus point: squash (yaw), roll, shear, perspective, flip
    yaw_sq = 1.0 if rng.random() < 0.5 else rng.uniform(0.5, 1.0)
    roll = math.radians(rng.normal(0, 4))
    if roll_wide > 0 and rng.random() < roll_wide:
        roll = math.radians(rng.uniform(-35, 35))
    shear = math.radians(rng.normal(0, 4))
    flip = rng.random() < 0.5
    A = np.eye(3)
    A[0, 0] = s_rest * yaw_sq * (-1 if flip else 1)
    A[1, 1] = s_rest
    R = np.array([[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]])
    Sh = np.array([[1, math.tan(shear), 0], [0, 1, 0], [0, 0, 1]])
    P = np.eye(3)
    if rng.random() < 0.3:
        P[2, 0] = rng.normal(0, 0.0006)
        P[2, 1] = rng.normal(0, 0.0006)
    T0 = np.array([[1, 0, -fx], [0, 1, -fy], [0, 0, 1]])
    M = P @ Sh @ R @ A @ T0
    # focus position inside the crop; sometimes across the edge
    if rng.random() < 0.12 and not negative:
        edge = rng.integers(4)
        u = rng.uniform(0.1, 0.9) * size
        pos = [(0, u), (size, u), (u, 0), (u, size)][edge]
        tx, ty = pos[0] + rng.normal(0, 4), pos[1] + rng.normal(0, 4)
    else:
        # keep the focus inside and let the picture fill as much of the crop as it can
        hh, ww = img.shape[:2]
        corners = np.array([[[0, 0]], [[ww, 0]], [[ww, hh]], [[0, hh]]], np.float64)
        rel = cv2.perspectiveTransform(corners, M).reshape(-1, 2)
        t = []
        for ax in (0, 1):
            lo_f, hi_f = 0.08 * size, 0.92 * size
            mn, mx = rel[:, ax].min(), rel[:, ax].max()
            lo_c, hi_c = (size - mx, -mn) if mx - mn >= size else (-mn, size - mx)
            lo, hi = max(lo_f, lo_c), min(hi_f, hi_c)
            t.append(rng.uniform(lo, hi) if lo <= hi else rng.uniform(lo_f, hi_f))
        tx, ty = t
    T1 = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    H = T1 @ M
    crop = cv2.warpPerspective(img, H, (size, size), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    pos, ign_gt = _clip_split(warp_boxes(gt, H), size)
    _, ign_t1 = _clip_split(warp_boxes(ignore, H), size, min_frac=2.0)  # all visible -> ignore
    ign = np.concatenate([ign_gt, ign_t1], 0)
    if augment_photo:
        # outside the source image the crop must stay pure black, as the
        # letterbox pad is at inference time
        valid = cv2.warpPerspective(np.full(img.shape[:2], 255, np.uint8), H, (size, size), flags=cv2.INTER_NEAREST,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        if restyle > 0:
            crop = restyle_plates(crop, pos, rng, p_two_line=0.10 * restyle, p_yellow=0.12 * restyle)
        crop = photometric(crop, pos, rng)
        if distant:
            crop = cctv_degrade(crop, rng)
        crop[valid == 0] = 0
    return crop, pos, ign
