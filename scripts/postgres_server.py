#!/usr/bin/env python3
"""A throwaway PostgreSQL server for the end-to-end tests and benchmarks: Debian's PostgreSQL
(installed by `scripts/setup.sh --test`), a fresh cluster on a free loopback port trusting local
connections, removed when stopped. Each hub gets a database of its own (`create_database`).

  with running() as server:
      url = server.create_database()   # postgres://postgres@127.0.0.1:PORT/hub_…
      server.stop(); server.start()    # an outage, for tests that want one

Run as a script, it starts a server and prints its base URL until interrupted.
"""
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid


def _binaries():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (scripts/setup.sh --test installs it)")
    return found[-1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        self.bin = _binaries()
        self.port = _free_port()
        self.directory = tempfile.mkdtemp(prefix="streamhub-pg-")
        self.process = None
        # initdb and postgres refuse root: the cluster belongs to the `postgres` account then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        # The superuser is trusted on loopback; other roles (`create_role`) need their password.
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as hba:
            hba.write("local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n")

    @property
    def data(self):
        return os.path.join(self.directory, "data")

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, tool, *args):
        subprocess.run(self.as_user + [os.path.join(self.bin, tool), *args], check=True, capture_output=True, text=True)

    def start(self, timeout=30):
        log = open(os.path.join(self.directory, "server.log"), "ab")
        self.process = subprocess.Popen(
            self.as_user + [os.path.join(self.bin, "postgres"), "-D", self.data, "-p", str(self.port), "-k", self.directory,
                            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=300"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(self.as_user + [os.path.join(self.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)])
            if ready.returncode == 0:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not start; see {self.directory}/server.log")

    def stop(self):
        """Stops the server at once (SIGINT: fast shutdown, connections cut), keeping its data."""
        if self.process and self.process.poll() is None:
            # The postmaster itself, not runuser in front of it, which does not pass SIGINT on.
            with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
                with open(os.path.join(self.data, "postmaster.pid")) as pid_file:
                    os.kill(int(pid_file.readline()), 2)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def create_database(self, owner=None):
        """A new, empty database (owned by `owner`, a role from `create_role`); returns its URL."""
        name = "hub_" + uuid.uuid4().hex
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *(["-O", owner] if owner else []), name)
        return f"{self.url}/{name}"

    def create_role(self, name, password):
        """A login role that must give `password`; returns the server's URL as that role."""
        self.sql(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        return f"postgres://{name}:{password}@127.0.0.1:{self.port}"

    def sql(self, statement, database="postgres"):
        """Runs one statement as the superuser; returns psql's unaligned output."""
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-qAt", "-c", statement],
                              check=True, capture_output=True, text=True).stdout

    def remove(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def running():
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


if __name__ == "__main__":
    import signal
    import sys
    # Stopped by SIGTERM (what a script's cleanup sends) as by ^C: the cluster is removed either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with running() as server:
        print(server.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
