"""Shared helpers: letterbox, data listing and split, NMS, matching metrics."""
import glob
import hashlib
import os

import cv2
import numpy as np
import torch

DEFAULT_Y5FU = os.environ.get("PLATEBLUR_Y5FU", "/work/shared/models/hyperlpr3/y5fu_640x_sim.onnx")

# Held-out rides of the Romanian dashcam set (split by ride, never at random).
# The only night ride stays in training: it is the only night data we have.
VAL_RIDES = ("dayride_type1_002", "dayride_type1_003")
VAL_FRACTION = 0.15   # openimages / roboflow-mit: deterministic hash split


def default_data_dir():
    return os.environ.get("PLATEBLUR_TRAIN_DATA", "/work/shared/train")


def default_eval_dir():
    return os.environ.get("PLATEBLUR_EVAL_DATA", "/work/shared/data")


def pick_device(name="auto"):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


# ---------------------------------------------------------------- letterbox

def letterbox(img_bgr, size):
    """MODEL.md letterbox: keep aspect, resize (bilinear), centre, pad 0, RGB,
    /255. Returns float32 [1,3,S,S] and (scale, pad_x, pad_y)."""
    h, w = img_bgr.shape[:2]
    r = min(size / w, size / h)
    nw, nh = int(round(w * r)), int(round(h * r))
    px, py = (size - nw) // 2, (size - nh) // 2
    canvas = np.zeros((size, size, 3), np.uint8)
    resized = cv2.resize(img_bgr, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nw, nh) != (w, h) else img_bgr
    canvas[py:py + nh, px:px + nw] = resized
    x = canvas[:, :, ::-1].astype(np.float32).transpose(2, 0, 1)[None] / 255.0
    return np.ascontiguousarray(x), (r, px, py)


def unletterbox_boxes(xyxy, meta):
    r, px, py = meta
    out = xyxy.copy()
    out[:, [0, 2]] = (out[:, [0, 2]] - px) / r
    out[:, [1, 3]] = (out[:, [1, 3]] - py) / r
    return out


# ---------------------------------------------------------------- data

def ride_of(name):
    parts = name.split("_")
    return "_".join(parts[:3])


def _hash_frac(name):
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def split_of(subset, name):
    if subset == "romanian-dashcam":
        return "val" if ride_of(name) in VAL_RIDES else "train"
    return "val" if _hash_frac(name) < VAL_FRACTION else "train"


