#!/usr/bin/python3
"""Parity check between an ONNX plate model and its PyTorch rebuild.

  /usr/bin/python3 models/training/parity.py --model y5fu_640x_sim.onnx \
      --image /work/shared/data/openalpr-eu/eu1.jpg --out /tmp/parity

Letterboxes the image exactly as MODEL.md says (keep aspect, bilinear
resize, centre, pad 0, RGB, /255), runs the rebuilt network (weights read
from --model, or from --ckpt for a trained checkpoint) and writes to --out:

  input.bin         float32 raw, NCHW [1,3,S,S]
  torch_output.bin  float32 raw [1,N,15]
  parity.json       shapes, letterbox meta, max abs diff vs the reference
                    ONNX interpreter (onnx_ref.py), top detections

The C# test runs ONNX Runtime on input.bin and compares with torch_output.bin.
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
import onnx_ref  # noqa: E402
from y5fu import Y5fu, build_from_onnx  # noqa: E402


def input_size(model_path):
    import onnx
    m = onnx.load(model_path)
    d = m.graph.input[0].type.tensor_type.shape.dim
    return int(d[2].dim_value)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=common.DEFAULT_Y5FU, help="ONNX model (graph + weights)")
    ap.add_argument("--ckpt", help="optional training checkpoint to load instead of the ONNX weights "
                                   "(then --model should be the ONNX exported from it)")
    ap.add_argument("--image", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-ref", action="store_true", help="skip the reference ONNX interpreter")
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)

    size = input_size(a.model)
    if a.ckpt:
        net = Y5fu().eval()
        ck = torch.load(a.ckpt, map_location="cpu")
        net.load_state_dict(ck.get("ema") or ck["model"])
    else:
        net = build_from_onnx(a.model)
    img = cv2.imread(a.image)
    if img is None:
        sys.exit(f"cannot read {a.image}")
    x, meta = common.letterbox(img, size)
    t0 = time.time()
    with torch.no_grad():
        y = net.decode(net(torch.from_numpy(x))).numpy()
    t_torch = time.time() - t0
    x.astype(np.float32).tofile(os.path.join(a.out, "input.bin"))
    y.astype(np.float32).tofile(os.path.join(a.out, "torch_output.bin"))

    info = dict(model=os.path.abspath(a.model), image=os.path.abspath(a.image), input_name="input",
                output_name="output", input_shape=list(x.shape), output_shape=list(y.shape), dtype="float32",
                layout="NCHW RGB /255, letterbox centred pad 0", letterbox=dict(scale=meta[0], pad_x=meta[1],
                                                                                 pad_y=meta[2]),
                torch_ms=round(t_torch * 1000, 1))
    if not a.no_ref:
        t0 = time.time()
        ref = onnx_ref.run(a.model, {"input": x})[0]
        info["ref_ms"] = round((time.time() - t0) * 1000, 1)
        diff = np.abs(ref - y)
        info["max_abs_diff_vs_onnx_reference"] = float(diff.max())
        info["max_abs_diff_scores"] = float(np.abs(ref[..., 4] * ref[..., 13:15].max(-1)
                                                   - y[..., 4] * y[..., 13:15].max(-1)).max())
        print(f"reference ONNX interpreter vs torch: max abs diff {diff.max():.3g} over all outputs "
              f"(score diff {info['max_abs_diff_scores']:.3g}); output magnitude max {np.abs(ref).max():.1f}")
    b, s, _ = common.postprocess(y[0], conf=0.25)
    b = common.unletterbox_boxes(b, meta)
    dets = [dict(xyxy=[round(float(v), 1) for v in bb], score=round(float(ss), 4)) for bb, ss in zip(b[:5], s[:5])]
    info["detections_conf_0.25"] = dets
    gt_txt = os.path.splitext(a.image)[0] + ".txt"
    if os.path.exists(gt_txt):
        p = open(gt_txt).readline().rstrip("\n").split("\t")
        if len(p) >= 5:
            gx, gy, gw, gh = (float(v) for v in p[1:5])
            g = np.array([[gx, gy, gx + gw, gy + gh]], np.float32)
            info["gt_xyxy"] = g[0].tolist()
            info["best_iou_with_gt"] = float(common.box_iou(g, b).max()) if len(b) else 0.0
            print(f"GT {g[0].tolist()} best IoU of a detection: {info['best_iou_with_gt']:.3f}")
    print("detections (orig px, conf>=0.25):", dets)
    json.dump(info, open(os.path.join(a.out, "parity.json"), "w"), indent=1)
    print(f"wrote {a.out}/input.bin {x.shape}, torch_output.bin {y.shape}, parity.json")


if __name__ == "__main__":
    main()
