"""Issue 16 on real hubs, the catalogue: a shared video uploaded on one hub appears in the library
and search of hubs it reaches only through others, marked with its origin, with its thumbnail,
and streams from them byte for byte with the same range, ETag and conditional semantics. Only its
owner on its origin hub changes it; edits, unsharing and deletion travel, and what the other hubs
kept of it goes. A private video never leaves its hub."""
import glob
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from conftest import fake_mp4
from helpers import api, eventually
from hubbench import free_port
from test_peer_videos import peer_fetch, upload
from test_peers import cluster, peers_of  # noqa: F401  (cluster is a fixture)


def three_hubs(cluster):
    """hub-a ← hub-b ← hub-c: c is told only of b, b only of a."""
    a = cluster.hub("hub-a")
    b = cluster.hub("hub-b", seeds=[a])
    c = cluster.hub("hub-c", seeds=[b])
    eventually(lambda: peers_of(c).get("hub-a", {}).get("state") == "alive", message="c never learnt of a")
    return a, b, c


def listed(hub, video, query=None):
    path = "/api/v1/videos?limit=100" + (f"&q={query}" if query else "")
    return next((item for item in api(hub, path)[1]["items"] if item["id"] == video), None)


def kept_files(hub, video):
    return [path for path in glob.glob(os.path.join(hub.workdir, "**", f"*{video}*", "**"), recursive=True) if os.path.isfile(path)]


def clip(tmp_path):
    """A real H.264 clip when ffmpeg is here (so it has a thumbnail), else MP4-shaped bytes."""
    if shutil.which("ffmpeg") is None:
        return fake_mp4(900_000, seed=16)
    path = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=4:size=320x180:rate=15",
                    "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart", str(path)], check=True)
    return path.read_bytes()


def test_a_shared_video_appears_two_hops_away_and_streams_byte_for_byte(cluster, tmp_path):
    a, b, c = three_hubs(cluster)
    data = clip(tmp_path)
    video = upload(a, data, shared=True)
    private = upload(a, fake_mp4(300_000, seed=7), shared=False)
    assert api(a, f"/api/v1/videos/{video}", "PATCH", {"title": "Launch review", "tags": ["launch"]})[0] == 200

    item = eventually(lambda: (listed(c, video) or {}).get("title") == "Launch review" and listed(c, video),
                      message="the video never reached hub-c")
    assert item["origin"]["hub"] == "hub-a" and item["origin"]["owner"] == "admin@hub-a"
    assert item["sha256"] == hashlib.sha256(data).hexdigest() and item["sizeBytes"] == len(data)
    assert listed(c, video, query="laun") is not None, "search finds a peer's video"
    assert listed(c, video, query="nothing-like-it") is None
    assert listed(a, video).get("origin") is None, "on its own hub it is a local video"

    # Streams from c byte for byte; ranges, ETag and conditional requests as on a.
    status, headers, body = c.request(f"/api/v1/videos/{video}/stream")
    assert status == 200 and hashlib.sha256(body).hexdigest() == item["sha256"]
    etag = headers["ETag"]
    assert etag == a.request(f"/api/v1/videos/{video}/stream", "HEAD")[1]["ETag"]
    for header, expected in [("bytes=1000-2999", data[1000:3000]), ("bytes=-500", data[-500:]),
                             (f"bytes={len(data) - 10}-", data[-10:])]:
        status, headers, body = c.request(f"/api/v1/videos/{video}/stream", headers={"Range": header})
        assert status == 206 and body == expected, (header, status)
        assert headers["Content-Range"].endswith(f"/{len(data)}")
    middle = len(data) // 2
    status, headers, body = c.request(f"/api/v1/videos/{video}/stream", headers={"Range": f"bytes=0-9,{middle}-{middle + 9}"})
    assert status == 206 and headers["Content-Type"].startswith("multipart/byteranges"), len(data)
    assert data[:10] in body and data[middle:middle + 10] in body
    assert c.request(f"/api/v1/videos/{video}/stream", headers={"If-None-Match": etag})[0] == 304
    status, _, body = c.request(f"/api/v1/videos/{video}/stream", headers={"Range": f"bytes={len(data)}-"})
    assert status == 416 and b"range_not_satisfiable" in body
    status, headers, body = c.request(f"/api/v1/videos/{video}/stream", "HEAD")
    assert status == 200 and headers["Content-Length"] == str(len(data)) and body == b""

    if item["thumbnailUrl"]:
        status, headers, jpeg = c.request(item["thumbnailUrl"])
        assert status == 200 and headers["Content-Type"] == "image/jpeg"
        assert jpeg == a.request(f"/api/v1/videos/{video}/thumbnail")[2]
    page = c.request("/")[2].decode()
    assert "from hub-a" in page and "Launch review" in page
    player = c.request(f"/videos/{video}")[2].decode()
    assert 'id="origin-hub">hub-a' in player and 'id="edit-form"' not in player

    # Only the owner, on the origin hub, changes it: not even c's admin.
    for method, body in [("PATCH", {"title": "Mine now"}), ("PATCH", {"shared": False}), ("DELETE", None)]:
        status, answer = api(c, f"/api/v1/videos/{video}", method, body)
        assert status == 403 and answer["error"]["code"] == "forbidden", (method, status, answer)

    # The private video never left a: not listed, not found by id, its title nowhere on c.
    assert listed(c, private) is None and listed(b, private) is None
    for path in [f"/api/v1/videos/{private}", f"/api/v1/videos/{private}/stream"]:
        status, answer = api(c, path)
        assert status == 404 and answer["error"]["code"] == "not_found", (path, status)


