"""The hub on S3: a real S3-protocol server (moto, signature checking on), started here."""
import hashlib
import json
import os
import subprocess
import sys

import boto3
import pytest

from conftest import fake_mp4
from helpers import processed
from hubbench import ROOT, Hub

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import moto_s3  # noqa: E402


def upload(hub, tmp_path, data, name="clip.mp4"):
    """Uploads `data` with the tus client; returns the video's id."""
    from tusclient import client as tus_client
    path = tmp_path / name
    path.write_bytes(data)
    uploader = tus_client.TusClient(hub.url + "/api/v1/uploads", headers=hub.auth).uploader(
        str(path), chunk_size=1 << 20, metadata={"filename": name})
    uploader.upload()
    _, headers, _ = hub.request(uploader.url, "HEAD", {"Tus-Resumable": "1.0.0"})
    return processed(hub, headers["Stream-Hub-Video-Id"])["id"]


def test_upload_to_s3_and_stream_back(binary, moto, tmp_path):
    env, s3 = moto
    hub = Hub(binary, str(tmp_path), extra_env=env)
    hub.start()
    try:
        hub.sign_up_admin()
        data = fake_mp4(3_000_000, seed=21)
        video_id = upload(hub, tmp_path, data)
        status, _, body = hub.request(f"/api/v1/videos/{video_id}/stream", headers={"Range": "bytes=1000000-1999999"})
        assert status == 206 and body == data[1_000_000:2_000_000]
        assert hub.request(f"/api/v1/videos/{video_id}/stream")[2] == data
        # The bytes are in the bucket, readable by a standard client, and not on local disk.
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="videos").get("Contents", []) if video_id in o["Key"])
        assert [key.rsplit("/", 1)[1] for key in keys] == ["blocks", "source"], keys
        assert s3.get_object(Bucket="videos", Key=keys[1])["Body"].read() == data
        # The block manifest, made from the parts read back once, names the same bytes.
        manifest = s3.get_object(Bucket="videos", Key=keys[0])["Body"].read()
        assert manifest[:8] == b"SHUBBLK1" and manifest[20:52].hex() == hashlib.sha256(data).hexdigest()
        stored_locally = [f for _, _, files in os.walk(tmp_path / "uploads") for f in files if f == "source"]
        assert stored_locally == []
        assert hub.request(f"/api/v1/videos/{video_id}", "DELETE")[0] == 204
        assert not [o for o in s3.list_objects_v2(Bucket="videos").get("Contents", []) if video_id in o["Key"]]
    finally:
        hub.stop()


def test_the_storage_report_counts_what_the_bucket_holds(binary, moto, tmp_path):
    """On S3 the report walks the bucket: its totals are what a standard client lists there."""
    env, s3 = moto
    hub = Hub(binary, str(tmp_path), extra_env=env)
    hub.start()
    try:
        hub.sign_up_admin()
        data = fake_mp4(1_500_000, seed=22)
        video_id = upload(hub, tmp_path, data)
        status, _, body = hub.request("/api/v1/admin/storage")
        assert status == 200, body
        report = json.loads(body)
        listed = [o for page in s3.get_paginator("list_objects_v2").paginate(Bucket="videos") for o in page.get("Contents", [])]
        assert report["backend"] == "s3"
        assert report["totalObjects"] == len(listed) and report["totalBytes"] == sum(o["Size"] for o in listed)
        assert all(tier["backend"] == "s3" for tier in report["tiers"])
        assert any(video["id"] == video_id and video["bytes"] >= len(data) for video in report["largestVideos"])
        assert report["traffic"]["uploadedBytes"] >= len(data)
    finally:
        hub.stop()


