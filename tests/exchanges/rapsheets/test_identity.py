"""Whether portions are one person's record (issue 15): the rules, then properties."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jdx.exchanges.rapsheets.identity import (
    DifferentSubject,
    MergeError,
    Notified,
    check_notified,
    check_same_subject,
)
from jdx.exchanges.rapsheets.merge import merge_rap_sheets
from jdx.exchanges.rapsheets.model import Identification, RapSheet, SubjectName

JONES = SubjectName("JONES", "JOHN")


def ident(
    fbi: str | None = None,
    sids: tuple[str, ...] = (),
    names: tuple[SubjectName, ...] = (JONES,),
    dobs: tuple[str, ...] = (),
) -> Identification:
    return Identification(names=names, fbi_number=fbi, sid_numbers=sids, birthdates=dobs)


def test_the_issue_15_case_is_refused_naming_what_differs() -> None:
    with pytest.raises(DifferentSubject) as caught:
        check_same_subject([ident("901100", ("TX01346790",)), ident(None, ("NC0142585A",))])
    assert str(caught.value).startswith(
        "portion 2 (no FBI number, SID NC0142585A) shares no SID, and no name with a date of "
        "birth, with portion 1 (FBI 901100)"
    )
    assert isinstance(caught.value, MergeError)  # what callers of the merge already catch


def test_what_makes_a_portion_without_an_fbi_number_the_same_person() -> None:
    tx = ident("901100", ("TX01346790",), dobs=("19600101",))
    check_same_subject([tx, ident(None, ("tx-0134 6790",))])  # a SID, spelled another way
    check_same_subject(
        [tx, ident(None, ("NC1",), (SubjectName("jones", "John P"),), ("19600101",))]
    )
    for other in (
        ident(None, ("NC1",), dobs=("19600101",), names=(SubjectName("JONES", "JAMES"),)),
        ident(None, ("NC1",), dobs=("19610101",)),  # the name, another date of birth
        ident(None, ("NC1",), names=(SubjectName("JONES"),), dobs=("19600101",)),  # no given
        ident(None, ()),
    ):
        with pytest.raises(DifferentSubject):
            check_same_subject([tx, other])


def test_two_fbi_numbers_are_two_people_whatever_else_agrees() -> None:
    with pytest.raises(DifferentSubject, match="different FBI numbers"):
        check_same_subject([ident("901100", ("TX1",)), ident("901-101", ("TX1",))])
    check_same_subject([ident("901100 ca1", ("TX1",)), ident("901100CA1", ("NC2",))])


def test_a_chain_links_portions_in_any_order() -> None:
    # NC shares a SID with TX, TX a name and date of birth with OH: one group, any order.
    nc = ident(None, ("NC2",), names=(), dobs=())
    tx = ident(None, ("NC2", "TX1"), dobs=("19600101",))
    oh = ident("901100", ("OH3",), dobs=("19600101",))
    for order in itertools.permutations([nc, tx, oh]):
        check_same_subject(order)


def test_the_notification_decides_for_a_portion_without_an_fbi_number() -> None:
    notified = Notified("901100", ("TX01346790",), "TEXAS", state="TX")
    check_notified(ident(None, ("01346790",)), notified, portion="the portion")
    check_notified(ident("901100", ("TX99",)), notified, portion="the portion")
    with pytest.raises(DifferentSubject, match="another FBI number than the notification"):
        check_notified(ident("901101", ("TX01346790",)), notified, portion="the portion")
    with pytest.raises(DifferentSubject) as caught:
        check_notified(ident(None, ("NC0142585A",)), notified, portion="the portion from NC")
    message = str(caught.value)
    assert "the portion from NC (no FBI number, SID NC0142585A)" in message
    assert "for TEXAS" in message and "TX01346790" not in message  # not Texas's number
    ohio = Notified("901100", ("TX01346790",), "TEXAS", state="OH")
    with pytest.raises(DifferentSubject):  # Ohio's 01346790 is not Texas's
        check_notified(ident(None, ("01346790",)), ohio, portion="the portion")


# --- properties ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    fbi: str
    sids: tuple[str, ...]  # one per state, with its prefix
    names: tuple[SubjectName, ...]
    dobs: tuple[str, ...]


def people(tag: str) -> st.SearchStrategy[Person]:
    """A person whose numbers, names and dates share nothing with another ``tag``'s: the FBI
    number and SIDs begin with the tag, surnames and given names come from the tag's own pool,
    and the dates of birth from the tag's own decade."""
    surnames = {"1": ["JONES", "SMITH"], "2": ["GARCIA", "NGUYEN"]}[tag]
    given = {"1": ["JOHN", "MARY"], "2": ["LUIS", "ANH"]}[tag]
    decade = {"1": "195", "2": "198"}[tag]
    sid = st.tuples(st.sampled_from(["TX", "NC", "CA", "OH"]), st.integers(0, 9999)).map(
        lambda s: f"{s[0]}{tag}{s[1]:04d}"
    )
    return st.builds(
        Person,
        st.integers(0, 99999).map(lambda n: f"{tag}{n:05d}"),
        st.lists(sid, min_size=1, max_size=3, unique_by=lambda s: s[:2]).map(tuple),
        st.lists(
            st.builds(SubjectName, st.sampled_from(surnames), st.sampled_from(given)),
            min_size=1,
            max_size=2,
            unique=True,
        ).map(tuple),
        st.lists(st.integers(0, 9).map(lambda y: f"{decade}{y}0101"), min_size=1, max_size=2).map(
            tuple
        ),
    )


