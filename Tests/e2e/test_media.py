"""Real video files through ffprobe/ffmpeg: probing, thumbnails and faststart remuxing."""
import json
import os
import shutil
import struct
import subprocess

import pytest

from helpers import request

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def make_mp4(path, faststart, seconds=6):
    args = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=640x360:rate=30",
            "-f", "lavfi", "-i", f"sine=duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]
    if faststart:
        args += ["-movflags", "+faststart"]
    subprocess.run(args + [str(path)], check=True)


def top_level_boxes(data):
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def upload(hub, path):
    with open(path, "rb") as f:
        data = f.read()
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + os.path.basename(path).encode()
            + b"\"\r\n\r\n" + data + b"\r\n--b--\r\n")
    status, _, response = hub.request("/api/v1/videos", "POST", {"Content-Type": "multipart/form-data; boundary=b"}, body)
    assert status == 201, response
    return json.loads(response), data


def test_moov_at_end_is_remuxed_with_faststart_and_probed(hub, tmp_path):
    path = tmp_path / "tail-index.mp4"
    make_mp4(path, faststart=False)
    original = path.read_bytes()
    assert top_level_boxes(original).index("moov") > top_level_boxes(original).index("mdat")
    video, _ = upload(hub, path)
    _, _, stored = hub.request(video["streamUrl"])
    boxes = top_level_boxes(stored)
    assert boxes.index("moov") < boxes.index("mdat"), "the index now comes first"
    assert abs(video["durationSeconds"] - 6.0) < 0.2
    assert (video["width"], video["height"]) == (640, 360)
    assert video["videoCodec"] == "h264" and video["audioCodec"] == "aac"
    import hashlib
    assert video["sha256"] == hashlib.sha256(stored).hexdigest(), "the hash is of the stored (remuxed) bytes"
    status, headers, thumbnail = hub.request(video["thumbnailUrl"])
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and thumbnail[:2] == b"\xff\xd8"


def test_faststart_files_are_stored_unchanged(hub, tmp_path):
    path = tmp_path / "front-index.mp4"
    make_mp4(path, faststart=True)
    video, original = upload(hub, path)
    _, _, stored = hub.request(video["streamUrl"])
    assert stored == original


def test_clips_shorter_than_two_seconds_get_a_thumbnail_from_their_middle(hub, tmp_path):
    path = tmp_path / "short.mp4"
    make_mp4(path, faststart=True, seconds=1)
    video, _ = upload(hub, path)
    assert video["durationSeconds"] < 2
    status, _, thumbnail = hub.request(video["thumbnailUrl"])
    assert status == 200 and thumbnail[:2] == b"\xff\xd8"
