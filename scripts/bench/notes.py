#!/usr/bin/env python3
"""The notepad's figures, side by side with SQLite in one run (issue 5):

- search p50/p95 through the API over 100,000 notes, against the same FTS5 query (count,
  ranking, snippet and highlight, with the member's visibility filter) run directly on the
  hub's database file with Python's sqlite3;
- creates and updates per second through the API (8 clients), against single-row inserts and
  updates committed one by one into a copy of the same schema (FTS triggers included);
- an edit of a 1 MB note through the API, against an UPDATE of the same 1 MB row in SQLite.

Usage: python3 scripts/bench/notes.py [--notes 100000] [--clients 8]
"""
import argparse
import http.client
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubbench import Hub, build_release, print_rows, run_clients  # noqa: E402

WORDS = None


def vocabulary(rng, size=5000):
    """Pronounceable made-up words; drawn with a Zipf-like skew so some are common, most rare."""
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "do", "fe", "gu", "ho", "ji", "bra", "str", "qua"]
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def text(rng, words, count):
    return " ".join(words[min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)] if rng.random() < 0.7 else rng.choice(words)
                    for _ in range(count))


class Client:
    """One keep-alive connection to the hub."""

    def __init__(self, hub, token):
        self.connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        self.connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data) if data else None


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def fmt(samples):
    return f"p50 {percentile(samples, 50) * 1000:.2f} ms / p95 {percentile(samples, 95) * 1000:.2f} ms"


def seed(hub, tokens, count, clients, rng_seed):
    """Creates `count` notes through the API from `clients` threads, alternating between the
    tokens' accounts; returns (seconds, ids of the first token's notes, all ids)."""
    ids = []
    first = []
    lock = threading.Lock()
    per_client = count // clients

    def work(index):
        rng = random.Random(rng_seed + index)
        client = Client(hub, tokens[index % len(tokens)])
        made = []
        for _ in range(per_client):
            note = client.call("POST", "/api/v1/notes", {
                "title": text(rng, WORDS, rng.randint(2, 6)),
                "content": text(rng, WORDS, rng.randint(30, 150)),
                "tags": [f"tag{rng.randint(1, 60)}" for _ in range(rng.randint(0, 3))],
                "shared": rng.random() < 0.5,
            })
            made.append(note["id"])
        with lock:
            ids.extend(made)
            if index % len(tokens) == 0:
                first.extend(made)

    return run_clients(work, clients), first, ids


def update(hub, token, ids, count, clients, rng_seed):
    per_client = count // clients

    def work(index):
        rng = random.Random(rng_seed + index)
        client = Client(hub, token)
        for _ in range(per_client):
            note_id = rng.choice(ids)
            note = client.call("GET", f"/api/v1/notes/{note_id}")
            client.call("PATCH", f"/api/v1/notes/{note_id}", {"content": note["content"] + " " + text(rng, WORDS, 5),
                                                               "baseVersion": note["version"]})

    return run_clients(work, clients)


# The hub's search, as SQLiteNoteRepository builds it for a member (see its `list`): find where
# the newest 1,000 matches begin, count and rank the matches from there, highlight only the page.
MATCHES = ("noteSearch CROSS JOIN note ON note.rowid = noteSearch.rowid "
           "WHERE noteSearch MATCH ? AND note.deletedAt IS NULL AND (note.ownerID = ? OR note.shared = 1)")
BOUNDARY_SQL = f"SELECT noteSearch.rowid FROM {MATCHES} ORDER BY noteSearch.rowid DESC LIMIT 1 OFFSET 999"
COUNT_SQL = f"SELECT COUNT(*) FROM {MATCHES} AND noteSearch.rowid >= ?"
SEARCH_SQL = f"""
WITH page AS (
    SELECT note.rowid AS noteRowID, noteSearch.rank AS rank, note.updatedAt AS updatedAt
    FROM {MATCHES} AND noteSearch.rowid >= ? ORDER BY rank, updatedAt DESC LIMIT 20 OFFSET 0)
SELECT note.id, note.title, substr(note.content, 1, 280) AS content, note.tags, note.ownerID, note.author, note.lastEditor,
    note.shared, note.videoID, note.version, note.createdAt, note.updatedAt, note.deletedAt,
    highlight(noteSearch, 0, char(57344), char(57345)) AS titleHighlight,
    snippet(noteSearch, 1, char(57344), char(57345), '…', 24) AS snippet
FROM page CROSS JOIN noteSearch ON noteSearch.rowid = page.noteRowID CROSS JOIN note ON note.rowid = page.noteRowID
WHERE noteSearch MATCH ? ORDER BY page.rank, page.updatedAt DESC
"""


def direct_search(database, query, owner):
    pattern = fts_pattern(query)
    row = database.execute(BOUNDARY_SQL, (pattern, owner)).fetchone()
    boundary = row[0] if row else -(1 << 63)
    if row is None:
        database.execute(COUNT_SQL, (pattern, owner, boundary)).fetchone()
    return database.execute(SEARCH_SQL, (pattern, owner, boundary, pattern)).fetchall()


def fts_pattern(query):
    # GRDB's FTS5Pattern(matchingAllPrefixesIn:): every word quoted, as a prefix, all required.
    return " ".join(f'"{word}"*' for word in query.split())


