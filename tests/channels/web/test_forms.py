"""A record as form fields and back, by the dictionary's paths (lists counted from 1)."""

from __future__ import annotations

import pytest

from jdx.channels.web.forms import PathError, flatten, unflatten

RECORD = {
    "subjectIdentification": {"firstName": "JANE", "computedMissingMinAge": 30},
    "investigatingAgencies": [{"name": "SPD", "caseNumber": "24-1"}, {"name": "CHP"}],
    "flag": True,
}


def test_a_record_goes_to_fields_and_back_with_its_types() -> None:
    fields = flatten(RECORD)
    assert ("investigatingAgencies[2].name", "CHP") in fields
    assert ("subjectIdentification.computedMissingMinAge", "30") in fields
    assert unflatten(fields, RECORD) == RECORD


def test_an_emptied_input_removes_its_field_and_a_new_path_adds_one() -> None:
    fields = dict(flatten(RECORD))
    fields["subjectIdentification.firstName"] = "  "
    fields["sighting.address.city"] = "SACRAMENTO"
    changed = unflatten(fields.items(), RECORD)
    assert "firstName" not in changed["subjectIdentification"]
    assert changed["sighting"] == {"address": {"city": "SACRAMENTO"}}


def test_text_where_a_number_was_is_kept_for_the_validator_to_name() -> None:
    changed = unflatten([("subjectIdentification.computedMissingMinAge", "forty")], RECORD)
    assert changed["subjectIdentification"]["computedMissingMinAge"] == "forty"


@pytest.mark.parametrize("path", ["a..b", "a[0].b", "1abc", "a[x]", "flag.sub"])
def test_a_path_the_form_cannot_hold_is_refused(path: str) -> None:
    pairs = [("flag", "true"), (path, "x")] if path == "flag.sub" else [(path, "x")]
    with pytest.raises(PathError):
        unflatten(pairs, RECORD)
