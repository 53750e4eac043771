"""Key AND client certificate on /namus/v1, through a real nginx running the shipped
deploy/nginx/jdx.conf in front of a real `jdx serve`; certificates are made here."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest
from bench import processes

from tests.certs import Issued, issue
from tests.exchanges.cases.test_import import missing

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="needs nginx (.ci/run installs it)"),
]

SHIPPED = Path(__file__).resolve().parents[3] / "deploy" / "nginx" / "jdx.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int | Path, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    """Until ``port`` (a TCP port on loopback, or a Unix socket's path) takes connections."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if isinstance(port, Path):
                with socket.socket(socket.AF_UNIX) as s:
                    s.settimeout(1)
                    s.connect(str(port))
                    return
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        assert process.poll() is None, f"{what} exited: {log.read_text()}"
        assert time.monotonic() < deadline, f"{what} did not start"
        time.sleep(0.1)


def nginx_config(tmp: Path, port: int, hub_socket: Path, tls: Path) -> Path:
    """The shipped server block, pointed at this test's files and ports, in a main config whose
    pid, logs and temporary files stay in ``tmp``."""
    server = SHIPPED.read_text()
    for shipped, ours in (
        ("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
        ("server unix:/run/jdx/jdx.sock;", f"server unix:{hub_socket};"),
        ("/etc/jdx/tls/", f"{tls}/"),
    ):
        assert shipped in server, f"deploy/nginx/jdx.conf no longer has {shipped!r}"
        server = server.replace(shipped, ours)
    return main_config(tmp, server)


def main_config(tmp: Path, server: str, http: str = "") -> Path:
    """``server`` (a shipped http{}-level file, adapted) in a main config whose pid, logs and
    temporary files stay in ``tmp``; ``http``: more directives of the http block."""
    user = pwd.getpwuid(os.getuid()).pw_name
    temp = "\n".join(
        f"    {kind}_temp_path {tmp}/{kind}_temp;"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = f"""
daemon off;
user {user};
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/access.log;
{temp}
{http}
{server}
}}
"""
    path = tmp / "nginx.conf"
    path.write_text(main)
    return path


@dataclass
class Stack:
    nginx: str  # https://127.0.0.1:port
    hub: Path  # the hub's Unix socket, which nginx connects to
    tls: Path
    ca: Issued
    keys: dict[str, str]  # ORI -> production key
    certs: dict[str, Issued]  # ORI -> its client certificate
    env: dict[str, str]  # the hub's environment, for `jdx` commands on its database
    pid: int  # the hub's main process (uvicorn's supervisor of the workers)

    def through_nginx(self, cert: Issued | None) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.tls / "ca.crt"))
        if cert is not None:
            crt, key = cert.write(self.tls, f"client-{id(cert)}")
            context.load_cert_chain(str(crt), str(key))
        return httpx.Client(base_url=self.nginx, verify=context, timeout=15)


def post_job(client: httpx.Client, key: str, **headers: str) -> httpx.Response:
    return client.post(
        "/namus/v1/jobs",
        content=orjson.dumps({"cases": [missing()]}),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", **headers},
    )


def jdx(env: dict[str, str], *args: str) -> Any:
    done = processes.run(
        [sys.executable, "-m", "jdx", *args], env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return orjson.loads(done.stdout)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("nginx")
    tls = tmp / "tls"
    tls.mkdir()
    ca = issue("jdx test import clients CA", ca=True)
    (tls / "ca.crt").write_bytes(ca.cert_pem)
    (tls / "client-ca.crt").write_bytes(ca.cert_pem)
    issue("localhost", ca, server=True).write(tls, "server")

    # in a folder every user may enter (as /run/jdx is): the socket's own mode must keep them out
    run = Path(tempfile.mkdtemp(prefix="jdx-run-"))
    run.chmod(0o755)
    hub_socket, nginx_port = run / "jdx.sock", free_port()
    env = {
        **os.environ,
        "JDX_DATA_DIR": str(tmp / "data"),
        "JDX_DATABASE_URL": "",
        "JDX_UDS": str(hub_socket),  # the shipped deployment: nginx on the hub's Unix socket
        "JDX_WORKERS": "2",  # ... served by several workers, which share the one socket
        "JDX_SFTP": "off",
        "JDX_AUTH_CACHE_SECONDS": "0",
    }
    for name in ("JDX_TRUSTED_PROXIES", "JDX_PROXY_SECRET", "JDX_HOST", "JDX_PORT"):
        env.pop(name, None)
    jdx(env, "db", "upgrade")
    keys: dict[str, str] = {}
    certs: dict[str, Issued] = {}
    for ori in ("CA0370000", "CA0380000", "CA0390000", "CA0400000"):
        keys[ori] = jdx(env, "agency", "add", ori, "--name", f"Agency {ori}")["api_keys"]["prod"]
        jdx(env, "namus", "account", ori, "--sponsor", "State clearinghouse", "--grant-import")
        certs[ori] = issue(f"import client {ori}", ca)
        pem = tls / f"{ori}.pem"
        pem.write_bytes(certs[ori].cert_pem)
        added = jdx(env, "namus", "cert", "add", ori, str(pem))
        assert len(added["fingerprint"]) == 64
        assert jdx(env, "namus", "cert", "list", ori)[0]["fingerprint"] == added["fingerprint"]
    jdx(env, "agency", "suspend", "CA0390000")
    jdx(env, "namus", "account", "CA0400000", "--revoke-import")

    hub_log, nginx_log = tmp / "hub.log", tmp / "error.log"
    conf = nginx_config(tmp, nginx_port, hub_socket, tls)
    # each with its workers in a process group of its own, stopped as one when the module ends
    with (
        hub_log.open("wb") as out,
        processes.group(
            [sys.executable, "-m", "jdx", "serve"], env=env, stdout=out, stderr=out
        ) as hub,
        processes.group(
            ["nginx", "-p", str(tmp), "-c", str(conf), "-e", str(nginx_log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ) as nginx,
    ):
        wait_for_port(hub_socket, hub, "jdx serve", hub_log)
        wait_for_port(nginx_port, nginx, "nginx", nginx_log)
        yield Stack(
            f"https://127.0.0.1:{nginx_port}",
            hub_socket,
            tls,
            ca,
            keys,
            certs,
            env,
            hub.pid,
        )
    shutil.rmtree(run, ignore_errors=True)


def test_key_and_the_accounts_own_certificate_are_accepted(stack: Stack) -> None:
    with stack.through_nginx(stack.certs["CA0370000"]) as client:
        answer = post_job(client, stack.keys["CA0370000"])
        assert answer.status_code == 202, answer.text
        status = client.get(
            answer.json()["status_url"],
            headers={"Authorization": f"Bearer {stack.keys['CA0370000']}"},
        )
        assert status.status_code == 200, status.text


def test_no_certificate_is_refused_and_forged_headers_are_dropped(stack: Stack) -> None:
    with stack.through_nginx(None) as client:
        answer = post_job(client, stack.keys["CA0370000"])
        assert answer.status_code == 401
        assert "Client certificate missing" in answer.json()["detail"]
        # the right certificate's headers, sent by the client itself: nginx replaces them
        forged = post_job(
            client, stack.keys["CA0370000"], **stack.certs["CA0370000"].forwarded_headers()
        )
        assert forged.status_code == 401, forged.text
        # the other channels need no client certificate
        assert client.get("/healthz").status_code == 200


def test_another_accounts_certificate_is_refused(stack: Stack) -> None:
    with stack.through_nginx(stack.certs["CA0380000"]) as client:
        answer = post_job(client, stack.keys["CA0370000"])
    assert answer.status_code == 403
    assert "not registered to account CA0370000" in answer.json()["detail"]


def test_a_wrong_key_is_refused(stack: Stack) -> None:
    with stack.through_nginx(stack.certs["CA0370000"]) as client:
        wrong = stack.keys["CA0370000"][:-4] + "AAAA"
        assert post_job(client, wrong).status_code == 401
        assert post_job(client, "jdx_prod_nonsense").status_code == 401


def test_a_suspended_account_or_one_without_import_permission_is_refused(stack: Stack) -> None:
    with stack.through_nginx(stack.certs["CA0390000"]) as client:
        answer = post_job(client, stack.keys["CA0390000"])
    assert answer.status_code == 403 and "suspended" in answer.json()["detail"]
    with stack.through_nginx(stack.certs["CA0400000"]) as client:
        answer = post_job(client, stack.keys["CA0400000"])
    assert answer.status_code == 403 and "no import permission" in answer.json()["detail"]


def test_a_certificate_of_an_unknown_ca_is_refused_by_nginx(stack: Stack) -> None:
    stranger = issue("self-signed stranger")
    with stack.through_nginx(stranger) as client:
        answer = post_job(client, stack.keys["CA0370000"])
    assert answer.status_code == 400  # nginx: "The SSL certificate error"


def test_the_hub_listens_on_its_socket_only_and_only_its_group_may_connect(
    stack: Stack,
) -> None:
    # srw-rw----: the hub's user and the proxy's group (JDX_UDS_GROUP); not world-writable, as
    # a socket uvicorn binds itself would be (0666)
    mode = stack.hub.stat().st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o660
    # another local user (nobody) is refused by the file's permissions (the system's Python:
    # the checkout's may sit in a folder nobody cannot read)
    if os.geteuid() == 0 and Path(SYSTEM_PYTHON).exists():
        tried = subprocess.run(
            [SYSTEM_PYTHON, "-c", CONNECT, str(stack.hub)],
            user="nobody",
            group="nogroup",
            extra_groups=[],
            capture_output=True,
            text=True,
            check=False,
        )
        assert tried.stdout.strip() == "PermissionError", tried.stderr


def test_every_worker_serves_the_one_socket(stack: Stack) -> None:
    """`jdx serve --uds` with two workers: each holds the socket that `jdx serve` bound (0660),
    none binds one of its own, and with one of them killed the other answers every request.

    nginx keeps idle connections to the hub (``keepalive 32``); those it held to the killed
    worker fail once each when next used (502: nginx does not send a POST again), then every
    request reaches the live worker. So: 502s only before the first 202, and every answer
    after it a 202."""
    workers = worker_pids(stack.pid)
    assert len(workers) == 2, workers
    listening = socket_inode(stack.hub)
    for pid in workers:
        assert f"socket:[{listening}]" in open_fds(pid), pid
    os.kill(workers[0], signal.SIGKILL)
    with stack.through_nginx(stack.certs["CA0370000"]) as client:
        answers = [post_job(client, stack.keys["CA0370000"]).status_code for _ in range(40)]
    first = answers.index(202) if 202 in answers else len(answers)
    assert set(answers[:first]) <= {502} and first <= 32, answers  # the dead worker's idle ones
    assert answers[first:] == [202] * (len(answers) - first) and len(answers) - first >= 8, answers
    assert stat.S_IMODE(stack.hub.stat().st_mode) == 0o660  # unchanged by the workers


def worker_pids(parent: int) -> list[int]:
    """The uvicorn workers of ``parent``: its children that run Python (not its resource
    tracker, which holds no socket, and which ``open_fds`` would then show without it)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(c) for c in children if "multiprocessing.resource_tracker" not in cmdline(int(c))]


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def socket_inode(path: Path) -> str:
    """The inode of the listening Unix socket bound at ``path`` (/proc/net/unix)."""
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) == 8 and fields[7] == str(path) and fields[5] == "01":  # listening
            return fields[6]
    raise AssertionError(f"nothing listens on {path}")


def open_fds(pid: int) -> set[str]:
    fds = Path(f"/proc/{pid}/fd")
    return {str(fd.readlink()) for fd in fds.iterdir()}


SYSTEM_PYTHON = "/usr/bin/python3"
CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
    print("connected")
except OSError as exc:
    print(type(exc).__name__)
"""
