"""Uploads through the real server: tus interop (tuspy), resumption across disconnects,
restarts and SIGKILL, concurrency, and the non-tus paths."""
import hashlib
import json
import os
import signal
import time

from tusclient import client as tus_client

from conftest import fake_mp4
from helpers import RawPatch, create_upload, error_code, finish_upload, head_offset, path_of, request, tus_headers


def wait_until(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def video_json(hub, video_id):
    status, _, body = hub.request(f"/api/v1/videos/{video_id}")
    assert status == 200
    return json.loads(body)


def test_tuspy_uploads_in_chunks_and_the_video_streams_back(hub, tmp_path):
    data = fake_mp4(9 * 1024 * 1024 + 123)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    client = tus_client.TusClient(hub.url + "/api/v1/uploads", headers=hub.auth)
    uploader = client.uploader(str(path), chunk_size=4 << 20, metadata={"filename": "clip.mp4", "title": "From tuspy"})
    uploader.upload()
    status, headers, _ = hub.request(uploader.url, "HEAD", tus_headers())
    video_id = headers["Stream-Hub-Video-Id"]
    video = video_json(hub, video_id)
    assert video["title"] == "From tuspy"
    assert video["sha256"] == hashlib.sha256(data).hexdigest()
    _, _, streamed = hub.request(f"{video['streamUrl']}")
    assert streamed == data


def test_tuspy_resumes_at_the_server_offset_after_a_restart(hub, tmp_path):
    data = fake_mp4(12 * 1024 * 1024, seed=2)
    path = tmp_path / "resume.mp4"
    path.write_bytes(data)
    client = tus_client.TusClient(hub.url + "/api/v1/uploads", headers=hub.auth)
    uploader = client.uploader(str(path), chunk_size=4 << 20, metadata={"filename": "resume.mp4"})
    uploader.upload_chunk()
    uploader.upload_chunk()
    url = uploader.url
    hub.stop()  # graceful shutdown between chunks
    hub.start()
    resumed = tus_client.TusClient(hub.url + "/api/v1/uploads", headers=hub.auth).uploader(str(path), chunk_size=4 << 20, url=url)
    assert resumed.offset == 8 << 20
    resumed.upload()
    _, headers, _ = hub.request(url, "HEAD", tus_headers())
    assert video_json(hub, headers["Stream-Hub-Video-Id"])["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_client_that_disconnects_mid_patch_keeps_what_arrived(hub):
    data = fake_mp4(3_000_000, seed=3)
    location = create_upload(hub, len(data))
    patch = RawPatch(hub, path_of(location), 0, len(data))
    patch.send(data[:1_500_000])
    time.sleep(0.3)
    patch.abort()
    assert wait_until(lambda: head_offset(hub, location)[1] > 0), "the bytes that arrived are kept"
    status, offset, _ = head_offset(hub, location)
    assert status == 200 and 0 < offset <= 1_500_000
    assert video_json(hub, finish_upload(hub, location, offset, data))["sha256"] == hashlib.sha256(data).hexdigest()


def test_sigkill_mid_upload_loses_nothing_acknowledged(hub):
    data = fake_mp4(4_000_000, seed=4)
    location = create_upload(hub, len(data))
    status, headers, _ = hub.request(location, "PATCH", tus_headers(Upload_Offset="0", Content_Type="application/offset+octet-stream"), data[:1_000_000])
    assert status == 204
    patch = RawPatch(hub, path_of(location), 1_000_000, 3_000_000)
    patch.send(data[1_000_000:2_000_000])
    time.sleep(0.2)
    hub.process.send_signal(signal.SIGKILL)
    hub.process.wait()
    hub.process = None
    hub.start()
    status, offset, _ = head_offset(hub, location)
    assert status == 200 and offset >= 1_000_000, "the acknowledged chunk survived SIGKILL"
    assert video_json(hub, finish_upload(hub, location, offset, data))["sha256"] == hashlib.sha256(data).hexdigest()


def test_two_patches_at_once_one_is_refused_with_423(hub):
    data = fake_mp4(2_000_000, seed=5)
    location = create_upload(hub, len(data))
    first = RawPatch(hub, path_of(location), 0, len(data))
    first.send(data[:100_000])
    time.sleep(0.3)
    status, _, body = hub.request(location, "PATCH", tus_headers(Upload_Offset="0", Content_Type="application/offset+octet-stream"), data[:10])
    assert status == 423
    assert error_code(body) == "upload_locked"
    first.send(data[100_000:])
    assert first.response_status() == 204


def test_deleting_a_video_while_it_streams(hub):
    data = fake_mp4(40 * 1024 * 1024, seed=6)
    status, _, body = hub.request("/api/v1/videos", "POST", {"Content-Type": "multipart/form-data; boundary=b"},
                              b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp4\"\r\n\r\n" + data + b"\r\n--b--\r\n")
    assert status == 201
    video = json.loads(body)
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", hub.port)
    conn.request("GET", video["streamUrl"], headers=hub.auth)
    response = conn.getresponse()
    received = response.read(1 << 20)
    assert hub.request(f"/api/v1/videos/{video['id']}", "DELETE")[0] == 204
    received += response.read()
    assert received == data, "a stream already started finishes with the right bytes"
    assert hub.request(f"{video['streamUrl']}")[0] == 404
    assert hub.request("/healthz")[0] == 200


def test_a_client_that_disconnects_mid_stream_does_not_hurt_the_server(hub):
    data = fake_mp4(20 * 1024 * 1024, seed=7)
    location = create_upload(hub, len(data))
    _, headers, _ = hub.request(location, "PATCH", tus_headers(Upload_Offset="0", Content_Type="application/offset+octet-stream"), data)
    import socket
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", hub.port))
        sock.sendall(f"GET /api/v1/videos/{headers['Stream-Hub-Video-Id']}/stream HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        sock.recv(65536)
        sock.close()
    assert hub.request("/healthz")[0] == 200
    _, _, streamed = hub.request(f"/api/v1/videos/{headers['Stream-Hub-Video-Id']}/stream")
    assert streamed == data


def test_expect_100_continue_bodies_work(hub):
    import subprocess
    data = fake_mp4(2_000_000, seed=8)
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-F", "file=@-;filename=a.mp4",
                          "-H", f"Authorization: Bearer {hub.token}",
                          hub.url + "/api/v1/videos"], input=data, capture_output=True, check=True)
    assert out.stdout == b"201"
