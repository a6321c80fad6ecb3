"""Multicast DNS discovery with real sockets: a standard browser (python-zeroconf) sees the hub's
`_streamhub._tcp.local.` announcement and the hub finds what zeroconf announces, on loopback; and
two hubs in two network namespaces joined by a veth pair find each other with no configuration
and share a note."""
import json
import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest

from helpers import eventually
from hubbench import Hub, free_port

SECRET = "a-cluster-secret-for-tests-0123456789"


def test_a_standard_mdns_browser_and_the_hub_see_each_other(binary, tmp_path):
    from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, Zeroconf
    hub = Hub(binary, str(tmp_path), extra_env={
        "P2P_ENABLED": "true", "P2P_PORT": str(free_port()), "P2P_NODE_NAME": "mdns-hub", "P2P_MDNS": "true"})
    hub.start()
    hub.sign_up_admin()
    zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        found = {}

        class Listener:
            def add_service(self, zc, type_, name):
                found[name] = zc.get_service_info(type_, name, timeout=3000)

            def update_service(self, zc, type_, name):
                pass

            def remove_service(self, zc, type_, name):
                pass

        ServiceBrowser(zc, "_streamhub._tcp.local.", Listener())
        info = eventually(lambda: found.get("mdns-hub._streamhub._tcp.local."), message="zeroconf did not see the hub")
        node = json.loads(hub.request("/api/v1/peers")[2])["node"]
        assert info.port == int(hub.env["P2P_PORT"]) and info.properties[b"id"] == node.encode()
        assert info.parsed_addresses() == ["127.0.0.1"]

        # The hub finds a hub that zeroconf announces, with its node id.
        zc.register_service(ServiceInfo(
            "_streamhub._tcp.local.", "zc-announced._streamhub._tcp.local.", addresses=[socket.inet_aton("127.0.0.1")],
            port=46999, properties={"id": "cd" * 16}, server="zc-announced.local."))

        def discovered():
            peers = json.loads(hub.request("/api/v1/peers")[2])["peers"]
            return next((p for p in peers if p["name"] == "zc-announced"), None)

        peer = eventually(discovered, message="the hub did not find the zeroconf service")
        assert peer["address"] == "127.0.0.1:46999" and peer["source"] == "mdns" and peer["node"] == "cd" * 16
        status, _, metrics = hub.request("/metrics")
        assert b'streamhub_peers{state="suspect"} 1' in metrics or b'streamhub_peers{state="dead"} 1' in metrics
    finally:
        zc.close()
        hub.stop()


class Namespaces:
    """Two network namespaces joined by a veth pair: two hosts on one machine."""

    def __init__(self):
        suffix = uuid.uuid4().hex[:6]
        self.names = [f"sh{suffix}a", f"sh{suffix}b"]
        self.addresses = ["10.213.0.1", "10.213.0.2"]

    def __enter__(self):
        a, b = self.names
        commands = [
            ["ip", "netns", "add", a], ["ip", "netns", "add", b],
            ["ip", "link", "add", "veth-" + a[-7:], "netns", a, "type", "veth", "peer", "name", "veth-" + b[-7:], "netns", b],
            ["ip", "-n", a, "addr", "add", self.addresses[0] + "/24", "dev", "veth-" + a[-7:]],
            ["ip", "-n", b, "addr", "add", self.addresses[1] + "/24", "dev", "veth-" + b[-7:]],
            ["ip", "-n", a, "link", "set", "veth-" + a[-7:], "up"], ["ip", "-n", b, "link", "set", "veth-" + b[-7:], "up"],
            ["ip", "-n", a, "link", "set", "lo", "up"], ["ip", "-n", b, "link", "set", "lo", "up"],
        ]
        for command in commands:
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                self.__exit__()
                pytest.skip(f"this machine does not allow network namespaces: {' '.join(command)}: {result.stderr.strip()}")
        return self

    def __exit__(self, *_):
        for name in self.names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def in_namespace(namespace, *command, **kwargs):
    return subprocess.run(["ip", "netns", "exec", namespace, *command], capture_output=True, text=True, **kwargs)


@pytest.mark.skipif(shutil.which("ip") is None, reason="iproute2 is not installed")
def test_hubs_on_two_hosts_find_each_other_by_mdns_and_share_notes(binary, tmp_path):
    with Namespaces() as hosts:
        hubs = []
        try:
            for index, (namespace, address) in enumerate(zip(hosts.names, hosts.addresses)):
                workdir = tmp_path / f"host{index}"
                workdir.mkdir()
                env = dict(os.environ, HUB_HOST=address, HUB_PORT="8080", HUB_DATA_DIR=str(workdir / "data"),
                           UPLOAD_DIR=str(workdir / "uploads"), P2P_ENABLED="true", P2P_PORT="6881",
                           P2P_NODE_NAME=f"host-{index}", P2P_SECRET=SECRET, P2P_MDNS="true",
                           P2P_GOSSIP_INTERVAL_MS="100", P2P_ANTI_ENTROPY_INTERVAL_MS="500", LOG_LEVEL="info")
                subprocess.run([binary, "user", "add", "admin", "--admin"], input="admin-password\n", env=env, cwd=workdir,
                               check=True, capture_output=True, text=True)
                token = subprocess.run([binary, "token", "create", "--user", "admin"], env=env, cwd=workdir, check=True,
                                       capture_output=True, text=True).stdout.strip()
                log = open(workdir / "hub.log", "wb")
                process = subprocess.Popen(["ip", "netns", "exec", namespace, binary, "serve"], env=env, cwd=workdir,
                                           stdout=log, stderr=subprocess.STDOUT)
                hubs.append((namespace, f"http://{address}:8080", token, process, workdir))

            def call(hub, path, method="GET", body=None):
                namespace, url, token, _, _ = hub
                command = ["curl", "-s", "-X", method, "-H", f"Authorization: Bearer {token}", url + path]
                if body is not None:
                    command += ["-H", "Content-Type: application/json", "--data", json.dumps(body)]
                result = in_namespace(namespace, *command)
                return json.loads(result.stdout) if result.returncode == 0 and result.stdout else None

            for hub in hubs:
                eventually(lambda: call(hub, "/healthz"), message="a hub did not start:\n" + open(hub[4] / "hub.log").read()[-2000:])

            def peer_alive(hub, name):
                answer = call(hub, "/api/v1/peers") or {"peers": []}
                return any(p["name"] == name and p["state"] == "alive" and p["source"] == "mdns" for p in answer["peers"])

            eventually(lambda: peer_alive(hubs[0], "host-1") and peer_alive(hubs[1], "host-0"),
                       message="the hubs did not find each other:\n" + open(hubs[0][4] / "hub.log").read()[-2000:])
            assert call(hubs[0], "/api/v1/peers")["peers"][0]["address"] == "10.213.0.2:6881"
            note = call(hubs[0], "/api/v1/notes", "POST", {"title": "Across hosts", "content": "over veth", "shared": True})
            copy = eventually(lambda: (call(hubs[1], f"/api/v1/notes/{note['id']}") or {}).get("id") and call(hubs[1], f"/api/v1/notes/{note['id']}"))
            assert copy["content"] == "over veth" and copy["author"] == "admin@host-0"
            discovery = call(hubs[1], "/api/v1/peers")["metrics"]["discoverySeconds"]
            print(f"discovered in {discovery:.2f} s")
        finally:
            for hub in hubs:
                hub[3].terminate()
                hub[3].wait(timeout=30)
