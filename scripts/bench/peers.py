#!/usr/bin/env python3
"""The peer network's figures (issue 6), with real hub processes on loopback, side by side with a
naive broadcast in one run:

- for 4, 8, 16 and 32 hubs: how long an edit takes to be on every hub (p50, p99; as gossip
  rounds against log2 N) and how many gossip messages it costs, with the hub's gossip
  (fanout 3, each hub passing a change on once) against a naive broadcast in which every hub
  passes every change on to every peer (fanout N-1: flooding);
- how long a fresh hub takes to catch up on 10,000 shared notes (several fresh hubs in turn,
  against one source: this machine's disk makes single runs noisy).

Propagation times come from the hubs themselves: each records, per merged change, the time
from the change's stamp (the editing hub's clock; all hubs share this machine's) to its merge
(`metrics.lagSeconds` in `GET /api/v1/peers`). Messages are the `batchesSent` counters summed
over the hubs.

Usage: python3 scripts/bench/peers.py [--sizes 4 8 16 32] [--edits 20] [--catch-up 10000] [--catch-up-runs 5]
"""
import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubbench import Hub, build_release, free_port, run_clients  # noqa: E402

SECRET = "benchmark-cluster-secret-0123456789"
GOSSIP_MS = 200


def call(hub, path, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    status, _, raw = hub.request(path, method, {"Content-Type": "application/json"} if data else {}, data)
    return status, (json.loads(raw) if raw else None)


def start_cluster(binary, root, count, fanout, anti_entropy_ms=2000):
    hubs = []
    for index in range(count):
        workdir = os.path.join(root, f"hub{index}")
        os.makedirs(workdir)
        p2p_port = free_port()
        env = {"P2P_ENABLED": "true", "P2P_PORT": str(p2p_port), "P2P_NODE_NAME": f"hub{index}", "P2P_SECRET": SECRET,
               "P2P_MDNS": "false", "P2P_FANOUT": str(fanout), "P2P_GOSSIP_INTERVAL_MS": str(GOSSIP_MS),
               "P2P_ANTI_ENTROPY_INTERVAL_MS": str(anti_entropy_ms), "BCRYPT_COST": "4",
               "P2P_PEERS": f"127.0.0.1:{hubs[0].p2p_port}" if hubs else ""}
        hub = Hub(binary, workdir, extra_env=env)
        hub.p2p_port = p2p_port
        hub.sign_up_admin()
        hub.start()
        hubs.append(hub)
    return hubs


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def status_of(hub):
    return call(hub, "/api/v1/peers")[1]


def sent_total(hubs):
    return sum(status_of(hub)["metrics"]["batchesSent"] for hub in hubs)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.ceil(fraction * len(ordered))) - 1)]


def measure(binary, count, fanout, edits, rng_seed=1):
    import random
    rng = random.Random(rng_seed)
    root = tempfile.mkdtemp(prefix=f"peers-{count}-")
    hubs = start_cluster(binary, root, count, fanout)
    try:
        started = time.monotonic()
        ok = wait_until(lambda: all(sum(p["state"] == "alive" for p in status_of(h)["peers"]) >= count - 1 for h in hubs), 120, 0.2)
        membership = time.monotonic() - started
        assert ok, "membership did not converge"
        status, note = call(hubs[0], "/api/v1/notes", "POST", {"title": "Benchmark", "content": "start\n", "shared": True})
        assert status == 201
        assert wait_until(lambda: all(call(h, f"/api/v1/notes/{note['id']}")[0] == 200 for h in hubs), 60), "the note did not spread"
        time.sleep(3 * GOSSIP_MS / 1000)
        times, messages = [], []
        version = 1
        for edit in range(edits):
            origin = rng.randrange(count)
            before = sent_total(hubs)
            status, saved = call(hubs[origin], f"/api/v1/notes/{note['id']}", "PATCH", {"content": f"start\nedit {edit} from hub{origin}\n"})
            assert status == 200, saved
            version = saved["version"]
            assert wait_until(lambda: all(call(h, f"/api/v1/notes/{note['id']}")[1]["version"] >= version for h in hubs), 60, 0.1), \
                "an edit did not reach every hub"
            lags = [status_of(h)["metrics"].get("lagSeconds") or 0 for i, h in enumerate(hubs) if i != origin]
            times.append(max(lags))
            # Let passing-on finish (hubs that already hold the edit stop it) before counting.
            time.sleep(4 * GOSSIP_MS / 1000)
            messages.append(sent_total(hubs) - before)
        return {"membership": membership, "p50": statistics.median(times), "p99": percentile(times, 0.99),
                "messages": statistics.mean(messages)}
    finally:
        for hub in hubs:
            hub.stop()


