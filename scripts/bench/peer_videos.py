#!/usr/bin/env python3
"""Issue 16's figures for videos across the peer network, real hub processes on loopback, each
side by side with its reference in one run (release build):

- time to first byte of a range at a random offset of a peer's video on a cold hub, against the
  same range on the origin hub (target: within 3x, and under 300 ms);
- the bytes hubs exchanged for those random seeks, against the video's size;
- fetching a whole video from 1, 2 and 3 holders (the replica keeper's fetch): throughput and the
  fetching hub's peak RSS (target: 3 holders faster than 1; RSS under 150 MiB), beside what one
  core here does to verify and keep blocks (every hub shares this machine's cores); then again with
  each holder capping what it sends (P2P_SEND_BYTES_PER_SECOND, --cap-mib), as on real uplinks;
- browser seek latency in headless Chromium, the same positions on a peer's video and on the
  origin's own (skipped without chromium-driver).

  python3 scripts/bench/peer_videos.py [--size-mib 1024] [--seeks 20] [--no-browser] [--cap-mib 64]

The video is real H.264 (as browser_seek.py makes it), so the browser figure plays it. Every hub
keeps P2P_VIDEO_REPLICAS=4 for the whole-fetch figure (each hub that joins is a holder), and 1 for
the cold hubs of the range and browser figures (their only holder is the origin, and nothing
fetches the whole video behind the ranges' back).
"""
import argparse
import http.client
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_seek import headless_chromium, make_big_video, open_player, seek_latencies  # noqa: E402
from hubbench import Hub, build_release, free_port  # noqa: E402
from streaming import tus_upload  # noqa: E402

SECRET = "benchmark-cluster-secret-0123456789"


class Cluster:
    def __init__(self, binary, root):
        self.binary, self.root, self.hubs = binary, root, []

    def hub(self, name, seeds=(), replicas=1, **env):
        p2p_port = free_port()
        hub = Hub(self.binary, os.path.join(self.root, name), extra_env={
            "P2P_ENABLED": "true", "P2P_PORT": str(p2p_port), "P2P_NODE_NAME": name, "P2P_SECRET": SECRET, "P2P_MDNS": "false",
            "P2P_PEERS": ",".join(f"127.0.0.1:{seed.p2p_port}" for seed in seeds), "P2P_GOSSIP_INTERVAL_MS": "100",
            "P2P_ANTI_ENTROPY_INTERVAL_MS": "500", "P2P_VIDEO_REPLICAS": str(replicas), **env})
        hub.p2p_port, hub.name = p2p_port, name
        os.makedirs(hub.workdir)
        hub.start()
        hub.sign_up_admin(password="admin-password")
        self.hubs.append(hub)
        return hub

    def stop(self):
        for hub in self.hubs:
            if hub.process:
                hub.stop()


def get_json(hub, path):
    import json
    status, _, raw = hub.request(path)
    return json.loads(raw) if status == 200 else None


def wait(predicate, timeout=600, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit("timed out")


def metric(hub, name):
    text = hub.request("/metrics")[2].decode()
    return float(next(line.split()[1] for line in text.splitlines() if line.startswith(name + " ")))


def first_byte_ms(hub, video, offset, length=256 << 10):
    """Milliseconds from sending a range request to its first body byte; then reads `length`
    bytes and hangs up, as a player does after a seek."""
    connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=60)
    started = time.perf_counter()
    connection.request("GET", f"/api/v1/videos/{video}/stream", headers={**hub.auth, "Range": f"bytes={offset}-"})
    response = connection.getresponse()
    response.read(1)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status == 206, response.status
    response.read(length)
    connection.close()
    return elapsed


