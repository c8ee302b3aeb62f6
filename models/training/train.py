#!/usr/bin/python3
"""Fine-tune the HyperLPR3 y5fu plate detector for small, distant, oblique
plates. CPU-first (1 thread, nice), resumable; uses CUDA when present.

  nohup nice -n 19 /usr/bin/python3 models/training/train.py \
      --data /work/shared/train --out models/training/runs/main \
      > /dev/null 2>&1 &
  tail -f models/training/runs/main/train.log

Re-running the same command resumes from OUT/last.pt (use --fresh to start
over). Stages:
  1. teacher regions (cached in OUT/teacher_regions.json): the original model
     runs on the training images of --ignore-sets (default: the dashcam set),
     whole image and 640-px tiles of the image upscaled to 1600 px on the long
     side (at most 2.5x); its detections (score >= 0.3) that match no label
     become IGNORE regions (see README: unlabelled plates)
  2. training on augmented crops (augment.py) with the loss in loss.py,
     AdamW, warm-up + cosine LR, EMA weights, gradient clipping
  3. every --eval-every iterations: validation of the EMA weights on the
     held-out split and openalpr photos at 640 (whole image letterbox),
     OUT/metrics.jsonl, OUT/iter_XXXXXX.pt, OUT/best.pt (by held-out score)
  4. OUT/last.pt every --ckpt-minutes minutes and at the end
"""
import argparse
import json
import math
import os
import sys
import time

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402
import export_dynamic  # noqa: E402
import common  # noqa: E402
import validate  # noqa: E402
from loss import PlateLoss  # noqa: E402
from y5fu import Y5fu, build_from_onnx  # noqa: E402

SUBSET_WEIGHTS = {"openimages": 0.45, "romanian-dashcam": 0.35, "roboflow-mit": 0.20}


def log(out, msg):
    line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
    print(line, flush=True)
    with open(os.path.join(out, "train.log"), "a") as f:
        f.write(line + "\n")


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


# ------------------------------------------------------------ teacher regions

def _tiles(img, long_side=1600, tile=640, overlap=160, max_up=2.5):
    h, w = img.shape[:2]
    s = min(long_side / max(h, w), max_up)
    if s <= 1.05 and max(h, w) <= tile:
        return []
    big = cv2.resize(img, (int(round(w * s)), int(round(h * s))), interpolation=cv2.INTER_LINEAR)
    H, W = big.shape[:2]
    step = tile - overlap
    xs = list(range(0, max(W - tile, 0) + 1, step))
    ys = list(range(0, max(H - tile, 0) + 1, step))
    if xs[-1] + tile < W:
        xs.append(W - tile)
    if ys[-1] + tile < H:
        ys.append(H - tile)
    out = []
    for y in ys:
        for x in xs:
            t = np.zeros((tile, tile, 3), np.uint8)
            crop = big[y:y + tile, x:x + tile]
            t[:crop.shape[0], :crop.shape[1]] = crop
            out.append((t, x, y, s))
    return out


def teacher_regions(items, teacher_path, device, out, ignore_sets):
    """Ignore regions for the training images of the subsets in ignore_sets,
    cached in OUT/teacher_regions.json (reused for any subset already there)."""
    sel = [it for it in items if "all" in ignore_sets or it[0] in ignore_sets]
    path = os.path.join(out, "teacher_regions.json")
    cache = json.load(open(path)) if os.path.exists(path) else {}
    todo = [it for it in sel if it[0] + "/" + it[1] not in cache]
    if todo:
        teacher = build_from_onnx(teacher_path).to(device)
        cache.update(_teacher_regions(todo, teacher, device, out))
        json.dump(cache, open(path, "w"))
    keys = {it[0] + "/" + it[1] for it in sel}
    res = {k: v for k, v in cache.items() if k in keys}
    log(out, f"ignore regions from the teacher: {sum(len(v) for v in res.values())} in "
             f"{sum(1 for v in res.values() if v)} images of {', '.join(sorted(ignore_sets))}")
    return res


