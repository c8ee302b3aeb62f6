"""Static INT8 quantization of a PlateBlur plate model (issue 14): QDQ nodes in the ONNX graph, calibrated on training photos.

The Python onnxruntime package (and with it its quantization tool) is not available here, so the QDQ graph is written directly:
- every Conv except the three detection heads gets QuantizeLinear/DequantizeLinear on its input (uint8, asymmetric, from the
  calibrated range of that tensor), its weight stored as int8 (symmetric, per output channel), its bias as int32
  (scale = input scale x weight scale), and Q/DQ on its output;
- the heads (their outputs are the logits that the low default threshold reads) and every other op stay float.
ONNX Runtime fuses each DQ -> Conv -> Q group into QLinearConv (u8s8, VNNI where the CPU has it); a Q/DQ pair between two
quantized convs disappears. Opset becomes 13 (per-channel DequantizeLinear); Unsqueeze's axes move from attribute to input.

Calibration: activation ranges from the reference interpreter (onnx_ref.py, no ONNX Runtime needed) over N training photos
letterboxed to S px on the long side (sides multiples of 32, as PlateBlur feeds the dynamic-shape model), from the training split
only (never the evaluation photos or clips). Ranges are min/max, except that a tensor's max is clipped to its 99.99th percentile
over the calibration values (one hot pixel must not stretch the scale of a whole layer).

Usage: /usr/bin/python3 quantize_int8.py SRC.onnx DST.onnx [--images N] [--sizes 800,640] [--seed 7]
"""
import argparse
import hashlib
import random
import sys

import cv2
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

import common
import onnx_ref


def letterbox_rect(img_bgr, side):
    h, w = img_bgr.shape[:2]
    r = side / max(w, h)
    nw, nh = max(32, int(round(w * r / 32)) * 32), max(32, int(round(h * r / 32)) * 32)
    x = cv2.resize(img_bgr, (nw, nh), interpolation=cv2.INTER_AREA if r < 1 else cv2.INTER_LINEAR)
    return np.ascontiguousarray(x[:, :, ::-1].astype(np.float32).transpose(2, 0, 1)[None] / 255.0)


def calibrate(model, images, sizes, watched):
    lo, hi, samples = {}, {}, {t: [] for t in watched}
    rng = np.random.default_rng(7)

    def observe(name, a):
        if name not in watched or a.dtype != np.float32:
            return
        lo[name] = min(lo.get(name, 0.0), float(a.min()))
        hi[name] = max(hi.get(name, 0.0), float(a.max()))
        flat = a.reshape(-1)
        samples[name].append(flat[rng.integers(0, flat.size, min(flat.size, 20000))])

    for i, path in enumerate(images):
        img = cv2.imread(path)
        if img is None:
            continue
        side = sizes[i % len(sizes)]
        x = letterbox_rect(img, side)
        observe("input", x)
        onnx_ref.run(model, {"input": x}, observe=observe)
        print(f"calibration {i + 1}/{len(images)}: {path.split('/')[-1]} at {x.shape[3]}x{x.shape[2]}", file=sys.stderr, flush=True)
    ranges = {}
    for t in watched:
        if t not in hi:
            continue
        v = np.concatenate(samples[t])
        top = float(np.percentile(v, 99.99))
        bottom = float(np.percentile(v, 0.01))
        ranges[t] = (min(0.0, max(lo[t], bottom)), max(0.0, min(hi[t], top)))
    return ranges


def uint8_params(lo, hi):
    scale = max((hi - lo) / 255.0, 1e-8)
    zp = int(np.clip(round(-lo / scale), 0, 255))
    return scale, zp


def to_opset13(model):
    """Opset 12 -> 13 for what this graph uses: Unsqueeze takes its axes as an input."""
    g = model.graph
    for n in g.node:
        if n.op_type == "Unsqueeze":
            axes = [a for a in n.attribute if a.name == "axes"]
            if axes:
                name = n.name + "_axes" if n.name else n.output[0] + "_axes"
                g.initializer.append(numpy_helper.from_array(np.array(axes[0].ints, np.int64), name))
                n.input.append(name)
                n.attribute.remove(axes[0])
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = 13


