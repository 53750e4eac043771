"""The dictionary compiled to Polars expressions: a sound pre-filter of a flat file's stops.

``compile_columnar(dictionary, header, domains)`` returns a :class:`ColumnarCheck`, whose
``clean(frame, today)`` tells, for every stop (record) of a frame of flat-file rows, whether the
record path would find nothing at all in it. ``True`` is a promise: the FlatLayout binder would
bind the stop without a :class:`~jdx.codecs.flat.ConversionError` and
``ValidationService.validate`` would give it no issue of any severity (warnings included).
``False`` only means "send this stop through the record path", which finds and words every
issue itself; the checker never writes a message. Where the checker cannot be sure (a form the
two engines read differently, a rule without a columnar form) it says ``False``; precision
(few valid stops called not clean) is what makes the path fast, soundness is what makes it
right. What has a columnar form and what is record-only: ``columnar_coverage.py``.

The frame
---------
One row per row of the file (one per person of a stop), in file order:

- one column per column of the file, named as :class:`~jdx.codecs.flat.FlatLayout` names it
  (``Officer.UID``, ``Perc.ListEthn``, ``ListResult.Res_O_CD``), holding the cell's text exactly
  as the file gives it (not stripped; null reads as blank). A layout column missing from the
  frame, or not in ``header``, is blank, as the binder leaves it unset;
- the column ``stop`` (by default ``"item"``): an integer, the same for the rows of one stop,
  which are consecutive, ascending from stop to stop (the reader groups rows by record id as
  :meth:`FlatLayout.groups` does). Record-level cells may be blank after a stop's first row;
- optionally the column ``"wide"``: True for a row with cells beyond the header's width (a
  ConversionError of its own): its stop is not clean.

``clean`` returns one boolean per stop, in ascending order of the stop column.

How it reads like the record path: the text rules are in ``columnar_text.py``; here the
structure. A stop is bound as the binder binds it (a record-level cell from the stop's first
row, later rows blank or the same; ``;`` between the items of a list, aligned by position in a
list of groups, ``,`` inside such an item) and judged as the generated validator judges it:
a group is present when one of its cells is not blank and only then are its fields checked; a
field is either blank (then its ``required`` condition must be false) or present (then its
``forbidden`` condition must be false and its type checks pass); conditions are evaluated in the
scope the validator gives them (the record, the person, the item of a list of groups). Shapes
whose reading has a corner the columnar form would have to reproduce (a blank item between two
separators, a row without any person cell, a blank item of a list of groups) are simply not
clean: valid files do not have them, and the record path reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from jdx.codecs.flat import INNER_SEP, ITEM_SEP, Column, FlatLayout
from jdx.dictionary._runtime import latest_today
from jdx.dictionary.columnar_text import (
    WHITESPACE,
    WS,
    content_ok,
    day_number,
    day_of,
    escape,
    is_ascii,
    one_of,
    stripped,
)
from jdx.dictionary.model import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Dictionary,
    FieldSpec,
    Not,
    Ref,
    Some,
)

STOP = "item"
WIDE = "wide"
# Positions of a list of groups read column by column; a row with more items goes to the
# record path (a person's actions and results are a handful).
MAX_POSITIONS = 16

Domains = Mapping[str, frozenset[str]]
_FIRST = "__first"
_TODAY = "__today"
_STOP = "__stop"
# The in-memory engine: Polars 2's default, the streaming one, took about a third more CPU
# for these few hundred expressions over one chunk (POLARS_MAX_THREADS=1, bench file).
_ENGINE: Literal["in-memory"] = "in-memory"


def _pos(name: str, i: int) -> str:
    return f"{name}#{i}"


def _count(name: str) -> str:
    return f"{name}#n"


@dataclass(frozen=True)
class _Groups:
    """A list of groups: its columns (by their keys within the item), aligned by position."""

    spec: FieldSpec
    keys: tuple[str, ...]
    person: bool
    columns: dict[tuple[str, ...], Column]

    @property
    def name(self) -> str:
        return ".".join(self.keys)


@dataclass(frozen=True)
class _Scope:
    """Where a condition is evaluated: the record, a person (a row), an item of a list of
    groups at a position."""

    kind: Literal["root", "person", "item"]
    groups: _Groups | None = None
    position: int = 0


_ROOT = _Scope("root")
_PERSON = _Scope("person")


@dataclass
class _Plan:
    """The expressions of one clean() shape: stages of columns, then the row's verdict."""

    record_stages: list[pl.Expr] = field(default_factory=list)  # on the stops' first rows
    row_stages: list[pl.Expr] = field(default_factory=list)
    record_bad: list[pl.Expr] = field(default_factory=list)
    row_bad: list[pl.Expr] = field(default_factory=list)
    broadcast: set[str] = field(default_factory=set)  # record columns the rows read


