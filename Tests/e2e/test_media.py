"""Real video files through ffprobe/ffmpeg: probing, thumbnails and faststart remuxing."""
import json
import os
import shutil
import struct
import subprocess
import time

import pytest

from helpers import processed, request

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


def upload(hub, path, want=()):
    with open(path, "rb") as f:
        data = f.read()
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + os.path.basename(path).encode()
            + b"\"\r\n\r\n" + data + b"\r\n--b--\r\n")
    status, _, response = hub.request("/api/v1/videos", "POST", {"Content-Type": "multipart/form-data; boundary=b"}, body)
    assert status == 201, response
    return processed(hub, json.loads(response)["id"], want=want), data


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


def test_an_upload_answers_before_processing_and_the_queue_survives_a_restart(binary, tmp_path):
    """With no worker on this instance (MEDIA_WORKERS=0) the video waits in the queue: it exists
    at once, streams, and says so; killed and started again with a worker, the hub processes it."""
    from helpers import api, create_upload, finish_upload
    from hubbench import Hub
    path = tmp_path / "queued.mp4"
    make_mp4(path, faststart=False, seconds=2)
    data = path.read_bytes()
    (tmp_path / "hub").mkdir()
    hub = Hub(binary, str(tmp_path / "hub"), extra_env={"LOG_LEVEL": "info", "MEDIA_WORKERS": "0"})
    hub.start()
    try:
        hub.sign_up_admin()
        video = finish_upload(hub, create_upload(hub, len(data), {"filename": "queued.mp4"}), 0, data, wait=False)
        status, body = api(hub, f"/api/v1/videos/{video}")
        assert status == 200 and body["status"] == "processing" and body["progress"] == 0 and "thumbnailUrl" not in body
        assert hub.request(body["streamUrl"])[2] == data, "a processing video streams its bytes as stored"
        status, _, page = hub.request("/")
        assert b"Processing 0%" in page, "the library shows the state"
        status, _, page = hub.request(f"/videos/{video}")
        assert b'data-status="processing"' in page and b"Processing 0%" in page
        status, body = api(hub, f"/api/v1/videos/{video}/retry", "POST")
        assert status == 409 and body["error"]["code"] == "not_failed"

        hub.process.kill()
        hub.process.wait()
        hub.process = None
        hub.env["MEDIA_WORKERS"] = "1"
        hub.start()
        ready = processed(hub, video)
        assert ready["status"] == "ready" and "progress" not in ready and ready["videoCodec"] == "h264"
        stored = hub.request(ready["streamUrl"])[2]
        assert top_level_boxes(stored).index("moov") < top_level_boxes(stored).index("mdat"), "faststart ran in the job"
        import hashlib
        assert ready["sha256"] == hashlib.sha256(stored).hexdigest() and ready["sizeBytes"] == len(stored)
        assert hub.request(ready["thumbnailUrl"])[0] == 200
        with open(hub.log_path, errors="replace") as log:
            assert log.read().count("video ready") == 1, "the job ran once"
    finally:
        hub.stop()


def test_a_sound_only_upload_fails_with_its_reason_and_only_its_owner_or_an_admin_retries_it(hub, tmp_path):
    from helpers import api, create_upload, finish_upload, head_offset
    path = tmp_path / "sound.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac", str(path)], check=True)
    data = path.read_bytes()
    location = create_upload(hub, len(data), {"filename": "sound.mp4"})
    video = finish_upload(hub, location, 0, data, wait=False)
    failed = processed(hub, video)
    assert failed["status"] == "failed" and "sound only" in failed["failure"], failed
    _, _, headers = head_offset(hub, location)
    assert headers["Stream-Hub-Video-Id"] == video and headers["Stream-Hub-Video-Status"] == "failed", "HEAD says what became of it"
    status, _, page = hub.request(f"/videos/{video}")
    assert b"Processing failed" in page and b"sound only" in page and b'id="retry"' in page

    hub.add_user("bob", "bob-password")
    bob = hub.create_token("bob")
    status, body = api(hub, f"/api/v1/videos/{video}/retry", "POST", token=bob)
    assert status == 404 and body["error"]["code"] == "not_found", "a private video is not even found by others"
    assert api(hub, f"/api/v1/videos/{video}")[1]["status"] == "failed"

    status, body = api(hub, f"/api/v1/videos/{video}/retry", "POST")
    assert status == 200 and body["status"] == "processing"
    again = processed(hub, video)
    assert again["status"] == "failed" and "sound only" in again["failure"], "the same file fails the same way"
    listing = hub.cli("videos", "list", "--server", hub.url, "--token", hub.token).stdout
    assert f"{video}\tfailed" in listing
    shown = hub.cli("videos", "show", video, "--server", hub.url, "--token", hub.token).stdout
    assert "failed: the file holds sound only" in shown
    retried = hub.cli("videos", "retry", video, "--server", hub.url, "--token", hub.token).stdout
    assert f"{video}\tprocessing" in retried
    out = hub.cli("upload", str(path), "--wait", "--server", hub.url, "--token", hub.token, check=False,
                  env={"XDG_STATE_HOME": str(tmp_path / "state")})
    assert out.returncode != 0 and "processing failed: the file holds sound only" in out.stderr, out.stderr


