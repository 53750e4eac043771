"""Two `jdx serve` nodes behind a real nginx running the shipped deploy/nginx/jdx-two-nodes.conf:
one PostgreSQL database, a data folder each, TCP with the proxy secret. Requests reach both
nodes; a stopped node's requests go to the other; a POST that reached a node which then failed
is answered 502 and never passed on (the stop might have been stored)."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import orjson
import pytest
from bench import processes

from tests.certs import issue
from tests.channels.http.test_nginx_certs import free_port, jdx, main_config, wait_for_port
from tests.conftest import drop_postgres_database, fresh_postgres_database, stop_record

pytestmark = [
    pytest.mark.server,
    pytest.mark.postgres,  # several nodes share one PostgreSQL database
    pytest.mark.skipif(shutil.which("nginx") is None, reason="needs nginx (.ci/run installs it)"),
]

SHIPPED = Path(__file__).resolve().parents[3] / "deploy" / "nginx" / "jdx-two-nodes.conf"
SECRET = "5e" * 32
# which node answered, as nginx saw it: every address tried, in order, and each one's status
UPSTREAMS = """
    log_format upstreams '$request_method $request_uri $status "$upstream_addr" "$upstream_status"';
    access_log {log} upstreams;
"""


@dataclass
class Cluster:
    tmp: Path
    tls: Path
    key: str
    ports: list[int]  # node1's, node2's
    nodes: list[subprocess.Popen[bytes]]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("two-nodes")
    tls = tmp / "tls"
    tls.mkdir()
    ca = issue("jdx test CA", ca=True)
    (tls / "ca.crt").write_bytes(ca.cert_pem)
    (tls / "client-ca.crt").write_bytes(ca.cert_pem)
    issue("localhost", ca, server=True).write(tls, "server")
    # xdist may give each test of the module to another worker, each with this fixture
    url = fresh_postgres_database(f"two_nodes_{worker_id}")
    shared = {
        **os.environ,
        "JDX_DATABASE_URL": url,
        "JDX_SFTP": "off",
        "JDX_HOST": "127.0.0.1",
        # nginx reaches the nodes over TCP from 127.0.0.1, proving itself with the secret
        "JDX_TRUSTED_PROXIES": '["127.0.0.1"]',
        "JDX_PROXY_SECRET": SECRET,
    }
    shared.pop("JDX_UDS", None)
    try:
        jdx({**shared, "JDX_DATA_DIR": str(tmp / "node1")}, "db", "upgrade")
        added = jdx(
            {**shared, "JDX_DATA_DIR": str(tmp / "node1")},
            "agency",
            "add",
            "CA0370000",
            "--name",
            "Two nodes",
        )
        ports = [free_port(), free_port()]
        with two_nodes(tmp, shared, ports) as nodes:
            yield Cluster(tmp, tls, added["api_keys"]["prod"], ports, nodes)
    finally:
        drop_postgres_database(url)


@contextmanager
def two_nodes(
    tmp: Path, shared: dict[str, str], ports: list[int]
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """node1 and node2: each its own data folder and node id, one database."""
    with (
        (tmp / "node1.log").open("wb") as log1,
        (tmp / "node2.log").open("wb") as log2,
        processes.group(
            [sys.executable, "-m", "jdx", "serve"],
            env=node_env(tmp, shared, "node1", ports[0]),
            stdout=log1,
            stderr=log1,
        ) as node1,
        processes.group(
            [sys.executable, "-m", "jdx", "serve"],
            env=node_env(tmp, shared, "node2", ports[1]),
            stdout=log2,
            stderr=log2,
        ) as node2,
    ):
        for port, node, name in ((ports[0], node1, "node1"), (ports[1], node2, "node2")):
            processes.wait_for_health(
                f"http://127.0.0.1:{port}", node, detail=(tmp / f"{name}.log").read_text
            )
        yield [node1, node2]


def node_env(tmp: Path, shared: dict[str, str], name: str, port: int) -> dict[str, str]:
    return {**shared, "JDX_DATA_DIR": str(tmp / name), "JDX_NODE_ID": name, "JDX_PORT": str(port)}


@dataclass
class Nginx:
    base: str
    ca: Path
    log: Path
    seen: int = field(default=0)

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, verify=ssl.create_default_context(cafile=str(self.ca)), timeout=30
        )

    def new_lines(self) -> list[list[str]]:
        """The access log's lines since the last call: method, URI, status, upstream
        addresses (every one tried, in order), their statuses."""
        lines = self.log.read_text().splitlines()
        new, self.seen = lines[self.seen :], len(lines)
        out = []
        for line in new:
            request, upstreams, statuses = (
                line.split('"')[0],
                line.split('"')[1],
                line.split('"')[3],
            )
            method, uri, status = request.split()
            out.append([method, uri, status, upstreams, statuses])
        return out


@contextmanager
def nginx(cluster: Cluster, first: int, second: int, name: str) -> Iterator[Nginx]:
    """The shipped two-node file, its upstreams at ``first`` and ``second`` (loopback ports)."""
    folder = cluster.tmp / name
    folder.mkdir()
    server = SHIPPED.read_text()
    port = free_port()
    for shipped, ours in (
        ("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
        ("server 10.0.0.11:8000 ", f"server 127.0.0.1:{first} "),
        ("server 10.0.0.12:8000 ", f"server 127.0.0.1:{second} "),
        ("/etc/jdx/tls/", f"{cluster.tls}/"),
        ("REPLACE-WITH-JDX_PROXY_SECRET", SECRET),
    ):
        assert shipped in server, f"deploy/nginx/jdx-two-nodes.conf no longer has {shipped!r}"
        server = server.replace(shipped, ours)
    log = folder / "upstreams.log"
    conf = main_config(folder, server, UPSTREAMS.format(log=log))
    with processes.group(
        ["nginx", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as proc:
        wait_for_port(port, proc, "nginx", folder / "error.log")
        yield Nginx(f"https://127.0.0.1:{port}", cluster.tls / "ca.crt", log)


def post_stop(client: httpx.Client, key: str) -> tuple[str, httpx.Response]:
    record = stop_record(ORI="CA0370000")
    answer = client.post(
        "/sdcs/v1/stops",
        content=orjson.dumps(record),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    return record["LEARecordID"], answer


def test_requests_reach_both_nodes_and_a_stopped_nodes_go_to_the_other(
    cluster: Cluster,
) -> None:
    node1, node2 = (f"127.0.0.1:{p}" for p in cluster.ports)
    auth = {"Authorization": f"Bearer {cluster.key}"}
    with nginx(cluster, *cluster.ports, "balanced") as proxy, proxy.client() as client:
        stored = []
        for _ in range(10):
            lea, answer = post_stop(client, cluster.key)
            assert answer.status_code == 200, answer.text
            stored.append(lea)
        answered_by = {line[3] for line in proxy.new_lines()}
        assert answered_by == {node1, node2}  # round robin, one try each
        # the nodes believe nginx's forwarded headers over TCP: the secret header reached them
        login = client.get("/portal/login")
        assert "Secure" in login.headers["set-cookie"]

        if cluster.nodes[0].poll() is None:
            processes.stop_group(cluster.nodes[0])  # node1 stops (SIGTERM, as systemd would)
        proxy.new_lines()
        for _ in range(10):
            lea, answer = post_stop(client, cluster.key)
            assert answer.status_code == 200, answer.text
            stored.append(lea)
        for lea in stored:  # every stop, whichever node stored it, from the node left
            assert client.get(f"/sdcs/v1/stops/{lea}", headers=auth).status_code == 200
        lines = proxy.new_lines()
        assert {line[3].split(", ")[-1] for line in lines} == {node2}
        assert all(line[2] == "200" for line in lines)
        # nginx did try node1 (refused: nothing sent) and passed those requests on
        assert any(line[3] == f"{node1}, {node2}" for line in lines), lines


class BlackHole:
    """A 'node' that reads a request and drops the connection without answering: a node that
    died after the request reached it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                conn.settimeout(5)
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    data += conn.recv(65536)  # some of the body
                except OSError:
                    pass
                if data:
                    self.received.append(data)
                # RST, no answer
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def close(self) -> None:
        self.sock.close()


