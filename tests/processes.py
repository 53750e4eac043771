"""A pytest plugin (loaded by tests/conftest.py): SIGTERM ends a run the way Ctrl-C does.

Servers the tests start run in process groups of their own (bench.processes.group), so the
signal a time-out sends to pytest's process group no longer reaches them: only pytest's clean-up
(``finally`` blocks, fixture teardowns) stops them. Python's default for SIGTERM ends the process
at once, without any of it; as a KeyboardInterrupt, pytest unwinds the running test, tears the
fixtures down and reports the run as interrupted. A second SIGTERM ends the process at once.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import pytest

_previous: Any = None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM: no more waiting
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    global _previous
    if threading.current_thread() is threading.main_thread():  # signal.signal's own rule
        _previous = signal.signal(signal.SIGTERM, _interrupt)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _previous)
