"""The peer network with real hub processes on loopback, each with its own data directory and
listener: shared notes reach hubs two hops away, concurrent edits converge with both kept, a
stopped hub catches up, a hub with the wrong secret gets and changes nothing, private notes never
leave, only a note's owner unshares or deletes it, and a hub killed mid-sync loses nothing it
acknowledged."""
import json
import os
import signal
import time

import pytest

from helpers import api, eventually
from hubbench import Hub, free_port

SECRET = "a-cluster-secret-for-tests-0123456789"


class Cluster:
    """Hubs made on demand under one temporary directory; all stopped at the end."""

    def __init__(self, binary, root):
        self.binary, self.root, self.hubs = binary, root, []

    def hub(self, name, seeds=(), secret=SECRET, p2p_port=None, start=True, **env):
        workdir = os.path.join(self.root, name)
        os.makedirs(workdir, exist_ok=True)
        p2p_port = p2p_port or free_port()
        extra = {
            "P2P_ENABLED": "true", "P2P_PORT": str(p2p_port), "P2P_NODE_NAME": name, "P2P_SECRET": secret,
            "P2P_PEERS": ",".join(f"127.0.0.1:{seed.p2p_port}" for seed in seeds), "P2P_MDNS": "false",
            "P2P_GOSSIP_INTERVAL_MS": "100", "P2P_ANTI_ENTROPY_INTERVAL_MS": "500", "LOG_LEVEL": "info",
        }
        extra.update(env)
        hub = Hub(self.binary, workdir, extra_env=extra)
        hub.p2p_port, hub.name = p2p_port, name
        self.hubs.append(hub)
        if start:
            hub.start()
            hub.sign_up_admin()
        return hub

    def stop(self):
        for hub in self.hubs:
            if hub.process:
                hub.process.kill()
                hub.process.wait()


@pytest.fixture
def cluster(binary, tmp_path):
    cluster = Cluster(binary, str(tmp_path))
    yield cluster
    cluster.stop()


def note_on(hub, note_id):
    status, body = api(hub, f"/api/v1/notes/{note_id}")
    return body if status == 200 else None


def database_bytes(hub):
    """Everything the hub's SQLite database holds on disk, the write-ahead log included."""
    directory = os.path.join(hub.workdir, "data")
    return b"".join(open(os.path.join(directory, name), "rb").read() for name in os.listdir(directory) if "sqlite" in name)


def peers_of(hub):
    return {peer["name"]: peer for peer in api(hub, "/api/v1/peers")[1]["peers"]}


