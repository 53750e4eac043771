"""The stop exchange without HTTP: serialisation per agency, and relational validations."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from jdx.exchanges.stops.queries import FEW
from jdx.exchanges.stops.records import Op, Submission
from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stops
from jdx.hub import Hub
from jdx.security.keys import Principal
from jdx.store.bulk import FEW_ROWS
from tests.conftest import AgencyFixture, stop_record
from tests.samples import jsonb_order, key_order, reversed_keys


def principal(agency: AgencyFixture, realm: str = "prod") -> Principal:
    return Principal(agency.id, agency.ori, "Test agency", realm, True)


def test_concurrent_twins_store_exactly_one(hub: Hub, agency: AgencyFixture) -> None:
    """Sixteen submissions of the same stop under different LEA ids race; the per-agency lock
    makes the duplicate check and the insert one unit, so exactly one is stored."""
    service = hub.service(StopService)
    base = stop_record(agency)
    twins = [dict(base, LEARecordID=f"{base['LEARecordID']}-{i}") for i in range(16)]
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(
                lambda r: service.submit_stop(principal(agency), r, Op.INSERT, channel="test"),
                twins,
            )
        )
    stored = [r for r in results if r.status is not None]
    assert len(stored) == 1
    assert sorted({code for r in results for code in r.fatal_codes}) == ["DV004"]
    with hub.engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(stops).where(stops.c.ori == agency.ori)
        ).scalar()
    assert count == 1


def test_agencies_do_not_block_each_other_on_duplicates(
    hub: Hub, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    service = hub.service(StopService)
    record = stop_record(agency)
    mine = service.submit_stop(principal(agency), record, Op.INSERT, channel="test")
    theirs = service.submit_stop(
        principal(other_agency), dict(record, ORI=other_agency.ori), Op.INSERT, channel="test"
    )
    assert mine.status == theirs.status == "Successful Submission"


@pytest.mark.parametrize(
    "remove", [("LEARecordID",), ("Officer",), ("Officer", "UID"), ("SDate",), ("STime",)]
)
def test_a_record_without_a_core_attribute_is_rejected_not_stored(
    hub: Hub, agency: AgencyFixture, remove: tuple[str, ...]
) -> None:
    """The core attributes key the duplicate checks: without one there is nothing to store."""
    service = hub.service(StopService)
    record = stop_record(agency)
    holder = record
    for key in remove[:-1]:
        holder = holder[key]
    del holder[remove[-1]]
    result = service.submit_stop(principal(agency), record, Op.INSERT, channel="test")
    assert result.status is None and result.fatal_codes


@pytest.mark.parametrize("size", ["few", "many"])
def test_a_batch_checks_duplicates_as_one_record_at_a_time_would(
    hub: Hub, agency: AgencyFixture, size: str
) -> None:
    """submit_batch reads the stored records at once: the chunk's own records must count too.
    ``few`` and ``many`` (more than ``queries.FEW`` records, as a batch file's chunk): the
    two ways ``queries.load`` asks SQLite (``IN`` lists, ``bulk.rows_matching``); PostgreSQL
    asks ``queries.ask_few`` either way."""
    service = hub.service(StopService)
    me = principal(agency)
    stored_before = stop_record(agency)
    assert service.submit_stop(me, stored_before, Op.INSERT, channel="test").status
    first = stop_record(agency)
    same_id = stop_record(agency, LEARecordID=first["LEARecordID"])
    same_moment = dict(first, LEARecordID=first["LEARecordID"] + "-B")
    again = dict(stored_before)
    moment_of_stored = dict(stored_before, LEARecordID=stored_before["LEARecordID"] + "-C")
    fine = stop_record(agency)
    batch = [first, same_id, same_moment, again, moment_of_stored, fine]
    padding = [stop_record(agency) for _ in range(FEW if size == "many" else 0)]
    entries = [(r, Op.INSERT, service.check_data(r)) for r in batch + padding]
    with hub.engine.begin() as conn:
        results = service.submit_batch(conn, me, entries, channel="test")
    assert [r.fatal_codes for r in results[: len(batch)]] == [
        [],
        ["DV236"],
        ["DV004"],
        ["DV236"],
        ["DV004"],
        [],
    ]
    assert not any(r.fatal_codes for r in results[len(batch) :])
    stored = [r for r in results if r.status is not None]
    assert all(r.doj_record_id for r in stored) and len(
        {r.doj_record_id for r in stored}
    ) == 2 + len(padding)
    with hub.engine.connect() as conn:
        ids = conn.execute(
            sa.select(stops.c.lea_record_id).where(
                stops.c.lea_record_id.in_([first["LEARecordID"], fine["LEARecordID"]])
            )
        ).scalars()
        assert sorted(ids) == sorted([first["LEARecordID"], fine["LEARecordID"]])


@pytest.mark.parametrize("path", ["one", "update", "group", "batch"])
def test_a_stored_record_reads_back_with_its_keys_in_the_order_sent(
    hub: Hub, agency: AgencyFixture, path: str
) -> None:
    """json, not jsonb, on PostgreSQL (0011): every writer keeps the record's key order.
    ``one``/``update``: SQLAlchemy's INSERT/UPDATE; ``group``: the web service's unnest INSERT;
    ``batch``: COPY (more than FEW_ROWS records)."""
    service = hub.service(StopService)
    me = principal(agency)
    record = reversed_keys(stop_record(agency))
    assert key_order(jsonb_order(record)) != key_order(record)  # jsonb would fail this test
    if path == "one":
        assert service.submit_stop(me, record, Op.INSERT, channel="test").status
    elif path == "update":
        first = dict(record, SDur="0")  # stored with errors: an update may correct it
        assert service.submit_stop(me, first, Op.INSERT, channel="test").status
        record["TX_Type"] = "U"
        assert service.submit_stop(me, record, Op.UPDATE, channel="test").status
    elif path == "group":
        items = [Submission(me, record, Op.INSERT, service.check_data(record))]
        assert service.submit_stops(items, channel="test")[0].status
    else:
        batch = [record] + [reversed_keys(stop_record(agency)) for _ in range(FEW_ROWS)]
        entries = [(r, Op.INSERT, service.check_data(r)) for r in batch]
        with hub.engine.begin() as conn:
            results = service.submit_batch(conn, me, entries, channel="test")
        assert all(r.status for r in results)
    stored = service.get_stop(me, record["LEARecordID"], channel="test")
    assert stored is not None and isinstance(stored.record, dict)
    assert isinstance(stored.issues, list)
    assert key_order(stored.record) == key_order(record)
