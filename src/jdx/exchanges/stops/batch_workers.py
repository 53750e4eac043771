"""The worker processes of batch files: a flat file's binding and data checks (:class:`CheckPool`)
run there while the hub's process stores the chunks before (``batch_files.py``); and the
reader, one worker that reads a file itself, as columns (``columnar_files.py``) or, for JSON
and XML, record by record (``document_files.py``), a block ahead of the hub's process.

One record of a flat file costs about 130 µs of CPU to bind and validate and about 110 µs to
read, check against the database and store (``docs/benchmarks.md``). The hub's process reads
the rows and groups them into records, and hands chunks of them to a worker process, which
binds and validates them; meanwhile the hub's process runs the relational checks and stores the
chunks before, in file order, each in its own transaction as before. What stays in the hub's
process is everything the crash and resume story rests on: reading (the resume point is a
record count), the chunks' transactions and their order.

The hand-over is kept cheap: rows go in as lists of strings, and what comes back is what the
store needs, not the record's ~50 dicts and lists: the fields the relational checks read (a
tuple), the record in canonical form as the JSON column's text, and the issues as tuples.

The check workers are started lazily, by ``forkserver`` (a clean process, not a fork of the
hub's threads and connections; the reader is spawned), once per hub process and again when the
hub's domain tables change:
they validate with the same dictionaries and the same domain tables as the hub's process. A
worker that dies has its chunks checked in the hub's process instead, and so do the chunks that
come while the check worker is still starting (about a second from cold). One worker is the
default (``JDX_BULK_WORKERS=1``): with its forkserver it adds about 150 MB, and a 1,000,000-stop
file then peaks under the 500 MB goal (docs/benchmarks.md, "Memory at 1,000,000 stops").
``bulk_workers = 0`` checks every chunk in the hub's process.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from pathlib import Path
from typing import Any

from jdx.codecs.batch import Item, RawItem
from jdx.codecs.flat import ConversionError, FlatLayout, RowGroup
from jdx.dictionary import Dictionary, Issue, Outcome
from jdx.dictionary.shape import canonical
from jdx.exchanges.stops.records import FAMILY, CoreAttributes, Prepared
from jdx.exchanges.stops.service import StopService
from jdx.store.engine import json_text
from jdx.validation import ValidationService

# Chunks handed to the worker ahead of the one being stored: the worker keeps busy while a
# chunk's store takes longer than usual (a commit, an ANALYZE), at a few MB of rows in memory.
AHEAD = 3
# Blocks read ahead of the caller by the reader worker (``CheckPool._read_ahead``): a block of
# columns is about 6,500 stops, six of the caller's chunks, so one ahead keeps the worker busy;
# each costs the hub's process some 15 MB of records waiting.
COLUMNAR_AHEAD = 2

JEMALLOC_CONF = "dirty_decay_ms:0,muzzy_decay_ms:0"

# How each kind of worker is started: never by forking the hub's process (its threads and
# connections). The check workers come from a forkserver that has this module loaded, so that
# each starts warm; the one reader worker, started once per hub process, is spawned, which
# costs a second once and saves the forkserver's process (60 MB) where only pipe-delimited,
# JSON or XML files come (measured at 1,000,000 stops: docs/benchmarks.md, issue 20).
READER = "reader"  # the one worker that reads files itself (as columns, or JSON and XML)
START_METHODS = {"check": "forkserver", READER: "spawn"}

Rows = list[tuple[int, list[str]]]
# A record as the worker hands it back: (0, message, record id) for rows that cannot be bound,
# (1, fields for Prepared, JSON text, issues as tuples, dictionary id, core attributes)
# otherwise.
Checked = tuple[Any, ...]
Binder = Callable[[Rows], dict[str, Any]]


class Checker:
    """Binds and validates records of flat files (in a worker, or in the hub's process)."""

    def __init__(self, validation: ValidationService) -> None:
        self.validation = validation
        self._binders: dict[tuple[str, tuple[str, ...]], Binder] = {}

    def check(
        self, dictionary_id: str, header: list[str], groups: list[tuple[Rows, str]]
    ) -> list[Checked]:
        key = (dictionary_id, tuple(header))
        bind = self._binders.get(key)
        if bind is None:
            layout = FlatLayout(self.validation.dictionaries[dictionary_id])
            bind = self._binders[key] = layout.binder(header)
        out: list[Checked] = []
        for rows, record_id in groups:
            try:
                record = bind(rows)
            except ConversionError as exc:
                out.append((0, exc.message, record_id))
                continue
            out.append(self.record(record))
        return out

    def record(self, record: dict[str, Any], *, shaped: bool = True) -> Checked:
        """A record's checks, as the hub's process takes them back, with the text it is stored
        as. ``shaped``: bound from flat rows, so in canonical form already; a record as sent
        (JSON, XML) is stored as :func:`canonical` shapes it, and not at all if fatal."""
        outcome = self.validation.validate(FAMILY, record)
        issues = [(i.code, i.severity, i.field, i.message, i.person) for i in outcome.issues]
        if shaped:
            text = json_text(record)
        elif outcome.is_fatal:
            text = ""
        else:
            text = json_text(canonical(self.validation.dictionaries[outcome.dictionary_id], record))
        core = CoreAttributes.of(record).values()
        return (1, Prepared.fields_of(record), text, issues, outcome.dictionary_id, core)


# --- in the worker process ----------------------------------------------------------------------

_checker: Checker | None = None


def _start(dictionaries: list[Dictionary], domains: dict[str, frozenset[str]]) -> None:
    """The worker's initializer: its own validators, compiled from the hub's dictionaries, on
    the hub's domain tables as they were when the pool started."""
    global _checker
    # Polars' allocator (jemalloc) keeps freed pages for ten seconds by default, so a columnar
    # reading that frees each block's columns still grew by every block it read: given back at
    # once, the columnar worker's peak over 200,000 stops fell from 250 to about 175 MB (211 MB
    # over 1,000,000). Before Polars is loaded; an operator's own setting wins.
    os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC_CONF)
    validation = ValidationService(domains)
    for dictionary in dictionaries:
        validation.add(dictionary)
    _checker = Checker(validation)
    threading.Thread(target=_exit_with_parent, name="parent-watch", daemon=True).start()


