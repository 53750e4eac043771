"""Records of a columnar chunk as the JSON column's text, built by Polars expressions.

The record path binds a record's rows with the generated binder (``_flatgen.py``) and writes
the record with ``json_text`` (orjson). This binder writes the same text, byte for byte, for a
whole chunk at once (``columnar_read.py``): each member of the record is a JSON fragment
(``"Age":"25"``) concatenated from its stripped, escaped cell, or null when the cell is blank,
and the members of an object are joined with their nulls left out. Key order is the binder's:
record-level fields in the layout's order from the record's first row, then the person list,
one object per row; a group (``Officer``) appears when one of its fields is filled; a list of
groups (``ListResult``) has as many items as its longest ``;`` list, each item's fields by
position. Text is escaped as orjson escapes it: ``"`` and ``\\``, and control characters
(``\\b \\t \\n \\f \\r`` short, the others ``\\u00XX``); everything else, non-ASCII included, is
written as it is.

A record this binder does not write goes to the record path, which binds it and reports its
conversion error (``text`` is null): a wide row, a record-level cell that disagrees between the
record's rows, a list of groups with more items than the binder's limit allows, or one with more
than :data:`MAX_ITEMS` items (the generated binder takes any number; this one spells out each
position).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import polars as pl

from jdx.codecs.columnar_read import ITEM, ROW, WHITESPACE, WIDE, Chunk, cell
from jdx.codecs.flat import INNER_SEP, ITEM_SEP, Column, FlatLayout

TEXT = "text"  # the record's JSON text; null: the record path binds it
FIRST_ROW = "first_row"
LAST_ROW = "last_row"
MAX_ITEMS = 8  # items of a list of groups spelled out; a row with more takes the record path

_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    **{chr(i): orjson.dumps(chr(i)).decode()[1:-1] for i in range(0x20)},
}


def _json_key(key: str) -> str:
    return orjson.dumps(key).decode()


@dataclass
class _Node:
    """An object of the record as the layout builds it: its members in the order they are
    first filled (the layout's column order), each a column or an object of its own."""

    members: dict[str, Column | _Node | _Groups] = field(default_factory=dict)


@dataclass
class _Groups:
    """A list of groups: its items' fields, by their keys within an item."""

    spec_item_name: str | None
    limit: int | None  # more parts than this in a cell: the binder's conversion error
    item: _Node = field(default_factory=_Node)
    columns: list[Column] = field(default_factory=list)


def _tree(columns: Sequence[Column]) -> _Node:
    root = _Node()
    for col in columns:
        node = root
        keys = col.keys
        for key in keys[:-1]:
            inner = node.members.setdefault(key, _Node())
            assert isinstance(inner, _Node)
            node = inner
        if col.groups is None:
            node.members[keys[-1]] = col
            continue
        groups = node.members.get(keys[-1])
        if groups is None:
            limit = None
            if col.groups.max_items is not None:
                limit = max(col.groups.max_items, 1) * 4
            groups = node.members[keys[-1]] = _Groups(col.groups.item_name, limit)
        assert isinstance(groups, _Groups)
        groups.columns.append(col)
        item = groups.item
        for key in col.within[:-1]:
            inner = item.members.setdefault(key, _Node())
            assert isinstance(inner, _Node)
            item = inner
        item.members[col.within[-1]] = col
    return root


class ColumnarBinder:
    """Binds the chunks of files with one header row, for one layout."""

    def __init__(
        self, layout: FlatLayout, header: list[str], fields: Sequence[tuple[str, ...]] = ()
    ) -> None:
        """``fields``: the key paths of record-level fields to hand back as columns ``f0``,
        ``f1``... (the stripped text of the record's first row, null when blank), e.g. the
        fields the relational checks read (``Prepared.fields_of``)."""
        self.layout = layout
        self.index: dict[str, int] = {}
        for i, h in enumerate(header):
            if h.strip() in layout.names:
                self.index[h.strip()] = i  # a name given twice: the last, as the binder does
        present = [c for c in layout.columns if c.name in self.index]
        self.record_columns = [c for c in present if not c.person]
        self.person_columns = [c for c in present if c.person]
        self.record_tree = _tree(self.record_columns)
        self.person_tree = _tree(self.person_columns)
        self.fields: list[Column | None] = []
        for keys in fields:
            found = next((c for c in self.record_columns if c.keys == keys), None)
            if found is not None and (found.groups is not None or found.spec.type == "list"):
                raise ValueError(f"{'.'.join(keys)} is not a field of one value")
            self.fields.append(found)

    def bind(self, chunk: Chunk) -> pl.DataFrame:
        """One row per record of the chunk: :data:`ITEM`, :data:`FIRST_ROW`, :data:`LAST_ROW`,
        :data:`TEXT` (null: bind it on the record path) and the fields ``f0``... asked for."""
        escape = _escaper(chunk.escape)
        cells = self._cells(chunk)
        first = pl.col("_first")
        # A record-level cell must read as on the record's first row, or be blank.
        differs = pl.lit(False)
        for c in self.record_columns:
            value = pl.col(c.name)
            on_first = pl.when(first).then(value.fill_null("")).forward_fill()
            differs = differs | (value.is_not_null() & (value != on_first))
        cells = cells.with_columns(differs.alias("_differs"))
        positions = self._positions(cells)
        record_cells = [c.name for c in self.record_columns]
        record_cells += [
            name
            for g in _all_groups(self.record_tree)
            for name in (*("_s:" + c.name for c in g.columns), _count_name(g))
        ]
        heads = cells.select(ITEM, ROW, "_first", *record_cells).filter(first)
        record = heads.select(
            ITEM,
            pl.col(ROW).alias(FIRST_ROW),
            _object_members(self.record_tree, escape, positions, None, _full(heads)).alias(
                "_members"
            ),
            _too_many(self.record_tree, positions).alias("_too_many"),
            *(
                (pl.lit(None, pl.String) if c is None else pl.col(c.name)).alias(f"f{i}")
                for i, c in enumerate(self.fields)
            ),
        )
        per_item = [
            pl.col(ROW).last().alias(LAST_ROW),
            pl.col(WIDE).any().alias("_wide"),
            pl.col("_differs").any().alias("_differs"),
        ]
        if self.layout.person_list is not None:
            person = pl.concat_str(
                pl.lit("{"),
                _object_members(self.person_tree, escape, positions, None, _full(cells)),
                pl.lit("}"),
            )
            rows = cells.with_columns(
                person.alias("_person"),
                _too_many(self.person_tree, positions).alias("_too_many"),
            )
            per_item += [
                pl.col("_person").str.join(",").alias("_persons"),
                pl.col("_too_many").any().alias("_too_many_p"),
            ]
        else:
            rows = cells
            per_item.append(pl.lit(False).alias("_too_many_p"))
        grouped = rows.group_by(ITEM, maintain_order=True).agg(per_item)
        both = record.hstack(grouped.drop(ITEM))
        members = [pl.col("_members").replace("", None)]
        if self.layout.person_list is not None:
            members.append(self._person_list_member())
        text = pl.concat_str(
            pl.lit("{"), pl.concat_str(members, separator=",", ignore_nulls=True), pl.lit("}")
        )
        bad = pl.col("_wide") | pl.col("_differs") | pl.col("_too_many") | pl.col("_too_many_p")
        return both.select(
            ITEM,
            FIRST_ROW,
            LAST_ROW,
            pl.when(~bad).then(text).alias(TEXT),
            *(f"f{i}" for i in range(len(self.fields))),
        )

    def _cells(self, chunk: Chunk) -> pl.DataFrame:
        """The chunk's cells by column name, stripped; a list's separators without the
        whitespace around them; a list of groups' cells also split into parts (``_s:``) and
        counted by group (``_n:``). Each step only where the chunk's text needs it."""
        frame = chunk.frame
        columns = (*self.record_columns, *self.person_columns)
        strip = chunk.odd_space or chunk.edge_space
        spaced: set[str] = set()
        lists = [c for c in columns if c.groups is not None or c.spec.type == "list"]
        if chunk.odd_space:
            spaced = {c.name for c in lists}
        elif lists:
            found = frame.select(
                pl.col(cell(self.index[c.name])).str.contains(" ", literal=True).any().alias(c.name)
                for c in lists
            )
            spaced = {name for name, hit in found.row(0, named=True).items() if hit}

        def text(c: Column) -> pl.Expr:
            x = pl.col(cell(self.index[c.name]))
            if not strip and c.name not in spaced:
                return x.replace("", None).alias(c.name)  # a blank cell: null
            if strip:
                x = x.str.strip_chars(WHITESPACE)
            if c.name in spaced:
                ws = "[" + WHITESPACE + "]*"
                # A list within an item of a list of groups splits its part on INNER_SEP.
                inner = c.groups is not None and c.spec.type == "list"
                seps = ITEM_SEP + INNER_SEP if inner else ITEM_SEP
                x = x.str.replace_all(ws + "([" + seps + "])" + ws, "$1")
            return pl.when(x != "").then(x).alias(c.name)  # a blank cell: null

        cells = frame.select(ITEM, ROW, WIDE, *(text(c) for c in columns))
        cells = cells.with_columns(
            (pl.col(ITEM) != pl.col(ITEM).shift(1)).fill_null(True).alias("_first")
        )
        groups = [g for tree in (self.record_tree, self.person_tree) for g in _all_groups(tree)]
        if not groups:
            return cells
        split = [
            pl.col(c.name).str.split(ITEM_SEP).alias("_s:" + c.name)
            for g in groups
            for c in g.columns
        ]
        cells = cells.with_columns(split)
        return cells.with_columns(
            pl.max_horizontal(
                pl.col("_s:" + c.name).list.len().fill_null(0) for c in g.columns
            ).alias(_count_name(g))
            for g in groups
        )

    def _person_list_member(self) -> pl.Expr:
        person_list = self.layout.person_list
        assert person_list is not None
        (key,) = self.layout.person_keys
        start = _json_key(key) + ":"
        end = ""
        if person_list.item_name:
            start += "{" + _json_key(person_list.item_name) + ":"
            end = "}"
        return pl.concat_str(pl.lit(start + "["), pl.col("_persons"), pl.lit("]" + end))

    def _positions(self, cells: pl.DataFrame) -> int:
        """How many items of a list of groups to spell out for this chunk: its longest list
        (at most MAX_ITEMS; longer ones take the record path)."""
        groups = [g for tree in (self.record_tree, self.person_tree) for g in _all_groups(tree)]
        if not groups:
            return 0
        longest = cells.select(pl.max_horizontal(_count_name(g) for g in groups).max()).item()
        return min(int(longest or 0), MAX_ITEMS)


def _full(frame: pl.DataFrame) -> frozenset[str]:
    """The columns filled on every row of a frame."""
    return frozenset(name for name, s in frame.to_dict().items() if s.null_count() == 0)


def _count_name(groups: _Groups) -> str:
    return "_n:" + groups.columns[0].name


def _escaper(needed: bool) -> Callable[[pl.Expr], pl.Expr]:
    if not needed:
        return lambda x: x
    patterns = list(_ESCAPES)
    replacements = [_ESCAPES[p] for p in patterns]
    return lambda x: x.str.replace_many(patterns, replacements)


def _too_many(tree: _Node, positions: int) -> pl.Expr:
    """Rows whose lists of groups the binder refuses (its limit) or this one does not spell
    out (more than ``positions`` items)."""
    flags: list[pl.Expr] = [pl.lit(False)]
    for groups in _all_groups(tree):
        flags.append(pl.col(_count_name(groups)) > positions)
        if groups.limit is not None:
            flags.append(pl.col(_count_name(groups)) > groups.limit)
    return pl.any_horizontal(flags)


def _all_groups(tree: _Node) -> list[_Groups]:
    found: list[_Groups] = []
    for member in tree.members.values():
        if isinstance(member, _Groups):
            found.append(member)
        elif isinstance(member, _Node):
            found += _all_groups(member)
    return found


def _list_text(x: pl.Expr, sep: str, escape: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``["a","b"]`` from a non-blank cell ``a;b`` (its separators already without the
    whitespace around them)."""
    items = escape(x).str.replace_all(sep, '","', literal=True)
    return pl.concat_str(pl.lit('["'), items, pl.lit('"]'))


def _wrapped(item_name: str | None, value: pl.Expr) -> pl.Expr:
    if not item_name:
        return value
    return pl.concat_str(pl.lit("{" + _json_key(item_name) + ":"), value, pl.lit("}"))


def _object_members(
    tree: _Node,
    escape: Callable[[pl.Expr], pl.Expr],
    positions: int,
    part: Callable[[Column], pl.Expr] | None = None,
    full: frozenset[str] = frozenset(),
) -> pl.Expr:
    """The members of an object, joined with commas ("" when it has none). ``part`` gives the
    text of a column within an item of a list of groups (null when the item has no part).
    ``full``: the columns filled on every row; consecutive members that are therefore always
    there are written by one concatenation (a string column fewer for each)."""
    members: list[pl.Expr] = []
    run: list[pl.Expr | str] = []

    def flush() -> None:
        if run:
            members.append(_concat(run))
            run.clear()

    for key, member in tree.members.items():
        prefix = pl.lit(_json_key(key) + ":")
        if part is None and _always(member, full):
            if run:
                run.append(",")
            if isinstance(member, _Node):
                inner = _object_members(member, escape, positions, None, full)
                run += [_json_key(key) + ":{", inner, "}"]
            elif isinstance(member, _Groups):
                run.append(_groups_member(prefix, member, escape, positions))
            elif member.spec.type == "list":
                x = pl.col(member.name)
                value = _wrapped(member.spec.item_name, _list_text(x, ITEM_SEP, escape))
                run += [_json_key(key) + ":", value]
            else:
                run += [_json_key(key) + ':"', escape(pl.col(member.name)), '"']
            continue
        flush()
        if isinstance(member, _Node):
            inner = _object_members(member, escape, positions, part, full)
            # Filled when one of its cells is (a cell is null when blank); within an item of a
            # list of groups, when one of its members is.
            filled = inner != "" if part is not None else _filled(member)
            members.append(
                pl.when(filled).then(
                    pl.concat_str(pl.lit(_json_key(key) + ":{"), inner, pl.lit("}"))
                )
            )
        elif isinstance(member, _Groups):
            members.append(_groups_member(prefix, member, escape, positions))
        elif part is not None:
            members.append(_item_field(prefix, member, part(member), escape))
        else:
            x = pl.col(member.name)  # null when blank: so is its member
            if member.spec.type == "list":
                value = _wrapped(member.spec.item_name, _list_text(x, ITEM_SEP, escape))
                members.append(pl.concat_str(prefix, value))
            else:
                key_quote = pl.lit(_json_key(key) + ':"')
                members.append(pl.concat_str(key_quote, escape(x), pl.lit('"')))
    flush()
    if not members:
        return pl.lit("")
    return pl.concat_str(members, separator=",", ignore_nulls=True)


def _always(member: Column | _Node | _Groups, full: frozenset[str]) -> bool:
    """Whether a member is there on every row: one of its cells is filled on every row."""
    if isinstance(member, _Node):
        return any(_always(m, full) for m in member.members.values())
    if isinstance(member, _Groups):
        return any(c.name in full for c in member.columns)
    return member.name in full


def _concat(pieces: list[pl.Expr | str]) -> pl.Expr:
    """The concatenation of texts and expressions, neighbouring texts joined first."""
    merged: list[pl.Expr | str] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p for p in merged])


def _filled(tree: _Node) -> pl.Expr:
    """Whether a cell of an object's fields is filled (not null)."""
    names: list[str] = []
    for member in tree.members.values():
        if isinstance(member, _Node):
            names.append("")
        elif isinstance(member, _Groups):
            names += [c.name for c in member.columns]
        else:
            names.append(member.name)
    nested = [_filled(m) for m in tree.members.values() if isinstance(m, _Node)]
    return pl.any_horizontal(*(pl.col(n).is_not_null() for n in names if n), *nested)


def _item_field(
    prefix: pl.Expr, col: Column, x: pl.Expr, escape: Callable[[pl.Expr], pl.Expr]
) -> pl.Expr:
    """A field of an item of a list of groups from its part ``x`` (null: no part)."""
    if col.spec.type == "list":
        # A list within an item is written even when its part is blank: an empty list.
        items = pl.when(x == "").then(pl.lit("[]")).otherwise(_list_text(x, INNER_SEP, escape))
        return pl.when(x.is_not_null()).then(
            pl.concat_str(prefix, _wrapped(col.spec.item_name, items))
        )
    return pl.when(x != "").then(pl.concat_str(prefix, pl.lit('"'), escape(x), pl.lit('"')))


def _groups_member(
    prefix: pl.Expr, groups: _Groups, escape: Callable[[pl.Expr], pl.Expr], positions: int
) -> pl.Expr:
    n = pl.col(_count_name(groups))
    items = []
    for j in range(positions):

        def part(col: Column, j: int = j) -> pl.Expr:
            return pl.col("_s:" + col.name).list.get(j, null_on_oob=True)

        inner = _object_members(groups.item, escape, positions, part)
        items.append(pl.when(n > j).then(pl.concat_str(pl.lit("{"), inner, pl.lit("}"))))
    listed = pl.concat_str(
        pl.lit("["),
        pl.concat_str(items, separator=",", ignore_nulls=True) if items else pl.lit(""),
        pl.lit("]"),
    )
    return pl.when(n > 0).then(pl.concat_str(prefix, _wrapped(groups.spec_item_name, listed)))


def fields_of(bound: pl.DataFrame, count: int) -> list[tuple[Any, ...]]:
    """The handed-back fields of each record of a bound chunk, as tuples."""
    # column by column, zipped: a third of the time of the frame's iter_rows
    return list(zip(*(bound[f"f{i}"].to_list() for i in range(count)), strict=True))
