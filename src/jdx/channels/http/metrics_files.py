"""Where the HTTP workers of one ``jdx serve`` add up their request metrics.

Each uvicorn worker is a process of its own, and Prometheus scrapes whichever one the connection
lands on: the request counters must be the sum over all of them. prometheus_client's
multiprocess mode does that: every process writes its values to files in
``PROMETHEUS_MULTIPROC_DIR``, and ``/metrics`` reads them all. The mode is chosen when
prometheus_client is first imported, so :func:`prepare` runs in ``jdx serve`` before its
workers start, and they inherit the variable. (A process that imported prometheus_client before,
such as a test calling ``jdx serve`` in-process, keeps counting in memory: ``metrics.py`` asks
the client which it does.)

The folder is ``data_dir/run/metrics``, emptied at each start: a counter starts from zero with
the server, as Prometheus expects of a restarted target (a worker that uvicorn restarts leaves its
file, so its counts are not lost).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def folder(data_dir: Path) -> Path:
    return data_dir / "run" / "metrics"


def prepare(data_dir: Path) -> Path:
    """Empty the metrics folder of ``data_dir`` and name it in the environment."""
    path = folder(data_dir)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ[VARIABLE] = str(path)
    return path
