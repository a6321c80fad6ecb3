#!/usr/bin/env python3
"""Media pipeline figures of issue 17, side by side in one run (release builds):

  * the last tus PATCH's response time for a real 100 MiB H.264 upload: this hub, whose final
    PATCH answers once the bytes are stored, against a baseline build from before the processing
    queue (`--baseline-ref`), whose final PATCH waited for the probe, the thumbnail and faststart;
  * time from the upload's last byte to `ready` (probe and thumbnail in the queue; no re-encode):
    this hub against the baseline, for which it is the same as its last PATCH;
  * the 100 MiB upload's throughput against `dd conv=fdatasync` of the same bytes (target ≥ 0.7x).

  * transcode speed, in multiples of real time, of the hub's job making the browser-playable
    rendition of a 60 s 1080p MPEG-2/MP2 AVI (both streams encoded, H.264/AAC), against the same
    ffmpeg command run by hand on the same file (target ≥ 0.95x: the hub adds no overhead); the
    job's figure is the conversion step it logs, and its whole time to ready is shown beside.

The sources are made once with ffmpeg and kept under .build-bench/.

  python3 scripts/bench/media.py [--rounds 5] [--baseline-ref da0ae44]
"""
import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubbench import ROOT, Hub, build_baseline, build_release, print_rows  # noqa: E402
from streaming import dd_write  # noqa: E402


def make_source(seconds=40):
    """A real H.264/AAC MP4 of about 100 MiB with its index at the end, made once."""
    directory = os.path.join(ROOT, ".build-bench")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "media-100mib.mp4")
    if not os.path.exists(path):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=duration={seconds}:size=1920x1080:rate=30",
                        "-f", "lavfi", "-i", f"sine=duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                        "-b:v", "20M", "-maxrate", "20M", "-bufsize", "40M", "-c:a", "aac", path], check=True)
    return path


def make_transcode_source(seconds=60):
    """A 60 s 1080p MPEG-2 video with MP2 audio in AVI, which browsers cannot play, made once."""
    path = os.path.join(ROOT, ".build-bench", "transcode-1080p.avi")
    if not os.path.exists(path):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=duration={seconds}:size=1920x1080:rate=30",
                        "-f", "lavfi", "-i", f"sine=duration={seconds}", "-c:v", "mpeg2video", "-q:v", "5", "-c:a", "mp2", path],
                       check=True)
    return path


# The hub's conversion command (FFmpegMediaProcessor.makePlayable with both streams encoded).
def hand_transcode(source, output):
    started = time.perf_counter()
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", source, "-map", "0:v:0", "-map", "0:a:0", "-c:v", "libx264",
                    "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2",
                    "-c:a", "aac", "-b:a", "160k", "-ac", "2", "-movflags", "+faststart", "-f", "mp4", output], check=True)
    return time.perf_counter() - started


def hub_transcode(binary, source, workdir):
    """(seconds of the job's conversion step, seconds from the last byte to ready)."""
    hub = Hub(binary, workdir, extra_env={"LOG_LEVEL": "info"})
    hub.start()
    hub.sign_up_admin()
    try:
        _, _, video, answered = upload(hub, source)
        ready = ready_after(hub, video, answered, every=0.5)  # rarely, so asking does not slow the job
        with open(hub.log_path, errors="replace") as log:
            line = next(line for line in log if "made a playable rendition" in line and video in line)
        return float(re.search(r"seconds=([\d.]+)", line).group(1)), ready
    finally:
        hub.stop()


