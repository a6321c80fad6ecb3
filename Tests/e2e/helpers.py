import base64
import http.client
import json
import socket
import time
import urllib.error
import urllib.request


def request(url, method="GET", headers=None, data=None):
    """(status, headers, body) without raising on 4xx/5xx."""
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def api(hub, path, method="GET", body=None, token=None):
    """(status, decoded JSON or None) of a JSON API call on `hub` as its admin (or `token`)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    status, _, raw = hub.request(path, method, headers, data, token=token)
    return status, (json.loads(raw) if raw else None)


def eventually(predicate, timeout=30, interval=0.05, message="timed out"):
    """Waits for what the hub does a moment later (mirror flushes, gossip rounds); returns the
    predicate's first truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, message
        time.sleep(interval)


def tus_headers(**extra):
    headers = {"Tus-Resumable": "1.0.0"}
    headers.update({k.replace("_", "-"): v for k, v in extra.items()})
    return headers


def create_upload(hub, length, metadata=None):
    headers = tus_headers(Upload_Length=str(length))
    if metadata:
        headers["Upload-Metadata"] = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    status, h, _ = hub.request("/api/v1/uploads", "POST", headers)
    assert status == 201, status
    return hub.url + h["Location"]


def head_offset(hub, location):
    status, h, _ = hub.request(location, "HEAD", tus_headers())
    return status, int(h["Upload-Offset"]) if status == 200 else None, h


def error_code(body):
    return json.loads(body)["error"]["code"]


class RawPatch:
    """A PATCH whose body is sent by hand over a socket, to cut it off or hold it open."""

    def __init__(self, hub, path, offset, length):
        self.sock = socket.create_connection(("127.0.0.1", hub.port))
        head = (f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
                f"Authorization: Bearer {hub.token}\r\n"
                f"Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
                f"Content-Length: {length}\r\n\r\n")
        self.sock.sendall(head.encode())

    def send(self, data):
        self.sock.sendall(data)

    def abort(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.sock.close()

    def response_status(self):
        self.sock.settimeout(30)
        data = self.sock.recv(4096).decode(errors="replace")
        self.sock.close()
        return int(data.split(" ", 2)[1])


def path_of(url):
    return "/" + url.split("/", 3)[3]


def finish_upload(hub, location, offset, data, wait=True):
    """Sends data[offset:] in one PATCH; returns the new video's id, once processed (`wait`)."""
    status, headers, body = hub.request(location, "PATCH", tus_headers(Upload_Offset=str(offset), Content_Type="application/offset+octet-stream"), data[offset:])
    assert status == 204, body
    video = headers["Stream-Hub-Video-Id"]
    if wait:
        processed(hub, video)
    return video


def processed(hub, video, timeout=60, want=()):
    """The video's JSON once its processing job has ended (ready or failed): an upload answers
    as soon as its bytes are stored, and probing, the thumbnail and faststart come after. The
    jobs that follow a ready video (seek previews, the adaptive ladder) run after that: `want`
    names the fields to wait for too (`previewsUrl`, `hlsUrl`)."""
    def settled():
        status, body = api(hub, f"/api/v1/videos/{video}")
        done = status == 200 and body["status"] != "processing" and all(body.get(field) for field in want)
        return body if done else None
    return eventually(settled, timeout=timeout, message=f"video {video} still processing")
