"""Re-exports a PlateBlur plate model with a dynamic input height and width.

The network is fully convolutional; only the decode grids depend on the input
size. Exported with grids computed from the feature-map shapes, the same
weights accept any input whose sides are multiples of 32, so a 16:9 frame is
searched in an 800x480 input instead of 800x800 (60 % of the work) and the
coarse 160 px pass in 160x96 instead of 800x800.

Usage: /usr/bin/python3 export_dynamic.py SRC.onnx DST.onnx [--input-size N] [--check IMAGE]
DST carries the metadata `plateblur.input_size` = N (default: SRC's fixed input
size), so `plateblur ... --model DST.onnx` searches at the scale the model was
made for; without it PlateBlur takes 640 for a dynamic model.
The weights are read from SRC (own loader, y5fu.load_onnx_weights); the check
runs DST in the reference interpreter at two shapes and compares with PyTorch.
"""
import argparse
import hashlib
import sys

import numpy as np
import onnx
import torch

import y5fu


def load_by_name(path):
    """Weights of a graph PlateBlur exported itself: its initializers keep the PyTorch parameter names (net.*).
    Matched by name, not by execution order (the exporter's order differs from the original HyperLPR graph's)."""
    from onnx import numpy_helper
    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}
    net = y5fu.Y5fu().eval()
    sd = net.state_dict()
    named = {k[len("net."):]: v for k, v in inits.items() if k.startswith("net.")}
    if not named:
        return y5fu.build_from_onnx(path)   # the original HyperLPR graph: execution order
    missing = [k for k in sd if k != "anchors" and k not in named]
    if missing:
        raise ValueError(f"{path}: no weights for {missing[:5]}")
    for k in sd:
        if k in named:
            if tuple(named[k].shape) != tuple(sd[k].shape):
                raise ValueError(f"{k}: shape {named[k].shape} vs {tuple(sd[k].shape)}")
            sd[k] = torch.from_numpy(np.array(named[k], np.float32))
    net.load_state_dict(sd)
    return net


def traced_grid(h, w, dtype=torch.float32, device="cpu"):
    """The decode grid without torch.meshgrid (whose ONNX export is not trusted here): x varies along the width, y along the height."""
    gx = torch.arange(w, dtype=dtype, device=device).view(1, 1, 1, w, 1).expand(1, 1, h, w, 1)
    gy = torch.arange(h, dtype=dtype, device=device).view(1, 1, h, 1, 1).expand(1, 1, h, w, 1)
    return torch.cat([gx, gy], -1)


class DynamicExport(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net.decode(self.net(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--check", help="image for the PyTorch vs exported-graph comparison")
    ap.add_argument("--input-size", type=int, help="the input size PlateBlur should use (default: SRC's fixed input size)")
    a = ap.parse_args()
    if a.input_size is None:
        dims = [d.dim_value for d in onnx.load(a.src).graph.input[0].type.tensor_type.shape.dim]
        if len(dims) != 4 or dims[2] <= 0 or dims[3] <= 0:
            sys.exit(f"{a.src} has no fixed input size: give --input-size")
        a.input_size = max(dims[2], dims[3])
    net = load_by_name(a.src)
    y5fu.Y5fu.make_grid = staticmethod(traced_grid)
    wrapper = DynamicExport(net).eval()
    x = torch.zeros(1, 3, 480, 800)
    with torch.no_grad():
        torch.onnx.export(wrapper, x, a.dst, opset_version=12, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {2: "height", 3: "width"}, "output": {1: "boxes"}},
                          do_constant_folding=True)
    m = onnx.load(a.dst)
    del m.metadata_props[:]
    m.metadata_props.add(key="plateblur.input_size", value=str(a.input_size))
    onnx.save(m, a.dst)
    onnx.checker.check_model(m)
    print("ops:", ", ".join(sorted({n.op_type for n in m.graph.node})))
    if a.check:
        import cv2
        img = cv2.imread(a.check)
        for (h, w) in ((480, 800), (800, 800), (96, 160)):
            t = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)[:, :, ::-1].astype(np.float32) / 255
            inp = torch.from_numpy(np.ascontiguousarray(t.transpose(2, 0, 1)))[None]
            with torch.no_grad():
                ref = net.decode(net(inp)).numpy()
                got = wrapper(inp).numpy()
            print(f"{w}x{h}: boxes {got.shape[1]}, max |export wrapper - decode| {np.abs(ref - got).max():.2e}")
    print("sha256", hashlib.sha256(open(a.dst, "rb").read()).hexdigest())


if __name__ == "__main__":
    sys.exit(main())
