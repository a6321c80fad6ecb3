"""Writes the fuzz targets' seed corpora (Fuzz/corpus/TARGET/*): a few valid inputs of each
parser's format, so libFuzzer starts from the shapes real clients and peers send. Run once
after changing a format; the files are committed."""
import base64
import json
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


size = struct.pack(">Q", 1 << 20)
for i, header in enumerate(["bytes=0-99", "bytes=-500", "bytes=0-0,5-9,100-", "bytes=1048575-", "items=0-1", "bytes=9-3"]):
    write("range", f"seed-{i}", size + header.encode())

for i, lines in enumerate([
    ['"' + "a" * 64 + '"', "*", "Sun, 06 Nov 1994 08:49:37 GMT", "", ""],
    ["", 'W/"x", "y"', "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", '"' + "a" * 64 + '"'],
]):
    write("conditional", f"seed-{i}", "\n".join(lines))

b64 = lambda text: base64.b64encode(text.encode()).decode()
for i, header in enumerate([f"filename {b64('clip.mp4')},title {b64('Sunset')},tags {b64('sea, evening')},is_confidential",
                            "sha256 " + base64.b64encode(bytes(32)).decode(), "sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "12345"]):
    write("tus", f"seed-{i}", header)

form = ("--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello\r\n"
        "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
        "line one\r\n--not the boundary\r\n\r\n--B--\r\n")
for i, step in enumerate([1, 7, 63]):
    write("multipart", f"seed-{i}", bytes([step]) + form.encode())


def name(*labels):
    return b"".join(bytes([len(label)]) + label.encode() for label in labels) + b"\0"


query = struct.pack(">HHHHHH", 0, 0, 1, 0, 0, 0) + name("_streamhub", "_tcp", "local") + struct.pack(">HH", 12, 1)
service = name("hub-a", "_streamhub", "_tcp", "local")
answer = (struct.pack(">HHHHHH", 0, 0x8400, 0, 4, 0, 0)
          + name("_streamhub", "_tcp", "local") + struct.pack(">HHIH", 12, 1, 120, len(service)) + service
          + service + struct.pack(">HHIH", 33, 0x8001, 120, 6 + len(name("host", "local"))) + struct.pack(">HHH", 0, 0, 6881) + name("host", "local")
          + service + struct.pack(">HHIH", 16, 0x8001, 120, 36) + bytes([35]) + b"id=" + b"ab" * 16
          + name("host", "local") + struct.pack(">HHIH", 1, 0x8001, 120, 4) + bytes([127, 0, 0, 1]))
compressed = answer[:12] + answer[12:] + b"\xc0\x0c"
write("dns", "seed-0", query)
write("dns", "seed-1", answer)
write("dns", "seed-2", compressed)

for i, text in enumerate([
    "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ https://example.com\n\n- [x] done\n",
    "At [1:05] the intro, `[0:10]` in code, [see](https://x.org) ![img](a.png) **bold** _em_ <b>raw</b>\n\n> quote\n> - item\n",
    "```swift\nlet x = [1, 2]\n```\n\n[ref]: https://example.com\n\n[ref] and a@example.com www.example.com\n",
]):
    write("markdown", f"seed-{i}", text)

node = "ab" * 16
replica = node[:16]
change = {"note": "6f1b7c4e-8d2a-4f7b-9c3e-1a2b3c4d5e6f", "stamp": {"clock": 1790000000000 << 16, "node": node}, "author": "bob@away",
          "operations": [{"title": "Plan"}, {"tags": ["q3"]}, {"shared": True}, {"text": {"id": f"{replica}:0", "text": "hello"}},
                         {"text": {"replica": replica, "from": 1, "to": 3}}, {"video": None}, {"deleted": False}]}
write("peer-message", "gossip", json.dumps({"batches": [{"note": change["note"], "base": {}, "changes": [change]}]}))
write("peer-message", "hello", json.dumps({"node": node, "name": "hub-a", "port": 6881, "host": "127.0.0.1",
                                           "members": [{"node": node, "name": "hub-b", "address": "127.0.0.1:6882"}],
                                           "newest": 1790000000000 << 16}))
write("peer-message", "digest", json.dumps({"root": 12345, "count": 1, "notes": {change["note"]: 99}}))
write("peer-message", "pull", json.dumps({"notes": [{"note": change["note"], "have": {node: 5}}]}))

write("crdt", "seed-0", bytes(range(256)))
write("crdt", "seed-1", bytes([0, 0, 0, 1, 0, 2] * 20 + [0, 2, 0, 0, 0, 9] + [0, 3, 0, 1, 0, 1] * 10))
