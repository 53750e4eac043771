"""The stop exchange's SQL: its statements, built once; the look-ups the relational rules ask
for (``rules.py``): :class:`StoreLookups` for one record, and the :class:`~rules.Known`
snapshot of the stored stops a batch of new records could collide with (:func:`load`,
:func:`ask_few` and :func:`of_answer`, :func:`of_one`); and the writes
that are more than one statement: :func:`write_one`, and a group's two pipelined round trips
on PostgreSQL (:func:`look_up_pipelined`, :func:`store_pipelined`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from jdx.exchanges.stops.records import CoreAttributes
from jdx.exchanges.stops.rules import Held, Known, moment
from jdx.exchanges.stops.tables import stops
from jdx.security.keys import Principal
from jdx.store.bulk import draw_ids, insert_rows, raw_connection, rows_matching
from jdx.store.locks import lock_agency
from jdx.store.queries import audit_many
from jdx.store.tables import agencies

# How long the web service's shared group waits for an agency's lock before it is split
# (``StopService.submit_stops``): far above another worker's group (a few ms), far below a batch
# file's chunk.
BRIEF_LOCK_WAIT_MS = 50
LIMIT_LOCK_WAIT = f"SET LOCAL lock_timeout = '{BRIEF_LOCK_WAIT_MS}ms'"
FEW = 100  # records up to which load reads the stored ones a batch could collide with in IN lists

# Statements are built once: building a SQLAlchemy construct per call costs more than running
# it on SQLite. Values go in as bound parameters.
_p = sa.bindparam
FIND_BY_RECORD_ID = sa.select(stops.c.id, stops.c.status, stops.c.version).where(
    stops.c.realm == _p("realm"), stops.c.ori == _p("ori"), stops.c.lea_record_id == _p("lea")
)
FIND_SAME_STOP = (
    sa.select(stops.c.lea_record_id)
    .where(
        stops.c.realm == _p("realm"),
        stops.c.ori == _p("ori"),
        stops.c.officer_uid == _p("uid"),
        stops.c.stop_date == _p("day"),
        stops.c.stop_time == _p("time"),
    )
    .limit(1)
)
_HELD = (stops.c.id, stops.c.status, stops.c.version, stops.c.lea_record_id)
_SAME_STOP = FIND_SAME_STOP.with_only_columns(sa.literal(0).label("by_id"), *_HELD).subquery()
# Both duplicate checks of a new record in one round trip (the agency's lock is held meanwhile).
FIND_FOR_INSERT = sa.union_all(
    sa.select(sa.literal(1).label("by_id"), *_HELD).where(
        stops.c.realm == _p("realm"), stops.c.ori == _p("ori"), stops.c.lea_record_id == _p("lea")
    ),
    sa.select(*_SAME_STOP.c),
)
FIND_LEAS = sa.select(*_HELD).where(
    stops.c.realm == _p("realm"),
    stops.c.ori == _p("ori"),
    stops.c.lea_record_id.in_(_p("leas", expanding=True)),
)
FIND_MOMENTS = sa.select(
    stops.c.officer_uid, stops.c.stop_date, stops.c.stop_time, stops.c.lea_record_id
).where(
    stops.c.realm == _p("realm"),
    stops.c.ori == _p("ori"),
    stops.c.officer_uid.in_(_p("uids", expanding=True)),
    stops.c.stop_date.in_(_p("days", expanding=True)),
)
# Both duplicate checks of a few new records of one or more agencies, PostgreSQL
# (:func:`ask_few`): for each key a probe of the index made for it (LIMIT 1 keeps the planner
# from turning a probe into a join). Each row names the agency (realm, ORI) it answers for.
FIND_FEW_POSTGRES = """
SELECT k.realm, k.ori, 1, s.id, s.status, s.version, s.lea_record_id,
       NULL::varchar, NULL::date, NULL::varchar
FROM unnest(%(lrealms)b::varchar[], %(loris)b::varchar[], %(leas)b::varchar[]) AS k(realm, ori, lea)
CROSS JOIN LATERAL (
    SELECT id, status, version, lea_record_id FROM stops
    WHERE realm = k.realm AND ori = k.ori AND lea_record_id = k.lea LIMIT 1
) AS s
UNION ALL
SELECT k.realm, k.ori, 0, NULL, NULL, NULL, s.lea_record_id, k.uid, k.day, k.t
FROM unnest(%(mrealms)b::varchar[], %(moris)b::varchar[],
            %(uids)b::varchar[], %(days)b::date[], %(times)b::varchar[])
     AS k(realm, ori, uid, day, t)
