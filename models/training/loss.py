"""YOLOv5-style detection loss for the y5fu head, written for this project.

Per level (strides 8/16/32, 3 anchors each):
  * assignment: a GT box goes to every anchor whose width and height ratios to
    the GT are within ANCHOR_T, at its own cell and the 2 nearest neighbour
    cells (centre offset range -0.5..1.5, matching the 2*sigmoid-0.5 decode)
  * box: 1 - CIoU of the decoded prediction and the GT
  * objectness: BCE, target = CIoU (detached, clamped >= 0) at assigned
    anchors, 0 elsewhere; level weights 4 / 1 / 0.4 (small objects first)
  * IGNORE regions: objectness loss is masked (weight 0) for unassigned
    anchors whose cell centre lies within an ignore box grown by half a stride
  * class: the head has 2 row-type classes (single/double row) and the score
    is obj * max(class); we do not know the row type, so the loss is BCE on
    the larger class logit with target 1 (keeps max(class) high, leaves the
    row-type split to the original weights)
  * corners: SmoothL1 toward the GT box corners (TL,TR,BR,BL), small weight,
    so the corner head stays meaningful (the original order was checked on a
    real photo: TL, TR, BR, BL)
"""
import math

import torch
import torch.nn.functional as F

from y5fu import STRIDES

ANCHOR_T = 4.0
BALANCE = (4.0, 1.0, 0.4)


def bbox_ciou(p, t, eps=1e-7):
    """p, t: [n,4] cx,cy,w,h -> CIoU [n]."""
    p1, p2 = p[:, :2] - p[:, 2:] / 2, p[:, :2] + p[:, 2:] / 2
    t1, t2 = t[:, :2] - t[:, 2:] / 2, t[:, :2] + t[:, 2:] / 2
    inter = (torch.min(p2, t2) - torch.max(p1, t1)).clamp(0).prod(1)
    union = p[:, 2] * p[:, 3] + t[:, 2] * t[:, 3] - inter + eps
    iou = inter / union
    cw = torch.max(p2[:, 0], t2[:, 0]) - torch.min(p1[:, 0], t1[:, 0])
    ch = torch.max(p2[:, 1], t2[:, 1]) - torch.min(p1[:, 1], t1[:, 1])
    c2 = cw ** 2 + ch ** 2 + eps
    rho2 = ((p[:, 0] - t[:, 0]) ** 2 + (p[:, 1] - t[:, 1]) ** 2)
    v = (4 / math.pi ** 2) * (torch.atan(t[:, 2] / (t[:, 3] + eps)) - torch.atan(p[:, 2] / (p[:, 3] + eps))) ** 2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