# Sources browsers cannot play as they are, and one they can: (file name, ffmpeg output options,
# whether a playable rendition is expected, how its streams are made).
SOURCES = [
    ("phone.mov", ["-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1", "-x265-params", "log-level=error", "-c:a", "aac"],
     "hevc"),
    ("screen.mkv", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"], "h264"),
    ("archive.avi", ["-c:v", "mpeg2video", "-q:v", "4", "-c:a", "mp2"], "mpeg2video"),
    ("web.webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"], "vp9"),
]


def make_source(path, options, seconds=3):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=320x180:rate=24",
                    "-f", "lavfi", "-i", f"sine=duration={seconds}", *options, "-shortest", str(path)], check=True)


def upload_sources(hub, tmp_path):
    """Each source uploaded and processed: {file name: (video JSON, original bytes)}."""
    uploaded = {}
    for name, options, _ in SOURCES:
        make_source(tmp_path / name, options)
        uploaded[name] = upload(hub, tmp_path / name)
    return uploaded


def test_sources_browsers_cannot_play_get_a_playable_rendition_and_keep_their_original(hub, tmp_path):
    for name, (video, original) in upload_sources(hub, tmp_path).items():
        codec = next(codec for source, _, codec in SOURCES if source == name)
        assert video["status"] == "ready" and video["videoCodec"] == codec, (name, video)
        assert hub.request(video["streamUrl"])[2] == original, f"{name}: the original stays downloadable as it came"
        if name == "web.webm":
            assert video["renditions"] == [] and video["playbackUrl"] == video["streamUrl"], "VP9/Opus in WebM plays as it is"
            continue
        (rendition,) = video["renditions"]
        assert rendition["name"] == "playable" and rendition["contentType"] == "video/mp4" and rendition["videoCodec"] == "h264"
        assert rendition["audioCodec"] == "aac" and video["playbackUrl"] == rendition["url"], name
        status, headers, head = hub.request(rendition["url"], headers={"Range": "bytes=0-99"})
        assert status == 206 and headers["Content-Range"] == f"bytes 0-99/{rendition['sizeBytes']}" and head[4:8] == b"ftyp"
        status, headers, whole = hub.request(rendition["url"])
        assert status == 200 and len(whole) == rendition["sizeBytes"] and headers["Content-Type"] == "video/mp4"
        assert hub.request(rendition["url"], headers={"If-None-Match": headers["ETag"]})[0] == 304
        assert top_level_boxes(whole).index("moov") < top_level_boxes(whole).index("mdat"), "it starts playing at once"
        probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", "-"], input=whole,
                                          capture_output=True, check=True).stdout)
        assert [s["codec_name"] for s in probe["streams"]] == ["h264", "aac"], (name, probe)
        if name == "screen.mkv":
            assert abs(rendition["sizeBytes"] - len(original)) < len(original) * 0.2, "H.264 in MKV is copied, not encoded again"
        status, _, page = hub.request(f"/videos/{video['id']}")
        assert f'src="{rendition["url"]}"'.encode() in page and b'id="download-original"' in page
    missing = hub.request(f"/api/v1/videos/{video['id']}/renditions/720p")
    assert missing[0] == 404 and json.loads(missing[2])["error"]["code"] == "not_found"


