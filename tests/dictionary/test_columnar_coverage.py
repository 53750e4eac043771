"""Every part of the dictionary language has a columnar form or is marked record-only.

A rule added to a dictionary in a form the columnar checker does not know must fail here (or be
marked record-only in ``columnar_coverage.py``, with the reason), never be skipped silently.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from jdx.codecs.flat import FlatLayout
from jdx.dictionary.columnar import compile_columnar
from jdx.dictionary.columnar_coverage import (
    CONDITION_FORMS,
    FIELD_FORMS,
    RECORD_ONLY,
    RULE_FORMS,
)
from jdx.dictionary.loader import load_dictionary, parse_dictionary
from jdx.dictionary.model import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Dictionary,
    FieldSpec,
    Not,
    Some,
)
from tests.dictionary.columnar_oracle import frame_of

DATA = Path(__file__).parents[2] / "src/jdx/dictionary/data"
DICTIONARIES = sorted(p.stem for p in DATA.glob("*.yaml"))
KNOWN = {**FIELD_FORMS, **CONDITION_FORMS, **RULE_FORMS, **RECORD_ONLY}


def _conditions(d: Dictionary) -> Iterator[tuple[str, Condition]]:
    for path, f in d.walk():
        for c in (f.required, f.forbidden):
            if c is not None and not isinstance(c, bool):
                yield path, c
    for r in d.rules:
        for c in (r.when, r.check):
            if c is not None:
                yield r.code, c


def _kinds(cond: Condition) -> Iterator[str]:
    """The operators of a condition, as the coverage tables name them."""
    if isinstance(cond, AllOf | AnyOf):
        yield "all" if isinstance(cond, AllOf) else "any"
        for c in cond.conditions:
            yield from _kinds(c)
    elif isinstance(cond, Not):
        yield "not"
        yield from _kinds(cond.condition)
    elif isinstance(cond, Some):
        yield "some"
        yield from _kinds(cond.condition)
    else:
        yield "other" if cond.other is not None else cond.op


def test_every_attribute_and_operator_of_the_model_is_accounted_for() -> None:
    attributes = {f.name for f in dataclasses.fields(FieldSpec)}
    assert attributes - KNOWN.keys() == set()
    ops = set(typing.get_args(typing.get_type_hints(Compare)["op"]))
    assert ops - KNOWN.keys() == set()
    assert {"some", "all", "any", "not", "other"} <= KNOWN.keys()


@pytest.mark.parametrize("name", DICTIONARIES)
def test_every_rule_a_dictionary_uses_is_accounted_for(name: str) -> None:
    d = load_dictionary(DATA / f"{name}.yaml")
    used = set()
    for _path, f in d.walk():
        used |= {a for a in FIELD_FORMS if getattr(f, a) not in (None, False, (), "")}
    for _where, cond in _conditions(d):
        used |= set(_kinds(cond))
    person = d.person.path if d.person else None
    for rule in d.rules:
        used.add(
            "record"
            if rule.scope is None
            else "person"
            if rule.scope == person
            else "scope: other list"
        )
    assert used - KNOWN.keys() == set()


@pytest.mark.parametrize("name", ["stop-2018", "stop-2024"])
def test_the_stop_dictionaries_have_no_record_only_part(name: str) -> None:
    d = load_dictionary(DATA / f"{name}.yaml")
    check = compile_columnar(d, FlatLayout(d).names)
    assert check.record_only == []


RULE_WITHOUT_COLUMNAR_FORM = """
id: tiny
family: tiny
version: "1"
title: Tiny
description: A record with an ordering rule between two fields.
xml_root: Tiny
fields:
- {name: RecordID, label: Record ID, type: string, code: T001, required: true}
- {name: Low, label: Low, type: integer, code: T002}
- {name: High, label: High, type: integer, code: T003}
rules:
- code: T100
  field: Low
  message: Low must not be above High.
  check: {field: Low, le: {field: High}}
"""


def test_a_rule_without_a_columnar_form_makes_every_stop_not_clean() -> None:
    d = parse_dictionary(yaml.safe_load(RULE_WITHOUT_COLUMNAR_FORM))
    header = FlatLayout(d).names
    check = compile_columnar(d, header)
    assert check.record_only and "other" in check.record_only[0]
    frame = frame_of(header, [[["1", "1", "2"]], [["2", "3", "4"]]])
    assert check.clean(frame).to_list() == [False, False]


def test_case_dictionaries_mark_what_they_use_without_a_columnar_form() -> None:
    d = load_dictionary(DATA / "case-missing.yaml")
    header = FlatLayout(d).names
    check = compile_columnar(d, header)
    assert any(r.startswith("other") for r in check.record_only), check.record_only
    assert any(r.startswith("scope: other list") for r in check.record_only), check.record_only
    assert check.clean(frame_of(header, [[["MP1"] + [""] * (len(header) - 1)]])).to_list() == [
        False
    ]
