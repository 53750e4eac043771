"""Pipe-delimited batch files on the columnar path (issue 20): the file read, checked and bound
as columns, and only the stops with something to say taken one by one.

A block of the file at a time (``codecs/columnar_read.py``), Polars reads the rows into string
columns. The columnar checker (``dictionary/columnar.py``), compiled from the same dictionary
as the record validator, says which stops the record path would find nothing in; the columnar
binder (``codecs/columnar_bind.py``) writes those stops' JSON text, byte for byte what the
record path would store, and the fields the relational checks read. Those stops go to the store
as :class:`Prepared` records with an empty outcome, as a worker process hands back a stop it
found clean. Every other stop (a finding of any severity, a shape the binder leaves, the other
era) is bound and validated by the record path, which finds and words every issue. So the
outcomes, codes, paths and messages are the record path's by construction: the columnar part
only decides who may skip it, and its differential tests hold it to never passing a stop the
record path would not.

Where the file stops being columnar (a quoted field, bytes that are not UTF-8), the record path
reads the rest of it from that record on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from jdx.codecs.batch import DeferredSource, Item, bound_item
from jdx.codecs.columnar_bind import FIRST_ROW, LAST_ROW, TEXT, ColumnarBinder, fields_of
from jdx.codecs.columnar_read import (
    ITEM,
    WIDE,
    Chunk,
    ColumnarFile,
    Fallback,
    cell,
    open_columnar,
)
from jdx.codecs.flat import FlatLayout
from jdx.dictionary import Dictionary, Outcome
from jdx.dictionary.columnar import ColumnarCheck, compile_columnar
from jdx.exchanges.stops.batch_files import check_item
from jdx.exchanges.stops.records import FAMILY, PREPARED_FIELDS, Prepared
from jdx.exchanges.stops.service import StopService

# The fields Prepared hands the relational checks, as key paths of the record.
FIELD_KEYS: tuple[tuple[str, ...], ...] = (
    *((name,) for name in PREPARED_FIELDS),
    ("Officer", "UID"),
)


class RowsAsRead(DeferredSource):
    """A clean stop's rows as the error file keeps them (``Item.source``), read again from the
    chunk only if the stop gets an error row after all (a duplicate of a stored stop)."""

    __slots__ = ("chunk", "file", "seq")

    def __init__(self, file: ColumnarFile, chunk: Chunk, seq: int) -> None:
        self.file, self.chunk, self.seq = file, chunk, seq

    def value(self) -> Any:
        return self.file.raw_items(self.chunk, [self.seq])[0].source


Chunks = Iterator[list[tuple[Item, Outcome]]]


def checked_chunks(
    service: StopService,
    path: Path,
    dictionary: Dictionary,
    skip: int,
    size: int,
    rest: Callable[[int], Chunks],
) -> Chunks:
    """The file's records from record ``skip + 1`` on, ``size`` at a time, each with its data
    checks: what ``batch_files._checked_chunks`` gives, by the columnar path where it can.
    ``rest(after)``: the record path's chunks from record ``after + 1`` on, for the part of the
    file that is not columnar."""
    layout = FlatLayout(dictionary)
    opened = open_columnar(path, layout)
    if isinstance(opened, Fallback):
        yield from rest(skip)
        return
    versions = [d for d, _ in service.validation.families[FAMILY].versions]
    names = opened.names
    # each layout name from the last header position that holds it, as the binder reads it
    position = {n: i for i, n in enumerate(names) if n in layout.names}
    columnar = _Columnar(
        opened,
        compile_columnar(dictionary, opened.header, service.validation.domains, versions),
        [pl.col(cell(i)).alias(n) for n, i in position.items()],
        ColumnarBinder(layout, opened.header, FIELD_KEYS),
        layout.binder(opened.header),
    )
    ready: list[tuple[Item, Outcome]] = []
    for chunk in opened.chunks():
        if isinstance(chunk, Fallback):
            yield from _sized(ready, size, final=True)
            yield from rest(max(skip, chunk.after))
            return
        if skip:
            frame = chunk.frame.filter(pl.col(ITEM) > skip)
            if frame.is_empty():
                continue
            chunk = dataclasses.replace(chunk, frame=frame)
        ready.extend(columnar.checked(service, dictionary, chunk))
        yield from _sized(ready, size, final=False)
    yield from _sized(ready, size, final=True)


@dataclasses.dataclass(frozen=True)
class _Columnar:
    """One file's columnar reader, checker and binder, and the record path's binder."""

    file: ColumnarFile
    check: ColumnarCheck
    named: list[pl.Expr]  # the frame's cells under the layout's names, as the checker reads them
    binder: ColumnarBinder
    bind_one: Callable[[list[tuple[int, list[str]]]], dict[str, Any]]

    def checked(
        self, service: StopService, dictionary: Dictionary, chunk: Chunk
    ) -> list[tuple[Item, Outcome]]:
        """The chunk's stops in file order: the clean ones as columns bound them, the others
        by the record path."""
        clean = self.check.clean(chunk.frame.select(ITEM, WIDE, *self.named)).to_list()
        bound = self.binder.bind(chunk)
        texts = bound[TEXT].to_list()
        firsts, lasts = bound[FIRST_ROW].to_list(), bound[LAST_ROW].to_list()
        fields = fields_of(bound, len(FIELD_KEYS))
        out: list[tuple[Item, Outcome]] = []
        referred: dict[int, int] = {}  # record number -> its place in ``out``
        for n, seq in enumerate(bound[ITEM].to_list()):
            text = texts[n]
            if clean[n] and text is not None:
                span = f"{firsts[n]}" if firsts[n] == lasts[n] else f"{firsts[n]}-{lasts[n]}"
                item = Item(
                    seq,
                    span,
                    Prepared.of(fields[n], text),
                    RowsAsRead(self.file, chunk, seq),
                    shaped=True,
                )
                # an outcome of its own: the relational checks add their issues to it
                out.append((item, Outcome([], dictionary.id)))
            else:
                referred[seq] = len(out)
                out.append((Item(seq, "", {}, None), Outcome([], "")))  # replaced below
        for raw in self.file.raw_items(chunk, referred):
            item = bound_item(raw, self.bind_one)
            out[referred[raw.seq]] = (item, check_item(service, item))
        return out


def _sized(ready: list[tuple[Item, Outcome]], size: int, *, final: bool) -> Chunks:
    """Whole chunks of ``size`` from the front of ``ready`` (and the rest when ``final``)."""
    while len(ready) >= size or (final and ready):
        yield ready[:size]
        del ready[:size]