def quantize(model, ranges, heads, extra_tensors=()):
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    convs = [n for n in g.node if n.op_type == "Conv" and n.name not in heads]
    new_inits, qdq = [], {}   # float tensor -> its dequantized copy

    def qdq_of(tensor):
        if tensor in qdq:
            return qdq[tensor]
        lo, hi = ranges[tensor]
        scale, zp = uint8_params(lo, hi)
        s, z = tensor + "_qscale", tensor + "_qzp"
        new_inits.extend([numpy_helper.from_array(np.array(scale, np.float32), s), numpy_helper.from_array(np.array(zp, np.uint8), z)])
        q, dq = tensor + "_q", tensor + "_dq"
        nodes_before[tensor] = [helper.make_node("QuantizeLinear", [tensor, s, z], [q], name=tensor + "_Q"),
                                helper.make_node("DequantizeLinear", [q, s, z], [dq], name=tensor + "_DQ")]
        qdq[tensor] = (dq, scale)
        return qdq[tensor]

    nodes_before = {}
    outputs_of_convs = set()
    for n in convs:
        x = n.input[0]
        xdq, xs = qdq_of(x)
        w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
        ws = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(axis=1) / 127.0, 1e-8).astype(np.float32)
        wq = np.clip(np.round(w / ws[:, None, None, None]), -127, 127).astype(np.int8)
        wn = n.input[1]
        new_inits.extend([numpy_helper.from_array(wq, wn + "_int8"), numpy_helper.from_array(ws, wn + "_wscale"),
                          numpy_helper.from_array(np.zeros(w.shape[0], np.int8), wn + "_wzp")])
        extra = [helper.make_node("DequantizeLinear", [wn + "_int8", wn + "_wscale", wn + "_wzp"], [wn + "_dq"], name=wn + "_DQ", axis=0)]
        inputs = [xdq, wn + "_dq"]
        if len(n.input) > 2 and n.input[2]:
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
            bs = (xs * ws.astype(np.float64))
            bq = np.round(b / bs).astype(np.int32)
            bn = n.input[2]
            new_inits.extend([numpy_helper.from_array(bq, bn + "_int32"), numpy_helper.from_array(bs.astype(np.float32), bn + "_bscale"),
                              numpy_helper.from_array(np.zeros(w.shape[0], np.int32), bn + "_bzp")])
            extra.append(helper.make_node("DequantizeLinear", [bn + "_int32", bn + "_bscale", bn + "_bzp"], [bn + "_dq"], name=bn + "_DQ", axis=0))
            inputs.append(bn + "_dq")
        del n.input[:]
        n.input.extend(inputs)
        nodes_before.setdefault("__w_" + n.name, extra)
        outputs_of_convs.add(n.output[0])
    # Output Q/DQ of each quantized conv (and of its SiLU's Sigmoid and Mul with --silu): consumers read the dequantized copy.
    for y in list(outputs_of_convs) + list(extra_tensors):
        qdq_of(y)
    # Rewire: every consumer of a quantized tensor (except its own QuantizeLinear) reads the DQ output.
    for n in g.node:
        for i, inp in enumerate(n.input):
            if inp in qdq and not (n.op_type == "QuantizeLinear"):
                n.input[i] = qdq[inp][0]
    for o in g.output:
        if o.name in qdq:
            raise ValueError(f"graph output {o.name} would be quantized")
    # Insert the new nodes: Q/DQ of a tensor right after its producer (or at the start), weight DQs before their conv.
    producer = {o: n.name for n in g.node for o in n.output}
    ordered = []
    start = [nd for t, nds in nodes_before.items() if not t.startswith("__w_") and t not in producer for nd in nds]
    ordered.extend(start)
    for n in g.node:
        ordered.extend(nodes_before.get("__w_" + n.name, []))
        ordered.append(n)
        for o in n.output:
            if o in nodes_before:
                ordered.extend(nodes_before[o])
    del g.node[:]
    g.node.extend(ordered)
    used = {i for n in g.node for i in n.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep + [t for t in new_inits if t.name in used])
    return len(convs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--data", default=common.default_data_dir())
    ap.add_argument("--images", type=int, default=48)
    ap.add_argument("--sizes", default="800,640")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--silu", action="store_true", help="also quantize the Sigmoid and Mul of each conv's SiLU (int8 end to end)")
    a = ap.parse_args()
    model = onnx.load(a.src)
    heads = {n.name for n in model.graph.node if n.op_type == "Conv" and "/head" in n.name}
    if len(heads) != 3:
        sys.exit(f"expected 3 head convs, found {sorted(heads)}")
    watched = set()
    for n in model.graph.node:
        if n.op_type == "Conv" and n.name not in heads:
            watched.add(n.input[0])
            watched.add(n.output[0])
    silu = []   # (Sigmoid output, Mul output) after a quantized conv: with --silu both are quantized too (QLinearSigmoid, QLinearMul)
    if a.silu:
        cons = {}
        for n in model.graph.node:
            for i in n.input:
                cons.setdefault(i, []).append(n)
        for n in model.graph.node:
            if n.op_type == "Conv" and n.name not in heads:
                sig = [c for c in cons.get(n.output[0], []) if c.op_type == "Sigmoid"]
                mul = [c for c in cons.get(n.output[0], []) if c.op_type == "Mul"]
                if sig and mul:
                    silu.append((sig[0].output[0], mul[0].output[0]))
                    watched.update(silu[-1])
    items = [p for (_, _, p, _) in common.list_items(a.data, "train")]
    random.Random(a.seed).shuffle(items)
    images = items[:a.images]
    ranges = calibrate(model, images, [int(s) for s in a.sizes.split(",")], watched)
    to_opset13(model)
    n = quantize(model, ranges, heads, [t for pair in silu for t in pair])
    onnx.checker.check_model(model)
    onnx.save(model, a.dst)
    data = open(a.dst, "rb").read()
    print(f"quantized {n} convs (heads float) from {len(images)} calibration photos: {a.dst}, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
