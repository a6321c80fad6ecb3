#!/usr/bin/env python3
"""Seek latency of a browser <video> in a 1 GiB video served by the hub, against nginx serving
the same stored file.

  python3 scripts/bench/browser_seek.py [--size-mib 1024] [--seeks 20]

The video is real H.264: a 10 s high-bitrate clip looped with stream copy (`-stream_loop`, no
re-encode) until it reaches the size, with its index at the front. Headless Chromium opens a page
with the <video>, then for each of N random positions sets currentTime and waits for `seeked` and
readyState >= HAVE_FUTURE_DATA; the time from the assignment to that point is the seek latency.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubbench import Hub, build_release  # noqa: E402
from streaming import start_nginx, tus_upload  # noqa: E402

def make_big_video(workdir, size_mib):
    clip = os.path.join(workdir, "clip.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=duration=10:size=1280x720:rate=30",
                    "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "40M", "-maxrate", "40M", "-bufsize", "20M",
                    "-pix_fmt", "yuv420p", clip], check=True)
    loops = max(1, (size_mib << 20) // os.path.getsize(clip))
    big = os.path.join(workdir, "big.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops), "-i", clip, "-c", "copy",
                    "-movflags", "+faststart", big], check=True)
    os.remove(clip)
    return big


def headless_chromium():
    """A headless Chromium through its driver, allowed to autoplay."""
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required"]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def open_player(driver, hub, video_id, password="admin-password"):
    """Signs in to `hub` as its admin and opens the video's player page, its <video> renamed `v`
    for `seek_latencies`."""
    from selenium.webdriver.common.by import By
    driver.get(f"{hub.url}/login")
    driver.find_element(By.NAME, "name").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#sign-in-form button").click()
    for _ in range(100):
        if driver.find_elements(By.ID, "sign-out"):
            break
        time.sleep(0.1)
    driver.get(f"{hub.url}/videos/{video_id}")
    driver.execute_script("document.getElementById('player').id = 'v'")


def seek_latencies(driver, seeks):
    """Random seeks on the page's <video id=v>; sorted milliseconds from assignment to playable."""
    driver.set_script_timeout(60)
    duration = driver.execute_async_script("""
        const done = arguments[0]; const v = document.getElementById('v');
        if (v.readyState >= 1) done(v.duration); else v.addEventListener('loadedmetadata', () => done(v.duration));""")
    rng = random.Random(42)  # the same positions for both servers
    latencies = []
    for _ in range(seeks):
        latencies.append(driver.execute_async_script("""
            const [target, done] = arguments; const v = document.getElementById('v');
            const start = performance.now();
            const check = () => { if (!v.seeking && v.readyState >= 3) done(performance.now() - start); else setTimeout(check, 1); };
            v.addEventListener('seeked', check, { once: true });
            v.currentTime = target;""", rng.uniform(0, duration - 1)))
    return duration, sorted(latencies)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--seeks", type=int, default=20)
    args = parser.parse_args()
    binary = build_release()
    workdir = tempfile.mkdtemp(prefix="streamhub-seek-")
    try:
        big = make_big_video(workdir, args.size_mib)
        size = os.path.getsize(big)
        hub = Hub(binary, os.path.join(workdir, "hub"))
        os.makedirs(hub.workdir)
        hub.start()
        hub.sign_up_admin(password="admin-password")
        video_id = tus_upload(hub.url, big, headers=hub.auth)
        stored = next(os.path.join(d, "source") for d, _, files in os.walk(os.path.join(hub.workdir, "uploads"))
                      if "source" in files)
        nginx_port = hub.port + 1
        nginx = start_nginx(workdir, stored, nginx_port)
        driver = headless_chromium()
        results = {}
        try:
            # The hub's own player page, signed in; then a bare page of nginx's with a <video>
            # reading the same file (the hub's Content-Security-Policy keeps its page's media on
            # the hub's own origin).
            open_player(driver, hub, video_id)
            results["hub"] = seek_latencies(driver, args.seeks)
            driver.get(f"http://127.0.0.1:{nginx_port}/player")
            results["nginx"] = seek_latencies(driver, args.seeks)
        finally:
            driver.quit()
            nginx.terminate()
            nginx.wait()
            hub.stop()
        print(f"video: {size / 1048576:.0f} MiB, {results['hub'][0]:.0f} s of H.264; {args.seeks} random seeks each")
        print(f"{'server':<8} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
        for name, (_, lat) in results.items():
            print(f"{name:<8} {lat[len(lat) // 2]:>8.1f} {lat[int(len(lat) * 0.9)]:>8.1f} {lat[-1]:>8.1f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