def test_edits_unsharing_and_deletion_on_the_origin_reach_every_hub(cluster, tmp_path):
    a, b, c = three_hubs(cluster)
    data = fake_mp4(600_000, seed=21)
    video = upload(a, data, shared=True)
    eventually(lambda: listed(c, video), message="the video never reached hub-c")
    assert c.request(f"/api/v1/videos/{video}/stream")[2] == data
    assert kept_files(c, video), "c keeps the manifest of what it played"
    # and its blocks, written into the store just behind the stream
    eventually(lambda: api(c, "/readyz")[1]["peerBlocks"]["blocks"] == 5, message="c did not keep the video's blocks")

    assert api(a, f"/api/v1/videos/{video}", "PATCH", {"title": "Renamed", "description": "new words"})[0] == 200
    eventually(lambda: all((listed(hub, video) or {}).get("title") == "Renamed" for hub in (b, c)), message="the edit did not travel")

    assert api(a, f"/api/v1/videos/{video}", "PATCH", {"shared": False})[0] == 200
    eventually(lambda: listed(b, video) is None and listed(c, video) is None, message="unsharing did not travel")
    for path in [f"/api/v1/videos/{video}", f"/api/v1/videos/{video}/stream"]:
        assert api(c, path)[0] == 404
    # What c kept of it is gone (dropped as the tombstone is merged, a moment after it is listed).
    eventually(lambda: kept_files(c, video) == [] and api(c, "/readyz")[1]["peerBlocks"]["blocks"] == 0,
               message="what c kept of the video stayed")

    assert api(a, f"/api/v1/videos/{video}", "PATCH", {"shared": True})[0] == 200
    eventually(lambda: (listed(c, video) or {}).get("title") == "Renamed", message="sharing again did not travel")
    assert api(a, f"/api/v1/videos/{video}", "DELETE")[0] == 204
    eventually(lambda: listed(b, video) is None and listed(c, video) is None, message="deletion did not travel")

    # A hub that joins later learns the catalogue by anti-entropy: tombstones too.
    kept = upload(a, fake_mp4(200_000, seed=22), shared=True)
    d = cluster.hub("hub-d", seeds=[c])
    eventually(lambda: listed(d, kept), message="a new hub never learnt the catalogue")
    assert listed(d, video) is None


def test_a_peers_video_whose_holders_are_gone_is_a_clean_503(cluster):
    a = cluster.hub("hub-a")
    b = cluster.hub("hub-b", seeds=[a])
    data = fake_mp4(1_000_000, seed=5)
    video = upload(a, data, shared=True)
    eventually(lambda: listed(b, video), message="the video never reached hub-b")
    # The first block is fetched and kept; then the origin goes away.
    assert b.request(f"/api/v1/videos/{video}/stream", headers={"Range": "bytes=0-999"})[2] == data[:1000]
    a.process.kill()
    a.process.wait()
    status, _, body = b.request(f"/api/v1/videos/{video}/stream", headers={"Range": "bytes=0-999"})
    assert status == 206 and body == data[:1000], "kept blocks still play"
    status, _, raw = b.request(f"/api/v1/videos/{video}/stream", headers={"Range": "bytes=950000-999999"})
    answer = json.loads(raw)
    assert status == 503 and answer["error"]["code"] == "peer_unavailable", (status, answer)


