"""``python -m bench.traced_serve DIR SECONDS``: ``jdx serve`` under tracemalloc, for the soak.

Tracing starts one period after the start (start-up, traced, would take minutes), then a
snapshot of the Python heap (15 frames a trace) is written to ``DIR/snapshot-NNN.trace`` every
``SECONDS``: what a snapshot holds was allocated after tracing began; compare two
with ``python -m bench.soak --compare A B``. Only one process is traced: run it with
``--workers 1`` (the default), where uvicorn serves in the hub's own process.
"""

from __future__ import annotations

import sys
import threading
import tracemalloc
from pathlib import Path


def _snapshots(folder: Path, seconds: float, stop: threading.Event) -> None:
    if stop.wait(seconds):
        return
    tracemalloc.start(15)
    n = 0
    while not stop.wait(seconds):
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        snapshot.dump(str(folder / f"snapshot-{n:03d}.trace"))
        n += 1


def main() -> None:
    folder, seconds = Path(sys.argv[1]), float(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    threading.Thread(
        target=_snapshots, args=(folder, seconds, stop), name="tracemalloc", daemon=True
    ).start()
    from jdx.cli import main as jdx

    sys.argv = ["jdx", "serve"]
    try:
        jdx()
    finally:
        stop.set()


if __name__ == "__main__":
    main()
