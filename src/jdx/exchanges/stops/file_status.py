"""What an agency is told about a batch file before its answers are written: how far its
processing got, and, for a file uploaded again, that it was received before and where its
answers are.

Both are cheap reads: the records stored so far are the sum of the file's progress rows (one
per stored chunk, read by the file's key), and an earlier upload of the same bytes is looked up
by the agency's key among its own files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from jdx.exchanges.stops.batch_file_rows import FileRow
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.file_store import Key, write_bytes
from jdx.exchanges.stops.tables import stop_file_chunks, stop_files

# The note a file being processed has in OUTPUT: ``<file name>.progress.txt``, holding the
# records stored so far. Written after every stored chunk, removed when the file is done.
PROGRESS_SUFFIX = ".progress.txt"


def stored_so_far(conn: sa.Connection, file_id: int) -> int:
    """Records of the file stored so far (its committed chunks)."""
    return int(
        conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(stop_file_chunks.c.records), 0)).where(
                stop_file_chunks.c.file_id == file_id
            )
        ).scalar_one()
    )


def progress_note(folders: Folders, f: FileRow) -> Key:
    return folders.output_dir(f.ori, f.realm) / (f.file_name + PROGRESS_SUFFIX)


def write_progress(folders: Folders, f: FileRow, stored: int) -> None:
    """For clients that see OUTPUT only (SFTP, drop folder): ``<stored>`` records stored."""
    write_bytes(folders.store, progress_note(folders, f), f"{stored}\n".encode())


def clear_progress(folders: Folders, f: FileRow) -> None:
    folders.store.remove(progress_note(folders, f))


@dataclass(frozen=True)
class Earlier:
    """An earlier upload of the same bytes by the same agency, in the same realm."""

    id: int
    file_name: str
    state: str
    received_at: dt.datetime

    @property
    def when(self) -> str:
        return self.received_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def earlier_upload(
    conn: sa.Connection, agency_id: int, realm: str, sha256: str, name: str
) -> Earlier | None:
    """The agency's first upload of these bytes in this realm: by name when one has it (a file
    sent again as it was), else any of its files with the same SHA-256. Web service batches
    (``bulkws``) are not uploads and never match."""
    row = conn.execute(
        sa.select(stop_files.c.id, stop_files.c.file_name, stop_files.c.state)
        .add_columns(stop_files.c.received_at)
        .where(
            stop_files.c.agency_id == agency_id,
            stop_files.c.realm == realm,
            stop_files.c.sha256 == sha256,
            stop_files.c.channel != "bulkws",
        )
        .order_by((stop_files.c.file_name == name).desc(), stop_files.c.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return Earlier(int(row.id), row.file_name, row.state, row.received_at)


def duplicate_reason(name: str, earlier: Earlier, output: Iterable[str]) -> str:
    """Why an upload is not processed, on every channel: when the same file was received, as
    which file, and where its answers are (its status over HTTP, its files in OUTPUT, whose
    names are ``output``)."""
    stem = earlier.file_name.rsplit(".", 1)[0]
    answers = sorted(n for n in output if n.startswith(f"{stem}_"))
    if earlier.finished and answers:
        where = "its answers are in OUTPUT: " + ", ".join(answers)
    else:
        where = f"its answers will be in OUTPUT as {stem}_response.txt and {stem}_log.txt"
    same = "" if earlier.file_name == name else f" as {earlier.file_name}"
    return (
        f"the same file was already received on {earlier.when}{same} "
        f"(file {earlier.id}, /sdcs/v1/files/{earlier.id}); {where}"
    )


# The answers the hub writes into OUTPUT for a file, by the suffix after its stem.
RESULT_SUFFIXES = (
    "_errors.csv",
    "_errors.xlsx",
    "_errors.xml",
    "_errors.json",
    "_response.txt",
    "_log.txt",
)


def result_files(folders: Folders, ori: str, realm: str, file_name: str) -> list[Key]:
    """The answers of a file that are in OUTPUT now (an agency may delete them, the tidy job
    too): what the API's and the portal's downloads offer, and nothing else."""
    out = folders.output_dir(ori, realm)
    stem = file_name.rsplit(".", 1)[0]
    named = [out / (stem + suffix) for suffix in RESULT_SUFFIXES]
    return [key for key in named if folders.store.stat(key) is not None]
