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
