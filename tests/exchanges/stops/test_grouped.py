"""Submissions stored as a group (the web service's grouped commits) get the very results and
audit records that one-by-one submissions get."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from jdx.exchanges.stops.records import Op, Submission, SubmissionResult
from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stops
from jdx.hub import Hub
from jdx.security.keys import Principal
from jdx.store.queries import audit_entries
from tests.conftest import AgencyFixture, new_agency, stop_record


def principal(agency: AgencyFixture, realm: str = "prod") -> Principal:
    return Principal(agency.id, agency.ori, "Test agency", realm, True)


def _mix(agency: AgencyFixture, other: AgencyFixture) -> list[tuple[str, dict[str, Any], Op]]:
    """Records whose answers depend on the ones before them (realm, record)."""
    first = stop_record(agency)
    twin = dict(stop_record(agency), Officer=first["Officer"], STime=first["STime"])
    with_errors = dict(stop_record(agency), SDur="0")
    return [
        ("prod", first, Op.INSERT),
        ("prod", dict(first), Op.INSERT),  # the same LEA record id again: DV236
        ("prod", twin, Op.INSERT),  # the same officer and moment: DV004
        ("test", dict(first), Op.INSERT),  # the test realm is apart: stored
        ("prod", with_errors, Op.INSERT),
        ("prod", dict(with_errors, SDur=first["SDur"], TX_Type="U"), Op.UPDATE),  # corrects it
        ("prod", dict(stop_record(agency), ORI=other.ori), Op.INSERT),  # not its own ORI
        ("prod", dict(stop_record(agency), LEARecordID=""), Op.INSERT),  # a fatal data error
        ("prod", stop_record(agency, TX_Type="U"), Op.UPDATE),  # nothing to update: DV237
    ]


def _summary(result: SubmissionResult) -> tuple[Any, ...]:
    return (result.status, result.fatal_codes, result.outcome.codes, result.doj_record_id is None)


def _submissions(
    service: StopService, agency: AgencyFixture, other: AgencyFixture
) -> list[Submission]:
    items = []
    for realm, record, op in _mix(agency, other):
        items.append(Submission(principal(agency, realm), record, op, service.check_data(record)))
    return items


def test_a_group_answers_as_one_by_one_submissions_do(hub: Hub) -> None:
    service = hub.service(StopService)
    alone, grouped, other = new_agency(hub), new_agency(hub), new_agency(hub)
    one_by_one = [
        service.submit_stop(i.principal, i.record, i.op, channel="test", data=i.data)
        for i in _submissions(service, alone, other)
    ]
    items = _submissions(service, grouped, other)
    together = service.submit_stops(items, channel="test")
    assert [_summary(r) for r in together] == [_summary(r) for r in one_by_one]
    assert [r.status for r in together][:5] == [
        "Successful Submission",
        None,
        None,
        "Successful Submission",
        "Submitted with Errors",
    ]
    assert together[1].fatal_codes == ["DV236"] and together[2].fatal_codes == ["DV004"]
    assert together[5].status == "Successful Submission"  # the update in the same group
    assert together[8].fatal_codes == ["DV237"]
    with hub.engine.connect() as conn:
        rows = conn.execute(
            sa.select(stops.c.realm, stops.c.status).where(stops.c.ori == grouped.ori)
        ).all()
        audits = audit_entries(conn, ori=grouped.ori)
    assert sorted(rows) == [
        ("prod", "Successful Submission"),
        ("prod", "Successful Submission"),
        ("test", "Successful Submission"),
    ]
    # One audit record per submission, in order, as one-by-one submissions leave them.
    mine = [a for a in audits if a["actor"] == grouped.ori]
    assert [(a["realm"], a["outcome"], a["codes"]) for a in mine[:5]] == [
        ("prod", "Successful Submission", ""),
        ("prod", "rejected", "DV236"),
        ("prod", "rejected", "DV004"),
        ("test", "Successful Submission", ""),
        ("prod", "Submitted with Errors", together[4].outcome.codes[0]),
    ]
    assert len([a for a in audits if a["channel"] == "test"]) >= len(items) - 1


def _new_only(agency: AgencyFixture, other: AgencyFixture) -> list[tuple[str, dict[str, Any]]]:
    """New records only (on PostgreSQL the group takes the pipelined path), some of whose
    answers depend on the ones before them in the group or on a stored record."""
    first = stop_record(agency)
    twin = dict(stop_record(agency), Officer=first["Officer"], STime=first["STime"])
    return [
        ("prod", first),
        ("prod", dict(first)),  # the same LEA record id again, in the group: DV236
        ("prod", twin),  # the same officer and moment, in the group: DV004
        ("test", dict(first)),  # the test realm is apart: stored
        ("prod", dict(stop_record(agency), SDur="0")),  # stored with errors
        ("prod", dict(stop_record(agency), ORI=other.ori)),  # not its own ORI
        ("prod", dict(stop_record(agency), LEARecordID="")),  # a fatal data error
    ]


def test_a_group_of_new_records_answers_as_one_by_one_submissions_do(hub: Hub) -> None:
    service = hub.service(StopService)
    alone, grouped, other = new_agency(hub), new_agency(hub), new_agency(hub)
    stored = stop_record(grouped)  # already in the table before the group
    earlier = service.submit_stop(principal(grouped), stored, Op.INSERT, channel="test")
    stored_alone = stop_record(alone)
    service.submit_stop(principal(alone), stored_alone, Op.INSERT, channel="test")

    def items(agency: AgencyFixture, again: dict[str, Any]) -> list[Submission]:
        mix = [*_new_only(agency, other), ("prod", dict(again))]  # a stored one again: DV236
        return [
            Submission(principal(agency, realm), r, Op.INSERT, service.check_data(r))
            for realm, r in mix
        ]

    one_by_one = [
        service.submit_stop(i.principal, i.record, i.op, channel="test", data=i.data)
        for i in items(alone, stored_alone)
    ]
    group = items(grouped, stored)
    together = service.submit_stops(group, channel="test")
    assert [_summary(r) for r in together] == [_summary(r) for r in one_by_one]
    assert [r.status for r in together] == [
        "Successful Submission",
        None,
        None,
        "Successful Submission",
        "Submitted with Errors",
        None,
        None,
        None,
    ]
    # The in-group duplicate names the DOJ id the first record got; the last, the stored one's.
    assert together[1].fatal_codes == ["DV236"]
    assert str(together[0].doj_record_id) in together[1].outcome.issues[0].message
    assert together[2].fatal_codes == ["DV004"]
    assert str(earlier.doj_record_id) in together[7].outcome.issues[0].message
    ids = [r.doj_record_id for r in together if r.doj_record_id is not None]
    assert len(set(ids)) == 3
    with hub.engine.connect() as conn:
        rows = conn.execute(
            sa.select(stops.c.id, stops.c.realm, stops.c.lea_record_id, stops.c.status).where(
                stops.c.ori == grouped.ori, stops.c.channel == "test"
            )
        ).all()
        audits = [a for a in audit_entries(conn, actor=grouped.ori) if a["channel"] == "test"]
    by_id = {row.id: row for row in rows}
    for item, result in zip(group, together, strict=True):
        if result.doj_record_id is not None:  # stored under the id it was answered with
            row = by_id[result.doj_record_id]
            assert (row.realm, row.lea_record_id, row.status) == (
                item.principal.realm,
                item.record["LEARecordID"],
                result.status,
            )
    assert len(rows) == 4  # the earlier one and three of the group
    # One audit record per submission, in order, each naming the record it stored.
    mine = audits[1:]
    assert [(a["outcome"], a["record_id"]) for a in mine] == [
        (r.status or "rejected", r.doj_record_id) for r in together
    ]
