"""The compiler on a small dictionary: every kind of check reports its code, path and person."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from jdx.dictionary import DictionaryError, compile_validator, parse_dictionary

SPEC = yaml.safe_load("""
id: demo-1
family: demo
version: "1"
xml_root: Demo
person: {path: People.Person, number_field: PID}
tables:
  colour: {label: Colour, values: {"1": Red, "2": Green, "8": None}}
domains:
  city: {label: city table, csv_key: name, normalize: upper}
fields:
  - {name: Id, type: string, code: D01, core: true, required: true, max_length: 5}
  - {name: Day, type: date, code: D02, required: true, not_before: "2018-07-01", not_future: true}
  - {name: At, type: time, code: D03, formats: [HH:MM:SS, HH:MM]}
  - {name: Minutes, type: integer, code: D04, min: 1, max: 1440}
  - {name: City, type: code, domain: city, code: D05}
  - {name: School, type: flag, code: D06}
  - {name: SchoolCode, type: string, code: D07, required: {when: {field: School, eq: "Y"}},
     forbidden: {when: {not: {field: School, eq: "Y"}}}}
  - name: People
    type: list
    item_name: Person
    code: D08
    required: true
    min_items: 1
    unique_by: PID
    item:
      type: group
      fields:
        - {name: PID, type: integer, code: D09, required: true}
        - {name: Age, type: integer, code: D10, min: 1, max: 120}
        - name: Colours
          type: list
          item_name: Colour
          code: D11
          unique: true
          exclusive: "8"
          item: {type: code, table: colour}
        - {name: Student, type: flag, code: D12, forbidden: {when: {field: /School, present: false}}}
rules:
  - code: R01
    scope: People.Person
    field: Age
    message: A person with colour 2 must have an age.
    when: {field: Colours.Colour, has: "2"}
    check: {field: Age, present: true}