def test_deleting_a_video_removes_its_rendition(hub, tmp_path):
    make_source(tmp_path / "screen.mkv", SOURCES[1][1])
    video, _ = upload(hub, tmp_path / "screen.mkv")
    objects = os.path.join(hub.workdir, "uploads", "objects")
    stored = lambda: [f for _, _, files in os.walk(objects) for f in files if f == "playable.mp4"]  # noqa: E731
    assert len(stored()) == 1
    assert hub.request(f"/api/v1/videos/{video['id']}", "DELETE")[0] == 204
    assert stored() == []


def test_a_conversion_killed_midway_leaves_no_scratch_and_runs_again_within_a_bounded_scratch(binary, tmp_path):
    """TRANSCODE_SCRATCH_BYTES smaller than one job's estimate: the jobs run one at a time, all
    finish. The hub killed while ffmpeg converts: at the next start its scratch is gone and the
    job runs again."""
    from helpers import create_upload, eventually, finish_upload
    from hubbench import Hub
    source = tmp_path / "long.avi"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=20:size=1280x720:rate=30",
                    "-c:v", "mpeg2video", "-q:v", "6", str(source)], check=True)
    data = source.read_bytes()
    (tmp_path / "hub").mkdir()
    env = {"LOG_LEVEL": "info", "MEDIA_WORKERS": "3", "TRANSCODE_SCRATCH_BYTES": "1048576", "TRANSCODE_RESOLUTIONS": "none"}
    hub = Hub(binary, str(tmp_path / "hub"), extra_env=env)
    hub.start()
    scratch = tmp_path / "hub" / "uploads" / ".processing"
    try:
        hub.sign_up_admin()
        video = finish_upload(hub, create_upload(hub, len(data), {"filename": "long.avi"}), 0, data, wait=False)
        eventually(lambda: list(scratch.glob("*/playable.mp4")), timeout=60, message="the conversion never started")
        hub.process.kill()
        hub.process.wait()
        hub.process = None
        assert list(scratch.glob("*/*")), "the killed job left its files"
        hub.start()
        small = tmp_path / "small.mkv"
        make_source(small, SOURCES[1][1])
        small_data = small.read_bytes()
        others = [finish_upload(hub, create_upload(hub, len(small_data), {"filename": f"s{i}.mkv"}), 0, small_data, wait=False)
                  for i in range(2)]
        import threading
        most, done = [0], threading.Event()

        def watch():
            while not done.is_set():
                most[0] = max(most[0], len(list(scratch.iterdir())))
                time.sleep(0.01)
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            for each in [video] + others:
                ready = processed(hub, each, timeout=240, want=("previewsUrl",))
                assert ready["status"] == "ready" and ready["renditions"][0]["name"] == "playable"
        finally:
            done.set()
            watcher.join()
        assert most[0] == 1, f"{most[0]} jobs at once in a scratch budget smaller than one job's"
        assert list(scratch.iterdir()) == [], "nothing is left once the jobs are done"
    finally:
        hub.stop()


def test_seek_previews_are_tiled_sheets_described_by_a_webvtt_track(binary, tmp_path):
    from hubbench import Hub
    (tmp_path / "hub").mkdir()
    hub = Hub(binary, str(tmp_path / "hub"), extra_env={"PREVIEW_INTERVAL_SECONDS": "2"})
    hub.start()
    try:
        hub.sign_up_admin()
        path = tmp_path / "clip.mp4"
        make_mp4(path, faststart=True, seconds=6)
        video, _ = upload(hub, path, want=("previewsUrl",))
        status, headers, track = hub.request(video["previewsUrl"])
        assert status == 200 and headers["Content-Type"].startswith("text/vtt")
        lines = track.decode().split("\n")
        assert lines[0] == "WEBVTT"
        cues = [(lines[i], lines[i + 1]) for i in range(len(lines) - 1) if " --> " in lines[i]]
        assert [timing for timing, _ in cues] == ["00:00:00.000 --> 00:00:02.000", "00:00:02.000 --> 00:00:04.000",
                                                 f"00:00:04.000 --> 00:00:0{video['durationSeconds']:.3f}"[:29]]
        sheet = f"/api/v1/videos/{video['id']}/previews/1"
        assert [target for _, target in cues] == [f"{sheet}#xywh={x},0,160,90" for x in (0, 160, 320)]
        status, headers, jpeg = hub.request(sheet)
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and jpeg[:2] == b"\xff\xd8"
        size = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", "-"], input=jpeg,
                                         capture_output=True, check=True).stdout)["streams"][0]
        assert (size["width"], size["height"]) == (480, 90), "three frames side by side"
        for missing in ["2", "0", "abc", "99999999999999999999"]:
            status, _, body = hub.request(f"/api/v1/videos/{video['id']}/previews/{missing}")
            assert status == 404 and json.loads(body)["error"]["code"] == "not_found", missing
        assert hub.request(f"/api/v1/videos/{video['id']}", "DELETE")[0] == 204
        objects = os.path.join(hub.workdir, "uploads", "objects")
        assert not [f for _, _, files in os.walk(objects) for f in files], "the sheets went with the video"
    finally:
        hub.stop()