@torch.no_grad()
def _teacher_regions(items, teacher, device, out, thr=0.3, batch=16):
    t0 = time.time()
    res = {}
    n_regions = 0
    queue = []  # (key, tensor, x, y, s, is_tile)

    def flush():
        nonlocal queue
        if not queue:
            return
        x = torch.from_numpy(np.concatenate([q[1] for q in queue], 0)).to(device)
        y = teacher.decode(teacher(x)).float().cpu().numpy()
        for q, yi in zip(queue, y):
            b, s, _ = common.postprocess(yi, conf=thr)
            if q[5]:
                b = b / q[4] + 0  # tile px -> upscaled px -> orig px
                b[:, [0, 2]] += q[2] / q[4]
                b[:, [1, 3]] += q[3] / q[4]
            else:
                b = common.unletterbox_boxes(b, q[2])
            res.setdefault(q[0], []).extend([bb.tolist() + [float(ss)] for bb, ss in zip(b, s)])
        queue = []

    for k, (subset, name, ip, lp) in enumerate(items):
        img = cv2.imread(ip)
        key = subset + "/" + name
        res.setdefault(key, [])
        x, meta = common.letterbox(img, 640)
        queue.append((key, x, meta, None, None, False))
        for t, tx, ty, s in _tiles(img):
            queue.append((key, t[:, :, ::-1].astype(np.float32).transpose(2, 0, 1)[None] / 255.0, tx, ty, s, True))
            if len(queue) >= batch:
                flush()
        if len(queue) >= batch:
            flush()
        if k % 100 == 0:
            log(out, f"teacher regions: {k}/{len(items)} images, {time.time() - t0:.0f} s")
    flush()
    final = {}
    for subset, name, ip, lp in items:
        key = subset + "/" + name
        dets = np.array(res.get(key, []), np.float32).reshape(-1, 5)
        if not len(dets):
            final[key] = []
            continue
        keep = common.nms(dets[:, :4], dets[:, 4], 0.4)
        dets = dets[keep]
        img = cv2.imread(ip)
        gt = common.read_yolo_labels(lp, img.shape[1], img.shape[0])
        regions = []
        for d in dets:
            b = d[:4]
            if len(gt):
                iou = common.box_iou(b[None], gt)[0]
                lt = np.maximum(b[:2], gt[:, :2])
                rb = np.minimum(b[2:], gt[:, 2:])
                inter = np.clip(rb - lt, 0, None).prod(1)
                ab = max((b[2] - b[0]) * (b[3] - b[1]), 1e-6)
                ag = np.maximum((gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1]), 1e-6)
                if (iou > 0.2).any() or (inter / ab > 0.4).any() or (inter / ag > 0.4).any():
                    continue
            w, h = b[2] - b[0], b[3] - b[1]
            regions.append([float(b[0] - 0.15 * w), float(b[1] - 0.15 * h), float(b[2] + 0.15 * w),
                            float(b[3] + 0.15 * h), float(d[4])])
        n_regions += len(regions)
        final[key] = regions
    log(out, f"teacher regions: {n_regions} unlabelled plate-like regions in {sum(1 for v in final.values() if v)} "
             f"of {len(items)} training images ({time.time() - t0:.0f} s)")
    return final


# ------------------------------------------------------------ data

class Sampler:
    def __init__(self, items, regions, crop, seed, restyle=1.0, cctv=0.0, roll_wide=0.0):
        self.restyle = restyle
        self.roll_wide = roll_wide
        self.cctv = cctv
        self.items = items
        self.regions = regions
        self.crop = crop
        self.rng = np.random.default_rng(seed)
        w = np.array([SUBSET_WEIGHTS.get(s, 0.2) for s, _, _, _ in items], np.float64)
        counts = {}
        for s, _, _, _ in items:
            counts[s] = counts.get(s, 0) + 1
        w /= np.array([counts[s] for s, _, _, _ in items], np.float64)
        self.p = w / w.sum()
        self.labels = {}

    def one(self):
        i = int(self.rng.choice(len(self.items), p=self.p))
        subset, name, ip, lp = self.items[i]
        img = cv2.imread(ip)
        gt = common.read_yolo_labels(lp, img.shape[1], img.shape[0])
        ign = np.array([r[:4] for r in self.regions.get(subset + "/" + name, [])], np.float32).reshape(-1, 4)
        return augment.make_sample(img, gt, ign, self.crop, self.rng, restyle=self.restyle, cctv=self.cctv, roll_wide=self.roll_wide)

    def batch(self, n):
        imgs, tg, ig = [], [], []
        for b in range(n):
            crop, pos, ign = self.one()
            imgs.append(crop[:, :, ::-1].transpose(2, 0, 1))
            tg += [[b] + list(p) for p in pos]
            ig += [[b] + list(p) for p in ign]
        x = torch.from_numpy(np.ascontiguousarray(np.stack(imgs))).float() / 255.0
        return x, torch.tensor(tg, dtype=torch.float32).reshape(-1, 5), torch.tensor(ig, dtype=torch.float32).reshape(-1, 5)


