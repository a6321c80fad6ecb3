#!/usr/bin/env python3
"""Time to first frame in headless Chromium on a 1.5 Mbit/s link (issue 17): the adaptive
player on the hub's HLS ladder against a <video> playing the original file, in one run.

  python3 scripts/bench/adaptive.py [--rounds 5] [--seconds 40]

The source is a 1080p H.264/AAC MP4 with noise in every frame (about 8 Mbit/s, as a phone or
camera records), uploaded once to a release hub with the default ladder (360p, 720p, 1080p);
the script waits for the ladder. Each round opens a fresh page on the hub (cache and the
player's remembered throughput cleared), throttles the link with Chromium's network emulation
(1.5 Mbit/s down, 40 ms latency), and times from handing the <video> its source to its first
painted frame (`requestVideoFrameCallback`). The two ways alternate, so the machine's load drifts
over both alike. Also printed: the rung the adaptive player started on and the one it plays
after 20 s, and the ladder job's encoding time beside the video's length.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_seek import headless_chromium, open_player  # noqa: E402
from hubbench import ROOT, Hub, build_release, print_rows  # noqa: E402
from streaming import tus_upload  # noqa: E402

LINK_BITS = 1_500_000


def make_source(seconds):
    path = os.path.join(ROOT, ".build-bench", f"adaptive-1080p-{seconds}s.mp4")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=duration={seconds}:size=1920x1080:rate=30",
                        "-f", "lavfi", "-i", f"sine=duration={seconds}", "-vf", "noise=alls=12:allf=t", "-c:v", "libx264",
                        "-preset", "veryfast", "-b:v", "8M", "-maxrate", "8M", "-bufsize", "16M", "-pix_fmt", "yuv420p",
                        "-c:a", "aac", "-movflags", "+faststart", path], check=True)
    return path


def wait_for_ladder(hub, video, timeout=900):
    import json
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, _, body = hub.request(f"/api/v1/videos/{video}")
        resource = json.loads(body)
        if resource.get("hlsUrl"):
            return resource
        time.sleep(1)
    raise SystemExit("the ladder was not made in time")


# Runs in the page: hands a fresh <video> its source (the adaptive player on the master
# playlist, or the original file) and answers milliseconds to its first painted frame.
FIRST_FRAME = """
const [mode, url, done] = arguments;
sessionStorage.clear();
const v = document.createElement('video');
v.muted = true; v.id = 'bench'; document.body.append(v);
const started = performance.now();
v.requestVideoFrameCallback(() => done(performance.now() - started));
v.addEventListener('error', () => done(-1));
if (mode === 'adaptive') window.hubAdaptive.attach(v, url, null).then(() => v.play());
else { v.src = url; v.play(); }
"""


def first_frame(driver, hub, mode, url):
    """Milliseconds to the first frame on a fresh page that has only the player's script (the
    library, with adaptive.js added), and for the adaptive player its rung then and 20 s later."""
    driver.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.get(f"{hub.url}/")
    driver.set_script_timeout(120)
    driver.execute_async_script("""const done = arguments[0]; const s = document.createElement('script');
        s.src = '/static/adaptive.js'; s.onload = () => done(true); document.head.append(s);""")
    driver.set_network_conditions(offline=False, latency=40, download_throughput=LINK_BITS // 8, upload_throughput=LINK_BITS // 8)
    milliseconds = driver.execute_async_script(FIRST_FRAME, mode, url)
    rungs = None
    if mode == "adaptive":
        first = driver.execute_script("return document.getElementById('bench').dataset.rendition")
        time.sleep(20)
        rungs = (first, driver.execute_script("return document.getElementById('bench').dataset.rendition"))
    driver.execute_script("const v = document.getElementById('bench'); v.pause(); v.removeAttribute('src'); v.load();")
    return milliseconds, rungs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=40)
    args = parser.parse_args()
    source = make_source(args.seconds)
    binary = build_release()
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build-bench")) as workdir:
        hub = Hub(binary, workdir, extra_env={"LOG_LEVEL": "info"})
        hub.start()
        driver = None
        try:
            hub.sign_up_admin()
            video = tus_upload(hub.url, source, headers={"Authorization": f"Bearer {hub.token}"})
            resource = wait_for_ladder(hub, video)
            with open(hub.log_path, errors="replace") as log:
                line = next(line for line in log if "made the adaptive renditions" in line and video in line)
            encode_seconds = float(re.search(r"seconds=([\d.]+)", line).group(1))
            ladder = {r["name"]: r for r in resource["renditions"] if r.get("playlistUrl")}
            driver = headless_chromium()
            open_player(driver, hub, video)
            adaptive, original, rungs = [], [], []
            for _ in range(args.rounds):
                milliseconds, seen = first_frame(driver, hub, "adaptive", resource["hlsUrl"])
                adaptive.append(milliseconds)
                rungs.append(seen)
                original.append(first_frame(driver, hub, "original", resource["streamUrl"])[0])
        finally:
            if driver:
                driver.quit()
            hub.stop()
    source_rate = os.path.getsize(source) * 8 / args.seconds
    print(f"{args.seconds} s 1080p H.264 source at {source_rate / 1e6:.1f} Mbit/s; link {LINK_BITS / 1e6:.1f} Mbit/s, 40 ms; "
          f"medians of {args.rounds} rounds")
    print("ladder: " + ", ".join(f"{name} peak {r['peakBitRate'] / 1e6:.2f} Mbit/s" for name, r in sorted(
        ladder.items(), key=lambda item: item[1]["peakBitRate"])))
    a, o = statistics.median(adaptive), statistics.median(original)
    print_rows([
        ("time to first frame", f"{a:.0f} ms adaptive (starts {rungs[0][0]}, {rungs[0][1]} after 20 s)",
         f"{o:.0f} ms original file", f"{o / a:.1f}x sooner"),
        ("ladder encoding (3 rungs, one pass)", f"{encode_seconds:.1f} s", f"{args.seconds} s of video",
         f"{args.seconds / encode_seconds:.2f}x real time"),
    ])
    print("adaptive ms:", [round(x) for x in adaptive], "original ms:", [round(x) for x in original])
    print("rungs (first, after 20 s):", rungs)


if __name__ == "__main__":
    main()
