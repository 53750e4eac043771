"""The flat form of a record: the rows of the XLSX and pipe-delimited bulk files.

One row per person (per item of the dictionary's person list; one row per record when the
dictionary has none). The columns come from the dictionary:

- a scalar is one column named by its dotted path from the record, or from the person for
  person fields (``Officer.UID``, ``Perc.Age``); list wrappers are left out of the name;
- a list of scalars is one column, its values joined with ``;`` (``Perc.ListEthn`` = ``1;3``);
- a list of groups (``ListResult`` of ``ResCD`` + ``Res_O_CD``) gives one column per field of the
  group, the items joined with ``;`` and aligned by position (``ResCD`` = ``3;14``,
  ``Res_O_CD`` = ``;54106,54107``); a list inside such an item joins its values with ``,``.

The rows of one record follow each other and share its record id (the dictionary's first field,
``LEARecordID`` for stops); record-level columns may be repeated on every row or left blank after
the first, but may not disagree. A row that cannot be bound to the record structure is a
:class:`ConversionError`, which names the row and column and does not stop the rest of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jdx.dictionary.model import Dictionary, FieldSpec

ITEM_SEP = ";"
INNER_SEP = ","
# A spreadsheet program runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ConversionError(ValueError):
    """Rows that cannot be bound to the record structure ("Conversion Error", Table 9)."""

    def __init__(self, message: str, rows: tuple[int, ...], record_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.rows = rows
        self.record_id = record_id

    def __reduce__(self) -> tuple[Any, ...]:
        # handed back by a worker process: pickled with all it says, not only the message
        return ConversionError, (self.message, self.rows, self.record_id)


def neutralize_cell(text: str) -> str:
    """Text that a spreadsheet shows as text, never runs as a formula (OWASP CSV injection).

    Numbers keep their sign ("-117.161" is a longitude, not a formula).
    """
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Column:
    name: str
    keys: tuple[str, ...]  # JSON keys from the record (or the person) to the field
    spec: FieldSpec
    person: bool  # a person column (one value per row) or a record column
    within: tuple[str, ...] = ()  # for a list of groups: the keys from the item to the field
    groups: FieldSpec | None = None  # that list of groups


@dataclass(slots=True)
class RowGroup:
    """The rows (number, cells) of one record as read, before binding, and its record id."""

    rows: list[tuple[int, list[str]]]
    record_id: str

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(n for n, _ in self.rows)

    def bind(
        self, bind: Callable[[list[tuple[int, list[str]]]], dict[str, Any]]
    ) -> RecordRows | ConversionError:
        numbers = self.numbers
        try:
            return RecordRows(numbers, bind(self.rows))
        except ConversionError as exc:
            exc.rows, exc.record_id = numbers, self.record_id
            return exc


@dataclass(frozen=True)
class RecordRows:
    """The rows (1-based numbers in the file) that made one record, and the record."""

    rows: tuple[int, ...]
    record: dict[str, Any]


class FlatLayout:
    """The columns of a dictionary's flat form, and the conversions both ways."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        # The person list is a top-level list of groups; the dictionary names its items.
        self.person_list: FieldSpec | None = None
        if dictionary.person is not None:
            top = dictionary.person.path.split(".")[0]
            self.person_list = next(f for f in dictionary.fields if f.name == top)
        self.person_keys: tuple[str, ...] = (
            (self.person_list.name,) if self.person_list is not None else ()
        )
        self.columns: list[Column] = []
        for spec in dictionary.fields:
            if self.person_list is not None and spec is self.person_list:
                assert spec.item is not None
                self._add(spec.item.fields, (), person=True)
            else:
                self._add((spec,), (), person=False)
        self.names = [c.name for c in self.columns]
        self.id_column = self.columns[0]

    def _add(self, fields: tuple[FieldSpec, ...], prefix: tuple[str, ...], *, person: bool) -> None:
        for f in fields:
            keys = (*prefix, f.name)
            if f.type == "group":
                self._add(f.fields, keys, person=person)
            elif f.type == "list" and f.item is not None and f.item.type == "group":
                for path, inner in _leaves(f.item.fields, ()):
                    self.columns.append(
                        Column(".".join((*keys, *path)), keys, inner, person, within=path, groups=f)
                    )
            else:
                self.columns.append(Column(".".join(keys), keys, f, person))

    # --- record -> rows -------------------------------------------------------------------------

    def to_rows(self, record: dict[str, Any]) -> list[list[str]]:
        persons: list[Any] = [None]
        if self.person_list is not None:
            persons = _list_items(self.person_list, _get(record, self.person_keys))
        rows: list[list[str]] = []
        for person in persons or [None]:
            row = []
            for col in self.columns:
                source = person if col.person else record
                value = _get(source, col.keys) if isinstance(source, dict) else None
                row.append(self._cell(col, value))
            rows.append(row)
        return rows

    def _cell(self, col: Column, value: Any) -> str:
        if col.groups is not None:
            items = _list_items(col.groups, value)
            return ITEM_SEP.join(
                _join(col.spec, _get(i, col.within), INNER_SEP) if isinstance(i, dict) else ""
                for i in items
            )
        return _join(col.spec, value, ITEM_SEP)

    # --- rows -> records ------------------------------------------------------------------------

    def check_header(self, header: list[str]) -> list[str]:
        """Problems with a header row: unknown or missing columns (order does not matter)."""
        got = [h.strip() for h in header]
        problems = [f"unknown column {h!r}" for h in got if h and h not in self.names]
        seen: set[str] = set()
        for h in got:
            if h and h in seen:
                problems.append(f"column {h!r} appears twice")
            seen.add(h)
        missing = [n for n in self.names if n not in seen]
        if self.id_column.name in missing:
            problems.append(f"the column {self.id_column.name!r} is missing")
        return problems

    def records(
        self, header: list[str], rows: Iterable[tuple[int, list[str]]]
    ) -> Iterator[RecordRows | ConversionError]:
        """Records from (row number, cells) in file order; a bad record becomes a ConversionError."""
        bind = self.binder(header)
        for group in self.groups(header, rows):
            yield group if isinstance(group, ConversionError) else group.bind(bind)

    def binder(self, header: list[str]) -> Callable[[list[tuple[int, list[str]]]], dict[str, Any]]:
        """The generated function that binds a record's rows, for files with this header."""
        from jdx.codecs._flatgen import compile_binder

        return compile_binder(self, header)

    def groups(
        self, header: list[str], rows: Iterable[tuple[int, list[str]]]
    ) -> Iterator[RowGroup | ConversionError]:
        """The rows of each record, in file order, not yet bound (:meth:`records` binds them;
        a batch file's worker process binds them elsewhere). A row wider than the header is a
        ConversionError of its own."""
        width = len(header)
        names = [h.strip() for h in header]
        at = names.index(self.id_column.name) if self.id_column.name in names else -1
        pad = [""] * width
        pending: list[tuple[int, list[str]]] = []
        pending_id = ""
        for number, cells in rows:
            if not "".join(cells).strip():
                continue  # blank rows separate nothing
            n = len(cells)
            if n > width and any(c.strip() for c in cells[width:]):
                if pending:
                    yield RowGroup(pending, pending_id)
                    pending = []
                yield ConversionError(f"row {number} has {n} cells, the header {width}", (number,))
                continue
            if n < width:
                cells = cells + pad[n:]  # a short row reads as blank cells; the source keeps it
            record_id = cells[at].strip() if at >= 0 else ""
            if pending and record_id and record_id != pending_id:
                yield RowGroup(pending, pending_id)
                pending = []
            if not pending:
                pending_id = record_id
            pending.append((number, cells))
        if pending:
            yield RowGroup(pending, pending_id)

    def _put(self, target: dict[str, Any], col: Column, text: str, row: int) -> None:
        if not text:
            return
        if col.groups is None:
            _set(target, col.keys, _split(col.spec, text, ITEM_SEP))
            return
        parts = text.split(ITEM_SEP)
        groups = col.groups
        holder = _get(target, col.keys)
        if holder is None:
            holder = {groups.item_name: []} if groups.item_name else []
            _set(target, col.keys, holder)
        items: list[dict[str, Any]] = holder[groups.item_name] if groups.item_name else holder
        if groups.max_items is not None and len(parts) > max(groups.max_items, 1) * 4:
            raise ConversionError(
                f"row {row}, column {col.name}: {len(parts)} items is far more than the "
                f"{groups.max_items} allowed",
                (row,),
            )
        while len(items) < len(parts):
            items.append({})
        for item, part in zip(items, parts, strict=False):
            value = _split(col.spec, part.strip(), INNER_SEP)
            if value not in ("", None):
                _set(item, col.within, value)


def _leaves(
    fields: tuple[FieldSpec, ...], prefix: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], FieldSpec]]:
    for f in fields:
        if f.type == "group":
            yield from _leaves(f.fields, (*prefix, f.name))
        else:
            yield (*prefix, f.name), f


def _list_items(spec: FieldSpec, value: Any) -> list[Any]:
    if spec.item_name:
        value = value.get(spec.item_name) if isinstance(value, dict) else None
    return [] if value is None or value == "" else _as_list(value)


def _join(spec: FieldSpec, value: Any, sep: str) -> str:
    if spec.type == "list":
        return sep.join(_text(v) for v in _list_items(spec, value))
    return _text(value)


def _split(spec: FieldSpec, text: str, sep: str) -> Any:
    if spec.type != "list":
        return text
    values = [v.strip() for v in text.split(sep)] if text else []
    return {spec.item_name: values} if spec.item_name else values


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return ""  # not a scalar: nothing a cell can hold
    return str(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _get(obj: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _set(obj: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    for key in keys[:-1]:
        nxt = obj.get(key)
        if not isinstance(nxt, dict):
            nxt = {}
            obj[key] = nxt
        obj = nxt
    obj[keys[-1]] = value
