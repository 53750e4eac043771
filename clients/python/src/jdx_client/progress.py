"""What the upload client shows while it works: bytes uploaded, then records processed."""

from __future__ import annotations

import os
from typing import Protocol

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