def _exit_with_parent() -> None:
    """A hub killed outright (SIGKILL) leaves no one to stop its workers: they stop themselves."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    multiprocessing.connection.wait([parent.sentinel])
    os._exit(0)


def _check(dictionary_id: str, header: list[str], groups: list[tuple[Rows, str]]) -> list[Checked]:
    assert _checker is not None, "started by _start"
    return _checker.check(dictionary_id, header, groups)


# The files this worker reads, by the token of the hub's reading: what is still to come (as
# columns: their names, header and ``columnar_records.ColumnarRecords.records``; record by
# record: the blocks of ``_documents_next``).
_readings: dict[str, Any] = {}


def _columnar_next(
    token: str, path: str, dictionary_id: str, skip: int, first: bool
) -> tuple[Any, ...] | None:
    """The next block's records of a file read as columns (``CheckPool.columnar``): the
    header's names, each record as a ``columnar_records.Clean`` tuple or as a raw item, and
    the record path's checks of the raw ones; a ``columnar_files.Rest`` when the rest is not columnar;
    None at the end."""
    from jdx.exchanges.stops.columnar_files import Rest
    from jdx.exchanges.stops.columnar_records import ColumnarRecords, Fallback

    assert _checker is not None, "started by _start"
    state = _readings.get(token)
    if state is None:
        if not first:  # this process was not the one that opened it
            return Rest(0, "the worker process was restarted")
        validation = _checker.validation
        versions = [d for d, _ in validation.families[FAMILY].versions]
        dictionary = validation.dictionaries[dictionary_id]
        opened = ColumnarRecords.open(Path(path), dictionary, validation.domains, versions)
        if isinstance(opened, Fallback):
            return Rest(opened.after, opened.reason)
        state = opened.file.names, opened.header, opened.records(skip)
        _readings[token] = state
    names, header, records = state
    part = next(records, None)
    if part is None or isinstance(part, Fallback):
        _readings.pop(token, None)
        return None if part is None else Rest(part.after, part.reason)
    groups = [
        (r.group.rows, r.group.record_id)
        for r in part
        if isinstance(r, RawItem) and isinstance(r.group, RowGroup)
    ]
    checked = _checker.check(dictionary_id, header, groups)
    return names, part, checked


def _documents_next(
    token: str, path: str, fmt: str, dictionary_id: str, skip: int, block_size: int, first: bool
) -> list[tuple[Any, ...]] | Any | None:
    """The next block of a JSON or XML file's records (``CheckPool.documents``), read by the
    record path's reader and checked here: per record its place (``seq``, ``rows``), then its
    checks (``Checker.record``) and the record as sent, as JSON text (a string pickles at a
    fraction of a record's dicts, and is read again only for an error row), or the conversion
    error and what was sent; a ``columnar_files.Rest`` where the file cannot be read on (the
    hub's record path says why); None at the end."""
    from jdx.codecs.batch import FileError, Format, read_items
    from jdx.exchanges.stops.columnar_files import Rest

    assert _checker is not None, "started by _start"
    state = _readings.get(token)
    if state is None:
        if not first:
            return Rest(0, "the worker process was restarted")
        dictionary = _checker.validation.dictionaries[dictionary_id]
        items = read_items(Path(path), Format(fmt), dictionary, skip)
        state = _readings[token] = [items, skip, ""]  # the records, the last given, an error
    items, given, _ = state
    block: list[tuple[Any, ...]] = []
    try:
        for item in items:
            if isinstance(item.record, dict):
                checked = _checker.record(item.record, shaped=False)
                block.append((item.seq, item.rows, checked, json_text(item.source)))
            else:
                block.append((item.seq, item.rows, None, item.record, item.source))
            if len(block) == block_size:
                break
    except FileError as exc:
        state[0], state[2] = iter(()), str(exc)  # told after the records read before it
    if not block:
        _readings.pop(token, None)
        return Rest(given, state[2]) if state[2] else None
    state[1] = block[-1][0]
    return block


def _reading_close(token: str) -> None:
    """The hub stopped reading a file before its end (an error): its reader is dropped."""
    _readings.pop(token, None)


# --- in the hub's process -----------------------------------------------------------------------


class CheckPool:
    """The worker processes of one hub process's stop service: ``workers`` that bind and check
    the records of flat files, and one, the reader, that reads files itself (flat files as
    columns, JSON and XML record by record), started when first used: a file's reading keeps
    its state there."""

    def __init__(self, validation: ValidationService, workers: int) -> None:
        self.validation = validation
        self.workers = workers
        self.local = Checker(validation)
        # by kind ("check", READER): the pool and the domain tables it started with
        self._executors: dict[str, tuple[ProcessPoolExecutor, dict[str, frozenset[str]]]] = {}
        # by kind: the first call to its pool (``os.getpid``), done once a worker is up
        self._started: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    def checked(
        self, dictionary: Dictionary, header: list[str], chunks: Iterator[list[RawItem]]
    ) -> Iterator[list[tuple[Item, Outcome]]]:
        """The chunks with their records bound and checked, in order, up to :data:`AHEAD`
        chunks being checked in the worker while the caller stores the one before. Where the
        reading fails (a file that turns out unreadable), the chunks read before are given
        first, as the hub's process alone would have stored them, then the error."""
        ahead: deque[tuple[list[RawItem], list[tuple[Rows, str]], Future[list[Checked]] | None]]
        ahead = deque()
        try:
            try:
                for chunk in chunks:
                    groups = [
                        (item.group.rows, item.group.record_id)
                        for item in chunk
                        if isinstance(item.group, RowGroup)
                    ]
                    if not ahead and self.starting("check"):
                        # The worker is still starting (a forkserver's imports, the
                        # validators' compiling: about a second from cold): this process
                        # checks the chunk rather than wait for it (docs/benchmarks.md,
                        # "Session 17"). Nothing is ahead, so the order holds.
                        yield self._collect(dictionary.id, header, chunk, groups, None)
                        continue
                    ahead.append((chunk, groups, self._submit(dictionary.id, header, groups)))
                    if len(ahead) >= AHEAD:
                        yield self._collect(dictionary.id, header, *ahead.popleft())
            except Exception:  # not the caller's stopping (GeneratorExit): the reading failed
                while ahead:
                    yield self._collect(dictionary.id, header, *ahead.popleft())
                raise
            while ahead:
                yield self._collect(dictionary.id, header, *ahead.popleft())
        finally:
            for _, _, future in ahead:  # the caller stopped (an error): drop the work ahead
                if future is not None:
                    future.cancel()

    def columnar(self, path: Path, dictionary_id: str, skip: int) -> Iterator[Any]:
        """A flat file's records from record ``skip + 1`` on, read as columns in the reader
        worker (``_columnar_next``); a ``columnar_files.Rest`` ends them where the rest is not
        columnar or the worker was lost (the caller reads on by the record path)."""
        return self._read_ahead(_columnar_next, str(path), dictionary_id, skip)

    def documents(
        self, path: Path, fmt: str, dictionary_id: str, skip: int, block: int
    ) -> Iterator[Any]:
        """A JSON or XML file's records from record ``skip + 1`` on, read and checked in the
        reader worker (``_documents_next``) ``block`` at a time; a ``columnar_files.Rest``
        ends them where the file cannot be read on or the worker was lost."""
        return self._read_ahead(_documents_next, str(path), fmt, dictionary_id, skip, block)

    def _read_ahead(self, task: Callable[..., Any], *args: Any) -> Iterator[Any]:
        """What ``task`` gives in the reader worker, block after block, :data:`COLUMNAR_AHEAD`
        blocks ahead of the caller."""
        from jdx.exchanges.stops.columnar_files import Rest

        token = uuid.uuid4().hex
        ahead: deque[Future[Any]] = deque()
        ended = False
        try:
            executor = self._current(READER, 1)
            for n in range(COLUMNAR_AHEAD):
                ahead.append(executor.submit(task, token, *args, n == 0))
            while ahead:
                got = ahead.popleft().result()
                if got is None or isinstance(got, Rest):
                    ended = True
                    if got is not None:
                        yield got
                    return
                ahead.append(executor.submit(task, token, *args, False))
                yield got
        except (BrokenProcessPool, OSError, RuntimeError):
            self._discard(READER)  # a worker died (killed, out of memory)
            ended = True
            yield Rest(0, "the reader worker process was lost")
        finally:
            for future in ahead:
                future.cancel()
            running = self.running(READER)
            if not ended and running is not None:  # stopped early: the worker drops the reader
                with suppress(BrokenProcessPool, OSError, RuntimeError):
                    running.submit(_reading_close, token)

    def warm(self, kind: str) -> Future[Any] | None:
        """Start the pool of a kind now, without waiting for it: a file just received is
        processed once its workflow is dequeued, and a worker's start (the forkserver's, the
        validators' compiling; for the reader, a new interpreter and Polars) then overlaps
        that wait instead of the file's first chunks (docs/benchmarks.md, "Session 16").
        What is returned is done once a worker has started (None: it could not be)."""
        with suppress(BrokenProcessPool, OSError, RuntimeError):
            self._current(kind, self.workers if kind == "check" else 1)
            with self._lock:
                return self._started.get(kind)
        return None

    def starting(self, kind: str) -> bool:
        """Whether the pool of a kind is still starting: started now if it was not, and
        not yet answered its first call (a worker process up, its validators compiled)."""
        started = self.warm(kind)
        return started is not None and not started.done()

    def running(self, kind: str) -> ProcessPoolExecutor | None:
        """The pool of a kind ("check", :data:`READER`) when it is started."""
        with self._lock:
            found = self._executors.get(kind)
        return None if found is None else found[0]

    def _submit(
        self, dictionary_id: str, header: list[str], groups: list[tuple[Rows, str]]
    ) -> Future[list[Checked]] | None:
        try:
            return self._current("check", self.workers).submit(
                _check, dictionary_id, header, groups
            )
        except (BrokenProcessPool, OSError, RuntimeError):
            self._discard("check")
            return None  # checked in this process when collected

    def _collect(
        self,
        dictionary_id: str,
        header: list[str],
        chunk: list[RawItem],
        groups: list[tuple[Rows, str]],
        future: Future[list[Checked]] | None,
    ) -> list[tuple[Item, Outcome]]:
        results: list[Checked] | None = None
        if future is not None:
            try:
                results = future.result()
            except BrokenProcessPool:
                self._discard("check")  # a worker died (killed, out of memory): this process checks
            except CancelledError:
                pass  # the pool was discarded (a worker died) with this chunk still queued
        if results is None:
            results = self.local.check(dictionary_id, header, groups)
        return list(_items(chunk, results))

    def _current(self, kind: str, workers: int) -> ProcessPoolExecutor:
        """The pool of a kind, started on first use and again when a domain table was
        reloaded (its work in flight still completes, on the old tables)."""
        with self._lock:
            running = self._executors.get(kind)
            if running is not None and not self._same_domains(running[1]):
                running[0].shutdown(wait=False)
                running = None
            if running is None:
                domains = dict(self.validation.domains)
                dictionaries = [d for d, _ in self.validation.families[FAMILY].versions]
                context = multiprocessing.get_context(START_METHODS[kind])
                if START_METHODS[kind] == "forkserver":
                    context.set_forkserver_preload([__name__])
                executor = ProcessPoolExecutor(
                    workers,
                    mp_context=context,
                    initializer=_start,
                    initargs=(dictionaries, domains),
                )
                running = self._executors[kind] = (executor, domains)
                started: Future[Any] = Future()
                self._started[kind] = started
                threading.Thread(
                    target=_first_call,
                    args=(executor, started),
                    name=f"jdx-{kind}-pool-start",
                    daemon=True,
                ).start()
            return running[0]

    def _same_domains(self, started: dict[str, frozenset[str]]) -> bool:
        # Identity, not equality: a reload puts a new set in the mapping (set_domain), and the
        # snapshot holds the old ones, so no new set can share an old one's identity.
        current = self.validation.domains
        return current.keys() == started.keys() and all(
            current[name] is codes for name, codes in started.items()
        )

    def _discard(self, kind: str) -> None:
        with self._lock:
            running = self._executors.pop(kind, None)
            self._started.pop(kind, None)
            if running is not None:
                running[0].shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            running = list(self._executors.values())
            self._executors.clear()
            self._started.clear()
        for executor, _ in running:
            executor.shutdown(wait=True, cancel_futures=True)


def _first_call(executor: ProcessPoolExecutor, started: Future[Any]) -> None:
    """The pool's first call, in a thread of its own: a submit starts a worker process, and
    from a forkserver it returns only once the forkserver is up with this module imported
    (about half a second from cold), which no caller should wait for. ``started`` is done once
    a worker has answered (or the pool could not start one)."""
    try:
        started.set_result(executor.submit(os.getpid).result())
    except Exception as exc:  # a broken or shut pool: a caller's own submit will say so
        started.set_exception(exc)


def _items(chunk: list[RawItem], results: list[Checked]) -> Iterator[tuple[Item, Outcome]]:
    checked = iter(results)
    for raw in chunk:
        yield item_of(raw, checked)


def item_of(raw: RawItem, checked: Iterator[Checked]) -> tuple[Item, Outcome]:
    """A raw record with what the worker made of it (the next of ``checked``, which holds the
    results of the raw records that could be bound, in order)."""
    group = raw.group
    if isinstance(group, ConversionError):
        return Item(raw.seq, raw.rows, group, raw.source, shaped=True), Outcome([], "")
    result = next(checked)
    if result[0] == 0:
        error = ConversionError(result[1], group.numbers, result[2])
        return Item(raw.seq, raw.rows, error, raw.source, shaped=True), Outcome([], "")
    _, fields, text, issues, dictionary_id, core = result
    record = Prepared.of(fields, text, core)
    outcome = Outcome([Issue(*i) for i in issues], dictionary_id)
    return Item(raw.seq, raw.rows, record, raw.source, shaped=True), outcome


def pool_for(service: StopService) -> CheckPool | None:
    """The stop service's worker pool (created on first use); None when it has no workers."""
    if service.bulk_workers <= 0:
        return None
    if service.file_pool is None:
        service.file_pool = CheckPool(service.validation, service.bulk_workers)
    pool: CheckPool = service.file_pool
    return pool
