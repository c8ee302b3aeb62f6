"""Contact sheet of whole frames (downscaled), 4 per row, for surveying a clip.
usage: sheet.py clip frames(a:b:s or comma list) out.png [scale]"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import frame_path
import cv2, sys, numpy as np
# usage: sheet.py clip frames(comma list or a:b:s) out.png [scale]
clip=sys.argv[1]; spec=sys.argv[2]; out=sys.argv[3]; sc=float(sys.argv[4]) if len(sys.argv)>4 else 0.25
if ':' in spec:
    a,b,s=map(int,spec.split(':')); idx=list(range(a,b,s))
else: idx=[int(x) for x in spec.split(',')]
ims=[]
for i in idx:
    im=cv2.imread(frame_path(clip,i))
    im=cv2.resize(im,None,fx=sc,fy=sc,interpolation=cv2.INTER_AREA)
    cv2.putText(im,str(i),(5,25),cv2.FONT_HERSHEY_SIMPLEX,0.8,(0,255,255),2)
    ims.append(im)
cols=4
while len(ims)%cols: ims.append(np.zeros_like(ims[0]))
rows=[np.hstack(ims[r*cols:(r+1)*cols]) for r in range(len(ims)//cols)]
cv2.imwrite(out,np.vstack(rows))
