"""Markdown rendering: hostile and ordinary notes through the hub (release build, the preview
route and a stored note's read) next to cmark-gfm called directly (the same Debian library,
without the hub's budget), in one run.

    python3 scripts/bench/markdown.py

The shapes are issue 13's findings (`![[]()` repeated, a table of 20,000 columns) and the ones
measured while fixing it (email-like text, emphasis runs, nested quotes and lists), at the
finding's size and at 2 MiB (NOTE_MAX_BYTES), plus an ordinary long note."""
import ctypes
import json
import os
import tempfile
import threading
import time
import urllib.request

from hubbench import Hub, build_release, print_rows

SHAPES = {
    "images around links": lambda n: "![[]()" * (n // 6),
    "20,000-column table": lambda n: "|" + "a|" * (n // 4) + "\n|" + "-|" * (n // 4) + "\n",
    "email-like text": lambda n: "a@" * (n // 2),
    "emphasis runs": lambda n: "*_" * (n // 2),
    "nested quotes and lists": lambda n: "> - " * (n // 4) + "a",
    "ordinary note": lambda n: "\n\n".join(f"Paragraph {i} with a [link](https://example.com/{i}), **bold** and `code`."
                                           for i in range(n // 70)),
}
SIZES = [180_000, 2 << 20]
REFERENCE_TIMEOUT = 30


class Cmark:
    """cmark-gfm through ctypes, with the hub's extensions, no budget."""

    def __init__(self):
        self.lib = ctypes.CDLL("libcmark-gfm.so")
        extensions = ctypes.CDLL("libcmark-gfm-extensions.so")
        extensions.cmark_gfm_core_extensions_ensure_registered()
        lib = self.lib
        lib.cmark_parser_new.restype = ctypes.c_void_p
        lib.cmark_find_syntax_extension.restype = ctypes.c_void_p
        lib.cmark_find_syntax_extension.argtypes = [ctypes.c_char_p]
        lib.cmark_parser_attach_syntax_extension.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.cmark_parser_feed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.cmark_parser_finish.restype = ctypes.c_void_p
        lib.cmark_parser_finish.argtypes = [ctypes.c_void_p]
        lib.cmark_parser_get_syntax_extensions.restype = ctypes.c_void_p
        lib.cmark_parser_get_syntax_extensions.argtypes = [ctypes.c_void_p]
        lib.cmark_render_html.restype = ctypes.c_void_p
        lib.cmark_render_html.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]

    def seconds(self, text):
        """Render time in a child process, so a quadratic case can be cut off at the timeout."""
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            lib = self.lib
            parser = lib.cmark_parser_new(0)
            for name in [b"table", b"strikethrough", b"autolink", b"tagfilter", b"tasklist"]:
                lib.cmark_parser_attach_syntax_extension(parser, lib.cmark_find_syntax_extension(name))
            data = text.encode()
            started = time.perf_counter()
            lib.cmark_parser_feed(parser, data, len(data))
            document = lib.cmark_parser_finish(parser)
            lib.cmark_render_html(document, 0, lib.cmark_parser_get_syntax_extensions(parser))
            os.write(write, str(time.perf_counter() - started).encode())
            os._exit(0)
        os.close(write)
        result = []
        reader = threading.Thread(target=lambda: result.append(os.read(read, 64)))
        reader.start()
        reader.join(REFERENCE_TIMEOUT)
        if reader.is_alive():
            os.kill(pid, 9)
            reader.join()
        os.waitpid(pid, 0)
        os.close(read)
        return float(result[0]) if result and result[0] else None


def post(hub, path, body):
    request = urllib.request.Request(hub.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **hub.auth})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def get(hub, path):
    request = urllib.request.Request(hub.url + path, headers=hub.auth)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def timed(action):
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main():
    binary = build_release()
    cmark = Cmark()
    with tempfile.TemporaryDirectory() as workdir:
        hub = Hub(binary, workdir, extra_env={"NOTE_MAX_BYTES": str(2 << 20)})
        hub.start()
        hub.sign_up_admin()
        try:
            rows = []
            for name, make in SHAPES.items():
                for size in SIZES:
                    text = make(size)[: 2 << 20]
                    preview = min(timed(lambda: post(hub, "/api/v1/notes/preview", {"content": text})) for _ in range(3))
                    note = post(hub, "/api/v1/notes", {"title": "bench", "content": text})
                    first = timed(lambda: get(hub, f"/api/v1/notes/{note['id']}"))
                    kept = min(timed(lambda: get(hub, f"/api/v1/notes/{note['id']}")) for _ in range(3))
                    reference = cmark.seconds(text)
                    ref = f"{reference * 1000:.0f} ms cmark-gfm" if reference is not None else f"> {REFERENCE_TIMEOUT} s (cut off)"
                    ratio = f"{reference / preview:.1f}x faster" if reference else "-"
                    label = f"{name}, {len(text.encode()) // 1024} KiB"
                    rows.append((label, f"preview {preview * 1000:.0f} ms, read {first * 1000:.0f} ms then {kept * 1000:.0f} ms",
                                 ref, ratio))
            print_rows(rows)
            # /healthz while two 2 MiB hostile previews render.
            threads = [threading.Thread(target=post, args=(hub, "/api/v1/notes/preview", {"content": SHAPES["images around links"](2 << 20)}))
                       for _ in range(2)]
            for thread in threads:
                thread.start()
            health = [timed(lambda: urllib.request.urlopen(hub.url + "/healthz", timeout=30).read()) for _ in range(5)]
            for thread in threads:
                thread.join()
            print(f"/healthz during two 2 MiB hostile previews: max {max(health) * 1000:.1f} ms (the finding: frozen 19 s)")
        finally:
            hub.stop()


if __name__ == "__main__":
    main()
