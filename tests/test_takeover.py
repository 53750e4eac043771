"""Heartbeats and the claim on a dead node (``store/nodes.py``, ``takeover.py``) on PostgreSQL.

The recovery DBOS would run is replaced by a recorder: what is checked here is which node
takes which over, when, and how often. ``tests/test_takeover_serve.py`` runs real nodes that
die for real, with DBOS' recovery.

Each test gives its sweeps a workflow version of its own, so that the nodes other tests left
silent in the worker's database are not theirs to take over.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from jdx import takeover
from jdx.hub import Hub
from jdx.store.tables import nodes

postgres = pytest.mark.postgres
_runs = itertools.count(1)
DEAD_AFTER = 30.0


@pytest.fixture
def names(hub: Hub) -> Iterator[Callable[[int], list[str]]]:
    """Node names of this test's own, whose rows are deleted after it (a silent node left
    behind would be another test's to take over)."""
    run = next(_runs)
    made: list[str] = []

    def make(n: int) -> list[str]:
        made.extend(f"t{run}-node{i}" for i in range(len(made) + 1, len(made) + n + 1))
        return made[-n:]

    yield make
    with hub.engine.begin() as conn:
        conn.execute(nodes.delete().where(nodes.c.node_id.in_(made)))


class Recorder:
    """Stands for DBOS' recovery: notes each node recovered, and recovers ``found`` each."""

    def __init__(self, found: int = 2) -> None:
        self.calls: list[str] = []
        self.found = found

    def __call__(self, node: str) -> int:
        self.calls.append(node)
        return self.found


def sweep(hub: Hub, node: str, version: str, recover: Callable[[str], int]) -> takeover.Sweep:
    return takeover.Sweep(hub.engine, node, DEAD_AFTER, recover, lambda: version)


def silence(hub: Hub, node: str, seconds: float = 3 * DEAD_AFTER) -> None:
    """Make ``node``'s last beat (and its last takeover, if any) ``seconds`` old."""
    ago = sa.func.now() - sa.literal(dt.timedelta(seconds=seconds))
    with hub.engine.begin() as conn:
        conn.execute(nodes.update().where(nodes.c.node_id == node).values(last_seen_at=ago))
        conn.execute(
            nodes.update()
            .where(nodes.c.node_id == node, nodes.c.taken_over_at.is_not(None))
            .values(taken_over_at=ago)
        )


def row(hub: Hub, node: str) -> sa.Row[tuple[object, ...]]:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(nodes).where(nodes.c.node_id == node)).one()


@postgres
def test_a_silent_node_is_taken_over_by_exactly_one_live_node(
    hub: Hub, names: Callable[[int], list[str]]
) -> None:
    dead, first, second = names(3)
    version = f"v-{dead}"
    recorder = Recorder()
    sweeps = [sweep(hub, n, version, recorder) for n in (dead, first, second)]
    for s in sweeps:
        s.join()
        s.round()
    assert recorder.calls == []  # every node beat just now
    silence(hub, dead)
    taken = [sweeps[1].round(), sweeps[2].round()]
    assert taken == [{dead: 2}, {}]
    assert recorder.calls == [dead]
    assert (row(hub, dead).taken_over_by, row(hub, dead).taken_over_at) != (None, None)
    assert row(hub, dead).taken_over_by == first


@postgres
def test_of_nodes_that_race_for_a_dead_node_one_claims_it(
    hub: Hub, names: Callable[[int], list[str]]
) -> None:
    """Eight sweeps at once, released together: one claim, one recovery."""
    dead, *live = names(9)
    version = f"v-{dead}"
    recorder = Recorder()
    sweeps = [sweep(hub, n, version, recorder) for n in live]
    sweep(hub, dead, version, recorder).join()
    for s in sweeps:
        s.join()
    silence(hub, dead)
    start = threading.Barrier(len(sweeps))
    results: list[dict[str, int]] = []

    def run(s: takeover.Sweep) -> None:
        start.wait()
        results.append(s.round())

    threads = [threading.Thread(target=run, args=(s,)) for s in sweeps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=len) == [{}] * 7 + [{dead: 2}]
    assert recorder.calls == [dead]


