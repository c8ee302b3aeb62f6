"""Template tracking of a plate centre between two keyframes (used by interp.py for `T` plates).

The patch around the plate (plus `ctx` plate sizes of context) is matched frame to frame with normalised
cross-correlation, forward from the first keyframe and backward from the second; the two tracks are blended
linearly so that both keyframes are met exactly (this cancels most drift). Sizes are interpolated linearly."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import frame_path
import cv2, numpy as np
_cache={}
def frame(clip,f):
    k=(clip,f)
    if k not in _cache:
        if len(_cache)>400: _cache.clear()
        _cache[k]=cv2.cvtColor(cv2.imread(frame_path(clip,f)),cv2.COLOR_BGR2GRAY).astype(np.float32)
    return _cache[k]
def patch(img,cx,cy,pw,ph):
    H,W=img.shape
    x0=int(round(cx-pw/2)); y0=int(round(cy-ph/2))
    pad=np.pad(img,((ph,ph),(pw,pw)),mode='edge')
    return pad[y0+ph:y0+ph+ph, x0+pw:x0+pw+pw]
def run(clip,frames,start_box,lin,ctx):
    x,y,w,h=start_box; cx,cy=x+w/2,y+h/2
    res={frames[0]:(cx,cy)}
    prev=frames[0]
    for f in frames[1:]:
        _,_,w,h=lin[prev]
        pw=max(8,int(w*(1+2*ctx))); ph=max(8,int(h*(1+2*ctx*1.5)))
        tpl=patch(frame(clip,prev),cx,cy,pw,ph)
        sw,sh=pw+2*max(6,int(w*0.5)),ph+2*max(6,int(h*1.0))
        srch=patch(frame(clip,f),cx,cy,sw,sh)
        r=cv2.matchTemplate(srch,tpl,cv2.TM_CCOEFF_NORMED)
        _,_,_,loc=cv2.minMaxLoc(r)
        # subpixel-free; shift of template centre
        dx=loc[0]-(sw-pw)//2; dy=loc[1]-(sh-ph)//2
        cx+=dx; cy+=dy; res[f]=(cx,cy); prev=f
    return res
def track_span(clip,fa,fb,a,b,lin,ctx=1.0):
    fw=run(clip,list(range(fa,fb+1)),a,lin,ctx)
    bw=run(clip,list(range(fb,fa-1,-1)),b,lin,ctx)
    out={}
    for f in range(fa,fb+1):
        t=(f-fa)/(fb-fa)
        out[f]=((1-t)*fw[f][0]+t*bw[f][0],(1-t)*fw[f][1]+t*bw[f][1])
    return out
