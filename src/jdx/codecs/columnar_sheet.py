"""A spreadsheet batch file (XLSX, XLS) read into Polars columns, a block of rows at a time.

The record path reads a sheet's rows with :func:`~jdx.codecs.batch.sheet_rows` (cell values
written as the text the agency typed) and groups them into records with
:meth:`FlatLayout.groups`. This reader takes the very same rows from the very same function and
puts them into string columns of about :data:`BLOCK_ROWS` rows, numbered into records as the
pipe-delimited reader numbers its own (``columnar_read.py``): the columnar checker and binder
then read a sheet's chunk as they read a pipe file's. Nothing is read differently, since nothing
is read twice; what the sheet's text may hold that a pipe file's cannot is left to the record
path, record by record (:data:`REFER`): a line break inside a cell.

A record's rows as read go with the chunk (:class:`SheetChunk`), for the records the record path
takes and for the error rows of clean ones: a sheet, inflated from a zip, cannot be read again
at a row as a text file can.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from jdx.codecs.batch import FileError, Format, RawItem, sheet_rows
from jdx.codecs.columnar_read import (
    ITEM,
    ROW,
    WHITESPACE,
    WIDE,
    Chunk,
    Fallback,
    cell,
    number_items,
    raw_items_of,
)
from jdx.codecs.flat import FlatLayout

# About the rows of a pipe file's 2 MB block (columnar_read.BLOCK_BYTES): 6,500 stop rows.
BLOCK_ROWS = 6_500
REFER = "refer"  # a row with a line break in a cell: its record goes to the record path
_SEP = "\x00"  # between the cells of a block joined for the flags: XML text never holds it
_ESCAPED = re.compile(r'["\\\x01-\x1f]')
_ODD_SPACE = re.compile("[" + WHITESPACE.replace(" ", "") + "]")
_BREAK = re.compile("[\n\r]")


@dataclass(frozen=True)
class SheetChunk(Chunk):
    """A chunk of a sheet: its frame has :data:`REFER` besides, and ``rows`` holds each row's
    cells as read, by row number."""

    rows: dict[int, list[str]] = field(default_factory=dict)


class SheetFile:
    """A sheet open for columnar reading: its header, then its chunks."""

    def __init__(
        self,
        layout: FlatLayout,
        header: list[str],
        rows: Iterator[tuple[int, list[str]]],
    ) -> None:
        self.layout = layout
        self.header = header
        self.names = [h.strip() for h in header]
        self.width = len(header)
        self._rows = rows
        self._at = self.names.index(layout.id_column.name)

    def chunks(self, block_rows: int = BLOCK_ROWS) -> Iterator[SheetChunk | Fallback]:
        """The sheet's records in chunks of whole records; a :class:`Fallback` ends them when
        the sheet cannot be read on (the record path then says why, from the next record)."""
        items = 0  # records given so far
        carry: list[tuple[int, list[str]]] = []  # the last record's rows: it may go on
        blocks = _blocks(self._rows, block_rows)
        while True:
            try:
                block, last = next(blocks)
            except FileError as exc:
                yield Fallback(items, str(exc))
                return
            rows = carry + block
            if not rows:
                return
            frame, kept, flags = self._frame(rows)
            frame = number_items(frame, self._at, items)
            carry = []
            if not last:
                final = frame[ITEM][-1]
                numbers = frame.filter(pl.col(ITEM) == final)[ROW].to_list()
                carry = [(n, kept.pop(n)) for n in numbers]
                frame = frame.filter(pl.col(ITEM) != final)
                if frame.is_empty():
                    continue
            items = frame[ITEM][-1]
            yield SheetChunk(frame, *flags, rows=kept)
            if last:
                return

    def _frame(
        self, rows: list[tuple[int, list[str]]]
    ) -> tuple[pl.DataFrame, dict[int, list[str]], tuple[bool, bool, bool]]:
        width = self.width
        numbers = [n for n, _ in rows]
        wide = [len(c) > width and any(x.strip() for x in c[width:]) for _, c in rows]
        padded = [c[:width] if len(c) >= width else c + [""] * (width - len(c)) for _, c in rows]
        joined = _SEP.join(_SEP.join(c) for c in padded)
        refer = (
            [bool(_BREAK.search(_SEP.join(c))) for c in padded] if _BREAK.search(joined) else None
        )
        columns = list(zip(*padded, strict=True)) if padded else [() for _ in range(width)]
        frame = pl.DataFrame(
            {
                ROW: pl.Series(numbers, dtype=pl.Int64),
                WIDE: pl.Series(wide, dtype=pl.Boolean),
                REFER: pl.Series(
                    refer if refer is not None else [False] * len(rows), dtype=pl.Boolean
                ),
                **{cell(i): pl.Series(col, dtype=pl.String) for i, col in enumerate(columns)},
            }
        )
        ends = _SEP + joined + _SEP
        flags = (
            bool(_ESCAPED.search(joined)),
            bool(_ODD_SPACE.search(joined)),
            f"{_SEP} " in ends or f" {_SEP}" in ends,
        )
        return frame, dict(zip(numbers, (c for _, c in rows), strict=True)), flags

    def raw_items(self, chunk: Chunk, items: Iterable[int]) -> list[RawItem]:
        """The record path's raw items (``batch.read_raw``) for some records of a chunk, from
        the rows as read that the chunk holds."""
        assert isinstance(chunk, SheetChunk)
        return raw_items_of(chunk.frame, items, chunk.rows.__getitem__, self.names, self._at)

    def rows_of(self, chunk: Chunk, first: int, last: int) -> list[list[str]]:
        """A clean record's rows as read (its error row, should it get one at the store)."""
        assert isinstance(chunk, SheetChunk)
        return [chunk.rows[n] for n in range(first, last + 1) if n in chunk.rows]


def _blocks(
    rows: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[tuple[list[tuple[int, list[str]]], bool]]:
    """The non-blank rows, ``size`` at a time, each block with "is it the last" (blank rows
    separate nothing: ``FlatLayout.groups`` skips them too)."""
    block: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if "".join(cells).strip():
            block.append((number, cells))
            if len(block) == size:
                yield block, False
                block = []
    yield block, True


def open_sheet(path: Path, fmt: Format, layout: FlatLayout) -> SheetFile | Fallback:
    """The sheet ready for :meth:`SheetFile.chunks`, or a :class:`Fallback` for all of it (the
    record path refuses the file, and says why)."""
    rows = sheet_rows(path, fmt)
    try:
        _, header = next(rows)
    except (StopIteration, FileError):
        return Fallback(0, "the header row cannot be read")
    problems = layout.check_header(header)
    if any("missing" in p or "twice" in p for p in problems):
        return Fallback(0, "the header does not match the template")
    return SheetFile(layout, header, rows)
