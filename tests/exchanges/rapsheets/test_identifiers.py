"""The subject's numbers in one form: examples, then properties over generated spellings."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jdx.exchanges.rapsheets.identifiers import (
    normal_fbi_number,
    normal_sid,
    normal_ssn,
    sid_matches,
    state_code,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=12)
numbers = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12)
states = st.sampled_from(["TX", "NC", "CA", "OH"])
anything = st.one_of(st.none(), st.text(max_size=20))


@st.composite
def spelled(draw: st.DrawFn, number: str) -> str:
    """``number`` as a sender might spell it: any case, dashes and spaces anywhere."""
    out = []
    for char in number:
        out.append(char.lower() if draw(st.booleans()) else char)
        out.append(draw(st.sampled_from(["", "", "-", " ", " - "])))
    return draw(st.sampled_from(["", " "])) + "".join(out)


def test_examples() -> None:
    assert normal_ssn("220-56-5860") == normal_ssn(" 220 56 5860 ") == "220565860"
    assert normal_ssn("22056586") is None and normal_ssn("22O565860") is None
    assert normal_fbi_number("62660 ca12") == normal_fbi_number("62660-CA12") == "62660CA12"
    assert normal_sid("tx-0134 6790") == "TX01346790"
    assert normal_fbi_number("  ") is None and normal_sid(None) is None
    assert sid_matches("TX01346790", "01346790", "TX")
    assert sid_matches("01346790", "tx-01346790", "TX0000000")  # the state from a sender's ORI
    assert not sid_matches("TX01346790", "01346790")  # the state unknown: not guessed
    assert not sid_matches("OH01346790", "01346790", "TX")  # Ohio's number is not Texas's
    assert not sid_matches("TX01346790", "TX01346791", "TX")
    assert state_code("TX0000000") == "TX" and state_code("1X") is None


@given(anything)
def test_normalising_is_idempotent(value: str | None) -> None:
    for normal in (normal_ssn, normal_fbi_number, normal_sid):
        once = normal(value)
        assert normal(once) == once


@given(st.data(), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_spellings_of_one_ssn_are_equal(data: st.DataObject, ssn: str) -> None:
    assert normal_ssn(data.draw(spelled(ssn))) == ssn


@given(st.data(), numbers)
def test_spellings_of_one_fbi_number_or_sid_are_equal(data: st.DataObject, number: str) -> None:
    assert normal_fbi_number(data.draw(spelled(number))) == number
    assert normal_sid(data.draw(spelled(number))) == number
    assert sid_matches(data.draw(spelled(number)), data.draw(spelled(number)))


@given(st.data(), states, digits)
def test_a_sid_with_and_without_its_state_prefix_match_when_the_state_is_known(
    data: st.DataObject, state: str, number: str
) -> None:
    full = data.draw(spelled(state + number))
    bare = data.draw(spelled(number))
    assert sid_matches(full, bare, state) and sid_matches(bare, full, state)
    other = data.draw(states.filter(lambda s: s != state))
    assert not sid_matches(other + number, bare, state)


@given(numbers, numbers, st.one_of(st.none(), states))
def test_different_numbers_never_match(a: str, b: str, state: str | None) -> None:
    if a.removeprefix(state or "") != b.removeprefix(state or ""):
        assert not sid_matches(a, b, state)