def test_shared_notes_travel_two_hops_and_concurrent_edits_converge(cluster):
    a = cluster.hub("hub-a")
    b = cluster.hub("hub-b", seeds=[a])
    c = cluster.hub("hub-c", seeds=[b])
    eventually(lambda: peers_of(c).get("hub-b", {}).get("state") == "alive", message="c never reached b")

    status, note = api(a, "/api/v1/notes", "POST", {"title": "Runbook", "content": "Step one.\n", "tags": ["ops"], "shared": True})
    assert status == 201
    copy = eventually(lambda: note_on(c, note["id"]), message="the note never reached hub-c")
    assert copy["title"] == "Runbook" and copy["content"] == "Step one.\n" and copy["author"] == "admin@hub-a"
    assert copy["tags"] == ["ops"] and copy["shared"]

    # Concurrent edits on two hubs, both from version 1: both kept everywhere, one title wins
    # everywhere (by clock, then node id).
    assert api(a, f"/api/v1/notes/{note['id']}", "PATCH",
               {"content": "Step one.\nFrom A.\n", "title": "Runbook (A)", "baseVersion": 1})[0] == 200
    assert api(c, f"/api/v1/notes/{note['id']}", "PATCH",
               {"content": "From C.\nStep one.\n", "title": "Runbook (C)", "baseVersion": 1})[0] == 200

    def converged():
        states = [note_on(hub, note["id"]) for hub in (a, b, c)]
        if any(s is None or s["version"] != 3 for s in states):
            return None
        return states if len({(s["title"], s["content"], tuple(s["tags"])) for s in states}) == 1 else None

    states = eventually(converged, message="the hubs did not converge")
    assert "From A." in states[0]["content"] and "From C." in states[0]["content"] and "Step one." in states[0]["content"]
    assert states[0]["title"] in ("Runbook (A)", "Runbook (C)")

    # Anyone may edit a shared note from any hub; the edit carries its author's hub.
    assert api(b, f"/api/v1/notes/{note['id']}", "PATCH", {"tags": ["ops", "b-was-here"]})[0] == 200
    eventually(lambda: (note_on(a, note["id"]) or {}).get("lastEditor") == "admin@hub-b")

    # Only the owner, on the note's own hub, unshares or deletes it.
    for path, method in [("/unshare", "POST"), ("", "DELETE"), ("/share", "POST")]:
        status, body = api(c, f"/api/v1/notes/{note['id']}{path}", method)
        assert status == 403 and body["error"]["code"] == "forbidden", (path, status, body)

    # The sync log shows what travelled, in the API and in sync_log.json.
    log = api(c, "/api/v1/sync/log?limit=200")[1]["entries"]
    events = {entry["event"] for entry in log}
    assert {"received", "applied", "local"} <= events, events
    assert any(entry["event"] == "conflict" for hub in (a, b, c) for entry in api(hub, "/api/v1/sync/log?limit=500")[1]["entries"])
    mirrored = json.load(open(os.path.join(c.workdir, "community_notes", "sync_log.json")))
    assert any(entry["event"] == "applied" for entry in mirrored)

    # Deleting on the owner's hub reaches the others; so does unsharing.
    status, other = api(a, "/api/v1/notes", "POST", {"title": "Soon private", "content": "x", "shared": True})
    eventually(lambda: note_on(c, other["id"]))
    assert api(a, f"/api/v1/notes/{note['id']}", "DELETE")[0] == 204
    assert api(a, f"/api/v1/notes/{other['id']}/unshare", "POST")[0] == 200
    eventually(lambda: note_on(c, note["id"]) is None and note_on(c, other["id"]) is None,
               message="the delete or the unshare did not reach hub-c")
    assert other["id"] not in json.dumps(api(c, "/api/v1/notes?limit=100")[1])
    # What the owner writes after unsharing stays home.
    assert api(a, f"/api/v1/notes/{other['id']}", "PATCH", {"content": "private again: secret plans"})[0] == 200
    time.sleep(1.5)
    for hub in (b, c):
        assert b"secret plans" not in database_bytes(hub)

    # The Peers page and the metrics.
    status, _, page = c.request("/peers")
    assert status == 200 and b"hub-b" in page and b"alive" in page
    status, _, metrics = c.request("/metrics")
    assert status == 200 and b'streamhub_peers{state="alive"}' in metrics and b"streamhub_sync_changes_applied_total" in metrics


def test_private_notes_never_leave_their_hub(cluster):
    a = cluster.hub("hub-a")
    b = cluster.hub("hub-b", seeds=[a])
    status, private = api(a, "/api/v1/notes", "POST", {"title": "Diary", "content": "only-on-hub-a-3f9c"})
    status, shared = api(a, "/api/v1/notes", "POST", {"title": "Public", "content": "hello", "shared": True})
    eventually(lambda: note_on(b, shared["id"]))
    time.sleep(1.5)  # several anti-entropy rounds
    assert note_on(b, private["id"]) is None
    database = database_bytes(b)
    assert b"only-on-hub-a-3f9c" not in database and private["id"].encode() not in database
    # Shared later, it travels with its whole history.
    assert api(a, f"/api/v1/notes/{private['id']}", "PATCH", {"content": "only-on-hub-a-3f9c, now for everyone"})[0] == 200
    assert api(a, f"/api/v1/notes/{private['id']}/share", "POST")[0] == 200
    copy = eventually(lambda: note_on(b, private["id"]))
    assert copy["version"] == 3 and copy["content"] == "only-on-hub-a-3f9c, now for everyone"
    assert api(b, f"/api/v1/notes/{private['id']}/versions/1")[1]["content"] == "only-on-hub-a-3f9c"