class ColumnarCheck:
    """A dictionary's checks for frames of one header; see the module's docstring."""

    def __init__(
        self,
        dictionary: Dictionary,
        header: Sequence[str],
        domains: Domains,
        versions: Sequence[Dictionary] = (),
    ) -> None:
        self.dictionary = dictionary
        self.layout = FlatLayout(dictionary)
        names = {h.strip() for h in header}
        self.columns = [c for c in self.layout.columns if c.name in names]
        self.domains = domains
        self.versions = sorted(
            versions or (dictionary,),
            key=lambda d: d.era.start or dt.date.min if d.era and d.era.start else dt.date.min,
        )
        self.tables = {n: frozenset(t.values) for n, t in dictionary.tables.items()}
        # Columns by their keys, for condition paths.
        self.scalars: dict[tuple[bool, tuple[str, ...]], Column] = {}
        self.groups: dict[tuple[bool, tuple[str, ...]], _Groups] = {}
        for col in self.layout.columns:
            if col.groups is None:
                self.scalars[(col.person, col.keys)] = col
            else:
                key = (col.person, col.keys)
                if key not in self.groups:
                    self.groups[key] = _Groups(col.groups, col.keys, col.person, {})
                self.groups[key].columns[col.within] = col
        self._present = {c.name for c in self.columns}
        self._plans: dict[tuple[object, ...], _Plan] = {}
        # What makes every stop not clean (nothing, for the stop dictionaries): found by
        # building a plan once.
        probe = _Builder(self, 1, {})
        probe.build()
        self.record_only: list[str] = probe.record_only

    # --- the verdicts -------------------------------------------------------------------------

    def clean(
        self, frame: pl.DataFrame, today: dt.date | None = None, stop: str = STOP
    ) -> pl.Series:
        """One boolean per stop, ascending by ``stop``: True when the record path finds nothing."""
        day = today if today is not None else latest_today()
        missing = [c.name for c in self.columns if c.name not in frame.columns]
        if missing:
            frame = frame.with_columns(pl.lit("").alias(name) for name in missing)
        widths = [
            pl.when(stripped(pl.col(c.name)) == "")
            .then(0)
            .otherwise(pl.col(c.name).str.count_matches(ITEM_SEP, literal=True) + 1)
            for c in self.columns
            if c.groups is not None
        ]
        most = 1
        if widths:
            top = frame.select(pl.max_horizontal(widths).max()).item()
            most = max(1, min(int(top or 0), MAX_POSITIONS))
        domains = {n: self.domains.get(n) for n in self.dictionary.domains}
        key = (most, tuple(id(v) for v in domains.values()))
        plan = self._plans.get(key)
        if plan is None:
            self._plans.clear()  # domains reloaded or another width: the old plans are stale
            builder = _Builder(self, most, domains)
            plan = self._plans[key] = builder.build()
        first = (pl.col(stop) != pl.col(stop).shift(1)).fill_null(True)
        base = frame.lazy().with_columns(
            pl.col(stop).alias(_STOP),
            first.alias(_FIRST),
            pl.lit(day_of(day), dtype=pl.Int64).alias(_TODAY),
        )
        record = [c for c in self.columns if not c.person]
        # The record's checks run once per stop, on its first row.
        records = base.filter(pl.col(_FIRST)).with_columns(
            stripped(pl.col(c.name)).alias(c.name) for c in record
        )
        records = _stages(records, record, plan.record_stages)
        record_bad = pl.any_horizontal([pl.lit(False), *plan.record_bad])
        # A record cell is read from the stop's first row; a later row has it blank or the
        # same. Compared as given: a later cell of spaces only, or the same text with other
        # spaces around it, is referred (valid files repeat the cells or leave them empty).
        later = []
        for c in record:
            given = pl.col(c.name).fill_null("")
            held = pl.when(pl.col(_FIRST)).then(given).forward_fill()
            later.append((given != "") & (given != held))
        # Rows read the record cells their conditions name from the stop's first row.
        broadcast = [
            pl.when(pl.col(_FIRST)).then(stripped(pl.col(name))).forward_fill().alias(name)
            for name in sorted(plan.broadcast)
        ]
        rows = base.with_columns(
            *(stripped(pl.col(c.name)).alias(c.name) for c in self.columns if c.person),
            pl.any_horizontal([pl.lit(False), *later]).alias("__disagree"),
            *broadcast,
        )
        rows = _stages(rows, [c for c in self.columns if c.person], plan.row_stages)
        row_bad = pl.any_horizontal([pl.col("__disagree"), *plan.row_bad])
        if WIDE in frame.columns:
            row_bad = row_bad | pl.col(WIDE).fill_null(False)
        by_record, by_rows = pl.collect_all(
            [
                records.select(pl.col(_STOP), record_bad.alias("bad")).sort(_STOP),
                rows.select(pl.col(_STOP), row_bad.alias("bad"))
                .group_by(_STOP, maintain_order=True)
                .agg(pl.col("bad").any())
                .sort(_STOP),
            ],
            engine=_ENGINE,
        )
        verdicts = by_record.with_columns(bad=pl.col("bad") | by_rows["bad"])
        clean: pl.Series = (~verdicts["bad"]).alias("clean")
        return clean


