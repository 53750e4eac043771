"""A batch file as the processing steps see it: :class:`FileRow`, its ``stop_files`` row, and
:class:`Counts`, how many of its records were stored, stored with errors and rejected. Shared by
``batch_files.py``, ``file_folders.py`` and ``outputs.py``, which import nothing of each other
for it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileRow:
    id: int
    realm: str
    agency_id: int
    ori: str
    file_name: str
    channel: str
    state: str
    format: str | None
    file_error: str | None
    sha256: str | None = None  # of the upload: how a crash's left-over upload is known


@dataclass(frozen=True)
class Counts:
    total: int
    successful: int
    with_errors: int
    rejected: int