def catch_up(binary, notes, runs, clients=8):
    root = tempfile.mkdtemp(prefix="peers-catchup-")
    source = start_cluster(binary, root, 1, 3)[0]
    try:
        counter = iter(range(notes))
        lock = threading.Lock()

        def writer(_):
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                body = {"title": f"Note {index}", "content": f"Shared note {index}\n" + "text " * 40, "tags": ["bench"], "shared": True}
                status, _ = call(source, "/api/v1/notes", "POST", body)
                assert status == 201

        run_clients(writer, clients)
        # Let the source settle (a search brings its index up to date; the mirror flushes).
        call(source, "/api/v1/notes?q=shared&limit=1")
        time.sleep(2)
        times = []
        for run in range(runs):
            workdir = os.path.join(root, f"fresh{run}")
            os.makedirs(workdir)
            fresh = Hub(binary, workdir, extra_env={
                "P2P_ENABLED": "true", "P2P_PORT": str(free_port()), "P2P_NODE_NAME": f"fresh{run}", "P2P_SECRET": SECRET,
                "P2P_MDNS": "false", "P2P_PEERS": f"127.0.0.1:{source.p2p_port}", "BCRYPT_COST": "4"})
            fresh.sign_up_admin()
            started = time.monotonic()
            fresh.start()
            ok = wait_until(lambda: call(fresh, "/api/v1/notes?shared=true&limit=1")[1]["total"] >= notes, 300, 0.05)
            times.append(time.monotonic() - started)
            fresh.stop()
            assert ok, "the fresh hub did not catch up"
        return times
    finally:
        source.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[4, 8, 16, 32])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--catch-up", type=int, default=10_000)
    parser.add_argument("--catch-up-runs", type=int, default=5, help="fresh hubs timed against the same source")
    args = parser.parse_args()
    binary = build_release()
    print(f"gossip every {GOSSIP_MS} ms; {args.edits} edits per size, each from a random hub\n")
    header = f"{'hubs':>4}  {'mode':<26} {'p50 ms':>8} {'p99 ms':>8} {'rounds p50':>10} {'log2 N':>6} {'msgs/edit':>9} {'3N':>4} {'membership s':>12}"
    if args.sizes:
        print(header)
    for count in args.sizes:
        for mode, fanout in [("gossip (fanout 3)", 3), ("naive broadcast (N-1)", count - 1)]:
            result = measure(binary, count, fanout, args.edits)
            print(f"{count:>4}  {mode:<26} {result['p50'] * 1000:>8.0f} {result['p99'] * 1000:>8.0f} "
                  f"{result['p50'] * 1000 / GOSSIP_MS:>10.1f} {math.log2(count):>6.1f} {result['messages']:>9.1f} {3 * count:>4} "
                  f"{result['membership']:>12.1f}", flush=True)
    if args.catch_up:
        times = catch_up(binary, args.catch_up, args.catch_up_runs)
        print(f"\ncatch-up: a fresh hub holds all {args.catch_up:,} shared notes {statistics.median(times):.2f} s after it starts "
              f"(median of {len(times)}; {min(times):.2f}-{max(times):.2f} s; target < 5 s)")


if __name__ == "__main__":
    main()
