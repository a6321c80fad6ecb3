#!/usr/bin/env python3
"""What the metrics cost (issue 18): the hub with its metrics against the hub without, side by
side in one run, on the paths they touch most.

  python3 scripts/bench/metrics_overhead.py [--baseline REV] [--seconds 10] [--rounds 3] [--saves 2000]

"Without" is the same hub built from `--baseline`, by default the last commit before the metrics
came in (5443c78), in a worktree under `.build-baseline/` built in release mode (the first run
builds it: about a quarter of an hour). Both hubs run at once on their own
data, and the rounds alternate between them, so the machine's drift falls on both alike; each
figure is the median of its rounds.

- streaming: 64 connections asking random 1 MiB ranges of a stored 256 MiB video (wrk), page
  cache warm, as in streaming.py;
- small requests: `GET /api/v1/videos/{id}` at 64 connections, where a request's fixed costs
  (the middleware's timer among them) weigh most;
- note saves: 8 clients each saving its own note (PATCH with its base version) as fast as the
  hub acknowledges, every save a durable commit.
Timings go to stdout only; nothing here is a pass/fail test.
"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubbench import Hub, build_baseline, build_release, print_rows, run_clients  # noqa: E402
from streaming import make_video, tus_upload, wrk  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BEFORE_METRICS = "5443c78"


def prepare(hub, video_path, clients):
    """An admin, the stored video, and one note per saving client; returns (video id, note ids)."""
    hub.start()
    hub.sign_up_admin()
    video = tus_upload(hub.url, video_path, headers=hub.auth)
    notes = []
    for index in range(clients):
        status, _, body = hub.request("/api/v1/notes", "POST", {"Content-Type": "application/json"},
                                      json.dumps({"title": f"Client {index}", "content": "Saved.\n"}).encode())
        assert status == 201, body
        notes.append(json.loads(body))
    return video, notes


def save_notes(hub, notes, saves):
    """Saves per second: each client saves its own note, based on the version it last saved."""
    per_client = saves // len(notes)

    def work(index):
        connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=60)
        headers = {**hub.auth, "Content-Type": "application/json"}
        note = notes[index]
        for round_ in range(per_client):
            body = json.dumps({"content": f"Save {round_} of client {index}.\n", "baseVersion": note["version"]})
            connection.request("PATCH", f"/api/v1/notes/{note['id']}", body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            if response.status != 200:
                raise RuntimeError(f"save: {response.status} {data[:200]!r}")
            note["version"] = json.loads(data)["version"]
        connection.close()

    return per_client * len(notes) / run_clients(work, len(notes))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=BEFORE_METRICS, help="the commit measured without metrics")
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--saves", type=int, default=2000, help="note saves per round")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    binaries = {"with metrics": build_release(), "without": build_baseline(args.baseline)}
    workdir = tempfile.mkdtemp(prefix="streamhub-metrics-bench-")
    hubs = {}
    try:
        size = 256 << 20
        video_path = os.path.join(workdir, "video.mp4")
        make_video(video_path, size)
        targets = {}
        for name, binary in binaries.items():
            hub = Hub(binary, os.path.join(workdir, name.replace(" ", "-")))
            os.makedirs(hub.workdir)
            hubs[name] = hub
            targets[name] = prepare(hub, video_path, args.clients)
        os.remove(video_path)
        # Warm both hubs' files into the page cache, as on a busy server.
        for hub in hubs.values():
            subprocess.run(["sh", "-c", f"find '{hub.workdir}/uploads/objects' -type f -exec cat {{}} + > /dev/null"], check=True)

        figures = {name: {"ranges": [], "small": [], "saves": []} for name in hubs}
        ranges_script = os.path.join(HERE, "range.lua")
        for _ in range(args.rounds):
            for name, hub in hubs.items():
                video, notes = targets[name]
                _, throughput, _ = wrk(f"{hub.url}/api/v1/videos/{video}/stream", 64, args.seconds, size, ranges_script,
                                       "30s", headers=hub.auth)
                figures[name]["ranges"].append(throughput / 1048576)
                rps, _, _ = wrk(f"{hub.url}/api/v1/videos/{video}", 64, args.seconds, size, None, "30s", headers=hub.auth)
                figures[name]["small"].append(rps)
                figures[name]["saves"].append(save_notes(hub, notes, args.saves))
                time.sleep(1)
    finally:
        for hub in hubs.values():
            hub.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    rows = []
    for key, label, unit in [("ranges", "stream: 64 conns, random 1 MiB ranges", "MiB/s"),
                             ("small", "GET /api/v1/videos/{id}, 64 conns", "req/s"),
                             ("saves", f"note saves, {args.clients} clients", "saves/s")]:
        with_metrics = statistics.median(figures["with metrics"][key])
        without = statistics.median(figures["without"][key])
        spread = " / ".join(f"{v:,.0f}" for v in figures["with metrics"][key])
        base_spread = " / ".join(f"{v:,.0f}" for v in figures["without"][key])
        rows.append((label, f"{with_metrics:,.0f} {unit} ({spread})", f"without {without:,.0f} {unit} ({base_spread})",
                     f"{with_metrics / without:.3f}x (target >= 0.97x)"))
    print(f"baseline: {args.baseline}; medians of {args.rounds} alternating rounds")
    print_rows(rows)


if __name__ == "__main__":
    main()