def test_a_stopped_hub_catches_up_when_it_returns(cluster):
    a = cluster.hub("hub-a")
    b = cluster.hub("hub-b", seeds=[a])
    status, first = api(a, "/api/v1/notes", "POST", {"title": "Before", "content": "v1", "shared": True})
    eventually(lambda: note_on(b, first["id"]))
    b.stop()
    made = [api(a, "/api/v1/notes", "POST", {"title": f"While away {i}", "content": f"n{i}", "shared": True})[1]["id"]
            for i in range(25)]
    assert api(a, f"/api/v1/notes/{first['id']}", "PATCH", {"content": "v2 while b was away"})[0] == 200
    b.start()
    eventually(lambda: all(note_on(b, note_id) for note_id in made), message="b did not catch up")
    eventually(lambda: note_on(b, first["id"])["content"] == "v2 while b was away")
    eventually(lambda: peers_of(a).get("hub-b", {}).get("state") == "alive")


def test_a_hub_with_the_wrong_secret_gets_nothing_and_changes_nothing(cluster):
    a = cluster.hub("hub-a")
    intruder = cluster.hub("intruder", seeds=[a], secret="not-the-cluster-secret-0000")
    status, shared = api(a, "/api/v1/notes", "POST", {"title": "Members only", "content": "shared-3b1e", "shared": True})
    status, planted = api(intruder, "/api/v1/notes", "POST", {"title": "Planted", "content": "evil", "shared": True})
    eventually(lambda: any(entry["event"] == "refused" for entry in api(a, "/api/v1/sync/log?limit=100")[1]["entries"]),
               message="hub-a did not log the refused requests")
    time.sleep(1.5)
    assert note_on(intruder, shared["id"]) is None and note_on(a, planted["id"]) is None
    assert "intruder" not in peers_of(a)
    assert peers_of(intruder)["127.0.0.1:%d" % a.p2p_port]["state"] != "alive"
    refused = [entry for entry in api(a, "/api/v1/sync/log?limit=100")[1]["entries"] if entry["event"] == "refused"]
    assert "signature" in refused[0]["summary"]


def test_a_hub_killed_mid_sync_keeps_what_it_acknowledged(cluster):
    a = cluster.hub("hub-a")
    # Two pulls' worth (1,000 notes each), so the kill lands between or inside their transactions.
    total = 1_200
    for i in range(total):
        assert api(a, "/api/v1/notes", "POST", {"title": f"Note {i}", "content": ("line %d\n" % i) * 50, "shared": True})[0] == 201
    fresh = cluster.hub("fresh", seeds=[a])

    def count():
        return api(fresh, "/api/v1/notes?shared=true&limit=1")[1]["total"]

    def versions():
        held = {}
        for offset in range(0, total, 200):
            held.update({item["id"]: item["version"]
                         for item in api(fresh, f"/api/v1/notes?limit=200&offset={offset}")[1]["items"]})
        return held

    eventually(lambda: count() > 0, message="the catch-up never started")
    held = versions()
    fresh.process.send_signal(signal.SIGKILL)
    fresh.process.wait()
    fresh.process = None
    fresh.start()
    after = versions()
    assert all(note_id in after and after[note_id] >= version for note_id, version in held.items()), "lost acknowledged notes"
    print(f"killed holding {len(held)} of {total} notes")
    eventually(lambda: count() == total, timeout=60, message="the restarted hub did not finish catching up")


