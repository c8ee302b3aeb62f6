"""Build per-frame boxes from keyframes.
keys file lines:
  P id frame x y w h      keyframe box (pixels). Consecutive keyframes of one id are linearly interpolated.
  P id frame -            the plate is not visible from this frame on (ends the current segment; no interpolation across it)
  R id a b [wf hf]        refine frames a..b of plate id with the bright-plate fitter (tools/fit.py) inside a window
                          wf x w by hf x h around the interpolated box; accepted only if the size stays within
                          25 % (w) / 35 % (h) and the centre within 0.25 w of the interpolated box. (Used only for
                          white/yellow plates on darker bodywork; all results are checked by eye.)
  T id [ctx]              for plate id, place boxes between two keyframes by template tracking (forward from the
                          first keyframe and backward from the second, blended linearly so both keyframes are met
                          exactly); sizes still interpolate linearly. ctx = context margin in plate sizes (default 1).
  F id frame x y w h      fixed override for one frame (applied last)
  X id frame              delete the box of plate id in that frame (applied last)
Boxes are clipped to the frame. Output: frame x y w h id, sorted.
usage: interp.py keys.txt clip W H > boxes (body only)
"""
import sys, collections
sys.path.insert(0, __file__.rsplit('/',1)[0])
def load(path):
    keys=collections.defaultdict(list); refine=[]; fixed={}; dele=set(); track={}
    for line in open(path):
        line=line.split('#')[0].strip()
        if not line: continue
        p=line.split()
        if p[0]=='P':
            pid=int(p[1]); f=int(p[2])
            keys[pid].append((f,None) if p[3]=='-' else (f,tuple(map(float,p[3:7]))))
        elif p[0]=='R':
            refine.append((int(p[1]),int(p[2]),int(p[3]),float(p[4]) if len(p)>4 else 1.6,float(p[5]) if len(p)>5 else 2.5))
        elif p[0]=='F':
            fixed[(int(p[1]),int(p[2]))]=tuple(map(float,p[3:7]))
        elif p[0]=='T':
            track[int(p[1])]=float(p[2]) if len(p)>2 else 1.0
        elif p[0]=='X':
            dele.add((int(p[1]),int(p[2])))
    return keys,refine,fixed,dele,track
def build(path,clip,W,H):
    keys,refine,fixed,dele,track=load(path)
    out={}
    for pid,ks in keys.items():
        ks.sort(key=lambda k:k[0])
        for (fa,a),(fb,b) in zip(ks,ks[1:]):
            if a is None: continue
            if b is None:
                out[(pid,fa)]=a; continue
            lin={f:tuple(a[i]+(b[i]-a[i])*(f-fa)/(fb-fa) for i in range(4)) for f in range(fa,fb+1)}
            if pid in track and fb-fa>1:
                from track import track_span
                cen=track_span(clip,fa,fb,a,b,lin,track[pid])
                for f in range(fa,fb+1):
                    x,y,w,h=lin[f]; cx,cy=cen[f]
                    out[(pid,f)]=(cx-w/2,cy-h/2,w,h)
            else:
                for f,v in lin.items(): out[(pid,f)]=v
        if ks and ks[-1][1] is not None: out[(pid,ks[-1][0])]=ks[-1][1]
    if refine:
        from fit import fit
        for pid,a,b,wf,hf in refine:
            for f in range(a,b+1):
                if (pid,f) not in out: continue
                x,y,w,h=out[(pid,f)]
                r=fit(clip,f,x+w/2,y+h/2,w*wf,h*hf)
                if r is None: continue
                rx,ry,rw,rh=r
                if abs(rw-w)<=0.25*w and abs(rh-h)<=0.35*h and abs(rx+rw/2-x-w/2)<=0.25*w and abs(ry+rh/2-y-h/2)<=0.5*h:
                    out[(pid,f)]=(rx,ry,rw,rh)
                else:
                    print(f'# refine rejected id {pid} frame {f}: fit {r} vs interp {(round(x),round(y),round(w),round(h))}',file=sys.stderr)
    for k,v in fixed.items(): out[k]=v
    for k in dele: out.pop(k,None)
    rows=[]
    for (pid,f),(x,y,w,h) in out.items():
        x0=max(0,round(x)); y0=max(0,round(y)); x1=min(W,round(x+w)); y1=min(H,round(y+h))
        if x1-x0<1 or y1-y0<1: continue
        rows.append((f,x0,y0,x1-x0,y1-y0,pid))
    rows.sort(); return rows
if __name__=='__main__':
    path,clip,W,H=sys.argv[1],sys.argv[2],int(sys.argv[3]),int(sys.argv[4])
    for r in build(path,clip,W,H): print(*r)
