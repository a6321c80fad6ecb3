#!/usr/bin/env python3
"""Issue 15's figures: hubs on PostgreSQL, each beside its reference, in one run.

- note search p50/p95 over N notes on a PostgreSQL hub (through the API), against the same query
  run directly in psql (`\\timing`, one session), and against a SQLite hub over the same notes;
- note saves per second with 8 clients: PostgreSQL against SQLite, and through 3 instances
  against 1 (one database);
- a tus upload through nginx (deploy/nginx.conf) whose PATCHes nginx spreads over 3 instances,
  against the same nginx in front of one instance; each instance's peak RSS during the upload:
  on a shared UPLOAD_DIR, and on S3 (moto), where the bytes in progress are multipart parts and
  the instances share no disk;
- range streaming through nginx in front of 3 instances and of 1, against nginx serving the
  stored file itself.

It starts its own PostgreSQL (scripts/postgres_server.py) and S3 server (moto), and needs nginx
and wrk.
Usage: python3 scripts/bench/postgres.py [--notes 100000] [--upload-mib 1024] [--seconds 10]
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE)))
import moto_s3  # noqa: E402
import notes  # noqa: E402
from hubbench import Hub, build_release, free_port, print_rows, run_clients  # noqa: E402
from nginx_front import NginxFront  # noqa: E402
from postgres_server import running  # noqa: E402
from streaming import make_video, start_nginx, tus_upload, wrk  # noqa: E402


def search_times(hub, token, queries):
    client = notes.Client(hub, token)
    for query in queries[:20]:  # warm caches the same way on both databases
        client.call("GET", f"/api/v1/notes?q={quote(query)}&limit=20")
    times = []
    for query in queries:
        started = time.perf_counter()
        client.call("GET", f"/api/v1/notes?q={quote(query)}&limit=20")
        times.append(time.perf_counter() - started)
    return times


def prefix_query(text):
    """SearchText.prefixQuery: letters and digits only, each word a prefix, all required."""
    return " & ".join(word.lower() + ":*" for word in re.findall(r"[^\W_]+", text)[:32])


def direct_sql(query, owner):
    """The statement PostgresNoteRepository.list runs for a member's search, with its values inline."""
    words = prefix_query(query).replace("'", "''")
    search = f"to_tsquery('hub_search', '{words}')"
    start, end = "\ue000", "\ue001"
    return f"""
WITH newest AS (
    SELECT note.seq FROM note WHERE note.deleted_at IS NULL AND (note.owner_id = '{owner}' OR note.shared) AND note.search @@ {search}
    ORDER BY note.seq DESC LIMIT 1000),
matches AS (
    SELECT note.seq, note.updated_at, ts_rank('{{0.1, 0.1, 0.4, 1.0}}', note.search, {search}, 1) AS rank
    FROM newest JOIN note ON note.seq = newest.seq),
page AS (
    SELECT seq, rank, (SELECT COUNT(*) FROM matches) AS total FROM matches
    ORDER BY rank DESC, updated_at DESC, seq DESC LIMIT 20 OFFSET 0)
SELECT note.id, note.title, left(note.content, 280), note.tags, note.owner_id, note.author, note.last_editor, note.shared,
    note.video_id, note.version, note.created_at, note.updated_at, note.deleted_at, note.home_node, page.total,
    ts_headline('hub_search', note.title, {search}, 'StartSel={start}, StopSel={end}, HighlightAll=true'),
    ts_headline('hub_search', left(note.content, 262144), {search},
        'StartSel={start}, StopSel={end}, MaxWords=24, MinWords=12, MaxFragments=1, FragmentDelimiter=…')
FROM page JOIN note ON note.seq = page.seq ORDER BY page.rank DESC, note.updated_at DESC, note.seq DESC;
"""


def psql_times(url, queries, owner, workdir):
    script = os.path.join(workdir, "queries.sql")
    with open(script, "w") as f:
        f.write("\\timing on\n")
        for query in queries[:20] + queries:
            f.write(direct_sql(query, owner))
    out = subprocess.run(["psql", url, "-qAt", "-f", script], capture_output=True, text=True, check=True).stdout
    times = [float(m) / 1000 for m in re.findall(r"^Time: ([\d.]+) ms", out, re.MULTILINE)]
    return times[20:]


