"""Errors about lists name the list's element, what a client fixes, never its wrapper (issue 14).

The DOJ shape wraps lists (``Perc.ListEthn.Ethn[]``). An error about one item names the element
with the item's position, counted from 1 as sent, blank items included
(``Perc.ListEthn.Ethn[2]``), in the JSON, XML and flat forms alike; an error about the list as a
whole names the element without a position (``Perc.ListEthn.Ethn``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest

from jdx.codecs.flat import FlatLayout, RecordRows
from jdx.codecs.xmlform import record_from_xml, record_to_xml
from jdx.dictionary import Dictionary, FieldSpec, load_dictionary
from jdx.hub import Hub
from jdx.validation import DICTIONARY_DIR
from tests.conftest import golden

ERAS = ["2018", "2024"]
BAD = "ZZ"  # in no code table or domain table of the stop dictionaries


def wrapper_named(d: Dictionary, path: str) -> str | None:
    """The wrapper a path ends at (a list that has an element under it), else None."""
    spec = d.find(re.sub(r"\[\d+\]", "", path)) if path else None
    if spec is not None and spec.type == "list" and spec.item_name:
        return spec.name
    return None


@pytest.mark.parametrize("era", ERAS)
def test_no_golden_error_names_a_list_wrapper(hub: Hub, era: str) -> None:
    dictionaries = hub.validation.dictionaries
    wrappers = []
    for kind in ("valid", "invalid"):
        for name, record in golden(era, kind):
            expect = record.pop("_expect", None)
            outcome = hub.validation.validate("stop", record)
            # The dictionary the hub judged the record by (a record with an unreadable date
            # may be judged by the other era's).
            d = dictionaries[outcome.dictionary_id]
            paths = [(d, i.field) for i in outcome.issues]
            if expect is not None:
                paths.append((dictionaries[f"stop-{era}"], expect["field"]))
            wrappers += [f"{name}: {p}" for d, p in paths if wrapper_named(d, p)]
    assert wrappers == []


# --- a bad code planted in item k of every list -------------------------------------------------

Steps = tuple[str | int, ...]  # JSON keys and 0-based list positions from the record


def lists(
    fields: tuple[FieldSpec, ...], path: str = "", steps: Steps = ()
) -> Iterator[tuple[FieldSpec, str, Steps]]:
    """(list, its element's issue path, steps to its items) for every list, those inside list
    items taken in their first item."""
    for f in fields:
        here, at = f"{path}{f.name}", (*steps, f.name)
        if f.type == "group":
            yield from lists(f.fields, here + ".", at)
        elif f.type == "list" and f.item is not None:
            element = f"{here}.{f.item_name}" if f.item_name else here
            items_at = (*at, f.item_name) if f.item_name else at
            yield f, element, items_at
            if f.item.type == "group":
                yield from lists(f.item.fields, element + "[1].", (*items_at, 0))


def first_code(fields: tuple[FieldSpec, ...], path: str = "") -> tuple[str, FieldSpec] | None:
    """The first code field of a group (through groups, not lists): where item k gets BAD."""
    for f in fields:
        if f.type == "code":
            return path + f.name, f
        if f.type == "group" and (found := first_code(f.fields, f"{path}{f.name}.")):
            return found
    return None


def dig(record: Any, steps: Steps) -> Any:
    for step in steps:
        if isinstance(step, int):
            record = record[step] if isinstance(record, list) and len(record) > step else None
        else:
            record = record.get(step) if isinstance(record, dict) else None
    return record


def put(record: dict[str, Any], steps: Steps, value: Any) -> None:
    parent = dig(record, steps[:-1])
    parent[steps[-1]] = value


def list_cases() -> list[Any]:
    return [
        pytest.param(era, element, id=f"{era}-{element}")
        for era in ERAS
        for _, element, _ in lists(load_dictionary(DICTIONARY_DIR / f"stop-{era}.yaml").fields)
    ]


def forms(d: Dictionary, record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The record as the JSON, XML and flat (XLSX, pipe-delimited) channels read it."""
    _, from_xml = record_from_xml(record_to_xml(d, record))
    layout = FlatLayout(d)
    (back,) = layout.records(layout.names, enumerate(layout.to_rows(record), start=2))
    assert isinstance(back, RecordRows), back
    return {"json": record, "xml": from_xml, "flat": back.record}


@pytest.mark.parametrize(("era", "element"), list_cases())
def test_a_bad_code_in_item_k_names_that_items_element_and_position(
    hub: Hub, era: str, element: str
) -> None:
    d = hub.validation.dictionaries[f"stop-{era}"]
    spec, _, steps = next(x for x in lists(d.fields) if x[1] == element)
    assert spec.item is not None
    # A valid golden record that holds the list (so that no condition forbids it).
    base = next(
        (r for _, r in golden(era) if dig(r, steps) not in (None, "", [], {})),
        None,
    )
    assert base is not None, f"no valid golden {era} record holds {element}"
    sent = dig(base, steps)
    first = sent[0] if isinstance(sent, list) else sent
    if spec.item.type == "group":
        found = first_code(spec.item.fields)
        assert found is not None
        inside, code_field = found
        code = code_field.code
        fillers: list[Any] = [copy.deepcopy(first) for _ in range(3)]
    else:
        inside, code = "", spec.item.code
        table = d.tables[spec.item.table].values if spec.item.table else None
        domain = sorted(hub.validation.domains[spec.item.domain or ""]) if not table else []
        fillers = [c for c in (table or domain) if c != spec.exclusive][:3]
    most = min(spec.max_items or 3, 3)
    for k in range(1, most + 1):
        items = copy.deepcopy(fillers[: k - 1])
        bad: Any = BAD
        if spec.item.type == "group":
            bad = copy.deepcopy(first)
            put(bad, tuple(inside.split(".")), BAD)
        items.append(bad)
        items += copy.deepcopy(fillers[k - 1 : k])[: max(0, most - len(items))]
        record = copy.deepcopy(base)
        put(record, steps, items)
        want = f"{element}[{k}]" + (f".{inside}" if inside else "")
        for form, sent_record in forms(d, record).items():
            paths = [
                i.field
                for i in hub.validation.validate("stop", sent_record).issues
                if i.code == code and i.field.startswith(element + "[")
            ]
            assert paths == [want], (form, k)


# --- the other kinds of list error ---------------------------------------------------------------


def person(record: dict[str, Any], n: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = record["ListPerson_Stopped"]["Person_Stopped"][n]
    return found


def issues(hub: Hub, record: dict[str, Any], code: str) -> list[str]:
    return [i.field for i in hub.validation.validate("stop", record).issues if i.code == code]


P1 = "ListPerson_Stopped.Person_Stopped[1]."


def test_whole_list_errors_name_the_element_without_a_position(hub: Hub) -> None:
    _, record = golden("2024")[0]
    person(record)["Perc"]["ListEthn"] = {"Ethn": [""]}  # required, only a blank item
    record["Officer"]["ListOfficerEth"] = {"OfficerEth": list("12345671")}  # 8 > 7
    assert issues(hub, record, "DV043") == [P1 + "Perc.ListEthn.Ethn"]
    assert "Officer.ListOfficerEth.OfficerEth" in issues(hub, record, "DV018")


def test_item_errors_count_positions_as_sent_blank_items_included(hub: Hub) -> None:
    _, record = golden("2024")[0]
    perc = person(record)["Perc"]
    perc["ListEthn"] = {"Ethn": ["1", "", BAD]}
    perc["ListDisb"] = {"Disb": ["4", " ", "4", "8"]}  # a repeat, then the exclusive code
    assert issues(hub, record, "DV043") == [P1 + "Perc.ListEthn.Ethn[3]"]
    assert issues(hub, record, "DV046") == [
        P1 + "Perc.ListDisb.Disb[3]",
        P1 + "Perc.ListDisb.Disb[4]",
    ]


def test_a_repeated_key_names_the_key_of_the_item_that_repeats_it(hub: Hub) -> None:
    name, record = next((n, r) for n, r in golden("2024") if "three" in n)
    persons = record["ListPerson_Stopped"]["Person_Stopped"]
    persons[2]["PID"] = persons[0]["PID"]
    assert issues(hub, record, "DV040") == ["ListPerson_Stopped.Person_Stopped[3].PID"], name


def test_rules_count_persons_as_the_field_checks_do(hub: Hub) -> None:
    """A blank person before the one a rule faults does not shift the rule's position."""
    with_rv = dict(golden("2024", "invalid"))["RV104__consent-basis-but-consent-refused.json"]
    with_rv.pop("_expect")
    persons = with_rv["ListPerson_Stopped"]["Person_Stopped"]
    persons.insert(0, {})
    person(with_rv, 1)["Perc"]["Age"] = "0"  # a field error in the same person
    found = {i.code: i for i in hub.validation.validate("stop", with_rv).issues}
    assert found["RV104"].field == "ListPerson_Stopped.Person_Stopped[2].ListBasSearch.BasSearch"
    assert found["DV044"].field == "ListPerson_Stopped.Person_Stopped[2].Perc.Age"
    assert found["RV104"].person == found["DV044"].person