def keeping_ceiling(root, blocks=256):
    """MiB/s at which one thread verifies (SHA-256) and keeps (write, fsync, rename) 1 MiB blocks
    here: the work a fetching hub does for every block it keeps, whoever sends it."""
    import hashlib
    directory = os.path.join(root, "ceiling")
    os.makedirs(directory)
    data = [os.urandom(1 << 20) for _ in range(8)]
    started = time.perf_counter()
    for index in range(blocks):
        block = data[index % len(data)]
        name = hashlib.sha256(block).hexdigest()
        temporary = os.path.join(directory, f"{index}.tmp")
        with open(temporary, "wb") as f:
            f.write(block)
            f.flush()
            os.fsync(f.fileno())
        os.rename(temporary, os.path.join(directory, f"{index}-{name}"))
    seconds = time.perf_counter() - started
    shutil.rmtree(directory)
    return blocks / seconds


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--seeks", type=int, default=20)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--cap-mib", type=int, default=64, help="the send cap of the holders in the capped whole fetch")
    args = parser.parse_args()

    binary = build_release()
    root = tempfile.mkdtemp(prefix="streamhub-peer-videos-")
    cluster = Cluster(binary, root)
    try:
        big = make_big_video(root, args.size_mib)
        size = os.path.getsize(big)
        origin = cluster.hub("origin", replicas=4)
        video = tus_upload(origin.url, big, headers=origin.auth)
        status, _, _ = origin.request(f"/api/v1/videos/{video}", "PATCH", {"Content-Type": "application/json"}, b'{"shared": true}')
        assert status == 200, status
        print(f"video: {size / 1048576:.0f} MiB of H.264 on hub 'origin'; {args.seeks} random offsets")

        # Ranges on a cold hub whose only holder is the origin, against the origin itself.
        cold = cluster.hub("cold", seeds=[origin], replicas=1)
        wait(lambda: get_json(cold, f"/api/v1/videos/{video}"))
        rng = random.Random(16)
        offsets = [rng.randrange(0, size - (1 << 20)) for _ in range(args.seeks)]
        peer_ms = [first_byte_ms(cold, video, offset) for offset in offsets]
        local_ms = [first_byte_ms(origin, video, offset) for offset in offsets]
        moved = metric(cold, "streamhub_peer_block_bytes_fetched_total")
        print()
        print(f"{'time to first byte':<28} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
        for name, values in [("peer's video, cold hub", peer_ms), ("same ranges on the origin", local_ms)]:
            print(f"{name:<28} {statistics.median(values):>8.1f} {percentile(values, 0.9):>8.1f} {max(values):>8.1f}")
        print(f"ratio (p50): {statistics.median(peer_ms) / statistics.median(local_ms):.2f}x (target within 3x, under 300 ms)")
        print(f"bytes fetched between hubs for {args.seeks} seeks: {moved / 1048576:.1f} MiB of {size / 1048576:.0f} MiB "
              f"({100 * moved / size:.2f}%; each seek read 256 KiB, plus the block and read-ahead around it)")
        cold.stop()

        # The whole video from 1, 2 and 3 holders: each new hub is a holder (four copies), so
        # its replica keeper fetches every block, from the origin and the helpers already whole.
        print()
        rows = whole_fetch(cluster, origin, size, "uncapped")
        print(f"3 holders against 1: {rows[2] / rows[0]:.2f}x the throughput (target: faster); RSS target under 150 MiB")
        ceiling = keeping_ceiling(root)
        print(f"reference: one core of this machine hashing and durably writing 1 MiB blocks (what the fetching hub does "
              f"with each): {ceiling:.0f} MiB/s; every hub here shares {os.cpu_count()} cores")

        if not args.no_browser and shutil.which("chromedriver"):
            browser_figures(cluster, origin, video, args.seeks)

        # The same with every holder sending at most --cap-mib MiB/s, as a hub on a modest uplink
        # would (P2P_SEND_BYTES_PER_SECOND): the fetch is bounded by the holders, not this machine.
        # The uncapped origin goes first, or it would keep the new video whole too and serve it.
        origin.stop()
        cap = str(args.cap_mib << 20)
        capped = cluster.hub("capped-origin", replicas=4, P2P_SEND_BYTES_PER_SECOND=cap)
        capped_video = tus_upload(capped.url, big, headers=capped.auth)
        status, _, _ = capped.request(f"/api/v1/videos/{capped_video}", "PATCH", {"Content-Type": "application/json"}, b'{"shared": true}')
        assert status == 200, status
        print()
        rows = whole_fetch(cluster, capped, size, f"holders capped at {args.cap_mib} MiB/s", P2P_SEND_BYTES_PER_SECOND=cap)
        print(f"3 holders against 1, each capped: {rows[2] / rows[0]:.2f}x the throughput (target: faster)")
        os.remove(big)

    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def whole_fetch(cluster, origin, size, label, **env):
    """Fetches the origin's one shared video whole on a new hub with 1, 2 and 3 holders (the
    origin, then helpers that keep it whole too); prints a row for each; returns the MiB/s."""
    print(f"{'whole fetch, ' + label:<44} {'seconds':>8} {'MiB/s':>8} {'peak RSS MiB':>13}")
    rates, helpers = [], []
    for holders in (1, 2, 3):
        while len(helpers) < holders - 1:
            helper = cluster.hub(f"{origin.name}-helper-{len(helpers) + 1}", seeds=[origin], replicas=4, **env)
            wait(lambda: (get_json(helper, "/readyz") or {}).get("replicas", {}).get("videos") == 1)
            helpers.append(helper)
        fetcher = cluster.hub(f"{origin.name}-fetcher-{holders}", seeds=[origin], replicas=4)
        fetcher.reset_peak_rss()
        wait(lambda: metric(fetcher, "streamhub_peer_block_bytes_fetched_total") > 0, interval=0.005)
        started = time.perf_counter()
        wait(lambda: (get_json(fetcher, "/readyz") or {}).get("replicas", {}).get("videos") == 1, interval=0.02)
        seconds = time.perf_counter() - started
        rss = fetcher.peak_rss_bytes() / 1048576
        rates.append(size / 1048576 / seconds)
        print(f"{holders} holder{'s' if holders > 1 else ' '}{'':<35} {seconds:>8.2f} {rates[-1]:>8.1f} {rss:>13.1f}")
        fetcher.stop()
    for helper in helpers:
        helper.stop()
    return rates


def browser_figures(cluster, origin, video, seeks):
    """The same random seeks in headless Chromium on the origin's player page and on a cold
    hub's, whose only holder is the origin."""
    viewer = cluster.hub("viewer", seeds=[origin], replicas=1)
    wait(lambda: get_json(viewer, f"/api/v1/videos/{video}"))
    driver = headless_chromium()
    results = {}
    try:
        for name, hub in [("origin's own", origin), ("peer's, cold hub", viewer)]:
            open_player(driver, hub, video)
            results[name] = seek_latencies(driver, seeks)[1]
    finally:
        driver.quit()
        viewer.stop()
    print()
    print(f"{'browser seek':<20} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
    for name, latencies in results.items():
        print(f"{name:<20} {latencies[len(latencies) // 2]:>8.1f} {latencies[int(len(latencies) * 0.9)]:>8.1f} {latencies[-1]:>8.1f}")


if __name__ == "__main__":
    main()