""")


def record(**changes: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "Id": "A1",
        "Day": "03/15/2024",
        "At": "13:05",
        "Minutes": "10",
        "City": "san diego",
        "People": {"Person": [{"PID": "1", "Age": "30", "Colours": {"Colour": ["1"]}}]},
    }
    rec.update(changes)
    return {k: v for k, v in rec.items() if v is not ...}


@pytest.fixture(scope="module")
def validate():  # type: ignore[no-untyped-def]
    return compile_validator(parse_dictionary(SPEC), {"city": frozenset({"SAN DIEGO"})})


def issues(validate, rec):  # type: ignore[no-untyped-def]
    return [(i.code, i.field, i.severity, i.person) for i in validate(rec).issues]


def test_valid_record_has_no_issue(validate) -> None:  # type: ignore[no-untyped-def]
    assert validate(record()).issues == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"Id": ...}, ("D01", "Id", "fatal", None)),
        ({"Id": "   "}, ("D01", "Id", "fatal", None)),
        ({"Id": "TOOLONG"}, ("D01", "Id", "fatal", None)),
        ({"Day": "02/30/2024"}, ("D02", "Day", "error", None)),
        ({"Day": "2024-03-15"}, ("D02", "Day", "error", None)),
        ({"Day": "03/15/2017"}, ("D02", "Day", "error", None)),
        ({"Day": "03/15/2999"}, ("D02", "Day", "error", None)),
        ({"At": "24:00"}, ("D03", "At", "error", None)),
        ({"Minutes": "0"}, ("D04", "Minutes", "error", None)),
        ({"Minutes": "1e3"}, ("D04", "Minutes", "error", None)),
        ({"Minutes": {"x": 1}}, ("D04", "Minutes", "error", None)),
        ({"City": "Atlantis"}, ("D05", "City", "error", None)),
        ({"School": "maybe"}, ("D06", "School", "error", None)),
        ({"School": "Y"}, ("D07", "SchoolCode", "error", None)),
        ({"SchoolCode": "123"}, ("D07", "SchoolCode", "error", None)),
        ({"People": ...}, ("D08", "People.Person", "error", None)),
        ({"People": {"Person": []}}, ("D08", "People.Person", "error", None)),
        (
            {"People": {"Person": [{"PID": "7", "Age": "121"}]}},
            ("D10", "People.Person[1].Age", "error", "7"),
        ),
        (
            {"People": {"Person": [{"PID": "1"}, {"PID": "2", "Colours": {"Colour": ["1", "1"]}}]}},
            ("D11", "People.Person[2].Colours.Colour[2]", "error", "2"),
        ),
        (
            {"People": {"Person": [{"PID": "1", "Colours": {"Colour": ["8", "1"]}}]}},
            ("D11", "People.Person[1].Colours.Colour[1]", "error", "1"),
        ),
        (
            {"People": {"Person": [{"PID": "1", "Colours": {"Colour": ["9"]}}]}},
            ("D11", "People.Person[1].Colours.Colour[1]", "error", "1"),
        ),
        (
            {"People": {"Person": [{"PID": "1", "Student": "Y"}]}},
            ("D12", "People.Person[1].Student", "error", "1"),
        ),
        (
            {"People": {"Person": [{"PID": "3", "Colours": {"Colour": "2"}}]}},
            ("R01", "People.Person[1].Age", "error", "3"),
        ),
        ({"Extra": "x"}, ("DV000", "Extra", "warning", None)),
        (
            {"People": {"Person": [{"PID": "1"}, {"PID": "1"}]}},
            ("D08", "People.Person[2].PID", "error", None),
        ),
        ({"People": {"Person": "x"}}, ("D08", "People.Person[1]", "error", None)),
        ({"People": ["x"]}, ("D08", "People", "error", None)),  # a wrapper of the wrong shape
        ({"People": {"Person": [{"PID": "1"}], "Persons": []}}, ("D08", "People", "error", None)),
    ],
)
def test_each_check_reports_code_path_and_person(validate, changes, expected) -> None:  # type: ignore[no-untyped-def]
    assert issues(validate, record(**changes)) == [expected]


def test_numbers_are_read_as_their_text(validate) -> None:  # type: ignore[no-untyped-def]
    assert validate(record(Minutes=10)).issues == []


def test_a_single_value_is_a_list_of_one(validate) -> None:  # type: ignore[no-untyped-def]
    rec = record(People={"Person": {"PID": "1", "Colours": {"Colour": "1"}}})
    assert validate(rec).issues == []


@pytest.mark.parametrize("value", [None, [], "text", 3, [{"Id": 1}]])
def test_a_record_that_is_not_an_object_is_fatal(validate, value) -> None:  # type: ignore[no-untyped-def]
    outcome = validate(value)
    assert outcome.is_fatal and outcome.issues[0].field == ""


def test_domain_not_loaded_is_not_checked() -> None:
    validate = compile_validator(parse_dictionary(SPEC), {})
    assert validate(record(City="Atlantis")).issues == []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda s: s["fields"].append(
                {"name": "X", "type": "code", "code": "D", "table": "nope"}
            ),
            "no code table",
        ),
        (lambda s: s["fields"].append({"name": "X", "type": "strng", "code": "D"}), "unknown type"),
        (lambda s: s["fields"].append({"name": "X", "type": "string"}), "error code"),
        (
            lambda s: s["fields"].append({"name": "X", "type": "string", "code": "D", "maxlen": 3}),
            "unknown keys",
        ),
        (lambda s: s["rules"][0].update(field="Agee"), "no field"),
        (lambda s: s["rules"][0].update(field="Colours"), "name its element 'Colours.Colour'"),
    ],
)
def test_loader_rejects_broken_dictionaries(mutate, message) -> None:  # type: ignore[no-untyped-def]
    import copy

    spec = copy.deepcopy(SPEC)
    mutate(spec)
    with pytest.raises(DictionaryError, match=message):
        parse_dictionary(spec)