def test_peers_are_added_by_api_and_command_line_and_bad_input_is_refused(cluster):
    a = cluster.hub("hub-a")
    b = cluster.hub("hub-b")
    c = cluster.hub("hub-c")
    status, peer = api(a, "/api/v1/peers", "POST", {"name": "bee", "address": f"127.0.0.1:{b.p2p_port}"})
    assert status == 201 and peer["name"] == "bee"
    eventually(lambda: peers_of(a).get("bee", {}).get("state") == "alive")
    out = c.cli("peers", "add", "a-hub", f"127.0.0.1:{a.p2p_port}", env={"STREAMHUB_URL": c.url, "STREAMHUB_TOKEN": c.token})
    assert "a-hub" in out.stdout
    # c learns b from a's membership list.
    eventually(lambda: "hub-b" in peers_of(c) or "bee" in peers_of(c), message="membership lists did not spread")
    listed = c.cli("peers", "list", env={"STREAMHUB_URL": c.url, "STREAMHUB_TOKEN": c.token}).stdout
    assert "a-hub" in listed and "alive" in listed

    for body in [{"name": "x", "address": "no-port"}, {"name": "", "address": "127.0.0.1:1"},
                 {"name": "x", "address": "127.0.0.1:99999"}, {"address": "127.0.0.1:1"}]:
        status, answer = api(a, "/api/v1/peers", "POST", body)
        assert status == 400 and answer["error"]["code"], (body, status, answer)
    a.add_user("member", "member-password")
    member = a.create_token("member")
    status, answer = api(a, "/api/v1/peers", "POST", {"name": "x", "address": "127.0.0.1:1"}, token=member)
    assert status == 403 and answer["error"]["code"] == "admin_only"
    assert api(a, "/api/v1/peers", token="")[0] == 401
    assert api(a, "/api/v1/sync/log?limit=0")[0] == 400
    bad = c.cli("peers", "add", "x", "nonsense", check=False, env={"STREAMHUB_URL": c.url, "STREAMHUB_TOKEN": c.token})
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "host:port" in bad.stderr


def test_the_peers_api_refuses_oversized_and_malformed_bodies(cluster):
    a = cluster.hub("hub-a")
    headers = {"Content-Type": "application/json"}
    huge = json.dumps({"name": "x" * (2 << 20), "address": "127.0.0.1:1"}).encode()
    status, _, raw = a.request("/api/v1/peers", "POST", headers, huge)
    assert status == 413 and json.loads(raw)["error"]["code"] == "payload_too_large"
    status, _, raw = a.request("/api/v1/peers", "POST", headers, b'{"name": "x", "addr')
    assert status == 400 and json.loads(raw)["error"]["code"] == "invalid_json"
    assert peers_of(a) == {}


