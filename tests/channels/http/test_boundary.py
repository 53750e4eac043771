"""The hub's edge against a local attacker, on a real `jdx serve` with its default settings
(issue 16, findings 6, 7, 8): forged proxy headers from loopback, a request trickled a byte a
second, a LEARecordID that tries to write a line of its own into the log."""

from __future__ import annotations

import os
import select
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import orjson
import pytest
from bench import processes

from tests.certs import Issued, issue
from tests.channels.http.test_nginx_certs import free_port, jdx, post_job, wait_for_port
from tests.conftest import stop_record

pytestmark = pytest.mark.server

ORI = "CA0370000"
FORGED = "2031-01-01 00:00:00,000 jdx.http INFO CA9999999 prod INSERT forged -> stored"


@dataclass
class Hub:
    url: str
    port: int
    key: str
    cert: Issued
    log: Path


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    tmp = tmp_path_factory.mktemp("boundary")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JDX_")},
        "JDX_DATA_DIR": str(tmp / "data"),
        "JDX_PORT": str(port),
        "JDX_SFTP": "off",
        # short, so that the test waits little; what it asserts is the answer, not the time
        "JDX_REQUEST_HEADER_TIMEOUT_SECONDS": "2",
        "JDX_REQUEST_BODY_TIMEOUT_SECONDS": "2",
    }
    jdx(env, "db", "upgrade")
    key = jdx(env, "agency", "add", ORI, "--name", "Boundary")["api_keys"]["prod"]
    jdx(env, "namus", "account", ORI, "--sponsor", "State clearinghouse", "--grant-import")
    cert = issue(f"import client {ORI}")
    pem = tmp / "client.pem"
    pem.write_bytes(cert.cert_pem)
    jdx(env, "namus", "cert", "add", ORI, str(pem))
    log = tmp / "hub.log"
    with (
        log.open("wb") as out,
        processes.group(
            [sys.executable, "-m", "jdx", "serve"], env=env, stdout=out, stderr=out
        ) as server,
    ):
        wait_for_port(port, server, "jdx serve", log)
        yield Hub(f"http://127.0.0.1:{port}", port, key, cert, log)


def test_forged_certificate_headers_from_loopback_are_not_believed(hub: Hub) -> None:
    # finding 7: any local process, with the account's key and its *public* certificate
    with httpx.Client(base_url=hub.url, timeout=15) as local:
        answer = post_job(local, hub.key, **hub.cert.forwarded_headers())
    assert answer.status_code == 401, answer.text
    assert "not a trusted proxy" in answer.json()["detail"]


# Bytes trickled at most: far more seconds than the hub's 2 s deadlines, far fewer than a
# patient test would wait for a hub without them (the socket's 30 s time-out then fails it).
TRICKLED = 20


def trickle(port: int, head: bytes, body: bytes) -> bytes:
    """Sends ``head`` at once, then ``body`` a byte a second until the hub answers (or
    ``TRICKLED`` bytes are sent); returns all the hub sent before it closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head)
        for byte in body[:TRICKLED]:
            readable, _, _ = select.select([s], [], [], 1.0)
            if readable:
                break
            try:
                s.sendall(bytes([byte]))
            except OSError:  # closed by the hub under our feet
                break
        answer = b""
        while chunk := s.recv(65536):  # up to the close (or the 30 s socket timeout: a failure)
            answer += chunk
        return answer


def test_a_body_sent_a_byte_a_second_is_answered_408_and_closed(hub: Hub) -> None:
    body = orjson.dumps(stop_record(ORI=ORI))
    head = (
        f"POST /sdcs/v1/stops HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {hub.key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    answer = trickle(hub.port, head, body)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"not received in time" in answer


def test_headers_sent_a_byte_a_second_are_answered_408_and_closed(hub: Hub) -> None:
    headers = b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    answer = trickle(hub.port, b"GET /healthz HTTP/1.1\r\nHost: hub\r\n", headers)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_a_kept_alive_connection_still_serves_its_next_request(hub: Hub) -> None:
    # the header deadline is per request: the second request on one connection is answered
    with httpx.Client(base_url=hub.url, timeout=15) as client:
        assert client.get("/healthz").status_code == 200
        time.sleep(0.5)
        assert client.get("/healthz").status_code == 200


def test_a_lea_record_id_with_a_newline_makes_one_log_line(hub: Hub) -> None:
    # finding 6: the record id carries a line of the attacker's making
    record = stop_record(ORI=ORI)
    record["LEARecordID"] = f"{record['LEARecordID']}\n{FORGED}\r\x1b[2J"
    answer = httpx.post(
        f"{hub.url}/sdcs/v1/stops",
        content=orjson.dumps(record),
        headers={"Authorization": f"Bearer {hub.key}", "Content-Type": "application/json"},
        timeout=15,
    )
    assert answer.status_code in (200, 400, 422), answer.text
    deadline = time.monotonic() + 10
    while "forged" not in (text := hub.log.read_text()):
        assert time.monotonic() < deadline, f"no log line for the submission: {text}"
        time.sleep(0.1)
    lines = [line for line in text.splitlines() if "forged" in line]
    assert len(lines) == 1, lines
    [line] = lines
    # the hub's own event, with the attacker's text inside it, escaped
    assert f" jdx.sdcs INFO {ORI} prod INSERT " in line and line.endswith(" -> rejected DV002")
    assert "\\n2031-01-01" in line and "\\r\\x1b[2J" in line
    assert not line.startswith("2031")
    assert "\x1b" not in text


def test_a_connection_that_sends_nothing_is_answered_408_and_closed(hub: Hub) -> None:
    # an idle crowd cannot hold the hub's connections either
    with socket.create_connection(("127.0.0.1", hub.port), timeout=30) as s:
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
