"""Whether a node can take work: what ``GET /readyz`` answers (``channels/http/health.py``).

A node is ready when every check passes:

- ``database``: the hub's database answers;
- ``migrations``: it is at the revision this code was written for (``jdx db upgrade`` run, and
  not by a newer release than this one);
- ``domain_tables``: the process has loaded the domain tables; in production none of them is
  empty (production refuses to start with one empty, and a table emptied later would let every
  code through unchecked); in development an empty table is normal, noted and not failing;
- ``workflows``, ``queues`` and, with ``JDX_SFTP=embedded``, ``sftp``: DBOS is launched in the
  node's process, its queues are polled and the SFTP server listens.

The last three live in the process that runs ``jdx serve``'s background (DBOS, the SFTP server),
while ``/readyz`` is answered by whichever HTTP worker the connection reaches, another process
when ``JDX_WORKERS`` > 1. So that process reports them (:func:`start_reporting`) every second to
a file of its data folder, ``run/background.json``, which the workers read; a report older than
``STALE_SECONDS`` (the process is hung or gone) is a failing ``background`` check.

A load balancer may probe every second, from several places: each process evaluates the checks
at most once per ``ANSWER_SECONDS`` and answers the probes in between from that evaluation.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dbos._workflow_commands import BACKGROUND_JOBS_THREAD_NAME

from jdx._periodic import run_every
from jdx.hub import Hub
from jdx.store import schema

log = logging.getLogger("jdx.readiness")

REPORT_SECONDS = 1.0
STALE_SECONDS = 10.0
ANSWER_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def report_path(data_dir: Path) -> Path:
    return data_dir / "run" / "background.json"


# --- in the process that runs the node's background --------------------------------------------


def _queues() -> tuple[str, ...]:
    from jdx.exchanges.cases.workflow import QUEUE as CASE_JOBS
    from jdx.exchanges.stops.workflow import QUEUE as STOP_FILES

    return (STOP_FILES, CASE_JOBS)


def background_problems(
    hub: Hub, sftp_listening: Callable[[], bool] | None = None
) -> dict[str, str | None]:
    """Each background check of this process with its problem, or None when it passes.

    DBOS shows what it runs by its threads' names: one for its background jobs once launched,
    and ``queue-worker-NAME`` for each queue it polls."""
    threads = {t.name for t in threading.enumerate() if t.is_alive()}
    problems: dict[str, str | None] = {
        "workflows": None
        if BACKGROUND_JOBS_THREAD_NAME in threads
        else "DBOS is not launched in the node's process",
    }
    idle = [q for q in _queues() if f"queue-worker-{q}" not in threads]
    problems["queues"] = f"not polled: {', '.join(idle)}" if idle else None
    settings = hub.settings
    if settings.sftp == "embedded":
        listening = sftp_listening is not None and sftp_listening()
        problems["sftp"] = (
            None
            if listening
            else f"the SFTP server is not listening on {settings.sftp_host}:{settings.sftp_port}"
        )
    return problems


def write_report(hub: Hub, sftp_listening: Callable[[], bool] | None = None) -> None:
    """Write this process's background checks where the HTTP workers read them."""
    path = report_path(hub.settings.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "pid": os.getpid(),
        "written_at": time.time(),
        "problems": background_problems(hub, sftp_listening),
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(report))
    temporary.replace(path)  # a reader sees the old report or the new one, never half of one


def start_reporting(
    hub: Hub, sftp_listening: Callable[[], bool] | None = None
) -> Callable[[], None]:
    """Report every ``REPORT_SECONDS`` until the returned function is called, which removes
    the report: the workers then answer not ready at once."""
    write_report(hub, sftp_listening)
    stop = run_every(
        REPORT_SECONDS,
        lambda: write_report(hub, sftp_listening),
        name="readiness-report",
        log=log,
    )

    def stop_reporting() -> None:
        stop()
        report_path(hub.settings.data_dir).unlink(missing_ok=True)

    return stop_reporting


# --- in the process that answers /readyz --------------------------------------------------------


class Readiness:
    """The checks of one process, evaluated at most every ``ANSWER_SECONDS``."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._head: str | None = None
        self._answer: tuple[float, list[Check]] | None = None
        self._evaluating = threading.Lock()

    def checks(self) -> list[Check]:
        """The latest checks; evaluated again when older than ``ANSWER_SECONDS``.

        One evaluation at a time: a probe arriving meanwhile gets the previous answer, unless
        that is older than ``STALE_SECONDS`` (an evaluation stuck on a database that does not
        answer), when it gets that as a failing ``database``."""
        moment = time.monotonic()
        answer = self._answer
        if answer is not None and moment - answer[0] < ANSWER_SECONDS:
            return answer[1]
        if not self._evaluating.acquire(blocking=answer is None):
            assert answer is not None
            if moment - answer[0] < STALE_SECONDS:
                return answer[1]
            waited = f"no answer for {moment - answer[0]:.0f} s"
            return [Check("database", False, waited)]
        try:
            checks = self._evaluate()
            self._answer = (time.monotonic(), checks)
            return checks
        finally:
            self._evaluating.release()

    def _evaluate(self) -> list[Check]:
        checks = self._database()
        checks.append(self._domain_tables())
        checks.extend(self._background())
        return checks

    def _database(self) -> list[Check]:
        if self._head is None:
            self._head = schema.head_revision()
        try:
            current = schema.current_revision(self.hub.engine)
        except Exception as exc:
            log.warning("readiness: the database does not answer: %s", exc)
            reason = type(getattr(exc, "orig", None) or exc).__name__
            return [
                Check("database", False, f"does not answer ({reason})"),
                Check("migrations", False, "unknown: the database does not answer"),
            ]
        migrated = current == self._head
        return [
            Check("database", True, "answers"),
            Check(
                "migrations",
                migrated,
                f"at {current}"
                if migrated
                else f"at {current or 'none'}, this code needs {self._head}: run `jdx db upgrade`",
            ),
        ]

    def _domain_tables(self) -> Check:
        try:
            self.hub.refresh_domains()
        except Exception as exc:
            return Check("domain_tables", False, f"not loaded ({type(exc).__name__})")
        empty = self.hub.validation.missing_domains()
        if not empty:
            return Check("domain_tables", True, "loaded")
        names = ", ".join(empty)
        if self.hub.settings.environment == "production":
            return Check("domain_tables", False, f"empty in production: {names}")
        return Check("domain_tables", True, f"loaded; empty, their checks skipped: {names}")

    def _background(self) -> list[Check]:
        path = report_path(self.hub.settings.data_dir)
        try:
            report = json.loads(path.read_text())
        except (OSError, ValueError):
            return [Check("background", False, "no report from the node's workflow process")]
        age = time.time() - float(report["written_at"])
        if age > STALE_SECONDS:
            return [
                Check(
                    "background",
                    False,
                    f"the node's workflow process last reported {age:.0f} s ago",
                )
            ]
        problems: dict[str, str | None] = report["problems"]
        return [Check(name, problem is None, problem or "ok") for name, problem in problems.items()]


def ready(checks: list[Check]) -> bool:
    return all(c.ok for c in checks)
