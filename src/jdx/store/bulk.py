"""Many rows into one table at once, with their ids, as fast as each backend allows.

The ids are drawn first (:func:`reserve_ids`), so that a caller knows each row's id before it is
written (a duplicate within a batch names the DOJ record id of the first) and writes all rows
with one statement at the end. PostgreSQL: the table's sequence; then, for a few rows (the web
service's groups), one ``INSERT ... SELECT FROM unnest(...)`` whose text depends only on the
columns, so that psycopg prepares it once; for many rows COPY. A multi-row INSERT of a thousand
rows of sixteen columns made the driver rewrite a statement of sixteen thousand placeholders on
every call (measured: a third of a second per thousand stops); COPY streams the rows with no
statement to parse, but costs two round trips more than the ``unnest`` form. SQLite: the ids
SQLite would give (the largest plus one, the caller holding the write lock), and one prepared
INSERT run by the driver for every row (``executemany``), each value converted as SQLAlchemy
converts it. SQLAlchemy's multi-row INSERT ... RETURNING built and processed a statement per
call: 55 µs of a stop's 290.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

log = logging.getLogger(__name__)

# Rows up to which PostgreSQL takes one ``unnest`` INSERT rather than COPY.
FEW_ROWS = 200


class JsonText:
    """A JSON column's value serialized already (by ``store.engine.json_text``, in a batch
    file's worker process): :func:`insert_rows` stores the text as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def reserve_ids(conn: sa.Connection, table: sa.Table, n: int) -> list[int]:
    """``n`` new ids of ``table`` for rows this transaction is about to insert.

    On PostgreSQL ids drawn and not used are gaps, as a rolled-back insert leaves. On SQLite
    they are the largest id plus one onwards: ``write_transaction`` holds the database's write
    lock (BEGIN IMMEDIATE), so no other writer can take the same ids meanwhile; a rowid table
    (no AUTOINCREMENT) would give these very ids."""
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        return [new_id for (new_id,) in draw_ids(conn, table, n)]
    if conn.dialect.name == "sqlite" and not conn.in_transaction():
        raise RuntimeError("reserve_ids needs a write transaction on SQLite")
    last = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
    return list(range(int(last) + 1, int(last) + 1 + n))


