"""Propose boxes between hand-read keyframes, for plates that move too far per frame for track.py (used for
car-detection, where the clip advances by 10-40 px per frame in uneven steps).
For plate ID in a keys file, each frame between two consecutive P keyframes gets a box by normalised
cross-correlation of the plate (plus 0.4 w / 0.6 h of context) from the previous frame, searched around a prediction
from the last measured step (first step: the mean keyframe-to-keyframe velocity), forward from the first keyframe and
backward from the second; the two are blended linearly so both keyframes are met; sizes are linear.
Prints dense P lines (keyframes as they are, proposals marked '# ncc proposal' with the lower match score). The
proposals are only proposals: every one is checked by eye on the review crops and corrected where needed.
usage: densify.py clip keys.txt ID"""
import os, sys
import cv2, numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import frame_path
clip,kf,pid=sys.argv[1],sys.argv[2],int(sys.argv[3])
K=[]
for l in open(kf):
    p=l.split('#')[0].split()
    if len(p)>=4 and p[0]=='P' and int(p[1])==pid:
        K.append((int(p[2]),None if p[3]=='-' else tuple(map(float,p[3:7]))))
K.sort()
C={}
def g(f):
    if f not in C: C[f]=cv2.cvtColor(cv2.imread(frame_path(clip,f)),cv2.COLOR_BGR2GRAY).astype(np.float32)
    return C[f]
def run(fa,fb,a,b):
    H,W=g(fa).shape; step=1 if fb>fa else -1; n=abs(fb-fa)
    x,y,w,h=a; mvx=(b[0]+b[2]/2-a[0]-a[2]/2)/n; mvy=(b[1]+b[3]/2-a[1]-a[3]/2)/n
    cx,cy=x+w/2,y+h/2; res={fa:(cx,cy)}; prev=fa
    for i in range(1,n):
        f=fa+i*step; t=i/n; w=a[2]+(b[2]-a[2])*(i-1)/n; h=a[3]+(b[3]-a[3])*(i-1)/n
        ex,ey=w*0.4,h*0.6
        tx0=int(round(max(0,cx-w/2-ex))); ty0=int(round(max(0,cy-h/2-ey))); tx1=int(round(min(W,cx+w/2+ex))); ty1=int(round(min(H,cy+h/2+ey)))
        tpl=g(prev)[ty0:ty1,tx0:tx1]; R=max(6,0.5*max(abs(mvx),abs(mvy)))
        sx0=int(max(0,tx0+mvx-R)); sy0=int(max(0,ty0+mvy-R)); sx1=int(min(W,tx1+mvx+R)); sy1=int(min(H,ty1+mvy+R))
        s=g(f)[sy0:sy1,sx0:sx1]
        if s.shape[0]<tpl.shape[0] or s.shape[1]<tpl.shape[1]: res[f]=(cx+mvx,cy+mvy); cx,cy=res[f]; prev=f; continue
        r=cv2.matchTemplate(s,tpl,cv2.TM_CCOEFF_NORMED); _,mv,_,loc=cv2.minMaxLoc(r)
        dx=sx0+loc[0]-tx0; dy=sy0+loc[1]-ty0
        cx,cy=cx+dx,cy+dy; res[f]=(cx,cy,mv); prev=f
    return res
for (fa,a),(fb,b) in zip(K,K[1:]):
    if a is None: print(f'P {pid} {fa} -'); continue
    print(f'P {pid} {fa} {int(a[0])} {int(a[1])} {int(a[2])} {int(a[3])}')
    if b is None or fb-fa<2: continue
    fw=run(fa,fb,a,b); bw=run(fb,fa,b,a)
    for f in range(fa+1,fb):
        t=(f-fa)/(fb-fa); w=a[2]+(b[2]-a[2])*t; h=a[3]+(b[3]-a[3])*t
        cx=(1-t)*fw[f][0]+t*bw[f][0]; cy=(1-t)*fw[f][1]+t*bw[f][1]
        q=[v[2] for v in (fw[f],bw[f]) if len(v)>2]
        print(f'P {pid} {f} {int(round(cx-w/2))} {int(round(cy-h/2))} {int(round(w))} {int(round(h))}   # ncc proposal{"" if not q else " %.2f"%min(q)}')
if K and K[-1][1] is None: print(f'P {pid} {K[-1][0]} -')
