"""Properties of the stop exchange's relational rules (``rules.py``), without a database: what is
known of the agency's stored stops is a plain object here."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from jdx.dictionary import Issue, Outcome
from jdx.exchanges.stops import errors as E
from jdx.exchanges.stops.records import (
    STATUS_ERRORS,
    STATUS_NFIA,
    STATUS_OK,
    CoreAttributes,
    Op,
)
from jdx.exchanges.stops.rules import Held, Known, add_issues, decide_new, moment, status_of

OWN, NEIGHBOUR, UNKNOWN = "CA0000001", "CA0000002", "CA9999999"
DUPLICATES = {E.DUPLICATE_RECORD_ID.code, E.DUPLICATE_STOP.code}


@dataclass
class Store:
    """:class:`rules.Lookups` over plain data: the registered agencies, the agency's stored stops
    (``snapshot``) and the statuses of its stored records by LEA record id."""

    snapshot: Known = field(default_factory=Known)
    statuses: dict[str, str] = field(default_factory=dict)
    agencies: frozenset[str] = frozenset({OWN, NEIGHBOUR})

    def is_agency(self, ori: str) -> bool:
        return ori in self.agencies

    def known(self, core: CoreAttributes) -> Known:
        return self.snapshot

    def stored_status(self, core: CoreAttributes) -> str | None:
        return self.statuses.get(core.lea_record_id or "")


def stop(
    lea: str, uid: str, day: str, time: str, ori: str = OWN, nfia: str | None = None
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "ORI": ori,
        "LEARecordID": lea,
        "Officer": {"UID": uid},
        "SDate": day,
        "STime": time,
    }
    if nfia is not None:
        record["Is_NFIA"] = nfia
    return record


leas = st.sampled_from(["A1", "A2", "A3", "A4", "A5"])
uids = st.sampled_from(["U1", "U2"])
days = st.sampled_from(["01/02/2024", "01/03/2024"])
# HH:MM and HH:MM:SS of the same minute are one moment
times = st.sampled_from(["10:00", "10:00:00", "11:30", "11:30:00", "23:59"])
stops = st.builds(stop, leas, uids, days, times)
new_records = st.builds(
    stop,
    leas,
    uids,
    days,
    times,
    ori=st.sampled_from([OWN, OWN, OWN, NEIGHBOUR, UNKNOWN]),
    nfia=st.sampled_from([None, "N", "Y"]),
)
# what the data checks found: nothing, an error, or a fatal error
data_issues = st.sampled_from([(), ("error",), ("fatal",)])


def outcome(severities: tuple[str, ...]) -> Outcome:
    return Outcome([Issue("DV999", s, "x", "found by the data checks") for s in severities])


def known_of(stored: list[dict[str, Any]]) -> Known:
    """The snapshot of stored stops, loaded in the order given (as the queries add them)."""
    known = Known()
    for n, record in enumerate(stored, start=1):
        core = CoreAttributes.of(record)
        known.by_lea.setdefault(core.lea_record_id or "", Held(n, STATUS_OK, 1))
        known.moments.setdefault(moment(core), core.lea_record_id or "")
    return known


def decide(
    stored: list[dict[str, Any]], batch: list[tuple[dict[str, Any], tuple[str, ...]]]
) -> list[tuple[list[str], bool, str | None, int | None]]:
    """:func:`decide_new` of a batch of new records against ``stored``: per record, its
    codes, whether one is fatal, its status and its id."""
    known = known_of(stored)
    entries = [(record, Op.INSERT, outcome(found)) for record, found in batch]
    verdicts = decide_new(entries, OWN, known, Store(known), itertools.count(1000))
    return [(o.codes, o.is_fatal, status, doj_id) for _, o, status, doj_id in verdicts]


def unrelated(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored stops of distinct LEA record ids and distinct moments, as the rules keep them."""
    seen_leas: set[str] = set()
    seen_moments: set[Any] = set()
    kept = []
    for record in stored:
        core = CoreAttributes.of(record)
        if core.lea_record_id in seen_leas or moment(core) in seen_moments:
            continue
        seen_leas.add(core.lea_record_id or "")
        seen_moments.add(moment(core))
        kept.append(record)
    return kept


@given(st.lists(stops, max_size=4), st.lists(st.tuples(new_records, data_issues), max_size=6))
def test_a_record_is_never_both_new_and_a_duplicate(
    stored: list[dict[str, Any]], batch: list[tuple[dict[str, Any], tuple[str, ...]]]
) -> None:
    stored = unrelated(stored)
    leas_held = {CoreAttributes.of(r).lea_record_id for r in stored}
    moments_held = {moment(CoreAttributes.of(r)) for r in stored}
    ids = itertools.count(1000)
    for (record, found), (codes, fatal, status, doj_id) in zip(
        batch, decide(stored, batch), strict=True
    ):
        core = CoreAttributes.of(record)
        if doj_id is None:  # refused: a fatal issue says why, and it has no status
            assert fatal and status is None
            continue
        # stored: with the next id, no duplicate code, and neither of its keys held before it
        assert doj_id == next(ids)
        assert not fatal and status is not None
        assert not DUPLICATES & set(codes)
        assert "fatal" not in found and core.ori == OWN
        assert core.lea_record_id not in leas_held
        assert moment(core) not in moments_held
        leas_held.add(core.lea_record_id)
        moments_held.add(moment(core))


