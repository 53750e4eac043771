"""`jdx serve` as a real process on loopback: what `make run` starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import httpx2 as httpx
import orjson
import pytest
from bench import processes

from tests.conftest import stop_record

pytestmark = pytest.mark.server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jdx(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    # in a process group of its own: a `jdx serve` that did not refuse is stopped with its workers
    return processes.run(
        [sys.executable, "-m", "jdx", *args], env=env, capture_output=True, timeout=60, check=False
    )


def test_serve_refuses_an_unmigrated_database_then_serves(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "JDX_DATA_DIR": str(tmp_path),
        "JDX_DATABASE_URL": "",
        "JDX_PORT": str(port),
        "JDX_WORKERS": "2",
        "JDX_SFTP_PORT": str(free_port()),
        "JDX_MAIL_POLL_SECONDS": "0.5",
        "JDX_ONESTOP_SUMMARY_SECONDS": "0",  # a one-stop file's notice: due at once
    }
    refused = jdx(env, "serve")
    assert refused.returncode == 3 and b"jdx db upgrade" in refused.stderr
    assert jdx(env, "db", "upgrade").returncode == 0
    added = jdx(
        env, "agency", "add", "CA0370000", "--name", "Serve test", "--email", "poc@example.org"
    )
    key = orjson.loads(added.stdout)["api_keys"]["prod"]
    with processes.group(
        [sys.executable, "-m", "jdx", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as server:
        base = f"http://127.0.0.1:{port}"
        processes.wait_for_health(
            base, server, detail=lambda: server.stderr.read().decode() if server.stderr else ""
        )
        record = stop_record(ORI="CA0370000")
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        first = httpx.post(f"{base}/sdcs/v1/stops", content=orjson.dumps(record), headers=headers)
        assert first.status_code == 200, first.text
        again = httpx.post(f"{base}/sdcs/v1/stops", content=orjson.dumps(record), headers=headers)
        assert again.status_code == 409
        assert httpx.get(f"{base}/docs").status_code == 200
        # a batch file: uploaded to an HTTP worker, processed by the hub's file workflow
        one = stop_record(ORI="CA0370000")
        name = f"20240315143200_CA0370000_{one['LEARecordID']}.json"
        put = httpx.put(f"{base}/sdcs/v1/files/{name}", content=orjson.dumps(one), headers=headers)
        assert put.status_code == 202, put.text
        status = {"state": "received"}
        deadline = time.monotonic() + 60
        while status["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, f"file not processed: {status}"
            time.sleep(0.3)
            status = httpx.get(f"{base}{put.headers['location']}", headers=headers).json()
        assert (status["state"], status["successful"]) == ("done", 1)
        # the notifier in jdx serve: no SMTP server set, so the mail lands in data_dir/outbox
        deadline = time.monotonic() + 30
        while not (mails := list((tmp_path / "outbox").glob("*.eml"))):
            assert time.monotonic() < deadline, "the file's mail was not written"
            time.sleep(0.3)
        [mail] = mails
        message = BytesParser(policy=default).parsebytes(mail.read_bytes())
        assert message["To"] == "poc@example.org"
        assert message["Subject"] == "jdx: summary, 1 notice"  # a one-stop file: the lane's
        assert name in message.get_body(preferencelist=("plain",)).get_content()
        # the agencies' client: upload, wait, download the results beside the file
        bad = stop_record(ORI="CA0370000", SDur="0")
        batch = tmp_path / f"20240315143201_CA0370000_{bad['LEARecordID']}.json"
        batch.write_bytes(orjson.dumps(bad))
        submitted = jdx({**env, "JDX_URL": base, "JDX_API_KEY": key}, "submit", str(batch))
        assert submitted.returncode == 1, submitted.stderr  # stored, with errors
        summary = orjson.loads(submitted.stdout)
        assert (summary["state"], summary["with_errors"]) == ("done", 1)
        saved = sorted(Path(p).name for p in summary["saved"])
        assert saved == sorted(
            batch.stem + s for s in ("_errors.json", "_log.txt", "_response.txt")
        )
        assert b"DV" in (tmp_path / f"{batch.stem}_errors.json").read_bytes()
        # the same client over SFTP, against the embedded server `jdx serve` runs
        enabled = jdx(env, "sftp", "enable", "CA0370000", "--generate-password")
        sftp_env = {
            **env,
            "JDX_SFTP_PASSWORD": orjson.loads(enabled.stdout)["sftp_password"],
            "JDX_SFTP_HOST_FINGERPRINT": orjson.loads(jdx(env, "sftp", "host-key").stdout)[
                "fingerprint"
            ],
        }
        good = stop_record(ORI="CA0370000")
        by_sftp = tmp_path / "agency" / f"20240315143202_CA0370000_{good['LEARecordID']}.json"
        by_sftp.parent.mkdir()
        by_sftp.write_bytes(orjson.dumps(good))
        sent = jdx(sftp_env, "submit", str(by_sftp), "--sftp")
        assert sent.returncode == 0, sent.stderr
        summary = orjson.loads(sent.stdout)
        assert (summary["total"], summary["successful"]) == (1, 1)
        assert sorted(Path(p).name for p in summary["saved"]) == [
            f"{by_sftp.stem}_log.txt",
            f"{by_sftp.stem}_response.txt",
        ]
        impostor = {**sftp_env, "JDX_SFTP_HOST_FINGERPRINT": "SHA256:" + "A" * 43}
        refused = jdx(impostor, "submit", str(by_sftp), "--sftp")
        assert refused.returncode == 1 and b"SFTP:" in refused.stderr


def test_serve_says_so_when_the_sftp_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            **os.environ,
            "JDX_DATA_DIR": str(tmp_path),
            "JDX_DATABASE_URL": "",
            "JDX_PORT": str(free_port()),
            "JDX_SFTP_PORT": str(taken.getsockname()[1]),
        }
        assert jdx(env, "db", "upgrade").returncode == 0
        refused = jdx(env, "serve")
    assert refused.returncode == 1 and b"could not start the SFTP server" in refused.stderr
