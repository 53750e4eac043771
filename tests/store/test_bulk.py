"""Rows in many at once: ids drawn first, rows written in one statement, statistics kept."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from jdx.hub import Hub
from jdx.store.bulk import (
    FEW_ROWS,
    StatisticsKeeper,
    insert_rows,
    raw_connection,
    refresh_statistics,
    reserve_ids,
)
from jdx.store.engine import write_transaction
from jdx.store.locks import lock_key
from jdx.store.tables import Json, PlainJson, Timestamp
from tests.samples import jsonb_order, key_order


@pytest.fixture
def table(hub: Hub, request: pytest.FixtureRequest) -> Iterator[sa.Table]:
    """A table of this test's own, of the column types the hub's tables use."""
    name = f"t_{request.node.name[5:40]}"
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("code", sa.String(9)),
        sa.Column("doc", Json),
        sa.Column("day", sa.Date),
        sa.Column("at", Timestamp),
    )
    table.drop(hub.engine, checkfirst=True)
    table.create(hub.engine)
    yield table
    table.drop(hub.engine)


def _rows(ids: list[int]) -> list[dict[str, object]]:
    stamp = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    return [
        {
            "id": new_id,
            "code": None if i % 3 == 0 else f"c{i}",
            "doc": {"quote": 'say "hi"\\', "n": [i, None]} if i % 2 else None,
            "day": dt.date(2024, 1, 1 + i % 28),
            "at": stamp,
        }
        for i, new_id in enumerate(ids)
    ]


@pytest.mark.parametrize("count", [1, 7, FEW_ROWS + 1])  # one INSERT for few; COPY for more
def test_rows_are_stored_under_the_ids_drawn_for_them(
    hub: Hub, table: sa.Table, count: int
) -> None:
    with write_transaction(hub.engine) as conn:
        ids = reserve_ids(conn, table, count)
        rows = _rows(ids)
        insert_rows(conn, table, rows)
    assert len(set(ids)) == count
    with hub.engine.connect() as conn:
        stored = {r.id: r._asdict() for r in conn.execute(sa.select(table))}
    for row in stored.values():  # SQLite gives the UTC time back without its zone
        row["at"] = row["at"].replace(tzinfo=dt.UTC)
    assert stored == {row["id"]: row for row in rows}
    with write_transaction(hub.engine) as conn:  # later ids do not collide with these
        more = reserve_ids(conn, table, 3)
        insert_rows(conn, table, _rows(more))
    assert not set(more) & set(ids)


def test_values_equal_but_written_differently_are_stored_as_sqlalchemy_stores_each(
    hub: Hub, table: sa.Table
) -> None:
    """SQLite's inserts convert each distinct value once (``bulk._memo``): the same instant in
    two zones, or a repeated date, must still come back as SQLAlchemy's own INSERT stores it."""
    utc = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    east = utc.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert utc == east
    values = [utc, east, utc, east]
    with write_transaction(hub.engine) as conn:
        ids = reserve_ids(conn, table, 2 * len(values))
        ours = [
            {"id": i, "day": dt.date(2024, 1, 1), "at": v}
            for i, v in zip(ids[:4], values, strict=True)
        ]
        insert_rows(conn, table, ours)
        theirs = [
            {"id": i, "day": dt.date(2024, 1, 1), "at": v}
            for i, v in zip(ids[4:], values, strict=True)
        ]
        conn.execute(table.insert(), theirs)
    at = sa.cast(table.c.at, sa.String)  # the text as stored, zone and all
    with hub.engine.connect() as conn:
        stored = dict(conn.execute(sa.select(table.c.id, at).order_by(table.c.id)).all())
    assert [stored[i] for i in ids[:4]] == [stored[i] for i in ids[4:]]


# Keys that jsonb would give back in another order (shorter first, then bytewise).
DOCUMENT = {"zeta": 1, "b": {"yy": [{"c2": 1, "c1": None}], "x": "a"}, "alpha": [3, {"k": 0}]}


