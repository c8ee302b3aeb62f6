"""Stack zoomed, gridded views (zoom.py) of several frames, each centred on plate `id` of a boxes file.
usage: zooms.py clip boxes.txt id frames(comma) halfw halfh scale out.png [boxes drawn: 0/1]"""
import sys,subprocess,cv2,numpy as np,os
clip,bf,pid,frames,hw,hh,sc,out=sys.argv[1],sys.argv[2],int(sys.argv[3]),[int(x) for x in sys.argv[4].split(',')],int(sys.argv[5]),int(sys.argv[6]),float(sys.argv[7]),sys.argv[8]
draw=len(sys.argv)>9 and sys.argv[9]=='1'
B={}
for l in open(bf):
    if l.startswith('#') or not l.strip(): continue
    p=l.split()
    if int(p[5])==pid: B[int(p[0])]=tuple(map(float,p[1:5]))
ims=[]
d=os.path.dirname(os.path.abspath(__file__))
for f in frames:
    x,y,w,h=B[f]; cx,cy=int(x+w/2),int(y+h/2)
    a=[sys.executable,f'{d}/zoom.py',clip,str(f),str(cx-hw),str(cy-hh),str(cx+hw),str(cy+hh),str(sc),'/tmp/_z.png','1']
    if draw: a.append(bf)
    subprocess.run(a,check=True); ims.append(cv2.imread('/tmp/_z.png'))
W=max(i.shape[1] for i in ims)
ims=[cv2.copyMakeBorder(i,0,4,0,W-i.shape[1],cv2.BORDER_CONSTANT,value=(0,0,255)) for i in ims]
cv2.imwrite(out,np.vstack(ims))