def saves_per_second(hubs, token, count, clients):
    """Notes created with `clients` threads, client i on hubs[i % len(hubs)]."""
    per_client = count // clients

    def work(index):
        rng = random.Random(100 + index)
        client = notes.Client(hubs[index % len(hubs)], token)
        for _ in range(per_client):
            client.call("POST", "/api/v1/notes", {"title": notes.text(rng, notes.WORDS, 4), "content": notes.text(rng, notes.WORDS, 60)})

    return per_client * clients / run_clients(work, clients)


def upload_row(label, hubs, workdir, video, mib, storage):
    """A tus upload of `video` through nginx whose PATCHes go to the three `hubs` in turn, then
    through nginx in front of the first alone; the table row with each instance's peak RSS."""
    fronts, seconds = {}, {}
    for hub in hubs:
        hub.reset_peak_rss()
    for count, ports in [("3", [hub.port for hub in hubs]), ("1", [hubs[0].port] * 3)]:
        os.makedirs(os.path.join(workdir, f"nginx-{storage}-{count}"))
        fronts[count] = NginxFront(os.path.join(workdir, f"nginx-{storage}-{count}"), ports).start()
    video_id = None
    try:
        for count in ["3", "1"]:
            started = time.perf_counter()
            video_id = tus_upload(f"http://127.0.0.1:{fronts[count].port}", video, headers=hubs[0].auth)
            seconds[count] = time.perf_counter() - started
    finally:
        for front in fronts.values():
            front.stop()
    rss = ", ".join(f"{hub.peak_rss_bytes() / 1048576:.0f}" for hub in hubs)
    return video_id, (f"tus upload of {mib} MiB through nginx, {label}", f"3 instances {mib / seconds['3']:.0f} MiB/s",
                      f"1 instance {mib / seconds['1']:.0f} MiB/s",
                      f"{seconds['1'] / seconds['3']:.2f}x; peak RSS per instance {rss} MiB (target < 150)")


