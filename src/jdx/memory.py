"""Memory the C allocator keeps after the hub has freed it: given back to the system.

A soak of `jdx serve` (bench/soak.py; issue 17: RSS still rising after 10 minutes) showed the
Python objects steady (a census by type: flat), SQLite's page caches steady (a few MB) and
glibc malloc's memory *in use* steady, while the memory malloc had been given back but kept
grew the whole time (10 MB to 21 MB in 10 minutes at 40 requests/s), and the resident size with
it. Each request's allocations (parsed records, SQL parameters, responses) are freed, but into
heaps that a few long-lived allocations keep from shrinking, and with one malloc arena per
thread (the web service's store threads, the thread pool of the routes, DBOS's threads: up to
eight per core) each thread's heap fragments on its own. glibc gives such memory back only when
the free space is at the top of the main heap.

So each serving process does two things (glibc only: elsewhere both are no-ops):

- :func:`limit_arenas` before its threads start: at most :data:`ARENAS` arenas, so threads
  share heaps, and a heap one thread freed serves the next thread's requests;
- :func:`start_trimming`: ``malloc_trim(0)`` every :data:`TRIM_SECONDS`, which returns the free
  pages inside every arena's heaps (not only its top) to the system. It takes about a
  millisecond with the arena locks held; a minute apart, that is nothing.

docs/benchmarks.md, "Memory over a long run", has the soak before and after.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable
from functools import cache

from jdx._periodic import run_every

ARENAS = 2
TRIM_SECONDS = 60.0
_M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)
log = logging.getLogger("jdx.memory")


@cache
def glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (the calls below are glibc's), else None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.gnu_get_libc_version  # noqa: B018 (glibc has it, musl and others do not)
    except (OSError, AttributeError):
        return None
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    libc.malloc_trim.restype = ctypes.c_int
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    return libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """At most ``arenas`` malloc arenas from now on (``MALLOC_ARENA_MAX``, set from inside:
    the environment variable is read only when the process starts). Call it before threads
    start; returns whether it was set. A value set in the environment is left alone."""
    import os

    libc = glibc()
    if libc is None or "MALLOC_ARENA_MAX" in os.environ:
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))


def trim() -> bool:
    """Give malloc's free pages back to the system; whether any were."""
    libc = glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


_trimming: dict[int, Callable[[], None]] = {}  # process id -> its trimmer's stop


def start_trimming(interval: float = TRIM_SECONDS) -> Callable[[], None]:
    """:func:`trim` every ``interval`` seconds in a daemon thread, one per process however
    often it is called (the hub's process and its app may both ask); returns the function that
    stops it (a no-op where the C library is not glibc)."""
    import os

    pid = os.getpid()
    if glibc() is None or pid in _trimming:
        return lambda: None
    stop = run_every(interval, trim, name="malloc-trim", log=log)

    def stopped() -> None:
        _trimming.pop(pid, None)
        stop()

    _trimming[pid] = stopped
    return stopped
