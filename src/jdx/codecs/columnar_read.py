"""A pipe-delimited batch file read into Polars columns, chunk by chunk, or not at all.

The record path (``batch._delimited_rows`` and :meth:`FlatLayout.groups`) reads a row at a time
with the csv module; this reader reads the same rows, cells and row numbers and groups them into
the same records, as string columns of about 6,500 rows (2 MB) at a time, for the columnar
binder (``columnar_bind.py``). Polars' CSV reader cuts most blocks; the few it refuses (a row
wider than the header) are split by Polars' string functions. It never reads a file
differently: wherever the csv module could read something the splitting below does not
reproduce, the chunk is not columnar and the reader stops there, telling the caller how many
records it gave (the record path takes the rest with ``skip``). What falls back, and why:

- a field that starts with ``"`` (a quoted field: it may hold ``|`` or a line break, and then
  the csv module's rows are no longer the file's lines); a ``"`` inside a field is plain text to
  the csv module and stays columnar;
- a ``\\r`` not followed by ``\\n`` (the csv module ends a row there; the lines below do not);
- bytes that are not UTF-8 (the record path refuses the file with its message);
- a line longer than the csv module's field size limit (the record path refuses it);
- a NUL character (kept for safety: nothing in a stop needs one);
- a header the record path refuses (no record id column, a repeated column), or none at all.

The rows of a chunk are its lines in order: row numbers are line numbers (the header is row 1).
A blank row (every cell blank once stripped) is skipped, a short row reads as blank cells, and a
row with non-blank cells beyond the header's width is a record of its own that the record path
turns into a :class:`~jdx.codecs.flat.ConversionError` (``wide`` below). Stripping is Python's
``str.strip`` exactly: :data:`WHITESPACE` lists its characters (Polars' default set lacks
``\\x1c``-``\\x1f``).
"""

from __future__ import annotations

import bisect
import csv
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl

from jdx.codecs.batch import RawItem, delimited_cells, row_span
from jdx.codecs.flat import ConversionError, FlatLayout, RowGroup

# About 6,500 rows of the stop layout. Measured on 200,000 stops: 1 MB blocks cost 35 µs a stop,
# 2 and 4 MB 27 (peak RSS 181 and 240 MB), 8 MB 26 (393 MB).
BLOCK_BYTES = 2 << 20
BOM = b"\xef\xbb\xbf"
# What str.strip() removes: the characters whose str.isspace() is true.
WHITESPACE = "".join(chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace())
# A quoted field starts a cell: at the start of a line or after a delimiter.
_QUOTED_FIELD = re.compile(rb'(?:^|\|)"', re.MULTILINE)
# A cell or row that is not blank holds a character that is neither a delimiter nor whitespace.
_FILLED = "[^|" + WHITESPACE + "]"
# The control characters, which JSON escapes (the binder skips escaping chunks without any).
_CONTROLS = bytes(range(0x20))
# Whitespace other than the space: its ASCII bytes, and the UTF-8 of the others (U+2000 to
# U+202F by their common first two bytes: a false alarm costs a strip, never a difference).
_ODD_ASCII_SPACE = bytes(ord(c) for c in WHITESPACE if ord(c) < 0x80 and c not in " \n\r")
_ODD_SPACE = (
    *sorted({c.encode() for c in WHITESPACE if ord(c) > 0x7F and not 0x2000 <= ord(c) <= 0x202F}),
    b"\xe2\x80",
)
# The bytes of the two above, and of escaped characters: a block with none needs neither.
_RARE = bytes(sorted(set(_CONTROLS) - set(b"\n\r") | set(b'"\\') | {s[0] for s in _ODD_SPACE}))
# A cell's edges: a delimiter or a line end on the other side (a line's start is one).
_LINE_ENDS_AS_DELIMITERS = bytes.maketrans(b"\n\r", b"||")

# The columns of a chunk's frame besides the cells (``c0`` ... ``c{width-1}``, the header's
# positions: a header may repeat a name the layout does not know).
ROW = "row"  # the row's 1-based number in the file (its line)
ITEM = "item"  # the 1-based position of its record in the file (``Item.seq``)
WIDE = "wide"  # the row has non-blank cells beyond the header's width: a record of its own


def cell(i: int) -> str:
    """The frame's name for the cell at position ``i`` of the header."""
    return f"c{i}"


