#!/usr/bin/env python3
"""Storage figures of issue 4, side by side in one run, on one S3-protocol server (moto):

  * put and get of a 1 GiB object and random 1 MiB ranged gets through the hub's S3 backend,
    against boto3's transfer manager (upload_file / download_fileobj, its defaults: 8 MiB parts,
    10 threads) and boto3 get_object(Range=...);
  * the hub's peak RSS during the put (target under 150 MiB);
  * a repeated-range workload through the disk cache in front of S3: hit ratio, and hit latency
    against the local backend (target within 1.2x).

  python3 scripts/bench/storage.py [--size-mib 1024] [--ranges 200] [--reads 2000]
Needs moto[server] and boto3 (scripts/setup.sh --test) and builds storage-bench in release mode.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubbench import ROOT, build_release, print_rows  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import moto_s3  # noqa: E402

KEY, SECRET, BUCKET = "bench", "bench-secret", "bench"


def boto3_side(endpoint, path, ranges):
    """Runs in its own process, so its peak RSS is its own. Prints JSON lines like storage-bench."""
    import random
    import boto3
    from boto3.s3.transfer import TransferConfig
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY,
                      aws_secret_access_key=SECRET)
    config = TransferConfig()
    key = f"bench/boto3-{time.time_ns()}"
    size = os.path.getsize(path)
    started = time.perf_counter()
    s3.upload_file(path, BUCKET, key, Config=config)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"op": "put", "seconds": time.perf_counter() - started, "bytes": size, "peakRSSBytes": peak}))

    class Sink:
        received = 0

        def write(self, data):
            Sink.received += len(data)
            return len(data)
    started = time.perf_counter()
    s3.download_fileobj(BUCKET, key, Sink(), Config=config)
    print(json.dumps({"op": "get", "seconds": time.perf_counter() - started, "bytes": Sink.received}))

    latencies = []
    generator = random.Random(42)
    for _ in range(ranges):
        start = generator.randrange(size - (1 << 20))
        began = time.perf_counter()
        s3.get_object(Bucket=BUCKET, Key=key, Range=f"bytes={start}-{start + (1 << 20) - 1}")["Body"].read()
        latencies.append((time.perf_counter() - began) * 1000)
    latencies.sort()
    print(json.dumps({"op": "range", "p50ms": latencies[len(latencies) // 2],
                      "p95ms": latencies[int(len(latencies) * 0.95)], "count": ranges}))
    s3.delete_object(Bucket=BUCKET, Key=key)


def median_of(rounds):
    """Each op's entry from the round with the median time (or median p50 for ranges)."""
    merged = {}
    for op in rounds[0]:
        ordered = sorted(rounds, key=lambda r: r[op].get("seconds", r[op].get("p50ms", 0)))
        merged[op] = ordered[len(ordered) // 2][op]
    merged["put"] = dict(merged["put"], peakRSSBytes=max(r["put"]["peakRSSBytes"] for r in rounds))
    return merged


def lines(output):
    return {entry["op"]: entry for entry in map(json.loads, output.strip().splitlines())}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--ranges", type=int, default=50)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of hub and boto3, in alternating order; the median of each is shown")
    parser.add_argument("--boto3-side", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.boto3_side:
        endpoint, path, ranges = args.boto3_side
        boto3_side(endpoint, path, int(ranges))
        return

    bench = build_release("storage-bench")
    with moto_s3.running(bucket=BUCKET) as endpoint:
        with tempfile.TemporaryDirectory(dir=ROOT) as work:
            path = os.path.join(work, "object.bin")
            with open(path, "wb") as f:
                for _ in range(args.size_mib):
                    f.write(os.urandom(1 << 20))
            credentials = [endpoint, BUCKET, KEY, SECRET]
            hub_rounds, ref_rounds = [], []
            for round in range(args.rounds):
                # moto is a Python server whose speed drifts; alternating who goes first keeps
                # that drift from always favouring one side.
                sides = [("hub", [bench, "s3", *credentials, path, str(args.ranges)]),
                         ("ref", [sys.executable, __file__, "--boto3-side", endpoint, path, str(args.ranges)])]
                for side, command in sides if round % 2 == 0 else reversed(sides):
                    result = lines(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
                    (hub_rounds if side == "hub" else ref_rounds).append(result)
            hub, ref = median_of(hub_rounds), median_of(ref_rounds)
            cache = lines(subprocess.run([bench, "cache", *credentials, work, str(args.reads)], check=True,
                                         capture_output=True, text=True).stdout)["cache"]

    mib = 1 << 20

    def throughput(entry):
        return entry["bytes"] / mib / entry["seconds"]
    rows = [
        (f"put {args.size_mib} MiB (MiB/s, median of {args.rounds})", f"{throughput(hub['put']):.0f} ({hub['put']['seconds']:.1f} s)",
         f"boto3 upload_file {throughput(ref['put']):.0f} ({ref['put']['seconds']:.1f} s)",
         f"{throughput(hub['put']) / throughput(ref['put']):.2f}x"),
        ("peak RSS during put (MiB, max of rounds)", f"{hub['put']['peakRSSBytes'] / mib:.0f} (target < 150)",
         f"boto3 process {ref['put']['peakRSSBytes'] / mib:.0f}", ""),
        (f"get {args.size_mib} MiB (MiB/s)", f"{throughput(hub['get']):.0f} (one streamed GET)",
         f"boto3 download_fileobj {throughput(ref['get']):.0f}", f"{throughput(hub['get']) / throughput(ref['get']):.2f}x"),
        (f"1 MiB ranged get p50/p95 (ms, n={args.ranges})", f"{hub['range']['p50ms']:.1f} / {hub['range']['p95ms']:.1f}",
         f"boto3 get_object {ref['range']['p50ms']:.1f} / {ref['range']['p95ms']:.1f}",
         f"{ref['range']['p50ms'] / hub['range']['p50ms']:.2f}x faster"),
        (f"cache: hit ratio ({args.reads} reads of 64 ranges)", f"{cache['hitRatio']:.4f} ({cache['misses']} misses)", "", ""),
        ("cache: 256 KiB read p50/p95 (ms)", f"hit {cache['hitP50ms']:.3f} / {cache['hitP95ms']:.3f}",
         f"local backend {cache['localP50ms']:.3f} / {cache['localP95ms']:.3f}",
         f"{cache['hitP50ms'] / cache['localP50ms']:.2f}x (target <= 1.2)"),
        ("cache: first pass p50 (ms, its misses included)", f"{cache['coldP50ms']:.3f}", "", ""),
    ]
    print_rows(rows)


if __name__ == "__main__":
    main()
