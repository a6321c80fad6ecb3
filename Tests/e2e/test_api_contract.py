"""The API contract (`/api/v1/openapi.json`): valid OpenAPI 3.1, the same routes the hub serves,
shown as a reference page, and held to the running hub by schemathesis with every check on."""
import json
import os
import re
import subprocess
import sys
import uuid

from openapi_spec_validator import validate

from conftest import fake_mp4
from helpers import api, tus_headers

HERE = os.path.dirname(os.path.abspath(__file__))
# Examples per operation and phase: enough to reach every parameter's edges (the coverage phase
# tries each boundary regardless), small enough for CI. STREAMHUB_SCHEMATHESIS_EXAMPLES raises it.
EXAMPLES = int(os.environ.get("STREAMHUB_SCHEMATHESIS_EXAMPLES", "25"))


def test_the_document_is_valid_openapi_and_names_every_error(hub):
    status, headers, body = hub.request("/api/v1/openapi.json", token="")
    assert status == 200 and headers["Content-Type"] == "application/json"
    document = json.loads(body)
    validate(document)
    assert document["openapi"] == "3.1.0"
    operations = [(method, path, op) for path, item in document["paths"].items() for method, op in item.items()]
    assert len(operations) >= 60
    for method, path, op in operations:
        # Every operation says how it fails, with the one error body.
        errors = {status: answer for status, answer in op["responses"].items() if status.startswith(("4", "5"))}
        assert "401" in errors, f"{method} {path}"
        for answer in errors.values():
            assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    # Served again unchanged, it is not sent again.
    status, _, _ = hub.request("/api/v1/openapi.json", headers={"If-None-Match": headers["ETag"]}, token="")
    assert status == 304


def test_the_reference_page_lists_every_operation(hub):
    status, _, body = hub.request("/api/v1/openapi.json", token="")
    document = json.loads(body)
    status, headers, page = hub.request("/api", token="")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = page.decode()
    for path, item in document["paths"].items():
        for op in item.values():
            assert f'id="{op["operationId"]}"' in page
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page


def test_a_wrong_method_is_405_with_allow(hub):
    status, headers, body = hub.request("/api/v1/videos", "PUT")
    assert status == 405 and headers["Allow"] == "GET, POST"
    assert json.loads(body)["error"]["code"] == "method_not_allowed"
    # The literal route wins over the parameter, as in the router.
    status, headers, _ = hub.request("/api/v1/notes/preview", "PUT")
    assert status == 405 and headers["Allow"] == "POST"
    assert hub.request("/api/v1/no-such-thing", "PUT")[0] == 404
    # And where the path has a parameter.
    status, headers, _ = hub.request(f"/api/v1/videos/{uuid.uuid4()}", "PUT")
    assert status == 405 and headers["Allow"] == "DELETE, GET, PATCH"


def run_schemathesis(hub, token, *selection, video=None, note=None):
    """Runs schemathesis on the hub as `token`. With `video` and `note`, in positive mode, the
    operations on one video or note use them (schemathesis-resources.toml)."""
    env = dict(os.environ, SCHEMATHESIS_HOOKS="schemathesis_hooks", PYTHONPATH=HERE)
    config = os.path.join(HERE, "schemathesis.toml")
    if video:
        env.update(STREAMHUB_FUZZ_VIDEO=video, STREAMHUB_FUZZ_NOTE=note)
        with open(config) as base, open(os.path.join(HERE, "schemathesis-resources.toml")) as resources:
            text = base.read() + "\n" + resources.read()
        config = os.path.join(hub.workdir, "schemathesis-resources.toml")
        with open(config, "w") as combined:
            combined.write(text)
        # Coverage has had its run with random ids, in every mode; here it made a bare `0` body
        # for an object schema in positive mode (schemathesis 4.32).
        selection += ("--mode", "positive", "--phases", "examples,fuzzing,stateful")
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", config, "run",
               f"{hub.url}/api/v1/openapi.json", "--header", f"Authorization: Bearer {token}",
               "--max-examples", str(EXAMPLES), "--seed", os.environ.get("STREAMHUB_SCHEMATHESIS_SEED", "20261203"), "--no-color", *selection]
    result = subprocess.run(command, cwd=hub.workdir, env=env, capture_output=True, text=True, timeout=1200)
    summary = result.stdout[result.stdout.find("SUMMARY"):]
    selected = re.search(r"Selected: (\d+)/", summary)
    tested = re.search(r"Tested: (\d+)", summary)
    cases = re.search(r"(\d+) generated", summary)
    print(f"schemathesis: {tested and tested.group(1)} operations, {cases and cases.group(1)} cases, exit {result.returncode}")
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert tested.group(1) == selected.group(1), summary
    return int(tested.group(1)), int(cases.group(1))


