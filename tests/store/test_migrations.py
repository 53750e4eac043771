"""Migrations: up and down on an empty database, and no drift between code and history."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from jdx.exchanges.stops.tables import stops
from jdx.hub import Hub
from jdx.settings import Settings
from jdx.store import schema
from jdx.store.engine import create_engine


def test_migrated_database_matches_the_tables_in_code(hub: Hub) -> None:
    assert schema.current_revision(hub.engine) == schema.head_revision()
    assert schema.drift(hub.engine, hub.metadata) == []


def test_upgrade_and_downgrade_on_a_fresh_sqlite_file(
    hub: Hub, settings: Settings, tmp_path_factory: Any
) -> None:
    fresh = settings.model_copy(
        update={"data_dir": tmp_path_factory.mktemp("fresh"), "database_url": ""}
    )
    engine = create_engine(fresh)
    schema.upgrade(engine)
    assert "stops" in sa.inspect(engine).get_table_names()
    schema.downgrade(engine, "base")
    assert "stops" not in sa.inspect(engine).get_table_names()
    schema.upgrade(engine)
    assert schema.drift(engine, hub.metadata) == []
    engine.dispose()


def _fresh_engine(settings: Settings, tmp_path_factory: Any, dialect: str) -> sa.Engine:
    """An empty database of its own: a SQLite file, or a PostgreSQL database made for the test."""
    if dialect == "sqlite":
        fresh = settings.model_copy(
            update={"data_dir": tmp_path_factory.mktemp("fresh"), "database_url": ""}
        )
        return create_engine(fresh)
    url = sa.make_url(settings.effective_database_url)
    name = f"{url.database}_mig"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return create_engine(
        settings.model_copy(
            update={"database_url": url.set(database=name).render_as_string(hide_password=False)}
        )
    )


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_0008_keeps_published_cases_published_and_goes_down_and_up(
    hub: Hub, settings: Settings, tmp_path_factory: Any, dialect: str
) -> None:
    engine = _fresh_engine(settings, tmp_path_factory, dialect)
    schema.upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO agencies (ori, name, emails, active, created_at) "
                "VALUES ('MG0000001', 'm', '[]', true, CURRENT_TIMESTAMP)"
            )
        )
        for n, published in ((1, True), (2, False)):
            conn.execute(
                sa.text(
                    "INSERT INTO cases (id, case_type, agency_id, realm, client_case_number, "
                    "state, region, published, record, created_at, updated_at) VALUES (:id, 'MP', "
                    "1, 'prod', :n, 'CA', 'region-9', :p, '{}', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                ),
                {"id": n, "n": f"C-{n}", "p": published},
            )
    schema.upgrade(engine)
    with engine.connect() as conn:
        states = dict(conn.execute(sa.text("SELECT id, review_state FROM cases ORDER BY id")).all())
    assert states == {1: "published", 2: "pending"}
    tables = set(sa.inspect(engine).get_table_names())
    assert {"users", "user_regions", "regions", "case_edits", "case_contributors"} <= tables
    schema.downgrade(engine, "0007")
    inspector = sa.inspect(engine)
    assert "users" not in inspector.get_table_names()
    assert "review_state" not in {c["name"] for c in inspector.get_columns("cases")}
    schema.upgrade(engine)
    assert schema.drift(engine, hub.metadata) == []
    engine.dispose()


@pytest.mark.postgres
def test_stop_records_are_compressed_with_lz4_where_the_server_has_it(hub: Hub) -> None:
    with hub.engine.connect() as conn:
        methods = conn.execute(
            sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar()
        method = conn.execute(
            sa.text(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'stops'::regclass AND attname = 'record'"
            )
        ).scalar()
    assert method == ("l" if "lz4" in methods else "")


def _columns(engine: sa.Engine, table: str, *names: str) -> dict[str, tuple[str, str]]:
    """PostgreSQL: some columns' type and compression method."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT attname, format_type(atttypid, atttypmod), attcompression "
                "FROM pg_attribute WHERE attrelid = CAST(:table AS regclass) "
                "AND attname = ANY(:names)"
            ),
            {"table": table, "names": list(names)},
        ).all()
    return {name: (kind, method) for name, kind, method in rows}


def _json_values(row: Any) -> list[Any]:
    """JSON columns read by plain SQL: parsed by the driver (PostgreSQL), or text (SQLite)."""
    return [orjson.loads(v) if isinstance(v, str) else v for v in row]


