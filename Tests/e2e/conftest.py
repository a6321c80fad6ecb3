"""End-to-end tests: the real `streamhub` binary on loopback, driven by standard clients."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "bench"))
from hubbench import Hub  # noqa: E402


@pytest.fixture(scope="session")
def binary():
    path = os.environ.get("STREAMHUB_BINARY")
    if not path:
        bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.strip()
        path = os.path.join(bin_dir, "streamhub")
    assert os.access(path, os.X_OK), f"build streamhub first ({path})"
    return path


@pytest.fixture
def hub(binary, tmp_path):
    hub = Hub(binary, str(tmp_path), extra_env={"LOG_LEVEL": "info"})
    hub.start()
    hub.sign_up_admin()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def moto():
    """A real S3-protocol server (moto, signature checking on) with a bucket `videos`: the hub's
    environment for it, and a boto3 client to look at what the hub stored."""
    import boto3
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import moto_s3
    with moto_s3.running() as url:
        access_key, secret_key = moto_s3.configure(url, "videos")
        env = {"STORAGE_BACKEND": "s3", "AWS_S3_BUCKET": "videos", "AWS_S3_ENDPOINT": url,
               "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key}
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=access_key,
                              aws_secret_access_key=secret_key)
        yield env, client


def fake_mp4(size, seed=1):
    """Bytes that sniff as MP4, with deterministic filler."""
    import random
    header = bytes([0, 0, 0, 0x18]) + b"ftypisom" + bytes([0, 0, 2, 0]) + b"isomiso2"
    rng = random.Random(seed)
    return (header + rng.randbytes(size))[:size]
