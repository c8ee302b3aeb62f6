"""Compare a boxes file with a PlateBlur report (OUT.report.json): for every plate-frame, the fraction of the
ground-truth box covered by the union of the masked boxes of that frame. A plate-frame counts as leaked when
less than --min (default 0.95) of its area is masked. Prints per-plate leaked counts and the longest leaked run.
usage: coverage.py <clip>.boxes.txt OUT.report.json [--min 0.95]"""
import sys, json, collections
import numpy as np
args = sys.argv[1:]; mn = 0.95
if '--min' in args:
    i = args.index('--min'); mn = float(args[i + 1]); del args[i:i + 2]
bf, rf = args
W, H = None, None
gt = collections.defaultdict(list)
for l in open(bf):
    if l.startswith('# clip'):
        W, H = map(int, l.split('size:')[1].split()[0].split('x'))
    if l.startswith('#') or not l.strip(): continue
    f, x, y, w, h, i = map(int, l.split()[:6]); gt[f].append((i, x, y, w, h))
rep = json.load(open(rf))
masks = {fr['index']: fr['boxes'] for fr in rep['frames']}
per = collections.defaultdict(list)
for f, bs in gt.items():
    m = np.zeros((H, W), bool)
    for b in masks.get(f, []):
        x0, y0 = max(0, int(np.floor(b['x']))), max(0, int(np.floor(b['y'])))
        x1, y1 = min(W, int(np.ceil(b['x'] + b['w']))), min(H, int(np.ceil(b['y'] + b['h'])))
        m[y0:y1, x0:x1] = True
    for i, x, y, w, h in bs:
        per[i].append((f, m[y:y + h, x:x + w].mean()))
tot = 0; leak = 0
for i in sorted(per):
    fr = sorted(per[i]); lk = [f for f, c in fr if c < mn]
    run = best = 0; prev = None
    for f in lk:
        run = run + 1 if prev is not None and f == prev + 1 else 1; best = max(best, run); prev = f
    tot += len(fr); leak += len(lk)
    print(f'id {i}: {len(fr)} plate-frames, leaked {len(lk)} ({100*len(lk)/len(fr):.0f} %), longest leaked run {best}, '
          f'mean coverage {np.mean([c for _, c in fr]):.2f}')
print(f'total: {tot} plate-frames, leaked {leak} ({100*leak/max(1,tot):.1f} %)')
