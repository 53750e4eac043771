"""The nodes of a hub on PostgreSQL: each one's heartbeat, and the claim on a dead one's work.

A node (a ``jdx serve`` with its own ``JDX_NODE_ID``) has one row in ``nodes``, whose
``last_seen_at`` it writes every few seconds (:func:`beat`). A node silent for longer than the
dead time is claimed by one other node (:func:`claim`), which then recovers the dead node's
workflows (``takeover.py``); the row says who took it over and when, until the node beats again.

Every time here is the database's clock (``now()``), never a node's: two hosts whose clocks
disagree by a minute still agree on which node is late.

The claim is a compare-and-set on the row, so of several live nodes exactly one takes a dead
node over, and the caller keeps the row locked until its recovery is done: a node that starts
again meanwhile waits in its first :func:`beat` for that, and so never has a workflow it just
started taken from it. PostgreSQL only: on SQLite (one node) there is nothing to take over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from jdx.store.tables import nodes


@dataclass(frozen=True, slots=True)
class TakenOver:
    """Who last took a node over, and when: what the node learns at its next beat."""

    by: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Silent:
    """A node past the dead time, and who took it over before (None: nobody yet)."""

    node_id: str
    taken_over_by: str | None


def beat(
    conn: sa.Connection,
    node_id: str,
    *,
    version: str,
    workflow_version: str | None = None,
    starting: bool = False,
) -> TakenOver | None:
    """The heartbeat of a live node (``starting``: its first, which also sets ``started_at``);
    returns who took the node over since its last beat, if anyone. Waits while another node
    holds the row for a takeover (see the module's note)."""
    before = conn.execute(
        sa.select(nodes.c.taken_over_by, nodes.c.taken_over_at)
        .where(nodes.c.node_id == node_id)
        .with_for_update()
    ).first()
    values: dict[str, Any] = {"version": version, "last_seen_at": sa.func.now()}
    if workflow_version is not None:
        values["workflow_version"] = workflow_version
    if starting:
        values["started_at"] = sa.func.now()
    insert = postgresql.insert(nodes).values(
        {"node_id": node_id, "started_at": sa.func.now(), **values}
    )
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[nodes.c.node_id],
            set_={**values, "taken_over_by": None, "taken_over_at": None},
        )
    )
    if before is None or before.taken_over_by is None:
        return None
    return TakenOver(before.taken_over_by, before.taken_over_at)


def _silent(dead_after: float) -> sa.ColumnElement[bool]:
    """Silent for longer than ``dead_after`` seconds, and not taken over in that time: a node
    still silent a dead time after its takeover is swept again, for what its first sweep left
    (a recovery that failed half-way, a workflow it dequeued between a pause and its death)."""
    before = sa.func.now() - sa.literal(dt.timedelta(seconds=dead_after))
    return sa.and_(
        nodes.c.last_seen_at < before,
        sa.or_(nodes.c.taken_over_at.is_(None), nodes.c.taken_over_at < before),
    )


def silent(
    conn: sa.Connection, node_id: str, dead_after: float, workflow_version: str
) -> list[Silent]:
    """The nodes other than ``node_id`` to take over, whose workflows a node running
    ``workflow_version`` can run (a node that died before its first beat after DBOS' launch
    wrote no version, and is taken as one that can)."""
    same = sa.or_(nodes.c.workflow_version == workflow_version, nodes.c.workflow_version.is_(None))
    rows = conn.execute(
        sa.select(nodes.c.node_id, nodes.c.taken_over_by)
        .where(nodes.c.node_id != node_id, _silent(dead_after), same)
        .order_by(nodes.c.last_seen_at)
    )
    return [Silent(r.node_id, r.taken_over_by) for r in rows]


def claim(conn: sa.Connection, node: str, by: str, dead_after: float) -> bool:
    """Take ``node`` over for ``by`` if it is still silent and no other node has just done so:
    True for exactly one of the nodes that try. The row stays locked until the caller's
    transaction ends."""
    claimed = conn.execute(
        nodes.update()
        .where(nodes.c.node_id == node, _silent(dead_after))
        .values(taken_over_by=by, taken_over_at=sa.func.now())
    )
    return bool(claimed.rowcount)
