"""Flat batch files (pipe-delimited, XLSX, XLS) on the columnar path (issue 20): the file read,
checked and bound as columns (``columnar_records.py``), and only the stops with something to
say taken one by one.

The clean stops go to the store as :class:`Prepared` records with an empty outcome, as a worker
process hands back a stop it found clean. Every other stop (a finding of any severity, a shape
the binder leaves, the other era) is bound and validated by the record path, which finds and
words every issue. So the outcomes, codes, paths and messages are the record path's by
construction.

Where the service has worker processes, the columns are read, checked and bound in one of them
(``batch_workers.CheckPool.columnar``), a few blocks ahead of the chunk the hub's process
stores: the two run side by side on two cores, and Polars' memory stays in the worker. Without
workers, here. Where the file stops being columnar (a quoted field, bytes that are not UTF-8),
or the worker is lost, the record path reads the rest of it from the next record on.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from jdx.codecs.batch import (
    DeferredSource,
    Item,
    RawItem,
    bound_item,
    delimited_cells,
    row_span,
)
from jdx.dictionary import Dictionary, Outcome
from jdx.exchanges.stops.batch_files import check_item
from jdx.exchanges.stops.batch_workers import CheckPool, item_of
from jdx.exchanges.stops.records import FAMILY, Prepared
from jdx.exchanges.stops.service import StopService

Chunks = Iterator[list[tuple[Item, Outcome]]]


class Rest(NamedTuple):
    """The rest of the file is not columnar (``columnar_read.Fallback``), or its worker was
    lost: the record path reads it from record ``after + 1`` on. ``reason``: for the log."""

    after: int
    reason: str


class FileLines:
    """A file's lines by number, for the clean stops that get an error row after all (a
    duplicate of a stored stop): the error file keeps their rows as read. The index of line
    starts is built on the first ask, in one pass over the file (8 bytes a line)."""

    def __init__(self, path: Path, names: list[str]) -> None:
        self.path = path
        self.names = names
        self._starts: array[int] | None = None

    def rows(self, first: int, last: int) -> dict[str, Any]:
        """Lines ``first`` to ``last`` as the record path reads a record's rows: each by the
        csv module, blank ones (between a record's rows) left out, as the reader leaves them."""
        starts = self._index()
        with self.path.open("rb") as f:
            f.seek(starts[first - 1])
            end = starts[last] if last < len(starts) else -1
            data = f.read(end - starts[first - 1]) if end >= 0 else f.read()
        read = []
        for line in data.decode("utf-8").split("\n")[: last - first + 1]:
            cells = delimited_cells(line)
            if any(c.strip() for c in cells):
                read.append(cells)
        return {"columns": self.names, "rows": read}

    def _index(self) -> array[int]:
        if self._starts is None:
            starts, at = array("q", [0]), 0
            with self.path.open("rb") as f:
                while block := f.read(1 << 20):
                    found = block.find(b"\n")
                    while found >= 0:
                        starts.append(at + found + 1)
                        found = block.find(b"\n", found + 1)
                    at += len(block)
            self._starts = starts
        return self._starts


class RowsAsRead(DeferredSource):
    """A clean stop's rows as the error file keeps them (``Item.source``), read again from the
    file only if the stop gets an error row after all."""

    __slots__ = ("first", "last", "lines")

    def __init__(self, lines: FileLines, first: int, last: int) -> None:
        self.lines, self.first, self.last = lines, first, last

    def value(self) -> Any:
        return self.lines.rows(self.first, self.last)


def checked_chunks(
    service: StopService,
    pool: CheckPool | None,
    path: Path,
    dictionary: Dictionary,
    skip: int,
    size: int,
    rest: Callable[[int], Chunks],
) -> Chunks:
    """The file's records from record ``skip + 1`` on, ``size`` at a time, each with its data
    checks: what ``batch_files._checked_chunks`` gives, by the columnar path where it can (in
    ``pool``'s worker when there is one). ``rest(after)``: the record path's chunks from record
    ``after + 1`` on, for the part of the file that is not columnar."""
    if pool is None:
        parts = _here(service, path, dictionary, skip)
    else:
        parts = _in_worker(pool, path, dictionary, skip)
    yield from chunked(_items(parts, path, dictionary), size, skip, rest)


def _items(
    parts: Iterator[Part], path: Path, dictionary: Dictionary
) -> Iterator[list[tuple[Item, Outcome]] | Rest]:
    """Each block's records as the store takes them (a clean stop as a :class:`Prepared`
    record with an outcome of its own, to which the relational checks add their issues)."""
    lines: FileLines | None = None
    for part in parts:
        if isinstance(part, Rest):
            yield part
            return
        names, records = part
        if lines is None:
            lines = FileLines(path, names)
        out: list[tuple[Item, Outcome]] = []
        for record in records:
            if len(record) >= CLEAN_FIELDS:
                seq, first, last, fields, text = record[:CLEAN_FIELDS]
                prepared = Prepared.of(fields, text)
                source: Any
                if len(record) > CLEAN_FIELDS:  # a sheet's stop: its rows as read came with it
                    source = {"columns": names, "rows": record[CLEAN_FIELDS]}
                else:
                    source = RowsAsRead(lines, first, last)
                item = Item(seq, row_span(first, last), prepared, source, shaped=True)
                out.append((item, Outcome([], dictionary.id)))
            else:
                out.append(record)
        yield out


def chunked(
    parts: Iterator[list[tuple[Item, Outcome]] | Rest],
    size: int,
    skip: int,
    rest: Callable[[int], Chunks],
) -> Chunks:
    """Records handed over a block at a time, as chunks of ``size``; at a :class:`Rest`, the
    record path (``rest``) from the last record of the last whole chunk given on. The records
    taken since go the record path again, so that the chunks are the record path's own, however
    the part ends: a file that turns out unreadable stores what the record path would have."""
    ready: list[tuple[Item, Outcome]] = []
    given = skip  # the last record of the chunks given
    for part in parts:
        if isinstance(part, Rest):
            yield from rest(given)
            return
        ready += part
        while len(ready) >= size:
            chunk = ready[:size]
            del ready[:size]
            given = chunk[-1][0].seq
            yield chunk
    if ready:
        yield ready


# A block's records as the driver above takes them: the header's names, then each record as a
# clean stop's tuple (``columnar_records.Clean``) or as the record path checked it.
Part = tuple[list[str], list[tuple[Any, ...]]] | Rest
CLEAN_FIELDS = 5  # seq, first row, last row, fields, text (and a sheet's rows as read)


def _here(service: StopService, path: Path, dictionary: Dictionary, skip: int) -> Iterator[Part]:
    """The columnar path in this process (a hub without worker processes)."""
    # imported here: Polars (about 35 MB) only in a process that reads columns
    from jdx.exchanges.stops.columnar_records import ColumnarRecords, Fallback

    versions = [d for d, _ in service.validation.families[FAMILY].versions]
    opened = ColumnarRecords.open(path, dictionary, service.validation.domains, versions)
    if isinstance(opened, Fallback):
        yield Rest(opened.after, opened.reason)
        return
    bind = opened.file.layout.binder(opened.header)
    names = opened.file.names
    for records in opened.records(skip):
        if isinstance(records, Fallback):
            yield Rest(records.after, records.reason)
            return
        out: list[tuple[Any, ...]] = []
        for record in records:
            if isinstance(record, RawItem):
                item = bound_item(record, bind)
                out.append((item, check_item(service, item)))
            else:
                out.append(record)
        yield names, out


def _in_worker(pool: CheckPool, path: Path, dictionary: Dictionary, skip: int) -> Iterator[Part]:
    """The columnar path in the pool's worker: the referred records come back checked by the
    record path there; a lost worker ends the columnar part (the caller's ``rest`` follows)."""
    for got in pool.columnar(path, dictionary.id, skip):
        if isinstance(got, Rest):
            yield got
            return
        names, records, checked = got
        results = iter(checked)
        yield names, [item_of(r, results) if isinstance(r, RawItem) else r for r in records]
