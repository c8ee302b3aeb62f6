"""Minimal reference evaluator for the ONNX graphs used here (no ONNX Runtime
in Debian's python). It interprets the graph node by node, independently of
the PyTorch rebuild in y5fu.py, so comparing the two checks the rebuild
(structure, weight mapping, output decode). Convolution and pooling use
torch.nn.functional for speed; everything else is numpy.

Supported ops: Conv, Sigmoid, Mul, Add, Sub, Div, Pow, Concat, Reshape,
Transpose, Slice, Resize (nearest, scales), MaxPool, Identity, Constant,
Shape/Gather/Unsqueeze/Cast, Range/Expand/ConstantOfShape/Equal/Where (the
grid of a dynamic-shape export) - enough for the y5fu
graphs and for graphs torch.onnx.export writes for the rebuilt network.
"""
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(n):
    return {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}


def run(model_path, feeds, observe=None):
    """observe(name, array), when given, sees every node output (calibration of quantize_int8.py)."""
    m = onnx.load(model_path) if isinstance(model_path, str) else model_path
    env = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    env.update(feeds)
    for n in m.graph.node:
        a = _attrs(n)
        x = [env[i] if i else None for i in n.input]
        op = n.op_type
        if op == "Conv":
            pads = a.get("pads", [0, 0, 0, 0])
            assert pads[0] == pads[2] and pads[1] == pads[3]
            b = torch.from_numpy(np.array(x[2])) if len(x) > 2 and x[2] is not None else None
            y = F.conv2d(torch.from_numpy(np.ascontiguousarray(x[0])), torch.from_numpy(np.array(x[1])), b,
                         stride=a.get("strides", [1, 1]), padding=(pads[0], pads[1]),
                         dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1)).numpy()
        elif op == "MaxPool":
            pads = a.get("pads", [0, 0, 0, 0])
            y = F.max_pool2d(torch.from_numpy(np.ascontiguousarray(x[0])), a["kernel_shape"], a.get("strides"),
                             padding=(pads[0], pads[1]), ceil_mode=bool(a.get("ceil_mode", 0))).numpy()
        elif op == "Sigmoid":
            y = (1.0 / (1.0 + np.exp(-x[0].astype(np.float64)))).astype(np.float32)
        elif op == "Mul":
            y = x[0] * x[1]
        elif op == "Add":
            y = x[0] + x[1]
        elif op == "Sub":
            y = x[0] - x[1]
        elif op == "Div":
            y = x[0] / x[1]
        elif op == "Pow":
            y = np.power(x[0], x[1]).astype(x[0].dtype)
        elif op == "Concat":
            y = np.concatenate(x, axis=a["axis"])
        elif op == "Reshape":
            shape = [int(v) for v in x[1]]
            shape = [x[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
            y = x[0].reshape(shape)
        elif op == "Transpose":
            y = np.transpose(x[0], a["perm"])
        elif op == "Slice":
            starts, ends = x[1], x[2]
            axes = x[3] if len(x) > 3 and x[3] is not None else list(range(len(starts)))
            steps = x[4] if len(x) > 4 and x[4] is not None else [1] * len(starts)
            sl = [slice(None)] * x[0].ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                sl[int(ax)] = slice(int(s), int(min(e, 2 ** 62)) if e > -2 ** 62 else None, int(st))
            y = x[0][tuple(sl)]
        elif op == "Resize":
            mode = a.get("mode", b"nearest")
            assert mode in (b"nearest", "nearest")
            scales = x[2] if len(x) > 2 and x[2] is not None and x[2].size else None
            if scales is None:
                sizes = x[3]
                scales = np.array(sizes, np.float32) / np.array(x[0].shape, np.float32)
            sh, sw = int(round(scales[2])), int(round(scales[3]))
            assert abs(scales[2] - sh) < 1e-6 and abs(scales[3] - sw) < 1e-6
            y = np.repeat(np.repeat(x[0], sh, axis=2), sw, axis=3)
        elif op == "Identity":
            y = x[0]
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"])
        elif op == "Shape":
            y = np.array(x[0].shape, np.int64)
        elif op == "Gather":
            y = np.take(x[0], x[1], axis=a.get("axis", 0))
        elif op == "Unsqueeze":
            axes = a.get("axes", None)
            if axes is None:
                axes = [int(v) for v in x[1]]
            y = x[0]
            for ax in sorted(axes):
                y = np.expand_dims(y, ax)
        elif op == "Cast":
            y = x[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        elif op == "Range":
            y = np.arange(x[0], x[1], x[2]).astype(np.asarray(x[0]).dtype)
        elif op == "Expand":
            y = x[0] * np.ones([int(v) for v in x[1]], x[0].dtype)
        elif op == "ConstantOfShape":
            v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            y = np.full([int(s) for s in x[0]], v.reshape(-1)[0], v.dtype)
        elif op == "Equal":
            y = np.equal(x[0], x[1])
        elif op == "Where":
            y = np.where(x[0], x[1], x[2])
        else:
            raise NotImplementedError(op)
        env[n.output[0]] = np.asarray(y)
        if observe is not None:
            observe(n.output[0], env[n.output[0]])
    return [env[o.name] for o in m.graph.output]
