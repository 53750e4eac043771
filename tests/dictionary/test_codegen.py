"""The generated validator reports exactly what the closure validator it replaced reported.

``closure_compiler.py`` is the validator as it was before code generation; every issue (code,
severity, path, person, message) and their order must stay the same, on the golden records and
on random mutations of them: fields deleted, replaced by odd values, persons added or removed.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdx.dictionary import Dictionary, Validator, compile_validator, parse_dictionary
from jdx.dictionary.compiler import source_of
from jdx.hub import Hub
from tests.conftest import golden
from tests.dictionary import closure_compiler
from tests.dictionary.test_compiler import SPEC, record

ERAS = ["2018", "2024"]

Pair = tuple[Validator, Validator]


@pytest.fixture(scope="module")
def pairs(hub: Hub) -> dict[str, Pair]:
    """Per era: (generated, closure) validators on the same domain tables."""
    domains = hub.validation.domains
    out = {}
    for era in ERAS:
        dictionary = hub.validation.dictionaries[f"stop-{era}"]
        out[era] = (
            compile_validator(dictionary, domains),
            closure_compiler.compile_validator(dictionary, domains),
        )
    return out


def same(pair: Pair, value: Any) -> None:
    new, old = pair
    assert [i.as_dict() for i in new(value).issues] == [i.as_dict() for i in old(value).issues]


@pytest.mark.parametrize("era", ERAS)
def test_same_issues_on_golden_records(pairs: dict[str, Pair], era: str) -> None:
    for kind in ("valid", "invalid"):
        for _, rec in golden(era, kind):
            rec.pop("_expect", None)
            same(pairs[era], rec)


def test_same_issues_on_the_demo_dictionary() -> None:
    demo = parse_dictionary(SPEC)
    domains = {"city": frozenset({"SAN DIEGO"})}
    pair = (compile_validator(demo, domains), closure_compiler.compile_validator(demo, domains))
    people = [{"PID": "1"}, {"PID": 2, "Age": 7.5}, "x", {}, [], {"Colours": {"Colour": [[]]}}]
    for value in [record(), record(Minutes=10.0), record(People={"Person": people}), [], "x"]:
        same(pair, value)


odd_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2000),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    # Values that pass or nearly pass checks, so that the checks after the first one run too.
    st.sampled_from(
        [
            *("", " ", "Y", "n", "1", " 2 ", "8", "14", "na", "NA", "99", "1e3", "03/15/2024"),
            *("2024-03-15", "02/30/2024", "14:32:00", "24:00", "32.716", "-117.161", "CA0370000"),
        ]
    ),
)
odd_values = st.recursive(
    odd_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def reshaped(value: Any) -> st.SearchStrategy[Any]:
    """The same value in another form a client might send: a list of one, padded, a number."""
    forms: list[Any] = [[value], [[value]], {"x": value}]
    if isinstance(value, str):
        forms += [f" {value} ", value.lower(), [value, value]]
        if value.isdigit():
            forms += [int(value), float(value)]
    return st.sampled_from(forms)


@st.composite
def mutated_records(draw: st.DrawFn, bases: list[dict[str, Any]]) -> dict[str, Any]:
    """A golden record with a few fields deleted or replaced, and its persons shuffled."""
    rec = copy.deepcopy(draw(st.sampled_from(bases)))
    persons = rec.get("ListPerson_Stopped", {}).get("Person_Stopped")
    if isinstance(persons, list) and persons and draw(st.booleans()):
        change = draw(st.sampled_from(["drop", "duplicate", "add_odd", "single", "renumber"]))
        if change == "drop":
            persons.pop(draw(st.integers(0, len(persons) - 1)))
        elif change == "duplicate":
            persons.append(copy.deepcopy(persons[0]))
        elif change == "add_odd":
            persons.insert(draw(st.integers(0, len(persons))), draw(odd_values))
        elif change == "single":
            rec["ListPerson_Stopped"]["Person_Stopped"] = persons[0]
        else:
            for person in persons:
                if isinstance(person, dict):
                    person["PID"] = draw(odd_scalars)
    paths = _paths(rec)
    for path in draw(st.lists(st.sampled_from(paths), max_size=5)):
        target: Any = rec
        try:
            for step in path[:-1]:
                target = target[step]
            how = draw(st.sampled_from(["delete", "replace", "reshape"]))
            if how == "delete" and isinstance(target, dict):
                target.pop(path[-1], None)
            elif how == "reshape":
                target[path[-1]] = draw(reshaped(target[path[-1]]))
            else:
                target[path[-1]] = draw(odd_values)
        except (KeyError, IndexError, TypeError):
            continue
    return rec


def _put(rec: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    rec = copy.deepcopy(rec)
    target: Any = rec
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return rec


_DELETE = object()
_ODD = [None, "", " ", True, 0, 1.5, [], {}, ["1"], {"x": "1"}, "na", "zz"]


@pytest.mark.parametrize("era", ERAS)
def test_same_issues_on_every_single_change(pairs: dict[str, Pair], era: str) -> None:
    """Each field of each golden record, deleted or replaced by each odd or reshaped value."""
    for _, base in golden(era):
        for path in _paths(base):
            old = copy.deepcopy(base)
            for step in path:
                old = old[step]
            forms = [[old], [[old]], {"x": old}]
            if isinstance(old, str):
                forms += [f" {old} ", old.lower(), [old, old]]
            for value in [_DELETE, *_ODD, *forms]:
                if value is _DELETE and isinstance(path[-1], int):
                    continue
                same(pairs[era], _put(base, path, value))


@pytest.mark.parametrize("era", ERAS)
def test_same_issues_on_mutated_records(pairs: dict[str, Pair], era: str) -> None:
    bases = [rec for _, rec in golden(era)]

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(rec=mutated_records(bases))
    def check(rec: dict[str, Any]) -> None:
        same(pairs[era], rec)

    check()


def test_a_reloaded_domain_table_is_seen_without_recompiling() -> None:
    demo = parse_dictionary(SPEC)
    domains: dict[str, frozenset[str]] = {}
    validate = compile_validator(demo, domains)
    assert validate(record(City="Atlantis")).issues == []
    domains["city"] = frozenset({"SAN DIEGO"})
    assert [i.code for i in validate(record(City="Atlantis")).issues] == ["D05"]
    domains["city"] = frozenset({"ATLANTIS"})
    assert validate(record(City="atlantis")).issues == []


def test_the_generated_source_is_readable_python(hub: Hub) -> None:
    dictionary: Dictionary = hub.validation.dictionaries["stop-2024"]
    source = source_of(dictionary)
    compile(source, "<test>", "exec")
    assert "def validate(record):" in source
    assert "def item_1_" in source  # the persons' function
    assert "'DV044'" in source  # codes appear as written in the dictionary


def test_a_traceback_shows_the_generated_line() -> None:
    import linecache

    spec = yaml.safe_load(yaml.safe_dump(SPEC))
    validate = compile_validator(parse_dictionary(spec))
    code = validate.__code__
    line = linecache.getline(code.co_filename, code.co_firstlineno)
    assert line.startswith("def validate(record):")
