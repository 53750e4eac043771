"""Issue 18: the agencies' client runs anywhere. It imports nothing of the hub and no POSIX-only
module, its wheel asks for none of the hub's dependencies, and with the hub's packages made
unimportable it still sends files to a real hub (HTTP and SFTP) and downloads the results."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import orjson
import pytest
from packaging.requirements import Requirement

from tests.clients.conftest import ORI, RunningHub
from tests.clients.isolated import POSIX_ONLY, REFUSED
from tests.conftest import stop_record
from tests.test_serve import jdx

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "clients" / "python"
ISOLATED = Path(__file__).with_name("isolated.py")


def isolated(
    *args: str, env: dict[str, str] | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``python -m jdx_client ARGS`` with the hub's and the POSIX-only modules refused."""
    return subprocess.run(
        [sys.executable, str(ISOLATED), "jdx_client", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=cwd,
        env=env,
    )


def refused_and_loaded(stderr: str) -> str:
    """What the isolated run says it refused, let through, and found loaded of the hub's."""
    return stderr.rsplit("isolated: ", 1)[-1]


@pytest.mark.server
def test_jdx_submit_sends_a_file_with_the_hubs_modules_unimportable(
    running_hub: RunningHub, tmp_path: Path
) -> None:
    bad = stop_record(ORI=ORI, SDur="0")  # stored, with a record error
    batch = tmp_path / f"20240315143201_{ORI}_{bad['LEARecordID']}.json"
    batch.write_bytes(orjson.dumps(bad))
    base = ["--url", running_hub.base, "--key", running_hub.key, "--quiet"]
    sent = isolated(str(batch), *base, "--out", str(tmp_path / "results"), cwd=tmp_path)
    assert sent.returncode == 1, sent.stderr  # the record was stored with errors
    assert refused_and_loaded(sent.stderr).endswith("loaded []\n")
    summary = orjson.loads(sent.stdout)
    assert (summary["state"], summary["with_errors"]) == ("done", 1)
    assert sorted(Path(p).name for p in summary["saved"]) == sorted(
        batch.stem + s for s in ("_errors.json", "_log.txt", "_response.txt")
    )
    assert b"DV" in (tmp_path / "results" / f"{batch.stem}_errors.json").read_bytes()
    # a file the hub refuses: its reason, whatever the error format of the hub
    misnamed = tmp_path / "stops.json"
    misnamed.write_bytes(orjson.dumps(stop_record(ORI=ORI)))
    refused = isolated(str(misnamed), *base, cwd=tmp_path)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith(
        "error: the hub refused the file (400): The file name 'stops.json' is refused: "
    )
    # and over SFTP, with asyncssh (the sftp extra) but still nothing of the hub
    enabled = jdx(running_hub.hub.env, "sftp", "enable", ORI, "--generate-password")
    fingerprint = orjson.loads(jdx(running_hub.hub.env, "sftp", "host-key").stdout)["fingerprint"]
    good = stop_record(ORI=ORI)
    by_sftp = tmp_path / f"20240315143202_{ORI}_{good['LEARecordID']}.json"
    by_sftp.write_bytes(orjson.dumps(good))
    env = {
        "PATH": "",
        "SYSTEMROOT": "",
        "JDX_SFTP_PASSWORD": orjson.loads(enabled.stdout)["sftp_password"],
        "JDX_ISOLATED_POSIX": "client",  # asyncssh's own choice by platform is let through
    }
    sent = isolated(
        str(by_sftp),
        "--sftp",
        "--quiet",
        "--port",
        running_hub.hub.env["JDX_SFTP_PORT"],
        "--host-fingerprint",
        fingerprint,
        env=env,
        cwd=tmp_path,
    )
    assert sent.returncode == 0, sent.stderr
    told = refused_and_loaded(sent.stderr)
    assert told.endswith("loaded []\n"), told
    # what was let through: asyncssh's platform-chosen modules, never the client's
    assert "by jdx_client" not in told and "termios by asyncssh.misc" in told
    summary = orjson.loads(sent.stdout)
    assert (summary["total"], summary["successful"]) == (1, 1)
    assert sorted(Path(p).name for p in summary["saved"]) == [
        f"{by_sftp.stem}_log.txt",
        f"{by_sftp.stem}_response.txt",
    ]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_no_module_of_the_client_imports_the_hub_or_a_posix_only_module() -> None:
    modules = sorted((CLIENT / "src" / "jdx_client").rglob("*.py"))
    assert len(modules) >= 8
    wrong = {
        f"{path.relative_to(CLIENT)}: {name}"
        for path in modules
        for name in _imports(path)
        if name.partition(".")[0] in REFUSED
    }
    assert wrong == set()
    # every third-party import is one the client's distribution declares
    declared = {"httpx2", "typer", "rich", "asyncssh"}
    third_party = {
        name.partition(".")[0]
        for path in modules
        for name in _imports(path)
        if name.partition(".")[0] not in sys.stdlib_module_names
    }
    assert third_party - {"jdx_client"} <= declared


def test_the_clients_wheel_asks_for_none_of_the_hubs_dependencies(tmp_path: Path) -> None:
    """Built offline (setuptools is in the lock, so no build environment is fetched), from a
    copy: a build leaves its build/ and egg-info folders beside the sources."""
    source = tmp_path / "source"
    shutil.copytree(CLIENT, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("jdx_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(archive.read(metadata).decode())
        entry_points = archive.read(metadata.replace("METADATA", "entry_points.txt")).decode()
    assert {n.split("/")[0] for n in names} == {
        "jdx_client",
        wheel.name.split("-py3")[0] + ".dist-info",
    }
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
    always = {r.name for r in requires if r.marker is None}
    extras = {r.name: str(r.marker) for r in requires if r.marker is not None}
    assert always == {"httpx2", "typer", "rich"}
    assert extras == {"asyncssh": 'extra == "sftp"'}
    hub = {
        Requirement(r).name
        for r in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    hub_only = hub - {"httpx2", "typer", "rich", "asyncssh", "cryptography"}
    assert {"dbos", "psycopg", "lxml", "sqlalchemy", "fastapi"} <= hub_only
    assert {r.name for r in requires} & hub_only == set()
    assert "jdx-submit = jdx_client.cli:main" in entry_points
    assert wheel.stat().st_size < 60_000  # the client, not the hub


def test_the_clients_restatements_of_the_hubs_layout_agree_with_the_hub() -> None:
    pytest.importorskip("asyncssh")
    from jdx.exchanges.stops.file_folders import REALM_FOLDERS
    from jdx.exchanges.stops.file_status import PROGRESS_SUFFIX
    from jdx.exchanges.stops.outputs import LOG_WIDTHS
    from jdx_client import sftp

    assert sftp.REALM_FOLDERS == REALM_FOLDERS
    assert sftp.PROGRESS_SUFFIX == PROGRESS_SUFFIX
    assert sftp.LOG_WIDTHS == LOG_WIDTHS


def test_posix_only_modules_are_the_ones_windows_lacks() -> None:
    """The refused list is honest: each is a module of this (POSIX) Python's library."""
    assert set(POSIX_ONLY) - {"crypt", "spwd", "nis", "_posixshmem"} <= sys.stdlib_module_names


def test_jdx_ships_the_client_that_jdx_submit_runs() -> None:
    """`pip install jdx` has the client too: its package is found beside the hub's, and its
    console script is declared by both distributions."""
    from jdx.cli import submit

    jdx = tomllib.loads((REPO / "pyproject.toml").read_text())
    client = tomllib.loads((CLIENT / "pyproject.toml").read_text())
    assert "clients/python/src" in jdx["tool"]["setuptools"]["packages"]["find"]["where"]
    assert jdx["project"]["scripts"]["jdx-submit"] == client["project"]["scripts"]["jdx-submit"]
    assert submit.submit.__module__ == "jdx_client.cli"
    # what the client needs, jdx asks for too
    needs = {Requirement(r).name for r in client["project"]["dependencies"]}
    assert needs <= {Requirement(r).name for r in jdx["project"]["dependencies"]}
