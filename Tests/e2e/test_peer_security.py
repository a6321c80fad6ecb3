"""Issue 13 on the peer port and the notes import, against real hubs: an unsigned body is never
read, a signed peer cannot act as this hub or as a note's home, cannot bring what the API would
refuse, cannot make a tiny change cost minutes, cannot teach unbounded members, and its refusals
do not flood the sync log; `notes import` obeys the same rules."""
import json
import os
import socket
import time
import uuid

from helpers import api, eventually
from test_peers import Cluster, cluster, peer_headers, peer_post  # noqa: F401  (cluster is a fixture)

OTHER = "ab" * 16  # the node the test's signed requests come from (peer_headers' default)


def node_of(hub):
    return api(hub, "/api/v1/peers")[1]["node"]


def gossip(hub, batches):
    body = json.dumps({"batches": batches}).encode()
    return peer_post(hub, "/p2p/v1/gossip", body, peer_headers("/p2p/v1/gossip", body))


def history(hub, note_id):
    """The note's stamps as the peer protocol's version vector, from a signed pull."""
    body = json.dumps({"notes": [{"note": note_id, "have": {}}]}).encode()
    status, answer = peer_post(hub, "/p2p/v1/pull", body, peer_headers("/p2p/v1/pull", body))
    assert status == 200
    vector = {}
    for batch in answer["batches"]:
        for change in batch["changes"]:
            node, clock = change["stamp"]["node"], change["stamp"]["clock"]
            vector[node] = max(vector.get(node, 0), clock)
    return vector


def stamp(node, offset_ms=0):
    return {"clock": (int(time.time() * 1000) + offset_ms) << 16, "node": node}


def test_unsigned_bodies_are_never_read(cluster):
    a = cluster.hub("hub-a")
    before = a.rss_bytes()
    answers = []
    # The finding: six unsigned 120 MB gossip bodies, each short of its last byte, took 738 MB.
    for _ in range(6):
        connection = socket.create_connection(("127.0.0.1", a.p2p_port), timeout=15)
        connection.sendall(b"POST /p2p/v1/gossip HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 125829120\r\n\r\n" + b"{" * (4 << 20))
        connection.settimeout(10)
        answers.append(connection.recv(4096).split(b"\r\n")[0])
        connection.close()
    assert all(b" 401 " in answer for answer in answers), answers
    assert a.rss_bytes() - before < 64 << 20, f"RSS grew by {(a.rss_bytes() - before) >> 20} MB"
    assert a.request("/healthz")[0] == 200


def test_a_peer_cannot_act_as_this_hub_or_a_notes_home(cluster):
    a = cluster.hub("hub-a")
    own = node_of(a)
    _, shared = api(a, "/api/v1/notes", "POST", {"title": "Team plan", "content": "shared text", "shared": True})
    _, private = api(a, "/api/v1/notes", "POST", {"title": "Diary", "content": "private text"})
    base = history(a, shared["id"])
    # Stamped with the receiving hub's own node id: unshare, delete; then a reshare of a private note.
    for note, operation in [(shared["id"], {"shared": False}), (shared["id"], {"deleted": True}), (private["id"], {"shared": True})]:
        change = {"note": note, "stamp": stamp(own, 5), "author": "admin@hub-a", "operations": [operation]}
        status, receipt = gossip(a, [{"note": note, "base": base if note == shared["id"] else {}, "changes": [change]}])
        assert status == 200 and receipt["applied"] == 0, (operation, receipt)
    # From another node: sharing a private note, or any change to it, is refused too.
    for operation in [{"shared": True}, {"title": "Read me"}]:
        change = {"note": private["id"], "stamp": stamp(OTHER, 10), "author": "mallory@elsewhere", "operations": [operation]}
        status, receipt = gossip(a, [{"note": private["id"], "base": {}, "changes": [change]}])
        assert status == 200 and receipt["applied"] == 0
    assert api(a, f"/api/v1/notes/{shared['id']}")[1]["shared"] is True
    assert api(a, f"/api/v1/notes/{private['id']}")[1]["shared"] is False
    body = json.dumps({"notes": [{"note": private["id"], "have": {}}]}).encode()
    assert peer_post(a, "/p2p/v1/pull", body, peer_headers("/p2p/v1/pull", body))[1]["batches"] == []
    log = api(a, "/api/v1/sync/log?limit=100")[1]["entries"]
    assert sum(entry["event"] == "refused" for entry in log) >= 5


