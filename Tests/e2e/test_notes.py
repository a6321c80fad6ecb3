"""The community notepad on real hub processes: the command line, the file mirror, moving notes
between two hubs with export/import (concurrent edits on both kept), crashes and interrupted
requests losing nothing, and bad configuration stopping the hub with one line."""
import json
import os
import signal
import socket
import subprocess
import time

from helpers import api, eventually
from hubbench import Hub


def notes_cli(hub, *args, stdin=None, check=True):
    return hub.cli("notes", *args, stdin=stdin, check=check,
                   env={"STREAMHUB_URL": hub.url, "STREAMHUB_TOKEN": hub.token})


def test_command_line_notes(hub):
    created = notes_cli(hub, "create", "--tags", "team, Daily", "--shared", stdin="# Standup\n- deploy\n")
    note_id = created.stdout.strip()
    assert len(note_id) == 36
    assert "saved version 2" in notes_cli(hub, "edit", note_id, "--content", "# Standup\n- deploy\n- verify\n").stdout
    assert "saved version 3" in notes_cli(hub, "edit", note_id, "--title", "Daily standup", "--keep-content").stdout
    assert "no change" in notes_cli(hub, "edit", note_id, "--title", "Daily standup", "--keep-content").stdout
    listing = notes_cli(hub, "list").stdout
    assert note_id in listing and "Daily standup" in listing and "v3" in listing
    search = notes_cli(hub, "search", "verif").stdout
    assert note_id in search and "**verify**" in search
    shown = notes_cli(hub, "show", note_id).stdout
    assert shown.startswith("Daily standup\n") and "tags: team, daily" in shown and "- verify" in shown
    assert "# Standup\n- deploy\n" in notes_cli(hub, "show", note_id, "--version", "1").stdout
    history = notes_cli(hub, "history", note_id).stdout.splitlines()
    assert [line.split("\t")[0] for line in history] == ["3", "2", "1"]
    assert "+ - verify" in notes_cli(hub, "history", note_id, "--diff", "1:2").stdout
    assert "private" in notes_cli(hub, "unshare", note_id).stdout
    assert "moved to the trash" in notes_cli(hub, "delete", note_id).stdout
    assert note_id in notes_cli(hub, "list", "--trash").stdout
    assert "restored" in notes_cli(hub, "restore", note_id).stdout

    # Bad input: one line on standard error, exit code 1, nothing changed.
    missing = notes_cli(hub, "show", "00000000-0000-0000-0000-000000000000", check=False)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "not found" in missing.stderr
    too_big = notes_cli(hub, "edit", note_id, "--file", "-", stdin="x" * (2 * 1024 * 1024 + 1), check=False)
    assert too_big.returncode == 1 and "413" in too_big.stderr
    bad_token = hub.cli("notes", "list", check=False, env={"STREAMHUB_URL": hub.url, "STREAMHUB_TOKEN": "shub_wrong"})
    assert bad_token.returncode == 1 and "401" in bad_token.stderr
    no_token = hub.cli("notes", "list", check=False, env={"STREAMHUB_URL": hub.url, "STREAMHUB_TOKEN": ""})
    assert no_token.returncode != 0 and "token" in no_token.stderr
    assert api(hub, f"/api/v1/notes/{note_id}")[1]["version"] == 6


def test_shared_notes_are_mirrored_to_files(hub):
    status, shared = api(hub, "/api/v1/notes", "POST", {"title": "Mirrored", "content": "on disk", "shared": True})
    assert status == 201
    status, private = api(hub, "/api/v1/notes", "POST", {"title": "Private", "content": "never on disk"})
    mirror = os.path.join(hub.workdir, "community_notes")
    shared_path = os.path.join(mirror, "notes", f"{shared['id']}.json")
    eventually(lambda: os.path.exists(shared_path))
    with open(shared_path) as f:
        file = json.load(f)
    assert file["title"] == "Mirrored" and file["version"] == 1 and file["content"] == "on disk"
    assert not os.path.exists(os.path.join(mirror, "notes", f"{private['id']}.json"))
    api(hub, f"/api/v1/notes/{shared['id']}", "PATCH", {"content": "on disk, twice", "baseVersion": 1})

    def version_on_disk():
        with open(shared_path) as f:
            return json.load(f)["version"]
    eventually(lambda: version_on_disk() == 2)

    def logged_versions():
        with open(os.path.join(mirror, "sync_log.json")) as f:
            return [(entry["version"], entry["event"]) for entry in json.load(f)]
    eventually(lambda: logged_versions() == [(1, "local"), (2, "local")])
    api(hub, f"/api/v1/notes/{shared['id']}", "DELETE")
    eventually(lambda: not os.path.exists(shared_path))
    assert not [name for name in os.listdir(os.path.join(mirror, "notes")) if name.endswith(".tmp")]


