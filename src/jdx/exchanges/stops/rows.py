"""What a stored submission writes, built without SQL: the row of ``stops`` a record becomes
(:func:`prepare`, with the result its submission gets), the rows of a batch of new records
(:func:`new_rows`, decided by ``rules.py``) and the audit rows of submissions
(:func:`audit_rows`). ``service.py`` and ``queries.py`` write them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from jdx.dictionary import Dictionary, Outcome
from jdx.dictionary.shape import canonical
from jdx.exchanges.stops.records import (
    CoreAttributes,
    Disposition,
    Op,
    Prepared,
    Submission,
    SubmissionResult,
    field_text,
    hh_mm_ss,
    stop_day,
)
from jdx.exchanges.stops.rules import Known, Lookups, decide_new
from jdx.security.keys import Principal
from jdx.store.bulk import JsonText
from jdx.store.queries import now


def prepare(
    dictionary: Dictionary,
    principal: Principal,
    record: dict[str, Any],
    op: Op,
    outcome: Outcome,
    core: CoreAttributes,
    status: str,
    channel: str,
    file_id: int | None,
    *,
    shaped: bool = False,
    stored: dict[str, Any] | None = None,
    stamp: dt.datetime | None = None,
) -> tuple[SubmissionResult, dict[str, Any]]:
    """The result and the row of a record about to be stored with ``status`` (the caller
    writes it), checked with ``dictionary`` (the outcome's). ``shaped``: the record is in
    canonical form already; ``stored``: its canonical copy (``StopService.canonical_copy``),
    when made already; ``stamp``: its time of storing (now by default)."""
    kept: dict[str, Any] | JsonText
    if stored is not None:
        kept = stored
    elif isinstance(record, Prepared):
        kept = JsonText(record.text)  # canonical already, and serialized
    else:
        kept = record if shaped else canonical(dictionary, record)
    issues = [i.as_dict() for i in outcome.issues]
    stamp = stamp or now()
    values: dict[str, Any] = {
        "batch_id": field_text(record.get("BatchID")),
        "officer_uid": core.officer_uid,
        "stop_date": stop_day(core.stop_date or ""),
        "stop_time": hh_mm_ss(core.stop_time or ""),
        "dictionary_id": dictionary.id,
        "status": status,
        "record": kept,
        "issues": issues,
        "channel": channel,
        "file_id": file_id,
        "updated_at": stamp,
    }
    if op is Op.INSERT:
        values.update(
            realm=principal.realm,
            ori=core.ori,
            lea_record_id=core.lea_record_id,
            version=1,
            created_at=stamp,
        )
    result = SubmissionResult(
        Disposition.STORED, outcome, core, status=status, created=op is Op.INSERT
    )
    return result, values


def new_rows(
    dictionaries: Mapping[str, Dictionary],
    principal: Principal,
    entries: Sequence[tuple[dict[str, Any], Op, Outcome]],
    known: Known,
    lookups: Lookups,
    ids: Iterator[int],
    rows: list[dict[str, Any]],
    channel: str,
    file_id: int | None = None,
    *,
    shaped: bool = False,
    copies: Sequence[dict[str, Any] | None] | None = None,
) -> list[SubmissionResult]:
    """The results of new records of a batch, decided against ``known`` and each other in
    order (:func:`rules.decide_new`); each record to store gets the next of ``ids`` and its row
    appended to ``rows``. ``copies``: the records' canonical copies, made before the lock (or
    None)."""
    results: list[SubmissionResult] = []
    decided = decide_new(entries, principal.ori, known, lookups, ids)
    # One time for the batch's rows, as for one transaction: the same value each, converted
    # for the database once (``bulk._memo``), not once a row.
    stamp = now()
    for n, ((record, op, _), (core, outcome, status, doj_id)) in enumerate(
        zip(entries, decided, strict=True)
    ):
        if status is None or doj_id is None:
            results.append(SubmissionResult(Disposition.REJECTED, outcome, core))
            continue
        result, values = prepare(
            dictionaries[outcome.dictionary_id],
            principal,
            record,
            op,
            outcome,
            core,
            status,
            channel,
            file_id,
            shaped=shaped,
            stored=copies[n] if copies is not None else None,
            stamp=stamp,
        )
        values["id"] = result.doj_record_id = doj_id
        rows.append(values)
        results.append(result)
    return results


def audit_rows(
    pairs: Sequence[tuple[Submission, SubmissionResult]], channel: str
) -> list[dict[str, Any]]:
    """The audit records of submissions and their results, for ``audit_many``."""
    return [
        {
            "exchange": "stops",
            "realm": item.principal.realm,
            "actor": item.principal.ori,
            "ori": result.core.ori or item.principal.ori,
            "channel": channel,
            "action": "update" if item.op is Op.UPDATE else "submit",
            "subject": result.core.lea_record_id,
            "record_id": result.doj_record_id,
            "outcome": result.status or "rejected",
            "codes": result.outcome.codes,
            "detail": {"calling_app": item.calling_app} if item.calling_app else None,
        }
        for item, result in pairs
    ]