def _stop_columns(engine: sa.Engine) -> dict[str, tuple[str, str]]:
    """PostgreSQL: stops.record's and stops.issues's type and compression method."""
    return _columns(engine, "stops", "record", "issues")


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_0011_stores_stops_as_json_keeps_them_and_goes_down_and_up(
    hub: Hub, settings: Settings, tmp_path_factory: Any, dialect: str
) -> None:
    engine = _fresh_engine(settings, tmp_path_factory, dialect)
    schema.upgrade(engine, "0010")
    record = {"ORI": "MG0000001", "Officer": {"UID": "U1", "Age": "30"}, "List": [{"b": 1}]}
    issues = [{"code": "DV100", "severity": "error", "field": "SDur"}]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO stops (id, realm, ori, lea_record_id, officer_uid, stop_date, "
                "stop_time, dictionary_id, status, record, issues, channel, version, created_at, "
                "updated_at) VALUES (1, 'prod', 'MG0000001', 'L1', 'U1', '2024-01-01', "
                "'10:00:00', '2024', 'Submitted with Errors', :record, :issues, 'http', 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"record": orjson.dumps(record).decode(), "issues": orjson.dumps(issues).decode()},
        )
    before = _stop_columns(engine) if dialect == "postgresql" else {}
    schema.upgrade(engine)
    assert schema.drift(engine, hub.metadata) == []
    if dialect == "postgresql":
        after = _stop_columns(engine)
        assert {name: kind for name, (kind, _) in after.items()} == {
            "record": "json",
            "issues": "json",
        }
        assert after["record"][1] == before["record"][1]  # lz4 (0010) where the server has it
    with engine.connect() as conn:
        row = conn.execute(sa.select(stops.c.record, stops.c.issues)).one()
    assert (row.record, row.issues) == (record, issues)
    schema.downgrade(engine, "0010")
    if dialect == "postgresql":
        assert _stop_columns(engine) == before
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT record, issues FROM stops")).one()
    assert _json_values(stored) == [record, issues]
    schema.upgrade(engine)
    assert schema.drift(engine, hub.metadata) == []
    engine.dispose()


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_0020_keeps_stop_files_error_rows_as_json_and_goes_down_and_up(
    hub: Hub, settings: Settings, tmp_path_factory: Any, dialect: str
) -> None:
    """A file's error rows survive 0020 (jsonb to json on PostgreSQL) both ways; after it, a
    record as sent may hold U+0000, which jsonb refused."""
    engine = _fresh_engine(settings, tmp_path_factory, dialect)
    schema.upgrade(engine, "0019")
    source = {"columns": ["ORI", "LEARecordID"], "rows": [["MG0000001", "L1"]]}
    issues = [{"code": "DV002", "severity": "fatal", "field": "LEARecordID"}]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO agencies (id, ori, name, emails, active, created_at) "
                "VALUES (1, 'MG0000001', 'm', '[]', true, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO stop_files (id, realm, agency_id, ori, file_name, channel, format, "
                "size, sha256, state, received_at) VALUES (1, 'prod', 1, 'MG0000001', 'f.csv', "
                "'sftp', 'csv', 1, '', 'done', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO stop_file_errors (file_id, seq, rows, lea_record_id, fatal, issues, "
                "source) VALUES (1, 1, '2', 'L1', true, :issues, :source)"
            ),
            {"issues": orjson.dumps(issues).decode(), "source": orjson.dumps(source).decode()},
        )

    def kinds() -> dict[str, str]:
        found = _columns(engine, "stop_file_errors", "issues", "source")
        return {name: kind for name, (kind, _) in found.items()}

    def stored() -> list[Any]:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT issues, source FROM stop_file_errors")).one()
        return _json_values(row)

    schema.upgrade(engine)
    assert schema.drift(engine, hub.metadata) == []
    assert stored() == [issues, source]
    if dialect == "postgresql":
        assert kinds() == {"issues": "json", "source": "json"}
    with engine.begin() as conn:  # U+0000 in a record as sent
        conn.execute(
            sa.text("UPDATE stop_file_errors SET source = :source"),
            {"source": orjson.dumps({"\u0000k": "a\u0000"}).decode()},
        )
    assert stored()[1] == {"\u0000k": "a\u0000"}
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE stop_file_errors SET source = :source"),
            {"source": orjson.dumps(source).decode()},
        )
    schema.downgrade(engine, "0019")
    if dialect == "postgresql":
        assert kinds() == {"issues": "jsonb", "source": "jsonb"}
    assert stored() == [issues, source]
    schema.upgrade(engine)
    assert schema.drift(engine, hub.metadata) == []
    engine.dispose()


