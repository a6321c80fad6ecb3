"""The API contract (`/api/v1/openapi.json`): valid OpenAPI 3.1, the same routes the hub serves,
shown as a reference page, and held to the running hub by schemathesis with every check on."""
import json
import os
import re
import subprocess
import sys

from openapi_spec_validator import validate

from helpers import api

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


def run_schemathesis(hub, token, *selection):
    env = dict(os.environ, SCHEMATHESIS_HOOKS="schemathesis_hooks", PYTHONPATH=HERE)
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", os.path.join(HERE, "schemathesis.toml"), "run",
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


def test_schemathesis_finds_nothing_as_a_member(hub):
    """Every operation, as a member with some data of their own; then, apart, the two that end
    the member's own credentials (they would leave every later request a 401) and the document's
    own route (left out of a whole run, as the document schemathesis reads)."""
    hub.add_user("member", "member-password")
    token = hub.create_token("member")
    status, note = api(hub, "/api/v1/notes", "POST", {"title": "Mine", "content": "# Notes\n"}, token=token)
    assert status == 201
    apart = ["revokeToken", "signOut", "openAPIDocument"]
    tested, cases = run_schemathesis(hub, token, *[arg for op in apart for arg in ("--exclude-operation-id", op)])
    more_tested, more_cases = run_schemathesis(hub, token, *[arg for op in apart for arg in ("--include-operation-id", op)])
    document = json.loads(hub.request("/api/v1/openapi.json", token="")[2])
    operations = sum(len(item) for item in document["paths"].values())
    print(f"schemathesis in all: {tested + more_tested} of {operations} operations, {cases + more_cases} cases, 0 failures")
    assert tested + more_tested == operations