def test_schemathesis_finds_nothing_as_a_member(hub, capsys):
    """Every operation, as a member with some data of their own; then, apart, the two that end
    the member's own credentials (they would leave every later request a 401) and the document's
    own route (left out of a whole run, as the document schemathesis reads)."""
    hub.add_user("member", "member-password")
    token = hub.create_token("member")
    # A video and a note of the member's for the operations on one of them to work on: the
    # note with a few versions, the video with captions.
    status, note = api(hub, "/api/v1/notes", "POST", {"title": "Mine", "content": "# Notes\n"}, token=token)
    assert status == 201
    for version in range(2, 4):
        assert api(hub, f"/api/v1/notes/{note['id']}", "PATCH", {"content": f"# Notes\nversion {version}\n"}, token=token)[0] == 200
    data = fake_mp4(200_000, seed=18)
    status, headers, _ = hub.request("/api/v1/uploads", "POST", tus_headers(**{"Upload-Length": str(len(data))}), data=None,
                                     token=token)
    assert status == 201
    status, headers, _ = hub.request(headers["Location"], "PATCH", tus_headers(**{
        "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}), data=data, token=token)
    video = headers["Stream-Hub-Video-Id"]
    captions = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"
    assert hub.request(f"/api/v1/videos/{video}/captions/en", "PUT", {"Content-Type": "text/vtt"}, captions, token=token)[0] == 201
    apart = ["revokeToken", "signOut", "openAPIDocument"]
    everything_else = [arg for op in apart for arg in ("--exclude-operation-id", op)]
    tested, cases = run_schemathesis(hub, token, *everything_else)
    # Again on the member's own video and note, with schema-valid requests only.
    _, deep_cases = run_schemathesis(hub, token, "--include-path-regex", r"^/(videos|notes)/\{id\}", "--exclude-operation-id", "deleteVideo",
                                     "--exclude-operation-id", "deleteNote", video=video, note=note["id"])
    more_tested, more_cases = run_schemathesis(hub, token, *[arg for op in apart for arg in ("--include-operation-id", op)])
    cases += deep_cases
    document = json.loads(hub.request("/api/v1/openapi.json", token="")[2])
    operations = sum(len(item) for item in document["paths"].values())
    # Past pytest's capture, so the test command's output carries the figures.
    with capsys.disabled():
        print(f"\nschemathesis in all: {tested + more_tested} of {operations} operations, {cases + more_cases} cases, 0 failures")
    assert tested + more_tested == operations


def test_schemathesis_finds_nothing_in_the_admin_routes(hub, capsys):
    """The routes only admins may use, as the hub's admin (a member only reaches their 403)."""
    hub.add_user("member", "member-password")
    admin_only = ["listUsers", "updateUser", "deleteUser", "invite", "signupSetting", "setSignup", "addPeer", "storageReport"]
    tested, cases = run_schemathesis(hub, hub.token, *[arg for op in admin_only for arg in ("--include-operation-id", op)])
    with capsys.disabled():
        print(f"\nschemathesis as the admin: {tested} admin-only operations, {cases} cases, 0 failures")
    assert tested == len(admin_only)

