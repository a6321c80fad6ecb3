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