def test_a_replica_keeps_a_video_playable_when_its_origin_goes_and_admins_pin_copies(cluster):
    a, b, c = three_hubs(cluster)
    data = fake_mp4(1_500_000, seed=31)
    video = upload(a, data, shared=True)

    # P2P_VIDEO_REPLICAS=2: the origin and one other hub, the same one whoever computes it.
    def whole_copies():
        kept = {hub.name: api(hub, "/readyz")[1]["replicas"] for hub in (b, c)}
        holders = [name for name, replicas in kept.items() if replicas["videos"] == 1]
        return (holders, kept) if len(holders) == 1 else None

    holders, kept = eventually(whole_copies, message="no hub kept the video whole")
    holder, other = (b, c) if holders == ["hub-b"] else (c, b)
    assert kept[holder.name] == {"copies": 2, "videos": 1, "bytes": len(data)}
    # Every hub's Peers page shows what each peer keeps for others.
    eventually(lambda: peers_of(a).get(holder.name, {}).get("keptForOthers") == {"videos": 1, "bytes": len(data)},
               message="the holder's hello never said what it keeps")
    assert '<td class="kept">1 (' in a.request("/peers")[2].decode()

    a.process.kill()
    a.process.wait()
    status, _, body = other.request(f"/api/v1/videos/{video}/stream")
    assert status == 200 and body == data, "plays from the replica with the origin gone"

    # An admin pins it on the other hub too: a second whole copy, fetched from the replica.
    out = other.cli("videos", "pin", video, env={"STREAMHUB_URL": other.url, "STREAMHUB_TOKEN": other.token})
    assert out.stdout.strip() == f"{video}\tpinned"
    eventually(lambda: api(other, "/readyz")[1]["replicas"]["videos"] == 1, message="the pinned video was not kept whole")
    assert 'id="pinned"' in other.request(f"/videos/{video}")[2].decode()
    assert api(other, f"/api/v1/videos/{video}/pin", "DELETE")[1] == {"video": video, "pinned": False}
    eventually(lambda: api(other, "/readyz")[1]["replicas"]["videos"] == 0, message="unpinning did not release the copy")

    # Pinning is for admins, for peers' videos, by a real id.
    other.add_user("member", "member-password")
    member = other.create_token("member")
    status, answer = api(other, f"/api/v1/videos/{video}/pin", "POST", token=member)
    assert status == 403 and answer["error"]["code"] == "forbidden"
    own = upload(other, fake_mp4(100_000, seed=32), shared=True)
    status, answer = api(other, f"/api/v1/videos/{own}/pin", "POST")
    assert status == 409 and answer["error"]["code"] == "not_a_peer_video"
    assert api(other, "/api/v1/videos/not-an-id/pin", "POST")[0] == 404
    bad = other.cli("videos", "pin", "../../x", check=False, env={"STREAMHUB_URL": other.url, "STREAMHUB_TOKEN": other.token})
    assert bad.returncode != 0 and "not a video id" in bad.stderr


class CorruptPeer:
    """A peer of our own speaking the signed protocol: it answers hellos and sync requests as an
    empty hub would, and serves every block it is asked for with one byte flipped (the real
    block, fetched signed from the origin)."""

    NODE = "cd" * 16

    def __init__(self, origin):
        self.origin, self.port, self.served = origin, free_port(), 0
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                path = self.path.removeprefix("/p2p/v1/")
                if path == "blocks":
                    status, _, block = peer_fetch(peer.origin, "/p2p/v1/blocks", request)
                    if status != 200:
                        return self.answer(404, b'{"error":{"code":"not_found","message":"no"}}')
                    peer.served += 1
                    return self.answer(200, bytes([block[0] ^ 0xFF]) + block[1:], "application/octet-stream")
                answers = {
                    "hello": {"node": CorruptPeer.NODE, "name": "corrupt-peer", "port": peer.port, "host": "127.0.0.1", "members": []},
                    "gossip": {"applied": 0, "behind": []}, "digest": {"root": 0, "count": 0}, "pull": {"batches": []},
                    "catalogue": {"applied": 0}, "catalogue/digest": {"root": 0, "count": 0}, "catalogue/pull": {"entries": []},
                }
                if path in answers:
                    return self.answer(200, json.dumps(answers[path]).encode())
                self.answer(404, b'{"error":{"code":"not_found","message":"not held here"}}')

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def test_a_peer_serving_corrupt_blocks_is_refused_block_by_block_and_the_video_still_plays(cluster):
    a = cluster.hub("hub-a")
    corrupt = CorruptPeer(a)
    try:
        # Three copies among hub-c and the corrupt peer: the placement names both as holders.
        c = cluster.hub("hub-c", P2P_PEERS=f"127.0.0.1:{a.p2p_port},127.0.0.1:{corrupt.port}", P2P_VIDEO_REPLICAS="3")
        eventually(lambda: peers_of(c).get("corrupt-peer", {}).get("state") == "alive", message="c never reached the test peer")
        data = fake_mp4(2_000_000, seed=41)
        video = upload(a, data, shared=True)
        eventually(lambda: listed(c, video), message="the video never reached hub-c")
        status, _, body = c.request(f"/api/v1/videos/{video}/stream")
        assert status == 200 and body == data, "every byte verified: none of the corrupt ones went out"
        assert corrupt.served > 0, "the corrupt peer was asked"
        log = api(c, "/api/v1/sync/log?limit=200")[1]["entries"]
        refusals = [e for e in log if e["event"] == "refused" and "corrupt-peer" in (e.get("peer") or "")]
        assert refusals and "do not match its hash" in refusals[0]["summary"], log[:5]
        metrics = c.request("/metrics")[2].decode()
        refused = next(line for line in metrics.splitlines() if line.startswith("streamhub_peer_blocks_refused_total "))
        assert float(refused.split()[1]) >= 1
    finally:
        corrupt.stop()


