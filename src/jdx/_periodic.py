"""Work a hub process repeats beside the HTTP workers (drop-folder scans, sending mail)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


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
    ``first_after`` seconds, default ``interval``); returns the function that stops it. A failed round is logged and the next one runs as usual: what fails is often a
    moment's trouble (a database restart, a network drop), and the thread must outlive it."""
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
