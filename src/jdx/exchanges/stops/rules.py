"""The relational rules of a stop record (the seed's Central Data Validation Service): the ORI,
TX_Type against the verb, the two duplicate checks of a new record, record matching and the
editability of an update, and the status a stored record gets.

Pure functions of the record and of what is already known about the agency's stored stops. The
store's part comes in through :class:`Lookups`, asked only when a rule needs it (the database
answers in ``queries.py``; a plain object in ``tests/exchanges/stops/test_rules.py``), and a
batch of new records is checked against a :class:`Known` snapshot that grows as the batch's own
records are accepted, so that each record sees every record before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from jdx.dictionary import Issue, Outcome
from jdx.exchanges.stops import errors as E
from jdx.exchanges.stops.errors import fatal
from jdx.exchanges.stops.records import (
    STATUS_ERRORS,
    STATUS_NFIA,
    STATUS_OK,
    CoreAttributes,
    Op,
    field_text,
    hh_mm_ss,
    stop_day,
)

# The second duplicate key of the seed: officer, stop date and stop time (see :func:`moment`).
Moment = tuple[str | None, dt.date | None, str]


@dataclass
class Held:
    """What the relational checks need of a stored record (or of one of the batch, about to be
    stored with its id)."""

    id: int
    status: str
    version: int


class Known:
    """The stored records a batch of new records could collide with, by LEA record id and by
    moment, kept current as the batch's own records are accepted (:meth:`add`)."""

    def __init__(self) -> None:
        self.by_lea: dict[str, Held] = {}
        self.moments: dict[Moment, str] = {}

    def add(self, core: CoreAttributes, status: str, doj_id: int) -> None:
        lea = core.lea_record_id or ""
        self.by_lea[lea] = Held(doj_id, status, 1)
        self.moments.setdefault(moment(core), lea)


class Lookups(Protocol):
    """What the rules ask of the store, each only when a rule needs the answer."""

    def is_agency(self, ori: str) -> bool:
        """Whether ``ori`` is a registered agency."""
        ...

    def known(self, core: CoreAttributes) -> Known:
        """The stored records a new record with ``core`` could collide with."""
        ...

    def stored_status(self, core: CoreAttributes) -> str | None:
        """The status of the stored record an update with ``core`` applies to (None: none)."""
        ...


def add_issues(
    record: Any, outcome: Outcome, core: CoreAttributes, op: Op, own: str, lookups: Lookups
) -> Outcome:
    """The relational issues of ``record``, sent by agency ``own``, added to its data checks'
    ``outcome``. Relational checks need the core attributes: after a fatal data error, only
    the ORI is checked."""
    if not outcome.is_fatal:
        outcome.issues.extend(check(record, core, op, own, lookups))
    elif core.ori is not None:
        outcome.issues.extend(ori_issues(core.ori, own, lookups))
    return outcome


def decide_new(
    entries: Sequence[tuple[Any, Op, Outcome]],
    own: str,
    known: Known,
    lookups: Lookups,
    ids: Iterator[int],
) -> Iterator[tuple[CoreAttributes, Outcome, str | None, int | None]]:
    """The relational checks of new records of agency ``own`` (their data checks done) against
    ``known`` and each other, in order: a record that may be stored gets its status and the next
    of ``ids``, and joins ``known`` before the next record is checked, so that each record sees
    every record before it, as one submission after another would. Yields (core, outcome,
    status, id) per record; status and id are None for a rejected one. ``lookups`` answers
    :meth:`Lookups.known` with ``known``."""
    for record, op, data in entries:
        core = CoreAttributes.of(record)
        outcome = add_issues(record, data, core, op, own, lookups)
        if outcome.is_fatal:
            yield core, outcome, None, None
            continue
        status = status_of(outcome, record, op)
        doj_id = next(ids)
        known.add(core, status, doj_id)
        yield core, outcome, status, doj_id


def check(
    record: dict[str, Any], core: CoreAttributes, op: Op, own: str, lookups: Lookups
) -> list[Issue]:
    """The relational issues of a record whose data checks found nothing fatal."""
    issues = ori_issues(core.ori or "", own, lookups)
    tx = (field_text(record.get("TX_Type")) or "").upper()
    if tx and tx != op.value:
        issues.append(
            fatal(
                E.TX_TYPE_MISMATCH,
                "TX_Type",
                tx=tx,
                expected=op.value,
                verb="an update (PUT)" if op is Op.UPDATE else "a new record (POST)",
            )
        )
    if issues:
        return issues
    if op is Op.INSERT:
        return new_record_issues(record, core, lookups.known(core))
    return update_issues(core, lookups.stored_status(core))


def ori_issues(ori: str, own: str, lookups: Lookups) -> list[Issue]:
    """An agency submits its own records only (DV001 for an ORI that is no agency)."""
    if ori == own:
        return []
    if not lookups.is_agency(ori):
        return [fatal(E.INVALID_ORI, "ORI", ori=ori)]
    return [fatal(E.FOREIGN_ORI, "ORI", own=own, ori=ori)]


def new_record_issues(record: dict[str, Any], core: CoreAttributes, known: Known) -> list[Issue]:
    """A new record is a duplicate of a known one by LEA record id (DV236), else by moment
    (DV004); NFIA on a new record is an error, not fatal."""
    held = known.by_lea.get(core.lea_record_id or "")
    if held is not None:
        return [fatal(E.DUPLICATE_RECORD_ID, "LEARecordID", doj_id=held.id)]
    other = known.moments.get(moment(core))
    if other is not None:
        return [fatal(E.DUPLICATE_STOP, "STime", other=other)]
    if (field_text(record.get("Is_NFIA")) or "").upper() == "Y":
        return [Issue(E.NFIA_ON_INSERT.code, "error", "Is_NFIA", E.NFIA_ON_INSERT.message)]
    return []


def update_issues(core: CoreAttributes, stored: str | None) -> list[Issue]:
    """An update needs a stored record (DV237; ``stored``: its status, None when there is none)
    that is still "Submitted with Errors" (DV238)."""
    if stored is None:
        return [fatal(E.RECORD_MATCHING, "LEARecordID", lea_id=core.lea_record_id, ori=core.ori)]
    if stored != STATUS_ERRORS:
        return [fatal(E.UPDATE_SUBMITTED, "LEARecordID", status=stored)]
    return []


def status_of(outcome: Outcome, record: dict[str, Any], op: Op) -> str:
    """NFIA ("no further information available") closes a record that keeps its errors."""
    if not outcome.has_errors:
        return STATUS_OK
    if op is Op.UPDATE and (field_text(record.get("Is_NFIA")) or "").upper() == "Y":
        return STATUS_NFIA
    return STATUS_ERRORS


def moment(core: CoreAttributes) -> Moment:
    """The second duplicate key of the seed: officer, stop date and stop time."""
    return (
        core.officer_uid,
        stop_day(core.stop_date or ""),
        hh_mm_ss(core.stop_time or ""),
    )
