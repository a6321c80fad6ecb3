#!/usr/bin/env python3
"""Streaming, upload and start-up figures of the hub, side by side with their references.

  python3 scripts/bench/streaming.py [--size-mib 1024] [--seconds 10] [--upload-sizes-mib 100,1024,2048]

- Range streaming: 64 connections asking random 1 MiB ranges of a stored 1 GiB video, against
  nginx (sendfile on) serving the same stored file from the same disk.
- Whole-file streaming: 4 connections reading the whole file, against the same nginx.
- tus upload over loopback (one PATCH per 8 MiB chunk, as the hub's own client and page send)
  against `dd ... conv=fdatasync` of the same bytes, with the hub's peak RSS.
- Cold start: process start to /readyz answering 200.
Timings go to stdout only; nothing here is a pass/fail test.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubbench import Hub, build_release, print_rows  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def make_video(path, size):
    """An MP4 signature followed by random bytes (the hub sniffs, it does not decode)."""
    header = bytes([0, 0, 0, 0x18]) + b"ftypisom" + bytes([0, 0, 2, 0]) + b"isomiso2"
    with open(path, "wb") as f:
        f.write(header)
        remaining = size - len(header)
        block = os.urandom(8 << 20)
        while remaining > 0:
            n = min(remaining, len(block))
            f.write(block[:n])
            remaining -= n


def tus_upload(url, path, chunk=8 << 20, headers=None):
    size = os.path.getsize(path)
    auth = headers or {}
    req = urllib.request.Request(url + "/api/v1/uploads", method="POST", headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": str(size), **auth})
    with urllib.request.urlopen(req) as r:
        location = url + r.headers["Location"]
    offset, video_id = 0, None
    with open(path, "rb") as f:
        while offset < size:
            data = f.read(chunk)
            req = urllib.request.Request(location, data=data, method="PATCH", headers={
                "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream", **auth})
            with urllib.request.urlopen(req) as r:
                offset = int(r.headers["Upload-Offset"])
                video_id = r.headers.get("Stream-Hub-Video-Id")
    return video_id


def dd_write(source, target):
    started = time.monotonic()
    subprocess.run(["dd", f"if={source}", f"of={target}", "bs=8M", "conv=fdatasync"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def wrk(url, connections, seconds, size, script=None, timeout="60s", headers=None):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", timeout, "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    out = subprocess.run(command + [url], env=dict(os.environ, FILE_SIZE=str(size)), check=True,
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    scale = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[transfer.group(2)]
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    return rps, float(transfer.group(1)) * scale, f"{p99.group(1)}{p99.group(2)}" if p99 else "?"


def start_nginx(workdir, file_path, port):
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes auto;
daemon off;
user root;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush off;
  client_body_temp_path {workdir}/nginx-body;
  proxy_temp_path {workdir}/nginx-proxy;
  fastcgi_temp_path {workdir}/nginx-fastcgi;
  uwsgi_temp_path {workdir}/nginx-uwsgi;
  scgi_temp_path {workdir}/nginx-scgi;
  server {{
    listen 127.0.0.1:{port};
    location = /video {{ alias {file_path}; default_type video/mp4; }}
    location = /player {{ default_type text/html; return 200 '<video id="v" preload="metadata" controls src="/video"></video>'; }}
  }}
}}
""")
    process = subprocess.Popen(["nginx", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/video", timeout=1).close()
            return process
        except OSError:
            time.sleep(0.02)
    process.kill()
    with open(os.path.join(workdir, "nginx-error.log")) as log:
        raise RuntimeError("nginx did not start: " + log.read()[-500:])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--upload-sizes-mib", default="100,1024,2048")
    args = parser.parse_args()
    size = args.size_mib << 20

    binary = build_release()
    workdir = tempfile.mkdtemp(prefix="streamhub-bench-")
    rows = []
    try:
        # Cold start, median of 5.
        starts = []
        for _ in range(5):
            hub = Hub(binary, workdir)
            starts.append(hub.start())
            hub.stop()
        rows.append(("cold start to /readyz", f"{sorted(starts)[2] * 1000:.0f} ms", "target < 1000 ms", ""))

        # Uploads: the hub against dd with fdatasync, with peak RSS per size.
        for upload_mib in [int(s) for s in args.upload_sizes_mib.split(",") if s]:
            source = os.path.join(workdir, f"source-{upload_mib}.mp4")
            make_video(source, upload_mib << 20)
            dd_seconds = dd_write(source, os.path.join(workdir, "dd.out"))
            os.remove(os.path.join(workdir, "dd.out"))
            hub = Hub(binary, os.path.join(workdir, f"up-{upload_mib}"))
            os.makedirs(hub.workdir)
            hub.start()
            hub.sign_up_admin()
            started = time.monotonic()
            tus_upload(hub.url, source, headers=hub.auth)
            seconds = time.monotonic() - started
            rss = hub.peak_rss_bytes()
            hub.stop()
            shutil.rmtree(hub.workdir)
            os.remove(source)
            mib = upload_mib
            rows.append((f"tus upload {mib} MiB", f"{mib / seconds:.0f} MiB/s",
                         f"dd fdatasync {mib / dd_seconds:.0f} MiB/s",
                         f"{dd_seconds / seconds:.2f}x disk (target 0.7x); peak RSS {rss / 1048576:.0f} MiB (target < 100)"))

        # Streaming: one stored video served by the hub and by nginx from the same file.
        source = os.path.join(workdir, "stream.mp4")
        make_video(source, size)
        hub = Hub(binary, os.path.join(workdir, "stream"))
        os.makedirs(hub.workdir)
        hub.start()
        hub.sign_up_admin()
        video_id = tus_upload(hub.url, source, headers=hub.auth)
        os.remove(source)
        # The local store shards objects: uploads/objects/<xx>/videos/<id>/source.
        stored = next(os.path.join(d, "source") for d, _, files in os.walk(os.path.join(hub.workdir, "uploads", "objects"))
                      if "source" in files and d.endswith(os.path.join("videos", video_id)))
        nginx_port = hub.port + 1 if hub.port < 65000 else hub.port - 1
        nginx = start_nginx(workdir, stored, nginx_port)
        hub_url = f"{hub.url}/api/v1/videos/{video_id}/stream"
        nginx_url = f"http://127.0.0.1:{nginx_port}/video"
        # Warm the page cache so both read from memory, as a busy server would.
        subprocess.run(["cat", stored], stdout=subprocess.DEVNULL, check=True)
        script = os.path.join(HERE, "range.lua")
        for label, connections, lua, timeout in [("64 conns, random 1 MiB ranges", 64, script, "30s"),
                                                 ("4 conns, whole file", 4, None, "60s")]:
            n_rps, n_bytes, n_p99 = wrk(nginx_url, connections, args.seconds, size, lua, timeout)
            h_rps, h_bytes, h_p99 = wrk(hub_url, connections, args.seconds, size, lua, timeout, headers=hub.auth)
            rows.append((f"stream {label}", f"{h_bytes / 1048576:.0f} MiB/s ({h_rps:.0f} req/s, p99 {h_p99})",
                         f"nginx {n_bytes / 1048576:.0f} MiB/s ({n_rps:.0f} req/s, p99 {n_p99})",
                         f"{h_bytes / n_bytes:.2f}x nginx (target 0.9x); hub peak RSS {hub.peak_rss_bytes() / 1048576:.0f} MiB"))
        nginx.terminate()
        nginx.wait()
        hub.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print_rows(rows)


if __name__ == "__main__":
    main()