@pytest.mark.parametrize("override, setting", [
    ({"AWS_SECRET_ACCESS_KEY": "wrong"}, "AWS_ACCESS_KEY"),
    ({"AWS_S3_BUCKET": "no-such-bucket"}, "AWS_S3_BUCKET"),
    ({"AWS_S3_ENDPOINT": "http://127.0.0.1:1"}, "AWS_S3_ENDPOINT"),
    ({"AWS_S3_ENDPOINT": "not a url"}, "AWS_S3_ENDPOINT"),
    ({"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, "AWS_ACCESS_KEY"),
])
def test_bad_s3_settings_stop_the_hub_at_start_with_one_line(binary, moto, tmp_path, override, setting):
    env, _ = moto
    hub = Hub(binary, str(tmp_path), extra_env={**env, **override})
    out = subprocess.run([binary, "serve"], cwd=tmp_path, env=hub.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 78
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0], out.stderr


def request_without_redirects(url, headers):
    """(status, headers, body) without following a redirect."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    try:
        with urllib.request.build_opener(NoRedirect).open(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_presigned_redirect_lets_the_client_read_s3_directly(binary, tmp_path):
    # moto answers presigned URLs only with its signature checking off (TOOLS.md), so this test
    # has a moto of its own; the signatures themselves are compared with botocore's in
    # SigV4SignerTests.
    with moto_s3.running(bucket="direct") as url:
        hub = Hub(binary, str(tmp_path), extra_env={
            "STORAGE_BACKEND": "s3", "AWS_S3_BUCKET": "direct", "AWS_S3_ENDPOINT": url, "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s", "STREAM_REDIRECT": "presigned"})
        hub.start()
        try:
            hub.sign_up_admin()
            data = fake_mp4(2_000_000, seed=31)
            video_id = upload(hub, tmp_path, data)
            status, headers, _ = request_without_redirects(f"{hub.url}/api/v1/videos/{video_id}/stream", hub.auth)
            assert status == 302
            location = headers["Location"]
            assert location.startswith(url + "/direct/videos/") and "X-Amz-Signature=" in location
            assert headers["Cache-Control"] == "private, no-store"
            # The browser (or a CDN) now reads S3 itself, ranges included.
            status, headers, body = request_without_redirects(location, {"Range": "bytes=100-199"})
            assert status == 206 and body == data[100:200]
            assert headers["Content-Type"] == "video/mp4"
            assert request_without_redirects(location, {})[2] == data
            # The redirect is only for those who may see the video.
            assert request_without_redirects(f"{hub.url}/api/v1/videos/{video_id}/stream", {})[0] == 401
        finally:
            hub.stop()


def test_disk_cache_in_front_of_s3_serves_repeated_ranges(binary, moto, tmp_path):
    env, _ = moto
    cache = tmp_path / "cache"
    hub = Hub(binary, str(tmp_path), extra_env={**env, "CACHE_DIR": str(cache), "CACHE_MAX_BYTES": str(64 << 20)})
    hub.start()
    try:
        hub.sign_up_admin()
        data = fake_mp4(3_000_000, seed=41)
        video_id = upload(hub, tmp_path, data)
        for start in (0, 1_000_000, 2_000_000, 1_000_000):
            status, _, body = hub.request(f"/api/v1/videos/{video_id}/stream",
                                          headers={"Range": f"bytes={start}-{start + 99_999}"})
            assert status == 206 and body == data[start:start + 100_000]
        cached = [os.path.join(d, f) for d, _, files in os.walk(cache / "objects") for f in files]
        assert len(cached) == 1 and open(cached[0], "rb").read() == data
        statistics = json.loads(hub.request("/readyz")[2])["cache"]
        assert statistics["fetches"] == 1 and statistics["hits"] >= 3
    finally:
        hub.stop()


def run_migrate(binary, hub, env, *args):
    return subprocess.run([binary, "storage", "migrate", *args], cwd=hub.workdir, env=dict(hub.env, **env),
                          capture_output=True, text=True, timeout=300)


def test_migrate_from_local_to_s3_and_back(binary, moto, tmp_path):
    env, s3 = moto
    hub = Hub(binary, str(tmp_path))
    hub.start()
    hub.sign_up_admin()
    videos = {}
    for index in range(3):
        data = fake_mp4(1_500_000 + index * 1000, seed=50 + index)
        videos[upload(hub, tmp_path, data, f"clip{index}.mp4")] = data
    hub.stop()
    bucket = "migrated"
    s3.create_bucket(Bucket=bucket)
    s3_env = {**env, "AWS_S3_BUCKET": bucket}

    out = run_migrate(binary, hub, s3_env, "--to", "s3")
    assert out.returncode == 0, out.stderr
    assert "copied and verified" in out.stdout and "STORAGE_BACKEND=s3" in out.stdout
    assert out.stderr.count("\n") >= 3, "one progress line per object"
    stored = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    for video_id, data in videos.items():
        key = next(k for k in stored if video_id in k and k.endswith("source"))
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data

    # The database now says the videos are in S3: a hub still set to local refuses to start.
    refused = subprocess.run([binary, "serve"], cwd=hub.workdir, env=hub.env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 78 and "storage migrate" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1

    # Running it again copies nothing.
    again = run_migrate(binary, hub, s3_env, "--to", "s3")
    assert again.returncode == 0 and "nothing to copy" in again.stdout

    on_s3 = Hub(binary, str(tmp_path), extra_env=s3_env)
    on_s3.token = hub.token
    on_s3.start()
    try:
        for video_id, data in videos.items():
            assert on_s3.request(f"/api/v1/videos/{video_id}/stream")[2] == data
    finally:
        on_s3.stop()

    back = run_migrate(binary, hub, s3_env, "--to", "local")
    assert back.returncode == 0, back.stderr
    hub.start()
    try:
        for video_id, data in videos.items():
            assert hub.request(f"/api/v1/videos/{video_id}/stream")[2] == data
    finally:
        hub.stop()


def test_an_interrupted_migration_resumes(binary, moto, tmp_path):
    env, s3 = moto
    bucket = "resumed"
    s3.create_bucket(Bucket=bucket)
    s3_env = {**env, "AWS_S3_BUCKET": bucket}
    # Objects as an older hub stored them (before the sharded layout); the migration's start-up
    # check moves them into the layout first.
    objects = {}
    for index in range(30):
        key = f"videos/{index:02x}/video-{index}/source"
        data = hashlib.sha256(str(index).encode()).digest() * 40_000
        path = tmp_path / "uploads" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        objects[key] = hashlib.sha256(data).hexdigest()
    s3_env.pop("STORAGE_BACKEND")
    hub = Hub(binary, str(tmp_path))
    process = subprocess.Popen([binary, "storage", "migrate", "--to", "s3"], cwd=hub.workdir,
                               env=dict(hub.env, **s3_env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if line.startswith("[5/30]"):
            process.kill()
            break
    process.wait()
    assert process.returncode != 0

    out = run_migrate(binary, hub, s3_env, "--to", "s3")
    assert out.returncode == 0, out.stderr
    already = int(out.stdout.split(" copied and verified, ")[1].split(" already there")[0])
    assert already >= 5, out.stdout
    for key, digest in objects.items():
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == digest


def test_migrate_refuses_bad_targets_with_one_line(binary, moto, tmp_path):
    env, _ = moto
    hub = Hub(binary, str(tmp_path))
    plain = {k: v for k, v in env.items() if k != "STORAGE_BACKEND"}
    for args, extra, code, words in [
        (["--to", "ftp"], {}, 64, "--to must be s3 or local"),
        (["--to", "s3"], {}, 78, "AWS_S3_BUCKET"),
        (["--to", "s3"], {**plain, "AWS_S3_BUCKET": "no-such-bucket"}, 78, "AWS_S3_BUCKET"),
        (["--to", "s3"], {**plain, "AWS_S3_ENDPOINT": "http://127.0.0.1:1"}, 78, "AWS_S3_ENDPOINT"),
        (["--to", "local"], {}, 0, "nothing to copy"),
    ]:
        out = run_migrate(binary, hub, extra, *args)
        assert out.returncode == code, (args, extra, out.stdout, out.stderr)
        assert words in out.stdout + out.stderr, (args, out.stdout, out.stderr)
        if code == 78:
            assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_s3_going_away_gives_503_with_a_json_error_and_the_hub_keeps_running(binary, tmp_path):
    with moto_s3.running(bucket="flaky") as url:
        hub = Hub(binary, str(tmp_path), extra_env={
            "STORAGE_BACKEND": "s3", "AWS_S3_BUCKET": "flaky", "AWS_S3_ENDPOINT": url, "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s"})
        hub.start()
        hub.sign_up_admin()
        video_id = upload(hub, tmp_path, fake_mp4(1_000_000, seed=61))
    # moto is gone now: reads fail after the retries, as clear 503s, and the hub stays up.
    try:
        status, _, body = hub.request(f"/api/v1/videos/{video_id}/stream", headers={"Range": "bytes=0-99"})
        assert status == 503, body
        assert json.loads(body)["error"]["code"] == "unavailable"
        assert hub.request("/readyz")[0] == 503
        assert hub.request(f"/api/v1/videos/{video_id}")[0] == 200, "metadata still answers"
        assert hub.process.poll() is None
    finally:
        hub.stop()
