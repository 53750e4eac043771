"""The data dictionary model: what a record type is, independent of how it is checked or published.

The YAML files under ``dictionary/data/`` are read into these classes by ``loader.py``; the
compiler turns them into validators and ``icd/`` into the Interface Control Document.
The format is described in ``docs/dev/dictionary-format.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal["string", "code", "flag", "integer", "decimal", "date", "time", "group", "list"]
SCALAR_TYPES: frozenset[str] = frozenset(
    {"string", "code", "flag", "integer", "decimal", "date", "time"}
)
Severity = Literal["fatal", "error", "warning"]
UnknownPolicy = Literal["error", "warn", "ignore"]


# --- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """A field reference: a dotted path, from the record root or from the current scope."""

    parts: tuple[str, ...]
    from_root: bool = False

    def __str__(self) -> str:
        return ("/" if self.from_root else "") + ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class Compare:
    """``eq``, ``in``, ``present``, ``has``, ``has_any``, ``lt``/``le``/``gt``/``ge`` on one field.

    The ordering operators compare with a constant (``values[0]``) or, when ``other`` is set,
    with the value of another field (date of birth before date of last contact, from <= to).
    """

    ref: Ref
    op: Literal["eq", "in", "present", "absent", "has", "has_any", "lt", "le", "gt", "ge"]
    values: tuple[str, ...] = ()
    other: Ref | None = None


@dataclass(frozen=True, slots=True)
class Some:
    """True when some item of a list of groups satisfies ``condition`` (paths relative to it)."""

    ref: Ref
    condition: Condition


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    condition: Condition


Condition = Compare | Some | AllOf | AnyOf | Not


# --- tables -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeTable:
    name: str
    label: str
    values: dict[str, str]


@dataclass(frozen=True)
class DomainTable:
    """A code table too large or too changeable to write inline: loaded from CSV at run time."""

    name: str
    label: str
    csv_key: str
    normalize: Literal["upper", "none"] = "none"


# --- fields and rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    name: str  # "" for a list item
    type: FieldType
    label: str
    code: str
    core: bool = False
    required: bool | Condition = False
    forbidden: Condition | None = None
    description: str = ""
    regulation: str = ""
    example: object = None
    # scalars
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: str | None = None
    min: float | None = None
    max: float | None = None
    table: str | None = None
    domain: str | None = None
    formats: tuple[str, ...] = ()
    not_future: bool = False
    not_before: dt.date | None = None
    values: tuple[str, ...] = ()  # flags: the allowed subset of Y/N
    # groups
    fields: tuple[FieldSpec, ...] = ()
    # lists
    item: FieldSpec | None = None
    item_name: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique: bool = False
    unique_by: str | None = None  # lists of groups: this child field may not repeat
    exclusive: str | None = None

    @property
    def severity(self) -> Severity:
        return "fatal" if self.core else "error"

    def child(self, name: str) -> FieldSpec | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True)
class Rule:
    code: str
    message: str
    check: Condition
    field: str
    when: Condition | None = None
    scope: str | None = None
    severity: Severity = "error"


@dataclass(frozen=True)
class Era:
    field: str
    start: dt.date | None
    end: dt.date | None  # exclusive

    def contains(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day < self.end)


@dataclass(frozen=True)
class PersonSpec:
    path: str
    number_field: str | None


@dataclass(frozen=True)
class Dictionary:
    id: str
    family: str
    version: str
    title: str
    description: str
    xml_root: str
    fields: tuple[FieldSpec, ...]
    rules: tuple[Rule, ...] = ()
    tables: dict[str, CodeTable] = field(default_factory=dict)
    domains: dict[str, DomainTable] = field(default_factory=dict)
    era: Era | None = None
    person: PersonSpec | None = None
    unknown_fields: UnknownPolicy = "warn"
    unknown_code: str = "DV000"

    @property
    def root(self) -> FieldSpec:
        """The record as one group, so that walkers need no special case for the top level."""
        return FieldSpec(
            name="", type="group", label=self.title, code=self.unknown_code, fields=self.fields
        )

    def find(self, path: str) -> FieldSpec | None:
        """The field at a dotted path; a list's item name steps into its item."""
        spec: FieldSpec | None = self.root
        for part in path.split("."):
            if spec is not None and spec.type == "list":
                item = spec.item
                if spec.item_name == part:
                    spec = item
                    continue
                if spec.item_name is not None or item is None or item.type != "group":
                    return None
                spec = item
            if spec is None or spec.type != "group":
                return None
            spec = spec.child(part)
        return spec

    def reported(self, path: str) -> FieldSpec | None:
        """The field an issue's path (``A.ListB.B[2].C``) reports on.

        Positions are dropped, except that a list's element without a position
        (``Perc.ListEthn.Ethn``) is the whole list: such an issue is about the list (required,
        forbidden, too many items, a cross-field rule), where ``Perc.ListEthn.Ethn[2]`` is about
        one item.
        """
        bare = re.sub(r"\[\d+\]", "", path)
        if not path.endswith("]"):
            head, _, last = bare.rpartition(".")
            owner = self.find(head) if head else None
            if owner is not None and owner.type == "list" and owner.item_name == last:
                return owner
        return self.find(bare)

    def walk(self) -> Iterator[tuple[str, FieldSpec]]:
        """Every field with its dotted path (list items under the list's path), depth first."""
        yield from _walk(self.fields, "")


def _walk(fields: tuple[FieldSpec, ...], prefix: str) -> Iterator[tuple[str, FieldSpec]]:
    for f in fields:
        path = f"{prefix}{f.name}"
        yield path, f
        if f.type == "group":
            yield from _walk(f.fields, path + ".")
        elif f.type == "list" and f.item is not None and f.item.type == "group":
            inner = f"{path}.{f.item_name}." if f.item_name else path + "."
            yield from _walk(f.item.fields, inner)
