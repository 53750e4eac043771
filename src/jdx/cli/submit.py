"""``jdx submit FILE``: the agencies' client for batch files, over HTTP.

It uploads the file with a progress bar, waits for the hub to process it, and downloads the
results (error file, response report, processor log) next to it or into ``--out``. It needs
only the hub's address and the agency's API key, so agencies can run it from any machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from jdx.cli._common import emit, fail

CHUNK = 256 * 1024


def submit(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The batch file."),
    url: str = typer.Option(
        "http://127.0.0.1:8000", "--url", envvar="JDX_URL", help="The hub's address."
    ),
    key: str = typer.Option(
        ..., "--key", envvar="JDX_API_KEY", help="The agency's API key (or JDX_API_KEY)."
    ),
    out: Path = typer.Option(None, "--out", help="Folder for the results (default: beside it)."),
    wait: float = typer.Option(600.0, "--wait", help="Seconds to wait for the processing."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Upload a batch file, wait for its processing and download the results."""
    headers = {"Authorization": f"Bearer {key}"}
    size = file.stat().st_size
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            disable=quiet or not os.isatty(2),
            transient=True,
        ) as progress:
            task = progress.add_task(f"upload {file.name}", total=size)

            def chunks() -> Iterator[bytes]:
                with file.open("rb") as f:
                    while data := f.read(CHUNK):
                        progress.advance(task, len(data))
                        yield data

            answer = client.put(
                f"/sdcs/v1/files/{file.name}",
                content=chunks(),
                headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
            )
        if answer.status_code != 202:
            fail(f"the hub refused the file ({answer.status_code}): {_error(answer)}")
        location = answer.headers["location"]
        deadline = time.monotonic() + wait
        status = client.get(location).json()
        while status["state"] not in ("done", "failed"):
            if time.monotonic() > deadline:
                fail(f"the file is still being processed after {wait:.0f} s; see {url}{location}")
            time.sleep(0.5)
            status = client.get(location).json()
        folder = out or file.parent
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for name, href in status["results"].items():
            target = folder / Path(name).name  # the hub's names only, never a path
            target.write_bytes(client.get(href).content)
            saved.append(str(target))
    status["saved"] = saved
    emit(status)
    if status["state"] == "failed" or status["rejected"] or status["with_errors"]:
        raise typer.Exit(1)


def _error(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error"))
    except ValueError:
        return answer.text[:200]
