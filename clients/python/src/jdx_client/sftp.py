"""The agencies' SFTP client (``jdx submit FILE --sftp``): upload, wait, download the results.

The server takes a file when the client closes it, so once ``put`` returns the file has left
INPUT. The hub then writes into OUTPUT the error file (if any), the response report and, last,
the processor log; the client waits for the log (or for a ``.refused.txt`` note about a bad
name) and downloads what belongs to the file.

asyncssh is this module's alone (the ``sftp`` extra): the rest of the client runs without it.
The hub's folder names and log layout are restated here, since the client imports nothing of
the hub; a test of the hub checks that they agree with its own.
"""

from __future__ import annotations

import asyncio
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# asyncssh names cryptography's deprecated DSA classes at import, which cryptography answers
# with a warning that says nothing to a user (DSA is never offered): imported quietly.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh\.")
    import asyncssh as asyncssh

# The hub's folders of each realm (jdx.exchanges.stops.file_folders.REALM_FOLDERS), the note
# beside a file being processed (jdx.exchanges.stops.file_status.PROGRESS_SUFFIX) and the
# processor log's columns (jdx.exchanges.stops.outputs.LOG_WIDTHS, Table 10).
REALM_FOLDERS = {"prod": "PROD", "test": "TEST"}
PROGRESS_SUFFIX = ".progress.txt"
LOG_WIDTHS = (9, 30, 10, 3, 75, 10, 8)

_COUNTS = re.compile(r"TOTAL (\d+) SUCCESSFUL (\d+) ERRORS (\d+)")
_EARLIER = re.compile(r"UTC as (?P<name>[^ /]+) \(file \d+")
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
    # Received before: the earlier upload's name (its answers are the ones downloaded), and
    # the hub's note saying when it was received.
    duplicate_of: str | None = None
    note: str | None = None


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
    processed: Callable[[int], None] = lambda records: None,
    poll: float = 0.5,
) -> Outcome:
    """Upload, then wait for the answers: the processor log of the file (or, for a file the hub
    had received before, of that earlier upload), or a note refusing it. Meanwhile the file's
    progress note tells ``processed`` the records processed so far."""
    folder = REALM_FOLDERS[realm]
    stem = file.name.rsplit(".", 1)[0]
    conn = await _connect(target)
    async with conn, conn.start_sftp_client() as sftp:
        outbox = f"/{folder}/OUTPUT"
        refused, log = f"{file.name}.refused.txt", f"{stem}_log.txt"
        watched = file.name

        async def listing() -> dict[str, tuple[int, int]]:
            return {
                str(n.filename): (n.attrs.mtime or 0, n.attrs.size or 0)
                for n in await sftp.readdir(outbox)
            }

        # What was there before: the server's clock, not this machine's, tells new from old.
        before = await listing()
        await sftp.put(
            str(file),
            f"/{folder}/INPUT/{file.name}",
            progress_handler=lambda _src, _dst, done, _total: progress(done),
        )
        outcome = Outcome(file.name, realm, "")
        deadline = time.monotonic() + wait
        while True:
            names = await listing()
            if outcome.note is None and refused in names and names[refused] != before.get(refused):
                async with sftp.open(f"{outbox}/{refused}", "r", errors="replace") as note:
                    text = str(await note.read()).strip()
                earlier = _earlier(text, file.name)
                if earlier is None:
                    wanted = [refused]
                    break
                outcome.duplicate_of, outcome.note = earlier, text
                watched, stem = earlier, earlier.rsplit(".", 1)[0]
                log = f"{stem}_log.txt"
                continue
            if log in names and (outcome.note is not None or names[log] != before.get(log)):
                wanted = [n for n in names if n.startswith(f"{stem}_")]
                break
            if watched + PROGRESS_SUFFIX in names:
                try:
                    async with sftp.open(f"{outbox}/{watched}{PROGRESS_SUFFIX}", "r") as note:
                        processed(int(str(await note.read()).strip() or 0))
                except (asyncssh.SFTPError, ValueError):
                    pass  # removed as the file finished, or being replaced: next time
            if time.monotonic() > deadline:
                raise TimeoutError(f"no results for {file.name} after {wait:.0f} s")
            await asyncio.sleep(poll)
        out.mkdir(parents=True, exist_ok=True)
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
        processed(outcome.total)
    return outcome


def _earlier(note: str, name: str) -> str | None:
    """The earlier upload a note about a file received before names; None for other notes."""
    if "was already received on" not in note:
        return None
    named = _EARLIER.search(note)
    return named["name"] if named else name