# ------------------------------------------------------------ EMA

class EMA:
    def __init__(self, model, decay=0.999):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.updates = 0

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / 300))
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)

    def model(self, like):
        m = Y5fu().to(next(like.parameters()).device)
        m.load_state_dict(self.shadow)
        return m.eval()


def lr_at(it, total, base, warm=300):
    if it < warm:
        return base * (0.1 + 0.9 * it / warm)
    t = (it - warm) / max(1, total - warm)
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(t, 1.0))))


def score_of(heldout):
    a = heldout["all"]
    return (a["recall@0.25"] + a["coverage@0.25"] + a["recall@0.1"] + a["coverage@0.1"]) / 4


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=common.default_data_dir(), help="training data root (env PLATEBLUR_TRAIN_DATA)")
    ap.add_argument("--eval-data", default=common.default_eval_dir(), help="openalpr photos root (evaluation only)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--init", default=common.DEFAULT_Y5FU, help="ONNX to start from (y5fu 640)")
    ap.add_argument("--iters", type=int, default=8000)
    ap.add_argument("--batch", type=int, default=16, help=">= 16 keeps PyTorch CPU convs on the fast path")
    ap.add_argument("--crop", type=int, default=384)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--wd", type=float, default=5e-5)
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--eval-every", type=int, default=800, help="0: no evaluation during training (screen the last checkpoint instead)")
    ap.add_argument("--eval-size", type=int, default=640)
    ap.add_argument("--ckpt-minutes", type=float, default=10)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--restyle", type=float, default=1.0,
                    help="scale of augment.restyle_plates' probabilities (two-line 0.10, yellow 0.12); 0 = off, as the shipped model was trained")
    ap.add_argument("--cctv", type=float, default=0.0,
                    help="probability that a positive sample becomes a distant low-contrast CCTV plate (augment.cctv_degrade); 0 = off")
    ap.add_argument("--roll-wide", type=float, default=0.0,
                    help="probability that a sample's roll is drawn from +-35 degrees instead of N(0, 4 degrees); 0 = off")
    ap.add_argument("--original-data", action="store_true",
                    help="train only on the data the shipped model was trained on (no set added later)")
    ap.add_argument("--ignore-sets", default="romanian-dashcam",
                    help="subsets whose unlabelled teacher detections become ignore regions (comma list, "
                         "'all', or 'none'); default: the dashcam set, where the teacher's extra hits are "
                         "real unlabelled plates, while on Open Images/Roboflow they are mostly text and badges")
    ap.add_argument("--fresh", action="store_true", help="ignore OUT/last.pt")
    ap.add_argument("--extra-data", default=None,
                    help="folder from `plateblur data render-train` (rendered-SET subsets): training pictures with rendered plates")
    ap.add_argument("--rendered-weight", type=float, default=0.25,
                    help="sampling weight of all rendered subsets together (the real sets weigh 1.0 together)")
    a = ap.parse_args()

    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(a.threads)
    cv2.setNumThreads(0)
    device = common.pick_device(a.device)
    torch.manual_seed(a.seed)

    # The strata photos are the evaluation's: never trained on (before 2026-12-01 they were, by mistake; see README).
    items = common.list_items(a.data, "train", exclude=common.strata_images(), original_only=a.original_data)
    if a.extra_data:
        rendered = common.list_rendered(a.extra_data, "train", exclude=common.strata_images())
        subsets = sorted({s for s, _, _, _ in rendered})
        for s_ in subsets:
            SUBSET_WEIGHTS[s_] = a.rendered_weight / len(subsets)
        log(a.out, f"extra data {a.extra_data}: {len(rendered)} training pictures with rendered plates in {', '.join(subsets)} "
                 f"(together weight {a.rendered_weight} beside {sum(v for k, v in SUBSET_WEIGHTS.items() if not k.startswith('rendered-')):.2f})")
        items += rendered
    val_items = validate.heldout_items(a.data)
    out = a.out
    log(out, f"device {device}, threads {a.threads}, {len(items)} train images, {len(val_items)} held-out")

    regions = teacher_regions(items, a.init, device, out, set(a.ignore_sets.split(",")))

    # A graph PlateBlur exported itself is loaded by parameter name; the original HyperLPR graph by execution order.
    net = export_dynamic.load_by_name(a.init).to(device).train()
    decay, no_decay = [], []
    for n_, p in net.named_parameters():
        (decay if p.ndim > 1 else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr)
    ema = EMA(net)
    crit = PlateLoss(net.anchors)
    sampler = Sampler(items, regions, a.crop, a.seed, a.restyle, a.cctv, a.roll_wide)
    it = 0
    best = -1.0
    last = os.path.join(out, "last.pt")
    if os.path.exists(last) and not a.fresh:
        ck = torch.load(last, map_location="cpu")
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        ema.shadow = {k: v.to(device) for k, v in ck["ema"].items()}
        ema.updates = ck["ema_updates"]
        it = ck["iter"]
        best = ck.get("best", -1.0)
        sampler.rng.bit_generator.state = ck["np_rng"]
        torch.set_rng_state(ck["torch_rng"])
        log(out, f"resumed from {last} at iteration {it}")
    elif it == 0:
        json.dump(vars(a), open(os.path.join(out, "args.json"), "w"), indent=1)

    def checkpoint(path):
        atomic_save(dict(model=net.state_dict(), opt=opt.state_dict(), ema=ema.shadow, ema_updates=ema.updates,
                         iter=it, best=best, np_rng=sampler.rng.bit_generator.state, torch_rng=torch.get_rng_state(),
                         args=vars(a)), path)

    def run_eval():
        nonlocal best
        m = ema.model(net)
        t0 = time.time()
        r = validate.run_sets(m, ["heldout", "openalpr-us", "openalpr-eu"], a.eval_size, device, a.data, a.eval_data)
        sc = score_of(r["heldout"])
        flat = dict(r["heldout"])
        flat.update({k: r[k] for k in ("openalpr-us", "openalpr-eu")})
        log(out, f"eval it {it}: score {sc:.2f} " + validate.summary_line("ema", a.eval_size, flat)
            + f" ({time.time() - t0:.0f} s)")
        with open(os.path.join(out, "metrics.jsonl"), "a") as f:
            f.write(json.dumps(dict(iter=it, score=sc, **r)) + "\n")
        snap = dict(model=ema.shadow, ema=None, iter=it, score=sc, args=vars(a))
        atomic_save(snap, os.path.join(out, f"iter_{it:06d}.pt"))
        if sc > best:
            best = sc
            atomic_save(snap, os.path.join(out, "best.pt"))
            log(out, f"new best {sc:.2f} at it {it} -> best.pt")
        net.train()

    if it == 0 and a.eval_every > 0 and not os.path.exists(os.path.join(out, "metrics.jsonl")):
        run_eval()   # baseline = the original weights
    t_ck = time.time()
    t_log = time.time()
    agg = {}
    n_agg = 0
    while it < a.iters:
        lr = lr_at(it, a.iters, a.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        t_data = time.time()
        x, tg, ig = sampler.batch(a.batch)
        t_data = time.time() - t_data
        outs = net(x.to(device))
        loss, parts = crit(outs, tg, ig)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
        if torch.isfinite(loss):
            opt.step()
            ema.update(net)
        it += 1
        parts["loss"] = float(loss)
        parts["gnorm"] = float(gn)
        parts["data_s"] = t_data
        for k, v in parts.items():
            agg[k] = agg.get(k, 0.0) + v
        n_agg += 1
        if it % 25 == 0:
            dt = (time.time() - t_log) / n_agg
            eta = (a.iters - it) * dt / 3600
            log(out, f"it {it}/{a.iters} lr {lr:.2e} " + " ".join(f"{k} {v / n_agg:.4g}" for k, v in agg.items())
                + f" | {dt:.2f} s/it, ETA {eta:.2f} h (+evals)")
            agg, n_agg, t_log = {}, 0, time.time()
        if a.eval_every > 0 and (it % a.eval_every == 0 or it == a.iters):
            run_eval()
            checkpoint(last)
            t_ck = time.time()
        elif time.time() - t_ck > a.ckpt_minutes * 60:
            checkpoint(last)
            t_ck = time.time()
    checkpoint(last)
    log(out, f"done: {it} iterations, best held-out score {best:.2f}")


if __name__ == "__main__":
    main()
