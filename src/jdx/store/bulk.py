"""Many rows into one table at once, with their new ids, as fast as each backend allows.

PostgreSQL: COPY, with the ids drawn from the table's sequence first. A multi-row INSERT of a
thousand rows of sixteen columns makes the driver rewrite a statement of sixteen thousand
placeholders on every call (measured: a third of a second per thousand stops); COPY streams the
rows with no statement to parse. SQLite: the ids that SQLite would give (the largest plus one,
the caller holding the write lock), and one prepared INSERT run by the driver for every row
(``executemany``), each value converted as SQLAlchemy converts it. SQLAlchemy's multi-row
INSERT ... RETURNING built and processed a statement per call: 55 µs of a stop's 290.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

# Keys per lookup statement: SQLite limits the parameters of one statement.
PART = 500


class JsonText:
    """A JSON column's value serialized already (by ``store.engine.json_text``, in a batch
    file's worker process): :func:`insert_rows` stores the text as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (all with the same keys) into ``table``; the new ids, in row order."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, rows)
    if conn.dialect.name == "sqlite":
        return _sqlite_insert(conn, table, rows)
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(conn.execute(statement, list(rows)).scalars())


def rows_matching(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    keys: Sequence[tuple[Any, ...]],
    selected: Sequence[sa.ColumnElement[Any]],
    *where: sa.ColumnElement[bool],
) -> Iterator[sa.Row[Any]]:
    """The rows of ``table`` whose ``columns`` equal one of ``keys``: point lookups, batched.

    PostgreSQL joins the table with the keys as arrays unnested (one parameter per column, a
    probe of the index per key). ``col IN (...) AND col2 IN (...)`` would make the index scan
    try every combination of the lists (measured: 300 ms for 500 officers on 300 days).
    SQLite takes the row values in an IN list.
    """
    for start in range(0, len(keys), PART):
        part = keys[start : start + PART]
        if conn.dialect.name == "postgresql":
            names = [f"k{i}" for i in range(len(columns))]
            arrays = [
                sa.literal([key[i] for key in part], ARRAY(table.c[name].type))
                for i, name in enumerate(columns)
            ]
            wanted = sa.func.unnest(*arrays).table_valued(*names).render_derived()
            on = sa.and_(*(table.c[c] == wanted.c[n] for c, n in zip(columns, names, strict=True)))
            statement = sa.select(*selected).select_from(table.join(wanted, on)).where(*where)
        else:
            row = sa.tuple_(*(table.c[c] for c in columns))
            statement = sa.select(*selected).where(*where, row.in_(list(part)))
        yield from conn.execute(statement)


def refresh_statistics(engine: sa.Engine, table: sa.Table) -> bool:
    """ANALYZE ``table`` on PostgreSQL when it changed much since its last analysis.

    A table that grew from nothing (a new hub's first big file) still has the statistics of an
    empty table until autovacuum comes by, and the planner then walks the wrong index for every
    lookup of a chunk (measured: 70 ms instead of 1 ms per query). Autovacuum's own rule (10 % of
    the table changed) with a floor, so that a large, settled table is not analysed per file.
    """
    if engine.dialect.name != "postgresql":
        return False  # and no transaction: on SQLite it would take the write lock for nothing
    with engine.begin() as conn:
        changed = conn.execute(
            sa.text(
                "SELECT n_mod_since_analyze > greatest(1000, n_live_tup / 10) "
                "FROM pg_stat_user_tables WHERE relid = CAST(:table AS regclass)"
            ),
            {"table": table.name},
        ).scalar()
        if changed:
            conn.execute(sa.text(f'ANALYZE "{table.name}"'))
    return bool(changed)


class StatisticsKeeper:
    """:func:`refresh_statistics` at most every ``seconds``, for a table a service keeps filling
    (each call is a query: once per request or job would be waste)."""

    def __init__(self, engine: sa.Engine, table: sa.Table, seconds: float = 10.0) -> None:
        self.engine, self.table, self.seconds = engine, table, seconds
        self._checked = 0.0

    def check(self) -> None:
        moment = time.monotonic()
        if moment - self._checked >= self.seconds:
            self._checked = moment
            refresh_statistics(self.engine, self.table)


def _copy(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    ids = list(
        conn.execute(
            sa.text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table.name, "n": len(rows)},
        ).scalars()
    )
    names = list(rows[0])
    columns = ", ".join(f'"{table.c[name].name}"' for name in ["id", *names])
    raw = conn.connection.dbapi_connection  # the same connection, in the same transaction
    assert raw is not None
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    cursor: Any = raw.cursor()  # psycopg's, which has COPY; the DBAPI type does not say so
    with cursor, cursor.copy(statement) as copy:
        for new_id, row in zip(ids, rows, strict=True):
            copy.write_row([new_id, *(_cell(row[name]) for name in names)])
    return ids


def _sqlite_insert(
    conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Rows with the ids SQLite would assign: a rowid table (no AUTOINCREMENT) gives the
    largest id plus one, and ``write_transaction`` holds the database's write lock (BEGIN
    IMMEDIATE), so no other writer can take the same ids meanwhile."""
    if not conn.in_transaction():
        raise RuntimeError("insert_rows needs a write transaction on SQLite")
    last = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
    ids = list(range(int(last) + 1, int(last) + 1 + len(rows)))
    names = list(rows[0])
    dialect = conn.dialect
    convert = [_bind_processor(table.c[name].type, dialect) for name in names]
    columns = ", ".join(f'"{table.c[name].name}"' for name in ["id", *names])
    marks = ", ".join("?" * (len(names) + 1))
    values = [
        (new_id, *(f(row[n]) if f else row[n] for n, f in zip(names, convert, strict=True)))
        for new_id, row in zip(ids, rows, strict=True)
    ]
    raw = conn.connection.dbapi_connection  # the same connection, in the same transaction
    assert raw is not None
    cursor = raw.cursor()
    try:
        # Names from the table's definition, values as parameters: nothing from outside.
        statement = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'  # noqa: S608
        cursor.executemany(statement, values)
    finally:
        cursor.close()
    return ids


def _bind_processor(kind: Any, dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    """SQLAlchemy's conversion of a column's values; a JSON column's passes JsonText through."""
    convert = kind.dialect_impl(dialect).bind_processor(dialect)
    if convert is None or not isinstance(kind, sa.JSON):
        return convert  # type: ignore[no-any-return]
    return lambda value: value.text if type(value) is JsonText else convert(value)


def _cell(value: Any) -> Any:
    """JSON columns take their text; every other value is adapted by the driver."""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if type(value) is JsonText:
        return value.text
    return value
