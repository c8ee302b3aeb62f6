"""CLAHE contrast enhancement of an image (to look for faint plates).
usage: enh.py in.png out.png"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import frame_path
import cv2,sys,numpy as np
# enh.py in.png out.png : CLAHE contrast enhancement on L channel
im=cv2.imread(sys.argv[1]); lab=cv2.cvtColor(im,cv2.COLOR_BGR2LAB)
lab[:,:,0]=cv2.createCLAHE(3.0,(8,8)).apply(lab[:,:,0]); cv2.imwrite(sys.argv[2],cv2.cvtColor(lab,cv2.COLOR_LAB2BGR))