@postgres
def test_a_node_learns_it_was_taken_over_and_beats_again(
    hub: Hub, names: Callable[[int], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    """The zombie: a node that was only silent finds the takeover at its next beat, says so
    in the log, and is a live node again, taken over by nobody."""
    slow, other = names(2)
    version = f"v-{slow}"
    recorder = Recorder()
    zombie, live = sweep(hub, slow, version, recorder), sweep(hub, other, version, recorder)
    zombie.join()
    live.join()
    silence(hub, slow)
    assert live.round() == {slow: 2}
    with caplog.at_level("WARNING", logger="jdx.nodes"):
        assert zombie.round() == {}
    assert f"node {slow} was taken over by {other}" in caplog.text
    assert (row(hub, slow).taken_over_by, row(hub, slow).taken_over_at) == (None, None)
    assert live.round() == {}  # alive again: nothing to take over
    assert recorder.calls == [slow]


@postgres
def test_a_failed_recovery_leaves_the_node_to_the_next_round(
    hub: Hub, names: Callable[[int], list[str]]
) -> None:
    dead, live = names(2)
    version = f"v-{dead}"
    sweep(hub, dead, version, Recorder()).join()
    silence(hub, dead)

    def broken(node: str) -> int:
        raise RuntimeError("the database went away")

    failing = sweep(hub, live, version, broken)
    failing.join()
    with pytest.raises(RuntimeError):
        failing.round()
    assert row(hub, dead).taken_over_by is None  # the claim was undone with the recovery
    recorder = Recorder()
    assert sweep(hub, live, version, recorder).round() == {dead: 2}


@postgres
def test_a_node_still_silent_a_dead_time_after_its_takeover_is_swept_again(
    hub: Hub, names: Callable[[int], list[str]]
) -> None:
    """What the first recovery left (a workflow whose re-enqueue failed, one dequeued between
    a pause and a death) is put back by a later sweep; until then, nobody sweeps it twice."""
    dead, live = names(2)
    version = f"v-{dead}"
    recorder = Recorder(found=0)
    sweep(hub, dead, version, recorder).join()
    living = sweep(hub, live, version, recorder)
    living.join()
    silence(hub, dead)
    assert living.round() == {dead: 0}
    assert living.round() == {}
    silence(hub, dead)  # the takeover a dead time ago, the beat longer
    assert living.round() == {dead: 0}
    assert recorder.calls == [dead, dead]


@postgres
def test_a_node_of_another_workflow_version_is_left_to_its_own(
    hub: Hub, names: Callable[[int], list[str]]
) -> None:
    """DBOS runs only the workflows of the version a node runs: a dead node of another
    version waits for a node of its own version (or its own restart)."""
    old, new, same = names(3)
    recorder = Recorder()
    gone = sweep(hub, old, f"v1-{old}", recorder)
    gone.join()
    gone.round()  # its first beat after DBOS' launch: the version is known
    silence(hub, old)
    newer = sweep(hub, new, f"v2-{old}", recorder)
    newer.join()
    assert newer.round() == {}
    assert sweep(hub, same, f"v1-{old}", recorder).round() == {old: 2}


@postgres
def test_a_node_that_starts_again_waits_for_its_takeover_to_finish(
    hub: Hub, names: Callable[[int], list[str]]
) -> None:
    """The claim's row lock is held while the dead node's workflows are put back: the node's
    first beat at its restart waits for that, and so none of the workflows its new run
    dequeues can be taken from it."""
    dead, live = names(2)
    version = f"v-{dead}"
    restarted = sweep(hub, dead, version, Recorder())
    restarted.join()
    silence(hub, dead)
    inside, release = threading.Event(), threading.Event()

    def slow_recovery(node: str) -> int:
        inside.set()
        release.wait(timeout=60)
        return 1

    claimer = threading.Thread(target=sweep(hub, live, version, slow_recovery).round)
    claimer.start()
    assert inside.wait(timeout=60)
    joiner = threading.Thread(target=restarted.join)
    joiner.start()
    try:
        waiting_on_a_lock(hub)
        assert joiner.is_alive()
    finally:
        release.set()
        claimer.join()
        joiner.join()
    assert row(hub, dead).taken_over_by is None  # started again, after the takeover


def waiting_on_a_lock(hub: Hub) -> None:
    """Return once a session of this database waits for a row lock (the joiner's)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    )
    for _ in range(6000):
        with hub.engine.connect() as conn:
            if conn.execute(query).scalar_one():
                return
        threading.Event().wait(0.01)
    raise AssertionError("the restarted node's beat never waited for the takeover")


def test_sqlite_has_one_node_and_no_sweep(tmp_path: Path) -> None:
    from jdx.hub import create_hub
    from jdx.settings import load_settings

    one = create_hub(load_settings(data_dir=tmp_path, database_url=""), exchanges=[])
    try:
        assert takeover.sweep_of(one) is None
        takeover.join(one)  # nothing to do, and nothing written
        assert takeover.periodic(one) is None
        assert "node-takeover" not in [job.name for job in one.periodic]
    finally:
        one.dispose()
