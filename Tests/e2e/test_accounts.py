"""Accounts from the command line and over HTTP with real processes: `streamhub user`, `streamhub
token`, `streamhub upload --token`, and sessions shared by instances with the same key."""
import json
import os
import subprocess
import time

from conftest import fake_mp4
from helpers import error_code
from hubbench import Hub


def sign_in(hub, name, password):
    status, headers, body = hub.request("/api/v1/session", "POST", {"Content-Type": "application/json"},
                                        json.dumps({"name": name, "password": password}).encode(), token="")
    assert status == 200, body
    return headers["Set-Cookie"].split(";")[0]


def test_first_user_from_the_command_line_is_the_admin_and_anonymous_requests_get_401(binary, tmp_path):
    hub = Hub(binary, str(tmp_path))
    hub.start()
    try:
        status, _, body = hub.request("/api/v1/videos")
        assert status == 401 and error_code(body) == "sign_in_required"
        out = hub.cli("user", "add", "Alice", stdin="alice-password\n")
        assert "created admin 'alice'" in out.stdout, "the first account is the admin even without --admin"
        hub.add_user("bob", "bob-password")
        listing = hub.cli("user", "list").stdout.splitlines()
        assert listing == ["alice\tadmin\tactive", "bob\tmember\tactive"]
        short = hub.cli("user", "add", "carol", stdin="short\n", check=False)
        assert short.returncode == 1 and short.stderr.strip() == "streamhub: a password is 8 to 256 characters long"
        taken = hub.cli("user", "add", "BOB", stdin="bob-password\n", check=False)
        assert taken.returncode == 1 and "already taken" in taken.stderr
        missing = hub.cli("user", "add", "dave", stdin="", check=False)
        assert missing.returncode == 1 and "no password" in missing.stderr
        unknown = hub.cli("token", "create", "--user", "nobody", check=False)
        assert unknown.returncode == 1 and "no account is named 'nobody'" in unknown.stderr
        for command in [["user"], ["user", "add"], ["token"], ["token", "create"], ["token", "revoke"]]:
            assert hub.cli(*command, "--help").returncode == 0
    finally:
        hub.stop()


def test_tokens_from_the_command_line_upload_and_are_refused_once_revoked(binary, hub, tmp_path):
    hub.add_user("member", "member-password")
    token = hub.create_token("member")
    assert token.startswith("shub_")
    path = tmp_path / "clip.mp4"
    path.write_bytes(fake_mp4(300_000, seed=4))
    env = dict(os.environ, STREAMHUB_TOKEN=token)
    out = subprocess.run([binary, "upload", str(path), "--server", hub.url], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    video_id = out.stdout.strip()
    status, _, body = hub.request(f"/api/v1/videos/{video_id}", token=token)
    assert status == 200 and json.loads(body)["shared"] is False
    # Private: another member cannot see it; the admin can.
    hub.add_user("other", "other-password")
    assert hub.request(f"/api/v1/videos/{video_id}", token=hub.create_token("other"))[0] == 404
    assert hub.request(f"/api/v1/videos/{video_id}")[0] == 200

    assert "revoked" in hub.cli("token", "revoke", token).stdout
    # The running hub caches a token for at most two seconds.
    deadline = time.monotonic() + 5
    while hub.request("/api/v1/videos", token=token)[0] != 401:
        assert time.monotonic() < deadline, "the revoked token still works"
        time.sleep(0.2)
    status, headers, body = hub.request("/api/v1/videos", token=token)
    assert error_code(body) == "invalid_token" and "Bearer" in headers["WWW-Authenticate"]
    again = hub.cli("token", "revoke", token, check=False)
    assert again.returncode == 1

    refused = subprocess.run([binary, "upload", str(path), "--server", hub.url], capture_output=True, text=True,
                             env=env, timeout=60)
    assert refused.returncode != 0 and "token" in refused.stderr
    no_token = subprocess.run([binary, "upload", str(path), "--server", hub.url], capture_output=True, text=True,
                              env={k: v for k, v in os.environ.items() if k != "STREAMHUB_TOKEN"}, timeout=60)
    assert no_token.returncode != 0 and "STREAMHUB_TOKEN" in no_token.stderr


def test_instances_sharing_the_key_accept_each_others_sessions(binary, tmp_path):
    """Deployment pattern 2: no sticky sessions. Two hubs on one data directory, behind any balancer."""
    key = {"HUB_SECRET_KEY": "one key for every instance of this deployment"}
    first = Hub(binary, str(tmp_path), extra_env=key)
    second = Hub(binary, str(tmp_path), extra_env=key)
    second.log_path = os.path.join(str(tmp_path), "second.log")
    elsewhere = Hub(binary, str(tmp_path), extra_env={"HUB_SECRET_KEY": "the key of some other deployment entirely"})
    elsewhere.log_path = os.path.join(str(tmp_path), "elsewhere.log")
    for hub in (first, second, elsewhere):
        hub.start()
    try:
        first.add_user("alice", "alice-password")
        cookie = sign_in(first, "alice", "alice-password")
        assert second.request("/api/v1/me", headers={"Cookie": cookie})[0] == 200
        assert elsewhere.request("/api/v1/me", headers={"Cookie": cookie})[0] == 401
    finally:
        for hub in (first, second, elsewhere):
            hub.stop()


def test_a_generated_key_survives_a_restart(binary, hub):
    hub.add_user("alice", "alice-password")
    cookie = sign_in(hub, "alice", "alice-password")
    key_file = os.path.join(hub.workdir, "data", "secret_key")
    assert oct(os.stat(key_file).st_mode & 0o777) == "0o600"
    hub.stop()
    hub.start()
    assert hub.request("/api/v1/me", headers={"Cookie": cookie})[0] == 200
