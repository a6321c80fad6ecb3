"""The command line: `streamhub upload`, `--help`, and fail-fast configuration."""
import hashlib
import json
import os
import signal
import subprocess

from conftest import fake_mp4
from helpers import request


def test_help_on_every_command(binary):
    notes = [["notes", command] for command in
             ["create", "list", "search", "show", "edit", "share", "unshare", "delete", "restore", "history", "export", "import"]]
    for args in [[], ["serve"], ["upload"], ["user"], ["token"], ["storage"], ["notes"], *notes]:
        out = subprocess.run([binary, *args, "--help"], capture_output=True, text=True)
        assert out.returncode == 0 and "USAGE" in out.stdout.upper()


def test_upload_command_prints_the_video_id(binary, hub, tmp_path):
    data = fake_mp4(5_000_000, seed=9)
    path = tmp_path / "cli.mp4"
    path.write_bytes(data)
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    out = subprocess.run([binary, "upload", str(path), "--title", "From the CLI", "--wait", "--server", hub.url, "--token", hub.token],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    video_id = out.stdout.strip()
    _, _, body = hub.request(f"/api/v1/videos/{video_id}")
    video = json.loads(body)
    assert video["title"] == "From the CLI" and video["status"] == "ready", "--wait returns once the video is processed"
    assert video["sha256"] == hashlib.sha256(data).hexdigest()
    assert "100.0%" in out.stderr


def test_upload_command_reports_refusals(binary, hub, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a video")
    out = subprocess.run([binary, "upload", str(path), "--server", hub.url, "--token", hub.token], capture_output=True, text=True,
                         env=dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state")), timeout=60)
    assert out.returncode != 0
    assert "415" in out.stderr and "not a video" in out.stderr


def serve_once(binary, tmp_path, **env):
    base = {"HUB_DATA_DIR": str(tmp_path / "data"), "UPLOAD_DIR": str(tmp_path / "up"), "HUB_PORT": "0"}
    base.update(env)
    return subprocess.run([binary, "serve"], capture_output=True, text=True, timeout=20, cwd=tmp_path,
                          env=dict(os.environ, **base))


def test_bad_configuration_fails_fast_with_one_line(binary, tmp_path):
    for env, setting in [({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND"), ({"HUB_PORT": "http"}, "HUB_PORT"),
                         ({"STORAGE_BACKEND": "s3"}, "AWS_S3_BUCKET"), ({"MAX_UPLOAD_BYTES": "-5"}, "MAX_UPLOAD_BYTES"),
                         ({"MAX_UPLOAD_BYTES": "9223372036854775807"}, "MAX_UPLOAD_BYTES"),
                         ({"UPLOAD_DIR": "/proc/no/such/dir"}, "UPLOAD_DIR"),
                         ({"HUB_DATA_DIR": "/proc/no/data"}, "HUB_DATA_DIR"),
                         ({"CACHE_DIR": "/tmp/cache"}, "CACHE_DIR"),
                         ({"STREAM_REDIRECT": "presigned"}, "STREAM_REDIRECT"),
                         ({"STREAM_REDIRECT": "sometimes"}, "STREAM_REDIRECT"),
                         ({"P2P_SEND_BYTES_PER_SECOND": "1000"}, "P2P_SEND_BYTES_PER_SECOND"),
                         ({"MEDIA_WORKERS": "65"}, "MEDIA_WORKERS"), ({"MEDIA_WORKERS": "two"}, "MEDIA_WORKERS"),
                         ({"TRANSCODE_SCRATCH_BYTES": "1000"}, "TRANSCODE_SCRATCH_BYTES"),
                         ({"COST_STORAGE_PER_GB_MONTH": "free"}, "COST_STORAGE_PER_GB_MONTH"),
                         ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN")]:
        out = serve_once(binary, tmp_path, **env)
        assert out.returncode == 78, (env, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and setting in lines[0], (env, out.stderr)


def test_dotenv_file_and_flag_precedence(binary, tmp_path):
    (tmp_path / ".env").write_text("STORAGE_BACKEND=ftp\n")
    assert "STORAGE_BACKEND" in serve_once(binary, tmp_path).stderr
    out = subprocess.run([binary, "serve", "--storage-backend", "nope"], capture_output=True, text=True, timeout=20,
                         cwd=tmp_path, env=dict(os.environ, STORAGE_BACKEND="local"))
    assert out.returncode == 78 and "'nope'" in out.stderr


def test_sigterm_with_an_upload_in_flight_stops_within_the_grace_period(binary, tmp_path):
    from hubbench import Hub
    from helpers import RawPatch, create_upload, finish_upload, head_offset, path_of
    hub = Hub(binary, str(tmp_path), extra_env={"SHUTDOWN_GRACE_SECONDS": "2"})
    hub.start()
    hub.sign_up_admin()
    data = fake_mp4(3_000_000, seed=12)
    location = create_upload(hub, len(data))
    stalled = RawPatch(hub, path_of(location), 0, len(data))
    stalled.send(data[:1_000_000])  # then the client goes quiet, holding the request open
    import time
    time.sleep(0.3)
    started = time.monotonic()
    hub.process.send_signal(signal.SIGTERM)
    hub.process.wait(timeout=30)
    assert time.monotonic() - started < 15, "the stalled upload did not hold the shutdown"
    hub.process = None
    stalled.abort()
    hub.start()
    status, offset, _ = head_offset(hub, location)
    assert status == 200 and offset <= 1_000_000
    video_id = finish_upload(hub, location, offset, data)
    _, _, body = hub.request(f"/api/v1/videos/{video_id}")
    assert json.loads(body)["sha256"] == hashlib.sha256(data).hexdigest()
    hub.stop()


def test_sigterm_shuts_down_cleanly(hub):
    hub.process.send_signal(signal.SIGTERM)
    assert hub.process.wait(timeout=30) == 0
    hub.process = None
