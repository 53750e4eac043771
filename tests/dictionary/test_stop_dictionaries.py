"""The stop dictionaries on their golden records, and the validator on arbitrary input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdx.hub import Hub
from jdx.validation import ValidationService
from tests.conftest import golden

ERAS = ["2018", "2024"]


@pytest.mark.parametrize("era", ERAS)
def test_valid_golden_records_pass(hub: Hub, era: str) -> None:
    records = golden(era)
    assert len(records) >= 4
    for name, record in records:
        outcome = hub.validation.validate("stop", record)
        assert outcome.dictionary_id == f"stop-{era}", name
        assert [i for i in outcome.issues if i.severity != "warning"] == [], name


def invalid_cases() -> list[Any]:
    return [
        pytest.param(era, name, record, id=f"{era}-{name}")
        for era in ERAS
        for name, record in golden(era, "invalid")
    ]


@pytest.mark.parametrize(("era", "name", "record"), invalid_cases())
def test_invalid_golden_records_report_their_code(
    hub: Hub, era: str, name: str, record: dict[str, Any]
) -> None:
    expect = record.pop("_expect")
    outcome = hub.validation.validate("stop", record)
    found = [(i.code, i.field) for i in outcome.issues]
    assert (expect["code"], expect["field"]) in found, found


@pytest.mark.parametrize("era", ERAS)
def test_every_code_has_a_failing_golden_record(hub: Hub, era: str) -> None:
    dictionary = hub.validation.dictionaries[f"stop-{era}"]
    defined = {f.code for _, f in dictionary.walk()} | {r.code for r in dictionary.rules}
    covered = {record["_expect"]["code"] for _, record in golden(era, "invalid")}
    assert defined - covered == set()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


def mutated(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A golden record with some keys (at any depth) replaced by arbitrary JSON."""

    def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        out = [prefix] if prefix else []
        if isinstance(value, dict):
            for k, v in value.items():
                out += paths(v, (*prefix, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                out += paths(v, (*prefix, i))
        return out

    import copy

    all_paths = paths(base)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        record = copy.deepcopy(base)
        for path in draw(st.lists(st.sampled_from(all_paths), max_size=4)):
            target: Any = record
            try:
                for step in path[:-1]:
                    target = target[step]
                target[path[-1]] = draw(json_values)
            except (KeyError, IndexError, TypeError):
                continue
        return record

    return build()


@pytest.mark.parametrize("era", ERAS)
def test_validator_never_raises_on_arbitrary_json(hub: Hub, era: str) -> None:
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(value=json_values | mutated(golden(era)[0][1]))
    def check(value: Any) -> None:
        outcome = hub.validation.validate("stop", value)
        for issue in outcome.issues:
            assert issue.code and issue.message and issue.severity in ("fatal", "error", "warning")

    check()


@pytest.mark.parametrize("era", ["2018", "2024"])
def test_a_number_too_long_for_int_is_an_error_not_a_crash(hub: Hub, era: str) -> None:
    """Python's int() refuses more than 4,300 digits; such a value must still get its error."""
    record = dict(golden(era)[0][1], SDur="1" * 5000)
    outcome = hub.validation.validate("stop", record)
    assert [(i.code, i.field) for i in outcome.issues] == [("DV011", "SDur")]
    assert "5000 digits" in outcome.issues[0].message


def test_a_version_added_later_takes_the_records_of_its_era() -> None:
    """The era field's formats are looked up once per newest version: a version added after
    records were selected is the one their dates now choose."""
    validation = ValidationService()
    validation.add_file("stop-2018")
    family = validation.families["stop"]
    recent, early = {"SDate": "03/15/2024"}, {"SDate": "03/15/2019"}
    assert [family.select(r)[0].id for r in (recent, early)] == ["stop-2018", "stop-2018"]
    validation.add_file("stop-2024")
    assert [family.select(r)[0].id for r in (recent, early)] == ["stop-2024", "stop-2018"]
    # (both eras spell the date alike, so only this tells that the newest's own was looked up)
    assert family._era_field is not None
    assert family._era_field[0] is validation.dictionaries["stop-2024"]
    assert family.select({"SDate": "15/03/2024"})[0].id == "stop-2024"  # unreadable: the newest
