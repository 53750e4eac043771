"""Batch files of stop records: naming, intake, processing in chunks, and what the agency gets back.

A file goes through four steps, each safe to run again after a crash (the durable workflow in
``workflow.py`` runs them in order and resumes a file where it stopped):

1. :func:`register` (at upload): check the name, record the file, move it out of the agency's
   INPUT into the hub's processing folder and keep a copy in the archive;
2. :func:`process` : identify the format by content, read the records one at a time (from a
   local copy of the file when the folders are in the database: ``file_store.py``), and store
   them chunk by chunk. A chunk's records, its error rows and its progress row commit together,
   so a restarted worker skips exactly the chunks that are stored;
3. :func:`finish`: write the error file, the response report and the processor log (Table 10)
   into OUTPUT from the database, and queue the e-mail (once, by key);
4. the notifier sends the e-mail.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from jdx.codecs.batch import (
    FileError,
    Format,
    Item,
    read_header,
    read_items,
    read_raw,
    sniff,
    source_of,
)
from jdx.codecs.flat import ConversionError, FlatLayout
from jdx.dictionary import Dictionary, Issue, Outcome
from jdx.exchanges.stops import errors as E
from jdx.exchanges.stops.batch_file_rows import Counts, FileRow
from jdx.exchanges.stops.batch_workers import READER, pool_for
from jdx.exchanges.stops.errors import fatal
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.file_status import (
    Earlier,
    clear_progress,
    duplicate_reason,
    earlier_upload,
    write_progress,
)
from jdx.exchanges.stops.file_store import Key
from jdx.exchanges.stops.outputs import write_outputs
from jdx.exchanges.stops.records import STATUS_NFIA, Op
from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stop_file_chunks, stop_file_errors, stop_files, stops
from jdx.security.keys import Principal
from jdx.security.standing import Suspended, require_active
from jdx.store.engine import write_transaction
from jdx.store.locks import lock_agency
from jdx.store.queries import audit, now
from jdx.store.tables import agencies

CHUNK = 1000  # records per transaction: big enough to amortise a commit, small to resume
ERROR_ROWS_PER_READ = 500  # error rows in memory at once while the error file is written
# While a file is processed: collect cyclic garbage after this many new container objects, not
# Python's 700. A chunk's records (about 50 dicts and lists each) live until the chunk is
# stored, so with the default every chunk promoted them through the generations and made the
# collector traverse the whole heap again and again: 30 % of a delimited file's CPU (measured,
# docs/benchmarks.md). Records hold no cycles; reference counting frees them.
YOUNG_COLLECTION = 50_000

# <YYYYMMDDHHMMSS>_<ORI>_<LEABatchID>.xlsx|.xls|.csv  and  <YYYYMMDDHHMMSS>_<ORI>_<LEARecordID>.xml|.json
NAME = re.compile(
    r"^(?P<stamp>\d{14})_(?P<ori>[A-Za-z0-9]{9})_(?P<ident>[A-Za-z0-9][A-Za-z0-9.\-]{0,49})"
    r"\.(?P<ext>xlsx|xls|csv|txt|xml|json)$",
    re.IGNORECASE,
)
FLAT = frozenset({Format.XLSX, Format.XLS, Format.DELIMITED})
# Records of a JSON or XML file the reader worker checks per hand-over (``document_files.py``).
DOCUMENT_BLOCK = 1_000
# The flat formats read as columns when ``bulk_columnar`` is on. Sheets can be (their rows as
# the record path reads them, ``codecs/columnar_sheet.py``) but are not yet: the reading of the
# sheet's XML is then the columnar worker's, before its checks, and 100,000 rows took longer
# than on the record path, whose worker checks while the hub's process reads (6,049-6,857
# against 7,408 rows/s: docs/benchmarks.md, "XLSX on the columnar path").
COLUMNAR = frozenset({Format.DELIMITED})
T = TypeVar("T")
BATCH_EXTENSIONS = frozenset({"xlsx", "xls", "csv", "txt"})
# Formats a name's extension admits: identification is by content, but a .json that holds a
# workbook is refused, not guessed at.
EXTENSION_FORMATS = {
    "xlsx": {Format.XLSX},
    "xls": {Format.XLS, Format.XLSX},
    "csv": {Format.DELIMITED},
    "txt": {Format.DELIMITED},
    "xml": {Format.XML},
    "json": {Format.JSON},
}


class NameError_(ValueError):
    """A file name that breaks the convention; the message is for the agency."""


class ForeignOri(NameError_):
    """A conforming name whose ORI is not the uploader's: the name is fine, the uploader may
    not send for that agency (the web service answers such a record 403: FOREIGN_ORI)."""


@dataclass(frozen=True)
class FileName:
    name: str
    stamp: dt.datetime
    ori: str
    ident: str  # LEA batch id (batch files) or LEA record id (one-stop files)
    ext: str

    @property
    def batch(self) -> bool:
        return self.ext in BATCH_EXTENSIONS


def parse_name(name: str, ori: str) -> FileName:
    """The parts of a conforming name, for the uploading agency ``ori``; NameError_ otherwise."""
    if any(ord(c) < 32 or c in "/\\" for c in name) or name in (".", ".."):
        raise NameError_("the file name holds a path or control characters")
    match = NAME.match(name)
    if match is None:
        raise NameError_(
            "the name must be YYYYMMDDHHMMSS_<ORI>_<LEA batch id>.xlsx|.xls|.csv or "
            "YYYYMMDDHHMMSS_<ORI>_<LEA record id>.xml|.json"
        )
    try:
        stamp = dt.datetime.strptime(match["stamp"], "%Y%m%d%H%M%S")
    except ValueError:
        raise NameError_(f"{match['stamp']} is not a date and time (YYYYMMDDHHMMSS)") from None
    if match["ori"].upper() != ori.upper():
        raise ForeignOri(f"the ORI in the name, {match['ori']}, is not the uploader's ({ori})")
    return FileName(name, stamp, match["ori"].upper(), match["ident"], match["ext"].lower())


# --- 1. intake ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    file_id: int | None  # None: refused at the door (name, or received before), told in OUTPUT
    message: str
    # The earlier upload of the same bytes (same agency and realm) this one repeats, if any.
    duplicate_of: int | None = None
    first_received: dt.datetime | None = None
    # Refused at the door: the HTTP status that tells why (a name taken by another file is a
    # conflict with what the hub holds, 409; a suspended agency, 403; any other, 400).
    refusal: int = 400


def register(
    engine: sa.Engine,
    folders: Folders,
    principal: Principal,
    key: Key,
    *,
    channel: str,
    max_bytes: int,
) -> Received:
    """Take an uploaded file (``key``, in an upload folder of ``folders``) into the hub.

    A file received before (the same bytes from the same agency in the same realm, under any
    name) is not processed again: the agency is told when it was received and where its
    answers are, in OUTPUT (``duplicate``) and in what is returned."""
    name = key.name
    try:
        parse_name(name, principal.ori)
    except NameError_ as exc:
        message = f"{name} was not processed: {exc}."
        folders.reject(principal, key, message)
        return Received(None, message)
    entry = folders.store.stat(key)
    if entry is None:
        raise FileNotFoundError(f"{key}: no such upload")
    size = entry.size
    digest = folders.store.digest(key)
    # write_transaction: on SQLite the upload queues on the process's writer lock, woken when
    # the writer before commits, rather than in SQLite's busy handler, which sleeps and retries
    # (uploads of one-stop files meet the small-file lane's transactions, small_files.py).
    with write_transaction(engine) as conn:
        try:
            # Received after the suspension: refused, the agency told in OUTPUT; a file
            # registered before it is processed to the end (security/standing.py).
            require_active(conn, principal.agency_id)
        except Suspended as exc:
            message = f"{name} was not processed: {exc}"
            folders.reject(principal, key, message)
            return Received(None, message, refusal=403)
        row = conn.execute(
            sa.select(stop_files.c.id, stop_files.c.sha256, stop_files.c.state).where(
                stop_files.c.realm == principal.realm,
                stop_files.c.ori == principal.ori,
                stop_files.c.file_name == name,
            )
        ).first()
        if row is not None and row.sha256 != digest:
            message = f"{name} was not processed: a different file of that name was received."
            folders.reject(principal, key, message)
            return Received(None, message, refusal=409)
        if row is not None and folders.untaken(row.id, name, row.state):
            file_id = row.id  # registered, and the process died before it took the upload
        else:
            earlier = earlier_upload(conn, principal.agency_id, principal.realm, digest, name)
            if earlier is not None:
                return duplicate(folders, principal, key, earlier)
            file_id = _insert(conn, principal, name, channel, size, digest)
            if size > max_bytes:
                _fail(conn, file_id, f"the file is larger than {max_bytes:,} bytes")
    # Taken once the row is committed: a store on disk moves the upload at once, whatever
    # becomes of the transaction, and a file moved for a row rolled back would be answered
    # never. A crash between the two leaves the upload where it was, registered: taken when it
    # is seen again (above) or by the first step that reads it (Folders.processing_copy).
    folders.take(principal, key, file_id)
    return Received(file_id, f"{name} received")


def _insert(
    conn: sa.Connection, principal: Principal, name: str, channel: str, size: int, digest: str
) -> int:
    return int(
        conn.execute(
            stop_files.insert().returning(stop_files.c.id),
            {
                "realm": principal.realm,
                "agency_id": principal.agency_id,
                "ori": principal.ori,
                "file_name": name,
                "channel": channel,
                "size": size,
                "sha256": digest,
                "state": "received",
                "received_at": now(),
            },
        ).scalar_one()
    )


def duplicate(folders: Folders, principal: Principal, key: Key, earlier: Earlier) -> Received:
    """An upload that repeats an earlier one: a note in OUTPUT (``<name>.refused.txt``, as for
    any file the hub does not process), and, under a new name, the response report and
    processor log that name's answers would be, saying so (written as every file's are)."""
    name = key.name
    output = folders.output_dir(principal.ori, principal.realm)
    reason = duplicate_reason(name, earlier, [e.name for e in folders.store.files(output)])
    message = f"{name} was not processed: {reason}."
    folders.reject(principal, key, message)  # first: clients look for the note first
    if name != earlier.file_name:
        f = FileRow(
            0, principal.realm, principal.agency_id, principal.ori, name, "", "", None, reason
        )
        write_outputs(folders, f, Counts(0, 0, 0, 0), lambda **_: [], now())
    return Received(None, message, earlier.id, earlier.received_at)


def _fail(conn: sa.Connection, file_id: int, message: str) -> None:
    conn.execute(
        stop_files.update()
        .where(stop_files.c.id == file_id)
        .values(file_error=message, state="failed")
    )


# --- 2. processing ------------------------------------------------------------------------------


def load(conn: sa.Connection, file_id: int) -> FileRow:
    row = conn.execute(sa.select(stop_files).where(stop_files.c.id == file_id)).one()
    return FileRow(
        row.id,
        row.realm,
        row.agency_id,
        row.ori,
        row.file_name,
        row.channel,
        row.state,
        row.format,
        row.file_error,
        row.sha256,
    )


def principal_of(conn: sa.Connection, f: FileRow) -> Principal:
    agency = conn.execute(sa.select(agencies).where(agencies.c.id == f.agency_id)).one()
    return Principal(agency.id, agency.ori, agency.name, f.realm, agency.active)


def process(service: StopService, folders: Folders, file_id: int) -> None:
    """Store the records of a file, resuming after the last stored chunk."""
    engine = service.engine
    with engine.begin() as conn:
        f = load(conn, file_id)
        if f.state in ("done", "failed"):
            return
        principal = principal_of(conn, f)
        done = conn.execute(
            sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(stop_file_chunks.c.records), 0)
            ).where(stop_file_chunks.c.file_id == file_id)
        ).one()
        chunks_done, records_done = int(done[0]), int(done[1])
    try:
        with folders.store.local(folders.processing_copy(f, principal)) as path:
            fmt = _format(path, f)
            dictionary = _dictionary_for(service, path, fmt)
            with engine.begin() as conn:
                conn.execute(
                    stop_files.update()
                    .where(stop_files.c.id == file_id)
                    .values(state="processing", format=fmt.value)
                )
            chunk_no = chunks_done
            with _fewer_collections():
                for checked in _checked_chunks(service, path, fmt, dictionary, records_done):
                    if records_done:  # a file of one chunk (most) writes no progress note
                        write_progress(folders, f, records_done)
                    chunk_no += 1
                    service.statistics.check()  # this file may make the table grow
                    _store_chunk(service, principal, f, chunk_no, checked)
                    records_done += len(checked)
    except FileError as exc:
        with engine.begin() as conn:
            _fail(conn, file_id, str(exc))


@contextmanager
def _fewer_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(max(YOUNG_COLLECTION, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _format(path: Path, f: FileRow) -> Format:
    fmt = sniff(path)
    ext = f.file_name.rsplit(".", 1)[-1].lower()
    if fmt not in EXTENSION_FORMATS.get(ext, set()):
        raise FileError(f"SFTP record type invalid: a .{ext} file that holds {fmt.value} content")
    return fmt


def _dictionary_for(service: StopService, path: Path, fmt: Format) -> Dictionary:
    """Flat files: the era whose layout knows the most header columns (the eras' columns
    differ); ties go to the newest. XML and JSON records are matched to their era one by one by
    the validation service, so any dictionary reads them."""
    versions = [d for d, _ in service.validation.families["stop"].versions]
    if fmt not in FLAT:
        return versions[-1]
    header = {h.strip() for h in read_header(path, fmt)}
    return min(reversed(versions), key=lambda d: len(header - set(FlatLayout(d).names)))


def worker_kind(service: StopService, ext: str) -> str | None:
    """The kind of worker process (``batch_workers.py``) that will read or check a file named
    with ``ext`` (its format is read from its content later: a guess, which at worst starts a
    pool early); None where the service has none."""
    if service.bulk_workers <= 0:
        return None
    formats = EXTENSION_FORMATS.get(ext.lower(), set())
    if formats & COLUMNAR and service.bulk_columnar:
        return READER
    return "check" if formats & FLAT else READER


def _checked_chunks(
    service: StopService, path: Path, fmt: Format, dictionary: Dictionary, skip: int
) -> Iterator[list[tuple[Item, Outcome]]]:
    """The file's records from record ``skip + 1`` on, in chunks, each with its data checks.

    The :data:`COLUMNAR` formats, when ``bulk_columnar`` is on: as columns
    (``columnar_files.py``), in the service's columnar worker process when it has worker
    processes. Other flat files, when the service has worker processes: the rows are bound and
    checked there, a few chunks ahead of the one the caller stores (``batch_workers.py``).
    Otherwise, and for XML and JSON, here, chunk by chunk."""
    if fmt in COLUMNAR and service.bulk_columnar:
        from jdx.exchanges.stops import columnar_files  # it imports this module

        def rest(after: int) -> Iterator[list[tuple[Item, Outcome]]]:
            return _record_path_chunks(service, path, fmt, dictionary, after)

        pool = pool_for(service)
        yield from columnar_files.checked_chunks(service, pool, path, dictionary, skip, CHUNK, rest)
        return
    yield from _record_path_chunks(service, path, fmt, dictionary, skip)


def _record_path_chunks(
    service: StopService,
    path: Path,
    fmt: Format,
    dictionary: Dictionary,
    skip: int,
    *,
    in_hub: bool = False,
) -> Iterator[list[tuple[Item, Outcome]]]:
    """:func:`_checked_chunks` record by record, in the worker processes when the service has
    them: a flat file's rows bound and checked there, a JSON or XML file read and checked
    there (``document_files.py``)."""
    pool = pool_for(service)
    if pool is not None and fmt in FLAT:
        header, raw = read_raw(path, fmt, dictionary, skip=skip)
        yield from pool.checked(dictionary, header, _chunks(raw, CHUNK))
        return
    if pool is not None and not in_hub:
        from jdx.exchanges.stops import document_files  # it imports this module

        def rest(after: int) -> Iterator[list[tuple[Item, Outcome]]]:
            return _record_path_chunks(service, path, fmt, dictionary, after, in_hub=True)

        yield from document_files.checked_chunks(
            pool, path, fmt, dictionary, skip, CHUNK, rest, DOCUMENT_BLOCK
        )
        return
    for chunk in _chunks(read_items(path, fmt, dictionary, skip=skip), CHUNK):
        yield [(item, check_item(service, item)) for item in chunk]  # CPU work outside the lock


def _chunks(items: Iterator[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _store_chunk(
    service: StopService,
    principal: Principal,
    f: FileRow,
    chunk_no: int,
    checked: list[tuple[Item, Outcome]],
) -> None:
    with write_transaction(service.engine) as conn:
        lock_agency(conn, principal.realm, principal.ori)
        store_chunk_in(conn, service, principal, f, chunk_no, checked)


def store_chunk_in(
    conn: sa.Connection,
    service: StopService,
    principal: Principal,
    f: FileRow,
    chunk_no: int,
    checked: list[tuple[Item, Outcome]],
) -> None:
    """A chunk's records, error rows and progress row, in the caller's transaction, which
    holds the agency's lock (``small_files.py`` stores many files' chunks in one)."""
    errors: list[dict[str, Any]] = []
    already = conn.execute(
        sa.select(stop_file_chunks.c.chunk).where(
            stop_file_chunks.c.file_id == f.id, stop_file_chunks.c.chunk == chunk_no
        )
    ).first()
    if already is not None:
        return  # stored by another worker that took the same file (after a node failure)
    entries: list[tuple[Item, tuple[dict[str, Any], Op, Outcome]]] = []
    for item, data in checked:
        if isinstance(item.record, ConversionError):
            issues = [fatal(E.CONVERSION_ERROR, detail=item.record.message)]
            errors.append(_error_row(f.id, item, "", True, issues))
        else:
            op = Op.UPDATE if _tx_type(item.record) == "U" else Op.INSERT
            entries.append((item, (item.record, op, data)))
    results = service.submit_batch(
        conn,
        principal,
        [entry for _, entry in entries],
        channel=f.channel,
        file_id=f.id,
        shaped=all(item.shaped for item, _ in entries),
    )
    for (item, _), result in zip(entries, results, strict=True):
        if any(i.severity != "warning" for i in result.outcome.issues):
            errors.append(
                _error_row(
                    f.id,
                    item,
                    result.core.lea_record_id or "",
                    result.outcome.is_fatal,
                    result.outcome.issues,
                )
            )
    if errors:
        conn.execute(stop_file_errors.insert(), errors)
    conn.execute(
        stop_file_chunks.insert(),
        {"file_id": f.id, "chunk": chunk_no, "records": len(checked), "done_at": now()},
    )


def check_item(service: StopService, item: Item) -> Outcome:
    """A read record's data checks (none for one that could not be bound)."""
    if isinstance(item.record, ConversionError):
        return Outcome([], "")
    return service.check_data(item.record)