def upload(hub, path):
    """One tus upload in two PATCHes (all but the last MiB, then the last MiB), so the last one
    is timed alone; returns (seconds for the whole upload, seconds of the last PATCH, id, the
    moment the last PATCH's response arrived)."""
    size = os.path.getsize(path)
    auth = {"Authorization": f"Bearer {hub.token}", "Tus-Resumable": "1.0.0"}
    target = urlparse(hub.url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=600)
    started = time.perf_counter()
    connection.request("POST", "/api/v1/uploads", headers={**auth, "Upload-Length": str(size),
                                                           "Upload-Metadata": "filename bWVkaWEubXA0"})
    response = connection.getresponse()
    response.read()
    location = response.headers["Location"]
    split = size - (1 << 20)
    last_patch = 0.0
    video = None
    with open(path, "rb") as f:
        for offset, count in [(0, split), (split, size - split)]:
            body = f.read(count)
            began = time.perf_counter()
            connection.request("PATCH", location, body=body, headers={
                **auth, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
            response = connection.getresponse()
            response.read()
            assert response.status == 204, response.status
            last_patch = time.perf_counter() - began
            video = response.headers.get("Stream-Hub-Video-Id")
    answered = time.perf_counter()
    connection.close()
    return answered - started, last_patch, video, answered


def ready_after(hub, video, answered, every=0.005):
    """Seconds from the last PATCH's answer until the video is ready, asked every 5 ms (a
    baseline hub has no status: it was ready when it answered)."""
    while True:
        status, _, body = hub.request(f"/api/v1/videos/{video}")
        state = json.loads(body).get("status", "ready")
        if state == "ready":
            return time.perf_counter() - answered
        assert state == "processing", body
        time.sleep(every)


def settled(hub, video, timeout=120):
    """Waits for the jobs that follow `ready` (seek previews) so they do not run into the next
    round; a baseline hub has none."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = json.loads(hub.request(f"/api/v1/videos/{video}")[2])
        if "status" not in body or body.get("previewsUrl"):
            return
        time.sleep(0.2)


def measure(binary, path, rounds, workdir):
    # No ladder: its encoding would run into the next round (the transcode figures cover it).
    hub = Hub(binary, workdir, extra_env={"LOG_LEVEL": "warning", "TRANSCODE_RESOLUTIONS": "none"})
    hub.start()
    hub.sign_up_admin()
    totals, lasts, readies = [], [], []
    try:
        for _ in range(rounds):
            total, last, video, answered = upload(hub, path)
            ready = ready_after(hub, video, answered)
            totals.append(total)
            lasts.append(last)
            readies.append(last + ready)
            settled(hub, video)
            hub.request(f"/api/v1/videos/{video}", "DELETE")
    finally:
        hub.stop()
    return statistics.median(totals), statistics.median(lasts), statistics.median(readies)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--transcode-rounds", type=int, default=3)
    parser.add_argument("--baseline-ref", default="da0ae44", help="a commit from before the processing queue")
    args = parser.parse_args()
    path = make_source()
    size = os.path.getsize(path)
    mib = size / (1 << 20)
    binary = build_release()
    baseline = build_baseline(args.baseline_ref)
    transcode_source = make_transcode_source()
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build-bench")) as workdir:
        os.makedirs(os.path.join(workdir, "hub"))
        os.makedirs(os.path.join(workdir, "baseline"))
        total, last, ready = measure(binary, path, args.rounds, os.path.join(workdir, "hub"))
        old_total, old_last, old_ready = measure(baseline, path, args.rounds, os.path.join(workdir, "baseline"))
        dd_seconds = statistics.median(dd_write(path, os.path.join(workdir, f"dd{i}.out")) for i in range(args.rounds))
        # Alternating, so the machine's load drifts over both alike.
        hands, jobs, readies = [], [], []
        for round_number in range(args.transcode_rounds):
            hands.append(hand_transcode(transcode_source, os.path.join(workdir, "hand.mp4")))
            os.makedirs(os.path.join(workdir, f"transcode{round_number}"))
            job, to_ready = hub_transcode(binary, transcode_source, os.path.join(workdir, f"transcode{round_number}"))
            jobs.append(job)
            readies.append(to_ready)
        hand, job, to_ready = statistics.median(hands), statistics.median(jobs), statistics.median(readies)
    print(f"{mib:.0f} MiB H.264 1080p source, index at the end; medians of {args.rounds} rounds")
    print_rows([
        ("last PATCH response (1 MiB)", f"{last * 1000:.0f} ms", f"{old_last * 1000:.0f} ms ({args.baseline_ref})", f"{old_last / last:.1f}x faster"),
        ("last byte to ready", f"{ready * 1000:.0f} ms", f"{old_ready * 1000:.0f} ms ({args.baseline_ref})", f"{ready / old_ready:.2f}x"),
        ("upload throughput", f"{mib / total:.0f} MiB/s", f"dd fdatasync {mib / dd_seconds:.0f} MiB/s", f"{dd_seconds / total:.2f}x"),
        ("upload throughput (baseline)", f"{mib / old_total:.0f} MiB/s ({args.baseline_ref})", f"dd fdatasync {mib / dd_seconds:.0f} MiB/s",
         f"{dd_seconds / old_total:.2f}x"),
        ("transcode 60 s 1080p MPEG-2 → H.264", f"{60 / job:.2f}x real time ({job:.1f} s)", f"ffmpeg by hand {60 / hand:.2f}x ({hand:.1f} s)",
         f"{hand / job:.2f}x"),
        ("transcode: last byte to ready", f"{to_ready:.1f} s (probe, thumbnail, rendition)", "", ""),
    ])


if __name__ == "__main__":
    main()