class PlateLoss:
    def __init__(self, anchors, box_w=0.05, obj_w=0.7, cls_w=0.02, corner_w=0.005):
        self.anchors = anchors  # [3,3,2] pixels
        self.box_w, self.obj_w, self.cls_w, self.corner_w = box_w, obj_w, cls_w, corner_w

    def __call__(self, outs, targets, ignores):
        """outs: list of [B,3,H,W,15]; targets: [M,5] (img, x0,y0,x1,y1) px;
        ignores: [L,5] same layout. Returns (total, parts dict)."""
        dev = outs[0].device
        lbox = torch.zeros((), device=dev)
        lobj = torch.zeros((), device=dev)
        lcls = torch.zeros((), device=dev)
        lcor = torch.zeros((), device=dev)
        npos = 0
        for i, p in enumerate(outs):
            B, na, H, W, _ = p.shape
            s = STRIDES[i]
            anc = self.anchors[i].to(dev) / s                      # grid units
            tobj = torch.zeros(p.shape[:4], device=dev)
            wobj = torch.ones(p.shape[:4], device=dev)
            if len(ignores):
                ig = ignores.to(dev)
                cx = (torch.arange(W, device=dev, dtype=torch.float32) + 0.5) * s
                cy = (torch.arange(H, device=dev, dtype=torch.float32) + 0.5) * s
                half = s / 2
                for row in ig:
                    b = int(row[0])
                    mx = (cx >= row[1] - half) & (cx <= row[3] + half)
                    my = (cy >= row[2] - half) & (cy <= row[4] + half)
                    m = my[:, None] & mx[None, :]
                    wobj[b, :, m] = 0.0
            if len(targets):
                t = targets.to(dev)
                img = t[:, 0].long()
                gxy = torch.stack([(t[:, 1] + t[:, 3]) / 2, (t[:, 2] + t[:, 4]) / 2], 1) / s
                gwh = torch.stack([t[:, 3] - t[:, 1], t[:, 4] - t[:, 2]], 1) / s
                # anchor match
                r = gwh[:, None, :] / anc[None]                       # [M,3,2]
                ok = torch.max(r, 1 / r).max(2).values < ANCHOR_T      # [M,3]
                mi, ai = ok.nonzero(as_tuple=True)
                if len(mi):
                    cands = [(mi, ai, torch.zeros(len(mi), 2, device=dev))]
                    g = gxy[mi]
                    frac = g % 1.0
                    offs = ((frac[:, 0] < 0.5) & (g[:, 0] > 1.0), (frac[:, 1] < 0.5) & (g[:, 1] > 1.0),
                            (frac[:, 0] > 0.5) & (g[:, 0] < W - 1.0), (frac[:, 1] > 0.5) & (g[:, 1] < H - 1.0))
                    deltas = ((-1, 0), (0, -1), (1, 0), (0, 1))
                    for m, d in zip(offs, deltas):
                        if m.any():
                            cands.append((mi[m], ai[m], torch.tensor(d, device=dev, dtype=torch.float32)
                                          .expand(int(m.sum()), 2)))
                    mi = torch.cat([c[0] for c in cands])
                    ai = torch.cat([c[1] for c in cands])
                    dl = torch.cat([c[2] for c in cands])
                    gij = (gxy[mi].floor() + dl).long()
                    gi = gij[:, 0].clamp(0, W - 1)
                    gj = gij[:, 1].clamp(0, H - 1)
                    bi = img[mi]
                    ps = p[bi, ai, gj, gi]                                # [n,15]
                    pxy = torch.sigmoid(ps[:, 0:2]) * 2 - 0.5
                    pwh = (torch.sigmoid(ps[:, 2:4]) * 2) ** 2 * anc[ai]
                    tbox = torch.cat([gxy[mi] - torch.stack([gi, gj], 1).float(), gwh[mi]], 1)
                    ciou = bbox_ciou(torch.cat([pxy, pwh], 1), tbox)
                    lbox = lbox + (1.0 - ciou).mean()
                    tobj[bi, ai, gj, gi] = ciou.detach().clamp(0).to(tobj.dtype)
                    wobj[bi, ai, gj, gi] = 1.0
                    lcls = lcls + F.binary_cross_entropy_with_logits(ps[:, 13:15].max(1).values,
                                                                     torch.ones(len(ps), device=dev))
                    # corners relative to the cell, in grid units: value * anchor
                    x0 = tbox[:, 0] - tbox[:, 2] / 2
                    x1 = tbox[:, 0] + tbox[:, 2] / 2
                    y0 = tbox[:, 1] - tbox[:, 3] / 2
                    y1 = tbox[:, 1] + tbox[:, 3] / 2
                    tc = torch.stack([x0, y0, x1, y0, x1, y1, x0, y1], 1)
                    pc = ps[:, 5:13] * anc[ai].repeat(1, 4)
                    lcor = lcor + F.smooth_l1_loss(pc, tc)
                    npos += len(ps)
            bce = F.binary_cross_entropy_with_logits(p[..., 4], tobj, reduction="none")
            lobj = lobj + BALANCE[i] * (bce * wobj).sum() / wobj.sum().clamp(min=1.0)
        bs = outs[0].shape[0]
        parts = dict(box=self.box_w * lbox, obj=self.obj_w * lobj, cls=self.cls_w * lcls, corner=self.corner_w * lcor)
        total = sum(parts.values()) * bs
        return total, {k: float(v) for k, v in parts.items()} | dict(npos=npos)
