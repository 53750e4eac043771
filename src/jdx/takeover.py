"""Takeover: when a node of a hub on PostgreSQL dies, another one finishes its workflows.

DBOS (self-hosted, without DBOS Conductor) resumes at launch only the PENDING workflows of the
launching process's own executor id, ``JDX_NODE_ID``: a node that dies and does not come back
would hold its files and jobs in flight for ever. This is the hub's own sweep, one round every
``node_dead_seconds / 6`` on every node:

1. the node's heartbeat (``store/nodes.py``);
2. each node silent for longer than ``node_dead_seconds`` is claimed, by one node of those that
   look (a compare-and-set on its row), which asks DBOS to recover the dead node's PENDING
   workflows. DBOS puts each back on its own queue (ENQUEUED, ``reenqueue_for_recovery``) rather
   than running it in the claiming node, so any live node takes it, under the queue's usual
   limits; the claim's row lock is held until then (``store/nodes.py``).

Exactly once. A workflow's checkpointed steps are not run again, and DBOS lets one execution
record a step or an outcome: a recovered workflow gets a new owner token, and an execution that
lost it (the dead node, were it only slow) fails its next checkpoint instead of writing it. The
step that was running when the node died runs again, perhaps while a node that was only slow
still runs it too (the "zombie"): so every step of the hub is safe to run twice, even at once:

- a stop file's chunks are stored under the agency's advisory lock and a chunk already stored is
  skipped (``batch_files.store_chunk_in``); its answer files are written from the database under
  the same names, its mail queued once by key;
- a NamUs job's one step takes the agency's lock and creates only the cases still ``queued``,
  in the transaction that moves them on (``cases/process.py``); its mails are queued by key;
- a rap-sheet merge has no workflow and nothing in a node's memory: each portion and each
  time-out is one transaction on the ``rap_merge`` table, and every node runs the time-out
  sweep (``SKIP LOCKED``), so a merge whose node died is completed by the next portion,
  whichever node takes it, or by any node's sweep.

SQLite (the embedded default) is one node: nothing here runs there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from dbos import DBOS

import jdx
from jdx._periodic import Periodic
from jdx.hub import Hub
from jdx.store import nodes

log = logging.getLogger("jdx.nodes")
# Beats per dead time: a node is declared dead after missing five in a row, not one.
BEATS_PER_DEAD_TIME = 6
JOB = "node-takeover"  # the name of the round among the hub's periodic jobs


def recover_workflows(node_id: str) -> int:
    """Put the PENDING workflows of ``node_id`` (of this node's application version) back on
    their queues; returns how many. DBOS' own recovery for other executors, which its admin
    API's "workflow recovery" calls; it is idempotent: a workflow that a live node has dequeued
    since no longer carries the dead node's id and is left alone."""
    return len(DBOS._recover_pending_workflows([node_id]))


@dataclass
class Sweep:
    """One node's heartbeat and takeover round."""

    engine: sa.Engine
    node_id: str
    dead_after: float
    recover: Callable[[str], int] = recover_workflows
    workflow_version: Callable[[], str] = field(default=lambda: DBOS.application_version)

    def join(self) -> None:
        """The node's first beat, before DBOS launches: a takeover of its previous run that is
        still under way ends before this run dequeues a workflow (``store/nodes.py``)."""
        self._beat(starting=True)

    def _beat(self, *, starting: bool = False) -> None:
        with self.engine.begin() as conn:
            taken = nodes.beat(
                conn,
                self.node_id,
                version=jdx.__version__,
                workflow_version=None if starting else self.workflow_version(),
                starting=starting,
            )
        if taken is not None:
            # Killed, or silent so long (a pause, a partition) that it counted as dead: its
            # workflows of then run elsewhere now, and this node carries on with new work.
            log.warning(
                "node %s was taken over by %s at %s; its workflows in flight then were put "
                "back on their queues",
                self.node_id,
                taken.by,
                taken.at,
            )

    def round(self) -> dict[str, int]:
        """The heartbeat, then the takeover of every silent node; returns how many workflows
        were put back on their queues per node taken over in this round."""
        self._beat()
        with self.engine.connect() as conn:
            silent = nodes.silent(conn, self.node_id, self.dead_after, self.workflow_version())
        taken = {}
        for node in silent:
            recovered = self.take_over(node.node_id)
            if recovered is None:
                continue
            taken[node.node_id] = recovered
            if node.taken_over_by is None or recovered:
                log.warning(
                    "node %s took over node %s, silent for over %g s: %d workflow(s) put back "
                    "on their queues",
                    self.node_id,
                    node.node_id,
                    self.dead_after,
                    recovered,
                )
        return taken

    def take_over(self, node: str) -> int | None:
        """Claim ``node`` and recover its workflows in the claim's transaction; None when
        another node claimed it first or it beat again. A failed recovery undoes the claim,
        and the next round tries again."""
        with self.engine.begin() as conn:
            if not nodes.claim(conn, node, self.node_id, self.dead_after):
                return None
            return self.recover(node)


def sweep_of(hub: Hub) -> Sweep | None:
    """The node's sweep, or None where there is one node only (SQLite)."""
    if hub.engine.dialect.name != "postgresql":
        return None
    return Sweep(hub.engine, hub.settings.node_id, hub.settings.node_dead_seconds)


def join(hub: Hub) -> None:
    """Before DBOS launches: the node's row (see :meth:`Sweep.join`)."""
    sweep = sweep_of(hub)
    if sweep is not None:
        sweep.join()


def periodic(hub: Hub) -> Periodic | None:
    """Once DBOS has launched: the node's round (``Hub.start`` runs it with the other periodic
    jobs); None where there is one node only (SQLite)."""
    sweep = sweep_of(hub)
    if sweep is None:
        return None
    return Periodic(
        JOB,
        sweep.dead_after / BEATS_PER_DEAD_TIME,
        sweep.round,
        first_after=0.0,  # take over at once a node that died while none ran
        log=log.name,
    )
