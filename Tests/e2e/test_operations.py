"""Operating the hub: `/metrics` read by Prometheus' own text parser after an upload, a stream,
a note save and a peer round, by an admin and by a scraper holding METRICS_TOKEN."""
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from conftest import fake_mp4
from helpers import api, create_upload, eventually, finish_upload, processed
from test_peers import cluster  # noqa: F401  (cluster is a fixture)

TOKEN = "scraper-0123456789abcdef"


def scrape(hub, token=None):
    """{family name: family} and {(sample name, labels): value} of one scrape."""
    status, headers, body = hub.request("/metrics", token=token)
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {family.name: family for family in text_string_to_metric_families(body.decode())}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    return families, samples


def test_the_metrics_parse_and_count_what_the_hub_did(cluster):
    a = cluster.hub("hub-a", METRICS_TOKEN=TOKEN)
    b = cluster.hub("hub-b", seeds=[a])
    data = fake_mp4(400_000, seed=31)
    video = finish_upload(a, create_upload(a, len(data), {"filename": "clip.mp4", "shared": "true"}), 0, data)
    processed(a, video)
    request = urllib.request.Request(f"{a.url}/api/v1/videos/{video}/stream", headers={**a.auth, "Range": "bytes=0-65535"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 206 and len(response.read()) == 65536
    status, note = api(a, "/api/v1/notes", "POST", {"title": "Metrics", "content": "Counted.\n", "shared": True})
    assert status == 201
    # A peer round: the shared note reaches hub-b.
    eventually(lambda: api(b, f"/api/v1/notes/{note['id']}")[0] == 200, message="the note did not reach hub-b")

    families, samples = scrape(a, token=TOKEN)
    # The parser strips `_total` from a counter family's name; its samples keep it.
    for name, kind in [
        ("streamhub_http_request_duration_seconds", "histogram"),
        ("streamhub_storage_operation_duration_seconds", "histogram"),
        ("streamhub_storage_errors", "counter"),
        ("streamhub_stream_first_byte_seconds", "histogram"),
        ("streamhub_stream_bytes", "counter"),
        ("streamhub_upload_received_bytes", "counter"),
        ("streamhub_uploads_completed", "counter"),
        ("streamhub_processing_job_duration_seconds", "histogram"),
        ("streamhub_video_time_to_ready_seconds", "histogram"),
        ("streamhub_processing_queue_depth", "gauge"),
        ("streamhub_database_query_duration_seconds", "histogram"),
        ("streamhub_sync_changes_sent", "counter"),
        ("streamhub_sync_conflicts", "counter"),
        ("streamhub_sync_failures", "counter"),
        ("streamhub_sync_refused", "counter"),
        ("streamhub_peers", "gauge"),
        ("streamhub_p2p_enabled", "gauge"),
    ]:
        assert name in families, f"{name} missing"
        assert families[name].type == kind, f"{name} is a {families[name].type}"
    assert samples[("streamhub_upload_received_bytes_total", (("protocol", "tus"),))] == len(data)
    assert samples[("streamhub_stream_bytes_total", (("source", "store"),))] == 65536
    assert samples[("streamhub_uploads_completed_total", ())] == 1
    assert samples[("streamhub_p2p_enabled", ())] == 1
    assert samples[("streamhub_peers", (("state", "alive"),))] >= 1
    assert samples[("streamhub_sync_changes_sent_total", ())] >= 1
    assert samples[("streamhub_peer_discovery_seconds", ())] > 0
    note_saves = [value for (name, labels), value in samples.items()
                  if name == "streamhub_http_request_duration_seconds_count" and ("route", "/api/v1/notes") in labels
                  and ("method", "POST") in labels and ("status", "201") in labels]
    assert note_saves == [1]
    # Bounded labels: no video id, note id or user anywhere.
    for (name, labels), _ in samples.items():
        for _, value in labels:
            assert video not in value and note["id"] not in value, (name, labels)

    # The counters only grow: a second scrape after more streaming adds to the first.
    with urllib.request.urlopen(urllib.request.Request(f"{a.url}/api/v1/videos/{video}/stream", headers=a.auth), timeout=30) as r:
        r.read()
    _, again = scrape(a)
    assert again[("streamhub_stream_bytes_total", (("source", "store"),))] == 65536 + len(data)


def test_metrics_are_for_admins_and_the_scraper(hub):
    hub.add_user("member", "member-password")
    member = hub.create_token("member")
    status, _, body = hub.request("/metrics", token=member)
    assert status == 403 and b'"admin_only"' in body
    status, _, body = hub.request("/metrics", token="")
    assert status == 401 and b'"sign_in_required"' in body
    status, _, body = hub.request("/metrics", token="not-the-metrics-token-at-all")
    assert status == 401 and b'"invalid_token"' in body


def test_the_storage_report_counts_the_library_and_its_traffic(binary, tmp_path):
    """`streamhub storage report` on a hub's data after it ran: the bytes in the store by tier,
    by owner and by video, the traffic the hub wrote to the database (at its shutdown at the
    latest), and the month's cost at the rates given; the same JSON as the admin route."""
    import json
    from hubbench import Hub
    rates = {"COST_STORAGE_PER_GB_MONTH": "100", "COST_EGRESS_PER_GB": "50", "COST_CDN_PER_GB": "25"}
    hub = Hub(binary, str(tmp_path), extra_env=rates)
    hub.start()
    hub.sign_up_admin()
    data = fake_mp4(500_000, seed=41)
    video = finish_upload(hub, create_upload(hub, len(data), {"filename": "report.mp4"}), 0, data)
    processed(hub, video)
    request = urllib.request.Request(f"{hub.url}/api/v1/videos/{video}/stream", headers={**hub.auth, "Range": "bytes=0-99999"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert len(response.read()) == 100_000
    status, _, body = hub.request("/api/v1/admin/storage")
    assert status == 200
    live = json.loads(body)
    hub.stop()

    report = json.loads(hub.cli("storage", "report", "--json", env=rates).stdout)
    originals = next(tier for tier in report["tiers"] if tier["tier"] == "originals")
    assert originals == {"backend": "local", "tier": "originals", "bytes": 500_000, "objects": 1}
    assert report["totalBytes"] == sum(tier["bytes"] for tier in report["tiers"]) == live["totalBytes"]
    assert [(owner["owner"], owner["videos"]) for owner in report["owners"]] == [("admin", 1)]
    assert report["largestVideos"][0]["id"] == video
    assert report["traffic"]["uploadedBytes"] == 500_000
    assert report["traffic"]["streamedBytes"] == 100_000 == report["traffic"]["egressBytes"]
    gigabyte = float(1 << 30)
    assert report["monthlyCost"]["storage"] == round(report["totalBytes"] / gigabyte * 100, 2)
    assert report["monthlyCost"]["egress"] == round(100_000 / gigabyte * 50, 2)
    assert report["monthlyCost"]["totalThroughCDN"] == round(report["monthlyCost"]["storage"] + round(100_000 / gigabyte * 25, 2), 2)

    text = hub.cli("storage", "report", env=rates).stdout
    assert "Storage on local:" in text and "originals" in text and "Monthly estimate:" in text, text
    out = hub.cli("storage", "report", env={"COST_EGRESS_PER_GB": "-1"}, check=False)
    assert out.returncode == 78 and out.stderr.strip().count("\n") == 0 and "COST_EGRESS_PER_GB" in out.stderr, out.stderr
