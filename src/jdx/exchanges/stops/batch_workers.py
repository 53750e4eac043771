"""The worker processes of batch files: a flat file's binding and data checks (:class:`CheckPool`)
run there while the hub's process stores the chunks before (``batch_files.py``).

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

The workers are started lazily, by ``forkserver`` (a clean process, not a fork of the hub's
threads and connections), once per hub process and again when the hub's domain tables change:
they validate with the same dictionaries and the same domain tables as the hub's process. A
worker that dies has its chunks checked in the hub's process instead. One worker is the
default (``JDX_BULK_WORKERS=1``): with its forkserver it adds about 150 MB, and a 1,000,000-stop
file then peaks under the 500 MB goal (docs/benchmarks.md, "Memory at 1,000,000 stops").
``bulk_workers = 0`` checks every chunk in the hub's process.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from jdx.codecs.batch import Item, RawItem
from jdx.codecs.flat import ConversionError, FlatLayout, RowGroup
from jdx.dictionary import Dictionary, Issue, Outcome
from jdx.exchanges.stops.records import FAMILY, Prepared
from jdx.exchanges.stops.service import StopService
from jdx.store.engine import json_text
from jdx.validation import ValidationService

# Chunks handed to the worker ahead of the one being stored: the worker keeps busy while a
# chunk's store takes longer than usual (a commit, an ANALYZE), at a few MB of rows in memory.
AHEAD = 3

Rows = list[tuple[int, list[str]]]
# A record as the worker hands it back: (0, message, record id) for rows that cannot be bound,
# (1, fields for Prepared, JSON text, issues as tuples, dictionary id) otherwise.
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
            outcome = self.validation.validate(FAMILY, record)
            issues = [(i.code, i.severity, i.field, i.message, i.person) for i in outcome.issues]
            text = json_text(record)
            out.append((1, Prepared.fields_of(record), text, issues, outcome.dictionary_id))
        return out


# --- in the worker process ----------------------------------------------------------------------

_checker: Checker | None = None


def _start(dictionaries: list[Dictionary], domains: dict[str, frozenset[str]]) -> None:
    """The worker's initializer: its own validators, compiled from the hub's dictionaries, on
    the hub's domain tables as they were when the pool started."""
    global _checker
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


# --- in the hub's process -----------------------------------------------------------------------


class CheckPool:
    """The worker processes of one hub process's stop service."""

    def __init__(self, validation: ValidationService, workers: int) -> None:
        self.validation = validation
        self.workers = workers
        self.local = Checker(validation)
        self._executor: ProcessPoolExecutor | None = None
        self._domains: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def checked(
        self, dictionary: Dictionary, header: list[str], chunks: Iterator[list[RawItem]]
    ) -> Iterator[list[tuple[Item, Outcome]]]:
        """The chunks with their records bound and checked, in order, up to :data:`AHEAD`
        chunks being checked in the worker while the caller stores the one before."""
        ahead: deque[tuple[list[RawItem], list[tuple[Rows, str]], Future[list[Checked]] | None]]
        ahead = deque()
        try:
            for chunk in chunks:
                groups = [
                    (item.group.rows, item.group.record_id)
                    for item in chunk
                    if isinstance(item.group, RowGroup)
                ]
                ahead.append((chunk, groups, self._submit(dictionary.id, header, groups)))
                if len(ahead) >= AHEAD:
                    yield self._collect(dictionary.id, header, *ahead.popleft())
            while ahead:
                yield self._collect(dictionary.id, header, *ahead.popleft())
        finally:
            for _, _, future in ahead:  # the caller stopped (an error): drop the work ahead
                if future is not None:
                    future.cancel()

    def _submit(
        self, dictionary_id: str, header: list[str], groups: list[tuple[Rows, str]]
    ) -> Future[list[Checked]] | None:
        try:
            return self._current().submit(_check, dictionary_id, header, groups)
        except (BrokenProcessPool, OSError, RuntimeError):
            self._discard()
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
                self._discard()  # a worker died (killed, out of memory): this process checks
        if results is None:
            results = self.local.check(dictionary_id, header, groups)
        return list(_items(chunk, results))

    def _current(self) -> ProcessPoolExecutor:
        """The pool, started on first use and again when a domain table was reloaded."""
        with self._lock:
            if self._executor is not None and not self._same_domains():
                self._executor.shutdown(wait=False)  # its chunks in flight still complete
                self._executor = None
            if self._executor is None:
                self._domains = dict(self.validation.domains)
                dictionaries = [d for d, _ in self.validation.families[FAMILY].versions]
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload([__name__])
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=context,
                    initializer=_start,
                    initargs=(dictionaries, self._domains),
                )
            return self._executor

    def _same_domains(self) -> bool:
        # Identity, not equality: a reload puts a new set in the mapping (set_domain), and the
        # snapshot holds the old ones, so no new set can share an old one's identity.
        current = self.validation.domains
        return current.keys() == self._domains.keys() and all(
            current[name] is codes for name, codes in self._domains.items()
        )

    def _discard(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None


def _items(chunk: list[RawItem], results: list[Checked]) -> Iterator[tuple[Item, Outcome]]:
    checked = iter(results)
    for raw in chunk:
        group = raw.group
        if isinstance(group, ConversionError):
            yield Item(raw.seq, raw.rows, group, raw.source, shaped=True), Outcome([], "")
            continue
        result = next(checked)
        if result[0] == 0:
            error = ConversionError(result[1], group.numbers, result[2])
            yield Item(raw.seq, raw.rows, error, raw.source, shaped=True), Outcome([], "")
            continue
        _, fields, text, issues, dictionary_id = result
        record = Prepared.of(fields, text)
        outcome = Outcome([Issue(*i) for i in issues], dictionary_id)
        yield Item(raw.seq, raw.rows, record, raw.source, shaped=True), outcome


def pool_for(service: StopService) -> CheckPool | None:
    """The stop service's worker pool (created on first use); None when it has no workers."""
    if service.bulk_workers <= 0:
        return None
    if service.file_pool is None:
        service.file_pool = CheckPool(service.validation, service.bulk_workers)
    pool: CheckPool = service.file_pool
    return pool