def test_a_post_that_reached_a_failing_node_is_never_sent_to_the_other(
    cluster: Cluster,
) -> None:
    hole = BlackHole()
    node2 = f"127.0.0.1:{cluster.ports[1]}"
    auth = {"Authorization": f"Bearer {cluster.key}"}
    try:
        with nginx(cluster, hole.port, cluster.ports[1], "post") as proxy, proxy.client() as c:
            answers = {}
            for _ in range(6):  # round robin: the hole gets one of the first two
                lea, answer = post_stop(c, cluster.key)
                answers[lea] = answer.status_code
                if hole.received:
                    break
            assert [r.split(b" ")[0] for r in hole.received] == [b"POST"]
            (lost,) = [lea for lea, status in answers.items() if status == 502]
            assert lost.encode() in hole.received[0]  # the body had reached the hole
            # ... and was not stored by node2: nginx did not pass the POST on
            assert c.get(f"/sdcs/v1/stops/{lost}", headers=auth).status_code == 404
            assert all(s == 200 for lea, s in answers.items() if lea != lost)
            posts = [line for line in proxy.new_lines() if line[0] == "POST"]
            assert [line[3] for line in posts if line[2] == "502"] == [f"127.0.0.1:{hole.port}"]
        hole.received.clear()
        # a stop stored through node2 itself, then read through a fresh nginx, whose first
        # try is the hole
        with httpx.Client(base_url=f"http://{node2}", timeout=30) as direct:
            lea, stored = post_stop(direct, cluster.key)
            assert stored.status_code == 200, stored.text
        with nginx(cluster, hole.port, cluster.ports[1], "get") as proxy, proxy.client() as c:
            for _ in range(6):
                assert c.get(f"/sdcs/v1/stops/{lea}", headers=auth).status_code == 200
                if hole.received:
                    break
            assert [r.split(b" ")[0] for r in hole.received] == [b"GET"]
            # a GET is safe to repeat: the one the hole dropped was passed on to node2
            tried = [line[3] for line in proxy.new_lines() if "," in line[3]]
            assert tried == [f"127.0.0.1:{hole.port}, {node2}"]
    finally:
        hole.close()