def test_a_peer_cannot_bring_what_the_api_refuses(cluster):
    a = cluster.hub("hub-a")
    own_name = "hub-a"
    cases = {
        "a 1 MB title with a newline": [{"title": "t" * (1 << 20) + "\nsecond"}],
        "20,000 tags": [{"title": "Tags"}, {"tags": [f"t{i}" for i in range(20_000)]}],
        "5 MB of content": [{"title": "Big"}, {"text": {"id": OTHER[:16].lstrip("0") + ":0", "text": "x" * (5 << 20)}}],
        "a NUL in a title": [{"title": "nul\u0000"}],
    }
    authors = {"a 100 KB author": "a" * 100_000 + "@elsewhere", "this hub's own name": f"admin@{own_name}"}
    for name, operations in cases.items():
        note = str(uuid.uuid4())
        change = {"note": note, "stamp": stamp(OTHER), "author": "bob@elsewhere", "operations": operations}
        status, receipt = gossip(a, [{"note": note, "base": {}, "changes": [change]}])
        assert status == 200 and receipt["applied"] == 0, name
        assert api(a, f"/api/v1/notes/{note}")[0] == 404, name
    for name, author in authors.items():
        note = str(uuid.uuid4())
        change = {"note": note, "stamp": stamp(OTHER), "author": author, "operations": [{"title": "Hello"}, {"shared": True}]}
        status, receipt = gossip(a, [{"note": note, "base": {}, "changes": [change]}])
        assert status == 200 and receipt["applied"] == 0, name
        assert api(a, f"/api/v1/notes/{note}")[0] == 404, name


def test_one_small_change_costs_no_more_than_the_note_holds(cluster):
    a = cluster.hub("hub-a")
    note = str(uuid.uuid4())
    replica = OTHER[:16].lstrip("0")
    created = {"note": note, "stamp": stamp(OTHER), "author": "bob@elsewhere",
               "operations": [{"title": "Doc"}, {"shared": True}, {"text": {"id": f"{replica}:0", "text": "hello"}}]}
    status, receipt = gossip(a, [{"note": note, "base": {}, "changes": [created]}])
    assert status == 200 and receipt["applied"] == 1
    # The finding: a 300-byte deletion of 0...250,000,000 took 53 s of CPU.
    delete = {"note": note, "stamp": stamp(OTHER, 5), "author": "bob@elsewhere",
              "operations": [{"text": {"replica": replica, "from": 0, "to": 250_000_000}}]}
    started = time.monotonic()
    status, receipt = gossip(a, [{"note": note, "base": {OTHER: created["stamp"]["clock"]}, "changes": [delete]}])
    assert status == 200 and receipt["applied"] == 0
    assert time.monotonic() - started < 9, "answered well within the client's timeout"
    assert api(a, f"/api/v1/notes/{note}")[1]["content"] == "hello"


def test_what_a_peer_teaches_and_how_often_it_is_refused_are_bounded(cluster):
    a = cluster.hub("hub-a")
    # The finding: three signed hellos taught 3,000 members, each then probed (loopback addresses
    # here, where nothing listens).
    for sender in range(3):
        members = [{"node": uuid.uuid4().hex, "name": f"m{sender}-{i}", "address": f"127.{sender + 1}.{i // 250}.{i % 250 + 1}:6881"}
                   for i in range(1_000)]
        hello = json.dumps({"node": OTHER, "name": "teacher", "port": 1, "host": "127.0.0.1", "members": members}).encode()
        status, _ = peer_post(a, "/p2p/v1/hello", hello, peer_headers("/p2p/v1/hello", hello))
        assert status in (200, 400)
    assert len(api(a, "/api/v1/peers")[1]["peers"]) <= 256 + 1
    bad = json.dumps({"node": OTHER, "name": "x\n" * 10, "port": 70000, "members": []}).encode()
    assert peer_post(a, "/p2p/v1/hello", bad, peer_headers("/p2p/v1/hello", bad))[0] == 400
    # The finding: 2,000 unsigned requests wrote 2,000 rows to the sync log.
    for _ in range(300):
        peer_post(a, "/p2p/v1/hello", b"{}", {"Content-Type": "application/json"})
    refused = [entry for entry in api(a, "/api/v1/sync/log?limit=1000")[1]["entries"] if entry["event"] == "refused"]
    assert 1 <= len(refused) <= 3, len(refused)


