"""Hubs on PostgreSQL (`DATABASE_URL=postgres://…`): start-up checks, several instances migrating
one database at once, and a database that goes away and comes back while hubs run."""
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT
from helpers import eventually, processed
from hubbench import Hub

sys.path.insert(0, os.path.join(ROOT, "scripts"))
from postgres_server import running  # noqa: E402


@pytest.fixture(scope="module")
def postgres():
    with running() as server:
        yield server


def serve_once(binary, tmp_path, database_url, **env):
    base = {"HUB_DATA_DIR": str(tmp_path / "data"), "UPLOAD_DIR": str(tmp_path / "up"), "HUB_PORT": "0",
            "DATABASE_URL": database_url}
    base.update(env)
    return subprocess.run([binary, "serve"], capture_output=True, text=True, timeout=30, cwd=tmp_path, env=dict(os.environ, **base))


def test_a_database_that_cannot_be_used_stops_the_hub_with_one_line(binary, postgres, tmp_path):
    role = postgres.create_role("hubuser", "right-password")
    database = postgres.create_database(owner="hubuser").rsplit("/", 1)[1]
    port = postgres.port
    for url, env, words in [
        ("postgres://hubuser@", {}, "must look like postgres://"),
        ("mysql://hubuser:x@127.0.0.1/hub", {}, "'mysql' databases are not supported"),
        (f"postgres://hubuser:wrong-password@127.0.0.1:{port}/{database}", {}, "refused user 'hubuser'"),
        (f"{role}/no_such_database", {}, "no database named 'no_such_database'"),
        (f"{role}/{database}", {"DATABASE_POOL_SIZE": "0"}, "DATABASE_POOL_SIZE"),
        (f"{role}/{database}?sslmode=sometimes", {}, "sslmode"),
        # Nothing listens there.
        (f"postgres://hubuser:x@127.0.0.1:{port + 1 if port < 65535 else port - 1}/{database}", {}, "cannot reach PostgreSQL"),
    ]:
        out = serve_once(binary, tmp_path, url, **env)
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 78, (url, out.stderr)
        assert len(lines) == 1 and words in lines[0], (url, out.stderr)
        assert ("DATABASE_POOL_SIZE" if env else "DATABASE_URL") in lines[0]
        assert "right-password" not in out.stderr and "wrong-password" not in out.stderr, "the password is never printed"
    # The same database, used rightly, serves.
    (tmp_path / "good").mkdir()
    hub = Hub(binary, str(tmp_path / "good"), extra_env={"DATABASE_URL": f"{role}/{database}"})
    hub.start()
    hub.sign_up_admin()
    assert hub.request("/api/v1/videos")[0] == 200
    hub.stop()


