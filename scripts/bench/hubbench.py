"""Shared helpers of the benchmarks: start a release hub, wait for it, measure memory."""
import os
import socket
import subprocess
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_release(product="streamhub", root=ROOT, scratch=None):
    """Builds `product` in release mode and returns the path of the executable. With
    STREAMHUB_RELEASE_SCRATCH set (say `.build-release`), the release build lives there, so a
    debug build in `.build` is not held up by SwiftPM's lock while it runs. `root` and
    `scratch` build another checkout (an older commit, for a with/without comparison). With
    STREAMHUB_BINARY set, this checkout's `streamhub` is that release binary, built elsewhere (a
    worktree of the same commit, so that the sources here can change while it is measured)."""
    if product == "streamhub" and root == ROOT and os.environ.get("STREAMHUB_BINARY"):
        return os.environ["STREAMHUB_BINARY"]
    scratch = scratch or os.environ.get("STREAMHUB_RELEASE_SCRATCH")
    scratch_args = ["--scratch-path", scratch] if scratch else []
    subprocess.run(["swift", "build", "-c", "release", *scratch_args, "--product", product], cwd=root, check=True,
                   stdout=subprocess.DEVNULL)
    out = subprocess.run(["swift", "build", "-c", "release", *scratch_args, "--show-bin-path"], cwd=root, check=True,
                         capture_output=True, text=True).stdout.strip()
    return os.path.join(out, product)


def build_baseline(ref):
    """The release binary of `ref`, from a git worktree under .build-baseline/ (kept between runs)."""
    source = os.path.join(ROOT, ".build-baseline", ref)
    if not os.path.isdir(source):
        subprocess.run(["git", "worktree", "add", "--detach", source, ref], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["swift", "build", "-c", "release", "--product", "streamhub"], cwd=source, check=True,
                   stdout=subprocess.DEVNULL)
    bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=source, check=True,
                             capture_output=True, text=True).stdout.strip()
    return os.path.join(bin_dir, "streamhub")


def run_clients(work, clients):
    """Runs `work(index)` on `clients` threads at once; returns the seconds until all finish."""
    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def print_rows(rows):
    """The benchmarks' table: measure, the hub's figure, the reference's, and their ratio."""
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'hub':<42} {'reference':<42} ratio")
    for name, value, reference, ratio in rows:
        print(f"{name.ljust(width)}  {value:<42} {reference:<42} {ratio}")


_postgres_databases = {}


def create_postgres_database(server_url):
    """A new database on the PostgreSQL server at `server_url` (postgres://user@host:port); its URL."""
    import uuid
    from urllib.parse import urlparse
    server = urlparse(server_url)
    name = "hub_" + uuid.uuid4().hex
    subprocess.run(["psql", "-h", server.hostname, "-p", str(server.port), "-U", server.username or "postgres", "-d", "postgres",
                    "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return f"{server_url}/{name}"


class Hub:
    """A streamhub process on its own data directory and a free port."""

    def __init__(self, binary, workdir, port=None, extra_env=None):
        self.binary, self.workdir = binary, workdir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, HUB_PORT=str(self.port), HUB_DATA_DIR=os.path.join(workdir, "data"),
                        UPLOAD_DIR=os.path.join(workdir, "uploads"), LOG_LEVEL="warning")
        self.env.update(extra_env or {})
        # STREAMHUB_TEST_POSTGRES (a server's URL, as scripts/postgres_server.py prints it): every
        # hub that names no database gets one there, so the whole suite runs on PostgreSQL; hubs
        # sharing a data directory share it, as they would share the SQLite file.
        postgres = os.environ.get("STREAMHUB_TEST_POSTGRES")
        if postgres and "DATABASE_URL" not in (extra_env or {}):
            data = self.env["HUB_DATA_DIR"]
            if data not in _postgres_databases:
                _postgres_databases[data] = create_postgres_database(postgres)
            self.env["DATABASE_URL"] = _postgres_databases[data]
        self.log_path = os.path.join(workdir, "hub.log")
        self.process = None
        self.token = None

    def cli(self, *args, stdin=None, check=True, env=None):
        """Runs a `streamhub` subcommand on this hub's data directory (user, token…)."""
        return subprocess.run([self.binary, *args], cwd=self.workdir, env=dict(self.env, **(env or {})), input=stdin,
                              capture_output=True, text=True, check=check)

    def add_user(self, name, password, admin=False):
        self.cli("user", "add", name, *(["--admin"] if admin else []), stdin=password + "\n")

    def create_token(self, user):
        return self.cli("token", "create", "--user", user).stdout.strip()

    def sign_up_admin(self, name="admin", password="admin-password"):
        """Makes the hub's first account (its admin) and keeps an API token for it."""
        self.add_user(name, password, admin=True)
        self.token = self.create_token(name)
        return self.token

    @property
    def auth(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, url, method="GET", headers=None, data=None, token=None):
        """(status, headers, body) of a request as this hub's admin, as `token`, or anonymously
        with `token=""`; never raises on 4xx/5xx. `url` is absolute or a path on the hub."""
        import urllib.error
        if url.startswith("/"):
            url = self.url + url
        all_headers = dict(self.auth) if token is None else {"Authorization": f"Bearer {token}"} if token else {}
        all_headers.update(headers or {})
        req = urllib.request.Request(url, method=method, headers=all_headers, data=data)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def start(self, timeout=30):
        started = time.monotonic()
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([self.binary, "serve"], cwd=self.workdir, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        while time.monotonic() - started < timeout:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return time.monotonic() - started
            except OSError:
                time.sleep(0.005)
            if self.process.poll() is not None:
                break
        with open(self.log_path, errors="replace") as log:
            raise RuntimeError("hub did not become ready:\n" + log.read()[-2000:])

    def peak_rss_bytes(self):
        return self._status_bytes("VmHWM:")

    def reset_peak_rss(self):
        """Starts peak_rss_bytes afresh from the current RSS (Linux: clear_refs 5), so a figure
        covers one workload rather than everything the process did before it."""
        with open(f"/proc/{self.process.pid}/clear_refs", "w") as f:
            f.write("5")

    def rss_bytes(self):
        return self._status_bytes("VmRSS:")

    def _status_bytes(self, field):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