def hls_playlist(hub, url):
    """(lines of the playlist at url, its Content-Type)."""
    status, headers, body = hub.request(url)
    assert status == 200, (url, status, body)
    return body.decode().splitlines(), headers["Content-Type"]


def byte_ranges(lines):
    """The media playlist's initialization range and its segments as (duration, length, offset)."""
    init = next(line for line in lines if line.startswith("#EXT-X-MAP:"))
    uri = init.split('URI="')[1].split('"')[0]
    length, offset = init.split('BYTERANGE="')[1].rstrip('"').split("@")
    segments = []
    for i, line in enumerate(lines):
        if line.startswith("#EXTINF:"):
            size, at = lines[i + 1].split(":")[1].split("@")
            assert lines[i + 2] == uri, "every segment is a range of the one rendition"
            segments.append((float(line[8:].rstrip(",")), int(size), int(at)))
    return uri, (int(length), int(offset)), segments


def test_a_ladder_of_fragmented_renditions_is_served_as_hls_by_byte_range(hub, tmp_path):
    import posixpath
    path = tmp_path / "talk.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=duration=5:size=1280x720:rate=30",
                    "-f", "lavfi", "-i", "sine=duration=5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-movflags", "+faststart", str(path)], check=True)
    video, original = upload(hub, path, want=("hlsUrl",))
    assert video["playbackUrl"] == video["streamUrl"], "an H.264 MP4 plays as it came; the ladder is for slow links"
    ladder = {r["name"]: r for r in video["renditions"]}
    assert sorted(ladder) == ["360p", "720p"], "the configured sizes up to the source's, never above"
    assert (ladder["360p"]["width"], ladder["360p"]["height"]) == (640, 360)
    assert (ladder["720p"]["width"], ladder["720p"]["height"]) == (1280, 720)
    for rung in ladder.values():
        assert rung["codecs"].startswith("avc1.") and rung["codecs"].endswith(",mp4a.40.2"), rung
        assert 0 < rung["averageBitRate"] <= rung["peakBitRate"], rung
    assert ladder["360p"]["peakBitRate"] < ladder["720p"]["peakBitRate"]

    master, content_type = hls_playlist(hub, video["hlsUrl"])
    assert content_type == "application/vnd.apple.mpegurl" and master[0] == "#EXTM3U"
    variants = [(master[i], master[i + 1]) for i, line in enumerate(master) if line.startswith("#EXT-X-STREAM-INF:")]
    assert [uri for _, uri in variants] == ["360p.m3u8", "720p.m3u8"], "lowest first"
    assert "RESOLUTION=640x360" in variants[0][0] and f'CODECS="{ladder["360p"]["codecs"]}"' in variants[0][0]

    timings = {}
    for name, rung in ladder.items():
        media_url = posixpath.join(posixpath.dirname(video["hlsUrl"]), f"{name}.m3u8")
        assert media_url == rung["playlistUrl"]
        lines, _ = hls_playlist(hub, media_url)
        assert lines[-1] == "#EXT-X-ENDLIST"
        uri, (init_length, init_offset), segments = byte_ranges(lines)
        rendition_url = posixpath.normpath(posixpath.join(posixpath.dirname(media_url), uri))
        assert rendition_url == rung["url"]
        status, _, init = hub.request(rendition_url, headers={"Range": f"bytes={init_offset}-{init_offset + init_length - 1}"})
        assert status == 206 and init[4:8] == b"ftyp" and b"moov" in init
        whole = init
        for _, length, offset in segments:
            status, headers, part = hub.request(rendition_url, headers={"Range": f"bytes={offset}-{offset + length - 1}"})
            assert status == 206 and len(part) == length and part[4:8] in (b"sidx", b"moof"), (name, offset)
            whole += part
        assert len(whole) == rung["sizeBytes"], "the ranges cover the rendition"
        probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", "-"],
                                          input=whole, capture_output=True, check=True).stdout)
        assert [s["codec_name"] for s in probe["streams"]] == ["h264", "aac"]
        assert abs(sum(duration for duration, _, _ in segments) - 5) < 0.2
        timings[name] = [round(duration, 2) for duration, _, _ in segments]
    assert timings["360p"] == timings["720p"] and len(timings["360p"]) >= 3, "segments line up, so a player switches at any"

    for missing in ["1080p.m3u8", "playable.m3u8", "720p", "master", "..%2Fmaster.m3u8"]:
        status, _, body = hub.request(f"/api/v1/videos/{video['id']}/hls/{missing}")
        assert status == 404 and json.loads(body)["error"]["code"] == "not_found", missing
    objects = os.path.join(hub.workdir, "uploads", "objects")
    assert hub.request(f"/api/v1/videos/{video['id']}", "DELETE")[0] == 204
    assert not [f for _, _, files in os.walk(objects) for f in files], "the ladder went with the video"


