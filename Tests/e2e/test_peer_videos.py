"""Issue 16 on real hubs, the blocks: every upload gets a block manifest, and a hub's peer port
serves the manifests, blocks and thumbnails of its shared videos to signed peers, byte for byte.
A private video is not found whoever asks; a run outside the manifest, an oversized run, a
malformed or unsigned request are refused with their exact status and a JSON error, and serve
nothing."""
import hashlib
import json
import shutil
import struct
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import fake_mp4
from helpers import api, create_upload, finish_upload
from test_peers import cluster, peer_headers  # noqa: F401  (cluster is a fixture)


def upload(hub, data, shared):
    metadata = {"filename": "clip.mp4", "shared": "true" if shared else "false"}
    return finish_upload(hub, create_upload(hub, len(data), metadata), 0, data)


def peer_fetch(hub, path, payload, headers=None):
    """(status, Content-Type, raw body) of a signed request to the hub's peer port."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = headers if headers is not None else peer_headers(path, body)
    request = urllib.request.Request(f"http://127.0.0.1:{hub.p2p_port}{path}", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def parse_manifest(raw):
    """The stored form: magic, block size, file size, file SHA-256, count, then each block's SHA-256."""
    assert raw[:8] == b"SHUBBLK1"
    block_size, size = struct.unpack(">IQ", raw[8:20])
    digest = raw[20:52].hex()
    (count,) = struct.unpack(">I", raw[52:56])
    blocks = [raw[56 + 32 * i:88 + 32 * i].hex() for i in range(count)]
    assert len(raw) == 56 + 32 * count
    return block_size, size, digest, blocks


def test_a_shared_videos_manifest_and_blocks_are_served_byte_for_byte(cluster):
    a = cluster.hub("hub-a")
    data = fake_mp4(700_000, seed=16)
    video = upload(a, data, shared=True)

    status, content_type, raw = peer_fetch(a, "/p2p/v1/manifest", {"video": video})
    assert status == 200 and content_type == "application/octet-stream"
    block_size, size, digest, blocks = parse_manifest(raw)
    assert (block_size, size, digest) == (128 << 10, len(data), hashlib.sha256(data).hexdigest())
    assert digest == api(a, f"/api/v1/videos/{video}")[1]["sha256"]
    assert blocks == [hashlib.sha256(data[i:i + block_size]).hexdigest() for i in range(0, len(data), block_size)]

    # One block, a run, and the short last block.
    for index, count in [(0, 1), (1, 3), (5, 1)]:
        status, content_type, raw = peer_fetch(a, "/p2p/v1/blocks", {"video": video, "index": index, "count": count})
        assert status == 200 and content_type == "application/octet-stream", raw
        assert raw == data[index * block_size:(index + count) * block_size]
    status, _, raw = peer_fetch(a, "/p2p/v1/blocks", {"video": video, "index": 2})
    assert status == 200 and raw == data[2 * block_size:3 * block_size], "count defaults to one block"

    metrics = a.request("/metrics")[2].decode()
    assert "streamhub_peer_blocks_sent_total 6" in metrics, metrics
    # The cache of peers' blocks is reported against its budget (empty: this hub fetched nothing).
    assert api(a, "/readyz")[1]["peerBlocks"] == {"blocks": 0, "bytes": 0, "budgetBytes": 4 << 30}