CROSS JOIN LATERAL (
    SELECT lea_record_id FROM stops
    WHERE realm = k.realm AND ori = k.ori
      AND officer_uid = k.uid AND stop_date = k.day AND stop_time = k.t
    LIMIT 1
) AS s
"""
FIND_AGENCY = sa.select(agencies.c.id).where(agencies.c.ori == _p("ori"))
INSERT_STOP = stops.insert().returning(stops.c.id)
UPDATE_STOP = stops.update().where(stops.c.id == _p("doj_id"))
SELECT_STOP = sa.select(stops).where(
    stops.c.realm == _p("realm"), stops.c.ori == _p("ori"), stops.c.lea_record_id == _p("lea")
)


class StoreLookups:
    """:class:`rules.Lookups` answered by the database in the caller's transaction, for the
    records of one realm; ``snapshot``: for new records of a batch, the stored ones, read at
    once (else each new record reads its own with :func:`of_one`)."""

    def __init__(self, conn: sa.Connection, realm: str, snapshot: Known | None = None) -> None:
        self.conn = conn
        self.realm = realm
        self.snapshot = snapshot
        self.existing: Any = None  # the row an update applies to

    def is_agency(self, ori: str) -> bool:
        return self.conn.execute(FIND_AGENCY, {"ori": ori}).first() is not None

    def known(self, core: CoreAttributes) -> Known:
        if self.snapshot is not None:
            return self.snapshot
        return of_one(self.conn, self.realm, core)

    def stored_status(self, core: CoreAttributes) -> str | None:
        params = {"realm": self.realm, "ori": core.ori, "lea": core.lea_record_id}
        self.existing = row = self.conn.execute(FIND_BY_RECORD_ID, params).first()
        return None if row is None else row.status


def load(conn: sa.Connection, principal: Principal, cores: list[CoreAttributes]) -> Known:
    """The stored records a batch of new records (``cores``) could collide with.

    PostgreSQL: :func:`ask_few`'s one statement, prepared once, one probe of the right index
    per key, whatever the batch's size (plain ``IN`` lists walked the other index on a table
    never analysed: 4 ms a look-up at 5,600 stops; two joins with unnested arrays, built and
    planned per chunk, cost a 50,000-stop file 17.2 µs of the hub's CPU a stop against 9.7).
    SQLite: plain ``IN`` lists on the indexed columns for up to :data:`FEW` records (the web
    service's groups), :func:`bulk.rows_matching` for more (a batch file's chunk)."""
    if conn.dialect.name == "postgresql":
        return of_answer(ask_few(conn, [(principal, cores)]), [principal])[0]
    if len(cores) <= FEW:
        return _load_in_lists(conn, principal, cores)
    return _load_matching(conn, principal, cores)


def _load_matching(conn: sa.Connection, principal: Principal, cores: list[CoreAttributes]) -> Known:
    """SQLite, many records: two statements of point look-ups (``bulk.rows_matching``)."""
    known = Known()
    mine = [c for c in cores if c.ori == principal.ori]
    scope = (stops.c.realm == principal.realm, stops.c.ori == principal.ori)
    leas = sorted({(c.lea_record_id,) for c in mine if c.lea_record_id})
    held = (stops.c.lea_record_id, stops.c.id, stops.c.status, stops.c.version)
    for row in rows_matching(conn, stops, ["lea_record_id"], leas, held, *scope):
        known.by_lea[row.lea_record_id] = Held(row.id, row.status, row.version)
    moments = sorted(
        {m for m in map(moment, mine) if m[0] and m[1]}, key=lambda m: (m[0], m[1], m[2])
    )
    keyed = ["officer_uid", "stop_date", "stop_time"]
    found = (*(stops.c[name] for name in keyed), stops.c.lea_record_id)
    for row in rows_matching(conn, stops, keyed, moments, found, *scope):
        known.moments.setdefault((row.officer_uid, row.stop_date, row.stop_time), row.lea_record_id)
    return known


def _load_in_lists(conn: sa.Connection, principal: Principal, cores: list[CoreAttributes]) -> Known:
    """SQLite, a few records: ``IN`` lists on the indexed columns."""
    known = Known()
    mine = [c for c in cores if c.ori == principal.ori]
    scope = {"realm": principal.realm, "ori": principal.ori}
    leas = sorted({c.lea_record_id for c in mine if c.lea_record_id})
    if leas:
        for row in conn.execute(FIND_LEAS, {**scope, "leas": leas}):
            known.by_lea[row.lea_record_id] = Held(row.id, row.status, row.version)
    moments = {m for m in map(moment, mine) if m[0] and m[1]}
    if moments:
        uids = sorted({m[0] for m in moments if m[0]})
        days = sorted({m[1] for m in moments if m[1]})
        for row in conn.execute(FIND_MOMENTS, {**scope, "uids": uids, "days": days}):
            found = (row.officer_uid, row.stop_date, row.stop_time)
            if found in moments:
                known.moments.setdefault(found, row.lea_record_id)
    return known


def ask_few(conn: sa.Connection, asks: Sequence[tuple[Principal, list[CoreAttributes]]]) -> Any:
    """PostgreSQL: both duplicate look-ups of a few records of each agency asked for, in one
    statement sent at once; its answer (the driver's cursor) read by :func:`of_answer`. One
    probe of the right index per key; its text is the same for every group, so that the driver
    prepares it. (One statement an agency cost a group of 16 requests of 8 agencies 3.2 ms of
    CPU, against 1.9 ms for 16 of one agency.)"""
    leas: set[tuple[str, str, str]] = set()
    moments: set[tuple[str, str, str | None, dt.date | None, str]] = set()
    for principal, cores in asks:
        scope = (principal.realm, principal.ori)
        mine = [c for c in cores if c.ori == principal.ori]
        leas.update((*scope, c.lea_record_id) for c in mine if c.lea_record_id)
        moments.update((*scope, *m) for m in map(moment, mine) if m[0] and m[1])
    by_lea = sorted(leas)
    by_moment = sorted(moments, key=repr)
    cursor = raw_connection(conn).cursor()
    cursor.execute(
        FIND_FEW_POSTGRES,
        {
            "lrealms": [k[0] for k in by_lea],
            "loris": [k[1] for k in by_lea],
            "leas": [k[2] for k in by_lea],
            "mrealms": [k[0] for k in by_moment],
            "moris": [k[1] for k in by_moment],
            "uids": [k[2] for k in by_moment],
            "days": [k[3] for k in by_moment],
            "times": [k[4] for k in by_moment],
        },
    )
    return cursor


def of_answer(cursor: Any, principals: Sequence[Principal]) -> list[Known]:
    """What :func:`ask_few` found, one :class:`Known` per principal asked for, in order."""
    knowns = {(p.realm, p.ori): Known() for p in principals}
    for realm, ori, by_id, doj_id, status, version, lea, uid, day, time in cursor:
        known = knowns[realm, ori]
        if by_id:
            known.by_lea[lea] = Held(doj_id, status, version)
        else:
            known.moments.setdefault((uid, day, time), lea)
    return [knowns[p.realm, p.ori] for p in principals]


def of_one(conn: sa.Connection, realm: str, core: CoreAttributes) -> Known:
    """What one new record could collide with, in one statement (both duplicate checks)."""
    known = Known()
    key = moment(core)
    params: dict[str, Any] = {"realm": realm, "ori": core.ori, "lea": core.lea_record_id}
    params.update(uid=key[0], day=key[1], time=key[2])
    for row in conn.execute(FIND_FOR_INSERT, params):
        if row.by_id:
            known.by_lea[row.lea_record_id] = Held(row.id, row.status, row.version)
        else:
            known.moments[key] = row.lea_record_id
    return known


def write_one(conn: sa.Connection, values: dict[str, Any], existing: Any) -> int:
    """INSERT the row of a new record (``existing`` None) or UPDATE the stored ``existing``
    (its version one up); the stop's id."""
    if existing is None:
        return int(conn.execute(INSERT_STOP, values).scalar_one())
    conn.execute(UPDATE_STOP, {**values, "doj_id": existing.id, "version": existing.version + 1})
    return int(existing.id)


def look_up_pipelined(
    conn: sa.Connection,
    asks: Sequence[tuple[Principal, list[CoreAttributes]]],
    new: int,
    brief_lock_wait: bool,
) -> tuple[list[Known], Iterator[int]]:
    """PostgreSQL, the first round trip of a group of new records (``StopService.submit_stops``):
    the agencies' locks (``asks`` in lock order), the duplicate look-ups and ``new`` ids sent
    together (psycopg's pipeline: the server runs each statement in turn, each with a snapshot
    of its own, so that the look-ups see everything committed before the lock was granted).
    One statement after another, a group took seven round trips, and on this machine a round
    trip to a server on the same two cores costs 0.4 to 0.9 ms, most of a group's time
    (measured, see docs/benchmarks.md). ``brief_lock_wait``: each lock waited for
    :data:`BRIEF_LOCK_WAIT_MS` at most."""
    raw = raw_connection(conn)
    with raw.pipeline():
        if brief_lock_wait:
            raw.execute(LIMIT_LOCK_WAIT)
        for principal, _ in asks:
            lock_agency(conn, principal.realm, principal.ori)
        asked = ask_few(conn, asks)
        drawn = draw_ids(conn, stops, new)
        knowns = of_answer(asked, [principal for principal, _ in asks])
        ids = iter([new_id for (new_id,) in drawn])
    return knowns, ids


def store_pipelined(
    conn: sa.Connection, rows: list[dict[str, Any]], audits: list[dict[str, Any]]
) -> None:
    """PostgreSQL, the second round trip of a group of new records: the INSERTs of the stops
    and of their audit records, and the commit."""
    raw = raw_connection(conn)
    with raw.pipeline():
        insert_rows(conn, stops, rows)
        audit_many(conn, audits)
        # The commit in the same round trip; nothing follows it here, and the commit
        # ``write_transaction`` makes next finds nothing left to commit (psycopg's own rule
        # for a connection with no transaction open).
        raw.commit()