def peer_post(hub, path, body, headers):
    """(status, JSON body) of a raw request to a hub's peer port."""
    import urllib.error
    import urllib.request
    request = urllib.request.Request(f"http://127.0.0.1:{hub.p2p_port}{path}", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def peer_headers(path, body, timestamp=None, nonce=None, secret=SECRET, node="ab" * 16):
    """The signature headers of DESIGN.md's peer protocol, made as any client holding the secret would."""
    import hashlib
    import hmac
    import secrets
    key = hmac.new(b"\0" * 32, secret.encode(), hashlib.sha256).digest()  # HKDF-extract, no salt
    key = hmac.new(key, b"streamhub peer request v1\x01", hashlib.sha256).digest()  # HKDF-expand, one block
    timestamp = str(timestamp if timestamp is not None else int(time.time() * 1000))
    nonce = nonce or secrets.token_hex(16)
    digest = hashlib.sha256(body).hexdigest()
    canonical = "\n".join(["streamhub-p2p-v1", "POST", path, node, timestamp, nonce, digest])
    return {"Stream-Hub-Node": node, "Stream-Hub-Timestamp": timestamp, "Stream-Hub-Nonce": nonce,
            "Stream-Hub-Signature": hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest(),
            "Stream-Hub-Content-SHA256": digest, "Content-Type": "application/json"}


def test_the_peer_port_refuses_unsigned_stale_and_malformed_requests(cluster):
    a = cluster.hub("hub-a")

    def post(body, headers):
        return peer_post(a, "/p2p/v1/hello", body, headers)

    def signed(body, timestamp=None):
        return peer_headers("/p2p/v1/hello", body, timestamp=timestamp)

    hello = json.dumps({"node": "ab" * 16, "name": "probe", "port": 1, "members": []}).encode()
    status, body = post(hello, {"Content-Type": "application/json"})
    assert status == 401 and body["error"]["code"] == "peer_refused"
    status, body = post(hello, signed(hello, timestamp=int(time.time() * 1000) - 600_000))
    assert status == 401 and "window" in body["error"]["message"]
    headers = signed(hello)
    assert post(hello, headers)[0] == 200
    status, body = post(hello, headers)
    assert status == 401 and "replay" in body["error"]["message"]
    status, body = post(b'{"node": 1', signed(b'{"node": 1'))
    assert status == 400 and body["error"]["code"] == "invalid_json"
    status, body = post(hello + b" ", signed(hello))
    assert status == 401 and "signature" in body["error"]["message"]


def test_the_peer_port_refuses_oversized_misshapen_and_interrupted_requests(cluster):
    import http.client
    import socket
    import uuid
    a = cluster.hub("hub-a")

    def signed_post(path, payload):
        body = json.dumps(payload).encode()
        return peer_post(a, path, body, peer_headers(path, body))

    # Too many notes in one pull or one gossip request: 413, with the limit named.
    status, body = signed_post("/p2p/v1/pull", {"notes": [{"note": str(uuid.uuid4()), "have": {}} for _ in range(1_001)]})
    assert status == 413 and body["error"]["code"] == "pull_too_large"
    status, body = signed_post("/p2p/v1/gossip", {"batches": [{"note": str(uuid.uuid4()), "base": {}, "changes": []}
                                                              for _ in range(5_001)]})
    assert status == 413 and body["error"]["code"] == "batch_too_large"
    # A body declared larger than a peer request may be is refused before it is read.
    connection = http.client.HTTPConnection("127.0.0.1", a.p2p_port, timeout=10)
    connection.putrequest("POST", "/p2p/v1/gossip")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(200 << 20))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413 and json.loads(response.read())["error"]["code"] == "payload_too_large"
    connection.close()
    # A signed batch of the wrong shape, and a vector naming something that is not a node: 400.
    for payload in [{"batches": [{"note": "not-a-note"}]}, {"batches": [{"note": str(uuid.uuid4()), "base": {"x": 1}, "changes": []}]}]:
        status, body = signed_post("/p2p/v1/gossip", payload)
        assert status == 400 and body["error"]["code"] == "invalid_json", payload

    # A gossip request cut off mid-body changes nothing, and the hub carries on.
    status, note = api(a, "/api/v1/notes", "POST", {"title": "Before", "content": "kept", "shared": True})
    batch = {"batches": [{"note": str(uuid.uuid4()), "base": {}, "changes": [
        {"note": "x", "stamp": {"clock": 1, "node": "cd" * 16}, "author": "x@y", "operations": [{"title": "planted"}]}]}]}
    body = json.dumps(batch).encode()
    headers = peer_headers("/p2p/v1/gossip", body)
    with socket.create_connection(("127.0.0.1", a.p2p_port), timeout=10) as raw:
        head = "POST /p2p/v1/gossip HTTP/1.1\r\nHost: hub\r\nContent-Length: %d\r\n" % len(body)
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        raw.sendall(head.encode() + body[: len(body) // 2])
    time.sleep(0.5)
    assert api(a, "/healthz")[0] == 200
    listing = api(a, "/api/v1/notes?limit=100")[1]
    assert [item["title"] for item in listing["items"]] == ["Before"]
    assert api(a, f"/api/v1/notes/{note['id']}")[1]["version"] == 1


@pytest.mark.parametrize("env, setting", [
    ({"HUB_HOST": "0.0.0.0"}, "P2P_SECRET"),
    ({"P2P_PEERS": "127.0.0.1:6881,nonsense"}, "P2P_PEERS"),
    ({"P2P_SECRET": "short"}, "P2P_SECRET"),
    ({"P2P_FANOUT": "0"}, "P2P_FANOUT"),
    ({"P2P_BLOCK_CACHE_BYTES": "4096"}, "P2P_BLOCK_CACHE_BYTES"),
    ({"P2P_PORT": "same"}, "P2P_PORT"),
])
def test_bad_peer_settings_stop_the_hub_with_one_line(binary, tmp_path, env, setting):
    hub = Hub(binary, str(tmp_path), extra_env={"P2P_ENABLED": "true", "P2P_PORT": str(free_port())})
    hub.env.update(env)
    if env.get("P2P_PORT") == "same":
        hub.env["P2P_PORT"] = hub.env["HUB_PORT"]
    result = hub.cli("serve", check=False)
    assert result.returncode == 78 and setting in result.stderr and result.stderr.count("\n") == 1, result.stderr
