"""Zoom (nearest-neighbour, or cubic below 4x) into a region of one frame, with a pixel grid and coordinate labels;
optionally draw the boxes of a boxes file. Used to read box coordinates off the image.
usage: zoom.py clip frame x0 y0 x1 y1 scale out.png [gridstep] [boxes.txt]"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import frame_path
import cv2, sys, numpy as np
# usage: zoom.py clip frame x0 y0 x1 y1 scale out.png [gridstep] [boxesfile]
clip=sys.argv[1]; fi=int(sys.argv[2]); x0,y0,x1,y1=map(int,sys.argv[3:7]); sc=float(sys.argv[7]); out=sys.argv[8]
g=int(sys.argv[9]) if len(sys.argv)>9 else 10
im=cv2.imread(frame_path(clip,fi))
H,W=im.shape[:2]
x0=max(0,x0);y0=max(0,y0);x1=min(W,x1);y1=min(H,y1)
c=im[y0:y1,x0:x1]
z=cv2.resize(c,None,fx=sc,fy=sc,interpolation=cv2.INTER_NEAREST if sc>=4 else cv2.INTER_CUBIC)
# grid
for x in range((x0//g+1)*g, x1, g):
    X=int((x-x0)*sc); col=(0,255,255) if x%(g*5)==0 else (0,120,120)
    cv2.line(z,(X,0),(X,8),col,1); cv2.line(z,(X,z.shape[0]-8),(X,z.shape[0]),col,1)
    if x%(g*5)==0: cv2.putText(z,str(x),(X+2,20),cv2.FONT_HERSHEY_SIMPLEX,0.45,col,1)
for y in range((y0//g+1)*g, y1, g):
    Y=int((y-y0)*sc); col=(0,255,255) if y%(g*5)==0 else (0,120,120)
    cv2.line(z,(0,Y),(8,Y),col,1); cv2.line(z,(z.shape[1]-8,Y),(z.shape[1],Y),col,1)
    if y%(g*5)==0: cv2.putText(z,str(y),(10,Y-2),cv2.FONT_HERSHEY_SIMPLEX,0.45,col,1)
if len(sys.argv)>10:
    for line in open(sys.argv[10]):
        if line.startswith('#') or not line.strip(): continue
        p=line.split()
        if int(p[0])!=fi: continue
        x,y,w,h=map(float,p[1:5])
        cv2.rectangle(z,(int((x-x0)*sc),int((y-y0)*sc)),(int((x+w-x0)*sc),int((y+h-y0)*sc)),(0,0,255),1)
cv2.putText(z,f'f{fi}',(z.shape[1]-60,z.shape[0]-12),cv2.FONT_HERSHEY_SIMPLEX,0.6,(255,255,0),2)
cv2.imwrite(out,z)
