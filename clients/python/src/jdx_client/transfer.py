"""A batch file over HTTP: upload it, follow its processing, download its results."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx2 as httpx

from jdx_client.api import JdxClient
from jdx_client.progress import Watch


class StillProcessing(TimeoutError):
    """The hub had not finished the file when the client stopped waiting."""


def over_http(
    client: httpx.Client, file: Path, folder: Path, *, wait: float, bars: Watch, poll: float = 0.5
) -> dict[str, Any]:
    """Upload ``file``, follow its processing and download its results into ``folder``; the
    file's last status, with ``saved`` (and, for a file received before, ``duplicate_of`` and
    the hub's ``message``). A refusal raises :class:`~jdx_client.problems.ProblemError`."""
    api = JdxClient.over(client)
    bars.uploading(file.name, file.stat().st_size)
    received = api.upload_file(file, progress=bars.uploaded)
    if received.get("duplicate_of") is not None:
        bars.note(str(received.get("message")))  # the earlier upload's results follow
    file_id = received["file_id"]
    deadline = time.monotonic() + wait
    status = api.file_status(file_id)
    while status["state"] not in ("done", "failed"):
        bars.processing(int(status.get("processed") or 0), None)
        if time.monotonic() > deadline:
            raise StillProcessing(
                f"the file is still being processed after {wait:.0f} s; see "
                f"{str(client.base_url).rstrip('/')}/sdcs/v1/files/{file_id}"
            )
        time.sleep(poll)
        status = api.file_status(file_id)
    bars.processing(int(status["total"] or 0), int(status["total"] or 0))
    outcome: dict[str, Any] = dict(status)
    outcome["saved"] = [str(p) for p in api.download_results(status, folder)]
    if received.get("duplicate_of") is not None:
        outcome["duplicate_of"] = received["duplicate_of"]
        outcome["message"] = received.get("message")
    return outcome