def read_yolo_labels(path, w, h):
    boxes = []
    if os.path.exists(path):
        for line in open(path):
            p = line.split()
            if len(p) < 5:
                continue
            cx, cy, bw, bh = (float(v) for v in p[1:5])
            boxes.append([(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h])
    return np.array(boxes, np.float32).reshape(-1, 4)


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def strata_images(repo=REPO):
    """The photos of the evaluation strata (tests/strata/*.txt, paths `train/<set>/images/<file>`), as (subset, name) pairs.
    They were held out of the shipped model's training and are how `plateblur eval --strata` judges a candidate, so no
    training run may see them."""
    seen = set()
    for t in sorted(glob.glob(os.path.join(repo, "tests", "strata", "*.txt"))):
        for line in open(t):
            p = line.split()
            if not p or p[0].startswith("#"):
                continue
            parts = p[0].split("/")
            if len(parts) == 4 and parts[0] == "train" and parts[2] == "images":
                seen |= same_photo(parts[1], os.path.splitext(parts[3])[0])
    return seen


def same_photo(subset, name):
    """(subset, name) of a picture and of its copy in the other Open Images set: `openimages-lp-useu/oi_ID` is `openimages/ID`
    resized, so excluding one must exclude both."""
    if subset == "openimages":
        return {(subset, name), ("openimages-lp-useu", "oi_" + name)}
    if subset == "openimages-lp-useu" and name.startswith("oi_"):
        return {(subset, name), ("openimages", name[3:])}
    return {(subset, name)}


def original_openimages_ids(repo=REPO):
    """Open Images IDs the shipped model was trained on (models/training/openimages-attribution.txt)."""
    path = os.path.join(repo, "models", "training", "openimages-attribution.txt")
    return {l.split("\t")[0] for l in open(path) if l.strip() and not l.startswith("#")}


def _pictures(root, subset, split, exclude, source):
    """(name, image path, label path) of ROOT/SUBSET/images in `split`, with the split and the exclusion judged as pictures of
    SOURCE (the subset itself, or for a rendered copy the set it was rendered from)."""
    idir = os.path.join(root, subset, "images")
    if not os.path.isdir(idir):
        return
    for p in sorted(glob.glob(os.path.join(idir, "*.jpg")) + glob.glob(os.path.join(idir, "*.png"))):
        name = os.path.splitext(os.path.basename(p))[0]
        if split != "all" and split_of(source, name) != split:
            continue
        if (source, name) in exclude:
            continue
        yield name, p, os.path.join(root, subset, "labels", name + ".txt")


def list_items(data_dir, split, exclude=None, original_only=False):
    """Return [(subset, name, image_path, label_path)] for split 'train'/'val'/'all'.
    exclude: (subset, name) pairs left out (training passes strata_images()).
    original_only: only the data the shipped model was trained on (romanian-dashcam, roboflow-mit, and the Open Images
    photos listed in openimages-attribution.txt), none of the sets added later."""
    items = []
    originals = original_openimages_ids() if original_only else None
    for subset in sorted(os.listdir(data_dir)):
        for name, p, lp in _pictures(data_dir, subset, split, exclude or set(), subset):
            if originals is not None:
                oid = name[3:] if name.startswith("oi_") else name
                if subset not in ("romanian-dashcam", "roboflow-mit", "openimages") or (subset == "openimages" and oid not in originals):
                    continue
            items.append((subset, name, p, lp))
    return items


def list_rendered(extra_dir, split, exclude=None):
    """Training pictures with rendered plates (`plateblur data render-train --out EXTRA_DIR`): subsets named rendered-SET, each
    picture named as its source in SET, so the split and the strata exclusion are the source's: a copy of a held-out or strata photo
    is never trained on. Returns the same tuples as list_items, with subset 'rendered-SET'."""
    return [(subset, name, p, lp)
            for subset in sorted(os.listdir(extra_dir)) if subset.startswith("rendered-")
            for name, p, lp in _pictures(extra_dir, subset, split, exclude or set(), subset[len("rendered-"):])]


def list_openalpr(eval_dir, region):
    d = os.path.join(eval_dir, "openalpr-" + region)
    items = []
    for t in sorted(glob.glob(os.path.join(d, "*.txt"))):
        for line in open(t):
            p = line.rstrip("\n").split("\t")
            if len(p) < 5:
                continue
            x, y, w, h = (float(v) for v in p[1:5])
            items.append((os.path.join(d, p[0]), np.array([[x, y, x + w, y + h]], np.float32)))
    return items


# ---------------------------------------------------------------- boxes

def xywh2xyxy(b):
    out = b.copy()
    out[..., 0] = b[..., 0] - b[..., 2] / 2
    out[..., 1] = b[..., 1] - b[..., 3] / 2
    out[..., 2] = b[..., 0] + b[..., 2] / 2
    out[..., 3] = b[..., 1] + b[..., 3] / 2
    return out


def box_iou(a, b):
    a = a.reshape(-1, 4)
    b = b.reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(aa[:, None] + ab[None, :] - inter, 1e-9)


def nms(boxes, scores, iou_thr=0.5):
    order = np.argsort(-scores)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        if order.size == 1:
            break
        ious = box_iou(boxes[i:i + 1], boxes[order[1:]])[0]
        order = order[1:][ious < iou_thr]
    return np.array(keep, np.int64)


def postprocess(out, conf=0.1, iou_thr=0.5):
    """out: numpy [N,15] in input pixels -> (xyxy [K,4], score [K], corners [K,8])."""
    score = out[:, 4] * out[:, 13:15].max(1)
    m = score >= conf
    o = out[m]
    s = score[m]
    if not len(o):
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 8), np.float32)
    b = xywh2xyxy(o[:, :4])
    k = nms(b, s, iou_thr)
    return b[k], s[k], o[k, 5:13]


def coverage(gt, det, pad=0.10):
    """Per GT box: the largest fraction of its area that lies inside one
    detected box padded by `pad` x its width/height on each side."""
    if not len(det):
        return np.zeros(len(gt))
    d = det.copy()
    w = d[:, 2] - d[:, 0]
    h = d[:, 3] - d[:, 1]
    d[:, 0] -= pad * w
    d[:, 2] += pad * w
    d[:, 1] -= pad * h
    d[:, 3] += pad * h
    lt = np.maximum(gt[:, None, :2], d[None, :, :2])
    rb = np.minimum(gt[:, None, 2:], d[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = np.maximum((gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1]), 1e-9)
    return (inter / area[:, None]).max(1)


def recall_match(gt, det, iou_thr=0.5):
    """Greedy one-to-one match by IoU; returns bool per GT."""
    hit = np.zeros(len(gt), bool)
    if not len(det) or not len(gt):
        return hit
    iou = box_iou(gt, det)
    used = set()
    for gi in np.argsort(-iou.max(1)):
        for di in np.argsort(-iou[gi]):
            if iou[gi, di] < iou_thr:
                break
            if di not in used:
                used.add(di)
                hit[gi] = True
                break
    return hit
