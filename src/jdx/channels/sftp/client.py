"""The agencies' SFTP client (``jdx submit FILE --sftp``): upload, wait, download the results.

The server takes a file when the client closes it, so once ``put`` returns the file has left
INPUT. The hub then writes into OUTPUT the error file (if any), the response report and, last,
the processor log; the client waits for the log (or for a ``.refused.txt`` note about a bad
name) and downloads what belongs to the file.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from jdx.exchanges.stops.file_folders import REALM_FOLDERS
from jdx.exchanges.stops.outputs import LOG_WIDTHS

_COUNTS = re.compile(r"TOTAL (\d+) SUCCESSFUL (\d+) ERRORS (\d+)")
# Table 10: ORI, file name, file date, channel, then the 75-character processing status.
_STATUS = slice(sum(LOG_WIDTHS[:4]), sum(LOG_WIDTHS[:5]))


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    username: str  # the agency's ORI
    password: str | None = None
    identity: Path | None = None  # a private key file
    host_fingerprint: str | None = None  # None: the user's ~/.ssh/known_hosts decides


@dataclass
class Outcome:
    file: str
    realm: str
    status: str  # the processor log's status, or the refusal
    saved: list[str] = field(default_factory=list)
    total: int = 0
    successful: int = 0
    errors: int = 0
    failed: bool = False


class _PinnedHost(asyncssh.SSHClient):
    """Accept only the server key of the fingerprint the operator published."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        return key.get_fingerprint("sha256") == self.fingerprint


async def _connect(target: Target) -> asyncssh.SSHClientConnection:
    pinned = target.host_fingerprint
    return await asyncssh.connect(
        target.host,
        target.port,
        username=target.username,
        password=target.password,
        client_keys=[str(target.identity)] if target.identity else None,
        # With a fingerprint, no known_hosts entry matches and _PinnedHost decides.
        known_hosts=([], [], []) if pinned else (),
        client_factory=(lambda: _PinnedHost(pinned)) if pinned else None,
        agent_path=None,
        config=None,
    )


async def submit(
    target: Target,
    file: Path,
    *,
    realm: str,
    out: Path,
    wait: float,
    progress: Callable[[int], None] = lambda done: None,
) -> Outcome:
    folder = REALM_FOLDERS[realm]
    stem = file.name.rsplit(".", 1)[0]
    conn = await _connect(target)
    async with conn, conn.start_sftp_client() as sftp:
        started = time.time()
        await sftp.put(
            str(file),
            f"/{folder}/INPUT/{file.name}",
            progress_handler=lambda _src, _dst, done, _total: progress(done),
        )
        outbox = f"/{folder}/OUTPUT"
        refused, log = f"{file.name}.refused.txt", f"{stem}_log.txt"
        deadline = time.monotonic() + wait
        while True:
            names = {str(n.filename): n.attrs for n in await sftp.readdir(outbox)}
            if refused in names and (names[refused].mtime or 0) >= int(started) - 1:
                wanted = [refused]
                break
            if log in names:
                wanted = [n for n in names if n.startswith(f"{stem}_")]
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no results for {file.name} after {wait:.0f} s")
            await asyncio.sleep(0.5)
        out.mkdir(parents=True, exist_ok=True)
        outcome = Outcome(file.name, realm, "")
        for name in sorted(wanted):
            target_path = out / Path(name).name  # the hub's names only, never a path
            await sftp.get(f"{outbox}/{name}", str(target_path))
            outcome.saved.append(str(target_path))
    if wanted == [refused]:
        outcome.status = (out / refused).read_text().strip()
        outcome.failed = True
        return outcome
    record = (out / log).read_text("ascii")
    outcome.status = record[_STATUS].strip()
    counts = _COUNTS.search(outcome.status)
    if counts is None:
        outcome.failed = True
    else:
        outcome.total, outcome.successful, outcome.errors = map(int, counts.groups())
    return outcome
