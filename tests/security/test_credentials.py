"""The portal's secrets from the command line: set-password (stdin) and totp (shown once)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import orjson
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from jdx.cli import app
from jdx.hub import Hub
from jdx.security import credentials, totp, users

runner = CliRunner()


@pytest.fixture
def env(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    return hub


def test_set_password_and_totp_let_the_user_log_in(env: Hub) -> None:
    import secrets

    name = f"cli-rps-{secrets.token_hex(3)}"
    with env.engine.begin() as conn:
        user = users.add_user(conn, name, role="rps", email=f"{name}@example.org")
    short = runner.invoke(app, ["users", "set-password", name, "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "12 characters" in short.output
    done = runner.invoke(
        app, ["users", "set-password", name, "--password-stdin"], input="a portal password\n"
    )
    assert done.exit_code == 0, done.output
    assert "a portal password" not in done.output
    with env.engine.begin() as conn:
        # no second factor yet: the password alone opens nothing
        assert credentials.check_password(conn, name, "a portal password").user_id is None
    enrolled = orjson.loads(runner.invoke(app, ["users", "totp", name]).stdout)
    uri = urlparse(enrolled["otpauth_uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [enrolled["secret"]]
    with env.engine.begin() as conn:
        assert credentials.check_password(conn, name, "a portal password").user_id == user.id
        code = totp.code_at(enrolled["secret"], totp.step_of())
        assert credentials.check_code(conn, user.id, code).user_id == user.id
        stored = conn.execute(
            sa.select(credentials.user_credentials.c.password_hash).where(
                credentials.user_credentials.c.user_id == user.id
            )
        ).scalar_one()
    assert stored.startswith("$argon2id$") and "a portal password" not in stored
    missing = runner.invoke(app, ["users", "totp", "nobody-at-all"])
    assert missing.exit_code == 1 and "no user" in missing.output


def test_a_new_secret_ends_the_sessions(hub: Hub) -> None:
    import secrets

    name = f"cli-admin-{secrets.token_hex(3)}"
    with hub.engine.begin() as conn:
        user = users.add_user(conn, name, role="admin", email=f"{name}@example.org")
        session = credentials.open_session(conn, user.id, "full")
        assert credentials.session_of(conn, session.token) is not None
        credentials.enrol_totp(conn, user.id)
        assert credentials.session_of(conn, session.token) is None


def test_the_operators_enrolment_gives_recovery_codes_and_a_qr_code(
    env: Hub, tmp_path: Path
) -> None:
    """``jdx users totp --qr``: ten recovery codes, each good once, and the URI's QR code as
    an SVG file (issue 19)."""
    import secrets

    name = f"cli-qr-{secrets.token_hex(3)}"
    with env.engine.begin() as conn:
        user = users.add_user(conn, name, role="rps", email=f"{name}@example.org")
    qr = tmp_path / "qr.svg"
    answer = runner.invoke(app, ["users", "totp", name, "--qr", str(qr)])
    assert answer.exit_code == 0, answer.output
    enrolled = orjson.loads(answer.stdout)
    assert len(set(enrolled["recovery_codes"])) == 10 and enrolled["qr"] == str(qr)
    svg = qr.read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and "<path" in svg
    with env.engine.begin() as conn:
        first = enrolled["recovery_codes"][0]
        assert credentials.check_code(conn, user.id, first).user_id == user.id
        assert credentials.check_code(conn, user.id, first).user_id is None