@dataclass(frozen=True)
class Chunk:
    """Whole records of a file: a frame of its non-blank rows in file order, with :data:`ROW`,
    :data:`ITEM`, :data:`WIDE` and the cells, text as read (not stripped), an empty cell null
    or empty (a short row's missing cells are null)."""

    frame: pl.DataFrame
    escape: bool  # some cell holds a character JSON escapes ('"', '\\', a control character)
    odd_space: bool  # some cell holds whitespace other than the space
    edge_space: bool  # some cell may start or end with a space
    # The text of the blocks its rows come from: (first line's number, last line's, text).
    blocks: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class Fallback:
    """The rest of the file is not columnar: the record path reads it from record
    ``after + 1`` on (``read_raw(..., skip=after)``). ``reason`` is for the log."""

    after: int
    reason: str


class ColumnarFile:
    """A pipe-delimited file open for columnar reading: its header, then its chunks."""

    def __init__(self, path: Path, layout: FlatLayout, header: list[str], start: int) -> None:
        self.path = path
        self.layout = layout
        self.header = header
        self.names = [h.strip() for h in header]
        self.width = len(header)
        self._start = start  # the byte offset of row 2
        self._at = self.names.index(layout.id_column.name)

    def chunks(self, block_bytes: int = BLOCK_BYTES) -> Iterator[Chunk | Fallback]:
        """The file's records in chunks of whole records; a :class:`Fallback` ends them when the
        rest is not columnar."""
        items = 0  # records given so far
        row = 1  # the number of the last line read
        carry: pl.DataFrame | None = None  # the last record of a chunk: it may go on
        carry_flags = (False, False, False)
        carry_blocks: tuple[tuple[int, int, str], ...] = ()
        with self.path.open("rb") as f:
            f.seek(self._start)
            for block, last in _blocks(f, block_bytes):
                reason = _not_columnar(block)
                try:
                    text = block.decode("utf-8")
                except UnicodeDecodeError:
                    reason = "not UTF-8"
                if reason:
                    yield Fallback(items, f"line {row + 1} on: {reason}")
                    return
                frame = self._read(block, row)
                if frame is None:
                    frame = self._split(text, row)
                flags = _flags(block)
                if carry is not None:
                    flags = (
                        flags[0] or carry_flags[0],
                        flags[1] or carry_flags[1],
                        flags[2] or carry_flags[2],
                    )
                lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
                blocks = (*carry_blocks, (row + 1, row + lines, text))
                row += lines
                if carry is not None:
                    frame = pl.concat([carry, frame])
                frame = number_items(frame, self._at, items)
                if frame.is_empty():
                    continue
                if not last:
                    final = frame[ITEM][-1]
                    carry = frame.filter(pl.col(ITEM) == final).drop(ITEM)
                    carry_flags = flags
                    since = carry[ROW][0]
                    carry_blocks = tuple(b for b in blocks if b[1] >= since)
                    frame = frame.filter(pl.col(ITEM) != final)
                    if frame.is_empty():
                        continue
                items = frame[ITEM][-1]
                yield Chunk(frame, *flags, blocks=blocks)

    def raw_items(self, chunk: Chunk, items: Iterable[int]) -> list[RawItem]:
        """The record path's raw items (``batch.read_raw``) for some records of a chunk: the
        rows the columnar binder leaves to it, or whose checks found issues (an error row
        keeps the cells as read). The rows' lines are read again by the csv module, which
        reads them as it would have (nothing in a chunk reads otherwise)."""
        split = {first: text.split("\n") for first, _, text in chunk.blocks}
        starts = sorted(split)

        def cells(number: int) -> list[str]:
            first = starts[bisect.bisect_right(starts, number) - 1]
            return delimited_cells(split[first][number - first])

        return raw_items_of(chunk.frame, items, cells, self.names, self._at)

    def _read(self, block: bytes, row: int) -> pl.DataFrame | None:
        """The non-blank rows of a block of whole lines that follows line ``row``, read by
        Polars' CSV reader, which keeps a blank line as a row of nulls and reads an empty
        cell as null; None when a row is wider than the header (the reader refuses it) or the
        rows are not the lines (never seen: then :meth:`_split` reads the block)."""
        if block.startswith(BOM):
            return None  # Polars would drop it; the csv module reads it as text
        width = self.width
        try:
            frame = pl.read_csv(
                block,
                has_header=False,
                separator="|",
                quote_char=None,
                eol_char="\n",
                schema=dict.fromkeys((cell(i) for i in range(width)), pl.String),
                comment_prefix=None,
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError:  # a wide row, a short first row: split instead
            return None
        if frame.height != block.count(b"\n") + (0 if block.endswith(b"\n") else 1):
            return None
        frame = frame.select(
            pl.int_range(row + 1, row + 1 + frame.height, dtype=pl.Int64).alias(ROW),
            pl.lit(False).alias(WIDE),
            pl.all(),  # a line's "\r\n" end is read as its end, as the csv module does
        )
        # A blank row has a blank record id: only those rows are looked at whole.
        rid = pl.col(cell(self._at))
        maybe = frame.filter(~rid.str.contains(_FILLED).fill_null(False))
        if maybe.is_empty():
            return frame
        cells = pl.concat_str((pl.col(cell(i)) for i in range(width)), ignore_nulls=True)
        blank = maybe.filter(~cells.str.contains(_FILLED))[ROW]
        return frame.filter(~pl.col(ROW).is_in(blank.implode()))

    def _split(self, text: str, row: int) -> pl.DataFrame:
        """:meth:`_read` for blocks it does not read: the lines split by Polars' string
        functions (slower: a wide row is a record of its own, see :data:`WIDE`)."""
        if text.endswith("\n"):
            text = text[:-1]  # the last line's end; a line break ends, never starts, a row
        width = self.width
        lines = (
            pl.Series("line", [text], pl.String)
            .str.split("\n")
            .explode()
            .str.strip_suffix("\r")
            .to_frame()
            .with_row_index(ROW, offset=row + 1)
            .with_columns(pl.col(ROW).cast(pl.Int64))
        )
        line = pl.col("line")
        # A blank row: nothing but delimiters and whitespace (csv: "".join(cells).strip()).
        filled = line.str.contains(_FILLED)
        frame = (
            lines.filter(filled)
            .select(
                ROW,
                line.str.splitn("|", width + 1).alias("parts"),
            )
            .unnest("parts")
        )
        rest = pl.col(f"field_{width}")
        return frame.select(
            ROW,
            rest.str.contains(_FILLED).fill_null(False).alias(WIDE),
            *(pl.col(f"field_{i}").alias(cell(i)) for i in range(width)),
        )


def raw_items_of(
    frame: pl.DataFrame,
    items: Iterable[int],
    cells: Callable[[int], list[str]],
    names: list[str],
    at: int,
) -> list[RawItem]:
    """The raw items of some records (``items``) of a chunk's frame, as ``batch.read_raw``
    makes them: ``cells(n)`` gives row ``n`` as read, ``names`` are the header's, ``at`` the
    record id's position."""
    wanted = frame.filter(pl.col(ITEM).is_in(list(items))).select(ITEM, ROW, WIDE)
    width = len(names)
    out: list[RawItem] = []
    # A record's rows are next to each other (file order): grouped here, in Python, which
    # took a fifth of the time of Polars' group_by with a frame per group.
    by_item: dict[int, list[int]] = {}
    wide: dict[int, bool] = {}
    for seq, number, is_wide in zip(
        wanted[ITEM].to_list(), wanted[ROW].to_list(), wanted[WIDE].to_list(), strict=True
    ):
        by_item.setdefault(seq, []).append(number)
        wide.setdefault(seq, is_wide)
    for seq, row_numbers in by_item.items():
        numbers = tuple(row_numbers)
        read = [cells(n) for n in numbers]
        span = row_span(numbers[0], numbers[-1])
        source = {"columns": names, "rows": read}
        group: RowGroup | ConversionError
        if wide[seq]:
            message = f"row {numbers[0]} has {len(read[0])} cells, the header {width}"
            group = ConversionError(message, numbers)
        else:
            padded = [c + [""] * (width - len(c)) if len(c) < width else c for c in read]
            group = RowGroup(list(zip(numbers, padded, strict=True)), padded[0][at].strip())
        out.append(RawItem(int(seq), span, group, source))
    return out


def open_columnar(path: Path, layout: FlatLayout) -> ColumnarFile | Fallback:
    """The file ready for :meth:`ColumnarFile.chunks`, or a :class:`Fallback` for all of it."""
    with path.open("rb") as f:
        first = f.readline(csv.field_size_limit() + 2)
    start = len(first)
    if first.startswith(BOM):
        first = first[len(BOM) :]
    reason = _not_columnar(first) if first.endswith(b"\n") else "no line after the header"
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        reason = "not UTF-8"
    if reason:
        return Fallback(0, f"the header: {reason}")
    header = text.removesuffix("\n").removesuffix("\r").split("|")
    problems = layout.check_header(header)
    if any("missing" in p or "twice" in p for p in problems):
        return Fallback(0, "the header does not match the template")
    return ColumnarFile(path, layout, header, start)


def _blocks(f: BinaryIO, size: int) -> Iterator[tuple[bytes, bool]]:
    """Blocks of whole lines (the last may lack its line break), each with "is it the last"."""
    pending = b""
    data = f.read(size)
    while data:
        ahead = f.read(size)
        data = pending + data
        if not ahead:
            yield data, True
            return
        cut = data.rfind(b"\n") + 1
        pending, data = data[cut:], data[:cut]
        if data:
            yield data, False
        data = ahead
    if pending:
        yield pending, True


def _not_columnar(block: bytes) -> str:
    """Why the csv module could read these lines differently from :class:`ColumnarFile`
    ("" when it cannot; long lines are checked on the frame). Plain byte searches first: a
    regular expression over 16 MB costs more than the whole read."""
    if b'"' in block and _QUOTED_FIELD.search(block):
        return "a quoted field"
    if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
        return "a carriage return that does not end a line"
    if b"\x00" in block:
        return "a NUL character"
    if _long_line(block, csv.field_size_limit()):
        return "a line longer than the csv module's field size limit"
    return ""


def _long_line(block: bytes, limit: int) -> bool:
    """Whether a line is longer than ``limit`` bytes. Such a line holds a whole window of
    ``limit // 2`` bytes without a line break: only then are the lines measured."""
    step = max(limit // 2, 1)
    for start in range(0, len(block) - step + 1, step):
        if block.find(b"\n", start, start + step) < 0:
            return max(map(len, block.split(b"\n"))) > limit
    return False


def _flags(block: bytes) -> tuple[bool, bool, bool]:
    """What the binder must do to the cells of a block, from plain byte searches: escape
    (``"``, ``\\``, a control character), strip whitespace other than spaces, strip spaces at
    a cell's edges. A block without any byte of the first two kinds (nor a lead byte of a
    non-ASCII space) is told by one pass."""
    if len(block.translate(None, _RARE)) == len(block):
        escape = odd_space = False
    else:
        line_ends = block.count(b"\n") + block.count(b"\r")
        controls = len(block) - len(block.translate(None, _CONTROLS)) - line_ends
        escape = controls > 0 or b'"' in block or b"\\" in block
        odd_space = len(block.translate(None, _ODD_ASCII_SPACE)) != len(block) or any(
            s in block for s in _ODD_SPACE
        )
    ends = block.translate(_LINE_ENDS_AS_DELIMITERS)
    edge_space = block.startswith(b" ") or block.endswith(b" ") or b" |" in ends or b"| " in ends
    return escape, odd_space, edge_space


def number_items(frame: pl.DataFrame, at: int, before: int) -> pl.DataFrame:
    """Number the records of consecutive rows (FlatLayout.groups): a row starts a record when it
    is the first, follows a wide row, or has a record id that is not blank and differs from the
    record's. A wide row is a record of its own. ``before`` records came before the frame."""
    wide = pl.col(WIDE)
    rid = pl.col(cell(at)).fill_null("").str.strip_chars(WHITESPACE)
    after_wide = wide.shift(1, fill_value=True)  # the first row starts a record too
    kept = ~wide
    # The id a row is compared with: the last non-blank id since the last wide row; a record
    # that starts with a blank id compares with "\0" (never an id: NUL falls back), so that
    # the next non-blank id starts a record of its own, as the record path does.
    key = (
        pl.when(wide)
        .then(pl.lit("\x00"))
        .when(after_wide & (rid == ""))
        .then(pl.lit("\x00"))
        .when(rid != "")
        .then(rid)
        .otherwise(None)
    )
    previous = key.forward_fill().shift(1)
    starts = wide | after_wide | (kept & (rid != "") & (rid != previous))
    items = (starts.cast(pl.Int64).cum_sum() + before).set_sorted()  # increasing: faster groups
    return frame.with_columns(items.alias(ITEM)).select(
        ROW, ITEM, WIDE, pl.exclude(ROW, ITEM, WIDE)
    )
