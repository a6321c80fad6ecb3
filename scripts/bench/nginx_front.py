"""deploy/nginx.conf run on loopback in front of hub processes, as the deployment runs it in front
of containers: the same file, with the upstream addresses, the port and nginx's own paths
substituted (nginx -t resolves upstream names, and the tests run without root's directories)."""
import os
import re
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONF = os.path.join(ROOT, "deploy", "nginx.conf")


def loopback_conf(directory, upstream_ports, port):
    with open(CONF) as source:
        text = source.read()
    servers = iter(upstream_ports)
    text, replaced = re.subn(r"server hub\d+:8080", lambda _: f"server 127.0.0.1:{next(servers)}", text)
    assert replaced == len(upstream_ports), "nginx.conf names one upstream server per instance"
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    paths = "".join(f"    {name}_temp_path {directory}/{name};\n" for name in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
    text = text.replace("http {\n", "http {\n" + paths, 1)
    path = os.path.join(directory, "nginx.conf")
    with open(path, "w") as conf:
        conf.write(text)
    return path


class NginxFront:
    def __init__(self, directory, upstream_ports):
        from hubbench import free_port
        self.directory = directory
        self.port = free_port()
        self.conf = loopback_conf(directory, upstream_ports, self.port)
        self.globals = f"daemon off; pid {directory}/nginx.pid; error_log {directory}/error.log;"
        self.process = None

    def check(self):
        return subprocess.run(["nginx", "-t", "-c", self.conf, "-g", self.globals], capture_output=True, text=True)

    def start(self):
        checked = self.check()
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(["nginx", "-c", self.conf, "-g", self.globals], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
