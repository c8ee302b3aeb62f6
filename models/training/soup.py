#!/usr/bin/python3
"""Weight interpolation between two checkpoints of the same network
(the model a run started from and the model it fine-tuned to):

    w = (1 - alpha) * w_start + alpha * w_tuned

A fine-tuned detector that gains on new material but forgets some of what
the start model knew (here: the 4-9 px CCTV plates of the report half) can
keep much of both when its weights are blended back toward the start;
both ends share one initialisation, so the straight line between them stays
in a low-loss region. No training: minutes instead of an hour.

  /usr/bin/python3 models/training/soup.py --start RUN/iter_000000.pt \\
      --tuned RUN/best.pt --alpha 0.5 --out RUN/soup-050.pt
  /usr/bin/python3 models/training/release.py --run RUN --ckpt RUN/soup-050.pt --size 800

More than one --tuned (each with its own --alpha, summing to at most 1)
blends several fine-tuned ends with the start: w = (1 - sum a_i) w_start +
sum a_i w_i. The output keeps the checkpoint layout release.py reads
(`ema` and `model` hold the blend; `args` records what went in).
"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from y5fu import Y5fu  # noqa: E402


def weights(path):
    ck = torch.load(path, map_location="cpu")
    return ck["ema"] if ck.get("ema") is not None else ck["model"]


def blend(start, tuned, alphas):
    total = sum(alphas)
    if not 0 < total <= 1 + 1e-9:
        raise SystemExit(f"the alphas sum to {total}; they must sum to more than 0 and at most 1")
    out = {}
    for k, v0 in start.items():
        for t in tuned:
            if k not in t or t[k].shape != v0.shape:
                raise SystemExit(f"checkpoints differ at {k}: not the same network")
        if v0.is_floating_point():
            acc = v0.double() * (1.0 - total)
            for a, t in zip(alphas, tuned):
                acc = acc + t[k].double() * a
            out[k] = acc.to(v0.dtype)
        else:
            out[k] = tuned[-1][k].clone()
    extra = set().union(*(set(t) for t in tuned)) - set(start)
    if extra:
        raise SystemExit(f"checkpoints differ: {sorted(extra)[:3]}: not the same network")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--start", required=True, help="checkpoint the fine-tuning started from (RUN/iter_000000.pt)")
    ap.add_argument("--tuned", required=True, action="append", help="fine-tuned checkpoint (repeatable)")
    ap.add_argument("--alpha", required=True, action="append", type=float, help="weight of each --tuned, in order")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if len(a.alpha) != len(a.tuned):
        raise SystemExit("give one --alpha per --tuned")
    sd = blend(weights(a.start), [weights(t) for t in a.tuned], a.alpha)
    net = Y5fu()
    net.load_state_dict(sd)  # the blend must load into the network release.py builds
    torch.save({"model": sd, "ema": sd, "iter": -1, "score": None,
                "args": {"soup": {"start": a.start, "tuned": a.tuned, "alpha": a.alpha}}}, a.out)
    print(f"wrote {a.out}: {1 - sum(a.alpha):.2f} x start + " +
          " + ".join(f"{al:.2f} x {os.path.basename(os.path.dirname(t)) or t}/{os.path.basename(t)}"
                     for al, t in zip(a.alpha, a.tuned)))


if __name__ == "__main__":
    main()
