"""Work a hub process repeats beside the HTTP workers (sweeps, tidying, sending mail)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    """A job an exchange (or the hub itself) declares and ``Hub.start`` runs: ``work`` every
    ``interval`` seconds, the first time after ``first_after`` (default ``interval``).

    Declared, not started, by ``register(hub)``: every process builds a hub (HTTP workers,
    each CLI command), and only the one that serves runs the jobs. Every node of a cluster
    runs them too, so ``work`` must be safe to run on two nodes at once (a claim in the
    database, or a change that is harmless twice)."""

    name: str
    interval: float
    work: Callable[[], object]
    first_after: float | None = None
    log: str = "jdx"  # the logger a failed round is reported to
    stop_timeout: float = 10.0  # how long a round in progress may finish when stopped

    def start(self) -> Callable[[], None]:
        """Run the job in a daemon thread; returns the function that stops it."""
        return run_every(
            self.interval,
            self.work,
            name=self.name,
            log=logging.getLogger(self.log),
            stop_timeout=self.stop_timeout,
            first_after=self.first_after,
        )


def run_every(
    interval: float,
    work: Callable[[], object],
    *,
    name: str,
    log: logging.Logger,
    stop_timeout: float = 10.0,
    first_after: float | None = None,
) -> Callable[[], None]:
    """Call ``work`` every ``interval`` seconds in a daemon thread (the first time after
    ``first_after`` seconds, default ``interval``); returns the function that stops it. A failed
    round is logged and the next one runs as usual: what fails is often a moment's trouble (a
    database restart, a network drop), and the thread must outlive it."""
    stopping = threading.Event()

    def loop() -> None:
        wait = interval if first_after is None else first_after
        while not stopping.wait(wait):
            wait = interval
            try:
                work()
            except Exception:
                log.exception("%s failed", name)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        # A round in progress is let finish for up to stop_timeout seconds.
        thread.join(timeout=stop_timeout)

    return stop
