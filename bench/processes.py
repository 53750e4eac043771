"""Child processes that end with the code that started them (tests and benches alike).

A server a test starts (``jdx serve`` with its uvicorn workers and the bulk forkserver, nginx
with its workers) is more than one process. Signalling only the one ``Popen`` knows leaves the
others running when that one dies first or does not pass the signal on; a test that fails, is
interrupted or times out before its clean-up leaves them all running (issue 13: a ``jdx serve``
was still up 39 minutes after a failed run, its temporary folder gone).

So every such process starts in a session of its own (``start_new_session``: its own process
group, which its children join, since neither ``jdx serve`` nor multiprocessing calls
``setsid``) and is stopped as a group: SIGTERM to every member, a short wait, then SIGKILL to
whatever is left. :func:`group` does that when its block ends, however it ends; :func:`run` is
``subprocess.run`` on top of it. Where ``setpriv`` (util-linux) is installed the leader also gets
SIGTERM when the process that started it dies without cleaning up (SIGKILL, the OOM killer):
the one case no ``finally`` can cover. Linux only, like the rest of the suite (``/proc``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

# Long enough for `jdx serve` to stop its workflows and workers cleanly (about a second), short
# enough that pytest-xdist, which interrupts a worker 5 s before it kills it, still lets us end.
GRACE_SECONDS = 4.0

# The leader's "parent died" signal (prctl PR_SET_PDEATHSIG), set by setpriv before it execs the
# command: the same process then, so its pid is still the group's id.
_SETPRIV = shutil.which("setpriv")
_ORPHAN_GUARD = [_SETPRIV, "--pdeathsig", "TERM", "--"] if _SETPRIV else []


def members(pgid: int) -> list[int]:
    """The living processes of a process group (zombies are left out: they have ended, and in a
    container whose init does not reap them they would never leave the group)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
            state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue  # ended while we looked
        if int(pgrp) == pgid and state not in ("Z", "X"):
            found.append(int(stat.parent.name))
    return found


def stop_group(proc: subprocess.Popen[Any], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM to the group ``proc`` leads, up to ``grace`` seconds for all of it to end, then
    SIGKILL to what is left; ``proc`` is reaped. Safe to call again, or after ``proc`` ended."""
    pgid = proc.pid  # start_new_session: the leader's pid is the group's id
    deadline = time.monotonic() + grace
    if proc.poll() is None or left_of(proc):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    _while_group_lives(proc, deadline, 0.05)  # the leader may end before its workers do
    if proc.poll() is None or left_of(proc):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    proc.wait(timeout=grace)  # SIGKILL is not refused: this cannot take long
    # Nor for the rest of the group, but its members end when the kernel next runs them, not
    # when the leader is reaped: on a loaded machine they were still listed a moment after.
    _while_group_lives(proc, time.monotonic() + grace, 0.01)


def _while_group_lives(proc: subprocess.Popen[Any], deadline: float, pause: float) -> None:
    """Wait, looking every ``pause`` seconds, until the group ``proc`` leads has ended or the
    monotonic clock reaches ``deadline``."""
    while left_of(proc) and time.monotonic() < deadline:
        time.sleep(pause)


def left_of(proc: subprocess.Popen[Any]) -> list[int]:
    """The living members of the group ``proc`` leads or led; [] once that group is over.

    The kernel gives a group's id to a new process only when nothing is left in the group, so
    a process holding the id of a leader that has ended and been reaped means the group is
    gone, and the group that process may lead is another's: a test that stops a server it
    killed minutes before must not signal it. Ids come round fast where pid_max is 32768 and
    several suites start processes (issue 17: a `pytest` and a `jdx serve` of other runs were
    ended that way)."""
    pgid = proc.pid
    if proc.poll() is not None and Path(f"/proc/{pgid}").exists():
        return []
    return members(pgid)


@contextlib.contextmanager
def group(
    argv: Sequence[str], *, grace: float = GRACE_SECONDS, **popen: Any
) -> Iterator[subprocess.Popen[Any]]:
    """``subprocess.Popen(argv, **popen)`` in a process group of its own, stopped as a group
    (:func:`stop_group`) when the block ends: normally, by an exception, or by an interrupt."""
    with subprocess.Popen([*_ORPHAN_GUARD, *argv], start_new_session=True, **popen) as proc:
        try:
            yield proc
        finally:
            stop_group(proc, grace)  # Popen.__exit__ then closes the pipes


def run(
    argv: Sequence[str],
    *,
    input: bytes | str | None = None,  # subprocess.run's name
    timeout: float | None = None,
    check: bool = False,
    capture_output: bool = False,
    **popen: Any,
) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run`` through :func:`group`: on a time-out or an interrupt the command's whole
    process group is stopped, not only the command (``subprocess.run`` kills that one alone)."""
    if capture_output:
        popen["stdout"] = popen["stderr"] = subprocess.PIPE
    if input is not None:
        popen["stdin"] = subprocess.PIPE
    with group(argv, **popen) as proc:
        out, err = proc.communicate(input, timeout=timeout)
    done = subprocess.CompletedProcess(list(argv), proc.returncode, out, err)
    if check:
        done.check_returncode()
    return done


def wait_for_health(
    base: str,
    process: subprocess.Popen[Any],
    *,
    seconds: float = 120,  # a loaded machine (CI, helpers) starts a hub in 20 s or more
    detail: Callable[[], str] = lambda: "",
) -> None:
    """Return once ``jdx serve`` at ``base`` answers ``/healthz`` with 200; raise RuntimeError
    if ``seconds`` pass, or if the process ends first, then naming ``detail()`` (its log or its
    stderr: read only once it has ended, when reading cannot block)."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"jdx serve exited with {process.returncode}: {detail()}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(  # noqa: S310 (our own URL)
                f"{base}/healthz", timeout=1
            ) as answer,
        ):
            if answer.status == 200:
                return
        if time.monotonic() >= deadline:
            raise RuntimeError(f"jdx serve did not answer {base}/healthz in {seconds} s")
        time.sleep(0.2)
