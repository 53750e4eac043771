"""``jdx submit FILE``: the agencies' client for batch files, over HTTP or SFTP.

It uploads the file with a progress bar, waits for the hub to process it, and downloads the
results (error file, response report, processor log) next to it or into ``--out``. Over HTTP
it needs the hub's address and the agency's API key; over SFTP (``--sftp``) the SFTP server's
address, the ORI and a password or key. Agencies can run it from any machine.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx2 as httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from jdx.cli._common import emit, fail

if TYPE_CHECKING:
    from jdx.channels.sftp.client import Target

CHUNK = 256 * 1024


EXIT_HELP = (
    "Exits 1 when the file was refused or failed, or when any of its records was rejected or "
    "stored with errors: the results downloaded beside the file say which, and why."
)


def submit(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The batch file."),
    url: str = typer.Option(
        "http://127.0.0.1:8000", "--url", envvar="JDX_URL", help="The hub's address."
    ),
    key: str = typer.Option(
        None, "--key", envvar="JDX_API_KEY", help="The agency's API key (HTTP; or JDX_API_KEY)."
    ),
    out: Path = typer.Option(None, "--out", help="Folder for the results (default: beside it)."),
    wait: float = typer.Option(600.0, "--wait", help="Seconds to wait for the processing."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    sftp: bool = typer.Option(False, "--sftp", help="Upload over SFTP instead of HTTP."),
    host: str = typer.Option("127.0.0.1", "--host", envvar="JDX_SFTP_HOST", help="SFTP server."),
    port: int = typer.Option(2222, "--port", envvar="JDX_SFTP_PORT", help="SFTP port."),
    user: str = typer.Option(
        None, "--user", envvar="JDX_SFTP_USER", help="SFTP user: the ORI (default: from the name)."
    ),
    password: str = typer.Option(
        None, "--password", envvar="JDX_SFTP_PASSWORD", help="SFTP password (or JDX_SFTP_PASSWORD)."
    ),
    identity: Path = typer.Option(
        None, "--identity", "-i", exists=True, dir_okay=False, help="SFTP private key file."
    ),
    host_fingerprint: str = typer.Option(
        None,
        "--host-fingerprint",
        envvar="JDX_SFTP_HOST_FINGERPRINT",
        help="The SFTP server's key (SHA256:...) as the hub's operator published it "
        "(default: ~/.ssh/known_hosts).",
    ),
    realm: str = typer.Option("prod", "--realm", help="SFTP: prod or test."),
) -> None:
    """Upload a batch file, wait for its processing and download the results."""
    folder = out or file.parent
    if sftp:
        parts = file.name.split("_")
        user = user or (parts[1] if len(parts) > 2 else "")
        if not user:
            fail("the SFTP user (the ORI) is not in the file name: give --user")
        if not password and not identity:
            fail("an SFTP password (--password or JDX_SFTP_PASSWORD) or key (--identity) is needed")
        if realm not in ("prod", "test"):
            fail("--realm must be prod or test")
        from jdx.channels.sftp.client import Target

        server = Target(host, port, user, password, identity, host_fingerprint)
        _over_sftp(server, file, folder, realm=realm, wait=wait, quiet=quiet)
        return
    if not key:
        fail("an API key is needed (--key or JDX_API_KEY), or use --sftp")
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client, Bars(quiet) as bars:
        status = over_http(client, file, folder, wait=wait, bars=bars)
    emit(status)
    if status["state"] == "failed" or status["rejected"] or status["with_errors"]:
        raise typer.Exit(1)


class Watch(Protocol):
    """What the client tells while it works: bytes uploaded, then records processed."""

    def uploading(self, name: str, size: int) -> None: ...
    def uploaded(self, done: int) -> None: ...
    def processing(self, processed: int, total: int | None) -> None: ...
    def note(self, text: str) -> None: ...


class Bars:
    """Rich progress bars on stderr: the upload in bytes, then the processing in records
    (against the total once the hub knows it). Off with --quiet or when stderr is no terminal;
    stdout keeps the one JSON document scripts read."""

    def __init__(self, quiet: bool) -> None:
        self.console = Console(stderr=True)
        enabled = not quiet and os.isatty(2)
        self.bytes = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=self.console,
            disable=not enabled,
            transient=True,
        )
        self.records = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("records"),
            TimeElapsedColumn(),
            console=self.console,
            disable=not enabled,
            transient=True,
        )
        self.name = ""
        self.upload: TaskID | None = None
        self.process: TaskID | None = None

    def __enter__(self) -> Bars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bytes.stop()
        self.records.stop()

    def uploading(self, name: str, size: int) -> None:
        self.name = name
        self.bytes.start()
        self.upload = self.bytes.add_task(f"upload {name}", total=size)

    def uploaded(self, done: int) -> None:
        if self.upload is not None:
            self.bytes.update(self.upload, completed=done)

    def processing(self, processed: int, total: int | None) -> None:
        if self.process is None:
            self.bytes.stop()
            self.records.start()
            self.process = self.records.add_task(f"process {self.name}", total=total)
        self.records.update(self.process, completed=processed, total=total)

    def note(self, text: str) -> None:
        self.console.print(f"note: {text}", highlight=False, markup=False)


def over_http(
    client: httpx.Client, file: Path, folder: Path, *, wait: float, bars: Watch, poll: float = 0.5
) -> dict[str, Any]:
    """Upload ``file``, follow its processing and download its results into ``folder``; the
    file's last status, with ``saved`` (and, for a file received before, ``duplicate_of`` and
    the hub's ``message``)."""
    size = file.stat().st_size
    bars.uploading(file.name, size)

    def chunks() -> Iterator[bytes]:
        done = 0
        with file.open("rb") as f:
            while data := f.read(CHUNK):
                done += len(data)
                bars.uploaded(done)
                yield data

    answer = client.put(
        f"/sdcs/v1/files/{file.name}",
        content=chunks(),
        headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
    )
    if answer.status_code not in (200, 202):
        fail(f"the hub refused the file ({answer.status_code}): {_error(answer)}")
    received = answer.json()
    if received.get("duplicate_of") is not None:
        bars.note(str(received.get("message")))  # the earlier upload's results follow
    location = answer.headers["location"]
    deadline = time.monotonic() + wait
    status: dict[str, Any] = client.get(location).json()
    while status["state"] not in ("done", "failed"):
        bars.processing(int(status.get("processed") or 0), None)
        if time.monotonic() > deadline:
            fail(
                f"the file is still being processed after {wait:.0f} s; see "
                f"{client.base_url}{location}"
            )
        time.sleep(poll)
        status = client.get(location).json()
    bars.processing(int(status["total"]), int(status["total"]))
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, href in status["results"].items():
        target = folder / Path(name).name  # the hub's names only, never a path
        target.write_bytes(client.get(href).content)
        saved.append(str(target))
    status["saved"] = saved
    if received.get("duplicate_of") is not None:
        status["duplicate_of"] = received["duplicate_of"]
        status["message"] = received.get("message")
    return status


def _over_sftp(
    server: Target, file: Path, folder: Path, *, realm: str, wait: float, quiet: bool
) -> None:
    from jdx.channels.sftp import asyncssh, client

    with Bars(quiet) as bars:
        bars.uploading(file.name, file.stat().st_size)
        try:
            outcome = asyncio.run(
                client.submit(
                    server,
                    file,
                    realm=realm,
                    out=folder,
                    wait=wait,
                    progress=bars.uploaded,
                    processed=lambda records: bars.processing(records, None),
                )
            )
        # KeyImportError: the --identity file is not a private key (a ValueError, not an Error)
        except (OSError, asyncssh.Error, asyncssh.KeyImportError, TimeoutError) as exc:
            fail(f"SFTP: {exc}")
        if outcome.note is not None:
            bars.note(outcome.note)
    emit(asdict(outcome))
    if outcome.failed or outcome.errors:
        raise typer.Exit(1)


def _error(answer: httpx.Response) -> str:
    """What the hub's answer says went wrong: its problem document's (RFC 9457) ``detail``."""
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200]
    if not isinstance(body, dict):
        return answer.text[:200]
    return str(body.get("detail") or body.get("title") or answer.text[:200])
