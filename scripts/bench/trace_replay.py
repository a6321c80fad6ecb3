#!/usr/bin/env python3
"""The notes' text CRDT against Loro on real editing traces, in one run.

  python3 scripts/bench/trace_replay.py [TRACE.json.gz ...]

Builds `trace-replay` (release), runs it on every trace (default: all of
../shared/data/editing-traces), and replays the sequential ones through Loro's Python binding
(`pip install loro`) the same way: each patch as a delete then an insert on a LoroText, timed
without the JSON parsing. Prints the hub's time, Loro's, and whether each final text matched.
"""
import glob
import gzip
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubbench import ROOT, build_release, print_rows  # noqa: E402

TRACES = os.path.join(os.path.dirname(ROOT), "shared", "data", "editing-traces")


def loro_replay(path):
    """(ms, ok) for a sequential trace through Loro, or None for a concurrent one."""
    import loro
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        trace = json.load(f)
    if "numAgents" in trace:
        return None
    doc = loro.LoroDoc()
    text = doc.get_text("text")
    started = time.perf_counter()
    if trace.get("startContent"):
        text.insert(0, trace["startContent"])
    for txn in trace["txns"]:
        for position, deleted, inserted in txn["patches"]:
            if deleted:
                text.delete(position, deleted)
            if inserted:
                text.insert(position, inserted)
    ms = (time.perf_counter() - started) * 1000
    return ms, text.to_string() == trace["endContent"]


def main():
    paths = sys.argv[1:] or sorted(glob.glob(os.path.join(TRACES, "*", "*.json.gz")))
    replay = build_release("trace-replay")
    out = subprocess.run([replay, *paths], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.strip().splitlines():
        hub = json.loads(line)
        name = os.path.relpath(hub["trace"], TRACES)
        loro = loro_replay(hub["trace"])
        hub_cell = f"{hub['ms']:.1f} ms {'ok' if hub['ok'] else 'WRONG TEXT'}, peak RSS {hub['peakRSSBytes'] >> 20} MiB"
        if loro is None:
            rows.append((name, hub_cell, "(concurrent: Loro not run)", ""))
        else:
            rows.append((name, hub_cell, f"Loro {loro[0]:.1f} ms {'ok' if loro[1] else 'WRONG TEXT'}",
                         f"{loro[0] / hub['ms']:.2f}x" if hub["ms"] else ""))
    print_rows(rows)
    print("ratio: Loro's time over the hub's (above 1: the hub is faster)")
    if not all(json.loads(line)["ok"] for line in out.strip().splitlines()):
        sys.exit(1)


if __name__ == "__main__":
    main()
