"""A flat batch file (pipe-delimited, XLSX, XLS) read and checked as columns (issue 20): what the
columnar path says of each record, in the process that runs it (the hub's, or a worker's:
``batch_workers.py``).

A block of the file at a time, the rows are read into string columns: by Polars' CSV reader
for a pipe file (``codecs/columnar_read.py``), from the record path's own reading of a sheet
(``codecs/columnar_sheet.py``). The columnar checker (``dictionary/columnar.py``), compiled
from the same dictionary as the record validator, says which stops the record path would find
nothing in; the columnar binder (``codecs/columnar_bind.py``) writes those stops' JSON text,
byte for byte what the record path would store, and the fields the relational checks read.
Those stops come out as :class:`Clean`; every other one (a finding of any severity, a shape the
binder leaves, the other era) as the record path's :class:`~jdx.codecs.batch.RawItem`, for the
record path to bind and validate, which finds and words every issue. The columnar part only
decides who may skip the record path, and its differential tests hold it to never passing a
stop the record path would not.

This is the only module of the path that needs Polars: the hub's process imports it only when it
reads a file itself (no worker processes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from jdx.codecs.batch import Format, RawItem, sniff
from jdx.codecs.columnar_bind import FIRST_ROW, LAST_ROW, TEXT, ColumnarBinder, fields_of
from jdx.codecs.columnar_read import ITEM, WIDE, Chunk, ColumnarFile, Fallback, cell, open_columnar
from jdx.codecs.columnar_sheet import REFER, SheetFile, open_sheet
from jdx.codecs.flat import FlatLayout
from jdx.dictionary import Dictionary
from jdx.dictionary.columnar import ColumnarCheck, Domains, compile_columnar
from jdx.exchanges.stops.records import PREPARED_FIELDS

# The fields Prepared hands the relational checks, as key paths of the record.
FIELD_KEYS: tuple[tuple[str, ...], ...] = (
    *((name,) for name in PREPARED_FIELDS),
    ("Officer", "UID"),
)


# A stop the record path would find nothing in, as the store takes it: its position in the
# file, the numbers of its first and last rows (lines), its fields for ``Prepared.of`` and the
# record in canonical form as the JSON column's text; a sheet's stop has its rows as read
# besides (a pipe file's are read again by line number, should the stop get an error row). A
# plain tuple: cheap to hand over from a worker process, and read back there without this
# module (and Polars).
Clean = (
    tuple[int, int, int, tuple[Any, ...], str]
    | tuple[int, int, int, tuple[Any, ...], str, list[list[str]]]
)


Records = list[Clean | RawItem]  # a chunk's records in file order

__all__ = ["Clean", "ColumnarRecords", "Fallback", "Records"]


@dataclasses.dataclass(frozen=True)
class ColumnarRecords:
    """One file's columnar reader, checker and binder."""

    file: ColumnarFile | SheetFile
    check: ColumnarCheck
    named: list[pl.Expr]  # the frame's cells under the layout's names, as the checker reads them
    binder: ColumnarBinder

    @classmethod
    def open(
        cls, path: Path, dictionary: Dictionary, domains: Domains, versions: list[Dictionary]
    ) -> ColumnarRecords | Fallback:
        layout = FlatLayout(dictionary)
        fmt = sniff(path)
        opened: ColumnarFile | SheetFile | Fallback
        if fmt is Format.DELIMITED:
            opened = open_columnar(path, layout)
        else:
            opened = open_sheet(path, fmt, layout)
        if isinstance(opened, Fallback):
            return opened
        # each layout name from the last header position that holds it, as the binder reads it
        position = {n: i for i, n in enumerate(opened.names) if n in layout.names}
        return cls(
            opened,
            compile_columnar(dictionary, opened.header, domains, versions),
            [pl.col(cell(i)).alias(n) for n, i in position.items()],
            ColumnarBinder(layout, opened.header, FIELD_KEYS),
        )

    @property
    def header(self) -> list[str]:
        return self.file.header

    def records(self, skip: int) -> Iterator[Records | Fallback]:
        """The records from record ``skip + 1`` on, a block's worth at a time; a
        :class:`Fallback` ends them where the rest of the file is not columnar."""
        for chunk in self.file.chunks():
            if isinstance(chunk, Fallback):
                yield chunk
                return
            if skip:
                frame = chunk.frame.filter(pl.col(ITEM) > skip)
                if frame.is_empty():
                    continue
                chunk = dataclasses.replace(chunk, frame=frame)
            yield self._records(chunk)

    def _records(self, chunk: Chunk) -> Records:
        clean = self.check.clean(chunk.frame.select(ITEM, WIDE, *self.named)).to_list()
        if REFER in chunk.frame.columns:  # a sheet's rows with a line break in a cell
            refer = chunk.frame.group_by(ITEM, maintain_order=True).agg(pl.col(REFER).any())
            clean = [c and not r for c, r in zip(clean, refer[REFER].to_list(), strict=True)]
        bound = self.binder.bind(chunk)
        texts = bound[TEXT].to_list()
        firsts, lasts = bound[FIRST_ROW].to_list(), bound[LAST_ROW].to_list()
        fields = fields_of(bound, len(FIELD_KEYS))
        sheet = self.file if isinstance(self.file, SheetFile) else None
        out: Records = []
        referred: dict[int, int] = {}  # record number -> its place in ``out``
        for n, seq in enumerate(bound[ITEM].to_list()):
            text = texts[n]
            if clean[n] and text is not None:
                if sheet is None:
                    out.append((seq, firsts[n], lasts[n], fields[n], text))
                else:
                    rows = sheet.rows_of(chunk, firsts[n], lasts[n])
                    out.append((seq, firsts[n], lasts[n], fields[n], text, rows))
            else:
                referred[seq] = len(out)
                out.append((seq, 0, 0, (), ""))  # replaced below
        for raw in self.file.raw_items(chunk, referred):
            out[referred[raw.seq]] = raw
        return out
