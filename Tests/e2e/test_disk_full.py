"""A full disk: a clear error, no corrupt video, and the upload resumable once space returns."""
import os
import subprocess
import uuid

import pytest

from conftest import fake_mp4
from helpers import create_upload, error_code, head_offset, request, tus_headers

from hubbench import Hub


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_is_507_and_leaves_no_video(binary, tmp_path, small_disk):
    hub = Hub(binary, str(tmp_path), extra_env={"UPLOAD_DIR": str(small_disk)})
    hub.start()
    hub.sign_up_admin()
    try:
        data = fake_mp4(6 * 1024 * 1024)
        location = create_upload(hub, len(data))
        status, _, body = hub.request(location, "PATCH", tus_headers(Upload_Offset="0", Content_Type="application/offset+octet-stream"), data)
        assert status == 507
        assert error_code(body) == "insufficient_storage"
        status, offset, _ = head_offset(hub, location)
        assert status == 200 and offset < len(data)
        _, _, listing = hub.request("/api/v1/videos")
        assert b'"total":0' in listing
        assert hub.request("/healthz")[0] == 200
    finally:
        hub.stop()
