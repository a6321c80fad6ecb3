"""The supervised deployment (deploy/streamhub.service): systemd accepts the unit, it restarts
the hub on failure but not on a configuration error, and it confines the hub to its state
directory."""
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, "deploy", "streamhub.service")


def directives(text):
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2))
    return found


def test_the_unit_restarts_on_failure_and_confines_the_hub():
    with open(UNIT) as unit:
        found = directives(unit.read())
    assert found["Restart"] == ["on-failure"]
    assert found["RestartPreventExitStatus"] == ["78"], "a configuration error (exit 78) is not retried"
    for name in ["NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp"]:
        assert found[name] in (["yes"], ["strict"]), name
    assert found["ProtectSystem"] == ["strict"]
    assert found["User"] == ["streamhub"] and found["StateDirectory"] == ["streamhub"]
    assert found["ReadWritePaths"] == ["/var/lib/streamhub"]
    data_paths = [value.split("=", 1)[1] for value in found["Environment"]]
    assert all(path.startswith("/var/lib/streamhub/") for path in data_paths), data_paths


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(binary, tmp_path):
    # The unit names the installed path; verify a copy that names the binary just built.
    with open(UNIT) as unit:
        text = unit.read().replace("/usr/local/bin/streamhub", binary)
    copy = tmp_path / "streamhub.service"
    copy.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if "streamhub.service" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def test_a_configuration_error_exits_78(binary, tmp_path):
    result = subprocess.run([binary, "serve"], cwd=tmp_path, env=dict(os.environ, STORAGE_BACKEND="ftp"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 78 and result.stderr.count("\n") == 1 and "STORAGE_BACKEND" in result.stderr


COMPOSE = os.path.join(ROOT, "deploy", "docker-compose.yml")


def test_the_compose_file_is_valid_and_runs_three_instances_on_postgres_and_s3():
    """No container engine here: docker-compose parses and resolves the file as an engine would."""
    command = ["docker-compose", "--env-file", os.path.join(ROOT, "deploy", ".env.example"), "-f", COMPOSE]
    out = subprocess.run(command + ["config"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    services = subprocess.run(command + ["config", "--services"], capture_output=True, text=True, check=True).stdout.split()
    assert sorted(services) == ["bucket", "hub1", "hub2", "hub3", "minio", "nginx", "postgres"]
    resolved = out.stdout
    assert resolved.count("DATABASE_URL: postgres://streamhub:change-me@postgres:5432/streamhub") == 3
    assert resolved.count("STORAGE_BACKEND: s3") == 3
    assert resolved.count("notepad:/var/lib/streamhub/notepad") == 3 or resolved.count("target: /var/lib/streamhub/notepad") == 3, \
        "every instance mounts the shared notes mirror"
    assert "streamhub/uploads" not in resolved, "uploads in progress wait in the bucket, not on a shared volume"
    assert "condition: service_healthy" in resolved and "condition: service_completed_successfully" in resolved


def test_the_nginx_configuration_passes_nginx_t(tmp_path):
    from nginx_front import NginxFront
    front = NginxFront(str(tmp_path), [8081, 8082, 8083])
    checked = front.check()
    assert checked.returncode == 0, checked.stderr
    with open(os.path.join(ROOT, "deploy", "nginx.conf")) as conf:
        text = conf.read()
    for directive in ["least_conn;", "client_max_body_size 0;", "proxy_request_buffering off;", "proxy_buffering off;",
                      "X-Forwarded-For", "X-Forwarded-Proto", "max_fails="]:
        assert directive in text, directive


def test_the_image_is_multi_stage_unprivileged_and_health_checked():
    with open(os.path.join(ROOT, "deploy", "Dockerfile")) as dockerfile:
        text = dockerfile.read()
    stages = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert stages[0].startswith("swift:") and stages[-1].startswith("debian:") and "slim" in stages[-1]
    assert re.search(r"^USER streamhub$", text, re.MULTILINE), "the hub does not run as root"
    assert re.search(r"^HEALTHCHECK .*", text, re.MULTILINE) and "/readyz" in text
    for package in ["ffmpeg", "libcmark-gfm0"]:
        assert package in text.split("FROM debian")[1], package