def test_private_unknown_and_malformed_block_requests_are_refused_and_serve_nothing(cluster):
    a = cluster.hub("hub-a")
    shared = upload(a, fake_mp4(300_000, seed=1), shared=True)
    private = upload(a, fake_mp4(300_000, seed=2), shared=False)

    def refused(path, payload, status, code, headers=None):
        answer, content_type, raw = peer_fetch(a, path, payload, headers)
        assert answer == status and content_type.startswith("application/json"), (payload, answer, raw[:200])
        assert json.loads(raw)["error"]["code"] == code, raw

    # A private video does not exist to peers, asked for by id on either route.
    refused("/p2p/v1/manifest", {"video": private}, 404, "not_found")
    refused("/p2p/v1/blocks", {"video": private, "index": 0}, 404, "not_found")
    refused("/p2p/v1/blocks", {"video": str(uuid.uuid4()), "index": 0}, 404, "not_found")
    # Runs outside the manifest's three blocks, including numbers that would overflow a sum.
    for index, count in [(-1, 1), (3, 1), (2, 2), (9223372036854775807, 2), (1, 9223372036854775807)]:
        status = 400 if count > 64 else 416
        refused("/p2p/v1/blocks", {"video": shared, "index": index, "count": count}, status,
                "too_many_blocks" if count > 64 else "range_not_satisfiable")
    refused("/p2p/v1/blocks", {"video": shared, "index": 0, "count": 0}, 400, "too_many_blocks")
    # Malformed bodies: a bad id, a missing index, a number that is not an integer, not JSON.
    for payload in [{"video": "../../etc/passwd", "index": 0}, {"video": shared}, {"video": shared, "index": 1.5},
                    {"video": shared, "index": 1e300}, b"{not json"]:
        status, _, raw = peer_fetch(a, "/p2p/v1/blocks", payload)
        assert status == 400 and json.loads(raw)["error"]["code"], (payload, status, raw)
    # Signed with another secret, or not at all: refused before the body is read.
    body = json.dumps({"video": shared, "index": 0}).encode()
    refused("/p2p/v1/blocks", body, 401, "peer_refused", peer_headers("/p2p/v1/blocks", body, secret="another secret"))
    refused("/p2p/v1/blocks", body, 401, "peer_refused", {"Content-Type": "application/json"})
    # Nothing above was counted as served.
    assert "streamhub_peer_blocks_sent_total 0" in a.request("/metrics")[2].decode()


def test_unsharing_or_deleting_a_video_stops_its_blocks(cluster):
    a = cluster.hub("hub-a")
    video = upload(a, fake_mp4(200_000, seed=3), shared=True)
    assert peer_fetch(a, "/p2p/v1/blocks", {"video": video, "index": 0})[0] == 200
    assert api(a, f"/api/v1/videos/{video}", "PATCH", {"shared": False})[0] == 200
    assert peer_fetch(a, "/p2p/v1/manifest", {"video": video})[0] == 404
    assert api(a, f"/api/v1/videos/{video}", "PATCH", {"shared": True})[0] == 200
    assert peer_fetch(a, "/p2p/v1/manifest", {"video": video})[0] == 200
    assert api(a, f"/api/v1/videos/{video}", "DELETE")[0] == 204
    assert peer_fetch(a, "/p2p/v1/blocks", {"video": video, "index": 0})[0] == 404


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_a_shared_videos_thumbnail_is_served_and_a_private_ones_is_not(cluster, tmp_path):
    a = cluster.hub("hub-a")
    clip = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=3:size=320x180:rate=15",
                    "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart", str(clip)], check=True)
    data = clip.read_bytes()
    shared, private = upload(a, data, shared=True), upload(a, data, shared=False)
    status, _, jpeg = peer_fetch(a, "/p2p/v1/thumbnail", {"video": shared})
    assert status == 200 and jpeg[:3] == b"\xff\xd8\xff", jpeg[:100]
    assert jpeg == a.request(f"/api/v1/videos/{shared}/thumbnail")[2]
    status, content_type, raw = peer_fetch(a, "/p2p/v1/thumbnail", {"video": private})
    assert status == 404 and content_type.startswith("application/json") and json.loads(raw)["error"]["code"] == "not_found"


def test_the_peers_page_and_metrics_show_the_block_figures(cluster):
    a = cluster.hub("hub-a")
    video = upload(a, fake_mp4(300_000, seed=4), shared=True)
    assert peer_fetch(a, "/p2p/v1/blocks", {"video": video, "index": 0, "count": 2})[0] == 200
    page = a.request("/peers")[2].decode()
    assert '<dd id="blocks-sent">2 (256' in page, page[page.find("blocks-sent") - 200:][:400]
    assert '<dd id="block-cache">0 blocks, 0 B of 4' in page
    metrics = a.request("/metrics")[2].decode()
    for name in ["streamhub_peer_blocks_fetched_total 0", "streamhub_peer_block_bytes_fetched_total 0",
                 "streamhub_peer_blocks_refused_total 0", "streamhub_peer_block_bytes_sent_total 262144"]:
        assert name in metrics, name