def _tx_type(record: dict[str, Any]) -> str:
    value = record.get("TX_Type")
    return value.strip().upper() if isinstance(value, str) else "I"


def _error_row(
    file_id: int, item: Item, lea_id: str, is_fatal: bool, issues: list[Issue]
) -> dict[str, Any]:
    if not lea_id and isinstance(item.record, dict):
        raw = item.record.get("LEARecordID")
        lea_id = str(raw).strip()[:100] if isinstance(raw, str | int) else ""
    if not lea_id and isinstance(item.record, ConversionError):
        lea_id = item.record.record_id[:100]
    return {
        "file_id": file_id,
        "seq": item.seq,
        "rows": item.rows,
        "lea_record_id": lea_id,
        "fatal": is_fatal,
        "issues": [i.as_dict() for i in issues if i.severity != "warning"],
        "source": source_of(item),
    }


# --- 3. finishing -------------------------------------------------------------------------------


def counts(conn: sa.Connection, file_id: int) -> Counts:
    """Counted from the stored chunks and error rows, so they reconcile with the database."""
    total = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(stop_file_chunks.c.records), 0)).where(
            stop_file_chunks.c.file_id == file_id
        )
    ).scalar_one()
    by_kind: dict[bool, int] = dict(
        conn.execute(
            sa.select(stop_file_errors.c.fatal, sa.func.count())
            .where(stop_file_errors.c.file_id == file_id)
            .group_by(stop_file_errors.c.fatal)
        ).all()
    )
    rejected, with_errors = int(by_kind.get(True, 0)), int(by_kind.get(False, 0))
    return Counts(int(total), int(total) - rejected - with_errors, with_errors, rejected)


