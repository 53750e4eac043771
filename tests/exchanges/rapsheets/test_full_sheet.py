"""full_sheet() leaves no field of the model empty, and is a valid 2.00 document."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from jdx.exchanges.rapsheets.model import RapSheet
from jdx.exchanges.rapsheets.transmission import read_rap_sheet, write_rap_sheet
from tests.exchanges.rapsheets.full_sheet import full_sheet


def _classes(cls: type, seen: set[type]) -> set[type]:
    """Every model class reachable from ``cls`` through its fields."""
    seen.add(cls)
    for hint in typing.get_type_hints(cls).values():
        for arg in (hint, *typing.get_args(hint)):
            if dataclasses.is_dataclass(arg) and isinstance(arg, type) and arg not in seen:
                _classes(arg, seen)
    return seen


def _filled(value: Any, out: set[tuple[str, str]]) -> None:
    """Record (class, field) for every field holding something (not None, "" or ())."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if item not in (None, "", ()):
                out.add((type(value).__name__, f.name))
            _filled(item, out)
    elif isinstance(value, tuple):
        for item in value:
            _filled(item, out)


def test_every_field_of_every_class_is_populated() -> None:
    wanted = {
        (cls.__name__, f.name) for cls in _classes(RapSheet, set()) for f in dataclasses.fields(cls)
    }
    filled: set[tuple[str, str]] = set()
    _filled(full_sheet(), filled)
    assert wanted - filled == set()


def test_it_is_valid_and_round_trips_exactly() -> None:
    sheet = full_sheet()
    assert read_rap_sheet(write_rap_sheet(sheet)) == sheet
