"""The operator's files in deploy/systemd: systemd accepts them (``systemd-analyze verify``
where the tool is installed), and they say what docs/operations.md says they do."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jdx.settings import Settings

SYSTEMD = Path(__file__).resolve().parents[1] / "deploy" / "systemd"
UNITS = ("jdx.service", "jdx-backup.service", "jdx-backup.timer")
SHIPPED_JDX = "/opt/jdx/venv/bin/jdx"


def unit(name: str) -> configparser.ConfigParser:
    """A unit file's sections and keys (systemd's syntax is INI's, keys case-sensitive)."""
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((SYSTEMD / name).read_text())
    return parser


def environment_example() -> dict[str, str]:
    lines = (SYSTEMD / "jdx.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize("name", UNITS)
def test_systemd_accepts_the_units(tmp_path: Path, name: str) -> None:
    # the shipped ExecStart, pointed at this checkout's jdx: verify checks it is executable
    for each in UNITS:
        text = (SYSTEMD / each).read_text()
        (tmp_path / each).write_text(
            text.replace(SHIPPED_JDX, str(Path(sys.executable).parent / "jdx"))
        )
    done = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / name)],
        capture_output=True,
        text=True,
        check=False,
    )
    own = [line for line in done.stderr.splitlines() if str(tmp_path) in line or name in line]
    assert done.returncode == 0 and own == [], done.stderr


def test_the_service_runs_jdx_serve_and_stops_it_gracefully() -> None:
    service = unit("jdx.service")["Service"]
    assert service["ExecStart"] == f"{SHIPPED_JDX} serve"
    assert service["EnvironmentFile"] == "/etc/jdx/jdx.env"
    # SIGTERM to `jdx serve` alone (uvicorn passes it on), a kill after the time limit
    assert (service["KillSignal"], service["KillMode"]) == ("SIGTERM", "mixed")
    assert service["TimeoutStopSec"] == "60s"
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "3"  # EXIT_SETUP: a restart cannot fix it
    for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"):
        assert service[hardening] == "yes"
    assert service["ProtectSystem"] == "strict"


def test_the_writable_folders_are_the_ones_the_environment_names() -> None:
    service = unit("jdx.service")["Service"]
    env = environment_example()
    assert service["ReadWritePaths"] == env["JDX_DATA_DIR"] == "/var/lib/jdx"
    assert f"/var/lib/{service['StateDirectory']}" == env["JDX_DATA_DIR"]
    assert Path(env["JDX_UDS"]).parent == Path("/run") / service["RuntimeDirectory"]
    assert service["SupplementaryGroups"] == env["JDX_UDS_GROUP"]
    backup = unit("jdx-backup.service")["Service"]
    assert env["JDX_DATA_DIR"] in backup["ReadWritePaths"].split()
    assert backup["ExecStart"].split()[-1] in backup["ReadWritePaths"].split()


def test_every_variable_of_the_example_environment_is_a_setting() -> None:
    example = (SYSTEMD / "jdx.env.example").read_text().splitlines()
    names = [
        line.lstrip("#").split("=", 1)[0]
        for line in example
        if line.lstrip("#").startswith("JDX_") and "=" in line
    ]
    known = {f"JDX_{field.upper()}" for field in Settings.model_fields}
    assert names and [n for n in names if n not in known] == []
