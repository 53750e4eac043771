"""The NamUs case dictionaries (seed 000) on their golden records, and on arbitrary input.

Golden records live in ``tests/golden/cases/<kind>/{valid,invalid}``; an invalid record names
the code and field it must fail with in ``_expect``, and every code of a dictionary has one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdx.exchanges.cases import CANCELLATION, DICTIONARIES, MISSING, UNIDENTIFIED
from jdx.hub import Hub
from tests.conftest import GOLDEN
from tests.dictionary.test_stop_dictionaries import json_values, mutated

KINDS = {"missing": MISSING, "unidentified": UNIDENTIFIED, "cancellation": CANCELLATION}


def case_golden(kind: str, which: str = "valid") -> list[tuple[str, dict[str, Any]]]:
    folder = GOLDEN / "cases" / kind / which
    return [(p.name, orjson.loads(p.read_bytes())) for p in sorted(folder.glob("*.json"))]


def golden_record(kind: str, name: str) -> dict[str, Any]:
    record: dict[str, Any] = orjson.loads((GOLDEN / "cases" / kind / "valid" / name).read_bytes())
    return record


def test_the_case_families_are_registered(hub: Hub) -> None:
    for family in DICTIONARIES:
        (version,) = hub.validation.families[family].versions
        assert version[0].id == family
        assert version[0].unknown_fields == "error"


@pytest.mark.parametrize("kind", KINDS)
def test_valid_golden_records_pass(hub: Hub, kind: str) -> None:
    records = case_golden(kind)
    assert len(records) >= 3
    for name, record in records:
        assert hub.validation.validate(KINDS[kind], record).issues == [], name


def invalid_cases() -> list[Any]:
    return [
        pytest.param(kind, record, id=f"{kind}-{name}")
        for kind in KINDS
        for name, record in case_golden(kind, "invalid")
    ]


@pytest.mark.parametrize(("kind", "record"), invalid_cases())
def test_invalid_golden_records_report_their_code_at_their_field(
    hub: Hub, kind: str, record: dict[str, Any]
) -> None:
    expect = record.pop("_expect")
    outcome = hub.validation.validate(KINDS[kind], record)
    found = [(i.code, i.field) for i in outcome.issues]
    assert (expect["code"], expect["field"]) in found, found
    # One mistake, one error (or the few it implies, listed in "also"): nothing is reported twice.
    assert sorted(code for code, _ in found) == sorted([expect["code"], *expect.get("also", [])])


@pytest.mark.parametrize("kind", KINDS)
def test_every_code_has_a_failing_golden_record(hub: Hub, kind: str) -> None:
    dictionary = hub.validation.dictionaries[KINDS[kind]]
    defined = {f.code for _, f in dictionary.walk()} | {r.code for r in dictionary.rules}
    defined.add(dictionary.unknown_code)
    covered = {record["_expect"]["code"] for _, record in case_golden(kind, "invalid")}
    assert defined - covered == set()
    assert covered - defined == set()


def test_error_codes_share_the_nm_prefix_and_name_one_field_across_record_types(hub: Hub) -> None:
    """A code means one thing hub-wide: NM000 is the unknown field everywhere; every other code
    belongs to one record type (the same code may cover a lookup group and its value)."""
    owners: dict[str, set[str]] = {}
    for family in DICTIONARIES:
        d = hub.validation.dictionaries[family]
        for code in [f.code for _, f in d.walk()] + [r.code for r in d.rules]:
            assert code.startswith("NM") and len(code) == 5 and code[2:].isdigit(), code
            owners.setdefault(code, set()).add(family)
    assert {c: o for c, o in owners.items() if len(o) > 1} == {}


def test_messages_name_the_field(hub: Hub) -> None:
    record = golden_record("missing", "minimum.json")
    record["sighting"]["date"] = "2999-01-01"
    (issue,) = hub.validation.validate(MISSING, record).issues
    assert issue.field == "sighting.date"
    assert issue.message == "Date of last contact cannot be in the future."


def test_dates_are_compared_as_dates_not_as_text(hub: Hub) -> None:
    """1999-12-31 < 2000-01-01 as dates; a mis-formatted date is its own error, not NM501."""
    record = golden_record("missing", "minimum.json")
    record["subjectIdentification"]["dateOfBirth"] = "1999-12-31"
    record["sighting"]["date"] = "2000-01-01"
    assert hub.validation.validate(MISSING, record).issues == []
    record["subjectIdentification"]["dateOfBirth"] = "12/31/1999"
    codes = hub.validation.validate(MISSING, record).codes
    assert codes == ["NM006"]


def test_numbers_and_numeric_text_compare_alike(hub: Hub) -> None:
    record = golden_record("unidentified", "minimum.json")
    record["subjectDescription"]["estimatedAgeFrom"] = 9
    record["subjectDescription"]["estimatedAgeTo"] = "10"
    assert hub.validation.validate(UNIDENTIFIED, record).issues == []
    record["subjectDescription"]["estimatedAgeFrom"] = "11"
    assert hub.validation.validate(UNIDENTIFIED, record).codes == ["NM551"]
    # An unreadable side is its field's error only, not the rule's as well.
    record["subjectDescription"]["estimatedAgeFrom"] = "eleven"
    assert hub.validation.validate(UNIDENTIFIED, record).codes == ["NM114"]


def test_every_agency_is_checked_against_the_date_of_last_contact(hub: Hub) -> None:
    record = golden_record("missing", "adult-all-optional-fields.json")
    record["investigatingAgencies"][1]["dateReported"] = "2023-01-01"
    found = [(i.code, i.field) for i in hub.validation.validate(MISSING, record).issues]
    assert found == [("NM505", "investigatingAgencies[2].dateReported")]


@pytest.mark.parametrize("kind", KINDS)
def test_validator_never_raises_on_arbitrary_json(hub: Hub, kind: str) -> None:
    family = KINDS[kind]
    bases = [record for _, record in case_golden(kind)]

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(value=json_values | st.sampled_from(bases).flatmap(mutated))
    def check(value: Any) -> None:
        outcome = hub.validation.validate(family, value)
        for issue in outcome.issues:
            assert issue.code.startswith("NM") and issue.message
            assert issue.severity in ("fatal", "error", "warning")

    check()


def test_golden_folders_follow_the_stops_layout() -> None:
    for kind in KINDS:
        for which in ("valid", "invalid"):
            assert any((GOLDEN / "cases" / kind / which).glob("*.json")), (kind, which)
    assert not list(Path(GOLDEN / "cases").glob("*.json"))
