"""``jdx demo`` gives a newcomer a portal to log into: its users' one-time secrets work.

Runs the commands on a SQLite database of its own (the demo's fixed names would collide with
the shared test database), then logs in through the portal in-process.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from jdx.channels.http.app import create_app
from jdx.cli import app as cli
from jdx.hub import create_hub
from jdx.security import totp
from jdx.settings import load_settings
from tests.channels.web.conftest import PortalUser, login

runner = CliRunner()


def test_the_demo_users_log_in_with_the_password_and_code_the_demo_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JDX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JDX_DATABASE_URL", "")
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    made = runner.invoke(cli, ["demo"])
    assert made.exit_code == 0, made.output
    keys_file = tmp_path / "demo-keys.json"
    assert keys_file.stat().st_mode & 0o077 == 0  # the secrets are the operator's alone
    users = orjson.loads(keys_file.read_bytes())["portal_users"]
    assert {u["role"] for u in users.values()} == {"admin", "rps", "client"}

    hub = create_hub(load_settings(data_dir=tmp_path, database_url=""))
    try:
        with TestClient(create_app(hub=hub), client=("127.0.0.1", 50002)) as portal:
            rps = users["demo-rps"]
            user = PortalUser(0, "demo-rps", rps["totp_secret"], "rps")
            assert totp.code_at(user.secret, totp.step_of()).isdigit()
            answer = login(portal, user, rps["password"])
            assert answer.status_code == 303, answer.text
            queue = portal.get("/portal/")
            assert queue.status_code == 200 and "Demo rps (rps)" in queue.text
            # A second run of the demo changes nothing: the secrets stay the ones written.
            assert runner.invoke(cli, ["demo"]).exit_code == 0
            assert orjson.loads(keys_file.read_bytes())["portal_users"] == users
    finally:
        hub.dispose()


def test_every_demo_run_prints_the_keys_and_the_portal_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` runs `jdx demo` each time: the first run makes the secrets, every run shows
    them (from demo-keys.json), as JSON on standard output and a how-to on standard error."""
    monkeypatch.setenv("JDX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JDX_DATABASE_URL", "")
    monkeypatch.setenv("JDX_PORT", "8101")
    monkeypatch.delenv("JDX_PUBLIC_URL", raising=False)
    monkeypatch.delenv("JDX_HOST", raising=False)
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    first, second = runner.invoke(cli, ["demo"]), runner.invoke(cli, ["demo"])
    assert first.exit_code == second.exit_code == 0, first.output
    printed = orjson.loads(first.stdout)
    assert orjson.loads(second.stdout) == printed  # the same secrets, not new ones
    written = orjson.loads((tmp_path / "demo-keys.json").read_bytes())
    assert printed["api_keys"] == written["api_keys"]
    assert set(printed["api_keys"]) == {"prod", "test"}
    users = printed["portal_users"]
    assert {name: u["role"] for name, u in users.items()} == {
        "demo-admin": "admin",
        "demo-rps": "rps",
        "demo-client": "client",
    }
    for name, user in users.items():
        assert user["password"] == written["portal_users"][name]["password"]
        assert user["totp_secret"] == written["portal_users"][name]["totp_secret"]
        assert user["otpauth_uri"].startswith(f"otpauth://totp/jdx%3A{name}?secret=")
    assert printed["portal"] == "http://127.0.0.1:8101/portal/"
    assert "log in as one of portal_users" in second.stderr
    assert "http://127.0.0.1:8101/portal/" in second.stderr


def test_the_demo_loads_every_domain_table_so_a_first_stop_skips_no_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's quick start posts a stop to a demo hub: it is checked in full (no
    SDCS-Skipped-Checks header), its ORI being in the demo's ORI table."""
    monkeypatch.setenv("JDX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JDX_DATABASE_URL", "")
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    made = runner.invoke(cli, ["demo"])
    assert made.exit_code == 0, made.output
    hub = create_hub(load_settings(data_dir=tmp_path, database_url="", domain_refresh_seconds=0))
    try:
        hub.refresh_domains(force=True)
        assert hub.validation.missing_domains("stop") == []
        key = orjson.loads((tmp_path / "demo-keys.json").read_bytes())["api_keys"]["test"]
        with TestClient(create_app(hub=hub), client=("127.0.0.1", 50000)) as client:
            sample = client.get("/sdcs/v1/icd/stop-2024-sample.json")
            answer = client.post(
                "/sdcs/v1/stops",
                content=sample.content,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
    finally:
        hub.dispose()
    assert answer.status_code == 200, answer.text
    assert "SDCS-Skipped-Checks" not in answer.headers