def _new_merge(conn: sa.Connection, n: int) -> int:
    """A Rap-Merge entry with the id the database gives it, and its ``notified`` log row."""
    merge_id = int(
        conn.execute(
            sa.text(
                "INSERT INTO rap_merge (merge_key, requester_ori, sid_numbers, notifier_ori, kind, "
                "expected, received, state, created_at, deadline_at) VALUES (:key, 'MG0000001', "
                "'[]', 'DCFBIWA00', 'E', '[]', '[]', 'waiting', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP) RETURNING id"
            ),
            {"key": f"MG0000001|{n}|"},
        ).scalar_one()
    )
    conn.execute(
        sa.text(
            "INSERT INTO rap_delivery_log (event, transaction_type, merge_id, originating_id, "
            "destination_id, logged_at) VALUES ('notified', 'EL01', :id, 'DCFBIWA00', "
            "'MG0000001', CURRENT_TIMESTAMP)"
        ),
        {"id": merge_id},
    )
    return merge_id


def _complete(conn: sa.Connection, merge_id: int) -> None:
    conn.execute(sa.text("DELETE FROM rap_merge WHERE id = :id"), {"id": merge_id})


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_0014_never_hands_out_a_merge_id_twice_and_goes_down_and_up(
    hub: Hub, settings: Settings, tmp_path_factory: Any, dialect: str
) -> None:
    engine = _fresh_engine(settings, tmp_path_factory, dialect)
    schema.upgrade(engine, "0013")
    with engine.begin() as conn:
        first, second = _new_merge(conn, 1), _new_merge(conn, 2)
        _complete(conn, second)  # delivered: its id is only in the log now
    schema.upgrade(engine)
    assert schema.drift(engine, hub.metadata) == []
    ids = [first, second]
    for n in range(3, 6):  # merges run to completion one after the other
        with engine.begin() as conn:
            ids.append(_new_merge(conn, n))
            _complete(conn, ids[-1])
    assert len(set(ids)) == 5 and ids[2:] == sorted(ids[2:]) and min(ids[2:]) > second
    with engine.connect() as conn:
        logged = conn.execute(sa.text("SELECT merge_id FROM rap_delivery_log")).scalars().all()
        kept = conn.execute(sa.text("SELECT id FROM rap_merge")).scalars().all()
    assert sorted(logged) == sorted(ids) and kept == [first]  # the open entry kept its id
    schema.downgrade(engine, "0013")
    schema.upgrade(engine)
    with engine.begin() as conn:
        assert _new_merge(conn, 6) > max(ids)
    assert schema.drift(engine, hub.metadata) == []
    engine.dispose()


def _delivery(conn: sa.Connection, message_id: str, sender: str | None) -> None:
    """An outbox row made before 0015 and, when ``sender`` is given, its ``delivered`` log row."""
    conn.execute(
        sa.text(
            "INSERT INTO rap_outbox (receiver_ori, message_id, format, content_type, body, "
            "created_at) VALUES ('MG0000001', :id, 'plain-text', 'text/plain', :body, "
            "CURRENT_TIMESTAMP)"
        ),
        {"id": message_id, "body": b"TEXT"},
    )
    if sender is not None:
        conn.execute(
            sa.text(
                "INSERT INTO rap_delivery_log (event, transaction_type, originating_id, "
                "destination_id, message_id, logged_at) VALUES ('delivered', 'STDRAP', :sender, "
                "'MG0000001', :id, CURRENT_TIMESTAMP)"
            ),
            {"id": message_id, "sender": sender},
        )


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_0015_names_the_sender_of_existing_deliveries_and_goes_down_and_up(
    hub: Hub, settings: Settings, tmp_path_factory: Any, dialect: str
) -> None:
    engine = _fresh_engine(settings, tmp_path_factory, dialect)
    schema.upgrade(engine, "0014")
    with engine.begin() as conn:
        _delivery(conn, "forwarded", "TX0000000")
        _delivery(conn, "merged", "JDX")
        _delivery(conn, "unlogged", None)
    schema.upgrade(engine, "0015")  # not the head since 0016: drift is checked at the head below
    with engine.connect() as conn:
        senders = dict(conn.execute(sa.text("SELECT message_id, sender_ori FROM rap_outbox")).all())
        registry = conn.execute(sa.text("SELECT count(*) FROM rap_responders")).scalar_one()
    assert senders == {"forwarded": "TX0000000", "merged": "JDX", "unlogged": "UNKNOWN"}
    assert registry == 0  # the operator registers the states' responders
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        _delivery(conn, "no sender", None)  # every delivery from now on names its sender
    schema.downgrade(engine, "0014")
    assert "rap_responders" not in sa.inspect(engine).get_table_names()
    schema.upgrade(engine)
    assert schema.drift(engine, hub.metadata) == []
    engine.dispose()
