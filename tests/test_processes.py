"""No process a test started outlives the test (issue 13): bench.processes and tests.processes.

The proof runs pytest itself in a child process, on a small test that starts ``jdx serve`` (two
HTTP workers) through the shared helper and then fails, or hangs until pytest is interrupted by
SIGINT or SIGTERM (what a time-out sends). Afterwards no process may carry that test's marker, a
data folder name of its own, in its environment or command line.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
import typing
from pathlib import Path

import pytest
from bench import processes

from tests.test_serve import free_port, jdx

ROOT = Path(__file__).resolve().parents[1]

# The test pytest runs in the child; {data} and {port} are filled in, {ending} ends it.
SERVER_TEST = textwrap.dedent(
    """
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx2 as httpx

    from bench import processes

    DATA = Path({data!r})


    def test_a_server_test_that_{name}() -> None:
        env = {{
            **os.environ,
            "JDX_DATA_DIR": str(DATA),
            "JDX_DATABASE_URL": "",
            "JDX_PORT": "{port}",
            "JDX_WORKERS": "2",
            "JDX_SFTP": "off",
        }}
        argv = [sys.executable, "-m", "jdx", "serve"]
        out = subprocess.DEVNULL
        with processes.group(argv, env=env, stdout=out, stderr=out) as server:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get("http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
            (DATA / "ready").write_text(str(server.pid))
            while not (DATA / "go").exists():  # the outer test looks at the processes meanwhile
                time.sleep(0.1)
            {ending}
    """
)
ENDINGS = {
    "fails": "assert False, 'a failing server test'",
    "is_interrupted": "time.sleep(600)",  # until pytest is sent SIGINT or SIGTERM
}


def marked(marker: str) -> list[int]:
    """The living processes whose environment or command line holds ``marker``."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if proc.name == str(os.getpid()) or (proc / "stat").read_text().split()[2] == "Z":
                continue
            if any(
                marker.encode() in (proc / part).read_bytes() for part in ("environ", "cmdline")
            ):
                found.append(int(proc.name))
        except OSError:
            continue  # ended while we looked, or another user's
    return found


def pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


@pytest.mark.server
@pytest.mark.parametrize(
    ("name", "sent"),
    [("fails", None), ("is_interrupted", signal.SIGINT), ("is_interrupted", signal.SIGTERM)],
    ids=["fails", "SIGINT", "SIGTERM"],
)
def test_no_jdx_process_survives_a_failing_server_test(
    tmp_path: Path, name: str, sent: signal.Signals | None
) -> None:
    marker = f"jdx-leak-{secrets.token_hex(8)}"
    data = tmp_path / marker
    env = {**os.environ, "JDX_DATA_DIR": str(data), "JDX_DATABASE_URL": ""}
    assert jdx(env, "db", "upgrade").returncode == 0
    test = tmp_path / "test_server_leak.py"
    test.write_text(
        SERVER_TEST.format(data=str(data), port=free_port(), name=name, ending=ENDINGS[name])
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the project's settings
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    argv += ["-p", "tests.processes", str(test)]  # as tests/conftest.py loads it
    inner_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    inner_env.pop("PYTEST_XDIST_WORKER", None)
    try:
        with processes.group(
            argv, cwd=tmp_path, env=inner_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        ) as pytest_run:
            deadline = time.monotonic() + 120
            while not (data / "ready").exists():
                assert pytest_run.poll() is None, pytest_run.communicate()[0].decode()
                assert time.monotonic() < deadline, "the inner test's server did not start"
                time.sleep(0.2)
            leader = int((data / "ready").read_text())
            running = marked(marker)
            # jdx serve, its two uvicorn workers (and whatever else they start): all in the
            # leader's process group, none moved to a session of its own, so all reached by it
            assert leader in running and len(running) >= 3, running
            assert {pgid(pid) for pid in running} <= {leader, None}, running
            if sent is None:
                (data / "go").touch()
            else:
                pytest_run.send_signal(sent)  # to pytest alone, as a time-out would
            output = pytest_run.communicate(timeout=120)[0].decode()
            # Checked before this block ends: stopping the inner pytest's group would stop a
            # server started there with a plain Popen too, and hide the leak this test is for.
            # The server's processes may still be on their way out, for no more than the grace.
            deadline = time.monotonic() + processes.GRACE_SECONDS + 5
            while (left := marked(marker)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not left, f"still running after the test: {left} ({output})"
        assert pytest_run.returncode == (1 if sent is None else 2), output
        assert ("1 failed" if sent is None else "KeyboardInterrupt") in output, output
    finally:
        for pid in marked(marker):  # this test's own clean-up, when it failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_a_group_is_stopped_whole_even_what_ignores_sigterm() -> None:
    # a shell whose two children ignore SIGTERM (an ignored signal stays ignored across exec)
    script = "trap '' TERM; sleep 300 & sleep 300 & echo started; wait"
    with processes.group(["sh", "-c", script], grace=0.5, stdout=subprocess.PIPE) as shell:
        assert shell.stdout is not None and shell.stdout.readline() == b"started\n"
        assert len(processes.members(shell.pid)) == 3
    assert shell.returncode == -signal.SIGKILL
    assert processes.members(shell.pid) == []


class _EndedLeader:
    """A leader that has ended and been reaped, whose pid the kernel has given out again."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode = 0

    def poll(self) -> int:
        return 0

    def wait(self, timeout: float | None = None) -> int:
        return 0


def test_a_group_whose_id_came_round_again_is_not_signalled() -> None:
    """Stopping the group of a server killed long ago (tests/test_crash.py) must not reach the
    unrelated group that now has its id."""
    with processes.group(["sleep", "300"]) as other:
        processes.stop_group(typing.cast(subprocess.Popen[bytes], _EndedLeader(other.pid)))
        assert other.poll() is None
        assert processes.members(other.pid) == [other.pid]


def test_run_stops_the_whole_group_on_a_time_out() -> None:
    # subprocess.run would kill the shell alone and leave its sleep running
    marker = f"jdx-leak-{secrets.token_hex(8)}"
    env = {**os.environ, "JDX_TEST_MARKER": marker}
    started = time.monotonic()
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            processes.run(["sh", "-c", "sleep 300 & wait"], env=env, timeout=1)
        assert time.monotonic() - started < 1 + processes.GRACE_SECONDS + 2
        assert marked(marker) == []
    finally:
        for pid in marked(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    done = processes.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True)
    assert done.args == ["sh", "-c", "echo $$"] and int(done.stdout) > 0
