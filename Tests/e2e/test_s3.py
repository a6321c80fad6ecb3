"""The hub on S3: a real S3-protocol server (moto, signature checking on), started here."""
import os
import subprocess
import sys

import boto3
import pytest

from conftest import fake_mp4
from hubbench import ROOT, Hub, free_port

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import moto_s3  # noqa: E402


@pytest.fixture(scope="module")
def moto():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    access_key, secret_key = moto_s3.configure(url, "videos")
    env = {"STORAGE_BACKEND": "s3", "AWS_S3_BUCKET": "videos", "AWS_S3_ENDPOINT": url,
           "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key}
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=access_key,
                          aws_secret_access_key=secret_key)
    yield env, client
    process.terminate()
    process.wait()


def test_upload_to_s3_and_stream_back(binary, moto, tmp_path):
    env, s3 = moto
    hub = Hub(binary, str(tmp_path), extra_env=env)
    hub.start()
    try:
        hub.sign_up_admin()
        data = fake_mp4(3_000_000, seed=21)
        from tusclient import client as tus_client
        path = tmp_path / "clip.mp4"
        path.write_bytes(data)
        uploader = tus_client.TusClient(hub.url + "/api/v1/uploads", headers=hub.auth).uploader(
            str(path), chunk_size=1 << 20, metadata={"filename": "clip.mp4"})
        uploader.upload()
        _, headers, _ = hub.request(uploader.url, "HEAD", {"Tus-Resumable": "1.0.0"})
        video_id = headers["Stream-Hub-Video-Id"]
        status, _, body = hub.request(f"/api/v1/videos/{video_id}/stream", headers={"Range": "bytes=1000000-1999999"})
        assert status == 206 and body == data[1_000_000:2_000_000]
        assert hub.request(f"/api/v1/videos/{video_id}/stream")[2] == data
        # The bytes are in the bucket, readable by a standard client, and not on local disk.
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="videos").get("Contents", []) if video_id in o["Key"]]
        assert len(keys) == 1
        assert s3.get_object(Bucket="videos", Key=keys[0])["Body"].read() == data
        stored_locally = [f for _, _, files in os.walk(tmp_path / "uploads") for f in files if f == "source"]
        assert stored_locally == []
        assert hub.request(f"/api/v1/videos/{video_id}", "DELETE")[0] == 204
        assert not [o for o in s3.list_objects_v2(Bucket="videos").get("Contents", []) if video_id in o["Key"]]
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
