#!/usr/bin/python3
"""Validate, choose the input size, export to ONNX and write the model card:
one command from a training run.

  /usr/bin/python3 models/training/release.py --run models/training/runs/main --install

Steps:
  1. checkpoint: RUN/best.pt (best held-out score of the EMA weights), else
     the EMA weights in RUN/last.pt; --ckpt overrides (path or best/last)
  2. validation in one run: the original y5fu 640 and the new weights at every
     --sizes (whole-image letterbox), held-out split + openalpr US/EU
     -> RUN/release/val.json
  3. input size: the smallest size whose held-out score is within
     --size-tolerance points of the best size (bigger inputs cost time:
     ONNX Runtime scales about with pixels, MODEL.md gives 29 ms at 640);
     --size forces one
  4. export with torch.onnx.export (opset 12, input `input` [1,3,S,S],
     output `output` [1,N,15], same decode as the original), reference-check
     the ONNX file against PyTorch on a real photo (onnx_ref.py), size < 10 MB
  5. gate: the new model must beat the original on the held-out score and
     not be worse on openalpr US/EU recall@0.25 (else stop, unless --force)
  6. --install: copy to models/plateblur-plate-<S>.onnx, write
     models/plateblur-plate.MODEL.md and models/training/openimages-attribution.txt
"""
import argparse
import datetime
import hashlib
import json
import os
import shutil
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402
import onnx_ref  # noqa: E402
import validate  # noqa: E402
from y5fu import Y5fu, Y5fuExport  # noqa: E402

MODELS_DIR = os.path.normpath(os.path.join(HERE, ".."))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(1 << 20), b""):
            h.update(blk)
    return h.hexdigest()


def load_ckpt(run, which):
    if which in ("best", "last"):
        path = os.path.join(run, which + ".pt")
        if which == "best" and not os.path.exists(path):
            path = os.path.join(run, "last.pt")
    else:
        path = which
    ck = torch.load(path, map_location="cpu")
    sd = ck["ema"] if ck.get("ema") is not None else ck["model"]
    net = Y5fu()
    net.load_state_dict(sd)
    return net.eval(), path, ck


def export_onnx(net, size, path, opset=12):
    wrapper = Y5fuExport(net, size).eval()
    x = torch.zeros(1, 3, size, size)
    with torch.no_grad():
        torch.onnx.export(wrapper, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                          do_constant_folding=True)
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return sorted({n.op_type for n in m.graph.node})


def reference_check(net, onnx_path, size, image):
    import cv2
    img = cv2.imread(image)
    x, _ = common.letterbox(img, size)
    with torch.no_grad():
        y = net.decode(net(torch.from_numpy(x))).numpy()
    ref = onnx_ref.run(onnx_path, {"input": x})[0]
    return float(np.abs(ref - y).max()), list(ref.shape)


def heldout_score(r):
    return validate_score(r["heldout"]["all"])


def validate_score(a):
    return (a["recall@0.25"] + a["coverage@0.25"] + a["recall@0.1"] + a["coverage@0.1"]) / 4


def table_rows(results):
    rows = []
    for name, r in results.items():
        h = r["heldout"]["all"]
        rows.append((name, h, r["openalpr-us"], r["openalpr-eu"]))
    return rows


def fmt(v):
    return "-" if v is None else f"{v:.1f}"


