"""Documents as path -> value and back: what edits are audited by and job files are read by."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jdx.codecs.paths import PathError, diff, flatten, unflatten

scalars = st.one_of(st.text(min_size=1, max_size=5), st.integers(), st.booleans())
keys = st.text(alphabet="abcxyz", min_size=1, max_size=4)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.dictionaries(keys, inner, min_size=1, max_size=3),
    ),
    max_leaves=12,
).filter(lambda d: isinstance(d, dict))


@given(documents)
def test_a_document_survives_flatten_and_unflatten(document: dict[str, object]) -> None:
    assert unflatten(flatten(document)) == document


def test_paths_number_list_items_from_one() -> None:
    doc = {"a": [{"b": 1}, {"b": 2, "c": ["x"]}]}
    assert flatten(doc) == {"a[1].b": 1, "a[2].b": 2, "a[2].c[1]": "x"}


def test_diff_names_each_changed_path_with_before_and_after() -> None:
    before, after = diff({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3, "d": 4}})
    assert before == {"a.c": 2, "a.d": None} and after == {"a.c": 3, "a.d": 4}
    assert diff({"a": 1}, {"a": 1}) == ({}, {})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"a[2]": 1}, r"a\[1\] is missing"),
        ({"a": 1, "a.b": 2}, "disagrees"),
        ({"a.b": 1, "a[1]": 2}, "disagrees"),
        ({"a[0]": 1}, "from 1"),
        ({"a[100000]": 1}, "from 1"),
        ({"a..b": 1}, "not a field path"),
    ],
)
def test_paths_that_name_no_place_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(PathError, match=message):
        unflatten(values)