def block_files(hub):
    """Every block the hub keeps on disk: (name, bytes)."""
    found = []
    for path in glob.glob(os.path.join(hub.workdir, "uploads", "**", "blocks", "**"), recursive=True):
        name = os.path.basename(path)
        if os.path.isfile(path) and len(name) == 64:
            found.append((name, open(path, "rb").read()))
    return found


def fetched_bytes(hub):
    metrics = hub.request("/metrics")[2].decode()
    line = next(line for line in metrics.splitlines() if line.startswith("streamhub_peer_block_bytes_fetched_total "))
    return float(line.split()[1])


def test_a_far_range_answers_long_before_the_video_is_fetched_and_a_kill_mid_fetch_leaves_only_verified_blocks(cluster):
    a = cluster.hub("hub-a")
    # One copy (the origin's): nothing fetches the whole video behind the ranges' back.
    c = cluster.hub("hub-c", seeds=[a], P2P_VIDEO_REPLICAS="1")
    size = 48 << 20
    data = fake_mp4(size, seed=51)
    video = upload(a, data, shared=True)
    eventually(lambda: listed(c, video), message="the video never reached hub-c")

    start = size * 9 // 10
    status, _, body = c.request(f"/api/v1/videos/{video}/stream", headers={"Range": f"bytes={start}-{start + (1 << 20) - 1}"})
    assert status == 206 and body == data[start:start + (1 << 20)]
    assert fetched_bytes(c) < size * 0.05, f"fetched {fetched_bytes(c)} bytes of {size} for a 1 MiB range"

    # Killed while a whole-file read is fetching: after the restart, every kept block matches its name.
    def read_whole():
        try:
            c.request(f"/api/v1/videos/{video}/stream")
        except Exception:  # cut short by the kill, as intended
            pass

    reader = threading.Thread(target=read_whole, daemon=True)
    reader.start()
    eventually(lambda: fetched_bytes(c) > 8 << 20, message="the whole-file read never got going")
    c.process.kill()
    c.process.wait()
    kept = block_files(c)
    assert kept and all(hashlib.sha256(block).hexdigest() == name for name, block in kept), "no partial or wrong block kept"
    c.start()
    status, _, body = c.request(f"/api/v1/videos/{video}/stream")
    assert status == 200 and hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()
    assert all(hashlib.sha256(block).hexdigest() == name for name, block in block_files(c))


def test_a_hub_that_caps_what_it_sends_peers_still_serves_them_byte_for_byte_within_its_cap(cluster):
    # P2P_SEND_BYTES_PER_SECOND=4 MiB/s on the origin: one second's worth goes at once, the rest
    # at the rate. The bound checked is the one a broken cap would break (never faster); how
    # much slower a shared machine makes it is not a test's business.
    rate = 4 << 20
    a = cluster.hub("hub-a", P2P_SEND_BYTES_PER_SECOND=str(rate))
    c = cluster.hub("hub-c", seeds=[a], P2P_VIDEO_REPLICAS="1")
    size = 16 << 20
    data = fake_mp4(size, seed=61)
    video = upload(a, data, shared=True)
    eventually(lambda: listed(c, video), message="the video never reached hub-c")

    started = time.monotonic()
    status, _, body = c.request(f"/api/v1/videos/{video}/stream")
    elapsed = time.monotonic() - started
    assert status == 200 and body == data
    assert elapsed >= (size - rate) / rate * 0.9, f"{size} bytes in {elapsed:.2f} s, faster than {rate} bytes a second"