def test_export_and_import_between_two_hubs_keeps_both_sides_edits(binary, tmp_path):
    hubs = []
    try:
        for name in ["east", "west"]:
            (tmp_path / name).mkdir()
            hub = Hub(binary, str(tmp_path / name), extra_env={"P2P_NODE_NAME": name})
            hub.start()
            hub.sign_up_admin()
            hubs.append(hub)
        east, west = hubs
        _, note = api(east, "/api/v1/notes", "POST", {"title": "Plan", "content": "one\ntwo\nthree", "shared": True, "tags": ["q3"]})
        exported = east.cli("notes", "export", str(tmp_path / "out")).stdout
        assert "exported 1 note" in exported
        imported = west.cli("notes", "import", str(tmp_path / "out")).stdout
        assert "1 new change" in imported
        assert "0 new change" in west.cli("notes", "import", str(tmp_path / "out")).stdout, "importing twice changes nothing"
        _, copy = api(west, f"/api/v1/notes/{note['id']}")
        assert copy["content"] == "one\ntwo\nthree" and copy["author"] == "admin@east"

        # Both hubs edit the same note, then exchange: each ends with both edits.
        api(east, f"/api/v1/notes/{note['id']}", "PATCH", {"content": "ONE\ntwo\nthree", "baseVersion": 1})
        api(west, f"/api/v1/notes/{note['id']}", "PATCH", {"content": "one\ntwo\nthree\nfour", "title": "Plan (west)", "baseVersion": 1})
        east.cli("notes", "export", str(tmp_path / "from-east"))
        west.cli("notes", "export", str(tmp_path / "from-west"))
        west.cli("notes", "import", str(tmp_path / "from-east"))
        east.cli("notes", "import", str(tmp_path / "from-west"))
        finals = [api(hub, f"/api/v1/notes/{note['id']}")[1] for hub in hubs]
        assert finals[0]["content"] == finals[1]["content"] == "ONE\ntwo\nthree\nfour"
        assert finals[0]["title"] == finals[1]["title"] == "Plan (west)"
        assert finals[0]["version"] == finals[1]["version"] == 3

        broken = tmp_path / "broken" / "notes"
        broken.mkdir(parents=True)
        (broken / "bad.json").write_text('{"id": "trunc')
        result = west.cli("notes", "import", str(tmp_path / "broken"), check=False)
        assert result.returncode == 1 and "skipped bad.json" in result.stderr
        missing = west.cli("notes", "import", str(tmp_path / "nowhere"), check=False)
        assert missing.returncode == 1 and "no notes/ directory" in missing.stderr
    finally:
        for hub in hubs:
            hub.stop()


def test_a_killed_hub_keeps_every_acknowledged_save(binary, tmp_path):
    hub = Hub(binary, str(tmp_path))
    hub.start()
    hub.sign_up_admin()
    _, note = api(hub, "/api/v1/notes", "POST", {"title": "Journal", "content": ""})
    content = ""
    for i in range(40):
        content += f"line {i}\n"
        status, saved = api(hub, f"/api/v1/notes/{note['id']}", "PATCH", {"content": content, "baseVersion": i + 1})
        assert status == 200 and saved["version"] == i + 2
    hub.process.send_signal(signal.SIGKILL)
    hub.process.wait()
    hub.process = None
    hub.start()
    _, after = api(hub, f"/api/v1/notes/{note['id']}")
    assert after["content"] == content and after["version"] == 41
    _, versions = api(hub, f"/api/v1/notes/{note['id']}/versions")
    assert len(versions["items"]) == 41
    hub.stop()


def test_an_interrupted_save_changes_nothing(hub):
    _, note = api(hub, "/api/v1/notes", "POST", {"title": "Steady", "content": "unchanged"})
    body = json.dumps({"content": "half of a new text", "baseVersion": 1}).encode()
    sock = socket.create_connection(("127.0.0.1", hub.port))
    sock.sendall((f"PATCH /api/v1/notes/{note['id']} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {hub.token}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body[:20])
    sock.close()
    _, after = api(hub, f"/api/v1/notes/{note['id']}")
    assert after["content"] == "unchanged" and after["version"] == 1


def test_bad_notepad_configuration_stops_the_hub_with_one_line(binary, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for env, setting in [({"NOTEPAD_STORAGE_PATH": str(blocker)}, "NOTEPAD_STORAGE_PATH"),
                         ({"NOTE_MAX_BYTES": "lots"}, "NOTE_MAX_BYTES"),
                         ({"NOTE_MAX_BYTES": str(1 << 30)}, "NOTE_MAX_BYTES")]:
        hub = Hub(binary, str(tmp_path), extra_env=env)
        result = subprocess.run([binary, "serve"], cwd=str(tmp_path), env=hub.env, capture_output=True, text=True, timeout=30)
        assert result.returncode == 78, result.stderr
        assert result.stderr.count("\n") == 1 and setting in result.stderr, result.stderr