def test_notes_import_obeys_the_same_rules(cluster, tmp_path):
    a = cluster.hub("hub-a")
    a.add_user("alice", "alice-password")
    alice = a.create_token("alice")
    _, private = api(a, "/api/v1/notes", "POST", {"title": "Alice's diary", "content": "private"}, token=alice)
    own = node_of(a)
    out = tmp_path / "crafted" / "notes"
    out.mkdir(parents=True)
    forged = {"note": private["id"], "stamp": stamp(own, 5), "author": "admin@hub-a", "operations": [{"shared": True}]}
    base = {"id": private["id"], "title": "Alice's diary", "content": "private", "tags": [], "shared": True, "version": 2,
            "author": "alice@hub-a", "lastEditor": "admin@hub-a", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}
    (out / "with-history.json").write_text(json.dumps(dict(base, changes=[forged])))
    (out / "snapshot.json").write_text(json.dumps(base))
    # And a new note that claims this hub's admin wrote it, from elsewhere.
    fake = str(uuid.uuid4())
    fake_change = {"note": fake, "stamp": stamp(OTHER), "author": "admin@hub-a", "operations": [{"title": "From the admin"}, {"shared": True}]}
    (out / "fake.json").write_text(json.dumps(dict(base, id=fake, changes=[fake_change])))
    result = a.cli("notes", "import", str(tmp_path / "crafted"), check=False)
    assert result.returncode == 1 and "0 new change" in result.stdout, result.stdout + result.stderr
    for name, reason in [("with-history.json", "this hub's node id"), ("snapshot.json", "private on this hub"), ("fake.json", "claims to be from this hub")]:
        assert f"skipped {name}" in result.stderr and reason in result.stderr, (name, result.stderr)
    status, note = api(a, f"/api/v1/notes/{private['id']}", token=alice)
    assert status == 200 and note["shared"] is False and note["version"] == 1
    assert api(a, f"/api/v1/notes/{fake}")[0] == 404


def test_the_peer_port_closes_connections_that_stop_sending(cluster):
    a = cluster.hub("hub-a", HTTP_HEADER_TIMEOUT_SECONDS="1", HTTP_BODY_TIMEOUT_SECONDS="1", HTTP_IDLE_TIMEOUT_SECONDS="2")
    body = json.dumps({"node": OTHER, "name": "slow", "port": 1, "members": []}).encode()
    signed = peer_headers("/p2p/v1/hello", body)
    head = "POST /p2p/v1/hello HTTP/1.1\r\nHost: hub\r\nContent-Length: %d\r\n" % len(body)
    head += "".join(f"{name}: {value}\r\n" for name, value in signed.items()) + "\r\n"
    openings = [b"", b"POST /p2p/v1/hello HTTP/1.1\r\nHost: hub\r\n", head.encode() + body[:10]]
    connections = []
    for opening in openings:
        connection = socket.create_connection(("127.0.0.1", a.p2p_port), timeout=15)
        if opening:
            connection.sendall(opening)
        connections.append(connection)
    for connection, name in zip(connections, ["idle", "half headers", "half a signed body"]):
        connection.settimeout(6)
        try:
            while connection.recv(65536):
                pass
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise AssertionError(f"{name}: the peer port kept the connection open")
        connection.close()


def test_two_hubs_with_one_name_say_so_instead_of_refusing_each_other_quietly(cluster):
    a = cluster.hub("twin-a", P2P_NODE_NAME="twin")
    b = cluster.hub("twin-b", seeds=[a], P2P_NODE_NAME="twin")

    def told():
        peers = api(b, "/api/v1/peers")[1]["peers"]
        return [p for p in peers if "P2P_NODE_NAME must differ" in (p.get("lastError") or "")]
    assert eventually(told, timeout=20), api(b, "/api/v1/peers")[1]
    assert eventually(lambda: any("P2P_NODE_NAME must differ" in entry["summary"] and entry["event"] == "refused"
                                  for entry in api(a, "/api/v1/sync/log?limit=50")[1]["entries"]), timeout=20)
