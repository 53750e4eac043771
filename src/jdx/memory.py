"""Memory the C allocator keeps after the hub has freed it: fewer arenas, given back.

A soak of `jdx serve` (bench/soak.py; issue 17: RSS still rising after 10 minutes) on SQLite at
40 requests/s showed the Python objects steady (a census by type: flat), SQLite's page caches
steady (4 to 5 MB) and glibc malloc's memory *in use* steady (39 to 40 MB), while the memory
malloc had been given back but kept grew the whole time (10 MB to 21 MB in 10 minutes, its heaps
49 to 61 MB), and the resident size with it. Each request's allocations (parsed records, SQL
parameters, answers) are freed, but glibc gives each thread an arena of its own (up to eight per
core: the web service's store threads, the routes' thread pool, DBOS's threads), and a freed
chunk serves only its own arena's next allocations; with many arenas each heap kept growing
beside the others' free space.

So each serving process does two things (glibc only: elsewhere both are no-ops):

- :func:`limit_arenas` before its threads start: at most :data:`ARENAS` arenas, so threads
  share heaps and one thread's freed memory serves the next one's requests. This is what stopped
  the growth (measured alone, with ``MALLOC_ARENA_MAX=2``: free-but-kept 3.3 to 4.4 MB and the
  heaps flat from the third minute);
- :func:`start_trimming`: ``malloc_trim(0)`` every :data:`TRIM_SECONDS`, which returns the free
  pages inside every heap (not only at its top) to the system: a smaller gain, a few
  milliseconds a minute.

docs/benchmarks.md, "Memory over a long run", has the soaks before and after.
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