def draw_ids(conn: sa.Connection, table: sa.Table, n: int) -> Any:
    """PostgreSQL: the driver's cursor that will yield ``n`` new ids as 1-tuples. Sent at once,
    read when iterated: inside ``raw_connection(conn).pipeline()`` it shares the round trip of
    the statements around it."""
    cursor = raw_connection(conn).cursor()
    sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
    cursor.execute(f"SELECT nextval({sequence}) FROM generate_series(1, %s)", [n])  # noqa: S608
    return cursor


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, all with the same keys (give them their ``id``s: :func:`reserve_ids`).

    On PostgreSQL the statement goes through the driver's own cursor, so that inside
    ``raw_connection(conn).pipeline()`` it is sent with the statements around it."""
    if not rows:
        return
    names = tuple(rows[0])
    if conn.dialect.name == "postgresql":
        if len(rows) > FEW_ROWS:
            _copy(conn, table, rows)
            return
        cursor = raw_connection(conn).cursor()
        cursor.execute(unnest_insert_sql(table, names), unnest_params(names, rows))
    elif conn.dialect.name == "sqlite":
        _sqlite_insert(conn, table, rows)
    else:
        conn.execute(table.insert(), list(rows))


def raw_connection(conn: sa.Connection) -> Any:
    """The driver's connection under ``conn``: the same connection, in the same transaction
    (typed ``Any``: psycopg's has COPY and pipelines, which the DBAPI type does not say)."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    return raw


@cache
def unnest_insert_sql(table: sa.Table, names: tuple[str, ...]) -> str:
    """PostgreSQL: one INSERT of any number of rows, one array parameter per column
    (:func:`unnest_params`); the same text for every call, so that the driver prepares it."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    arrays = ", ".join(
        f"CAST(%b AS {table.c[name].type.compile(dialect=dialect)}[])" for name in names
    )
    columns = ", ".join(f'"{table.c[name].name}"' for name in names)
    # Names and types from the table's definition, values as parameters: nothing from outside.
    return f'INSERT INTO "{table.name}" ({columns}) SELECT * FROM unnest({arrays})'  # noqa: S608


def unnest_params(names: Sequence[str], rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    return [[_cell(row[name]) for row in rows] for name in names]


def rows_matching(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    keys: Sequence[tuple[Any, ...]],
    selected: Sequence[sa.ColumnElement[Any]],
    *where: sa.ColumnElement[bool],
) -> Iterator[sa.Row[Any]]:
    """SQLite: the rows of ``table`` whose ``columns`` equal one of ``keys``, point lookups
    in one statement. (PostgreSQL answers a batch's look-ups with ``queries.ask_few``, one
    prepared statement that probes the right index per key.)

    The keys go as one JSON array (``json_each``), joined by CROSS JOIN, SQLite's way of fixing
    the join order, so that the keys are walked in the outer loop, one probe of the index each,
    and a look-up costs the same whatever the table's size. Given ``(a, b, c) IN (VALUES ...)``
    or a plain join, its planner walked every stop of the agency for each statement (measured,
    200,000 stops, 1,000 keys: 57 to 74 ms a statement against 1.8 ms), so that a batch file's
    duplicate look-ups grew with the table.
    """
    assert conn.dialect.name == "sqlite", "PostgreSQL: queries.ask_few"
    if not keys:
        return
    statement = _sqlite_matching(table, tuple(columns), tuple(selected), where)
    # orjson writes dates as ISO text, as SQLite stores them
    yield from conn.execute(statement, {"keys": orjson.dumps(keys).decode()})


class _CrossJoin(Join):
    """``left CROSS JOIN right ON ...``: on SQLite, ``left`` in the outer loop whatever the
    planner would choose (https://sqlite.org/optoverview.html#crossjoin)."""

    inherit_cache = True


@compiles(_CrossJoin, "sqlite")
def _cross_join(join: _CrossJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    left = compiler.process(join.left, **kw)
    right = compiler.process(join.right, **kw)
    return f"{left} CROSS JOIN {right} ON {compiler.process(join.onclause, **kw)}"


def _sqlite_matching(
    table: sa.Table,
    columns: tuple[str, ...],
    selected: tuple[sa.ColumnElement[Any], ...],
    where: tuple[sa.ColumnElement[bool], ...],
) -> sa.Select[Any]:
    keys = sa.func.json_each(sa.bindparam("keys")).table_valued("value").alias("wanted")
    on = sa.and_(
        *(
            table.c[name] == sa.func.json_extract(keys.c.value, f"$[{i}]")
            for i, name in enumerate(columns)
        )
    )
    return sa.select(*selected).select_from(_CrossJoin(keys, table, on)).where(*where)


def refresh_statistics(engine: sa.Engine, table: sa.Table) -> bool:
    """ANALYZE ``table`` on PostgreSQL when it changed much since its last analysis; whether
    it has statistics now.

    A table that grew from nothing (a new hub's first big file) still has the statistics of an
    empty table until autovacuum comes by, and the planner then walks the wrong index for every
    lookup of a chunk (measured: 70 ms instead of 1 ms per query). Autovacuum's own rule (10 % of
    the table changed) with a floor, so that a large, settled table is not analysed per file;
    and a table never analysed as soon as it has rows. Before its first analysis the planner
    takes every equality to select almost nothing, so that the agency's two-column prefix of one
    index looks as good as the full key of the other: the web service's duplicate look-ups then
    walk all of an agency's stops (measured: 4 ms a look-up at 5,600 stops, 0.05 ms after).

    One process at a time: the others, due at the same moment (every worker of ``jdx serve``
    keeps its own clock), skip it rather than analyse the table again right after.
    """
    if engine.dialect.name != "postgresql":
        return False  # and no transaction: on SQLite it would take the write lock for nothing
    from jdx.store.locks import lock_key  # locks imports this module

    with engine.begin() as conn:
        state = conn.execute(
            sa.text(
                "SELECT n_mod_since_analyze > greatest(1000, n_live_tup / 10) AS due, "
                "coalesce(last_analyze, last_autoanalyze) IS NOT NULL AS analysed, "
                "n_mod_since_analyze > 0 AS changed, "
                "pg_try_advisory_xact_lock(:key) AS mine "
                "FROM pg_stat_user_tables WHERE relid = CAST(:table AS regclass)"
            ),
            {"table": table.name, "key": lock_key("analyze", table.name)},
        ).first()
        if state is None:
            return False
        if state.mine and (state.due or (state.changed and not state.analysed)):
            conn.execute(sa.text(f'ANALYZE "{table.name}"'))
            return True
    return bool(state.analysed)


class StatisticsKeeper:
    """:func:`refresh_statistics` at most every ``seconds``, for a table a service keeps filling
    (each call is a query: once per request or job would be waste); every second while the
    table has never been analysed, so that a new hub's first records get statistics at once.

    ``background``: the check runs in a thread of its own, so that the caller never waits for
    it. The web service needs that: an ANALYZE of a stops table of 30,000 rows took 100 to 200
    ms, and the group of requests that found it due waited that long for its answers (served
    PostgreSQL p99 83-93 ms where the run without an ANALYZE in its window gave 35 ms). The
    case job step keeps it inline: it is background work already.
    """

    SOON = 1.0

    def __init__(
        self, engine: sa.Engine, table: sa.Table, seconds: float = 10.0, *, background: bool = False
    ) -> None:
        self.engine, self.table, self.seconds = engine, table, seconds
        self.background = background
        self._needed = engine.dialect.name == "postgresql"
        self._checked = float("-inf")
        self._analysed = False
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        moment = time.monotonic()
        if not self._needed or moment - self._checked < (
            self.seconds if self._analysed else self.SOON
        ):
            return
        self._checked = moment
        if not self.background:
            self._analysed = refresh_statistics(self.engine, self.table)
        elif self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._refresh, name=f"jdx-analyze-{self.table.name}", daemon=True
            )
            self._thread.start()

    def wait(self) -> None:
        """Until a check running in the background is done (tests, shutdown)."""
        if self._thread is not None:
            self._thread.join()

    def _refresh(self) -> None:
        try:
            self._analysed = refresh_statistics(self.engine, self.table)
        except Exception:  # the statistics wait for the next check; requests never see this
            log.warning("statistics of %s not refreshed", self.table.name, exc_info=True)


def _copy(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    names = list(rows[0])
    columns = ", ".join(f'"{table.c[name].name}"' for name in names)
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    cursor = raw_connection(conn).cursor()
    with cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_cell(row[name]) for name in names])


def _sqlite_insert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    names = list(rows[0])
    dialect = conn.dialect
    convert = [_bind_processor(table.c[name].type, dialect) for name in names]
    columns = ", ".join(f'"{table.c[name].name}"' for name in names)
    marks = ", ".join("?" * len(names))
    columns_values = []
    for name, f in zip(names, convert, strict=True):
        column = [row[name] for row in rows]
        if f is not None:
            json = isinstance(table.c[name].type, sa.JSON)
            column = list(map(f, column)) if json else _memo(f, column)
        columns_values.append(column)
    values = list(zip(*columns_values, strict=True))
    cursor = raw_connection(conn).cursor()
    try:
        # Names from the table's definition, values as parameters: nothing from outside.
        statement = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'  # noqa: S608
        cursor.executemany(statement, values)
    finally:
        cursor.close()


def _memo(convert: Callable[[Any], Any], column: list[Any]) -> list[Any]:
    """``convert`` of each value, once per distinct value: a chunk's rows share their
    timestamps and many dates, and SQLAlchemy's conversion of a date or a time to SQLite's text
    (``strftime``-like, in Python) was most of the 6 µs a row took to get its values ready
    (now 1). The key holds the value's type and time zone too, so that values equal but written
    differently (the same instant in two zones) are converted each."""
    done: dict[Any, Any] = {}
    out = []
    for value in column:
        key = (type(value), value, getattr(value, "tzinfo", None))
        try:
            got = done.get(key, _MISSING)
        except TypeError:  # a value that cannot be a key: converted each time
            got = convert(value)
        else:
            if got is _MISSING:
                got = done[key] = convert(value)
        out.append(got)
    return out


_MISSING = object()


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
