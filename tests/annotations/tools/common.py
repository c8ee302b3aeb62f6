"""Shared helpers: where the decoded frames live.

Frames are decoded once with extract_frames.sh into $PB_FRAMES/<clip>/f%05d.png (frame 0 = f00001.png),
default /tmp/fr. Nothing here touches the repository's sample clips."""
import os
FRAMES = os.environ.get('PB_FRAMES', '/tmp/fr')
def frame_path(clip, f):
    return f'{FRAMES}/{clip}/f{f+1:05d}.png'
