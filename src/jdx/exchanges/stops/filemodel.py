"""A batch file as the processing steps see it: its row, and the counts of its records."""

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


@dataclass(frozen=True)
class Counts:
    total: int
    successful: int
    with_errors: int
    rejected: int
