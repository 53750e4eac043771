"""``python -m bench.traced_serve DIR SECONDS [FRAMES]``: ``jdx serve`` watched, for the soak.

Every ``SECONDS`` the live Python objects are counted by type (``gc``) into
``DIR/census-NNN.json``; with ``FRAMES`` > 0 a tracemalloc snapshot of the heap (that many frames
a trace) is also written to ``DIR/snapshot-NNN.trace``. Tracing starts one period after the start
(start-up, traced, would take minutes), so a snapshot holds what was allocated after that;
compare two with ``python -m bench.soak --compare A B``. A census costs a pass over every object
and slows the server little; tracing slows it several times. Only one process is watched: run it
with ``--workers 1`` (the default), where uvicorn serves in the hub's own process.
"""

from __future__ import annotations

import collections
import ctypes
import ctypes.util
import gc
import sys
import threading
import tracemalloc
from pathlib import Path

import orjson


def _watch(folder: Path, seconds: float, frames: int, stop: threading.Event) -> None:
    if stop.wait(seconds):
        return
    if frames:
        tracemalloc.start(frames)
    n = 0
    while not stop.wait(seconds):
        census = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        (folder / f"census-{n:03d}.json").write_bytes(orjson.dumps(dict(census.most_common())))
        (folder / f"native-{n:03d}.json").write_bytes(orjson.dumps(native_memory()))
        if frames:
            snapshot = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
            snapshot.dump(str(folder / f"snapshot-{n:03d}.trace"))
        n += 1


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def native_memory() -> dict[str, int]:
    """Where the memory outside Python's objects is: glibc malloc's heap (in use, and free but
    kept: fragmentation), memory mapped by malloc, and SQLite's own count (the page caches)."""
    out: dict[str, int] = {}
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    if hasattr(libc, "mallinfo2"):
        libc.mallinfo2.restype = _Mallinfo2
        info = libc.mallinfo2()
        out |= {
            "malloc_arena": info.arena,
            "malloc_in_use": info.uordblks,
            "malloc_free_kept": info.fordblks,
            "malloc_mmapped": info.hblkhd,
        }
    found = ctypes.util.find_library("sqlite3")
    if found:
        sqlite = ctypes.CDLL(found)
        sqlite.sqlite3_memory_used.restype = ctypes.c_int64
        out["sqlite_memory_used"] = sqlite.sqlite3_memory_used()
    return out


def main() -> None:
    folder, seconds = Path(sys.argv[1]), float(sys.argv[2])
    frames = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    folder.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    threading.Thread(
        target=_watch, args=(folder, seconds, frames, stop), name="soak-watch", daemon=True
    ).start()
    from jdx.cli import main as jdx

    sys.argv = ["jdx", "serve"]
    try:
        jdx()
    finally:
        stop.set()


if __name__ == "__main__":
    main()