def test_a_video_below_two_rungs_has_no_ladder(hub, tmp_path):
    path = tmp_path / "small.mp4"
    make_mp4(path, faststart=True, seconds=2)
    video, _ = upload(hub, path, want=("previewsUrl",))
    assert "hlsUrl" not in video and video["renditions"] == []
    status, _, body = hub.request(f"/api/v1/videos/{video['id']}/hls/master.m3u8")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


def test_without_ffmpeg_on_path_uploads_still_work_and_the_page_says_what_browsers_may_not_play(binary, tmp_path):
    """ffmpeg is optional at run time: with none on PATH, uploads become ready as they came (no
    probe, thumbnail, rendition, previews or ladder), captions and their search work, and a file
    browsers likely cannot play says so on its page."""
    from hubbench import Hub
    mp4 = tmp_path / "tail-index.mp4"
    make_mp4(mp4, faststart=False)
    mov = tmp_path / "phone.mov"
    make_source(mov, SOURCES[0][1])
    (tmp_path / "no-tools").mkdir()
    (tmp_path / "hub").mkdir()
    hub = Hub(binary, str(tmp_path / "hub"), extra_env={"PATH": str(tmp_path / "no-tools")})
    hub.start()
    try:
        hub.sign_up_admin()
        video, original = upload(hub, mp4)
        assert video["status"] == "ready" and video["renditions"] == [] and video["playbackUrl"] == video["streamUrl"]
        for derived in ["thumbnailUrl", "previewsUrl", "hlsUrl", "durationSeconds", "videoCodec"]:
            assert derived not in video, derived
        assert hub.request(video["streamUrl"])[2] == original, "stored as it came: no faststart without ffmpeg"
        _, _, page = hub.request(f"/videos/{video['id']}")
        assert b'id="playback-warning"' not in page, "an MP4 is likely playable"
        phone, _ = upload(hub, mov)
        assert phone["status"] == "ready" and phone["renditions"] == []
        _, _, page = hub.request(f"/videos/{phone['id']}")
        assert b'id="playback-warning"' in page and b"ffmpeg was not there to convert it" in page
        vtt = b"WEBVTT\n\n00:00.500 --> 00:02.000\nno tools were harmed\n"
        assert hub.request(f"/api/v1/videos/{phone['id']}/captions/en", "PUT", {"Content-Type": "text/vtt"}, vtt)[0] == 201
        _, _, body = hub.request("/api/v1/videos?q=harmed")
        assert [v["id"] for v in json.loads(body)["items"]] == [phone["id"]]
        scratch = tmp_path / "hub" / "uploads" / ".processing"
        assert not scratch.exists() or list(scratch.iterdir()) == [], "no job left anything behind"
    finally:
        hub.stop()