@given(st.lists(stops, max_size=4), st.lists(new_records, max_size=6))
def test_a_duplicate_of_a_stored_or_earlier_record_is_refused(
    stored: list[dict[str, Any]], batch: list[dict[str, Any]]
) -> None:
    stored = unrelated(stored)
    clean = [(record, ()) for record in batch]
    seen = [CoreAttributes.of(r) for r in stored]
    for record, (codes, _fatal, _status, doj_id) in zip(batch, decide(stored, clean), strict=True):
        core = CoreAttributes.of(record)
        duplicate = any(
            core.lea_record_id == s.lea_record_id or moment(core) == moment(s) for s in seen
        )
        if core.ori != OWN:
            assert doj_id is None and not DUPLICATES & set(codes)  # the ORI is checked first
        elif duplicate:
            assert doj_id is None and DUPLICATES & set(codes)
        else:
            assert doj_id is not None
            seen.append(core)


@given(
    st.lists(stops, max_size=5),
    st.lists(st.tuples(new_records, data_issues), max_size=6),
    st.data(),
)
def test_the_decision_does_not_depend_on_the_order_of_unrelated_known_stops(
    stored: list[dict[str, Any]],
    batch: list[tuple[dict[str, Any], tuple[str, ...]]],
    data: st.DataObject,
) -> None:
    stored = unrelated(stored)
    shuffled = data.draw(st.permutations(stored))
    assert decide(stored, batch) == decide(shuffled, batch)


@given(
    st.builds(stop, leas, uids, days, times, nfia=st.sampled_from([None, "N", "Y"])),
    st.sampled_from([None, "U", "u"]),
    data_issues.filter(lambda found: "fatal" not in found),
    st.dictionaries(leas, st.sampled_from([STATUS_OK, STATUS_ERRORS, STATUS_NFIA]), max_size=3),
)
def test_an_update_of_an_unknown_id_is_refused_and_a_closed_record_stays_closed(
    record: dict[str, Any], tx: str | None, found: tuple[str, ...], statuses: dict[str, str]
) -> None:
    if tx is not None:
        record["TX_Type"] = tx
    core = CoreAttributes.of(record)
    result = add_issues(record, outcome(found), core, Op.UPDATE, OWN, Store(statuses=statuses))
    held = statuses.get(core.lea_record_id or "")
    if held is None:
        assert result.is_fatal and E.RECORD_MATCHING.code in result.codes
    elif held != STATUS_ERRORS:
        assert result.is_fatal and E.UPDATE_SUBMITTED.code in result.codes
    else:
        assert not result.is_fatal


@given(new_records, st.sampled_from([Op.INSERT, Op.UPDATE]), st.sampled_from(["I", "U"]))
def test_a_tx_type_that_disagrees_with_the_verb_is_fatal(
    record: dict[str, Any], op: Op, tx: str
) -> None:
    record["ORI"] = OWN
    record["TX_Type"] = tx
    core = CoreAttributes.of(record)
    store = Store(statuses={core.lea_record_id or "": STATUS_ERRORS})
    result = add_issues(record, outcome(()), core, op, OWN, store)
    assert (E.TX_TYPE_MISMATCH.code in result.codes) == (tx != op.value)


@given(st.sampled_from([OWN, NEIGHBOUR, UNKNOWN]), data_issues, st.sampled_from(list(Op)))
def test_another_agencys_ori_is_fatal_even_after_a_fatal_data_error(
    ori: str, found: tuple[str, ...], op: Op
) -> None:
    record = stop("A1", "U1", "01/02/2024", "10:00", ori=ori)
    result = add_issues(record, outcome(found), CoreAttributes.of(record), op, OWN, Store())
    expected = {OWN: None, NEIGHBOUR: E.FOREIGN_ORI.code, UNKNOWN: E.INVALID_ORI.code}[ori]
    if expected is not None:
        assert result.is_fatal and expected in result.codes
    elif "fatal" in found:  # the data checks' fatal error: nothing relational but the ORI
        assert result.codes == ["DV999"]


@given(data_issues, st.sampled_from(list(Op)), st.sampled_from([None, "N", "Y", "y"]))
def test_the_status_is_nfia_only_for_an_update_with_errors_that_says_so(
    found: tuple[str, ...], op: Op, nfia: str | None
) -> None:
    record = stop("A1", "U1", "01/02/2024", "10:00", nfia=nfia)
    status = status_of(outcome(found), record, op)
    if not found:
        assert status == STATUS_OK
    elif op is Op.UPDATE and nfia in ("Y", "y"):
        assert status == STATUS_NFIA
    else:
        assert status == STATUS_ERRORS