def finish(
    engine: sa.Engine,
    folders: Folders,
    file_id: int,
    public_url: str,
    *,
    digest_hour: int,
    unchecked: Sequence[str] = (),
) -> Counts:
    """Write the agency's results into OUTPUT and queue the e-mail; safe to repeat.
    ``unchecked``: the domain tables whose checks were skipped (empty), which the processor log
    and the mail name."""
    with engine.begin() as conn:
        return finish_in(
            conn, folders, file_id, public_url, digest_hour=digest_hour, unchecked=unchecked
        )


def finish_in(
    conn: sa.Connection,
    folders: Folders,
    file_id: int,
    public_url: str,
    *,
    digest_hour: int,
    summary_seconds: float | None = None,
    unchecked: Sequence[str] = (),
) -> Counts:
    """:func:`finish` in the caller's transaction. ``summary_seconds``: an agency notified
    immediately gets this file in a summary mail that many seconds later (one-stop files,
    ``small_files.py``), not a mail of its own."""
    from jdx.notify.mail import notify_agency

    f = load(conn, file_id)
    c = counts(conn, file_id)
    light = [col for col in stop_file_errors.c if col.name != "source"]
    nfia = _nfia_now(f).label("nfia")

    def errors(*, fatal: bool | None = None, source: bool = True) -> Iterator[Any]:
        # A few hundred rows at a time, by key (the rows' cells are most of their size). Not
        # a server-side cursor: the same connection writes before that cursor would close.
        last = 0
        while True:
            query = sa.select(*(stop_file_errors.c if source else light), nfia).where(
                stop_file_errors.c.file_id == file_id, stop_file_errors.c.seq > last
            )
            if fatal is not None:
                query = query.where(stop_file_errors.c.fatal == fatal)
            part = conn.execute(
                query.order_by(stop_file_errors.c.seq).limit(ERROR_ROWS_PER_READ)
            ).all()
            yield from part
            if len(part) < ERROR_ROWS_PER_READ:
                return
            last = part[-1].seq

    stamp = now()
    written = write_outputs(folders, f, c, errors, stamp, unchecked)
    clear_progress(folders, f)
    state = "failed" if f.file_error else "done"
    conn.execute(
        stop_files.update()
        .where(stop_files.c.id == file_id)
        .values(
            state=state,
            total=c.total,
            successful=c.successful,
            with_errors=c.with_errors,
            rejected=c.rejected,
            finished_at=stamp,
        )
    )
    if f.state not in ("done",) or f.file_error:
        audit(
            conn,
            exchange="stops",
            realm=f.realm,
            actor=f.ori,
            ori=f.ori,
            channel=f.channel,
            action="file",
            subject=f.file_name,
            record_id=f.id,
            outcome=f"{state}: {c.total} records, {c.successful} successful, "
            f"{c.with_errors} with errors, {c.rejected} rejected"[:60],
            codes=[E.FILE_ERROR.code] if f.file_error else [],
        )
    subject, body = _mail(f, c, written, public_url, unchecked)
    notify_agency(
        conn,
        f.agency_id,
        key=f"stop-file:{f.id}",
        digest_hour=digest_hour,
        subject=subject,
        body=body,
        summary_seconds=summary_seconds,
    )
    return c