def main():
    global WORDS
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--updates", type=int, default=4_000)
    parser.add_argument("--searches", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the hub's data directory (printed) for a closer look")
    args = parser.parse_args()
    rng = random.Random(42)
    WORDS = vocabulary(rng)

    binary = build_release()
    workdir = tempfile.mkdtemp(prefix="notes-bench-")
    hub = Hub(binary, workdir)
    hub.start()
    rows = []
    try:
        admin_token = hub.sign_up_admin()
        hub.add_user("member", "member-password")
        member_token = hub.create_token("member")
        member_id = json.loads(hub.request("/api/v1/me", token=member_token)[2])["id"]

        seconds, member_notes, ids = seed(hub, [member_token, admin_token], args.notes, args.clients, 1)
        creates = len(ids) / seconds
        update_seconds = update(hub, member_token, member_notes, args.updates, args.clients, 2)
        updates = args.updates / update_seconds

        # Search: common, middling and rare words, one or two words, through the API and direct.
        queries = [WORDS[min(int(rng.paretovariate(1.1)) - 1, 200)][:4] for _ in range(args.searches // 2)]
        queries += [" ".join(rng.sample(WORDS, 2))[: rng.randint(5, 12)] for _ in range(args.searches // 2)]
        client = Client(hub, member_token)
        from urllib.parse import quote
        for query in queries[:20]:  # warm both sides' caches the same way
            client.call("GET", f"/api/v1/notes?q={quote(query)}&limit=20")
        api_times = []
        for query in queries:
            started = time.perf_counter()
            client.call("GET", f"/api/v1/notes?q={quote(query)}&limit=20")
            api_times.append(time.perf_counter() - started)
        slowest = sorted(zip(api_times, queries), reverse=True)[:5]
        database = sqlite3.connect(f"file:{os.path.join(workdir, 'data', 'streamhub.sqlite')}?mode=ro", uri=True)
        owner = member_id or ""
        for query in queries[:20]:
            direct_search(database, query, owner)
        direct_times = []
        for query in queries:
            started = time.perf_counter()
            direct_search(database, query, owner)
            direct_times.append(time.perf_counter() - started)
        database.close()

        # A 1 MB note, edited 30 times a few words at a time.
        big = client.call("POST", "/api/v1/notes", {"title": "Big", "content": text(rng, WORDS, 170_000)[:1_000_000]})
        content, version = big["content"], big["version"]
        edit_times = []
        for i in range(30):
            position = rng.randint(0, len(content))
            content = content[:position] + f" edit{i} " + content[position:]
            started = time.perf_counter()
            saved = client.call("PATCH", f"/api/v1/notes/{big['id']}", {"content": content, "baseVersion": version})
            edit_times.append(time.perf_counter() - started)
            version = saved["version"]
        peak = hub.peak_rss_bytes()
    finally:
        hub.stop()

    # The references on a copy of the hub's database: same schema, triggers and indexes.
    copy = os.path.join(workdir, "copy.sqlite")
    shutil.copy(os.path.join(workdir, "data", "streamhub.sqlite"), copy)
    database = sqlite3.connect(copy, isolation_level=None)
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("PRAGMA synchronous=FULL")
    rows_to_insert = 2_000
    started = time.perf_counter()
    for i in range(rows_to_insert):
        database.execute("BEGIN IMMEDIATE")
        database.execute(
            "INSERT INTO note (id, title, content, tags, ownerID, author, lastEditor, shared, videoID, version, createdAt, updatedAt) "
            "VALUES (?, ?, ?, '[]', NULL, 'bench', 'bench', 1, NULL, 1, datetime('now'), datetime('now'))",
            (f"bench-{i}", text(rng, WORDS, 4), text(rng, WORDS, 90)))
        database.execute("COMMIT")
    direct_inserts = rows_to_insert / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(rows_to_insert):
        database.execute("BEGIN IMMEDIATE")
        database.execute("UPDATE note SET content = content || ' more', version = version + 1 WHERE id = ?", (f"bench-{i}",))
        database.execute("COMMIT")
    direct_updates = rows_to_insert / (time.perf_counter() - started)
    big_times = []
    big_content = content
    for i in range(30):
        position = rng.randint(0, len(big_content))
        big_content = big_content[:position] + f" ref{i} " + big_content[position:]
        started = time.perf_counter()
        database.execute("BEGIN IMMEDIATE")
        database.execute("UPDATE note SET content = ?, version = version + 1 WHERE id = ?", (big_content, big["id"]))
        database.execute("COMMIT")
        big_times.append(time.perf_counter() - started)
    database.close()
    if args.keep:
        print(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)

    search_ratio = percentile(api_times, 95) / percentile(direct_times, 95)
    rows = [
        (f"search over {len(ids):,} notes ({len(queries)} queries)", fmt(api_times), "SQLite direct " + fmt(direct_times),
         f"p95 {search_ratio:.2f}x (target < 3x, p95 < 10 ms)"),
        (f"creates ({args.clients} clients)", f"{creates:,.0f}/s", f"SQLite insert+commit {direct_inserts:,.0f}/s",
         f"{creates / direct_inserts:.2f}x"),
        (f"updates ({args.clients} clients, GET+PATCH)", f"{updates:,.0f}/s", f"SQLite update+commit {direct_updates:,.0f}/s",
         f"{updates / direct_updates:.2f}x"),
        ("edit of a 1 MB note (30 saves)", fmt(edit_times), "SQLite UPDATE " + fmt(big_times), "target < 20 ms"),
        ("hub peak RSS", f"{peak / 1048576:.0f} MiB", "", ""),
    ]
    print_rows(rows)
    print("slowest searches through the API: " + ", ".join(f"{query!r} {seconds * 1000:.1f} ms" for seconds, query in slowest))


if __name__ == "__main__":
    main()