def test_three_instances_starting_at_once_migrate_once(binary, postgres, tmp_path):
    url = postgres.create_database()
    for index in range(3):
        (tmp_path / f"instance{index}").mkdir()
    hubs = [Hub(binary, str(tmp_path / f"instance{index}"), extra_env={"DATABASE_URL": url, "LOG_LEVEL": "info"}) for index in range(3)]
    threads = [threading.Thread(target=hub.start) for hub in hubs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        for hub in hubs:
            assert hub.request("/readyz", token="")[0] == 200
        database = url.rsplit("/", 1)[1]
        versions = postgres.sql("SELECT version FROM schema_migration ORDER BY version", database).split()
        assert versions == sorted(set(versions)) and versions[0] == "1", versions
        migrated = sum(open(hub.log_path).read().count("database migrated") for hub in hubs)
        assert migrated == len(versions), "each migration ran on one instance only"
        # They are one hub: an account made through one signs in through another.
        hubs[0].sign_up_admin()
        hubs[1].token = hubs[0].token
        assert hubs[1].request("/api/v1/me")[0] == 200
    finally:
        for hub in hubs:
            hub.stop()


def test_a_database_outage_answers_503_then_the_hub_recovers_by_itself(binary, tmp_path):
    with running() as server:
        hub = Hub(binary, str(tmp_path), extra_env={"DATABASE_URL": server.create_database(), "LOG_LEVEL": "error"})
        hub.start()
        try:
            hub.sign_up_admin()
            saved = []
            for index in range(5):
                status, _, body = hub.request("/api/v1/notes", method="POST", headers={"Content-Type": "application/json"},
                                              data=json.dumps({"title": f"before {index}", "content": "kept"}).encode())
                assert status == 201
                saved.append(json.loads(body)["id"])

            server.stop()
            started = time.monotonic()
            status, _, body = hub.request("/api/v1/notes")
            assert status == 503, body
            error = json.loads(body)["error"]
            assert error["code"] == "database_unavailable" and error["message"]
            assert time.monotonic() - started < 15, "answered within the statement deadline"
            status, _, body = hub.request("/readyz", token="")
            assert status == 503 and json.loads(body)["checks"]["database"] != "ok"
            status, _, _ = hub.request("/api/v1/notes", method="POST", headers={"Content-Type": "application/json"},
                                       data=json.dumps({"title": "during", "content": "refused"}).encode())
            assert status == 503
            assert hub.process.poll() is None, "the hub keeps running"

            server.start()
            eventually(lambda: hub.request("/readyz", token="")[0] == 200, timeout=60, message="the hub did not recover")
            status, _, body = hub.request("/api/v1/notes?limit=50")
            assert status == 200
            listed = {item["id"] for item in json.loads(body)["items"]}
            assert set(saved) <= listed, "every note acknowledged before the outage is there"
            assert not any(item["title"] == "during" for item in json.loads(body)["items"])
            status, _, _ = hub.request("/api/v1/notes", method="POST", headers={"Content-Type": "application/json"},
                                       data=json.dumps({"title": "after", "content": "saved"}).encode())
            assert status == 201
        finally:
            hub.stop()


def instances(binary, tmp_path, database_url, count, first=0, sign_up=True, **env):
    """`count` hubs on one database and one key. With local storage they share one UPLOAD_DIR (a
    mount they would all share); with S3 each has its own, and shares only the bucket."""
    shared = {"DATABASE_URL": database_url, "HUB_SECRET_KEY": "one key for every instance of this deployment", **env}
    hubs = []
    for index in range(first, first + count):
        workdir = tmp_path / f"instance{index}"
        workdir.mkdir()
        own = {"UPLOAD_DIR": str(workdir / "uploads") if env.get("STORAGE_BACKEND") == "s3" else str(tmp_path / "shared-uploads")}
        hubs.append(Hub(binary, str(workdir), extra_env={**shared, **own}))
    for hub in hubs:
        hub.start()
    if sign_up:
        hubs[0].sign_up_admin()
        for hub in hubs[1:]:
            hub.token = hubs[0].token
    return hubs


def upload_locks_held(postgres, database_url):
    return int(postgres.sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted", database_url.rsplit("/", 1)[1]))


@pytest.mark.parametrize("storage", ["shared disk", "s3"])
def test_an_upload_continues_on_any_instance_and_survives_one_killed(binary, postgres, moto, tmp_path, storage):
    """With local storage the bytes wait on a disk every instance mounts; with S3 they wait in the
    bucket as multipart parts and a tail object, and the instances share no disk at all."""
    import hashlib
    from conftest import fake_mp4
    from helpers import RawPatch, create_upload, finish_upload, head_offset, path_of, tus_headers
    database = postgres.create_database()
    hubs = instances(binary, tmp_path, database, 3, **(moto[0] if storage == "s3" else {}))
    try:
        # Past two 8 MiB parts, so requests on different instances fill one part between them.
        data = fake_mp4(20_000_000, seed=15)
        location = path_of(create_upload(hubs[0], len(data), {"filename": "many.mp4", "title": "Across instances"}))
        # PATCHes to the three instances in turn: each continues what the one before received.
        offset, chunk, turn = 0, 3_000_000, 0
        while offset < 12_000_000:
            hub = hubs[turn % 3]
            status, headers, body = hub.request(location, "PATCH", tus_headers(
                Upload_Offset=str(offset), Content_Type="application/offset+octet-stream"), data[offset:offset + chunk])
            assert status == 204, body
            offset = int(headers["Upload-Offset"])
            assert all(head_offset(other, location)[1] == offset for other in hubs), "every instance sees the offset"
            turn += 1

        # A PATCH held open on instance 1 holds the upload: instance 2 is told to wait (423). Once
        # instance 1 is writing (the shared partial file grows), a PATCH on instance 2 is refused.
        held = RawPatch(hubs[1], location, offset, len(data) - offset)
        held.send(data[offset:offset + 1_500_000])  # more than the writer gathers before writing (1 MiB)
        if storage == "s3":
            eventually(lambda: upload_locks_held(postgres, database) > 0, timeout=10, message="instance 1 did not take the upload")
        else:
            partial = tmp_path / "shared-uploads" / ".incoming" / (location.rsplit("/", 1)[1] + ".part")
            eventually(lambda: partial.stat().st_size > offset, timeout=10, message="instance 1 did not start writing")
        status, _, body = hubs[2].request(location, "PATCH", tus_headers(
            Upload_Offset=str(offset), Content_Type="application/offset+octet-stream"), b"x")
        assert status == 423 and json.loads(body)["error"]["code"] == "upload_locked", body

        # Instance 1 dies mid-PATCH: what it had not acknowledged is lost, nothing else, and
        # instance 2 finishes the upload at once (the dead instance's lock went with it).
        hubs[1].process.kill()
        hubs[1].process.wait()
        hubs[1].process = None
        held.abort()
        status, resumed, _ = eventually(lambda: (lambda answer: answer if answer[0] == 200 else None)(head_offset(hubs[2], location)))
        assert resumed >= offset, "nothing acknowledged was lost"
        video_id = eventually(lambda: _try_finish(hubs[2], location, resumed, data), timeout=15,
                              message="the upload could not be finished on another instance")
        # Processed by whichever instance claims its job (its scratch copy is gone after).
        assert processed(hubs[0], video_id)["sha256"] == hashlib.sha256(data).hexdigest()
        # Finishing again, on any instance, names the same video.
        status, headers, _ = hubs[0].request(location, "PATCH", tus_headers(
            Upload_Offset=str(len(data)), Content_Type="application/offset+octet-stream"), b"")
        assert status == 204 and headers["Stream-Hub-Video-Id"] == video_id
        status, _, body = hubs[2].request(f"/api/v1/videos/{video_id}/stream")
        assert status == 200 and body == data
        if storage == "s3":
            s3 = moto[1]
            assert not s3.list_multipart_uploads(Bucket="videos").get("Uploads"), "no parts are left to be billed for"
            assert not s3.list_objects_v2(Bucket="videos", Prefix="upload-").get("Contents"), "no tail is left"
            assert not [p for i in range(3) for p in (tmp_path / f"instance{i}" / "uploads" / ".incoming").glob("*")], "no staging file on any instance"
    finally:
        for hub in hubs:
            hub.stop()


def test_expired_uploads_in_s3_are_swept_once_and_their_parts_aborted(binary, postgres, moto, tmp_path):
    """An upload left half done expires; the instances started afterwards sweep it (each sweeps at
    start), one of them removes it, and its parts and tail are gone from the bucket."""
    from conftest import fake_mp4
    from helpers import create_upload, head_offset, path_of, tus_headers
    env, s3 = moto
    database = postgres.create_database()
    [hub] = instances(binary, tmp_path, database, 1, UPLOAD_EXPIRY_SECONDS="2", LOG_LEVEL="info", **env)
    others = []
    try:
        data = fake_mp4(10_000_000, seed=16)
        location = path_of(create_upload(hub, len(data), {"filename": "left.mp4"}))
        status, _, body = hub.request(location, "PATCH", tus_headers(
            Upload_Offset="0", Content_Type="application/offset+octet-stream"), data[:9_000_000])
        assert status == 204, body
        upload_id = location.rsplit("/", 1)[1]
        assert [u["Key"] for u in s3.list_multipart_uploads(Bucket="videos").get("Uploads", [])
                if u["UploadId"] == postgres.sql(f"SELECT multipart_upload_id FROM upload WHERE id = '{upload_id}'",
                                                 database.rsplit("/", 1)[1]).strip()], "a part is in S3"
        assert s3.list_objects_v2(Bucket="videos", Prefix=f"upload-{upload_id}.").get("KeyCount") == 1, "and a tail"
        time.sleep(2.5)
        others = instances(binary, tmp_path, database, 2, first=1, sign_up=False, UPLOAD_EXPIRY_SECONDS="2", LOG_LEVEL="info", **env)
        eventually(lambda: head_offset(hub, location)[0] == 404 or None, timeout=15, message="the upload was not swept")
        eventually(lambda: not s3.list_multipart_uploads(Bucket="videos").get("Uploads") or None, timeout=10,
                   message="the parts were not aborted")
        assert not s3.list_objects_v2(Bucket="videos", Prefix=f"upload-{upload_id}.").get("Contents")
        removed = sum(open(h.log_path, errors="replace").read().count("expired uploads removed") for h in [hub, *others])
        assert removed == 1, f"swept {removed} times"
    finally:
        for h in [hub, *others]:
            h.stop()


def _try_finish(hub, location, offset, data):
    from helpers import tus_headers
    status, headers, _ = hub.request(location, "PATCH", tus_headers(
        Upload_Offset=str(offset), Content_Type="application/offset+octet-stream"), data[offset:])
    return headers["Stream-Hub-Video-Id"] if status == 204 else None


def test_changes_on_one_instance_reach_the_others_caches_at_once(binary, postgres, tmp_path):
    """Each instance keeps accounts, tokens and videos in memory for seconds; a token revoked, an
    account disabled or a video unshared on one instance is refused or hidden by all within a
    second, through PostgreSQL's NOTIFY."""
    from conftest import fake_mp4
    hubs = instances(binary, tmp_path, postgres.create_database(), 3)
    json_headers = {"Content-Type": "application/json"}
    try:
        # A second token, used on every instance (now in their caches), then revoked on one.
        status, _, body = hubs[0].request("/api/v1/tokens", "POST", json_headers, json.dumps({"label": "ci"}).encode())
        assert status == 201, body
        token = json.loads(body)
        for hub in hubs:
            assert hub.request("/api/v1/me", token=token["token"])[0] == 200
        assert hubs[0].request(f"/api/v1/tokens/{token['id']}", "DELETE")[0] == 204
        started = time.monotonic()
        eventually(lambda: all(hub.request("/api/v1/me", token=token["token"])[0] == 401 for hub in hubs[1:]),
                   timeout=1, message="a revoked token was still accepted by another instance after a second")

        # A member's account, used everywhere, then disabled on one instance.
        hubs[0].add_user("bob", "bob-password")
        bob = hubs[0].create_token("bob")
        for hub in hubs:
            assert hub.request("/api/v1/me", token=bob)[0] == 200
        status, _, body = hubs[0].request("/api/v1/users", token=None)
        bob_id = next(user["id"] for user in json.loads(body)["items"] if user["name"] == "bob")

        # A shared video bob watches through instance 2, unshared on instance 0.
        from helpers import create_upload, finish_upload
        data = fake_mp4(200_000, seed=3)
        video_id = finish_upload(hubs[0], create_upload(hubs[0], len(data), {"filename": "shared.mp4"}), 0, data)
        assert hubs[0].request(f"/api/v1/videos/{video_id}", "PATCH", json_headers, json.dumps({"shared": True}).encode())[0] == 200
        assert hubs[2].request(f"/api/v1/videos/{video_id}", token=bob)[0] == 200
        assert hubs[1].request(f"/api/v1/videos/{video_id}", "PATCH", json_headers, json.dumps({"shared": False}).encode())[0] == 200
        eventually(lambda: hubs[2].request(f"/api/v1/videos/{video_id}", token=bob)[0] == 404,
                   timeout=1, message="an unshared video was still shown by another instance after a second")

        assert hubs[1].request(f"/api/v1/users/{bob_id}", "PATCH", json_headers, json.dumps({"disabled": True}).encode())[0] == 200
        eventually(lambda: all(hub.request("/api/v1/me", token=bob)[0] == 401 for hub in hubs),
                   timeout=1, message="a disabled account was still accepted by another instance after a second")
        assert time.monotonic() - started < 30
    finally:
        for hub in hubs:
            hub.stop()


def test_sign_in_guesses_spread_over_instances_are_throttled_as_on_one(binary, postgres, tmp_path):
    hubs = instances(binary, tmp_path, postgres.create_database(), 3)
    try:
        hubs[0].add_user("carol", "carol-password")

        def attempt(hub, password):
            return hub.request("/api/v1/session", "POST", {"Content-Type": "application/json"},
                               json.dumps({"name": "carol", "password": password}).encode(), token="")

        # Five wrong guesses (the per-account limit), each on the next instance.
        for guess in range(5):
            assert attempt(hubs[guess % 3], f"guess {guess}")[0] == 401
        for hub in hubs:
            status, headers, body = attempt(hub, "carol-password")
            assert status == 429, body
            assert json.loads(body)["error"]["code"] == "too_many_attempts" and int(headers["Retry-After"]) > 0
    finally:
        for hub in hubs:
            hub.stop()


def test_database_migrate_copies_a_sqlite_hub_and_every_answer_stays_the_same(binary, postgres, tmp_path):
    from conftest import fake_mp4
    from helpers import create_upload, finish_upload
    hub = Hub(binary, str(tmp_path))
    hub.start()
    json_headers = {"Content-Type": "application/json"}
    hub.sign_up_admin()
    hub.add_user("bob", "bob-password")
    data = fake_mp4(300_000, seed=8)
    video_id = finish_upload(hub, create_upload(hub, len(data), {"filename": "trip.mp4", "title": "Trip to the café"}), 0, data)
    status, _, body = hub.request("/api/v1/notes", "POST", json_headers, json.dumps(
        {"title": "Résumé of the trip", "content": "first draft", "tags": ["travel"], "shared": True}).encode())
    note = json.loads(body)
    hub.request(f"/api/v1/notes/{note['id']}", "PATCH", json_headers, json.dumps({"content": "second draft", "baseVersion": 1}).encode())
    hub.request(f"/api/v1/notes/{note['id']}", "PATCH", json_headers, json.dumps({"title": "Résumé", "baseVersion": 2}).encode())
    routes = ["/api/v1/me", "/api/v1/videos", f"/api/v1/videos/{video_id}", "/api/v1/notes", f"/api/v1/notes/{note['id']}",
              f"/api/v1/notes/{note['id']}/versions", "/api/v1/notes?q=resume", "/api/v1/notes?tag=travel", "/api/v1/users",
              "/api/v1/tokens"]

    def answers():
        result = {}
        for route in routes:
            status, _, body = hub.request(route)
            assert status == 200, (route, body)
            result[route] = json.loads(body)
        return result
    before = answers()
    hub.stop()

    def migrate(url):
        return subprocess.run([binary, "database", "migrate", "--to", url], cwd=hub.workdir, env=hub.env, capture_output=True,
                              text=True, timeout=120)
    bad = migrate("postgres://nobody@")
    assert bad.returncode == 78 and len(bad.stderr.strip().splitlines()) == 1 and "--to" in bad.stderr, bad.stderr
    url = postgres.create_database()
    out = migrate(url)
    assert out.returncode == 0, out.stderr
    assert "note_change: 3 rows copied" in out.stdout and "verified" in out.stdout, out.stdout
    again = migrate(url)
    assert again.returncode == 0, again.stderr
    # Another hub is never copied into a database that holds this one.
    other = tmp_path / "other"
    other.mkdir()
    other_env = dict(hub.env, HUB_DATA_DIR=str(other / "data"))
    subprocess.run([binary, "user", "add", "zed"], cwd=other, env=other_env, input="zed-password-1\n", text=True, check=True,
                   capture_output=True)
    refused = subprocess.run([binary, "database", "migrate", "--to", url], cwd=other, capture_output=True, text=True, timeout=120,
                             env=other_env)
    assert refused.returncode == 1 and "not empty" in refused.stderr, refused.stderr

    hub.env["DATABASE_URL"] = url
    hub.start()
    try:
        after = answers()
        assert after == before
        # And it goes on: a new note and the bob account work on PostgreSQL.
        assert hub.request("/api/v1/notes", "POST", json_headers, json.dumps({"title": "after", "content": "x"}).encode())[0] == 201
        hub.token = None
        status, _, _ = hub.request("/api/v1/session", "POST", json_headers, json.dumps({"name": "bob", "password": "bob-password"}).encode(), token="")
        assert status == 200
    finally:
        hub.stop()


def test_three_instances_behind_the_deployments_nginx(binary, postgres, tmp_path):
    """deploy/nginx.conf in front of three instances: a tus upload whose PATCHes nginx spreads over
    them, streamed back in ranges, and a session made through one instance valid on all."""
    import hashlib
    from conftest import fake_mp4
    from helpers import create_upload, tus_headers
    from nginx_front import NginxFront
    hubs = instances(binary, tmp_path, postgres.create_database(), 3, LOG_LEVEL="info")
    (tmp_path / "nginx").mkdir()
    front_nginx = NginxFront(str(tmp_path / "nginx"), [hub.port for hub in hubs]).start()
    front = Hub(binary, str(tmp_path), port=front_nginx.port)
    front.token = hubs[0].token
    try:
        data = fake_mp4(8_000_000, seed=21)
        location = create_upload(front, len(data), {"filename": "front.mp4", "title": "Through nginx"})
        offset, video_id = 0, None
        while offset < len(data):
            status, headers, body = front.request(location, "PATCH", tus_headers(
                Upload_Offset=str(offset), Content_Type="application/offset+octet-stream"), data[offset:offset + 700_000])
            assert status == 204, body
            offset = int(headers["Upload-Offset"])
            video_id = headers.get("Stream-Hub-Video-Id")
        patches = [open(hub.log_path).read().count("method=PATCH") for hub in hubs]
        assert sum(1 for count in patches if count) >= 2, f"nginx sent every PATCH to one instance: {patches}"
        status, _, body = front.request(f"/api/v1/videos/{video_id}")
        assert status == 200 and json.loads(body)["sha256"] == hashlib.sha256(data).hexdigest()
        for start in [0, 1_234_567, len(data) - 100]:
            status, headers, body = front.request(f"/api/v1/videos/{video_id}/stream", headers={"Range": f"bytes={start}-{start + 99}"})
            assert status == 206 and body == data[start:start + 100] and headers["Content-Range"].startswith(f"bytes {start}-")
        status, _, body = front.request(f"/api/v1/videos/{video_id}/stream")
        assert status == 200 and hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()

        # A session made through nginx (some instance) is good on every instance.
        hubs[0].add_user("dana", "dana-password")
        status, headers, _ = front.request("/api/v1/session", "POST", {"Content-Type": "application/json"},
                                           json.dumps({"name": "dana", "password": "dana-password"}).encode(), token="")
        assert status == 200
        cookie = headers["Set-Cookie"].split(";")[0]
        for hub in hubs:
            assert hub.request("/api/v1/me", headers={"Cookie": cookie}, token="")[0] == 200
    finally:
        front_nginx.stop()
        for hub in hubs:
            hub.stop()


def test_three_instances_ride_out_a_database_outage_and_keep_hearing_each_other(binary, tmp_path):
    """PostgreSQL stopped and started under three running instances: 503s from all, then every
    instance recovers by itself, and their change listeners reconnect (a token revoked after the
    outage is refused everywhere within a second)."""
    with running() as server:
        hubs = instances(binary, tmp_path, server.create_database(), 3, LOG_LEVEL="error")
        json_headers = {"Content-Type": "application/json"}
        try:
            status, _, body = hubs[0].request("/api/v1/notes", "POST", json_headers, json.dumps({"title": "kept", "content": "x"}).encode())
            assert status == 201
            kept = json.loads(body)["id"]
            server.stop()
            for hub in hubs:
                status, _, body = hub.request("/api/v1/notes")
                assert status == 503 and json.loads(body)["error"]["code"] == "database_unavailable", body
            server.start()
            for hub in hubs:
                eventually(lambda: hub.request("/readyz", token="")[0] == 200, timeout=60, message="an instance did not recover")
                status, _, body = hub.request(f"/api/v1/notes/{kept}")
                assert status == 200 and json.loads(body)["title"] == "kept"

            status, _, body = hubs[1].request("/api/v1/tokens", "POST", json_headers, json.dumps({"label": "after"}).encode())
            token = json.loads(body)
            # The listeners reconnect a second after they notice the drop; then the token goes
            # into every instance's cache (kept 2 s), and is revoked on one.
            time.sleep(2)
            for hub in hubs:
                assert hub.request("/api/v1/me", token=token["token"])[0] == 200
            assert hubs[1].request(f"/api/v1/tokens/{token['id']}", "DELETE")[0] == 204
            eventually(lambda: all(hub.request("/api/v1/me", token=token["token"])[0] == 401 for hub in hubs),
                       timeout=1, message="an instance did not hear the revocation after the outage")
        finally:
            for hub in hubs:
                hub.stop()


def test_a_deployment_is_one_node_to_its_peers_and_another_instance_takes_over(binary, postgres, tmp_path):
    """Three instances with P2P_ENABLED on one database are one node (one id, kept in the
    database); one instance at a time runs the peer network, a note shared through any instance
    reaches a peer, and when the running instance dies another takes over."""
    import socket
    from helpers import api
    from hubbench import free_port
    from test_peers import SECRET, Cluster, note_on

    def listening(port):
        with socket.socket() as probe:
            probe.settimeout(0.5)
            return probe.connect_ex(("127.0.0.1", port)) == 0

    common = {"DATABASE_URL": postgres.create_database(), "HUB_SECRET_KEY": "one key for every instance of this deployment",
              "UPLOAD_DIR": str(tmp_path / "shared-uploads"), "P2P_ENABLED": "true", "P2P_SECRET": SECRET, "P2P_MDNS": "false",
              "P2P_NODE_NAME": "team", "P2P_GOSSIP_INTERVAL_MS": "100", "P2P_ANTI_ENTROPY_INTERVAL_MS": "500"}
    hubs = []
    for index in range(3):
        (tmp_path / f"instance{index}").mkdir()
        hub = Hub(binary, str(tmp_path / f"instance{index}"), extra_env={**common, "P2P_PORT": str(free_port())})
        hub.p2p_port = int(hub.env["P2P_PORT"])
        hubs.append(hub)
    outside = Cluster(binary, str(tmp_path / "outside"))
    try:
        for hub in hubs:
            hub.start()
        hubs[0].sign_up_admin()
        for hub in hubs[1:]:
            hub.token = hubs[0].token
        assert len({api(hub, "/api/v1/peers")[1]["node"] for hub in hubs}) == 1, "one node id for the deployment"

        def runner():
            running = [hub for hub in hubs if hub.process and listening(hub.p2p_port)]
            return running[0] if len(running) == 1 else None

        first = eventually(runner, timeout=15, message="not exactly one instance runs the peer network")
        peer = outside.hub("elsewhere", seeds=hubs)
        # Shared through an instance that does not run the peer network: it still reaches the peer.
        follower = next(hub for hub in hubs if hub is not first)
        status, note = api(follower, "/api/v1/notes", "POST", {"title": "From the team", "content": "Agenda\n", "shared": True})
        assert status == 201, note
        copy = eventually(lambda: note_on(peer, note["id"]), timeout=20, message="the note never reached the peer")
        assert copy["author"] == "admin@team"

        first.process.kill()
        first.process.wait()
        first.process = None
        second = eventually(runner, timeout=20, message="no instance took the peer network over")
        assert second is not first
        status, back = api(peer, "/api/v1/notes", "POST", {"title": "From elsewhere", "content": "Reply\n", "shared": True})
        assert status == 201, back
        eventually(lambda: note_on(second, back["id"]), timeout=30, message="the deployment no longer hears its peer")
        eventually(lambda: note_on(next(h for h in hubs if h.process and h is not second), back["id"]), timeout=5)
    finally:
        for hub in hubs:
            hub.stop()
        outside.stop()


def test_one_instance_mirrors_every_instances_notes_and_another_takes_over(binary, postgres, tmp_path):
    """The notes' file mirror on a mount all instances share: the instance holding the mirror
    role writes every instance's shared notes; when it dies another takes over and catches up."""
    from helpers import api
    mirror = tmp_path / "notepad"
    hubs = instances(binary, tmp_path, postgres.create_database(), 3, NOTEPAD_STORAGE_PATH=str(mirror), LOG_LEVEL="info")
    try:
        def mirrored(note):
            path = mirror / "notes" / f"{note['id']}.json"
            return path.exists() and json.loads(path.read_text())["version"] == note["version"] or None

        saved = []
        for index, hub in enumerate(hubs):
            status, note = api(hub, "/api/v1/notes", "POST", {"title": f"On instance {index}", "content": "x\n", "shared": True})
            assert status == 201, note
            saved.append(note)
        for note in saved:
            eventually(lambda: mirrored(note), timeout=10, message=f"{note['title']} was not mirrored")
        holders = [hub for hub in hubs if "role=noteMirror" in open(hub.log_path, errors="replace").read()]
        assert len(holders) == 1, "one instance writes the mirror"

        holders[0].process.kill()
        holders[0].process.wait()
        holders[0].process = None
        survivor = next(hub for hub in hubs if hub.process)
        status, note = api(survivor, "/api/v1/notes", "POST", {"title": "After the writer died", "content": "y\n", "shared": True})
        assert status == 201, note
        eventually(lambda: mirrored(note), timeout=15, message="no instance took the mirror over")
    finally:
        for hub in hubs:
            hub.stop()


def test_two_instances_on_one_database_run_each_processing_job_once(binary, postgres, tmp_path):
    """Both instances' workers claim from the one queue (`FOR UPDATE SKIP LOCKED`): every video
    becomes ready, and no job runs on both."""
    import shutil
    import subprocess as sp
    from helpers import create_upload, finish_upload
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    clip = tmp_path / "clip.mp4"
    sp.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=1:size=160x90:rate=10", "-c:v", "libx264",
            "-preset", "ultrafast", str(clip)], check=True)
    data = clip.read_bytes()
    hubs = instances(binary, tmp_path, postgres.create_database(), 2, MEDIA_WORKERS="2", LOG_LEVEL="info")
    try:
        videos = [finish_upload(hubs[i % 2], create_upload(hubs[i % 2], len(data), {"filename": f"clip{i}.mp4"}), 0, data, wait=False)
                  for i in range(8)]
        for video in videos:
            assert processed(hubs[0], video)["status"] == "ready"
        ran = 0
        for hub in hubs:
            with open(hub.log_path, errors="replace") as log:
                ran += log.read().count("video ready")
        assert ran == len(videos), f"{ran} job runs for {len(videos)} videos"
    finally:
        for hub in hubs:
            hub.stop()


def test_the_metrics_time_postgresql_statements_and_transactions(binary, postgres, tmp_path):
    """`streamhub_database_query_duration_seconds` on PostgreSQL: statements by verb and
    transactions as a whole, under bounded labels, read by Prometheus' own parser."""
    from prometheus_client.parser import text_string_to_metric_families
    from helpers import api
    [hub] = instances(binary, tmp_path, postgres.create_database(), 1)
    try:
        status, note = api(hub, "/api/v1/notes", "POST", {"title": "Timed", "content": "Counted.\n"})
        assert status == 201, note
        assert api(hub, "/api/v1/notes")[0] == 200
        status, _, body = hub.request("/metrics")
        assert status == 200
        counts = {sample.labels["operation"]: sample.value
                  for family in text_string_to_metric_families(body.decode())
                  if family.name == "streamhub_database_query_duration_seconds"
                  for sample in family.samples
                  if sample.name.endswith("_count") and sample.labels["backend"] == "postgres"}
        assert counts["select"] >= 1 and counts["transaction"] >= 1, counts
        assert set(counts) <= {"select", "insert", "update", "delete", "commit", "transaction", "other"}
    finally:
        hub.stop()
