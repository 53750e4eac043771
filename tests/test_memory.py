"""The soak's drift (issue 17): memory freed by the hub but kept by glibc malloc, in one arena per
thread. `jdx serve` keeps at most ``memory.ARENAS`` arenas and trims the free pages (jdx.memory);
the cheap guard here is the arena count of a real `jdx serve` after concurrent requests, read
from /proc (no timing, no RSS threshold)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import orjson
import pytest
from bench import processes

from jdx import memory
from tests.conftest import stop_record
from tests.test_serve import free_port, jdx

HEAP = 64 * 2**20  # glibc's HEAP_MAX_SIZE on 64-bit: each thread arena's heap is one such mapping

needs_glibc = pytest.mark.skipif(memory.glibc() is None, reason="glibc's malloc only")


def thread_arena_heaps(pid: int) -> int:
    """The heaps of malloc's thread arenas in a process: a 64 MiB reservation at a 64 MiB-aligned
    address, anonymous, its start read-write (the part in use) and the rest inaccessible. The
    main arena is the ``[heap]``, not counted. Thread stacks and Python's own arenas are other
    sizes, so they never match."""
    regions = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) > 5:  # a file or [heap], [stack]...
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        regions.append((start, end, fields[1]))
    heaps = 0
    for i, (start, end, perms) in enumerate(regions):
        if start % HEAP or not perms.startswith("rw"):
            continue
        reach = end
        for later_start, later_end, later_perms in regions[i + 1 :]:
            if later_start != reach or later_perms.startswith("rw"):
                break
            reach = later_end
        heaps += reach - start == HEAP
    return heaps


@needs_glibc
def test_limit_arenas_and_trim_run_on_glibc() -> None:
    # in a child: the test process's own allocator is left as it is
    code = "from jdx import memory; print(memory.limit_arenas(), memory.trim() in (True, False))"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["True", "True"]


@needs_glibc
@pytest.mark.server
def test_jdx_serve_keeps_few_malloc_arenas_under_concurrent_requests(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env |= {
        "JDX_DATA_DIR": str(tmp_path),
        "JDX_DATABASE_URL": "",
        "JDX_PORT": str(port),
        "JDX_SFTP": "off",
    }
    assert jdx(env, "db", "upgrade").returncode == 0
    added = jdx(env, "agency", "add", "CA0370000", "--name", "Arenas")
    key = orjson.loads(added.stdout)["api_keys"]["prod"]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with processes.group(
        [sys.executable, "-m", "jdx", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as server:
        base = f"http://127.0.0.1:{port}"
        processes.wait_for_health(base, server)

        def post(n: int) -> int:
            with httpx.Client(base_url=base, timeout=30) as client:
                for _ in range(n):
                    record = orjson.dumps(stop_record(ORI="CA0370000"))
                    answer = client.post("/sdcs/v1/stops", content=record, headers=headers)
                    assert answer.status_code == 200, answer.text
            return n

        # many requests at once: the store's and the routes' thread pools start their threads
        with ThreadPoolExecutor(24) as pool:
            assert sum(pool.map(post, [15] * 24)) == 360
        [pid] = list(processes.members(server.pid))  # one worker: the hub's process
        assert len(list(Path(f"/proc/{pid}/task").iterdir())) > memory.ARENAS  # enough threads
        assert thread_arena_heaps(pid) <= memory.ARENAS - 1  # the main arena is the [heap]
