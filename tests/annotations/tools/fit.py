"""Auto-fit a tight box around a bright (white/yellow) plate inside a search window.
Used only as a proposal; every result is checked by eye afterwards.
usage: fit.py clip frame cx cy sw sh [thr]  -> prints x y w h
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import frame_path
import cv2,sys,numpy as np
def fit(clip,f,cx,cy,sw,sh,thr=None,frac=0.06):
    im=cv2.imread(frame_path(clip,f)); H,W=im.shape[:2]
    x0=max(0,int(cx-sw/2)); y0=max(0,int(cy-sh/2)); x1=min(W,int(cx+sw/2)); y1=min(H,int(cy+sh/2))
    g=cv2.cvtColor(im[y0:y1,x0:x1],cv2.COLOR_BGR2GRAY)
    if thr is None:
        t,b=cv2.threshold(g,0,255,cv2.THRESH_BINARY+cv2.THRESH_OTSU)
    else:
        t,b=cv2.threshold(g,thr,255,cv2.THRESH_BINARY)
    b=cv2.morphologyEx(b,cv2.MORPH_CLOSE,np.ones((3,3),np.uint8))
    n,l,st,cen=cv2.connectedComponentsWithStats(b)
    best=None;bs=-1
    for i in range(1,n):
        x,y,w,h,a=st[i]
        d=np.hypot(cen[i][0]-(cx-x0),cen[i][1]-(cy-y0))
        s=a/(1+d/10)
        if s>bs: bs=s;best=(i,x,y,w,h)
    i,x,y,w,h=best
    m=(l[y:y+h,x:x+w]==i)
    rows=np.where(m.mean(1)>=frac)[0]; cols=np.where(m.mean(0)>=frac)[0]
    if len(rows) and len(cols):
        y,h=y+rows[0],rows[-1]-rows[0]+1; x,w=x+cols[0],cols[-1]-cols[0]+1
    return (x+x0,y+y0,w,h)
if __name__=='__main__':
    a=sys.argv; r=fit(a[1],int(a[2]),*map(float,a[3:7]),*( [float(a[7])] if len(a)>7 else []))
    print(*r)