@pytest.mark.parametrize("count", [1, FEW_ROWS + 1, 0])  # unnest INSERT; COPY; SQLAlchemy's
def test_a_plain_json_column_gives_documents_back_with_their_keys_in_order(
    hub: Hub, request: pytest.FixtureRequest, count: int
) -> None:
    assert key_order(jsonb_order(DOCUMENT)) != key_order(DOCUMENT)  # the test can fail
    table = sa.Table(
        f"t_plain_json_{count}",
        sa.MetaData(),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("doc", PlainJson, nullable=False),
        sa.Column("docs", PlainJson, nullable=False),
    )
    table.drop(hub.engine, checkfirst=True)
    table.create(hub.engine)
    request.addfinalizer(lambda: table.drop(hub.engine))
    with write_transaction(hub.engine) as conn:
        if count:
            ids = reserve_ids(conn, table, count)
            insert_rows(conn, table, [{"id": i, "doc": DOCUMENT, "docs": [DOCUMENT]} for i in ids])
        else:
            conn.execute(table.insert(), {"id": 1, "doc": {}, "docs": []})
            conn.execute(table.update(), {"doc": DOCUMENT, "docs": [DOCUMENT]})
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.doc, table.c.docs)).all()
    assert len(rows) == max(count, 1)
    for doc, docs in rows:
        assert doc == DOCUMENT and docs == [DOCUMENT]
        assert key_order(doc) == key_order(DOCUMENT)
        assert key_order(docs) == key_order([DOCUMENT])


@pytest.mark.postgres
def test_a_pipeline_sends_the_inserts_with_the_statements_around_them(
    hub: Hub, table: sa.Table
) -> None:
    with write_transaction(hub.engine) as conn:
        ids = reserve_ids(conn, table, 4)
        with raw_connection(conn).pipeline():
            insert_rows(conn, table, _rows(ids[:2]))
            insert_rows(conn, table, _rows(ids[2:]))
    with hub.engine.connect() as conn:
        assert sorted(conn.execute(sa.select(table.c.id)).scalars()) == sorted(ids)


def _fill_unanalysed(hub: Hub, table: sa.Table) -> None:
    with write_transaction(hub.engine) as conn:
        insert_rows(conn, table, _rows(reserve_ids(conn, table, 5)))
        conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))
    with hub.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))


def _last_analyze(hub: Hub, table: sa.Table) -> dt.datetime | None:
    with hub.engine.connect() as conn:
        return conn.execute(  # type: ignore[no-any-return]
            sa.text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = :t"),
            {"t": table.name},
        ).scalar()


@pytest.mark.postgres
def test_a_new_table_is_analysed_once_it_has_rows(hub: Hub, table: sa.Table) -> None:
    """Before its first ANALYZE the planner walks the wrong index for the duplicate look-ups:
    a table that was never analysed is analysed as soon as it has rows, not after 1,000."""
    assert refresh_statistics(hub.engine, table) is False  # empty: nothing to analyse
    _fill_unanalysed(hub, table)
    assert refresh_statistics(hub.engine, table) is True
    assert _last_analyze(hub, table) is not None


@pytest.mark.postgres
def test_a_table_another_process_is_analysing_is_not_analysed_again(
    hub: Hub, table: sa.Table
) -> None:
    """Every worker of ``jdx serve`` finds the table due at about the same moment: one of them
    analyses it, the others skip."""
    _fill_unanalysed(hub, table)
    with hub.engine.connect() as other:  # another process, in the middle of its ANALYZE
        other.execute(
            sa.text("SELECT pg_advisory_lock(:key)"), {"key": lock_key("analyze", table.name)}
        )
        try:
            assert refresh_statistics(hub.engine, table) is False
            assert _last_analyze(hub, table) is None
        finally:
            other.execute(
                sa.text("SELECT pg_advisory_unlock(:key)"),
                {"key": lock_key("analyze", table.name)},
            )
    assert refresh_statistics(hub.engine, table) is True


@pytest.mark.postgres
def test_the_web_services_statistics_check_does_not_wait_for_the_analyze(
    hub: Hub, table: sa.Table
) -> None:
    """The ANALYZE runs beside the requests: while it is held up (here by a lock on the table
    that it needs), the check that started it has returned."""
    _fill_unanalysed(hub, table)
    keeper = StatisticsKeeper(hub.engine, table, background=True)
    with hub.engine.connect() as blocker:
        blocker.execute(sa.text(f'LOCK TABLE "{table.name}" IN ACCESS EXCLUSIVE MODE'))
        caller = threading.Thread(target=keeper.check)
        caller.start()
        caller.join(timeout=60)  # an ANALYZE in the caller's thread would wait here for good
        returned = not caller.is_alive()
        assert _last_analyze(hub, table) is None
        blocker.rollback()
    assert returned
    keeper.wait()
    assert _last_analyze(hub, table) is not None