def write_card(path, info):
    res = info["results"]
    orig_key = info["orig_key"]
    new_key = info["new_key"]
    lines = []
    A = lines.append
    A("# PlateBlur plate detector (fine-tuned HyperLPR3 y5fu)\n")
    A(f"`{info['file']}`: a licence-plate detector fine-tuned for small, distant, oblique and degraded plates "
      "(video frames, dashcams, street scenes). Drop-in replacement for HyperLPR3 `y5fu_640x_sim.onnx`: same "
      "pre-processing and the same output layout, only the input size may differ.\n")
    A("| | |\n|---|---|")
    A(f"| File | `models/{info['file']}` ({info['bytes']:,} bytes) |")
    A(f"| sha256 | {info['sha256']} |")
    A("| Licence | Apache-2.0 (derivative of HyperLPR3 y5fu, Apache-2.0, github.com/szad670401/HyperLPR "
      "commit 58ad4ef736fec5289e8c8cb842e066e70c4672c3) |")
    A(f"| Input | `input` float32 [1,3,{info['size']},{info['size']}]: letterbox (keep aspect ratio, bilinear "
      "resize, centre, pad with 0), RGB, divide by 255 |")
    A(f"| Output | `output` float32 [1,{info['n_out']},15]: cx, cy, w, h (input pixels), objectness, 4 corners "
      "x1,y1..x4,y4 (TL,TR,BR,BL, input pixels), 2 class scores. score = objectness x max(class). Undo the "
      "letterbox; NMS at IoU 0.5 |")
    A(f"| ONNX | opset {info['opset']}, ops: {', '.join(info['ops'])} |")
    A(f"| Export check | max abs difference ONNX graph (reference interpreter) vs PyTorch on a real photo: "
      f"{info['ref_diff']:.2g} |")
    A(f"| Built | {info['date']} from `{info['ckpt']}` (iteration {info['iter']}) |\n")
    A("Corners and classes: the corner head was trained toward the axis-aligned box corners (no corner labels "
      "exist in the data), so corners are approximate; the two class outputs were trained only to keep "
      "max(class) high, the single/double-row split is the original model's.\n")
    A("## Metrics\n")
    A("Whole image letterboxed to the input size, PyTorch CPU, same run for both models. recall = GT boxes "
      "matched one-to-one at IoU >= 0.5; coverage = GT boxes with >= 90 % of their area inside one detection "
      "padded by 10 % of its size on each side (what blurring needs). Each at confidence 0.25 / 0.1.\n")
    A("| model @ input | held-out recall | held-out coverage | plates < 32 px: recall / coverage @0.1 | "
      "openalpr US recall | openalpr EU recall | det/img @0.1 held-out |")
    A("|---|---|---|---|---|---|---|")
    for name, r in res.items():
        h = r["heldout"]["all"]
        small_r = [h.get(f"{k}_recall@0.1") for k in ("w0-16", "w16-32")]
        small_n = [h.get(f"{k}_n") for k in ("w0-16", "w16-32")]
        ns = sum(n or 0 for n in small_n)
        sr = sum((x or 0) * (n or 0) for x, n in zip(small_r, small_n)) / max(ns, 1)
        sc = sum((h.get(f"{k}_coverage@0.1") or 0) * (n or 0)
                 for k, n in zip(("w0-16", "w16-32"), small_n)) / max(ns, 1)
        us, eu = r["openalpr-us"], r["openalpr-eu"]
        A(f"| {name} | {fmt(h['recall@0.25'])} / {fmt(h['recall@0.1'])} | {fmt(h['coverage@0.25'])} / "
          f"{fmt(h['coverage@0.1'])} | {sr:.1f} / {sc:.1f} (n={ns}) | {fmt(us['recall@0.25'])} / "
          f"{fmt(us['recall@0.1'])} | {fmt(eu['recall@0.25'])} / {fmt(eu['recall@0.1'])} | "
          f"{h['det_per_img@0.1']} |")
    A("")
    h = res[new_key]["heldout"]
    A("Held-out per source, new model at the chosen size (recall / coverage @0.25, @0.1):\n")
    for g in ("romanian-dashcam", "openimages", "roboflow-mit"):
        if g in h:
            x = h[g]
            A(f"- {g}: {x['images']} images, {x['gt']} plates: {fmt(x['recall@0.25'])} / {fmt(x['coverage@0.25'])}, "
              f"{fmt(x['recall@0.1'])} / {fmt(x['coverage@0.1'])}")
    A("")
    A(f"Held-out split: Romanian dashcam rides {', '.join(common.VAL_RIDES)} (split by ride), and a fixed "
      f"{int(common.VAL_FRACTION * 100)} % of the Open Images and Roboflow images (SHA-1 of the file name). "
      "The openalpr benchmark photos (`openalpr-us`, `openalpr-eu`, AGPL-3.0, evaluation only) were never "
      "trained on; they are a guard that close-up performance did not drop. Labels are not exhaustive, so "
      "det/img is an upper bound on false positives.\n")
    A("Size choice: " + info["size_reason"] + "\n")
    A("## Training data and attribution\n")
    A("| set | used for | licence and attribution |\n|---|---|---|")
    A("| Open Images \"Vehicle registration plate\" (900 street scenes, Roboflow \"Google Licence Plates\" export) "
      "| training + held-out | images CC BY 2.0 by their Flickr authors; annotations CC BY 4.0 (Google / "
      "Roboflow). Attribution rule: each file name is the Open Images ImageID; its author, licence and source "
      "page are the Author, AuthorProfileURL, License and OriginalLandingURL columns of that ImageID in the "
      "Open Images image-metadata CSV. The IDs used are listed in "
      "`models/training/openimages-attribution.txt` |")
    A("| Romanian dashcam (534 frames, 4 rides) | training + held-out (by ride) | MIT, (c) 2020 Robert Lucian "
      "Chiriac (github.com/RobertLucian/license-plate-dataset) |")
    A("| Roboflow \"experiment-plates\" (585 rear-plate close-ups) | training + held-out | MIT (via "
      "github.com/chirag-agrawal24/ANPR) |\n")
    A("## Recipe\n")
    a = info["args"]
    A(f"Code: `models/training/` (README there). Start: HyperLPR3 `y5fu_640x_sim.onnx` weights (BatchNorm "
      f"already folded; fine-tuned as is). {info['iter']} iterations x batch {a['batch']} random {a['crop']} px "
      f"crops, AdamW lr {a['lr']} (warm-up 300 it, cosine to 2 %), weight decay {a['wd']}, gradient clip 10, "
      f"EMA 0.999, seed {a['seed']}, {info['device_note']}.")
    A("Loss: YOLOv5-style (anchor ratio < 4, centre + 2 neighbour cells, CIoU box loss, objectness BCE with "
      "CIoU target and level weights 4/1/0.4, max-class BCE, small corner loss).")
    A("Augmentation: plates rescaled to 7-300 px wide (45 % at 7-32 px), INTER_AREA downscaling, yaw squash "
      "0.5-1, perspective, roll/shear, flips, frame-edge cuts, partial occlusion, motion blur, defocus, "
      "down/up-scaling, low light + noise, glare, grayscale, JPEG quality 12-60; outside the picture the crop "
      "is black like the letterbox pad.")
    A("Unlabelled plates: the original model was run on every training image (whole image and 640-px tiles of "
      "the image upscaled to 1600 px); its detections (score >= 0.3) that match no label became ignore regions "
      "(objectness loss masked), as did labelled plates cut to < 35 % or shrunk below 6 px by augmentation. "
      "So the model is not taught that an unlabelled plate is background.\n")
    A("## Limits\n")
    A("Trained on about 1,700 images; night city scenes, motorcycles and plates under about 8 px are weak. "
      "Very distant plates in high-resolution frames still need tiling or vehicle crops at any input size.")
    open(path, "w").write("\n".join(lines) + "\n")


