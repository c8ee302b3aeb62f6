"""PyTorch rebuild of the HyperLPR3 "y5fu" licence-plate detector.

The network was reconstructed by reading the ONNX graph of
``y5fu_640x_sim.onnx`` (HyperLPR3, Apache-2.0): a ShuffleNetV2-style
backbone with a stem block, a small YOLOv5-style PAN neck (C3 blocks) and a
3-level detection head with 3 anchors per level and 15 values per anchor
(box 4, objectness 1, 4 corners = 8, 2 row-type classes).

BatchNorm is already folded into the convolution biases in the ONNX file, so
every convolution here has a bias and there is no BatchNorm layer. Training
fine-tunes the folded weights directly; export is therefore layer-for-layer
identical to the original graph.

``Y5fu.forward`` returns the raw head maps (list of [B,3,H,W,15]) for the
loss; ``Y5fu.decode`` turns them into the [B,N,15] output the ONNX model
emits (sigmoid on obj/classes, YOLOv5 box decode, corner decode).
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

STRIDES = (8, 16, 32)
# Anchors (input pixels, w,h) read from the anchor-grid constants of the ONNX graph.
ANCHORS = ((4, 5, 8, 10, 13, 16),
           (23, 29, 43, 55, 73, 105),
           (146, 217, 231, 300, 335, 433))
NA = 3      # anchors per level
NO = 15     # values per anchor


class ConvAct(nn.Module):
    """Conv2d with bias (BatchNorm folded in) and an optional SiLU."""

    def __init__(self, cin, cout, k=1, s=1, groups=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=True)
        self.act = act

    def forward(self, x):
        x = self.conv(x)
        return F.silu(x) if self.act else x


class Stem(nn.Module):
    def __init__(self, cin=3, c=16):
        super().__init__()
        self.s1 = ConvAct(cin, c, 3, 2)
        self.s2a = ConvAct(c, c // 2, 1, 1)
        self.s2b = ConvAct(c // 2, c, 3, 2)
        self.s3 = ConvAct(2 * c, c, 1, 1)

    def forward(self, x):
        x = self.s1(x)
        a = self.s2b(self.s2a(x))
        b = F.max_pool2d(x, 2, 2, ceil_mode=True)
        return self.s3(torch.cat([a, b], 1))


def channel_shuffle(x, groups=2):
    b, c, h, w = x.shape
    x = x.reshape(b, groups, c // groups, h, w).transpose(1, 2)
    return x.reshape(b, c, h, w)


class ShuffleBlock(nn.Module):
    """ShuffleNetV2 unit. stride 2: both branches see the input; stride 1:
    the input is split in half, the second half goes through branch 2."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        half = cout // 2
        if stride == 2:
            self.b1_dw = ConvAct(cin, cin, 3, 2, groups=cin, act=False)
            self.b1_pw = ConvAct(cin, half, 1, 1)
            b2in = cin
        else:
            b2in = half
        self.b2_pw1 = ConvAct(b2in, half, 1, 1)
        self.b2_dw = ConvAct(half, half, 3, stride, groups=half, act=False)
        self.b2_pw2 = ConvAct(half, half, 1, 1)

    def branch2(self, x):
        return self.b2_pw2(self.b2_dw(self.b2_pw1(x)))

    def forward(self, x):
        if self.stride == 2:
            out = torch.cat([self.b1_pw(self.b1_dw(x)), self.branch2(x)], 1)
        else:
            c = x.shape[1] // 2
            out = torch.cat([x[:, :c], self.branch2(x[:, c:])], 1)
        return channel_shuffle(out, 2)


class C3(nn.Module):
    """CSP block with one bottleneck (no residual), as in the original neck."""

    def __init__(self, cin, cout):
        super().__init__()
        h = cout // 2
        self.cv1 = ConvAct(cin, h, 1)
        self.m_cv1 = ConvAct(h, h, 1)
        self.m_cv2 = ConvAct(h, h, 3)
        self.cv2 = ConvAct(cin, h, 1)
        self.cv3 = ConvAct(2 * h, cout, 1)

    def forward(self, x):
        a = self.m_cv2(self.m_cv1(self.cv1(x)))
        b = self.cv2(x)
        return self.cv3(torch.cat([a, b], 1))


def _stage(cin, cout, n):
    return nn.Sequential(ShuffleBlock(cin, cout, 2), *[ShuffleBlock(cout, cout, 1) for _ in range(n)])


