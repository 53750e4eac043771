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
