"""Contact sheet of zoomed crops.
usage: cropsheet.py clip frames x0 y0 x1 y1 scale out.png [boxes.txt] [--follow ID] [--cols N]
frames: a:b:s or comma list. With --follow ID, crop window is centred on that plate's box per frame (size x1-x0 by y1-y0).
Boxes from boxes.txt are drawn 1px in red (or per-id colours), outside the plate pixels (rectangle drawn around the box).
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import frame_path
import cv2, sys, numpy as np
args=sys.argv[1:]
follow=None; cols=4; grid=0
if '--follow' in args:
    i=args.index('--follow'); follow=int(args[i+1]); del args[i:i+2]
if '--cols' in args:
    i=args.index('--cols'); cols=int(args[i+1]); del args[i:i+2]
if '--grid' in args:
    i=args.index('--grid'); grid=int(args[i+1]); del args[i:i+2]
clip=args[0]; spec=args[1]; x0,y0,x1,y1=map(int,args[2:6]); sc=float(args[6]); out=args[7]
bf=args[8] if len(args)>8 else None
if ':' in spec:
    a,b,s=map(int,spec.split(':')); idx=list(range(a,b,s))
else: idx=[int(x) for x in spec.split(',')]
boxes={}
if bf:
    for line in open(bf):
        if line.startswith('#') or not line.strip(): continue
        p=line.split(); f=int(p[0]); pid=int(p[5]) if len(p)>5 else 0
        boxes.setdefault(f,[]).append((float(p[1]),float(p[2]),float(p[3]),float(p[4]),pid))
COL=[(0,0,255),(0,255,0),(255,0,255),(0,255,255),(255,128,0),(128,0,255),(0,128,255),(255,255,0)]
cw,ch=x1-x0,y1-y0
tiles=[]
for f in idx:
    im=cv2.imread(frame_path(clip,f)); H,W=im.shape[:2]
    ox,oy=x0,y0
    if follow is not None:
        bb=[b for b in boxes.get(f,[]) if b[4]==follow]
        if bb:
            x,y,w,h,_=bb[0]; ox=int(x+w/2-cw/2); oy=int(y+h/2-ch/2)
    pad=np.zeros((H+2*ch,W+2*cw,3),np.uint8); pad[ch:ch+H,cw:cw+W]=im
    c=pad[oy+ch:oy+ch+ch, ox+cw:ox+cw+cw]
    z=cv2.resize(c,None,fx=sc,fy=sc,interpolation=cv2.INTER_CUBIC)
    for (x,y,w,h,pid) in boxes.get(f,[]):
        X0=int(round((x-ox)*sc))-1; Y0=int(round((y-oy)*sc))-1
        X1=int(round((x+w-ox)*sc)); Y1=int(round((y+h-oy)*sc))
        cv2.rectangle(z,(X0,Y0),(X1,Y1),COL[pid%len(COL)],1)
    if grid:
        for gx in range((ox//grid+1)*grid, ox+cw, grid):
            X=int((gx-ox)*sc); cv2.line(z,(X,0),(X,6),(0,255,255),1)
            if gx%(grid*5)==0: cv2.putText(z,str(gx),(X+1,16),cv2.FONT_HERSHEY_SIMPLEX,0.35,(0,255,255),1)
        for gy in range((oy//grid+1)*grid, oy+ch, grid):
            Y=int((gy-oy)*sc); cv2.line(z,(0,Y),(6,Y),(0,255,255),1)
            if gy%(grid*5)==0: cv2.putText(z,str(gy),(8,Y+4),cv2.FONT_HERSHEY_SIMPLEX,0.35,(0,255,255),1)
    cv2.putText(z,str(f),(3,z.shape[0]-5),cv2.FONT_HERSHEY_SIMPLEX,0.5,(255,255,0),1)
    z=cv2.copyMakeBorder(z,1,1,1,1,cv2.BORDER_CONSTANT,value=(80,80,80))
    tiles.append(z)
while len(tiles)%cols: tiles.append(np.zeros_like(tiles[0]))
rows=[np.hstack(tiles[r*cols:(r+1)*cols]) for r in range(len(tiles)//cols)]
cv2.imwrite(out,np.vstack(rows))
