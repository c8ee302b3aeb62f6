#!/usr/bin/python3
"""Validate plate detectors on the held-out split and the openalpr photos.

  /usr/bin/python3 models/training/validate.py \
      --model /work/shared/models/hyperlpr3/y5fu_640x_sim.onnx \
      --model models/training/runs/main/best.pt --sizes 640,960 \
      --json models/training/runs/main/val.json

Each model is a .onnx file with the y5fu layout (weights loaded into the
PyTorch rebuild) or a training checkpoint (.pt). The whole image is
letterboxed to each --size (MODEL.md recipe). Per set, at confidence 0.25
and 0.1:
  recall   - GT boxes matched one-to-one by a detection with IoU >= 0.5
  coverage - GT boxes with >= 90 % of their area inside one detection padded
             by 10 % of its width/height on each side (what blurring needs)
  det/img  - detections per image (labels are not exhaustive, so this is an
             upper bound on false positives, shown to catch a flood of them)
Held-out recall/coverage is also split by GT width in original pixels.
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from y5fu import Y5fu, build_from_onnx  # noqa: E402

CONFS = (0.25, 0.1)
WIDTH_BUCKETS = ((0, 16), (16, 32), (32, 64), (64, 1e9))


def load_model(path):
    if path.endswith(".onnx"):
        return build_from_onnx(path)
    net = Y5fu()
    ck = torch.load(path, map_location="cpu")
    net.load_state_dict(ck["ema"] if ck.get("ema") is not None else ck["model"])
    return net.eval()


def heldout_items(data_dir):
    out = []
    for subset, name, ip, lp in common.list_items(data_dir, "val"):
        out.append((ip, None, subset, lp))
    return out


def openalpr_items(eval_dir, region):
    return [(p, g, "openalpr-" + region, None) for p, g in common.list_openalpr(eval_dir, region)]


@torch.no_grad()
def detect_batch(net, imgs, size, device, conf=0.1):
    """Letterbox a list of images to size, run them as one batch (batches of
    >= 16 take PyTorch's fast oneDNN path on CPU) -> [(xyxy, scores)]."""
    xs, metas = zip(*(common.letterbox(im, size) for im in imgs))
    x = torch.from_numpy(np.concatenate(xs, 0)).to(device)
    y = net.decode(net(x)).float().cpu().numpy()
    out = []
    for yi, meta in zip(y, metas):
        b, s, _ = common.postprocess(yi, conf=conf)
        out.append((common.unletterbox_boxes(b, meta), s))
    return out


def detect(net, img, size, device, conf=0.1):
    return detect_batch(net, [img], size, device, conf)[0]


def evaluate(net, items, size, device, max_items=None, batch=16):
    """items: [(image_path, gt_xyxy or None, group, label_path or None)].
    Returns a dict of metrics per group and for 'all'."""
    net.eval()
    per = {}
    t0 = time.time()
    n = 0
    items = items[:max_items] if max_items else items
    for k in range(0, len(items), batch):
        chunk = []
        for ip, gt, group, lp in items[k:k + batch]:
            img = cv2.imread(ip)
            if img is None:
                continue
            if gt is None:
                gt = common.read_yolo_labels(lp, img.shape[1], img.shape[0])
            chunk.append((img, gt, group))
        if not chunk:
            continue
        dets = detect_batch(net, [c[0] for c in chunk], size, device, conf=min(CONFS))
        for (img, gt, group), (boxes, scores) in zip(chunk, dets):
            n += 1
            for g in (group, "all"):
                d = per.setdefault(g, dict(images=0, gt=0, widths=[], rec={c: [] for c in CONFS},
                                           cov={c: [] for c in CONFS}, dets={c: 0 for c in CONFS}))
                d["images"] += 1
                d["gt"] += len(gt)
                d["widths"] += list(gt[:, 2] - gt[:, 0])
                for c in CONFS:
                    bb = boxes[scores >= c]
                    d["rec"][c] += list(common.recall_match(gt, bb))
                    d["cov"][c] += list(common.coverage(gt, bb) >= 0.9)
                    d["dets"][c] += len(bb)
    ms = (time.time() - t0) / max(n, 1) * 1000
    res = {}
    for g, d in per.items():
        w = np.array(d["widths"])
        r = dict(images=d["images"], gt=d["gt"], ms_per_image=round(ms, 1))
        for c in CONFS:
            rec = np.array(d["rec"][c], bool)
            cov = np.array(d["cov"][c], bool)
            r[f"recall@{c}"] = round(float(rec.mean()) * 100, 2) if len(rec) else None
            r[f"coverage@{c}"] = round(float(cov.mean()) * 100, 2) if len(cov) else None
            r[f"det_per_img@{c}"] = round(d["dets"][c] / max(d["images"], 1), 2)
            for lo, hi in WIDTH_BUCKETS:
                m = (w >= lo) & (w < hi)
                key = f"w{int(lo)}-{'' if hi > 1e8 else int(hi)}"
                r[f"{key}_n"] = int(m.sum())
                if m.sum():
                    r[f"{key}_recall@{c}"] = round(float(rec[m].mean()) * 100, 1)
                    r[f"{key}_coverage@{c}"] = round(float(cov[m].mean()) * 100, 1)
        res[g] = r
    return res


def summary_line(name, size, res):
    parts = []
    for g in ("all", "romanian-dashcam", "openimages", "roboflow-mit", "openalpr-us", "openalpr-eu"):
        if g in res:
            r = res[g]
            parts.append(f"{g}: R {r['recall@0.25']}/{r['recall@0.1']} C {r['coverage@0.25']}/{r['coverage@0.1']}")
    return f"{name}{' @' + str(size) if size else ''}: " + " | ".join(parts)


def run_sets(net, sets, size, device, data_dir, eval_dir):
    out = {}
    if "heldout" in sets:
        out["heldout"] = evaluate(net, heldout_items(data_dir), size, device)
    for region in ("us", "eu"):
        if "openalpr-" + region in sets:
            out["openalpr-" + region] = evaluate(net, openalpr_items(eval_dir, region), size, device)["all"]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True, help=".onnx or .pt; repeat to compare")
    ap.add_argument("--sizes", default="640")
    ap.add_argument("--sets", default="heldout,openalpr-us,openalpr-eu")
    ap.add_argument("--data", default=common.default_data_dir())
    ap.add_argument("--eval-data", default=common.default_eval_dir())
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cv2.setNumThreads(0)
    device = common.pick_device(a.device)
    sets = a.sets.split(",")
    results = {}
    for mp in a.model:
        net = load_model(mp).to(device)
        for size in (int(s) for s in a.sizes.split(",")):
            r = run_sets(net, sets, size, device, a.data, a.eval_data)
            results[f"{mp}@{size}"] = r
            flat = {}
            if "heldout" in r:
                flat.update(r["heldout"])
            for k in ("openalpr-us", "openalpr-eu"):
                if k in r:
                    flat[k] = r[k]
            print(summary_line(os.path.basename(mp), size, flat), flush=True)
    print("(R = recall@IoU0.5, C = coverage; each at conf 0.25/0.1, in %)")
    if a.json:
        json.dump(results, open(a.json, "w"), indent=1)
        print("wrote", a.json)


if __name__ == "__main__":
    main()