def _nfia_now(f: FileRow) -> sa.Exists:
    """Whether an error row's record is closed as NFIA (its errors kept, not to be reported as
    failures: ``outputs.response_report``): read from the stored stop, so the error rows need
    no column of their own."""
    return sa.exists().where(
        stops.c.realm == f.realm,
        stops.c.ori == f.ori,
        stops.c.lea_record_id == stop_file_errors.c.lea_record_id,
        stops.c.status == STATUS_NFIA,
    )


def _mail(
    f: FileRow, c: Counts, written: list[Key], public_url: str, unchecked: Sequence[str] = ()
) -> tuple[str, str]:
    """Counts, names and where to download: never record content (personal data)."""
    where = (
        f"Results are in your SFTP folder {f.realm.upper()}/OUTPUT: "
        + ", ".join(p.name for p in written)
        + f"\nThey can also be downloaded from {public_url}/sdcs/v1/files/{f.id}\n"
    )
    if unchecked:
        where += (
            "\nThe hub has no " + ", ".join(unchecked) + " table loaded: those codes were not "
            "checked. Ask the hub's operator to load them (jdx tables load).\n"
        )
    if f.channel == "bulkws":
        return (
            f"jdx: errors in records sent to the web service ({f.realm.upper()})",
            f"{c.total} records your bulk process sent to the web service ({f.realm.upper()}) "
            f"had errors: {c.with_errors} stored with errors, {c.rejected} not stored. "
            f"They are collected as {f.file_name}.\n\n" + where,
        )
    outcome = (
        f"could not be processed: {f.file_error}"
        if f.file_error
        else f"was processed: {c.total} records, {c.successful} stored successfully, "
        f"{c.with_errors} stored with errors, {c.rejected} not stored"
    )
    return (
        f"jdx: file {f.file_name} ({f.realm.upper()}) processed",
        f"Your file {f.file_name} ({f.realm.upper()}) {outcome}.\n\n" + where,
    )


def stored_count(conn: sa.Connection, file_id: int) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(stops).where(stops.c.file_id == file_id)
        ).scalar_one()
    )