def s3_upload_row(binary, server, workdir, video, mib):
    """The upload to three instances on S3 (moto), each with its own UPLOAD_DIR."""
    with moto_s3.running() as url:
        access_key, secret_key = moto_s3.configure(url, "videos")
        env = {"DATABASE_URL": server.create_database(), "STORAGE_BACKEND": "s3", "AWS_S3_BUCKET": "videos", "AWS_S3_ENDPOINT": url,
               "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key,
               "HUB_SECRET_KEY": "one key for every instance of this benchmark run", "MAX_UPLOAD_BYTES": str(64 << 30)}
        hubs = []
        for index in range(3):
            directory = os.path.join(workdir, f"s3-instance{index}")
            os.makedirs(directory)
            hubs.append(Hub(binary, directory, extra_env={**env, "UPLOAD_DIR": os.path.join(directory, "uploads")}))
        try:
            for hub in hubs:
                hub.start()
            token = hubs[0].sign_up_admin()
            for hub in hubs:
                hub.token = token
            return upload_row("S3 (moto), parts in the bucket", hubs, workdir, video, mib, "s3")[1]
        finally:
            for hub in hubs:
                hub.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--searches", type=int, default=400)
    parser.add_argument("--saves", type=int, default=4_000)
    parser.add_argument("--upload-mib", type=int, default=1024)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(42)
    notes.WORDS = notes.vocabulary(rng)
    queries = [notes.WORDS[min(int(rng.paretovariate(1.1)) - 1, 200)][:4] for _ in range(args.searches // 2)]
    queries += [" ".join(rng.sample(notes.WORDS, 2))[: rng.randint(5, 12)] for _ in range(args.searches // 2)]
    binary = build_release()
    workdir = tempfile.mkdtemp(prefix="postgres-bench-")
    rows = []
    with running() as server:
        # Search and saves: a PostgreSQL hub and a SQLite hub, given the same notes.
        figures = {}
        for name in ["postgres", "sqlite"]:
            os.makedirs(os.path.join(workdir, name))
            env = {"DATABASE_URL": server.create_database()} if name == "postgres" else {}
            hub = Hub(binary, os.path.join(workdir, name), extra_env=env)
            hub.start()
            try:
                admin = hub.sign_up_admin()
                hub.add_user("member", "member-password")
                member = hub.create_token("member")
                member_id = json.loads(hub.request("/api/v1/me", token=member)[2])["id"]
                notes.seed(hub, [member, admin], args.notes, args.clients, 1)
                figures[name] = {"search": search_times(hub, member, queries), "saves": saves_per_second([hub], admin, args.saves, args.clients)}
                if name == "postgres":
                    figures[name]["psql"] = psql_times(env["DATABASE_URL"], queries, member_id, workdir)
            finally:
                hub.stop()
        pg, lite = figures["postgres"], figures["sqlite"]
        ratio = notes.percentile(pg["search"], 95) / notes.percentile(pg["psql"], 95)
        rows.append((f"note search, {args.notes:,} notes, {len(queries)} queries", "PostgreSQL hub " + notes.fmt(pg["search"]),
                     "psql " + notes.fmt(pg["psql"]), f"p95 {ratio:.2f}x psql (target < 3x, p95 < 15 ms)"))
        rows.append(("", "", "SQLite hub " + notes.fmt(lite["search"]),
                     f"p95 {notes.percentile(pg['search'], 95) / notes.percentile(lite['search'], 95):.2f}x SQLite"))
        rows.append((f"note saves, {args.clients} clients", f"PostgreSQL {pg['saves']:,.0f}/s", f"SQLite {lite['saves']:,.0f}/s",
                     f"{pg['saves'] / lite['saves']:.2f}x"))

        # Three instances on one database, against one.
        url = server.create_database()
        shared = {"DATABASE_URL": url, "UPLOAD_DIR": os.path.join(workdir, "shared-uploads"),
                  "HUB_SECRET_KEY": "one key for every instance of this benchmark run", "MAX_UPLOAD_BYTES": str(64 << 30)}
        hubs = []
        for index in range(3):
            os.makedirs(os.path.join(workdir, f"instance{index}"))
            hubs.append(Hub(binary, os.path.join(workdir, f"instance{index}"), extra_env=shared))
        for hub in hubs:
            hub.start()
        try:
            token = hubs[0].sign_up_admin()
            for hub in hubs:
                hub.token = token
            three = saves_per_second(hubs, token, args.saves, args.clients)
            one = saves_per_second(hubs[:1], token, args.saves, args.clients)
            rss = ", ".join(f"{hub.rss_bytes() / 1048576:.0f}" for hub in hubs)
            rows.append((f"note saves through 3 instances, {args.clients} clients", f"{three:,.0f}/s", f"1 instance {one:,.0f}/s",
                         f"{three / one:.2f}x; RSS per instance after them {rss} MiB"))

            video = os.path.join(workdir, "upload.mp4")
            make_video(video, args.upload_mib << 20)
            video_id, row = upload_row("shared UPLOAD_DIR", hubs, workdir, video, args.upload_mib, "local")
            rows.append(row)

            # Streaming the stored file: ranges through nginx to 3 instances, to 1, and nginx itself.
            stored = next(os.path.join(root, name) for root, _, names in os.walk(os.path.join(workdir, "shared-uploads", "objects"))
                          for name in names if name == "source")
            size = os.path.getsize(stored)
            os.makedirs(os.path.join(workdir, "nginx-file"))
            file_port = free_port()
            direct = start_nginx(os.path.join(workdir, "nginx-file"), stored, file_port)
            lua = os.path.join(HERE, "range.lua")
            stream = f"/api/v1/videos/{video_id}/stream"
            fronts = {}
            for label, ports in [("3", [hub.port for hub in hubs]), ("1", [hubs[0].port] * 3)]:
                os.makedirs(os.path.join(workdir, f"nginx{label}"))
                fronts[label] = NginxFront(os.path.join(workdir, f"nginx{label}"), ports).start()
            results = {}
            for label in ["3", "1"]:
                results[label] = wrk(f"http://127.0.0.1:{fronts[label].port}{stream}", 64, args.seconds, size, lua, "30s", hubs[0].auth)
            results["file"] = wrk(f"http://127.0.0.1:{file_port}/video", 64, args.seconds, size, lua, "30s")
            direct.terminate()
            direct.wait()
            rows.append((f"range streaming through nginx, 64 connections", f"3 instances {results['3'][1] / 1048576:.0f} MiB/s "
                         f"({results['3'][0]:.0f} req/s)", f"1 instance {results['1'][1] / 1048576:.0f} MiB/s; nginx serving the "
                         f"file {results['file'][1] / 1048576:.0f} MiB/s", f"{results['3'][1] / results['file'][1]:.2f}x nginx"))
            for front in fronts.values():
                front.stop()
        finally:
            for hub in hubs:
                hub.stop()
        rows.append(s3_upload_row(binary, server, workdir, video, args.upload_mib))
    shutil.rmtree(workdir, ignore_errors=True)
    print_rows(rows)


if __name__ == "__main__":
    main()