def _stages(lf: pl.LazyFrame, columns: list[Column], stages: list[pl.Expr]) -> pl.LazyFrame:
    """The items of the lists of groups split, then the stage columns the checks read."""
    split = [
        # The cell is stripped: without the spaces around its separators, its parts are too.
        pl.col(c.name)
        .str.replace_all(f"{WS}*{ITEM_SEP}{WS}*", ITEM_SEP)
        .str.split(ITEM_SEP)
        .alias(f"{c.name}#parts")
        for c in columns
        if c.groups is not None
    ]
    if split:
        lf = lf.with_columns(split)
    return lf.with_columns(stages) if stages else lf


def compile_columnar(
    dictionary: Dictionary,
    header: Sequence[str],
    domains: Domains | None = None,
    versions: Sequence[Dictionary] = (),
) -> ColumnarCheck:
    """The columnar check of ``dictionary`` for files with ``header``.

    ``domains`` is the validator's mapping of domain tables (read again on each ``clean``, as
    the validator reads it on each record); ``versions`` the dictionaries of the family, when
    there are several: a stop whose date picks another version is not clean.
    """
    return ColumnarCheck(dictionary, header, domains if domains is not None else {}, versions)


class _Builder:
    """Walks the dictionary once for one plan: ``most`` positions of the lists of groups, the
    domain tables as they are now."""

    def __init__(
        self, check: ColumnarCheck, most: int, domains: Mapping[str, frozenset[str] | None]
    ) -> None:
        self.c = check
        self.d = check.dictionary
        self.most = most
        self.domains = domains
        self.plan = _Plan()
        self.record_only: list[str] = []
        self.today = pl.col(_TODAY)
        self.mode: Literal["record", "rows"] = "record"
        self.days: dict[tuple[str, tuple[str, ...]], pl.Expr] = {}

    @property
    def bad(self) -> list[pl.Expr]:
        """Where a check being built goes: the stop's first row, or every row."""
        return self.plan.record_bad if self.mode == "record" else self.plan.row_bad

    def build(self) -> _Plan:
        d = self.d
        person_list = self.c.layout.person_list
        self.mode = "record"
        for groups in self.c.groups.values():
            if not groups.person:
                self.positions(groups)
        self.bad.extend(self.fields(tuple(f for f in d.fields if f is not person_list), _ROOT))
        for rule in d.rules:
            if rule.scope is None:
                self.bad.append(self.rule(rule.when, rule.check, _ROOT))
        self.bad.append(self.other_era())
        self.mode = "rows"
        for groups in self.c.groups.values():
            if groups.person:
                self.positions(groups)
        if person_list is not None:
            self.bad.append(self.persons(person_list))
        for rule in d.rules:
            if rule.scope is None:
                continue
            if d.person is not None and rule.scope == d.person.path:
                self.bad.append(self.rule(rule.when, rule.check, _PERSON))
            else:
                self.unsupported("scope: other list", rule.code)
        return self.plan

    def rule(self, when: Condition | None, check: Condition, scope: _Scope) -> pl.Expr:
        test = self.condition(check, scope)
        return ~test if when is None else self.condition(when, scope) & ~test

    def unsupported(self, what: str, where: str) -> None:
        self.record_only.append(f"{what} ({where})")
        self.plan.record_bad.append(pl.lit(True))

    # --- cells --------------------------------------------------------------------------------

    def text(self, col: Column) -> pl.Expr:
        if col.name not in self.c._present:
            return pl.lit("")
        if self.mode == "rows" and not col.person:
            self.plan.broadcast.add(col.name)
        return pl.col(col.name)

    def day(self, text: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
        """The day number of a record cell, computed once for the field and the era."""
        name = text.meta.output_name(raise_if_undetermined=False)
        if self.mode != "record" or name not in self.c._present:
            return day_number(text, formats)
        key = (name, formats)
        if key not in self.days:
            column = f"{name}#day{len(self.days)}"
            self.plan.record_stages.append(day_number(text, formats).alias(column))
            self.days[key] = pl.col(column)
        return self.days[key]

    def positions(self, groups: _Groups) -> None:
        """Each column of a list of groups at each position, stripped; and the item count."""
        out = self.plan.row_stages if groups.person else self.plan.record_stages
        widths = []
        for col in groups.columns.values():
            present = col.name in self.c._present
            for i in range(self.most):
                value = (
                    pl.col(f"{col.name}#parts").list.get(i, null_on_oob=True).fill_null("")
                    if present
                    else pl.lit("")
                )
                out.append(value.alias(_pos(col.name, i)))
            if present:
                widths.append(
                    pl.when(pl.col(col.name) == "")
                    .then(0)
                    .otherwise(pl.col(f"{col.name}#parts").list.len())
                )
        count = pl.max_horizontal(widths) if widths else pl.lit(0)
        out.append(count.cast(pl.Int64).alias(_count(groups.name)))

    # --- fields -------------------------------------------------------------------------------

    def fields(
        self, fields: tuple[FieldSpec, ...], scope: _Scope, keys: tuple[str, ...] = ()
    ) -> list[pl.Expr]:
        """The bad-row expressions of fields read together (a group's, a person's, an item's)."""
        out = []
        for f in fields:
            path = (*keys, f.name)
            if f.type == "group":
                out.append(self.group(f, scope, path))
            elif f.type == "list" and f.item is not None and f.item.type == "group":
                groups = self.c.groups.get((scope.kind == "person", path))
                if groups is None or scope.kind == "item":
                    self.unsupported("groups inside items", ".".join(path))
                    continue
                out.append(self.group_list(groups, scope))
            else:
                out.append(self.scalar_or_list(f, self.value(f, scope, path), scope))
        return out

    def value(self, f: FieldSpec, scope: _Scope, path: tuple[str, ...]) -> pl.Expr:
        if scope.kind == "item":
            assert scope.groups is not None
            col = scope.groups.columns.get(path)
            if col is None:
                return pl.lit("")
            return pl.col(_pos(col.name, scope.position))
        col = self.c.scalars.get((scope.kind == "person", path))
        return self.text(col) if col is not None else pl.lit("")

    def cells_of(self, spec: FieldSpec, scope: _Scope, path: tuple[str, ...]) -> list[pl.Expr]:
        """The texts of every cell under a group (present when one is not blank)."""
        out = []
        for f in spec.fields:
            inner = (*path, f.name)
            if f.type == "group":
                out += self.cells_of(f, scope, inner)
            elif f.type == "list" and f.item is not None and f.item.type == "group":
                groups = self.c.groups.get((scope.kind == "person", inner))
                if groups is not None:
                    out.append(pl.col(_count(groups.name)) > 0)
            else:
                out.append(self.value(f, scope, inner) != "")
        return out

    def group(self, spec: FieldSpec, scope: _Scope, path: tuple[str, ...]) -> pl.Expr:
        present = pl.any_horizontal([pl.lit(False), *self.cells_of(spec, scope, path)])
        inner = self.fields(spec.fields, scope, path)
        forbidden = self.maybe(spec.forbidden, scope)
        children = pl.any_horizontal([pl.lit(False), *inner])
        return pl.when(present).then(forbidden | children).otherwise(self.required(spec, scope))

    def required(self, spec: FieldSpec, scope: _Scope) -> pl.Expr:
        if spec.required is True:
            return pl.lit(True)
        if spec.required is False:
            return pl.lit(False)
        return self.condition(spec.required, scope)

    def maybe(self, cond: Condition | None, scope: _Scope) -> pl.Expr:
        return pl.lit(False) if cond is None else self.condition(cond, scope)

    def scalar_or_list(self, f: FieldSpec, text: pl.Expr, scope: _Scope) -> pl.Expr:
        sep = INNER_SEP if scope.kind == "item" else ITEM_SEP
        if f.type == "list":
            problems = self.list_problems(f, text, sep, scope)
        else:
            ok = self.content(f, text)
            problems = self.maybe(f.forbidden, scope) | ~ok
        return pl.when(text == "").then(self.required(f, scope)).otherwise(problems)

    def content(self, f: FieldSpec, text: pl.Expr) -> pl.Expr:
        domain = self.d.domains.get(f.domain) if f.domain else None
        codes = self.domains.get(f.domain) if f.domain else None
        ok = content_ok(
            f,
            text,
            self.c.tables,
            codes,
            domain is not None and domain.normalize == "upper",
            self.today,
            self.day(text, f.formats) if f.type == "date" and f.formats else None,
        )
        if ok is None:
            self.unsupported("pattern outside the shared subset", f.name or "item")
            return pl.lit(False)
        return ok

    def list_problems(self, f: FieldSpec, text: pl.Expr, sep: str, scope: _Scope) -> pl.Expr:
        """A present list of scalars: forbidden, a blank item, a bad item, counts, repeats."""
        assert f.item is not None
        item = f.item
        if scope.kind == "item" and f.item_name and f.forbidden is not None:
            # The binder writes {item_name: []} for a blank part: present to ``forbidden``.
            self.unsupported("paths through lists", f.name)
        n = text.str.count_matches(sep, literal=True) + 1
        problems = self.maybe(f.forbidden, scope)
        codes = sorted(self.c.tables[item.table]) if item.type == "code" and item.table else None
        if codes and all(c and sep not in c and not any(w in c for w in WHITESPACE) for c in codes):
            return (
                problems
                | ~text.str.contains(_code_list(f, codes, sep))
                | self.repeats(f, text, sep)
            )
        problems = problems | text.str.contains(f"(?:^|{sep}){WS}*(?:{sep}|$)")  # a blank item
        each = self.content(item, stripped(pl.element()))
        problems = problems | ~text.str.split(sep).list.eval(each).list.all()
        if f.min_items is not None:
            problems = problems | (n < f.min_items)
        if f.max_items is not None:
            problems = problems | (n > f.max_items)
        if f.unique:
            items = text.str.split(sep).list.eval(pl.element().str.strip_chars(WHITESPACE))
            problems = problems | ((n > 1) & (items.list.n_unique() != n))
        if f.exclusive is not None:
            alone = f"(?:^|{sep}){WS}*{escape(f.exclusive)}{WS}*(?:{sep}|$)"
            problems = problems | ((n > 1) & text.str.contains(alone))
        return problems

    @staticmethod
    def repeats(f: FieldSpec, text: pl.Expr, sep: str) -> pl.Expr:
        """``unique`` over items that are codes as they stand (``_code_list`` allows no space
        between the items of a unique list)."""
        if not f.unique:
            return pl.lit(False)
        items = text.str.split(sep)
        return items.list.n_unique() != items.list.len()

    def group_list(self, groups: _Groups, scope: _Scope) -> pl.Expr:
        """A list of groups in a row: its items by position."""
        spec = groups.spec
        assert spec.item is not None
        n = pl.col(_count(groups.name))
        problems = self.maybe(spec.forbidden, scope) | (n > self.most)
        if spec.min_items is not None:
            problems = problems | (n < spec.min_items)
        if spec.max_items is not None:
            problems = problems | (n > spec.max_items)
        # Fields of a code table are checked down the column, the rest item by item.
        whole = {f.name: f for f in spec.item.fields if self.down_the_column(f, groups)}
        for name, f in whole.items():
            problems = problems | self.column_checks(f, groups.columns[(name,)], n)
        for i in range(self.most):
            at = _Scope("item", groups, i)
            parts = [pl.col(_pos(col.name, i)) != "" for col in groups.columns.values()]
            blank = ~pl.any_horizontal([pl.lit(False), *parts])
            rest = tuple(f for f in spec.item.fields if f.name not in whole)
            inner = self.fields(rest, at)
            for f in whole.values():
                if not isinstance(f.required, bool):
                    value = pl.col(_pos(groups.columns[(f.name,)].name, i))
                    inner.append((value == "") & self.condition(f.required, at))
            problems = problems | ((n > i) & pl.any_horizontal([blank, *inner]))
        key = groups.columns.get((spec.unique_by,)) if spec.unique_by is not None else None
        if key is not None and key.spec.name in whole and key.spec.required is True:
            # Every item has its key, a code (column_checks): compared as they stand, when no
            # space stands between them (else referred).
            text = pl.col(key.name)
            items = text.str.split(ITEM_SEP)
            repeats = items.list.n_unique() != items.list.len()
            problems = problems | text.str.contains(WS) | repeats
        elif spec.unique_by is not None and key is not None:
            for j in range(1, self.most):
                kj = pl.col(_pos(key.name, j))
                for i in range(j):
                    problems = problems | ((n > j) & (kj != "") & (kj == pl.col(_pos(key.name, i))))
        return pl.when(n == 0).then(self.required(spec, scope)).otherwise(problems)

    def down_the_column(self, f: FieldSpec, groups: _Groups) -> bool:
        return (
            f.type in ("code", "flag")
            and self.codes_of(f) is not None
            and f.forbidden is None
            and (f.name,) in groups.columns
            and groups.columns[(f.name,)].name in self.c._present
        )

    def column_checks(self, f: FieldSpec, col: Column, n: pl.Expr) -> pl.Expr:
        """A code field of a list of groups, down its column: every item blank or a code; when
        it is required, as many items as the list has and none blank."""
        codes = self.codes_of(f)
        assert codes is not None
        code = one_of(codes)
        text = pl.col(col.name)
        if f.required is True:
            count = text.str.count_matches(ITEM_SEP, literal=True) + 1
            full = f"^{code}(?:{WS}*;{WS}*{code})*$"
            return ~text.str.contains(full) | (count != n)
        return ~text.str.contains(f"^(?:{code})?(?:{WS}*;{WS}*(?:{code})?)*$")

    def persons(self, person_list: FieldSpec) -> pl.Expr:
        """The person rows: each one present, its fields, the key unique within the stop."""
        assert person_list.item is not None
        cells = [self.text(c) != "" for c in self.c.columns if c.person and c.groups is None]
        cells += [pl.col(_count(g.name)) > 0 for g in self.c.groups.values() if g.person]
        problems = ~pl.any_horizontal([pl.lit(False), *cells])  # a blank person row
        problems = problems | pl.any_horizontal(
            [pl.lit(False), *self.fields(person_list.item.fields, _PERSON)]
        )
        key = person_list.unique_by
        if key is not None:
            col = self.c.scalars.get((True, (key,)))
            if col is not None and col.name in self.c._present:
                pid = pl.col(col.name)
                problems = problems | ((pid != "") & pl.struct(pl.col(_STOP), pid).is_duplicated())
        if person_list.forbidden is not None:
            problems = problems | self.condition(person_list.forbidden, _ROOT)
        if (person_list.min_items or 0) > 1 or person_list.max_items is not None:
            count = pl.len().over(_STOP)
            if person_list.min_items is not None:
                problems = problems | (count < person_list.min_items)
            if person_list.max_items is not None:
                problems = problems | (count > person_list.max_items)
        return problems

    def other_era(self) -> pl.Expr:
        """The stop's date picks another version of the family (``Family.select``)."""
        versions = self.c.versions
        newest = versions[-1]
        era = newest.era
        if era is None:
            return pl.lit(False)
        if len(versions) < 2:
            # The family was not given: only a stop inside this dictionary's era is judged.
            spec = newest.find(era.field)
            col = self.c.scalars.get((False, (era.field,)))
            if spec is None or col is None or col.name not in self.c._present:
                return pl.lit(True)
            day = self.day(pl.col(col.name), spec.formats)
            inside = day.is_not_null()
            if era.start is not None:
                inside = inside & (day >= day_of(era.start))
            if era.end is not None:
                inside = inside & (day < day_of(era.end))
            return ~inside
        spec = newest.find(era.field)
        col = self.c.scalars.get((False, (era.field,)))
        if spec is None or col is None or col.name not in self.c._present:
            return pl.lit(newest.id != self.d.id)
        day = self.day(pl.col(col.name), spec.formats)
        mine = next((i for i, v in enumerate(versions) if v.id == self.d.id), -1)
        pick: pl.Expr = pl.lit(len(versions) - 1)
        first_start = versions[0].era.start if versions[0].era else None
        if first_start is not None:
            pick = pl.when(day < day_of(first_start)).then(0).otherwise(pick)
        for i, v in reversed(list(enumerate(versions))):
            if v.era is None:
                continue
            inside = pl.lit(True)
            if v.era.start is not None:
                inside = inside & (day >= day_of(v.era.start))
            if v.era.end is not None:
                inside = inside & (day < day_of(v.era.end))
            pick = pl.when(inside).then(i).otherwise(pick)
        pick = pl.when(day.is_null()).then(len(versions) - 1).otherwise(pick)
        return pick != mine

    # --- conditions ---------------------------------------------------------------------------

    def condition(self, cond: Condition, scope: _Scope) -> pl.Expr:
        if isinstance(cond, AllOf):
            return pl.all_horizontal(
                [pl.lit(True), *(self.condition(c, scope) for c in cond.conditions)]
            )
        if isinstance(cond, AnyOf):
            return pl.any_horizontal(
                [pl.lit(False), *(self.condition(c, scope) for c in cond.conditions)]
            )
        if isinstance(cond, Not):
            return ~self.condition(cond.condition, scope)
        if isinstance(cond, Some):
            groups = self.groups_at(cond.ref.parts, _ROOT if cond.ref.from_root else scope)
            if groups is None:
                self.unsupported("paths through lists", str(cond.ref))
                return pl.lit(False)
            one = self.one_field_some(cond.condition, groups)
            if one is not None:
                return one
            n = pl.col(_count(groups.name))
            hits = [
                (n > i) & self.condition(cond.condition, _Scope("item", groups, i))
                for i in range(self.most)
            ]
            return pl.any_horizontal([pl.lit(False), *hits])
        return self.compare(cond, _ROOT if cond.ref.from_root else scope)

    def one_field_some(self, cond: Condition, groups: _Groups) -> pl.Expr | None:
        """``some`` whose condition reads one field of a code table: the values that satisfy
        it are worked out here (the field holds one of its codes, or is blank), and an item
        holding one of them is a regex over the column. None when it reads more (or a blank
        item would satisfy it): then item by item."""
        refs = set(_refs(cond))
        if len(refs) != 1:
            return None
        ref = refs.pop()
        col = groups.columns.get(ref.parts)
        if ref.from_root or col is None or col.spec.type == "list":
            return None
        codes = self.codes_of(col.spec)
        if codes is None or _holds(cond, ""):
            return None
        hits = [c for c in codes if _holds(cond, c)]
        if not hits:
            return pl.lit(False)
        return self.text(col).str.contains(f"(?:^|;){WS}*{one_of(hits)}{WS}*(?:;|$)")

    def groups_at(self, parts: tuple[str, ...], scope: _Scope) -> _Groups | None:
        if scope.kind == "item":
            return None
        for g in self.c.groups.values():
            # The rows do not hold the record's lists of groups item by item: not found.
            if g.person == (scope.kind == "person") and (g.person or self.mode == "record"):
                name = g.spec.item_name
                if parts == ((*g.keys, name) if name else g.keys):
                    return g
        return None

    def compare(self, cond: Compare, scope: _Scope) -> pl.Expr:
        if cond.other is not None:
            self.unsupported("other", str(cond.ref))
            return pl.lit(False)
        if cond.op in ("lt", "le", "gt", "ge"):
            self.unsupported(cond.op, str(cond.ref))
            return pl.lit(False)
        parts = cond.ref.parts
        wanted = sorted({v.upper() for v in cond.values})
        groups = self.groups_at(parts, scope)
        if groups is not None and cond.op in ("present", "absent"):
            given = pl.col(_count(groups.name)) > 0
            return given if cond.op == "present" else ~given
        found = self.field_at(parts, scope)
        if found is None or "" in wanted:
            self.unsupported("paths through lists", str(cond.ref))
            return pl.lit(False)
        spec, text = found
        if spec.type == "list":
            assert spec.item is not None
            sep = INNER_SEP if scope.kind == "item" else ITEM_SEP
            if cond.op in ("present", "absent"):
                given = text.str.contains(f"[^{WS[1:-1]}{sep}]")
                return given if cond.op == "present" else ~given
            if cond.op not in ("has", "has_any"):
                self.unsupported("paths through lists", str(cond.ref))
                return pl.lit(False)
            codes = self.codes_of(spec.item)
            if codes is not None:
                hits = [c for c in codes if c.upper() in wanted]
                if not hits:
                    return pl.lit(False)
                return text.str.contains(f"(?:^|{sep}){WS}*{one_of(hits)}{WS}*(?:{sep}|$)")
            self.bad.append(~is_ascii(text))
            hit = f"(?:^|{sep}){WS}*{one_of(wanted)}{WS}*(?:{sep}|$)"
            return text.str.to_uppercase().str.contains(hit)
        if cond.op in ("present", "absent"):
            return (text != "") if cond.op == "present" else (text == "")
        # eq, in, has, has_any of one scalar: its upper-cased text in the set.
        codes = self.codes_of(spec)
        if codes is not None:
            return text.is_in([c for c in codes if c.upper() in wanted])
        self.bad.append(~is_ascii(text))
        return text.str.to_uppercase().is_in(wanted)

    def codes_of(self, spec: FieldSpec) -> list[str] | None:
        """Every value a field of a code table (or a flag) can hold when it passes its own
        check, which a clean stop's fields do; None for other fields.

        A condition on such a field is decided on these values alone: ``c.upper() in wanted``
        is worked out here, once, instead of case folding in Polars, whose Unicode tables are
        not Python's.
        """
        if spec.type == "flag":
            allowed = spec.values or ("Y", "N")
            return sorted({*allowed, *(a.lower() for a in allowed)})
        if spec.type == "code" and spec.table:
            return sorted(self.c.tables[spec.table])
        return None

    def field_at(self, parts: tuple[str, ...], scope: _Scope) -> tuple[FieldSpec, pl.Expr] | None:
        """The scalar field or list of scalars at a path from the scope, and its text."""
        if scope.kind == "item":
            assert scope.groups is not None
            col = scope.groups.columns.get(parts)
            if col is None:
                return None
            return col.spec, pl.col(_pos(col.name, scope.position))
        person = scope.kind == "person"
        for (p, keys), col in self.c.scalars.items():
            if p != person:
                continue
            name = col.spec.item_name if col.spec.type == "list" else None
            if parts == ((*keys, name) if name else keys):
                return col.spec, self.text(col)
        return None


def _refs(cond: Condition) -> list[Ref]:
    """The fields a condition reads (``some`` is read as a field of its own)."""
    if isinstance(cond, AllOf | AnyOf):
        return [r for c in cond.conditions for r in _refs(c)]
    if isinstance(cond, Not):
        return _refs(cond.condition)
    if isinstance(cond, Some) or cond.other is not None or cond.op in ("lt", "le", "gt", "ge"):
        return [Ref(("\x00",))]  # never one scalar field: the caller goes item by item
    return [cond.ref]


def _holds(cond: Condition, value: str) -> bool:
    """A condition over one scalar field, for one stripped value of it (``_conditions.compare``
    for a scalar: blank is absent, eq/in/has/has_any compare the upper-cased text)."""
    if isinstance(cond, AllOf):
        return all(_holds(c, value) for c in cond.conditions)
    if isinstance(cond, AnyOf):
        return any(_holds(c, value) for c in cond.conditions)
    if isinstance(cond, Not):
        return not _holds(cond.condition, value)
    assert isinstance(cond, Compare)
    if cond.op == "present":
        return value != ""
    if cond.op == "absent":
        return value == ""
    return value != "" and value.upper() in {v.upper() for v in cond.values}


def _code_list(f: FieldSpec, codes: list[str], sep: str) -> str:
    """The regex of a valid list of codes as one text: every item a code, as many items as the
    list allows, its exclusive code only alone. Spaces around the separators are allowed except
    in a unique list, whose items are then compared as they stand (a unique list with spaces
    between its items is referred)."""
    between = sep if f.unique else f"{WS}*{sep}{WS}*"
    low = max((f.min_items or 1) - 1, 0)
    more = f"{{{low},{f.max_items - 1}}}" if f.max_items is not None else f"{{{low},}}"
    if f.exclusive is None or f.exclusive not in codes:
        return f"^{one_of(codes)}(?:{between}{one_of(codes)}){more}$"
    others = [c for c in codes if c != f.exclusive]
    branches = [escape(f.exclusive)] if (f.min_items or 1) <= 1 else []
    if others:
        code = one_of(others)
        branches.append(f"{code}(?:{between}{code}){more}")
    return "^(?:" + "|".join(branches) + ")$" if branches else "^\\b\\B$"