def write_attribution(path, data_dir):
    ids = sorted(n for s, n, _, _ in common.list_items(data_dir, "all") if s == "openimages")
    with open(path, "w") as f:
        f.write("# Open Images images used to train/validate models/plateblur-plate-*.onnx\n")
        f.write("# Images: CC BY 2.0 by their Flickr authors; annotations CC BY 4.0.\n")
        f.write("# Each line is an Open Images ImageID. Author, AuthorProfileURL, License and OriginalLandingURL\n")
        f.write("# of an ID are in the Open Images image-metadata CSV (columns of the same names).\n")
        f.write("# split: train = used for gradient updates, val = held-out (model selection only)\n")
        for i in ids:
            f.write(f"{i}\t{common.split_of('openimages', i)}\n")
    return len(ids)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--ckpt", default="best", help="best | last | path to a .pt")
    ap.add_argument("--sizes", default="640,800,960")
    ap.add_argument("--size", type=int, help="force this input size")
    ap.add_argument("--size-tolerance", type=float, default=1.0)
    ap.add_argument("--original", default=common.DEFAULT_Y5FU)
    ap.add_argument("--data", default=common.default_data_dir())
    ap.add_argument("--eval-data", default=common.default_eval_dir())
    ap.add_argument("--check-image", default=None, help="photo for the export check (default: openalpr-eu first)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--install", action="store_true")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--reuse-val", action="store_true", help="reuse RUN/release/val.json if present")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    device = common.pick_device(a.device)
    outdir = os.path.join(a.run, "release")
    os.makedirs(outdir, exist_ok=True)

    net, ckpt_path, ck = load_ckpt(a.run, a.ckpt)
    args = ck.get("args") or json.load(open(os.path.join(a.run, "args.json")))
    sizes = [int(s) for s in a.sizes.split(",")] if not a.size else [a.size]
    sets = ["heldout", "openalpr-us", "openalpr-eu"]
    vpath = os.path.join(outdir, "val.json")
    if a.reuse_val and os.path.exists(vpath):
        results = json.load(open(vpath))
    else:
        results = {}
        orig = validate.load_model(a.original).to(device)
        t0 = time.time()
        results["y5fu original @640"] = validate.run_sets(orig, sets, 640, device, a.data, a.eval_data)
        print(f"original done ({time.time() - t0:.0f} s)", flush=True)
        net = net.to(device)
        for s in sizes:
            t0 = time.time()
            results[f"plateblur @{s}"] = validate.run_sets(net, sets, s, device, a.data, a.eval_data)
            print(f"size {s} done ({time.time() - t0:.0f} s)", flush=True)
        json.dump(results, open(vpath, "w"), indent=1)
    net = net.cpu()
    for k, r in results.items():
        flat = dict(r["heldout"])
        flat.update({x: r[x] for x in ("openalpr-us", "openalpr-eu")})
        print(f"score {heldout_score(r):6.2f} " + validate.summary_line(k, "", flat))

    orig_key = "y5fu original @640"
    cand = {s: heldout_score(results[f"plateblur @{s}"]) for s in sizes if f"plateblur @{s}" in results}
    if a.size:
        size = a.size
        reason = f"{size} px forced on the command line."
    else:
        best = max(cand.values())
        size = min(s for s, v in cand.items() if v >= best - a.size_tolerance)
        reason = (f"held-out score (mean of recall and coverage at 0.25 and 0.1) by input size: "
                  + ", ".join(f"{s}: {v:.1f}" for s, v in sorted(cand.items()))
                  + f"; chosen: the smallest size within {a.size_tolerance} point of the best ({size}). "
                  "ONNX Runtime time grows about with the pixel count (MODEL.md: 29 ms at 640, 1 thread).")
    new_key = f"plateblur @{size}"
    print("chosen size:", size, "-", reason)

    onnx_path = os.path.join(outdir, f"plateblur-plate-{size}.onnx")
    ops = export_onnx(net, size, onnx_path)
    img = a.check_image or common.list_openalpr(a.eval_data, "eu")[0][0]
    diff, oshape = reference_check(net, onnx_path, size, img)
    nbytes = os.path.getsize(onnx_path)
    digest = sha256(onnx_path)
    print(f"exported {onnx_path}: {nbytes} bytes, sha256 {digest}, output {oshape}, ops {ops}, "
          f"reference max abs diff {diff:.3g}")
    problems = []
    if nbytes >= 10 * 1024 * 1024:
        problems.append("file >= 10 MB")
    if diff > 1e-2:
        problems.append(f"export reference diff {diff}")
    o, n = results[orig_key], results[new_key]
    if heldout_score(n) <= heldout_score(o):
        problems.append(f"held-out score {heldout_score(n):.2f} not above original {heldout_score(o):.2f}")
    for reg in ("openalpr-us", "openalpr-eu"):
        if n[reg]["recall@0.25"] < o[reg]["recall@0.25"]:
            problems.append(f"{reg} recall@0.25 {n[reg]['recall@0.25']} < original {o[reg]['recall@0.25']}")
    if problems:
        print("GATE FAILED: " + "; ".join(problems))
        if not a.force:
            sys.exit(2)
    info = dict(file=f"plateblur-plate-{size}.onnx", bytes=nbytes, sha256=digest, size=size, n_out=oshape[1],
                opset=12, ops=ops, ref_diff=diff, date=datetime.date.today().isoformat(),
                ckpt=os.path.relpath(ckpt_path, MODELS_DIR + "/.."), iter=ck.get("iter"), args=args,
                results={k: v for k, v in results.items() if k in (orig_key,) or k.startswith("plateblur")},
                orig_key=orig_key, new_key=new_key, size_reason=reason,
                device_note=("trained on CPU, 1 thread" if args.get("device", "auto") in ("auto", "cpu")
                             and not torch.cuda.is_available() else "device: " + str(args.get("device"))))
    card = os.path.join(outdir, "plateblur-plate.MODEL.md")
    write_card(card, info)
    json.dump({k: v for k, v in info.items() if k != "args"}, open(os.path.join(outdir, "release.json"), "w"),
              indent=1)
    print("wrote", card)
    if a.install:
        for old in os.listdir(MODELS_DIR):
            if old.startswith("plateblur-plate-") and old.endswith(".onnx"):
                os.remove(os.path.join(MODELS_DIR, old))
        shutil.copy(onnx_path, os.path.join(MODELS_DIR, info["file"]))
        shutil.copy(card, os.path.join(MODELS_DIR, "plateblur-plate.MODEL.md"))
        n_ids = write_attribution(os.path.join(HERE, "openimages-attribution.txt"), a.data)
        print(f"installed models/{info['file']}, models/plateblur-plate.MODEL.md, "
              f"models/training/openimages-attribution.txt ({n_ids} IDs)")


if __name__ == "__main__":
    main()