@st.composite
def portion_of(draw: st.DrawFn, person: Person) -> Identification:
    """A state's record of ``person``: the FBI number or not, some of the SIDs as any state
    writes them, the primary name and date of birth (every state records them), maybe more."""
    sids = draw(st.lists(st.sampled_from(person.sids), min_size=1, unique=True))
    spelled = [draw(st.sampled_from([s, s.lower(), f"{s[:2]}-{s[2:]}"])) for s in sids]
    names = {person.names[0], *draw(st.lists(st.sampled_from(person.names), max_size=2))}
    dobs = {person.dobs[0], *draw(st.lists(st.sampled_from(person.dobs), max_size=2))}
    case = draw(st.sampled_from([str.upper, str.lower, str.title]))
    return Identification(
        names=tuple(
            SubjectName(case(n.last), case(n.first or "")) for n in sorted(names, key=repr)
        ),
        fbi_number=draw(st.sampled_from([person.fbi, f"{person.fbi[:3]} {person.fbi[3:]}", None])),
        sid_numbers=tuple(spelled),
        birthdates=tuple(sorted(dobs)),
    )


@given(st.data(), people("1"), st.integers(1, 3))
def test_portions_of_one_person_always_merge_in_any_order(
    data: st.DataObject, person: Person, count: int
) -> None:
    portions = [data.draw(portion_of(person)) for _ in range(count)]
    for order in itertools.permutations(portions):
        check_same_subject(order)


@given(st.data(), people("1"), people("2"), st.integers(1, 2))
def test_a_portion_of_another_person_is_always_refused_in_any_order(
    data: st.DataObject, person: Person, other: Person, count: int
) -> None:
    portions = [data.draw(portion_of(person)) for _ in range(count)]
    intruder = data.draw(portion_of(other))
    for order in itertools.permutations([*portions, intruder]):
        with pytest.raises(DifferentSubject):
            check_same_subject(order)


@given(st.data(), people("1"), people("2"))
def test_the_notification_takes_its_subjects_portions_and_refuses_the_others(
    data: st.DataObject, person: Person, other: Person
) -> None:
    sid = data.draw(st.sampled_from(person.sids))
    state = sid[:2]
    notified = Notified(person.fbi, (sid,), state=state)
    own = dataclasses.replace(  # the state's own SID, with or without its prefix
        data.draw(portion_of(person)),
        sid_numbers=(data.draw(st.sampled_from([sid, sid[2:]])),),
    )
    check_notified(own, notified, portion="the portion")
    with pytest.raises(DifferentSubject):
        check_notified(data.draw(portion_of(other)), notified, portion="the portion")


@given(st.data(), people("1"), st.integers(1, 3))
def test_the_merge_keeps_one_spelling_of_each_number(
    data: st.DataObject, person: Person, count: int
) -> None:
    portions = [data.draw(portion_of(person)) for _ in range(count)]
    sheets = [RapSheet(identification=p) for p in portions]
    merged = merge_rap_sheets(sheets, as_of="20240101").identification
    assert set(merged.sid_numbers) <= set(person.sids)
    assert merged.fbi_number in (person.fbi, None)