class Y5fu(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = Stem(3, 16)
        self.stage3 = _stage(16, 64, 3)      # stride 8, 64 ch
        self.stage4 = _stage(64, 128, 7)     # stride 16, 128 ch
        self.stage5 = _stage(128, 256, 3)    # stride 32, 256 ch
        self.lat5 = ConvAct(256, 64, 1)
        self.td4 = C3(192, 64)
        self.lat4 = ConvAct(64, 64, 1)
        self.td3 = C3(128, 64)
        self.down3 = ConvAct(64, 64, 3, 2)
        self.bu4 = C3(128, 64)
        self.down4 = ConvAct(64, 64, 3, 2)
        self.bu5 = C3(128, 64)
        self.head = nn.ModuleList([nn.Conv2d(64, NA * NO, 1) for _ in range(3)])
        self.register_buffer("anchors", torch.tensor(ANCHORS, dtype=torch.float32).view(3, NA, 2))

    def forward(self, x):
        """Raw head outputs: list of 3 tensors [B, 3, H, W, 15] (logits)."""
        p3 = self.stage3(self.stem(x))
        p4 = self.stage4(p3)
        p5 = self.stage5(p4)
        l5 = self.lat5(p5)
        t4 = self.td4(torch.cat([F.interpolate(l5, scale_factor=2.0, mode="nearest"), p4], 1))
        l4 = self.lat4(t4)
        o3 = self.td3(torch.cat([F.interpolate(l4, scale_factor=2.0, mode="nearest"), p3], 1))
        o4 = self.bu4(torch.cat([self.down3(o3), l4], 1))
        o5 = self.bu5(torch.cat([self.down4(o4), l5], 1))
        outs = []
        for conv, f in zip(self.head, (o3, o4, o5)):
            y = conv(f)
            b, _, h, w = y.shape
            outs.append(y.view(b, NA, NO, h, w).permute(0, 1, 3, 4, 2).contiguous())
        return outs

    @staticmethod
    def make_grid(h, w, dtype=torch.float32, device="cpu"):
        gy, gx = torch.meshgrid(torch.arange(h, dtype=dtype, device=device),
                                torch.arange(w, dtype=dtype, device=device), indexing="ij")
        return torch.stack([gx, gy], -1).view(1, 1, h, w, 2)

    def decode(self, outs, grids=None):
        """Same arithmetic and output order as the original ONNX graph.
        grids: optional precomputed grids (export: baked in as constants)."""
        res = []
        for i, y in enumerate(outs):
            b, na, h, w, _ = y.shape
            s = float(STRIDES[i])
            grid = grids[i] if grids is not None else self.make_grid(h, w, y.dtype, y.device)
            ag = self.anchors[i].to(y.dtype).view(1, na, 1, 1, 2)
            xy = (torch.sigmoid(y[..., 0:2]) * 2.0 - 0.5 + grid) * s
            wh = (torch.sigmoid(y[..., 2:4]) * 2.0) ** 2 * ag
            obj = torch.sigmoid(y[..., 4:5])
            gs = grid * s
            corners = [y[..., k:k + 2] * ag + gs for k in (5, 7, 9, 11)]
            cls = torch.sigmoid(y[..., 13:15])
            d = torch.cat([xy, wh, obj] + corners + [cls], -1)
            res.append(d.view(b, -1, NO))
        return torch.cat(res, 1)


class Y5fuExport(nn.Module):
    """Wrapper whose forward is the full ONNX output [B, N, 15]."""

    def __init__(self, net, size):
        super().__init__()
        self.net = net
        self.grids = [Y5fu.make_grid(size // s, size // s) for s in STRIDES]

    def forward(self, x):
        return self.net.decode(self.net(x), self.grids)


# ---------------------------------------------------------------------------
# Loading the weights from the ONNX file (own loader: the convolution weights
# are matched to this module's convolutions in execution order, checked by
# shape, stride and group count).
# ---------------------------------------------------------------------------

def onnx_conv_list(path):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    convs = []
    for n in m.graph.node:
        if n.op_type != "Conv":
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        w = inits[n.input[1]]
        bias = inits[n.input[2]] if len(n.input) > 2 else np.zeros(w.shape[0], np.float32)
        convs.append(dict(name=n.name, wname=n.input[1], w=w, b=bias,
                          stride=tuple(attrs.get("strides", [1, 1])), group=attrs.get("group", 1)))
    return convs


def execution_order_convs(net, size=64):
    order = []
    hooks = [m.register_forward_hook(lambda mod, i, o: order.append(mod))
             for m in net.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        net(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()
    return order


def load_onnx_weights(net, path):
    convs = onnx_conv_list(path)
    mods = execution_order_convs(net)
    # The ONNX exporter emits the C3 "cv2" conv after the bottleneck convs and the
    # three head convs at the very end; our forward runs them in the same order,
    # except the head, which runs right after its level's feature is ready in the
    # ONNX graph too (Conv_500/596/692 come after the whole neck). Both orders are
    # checked below by shape/stride/group; a mismatch raises.
    if len(convs) != len(mods):
        raise ValueError(f"conv count differs: onnx {len(convs)} vs torch {len(mods)}")
    for c, m in zip(convs, mods):
        if tuple(m.weight.shape) != c["w"].shape or tuple(m.stride) != c["stride"] or m.groups != c["group"]:
            raise ValueError(f"layer mismatch at {c['name']} ({c['wname']}): onnx {c['w'].shape} s{c['stride']} "
                             f"g{c['group']} vs torch {tuple(m.weight.shape)} s{m.stride} g{m.groups}")
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(np.array(c["w"], np.float32)))
            m.bias.copy_(torch.from_numpy(np.array(c["b"], np.float32)))
    return net


def build_from_onnx(path):
    return load_onnx_weights(Y5fu().eval(), path)
