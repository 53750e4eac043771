"""With no SMTP server set, mail goes to ``data_dir/outbox/*.eml``: the log, ``jdx mail send``
and ``jdx mail list`` say it was written there, not that it was sent."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from jdx.cli import app
from jdx.hub import Hub
from tests.notify.conftest import mail_agency, queue

runner = CliRunner()


def test_mail_without_an_smtp_server_is_written_not_sent(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("JDX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    monkeypatch.setenv("JDX_SMTP_HOST", "")
    who = mail_agency(hub)
    [key] = queue(hub, who)
    with caplog.at_level(logging.INFO, logger="jdx.mail"):
        sent = runner.invoke(app, ["mail", "send"])
    assert sent.exit_code == 0, sent.output
    report = orjson.loads(sent.stdout)
    assert report["written"] == report["mails"] >= 1
    [line] = [r.getMessage() for r in caplog.records if key in r.getMessage()]
    assert " sent" not in line.replace("not sent", "")
    assert "written to" in line and str(tmp_path / "outbox") in line

    listed = runner.invoke(app, ["mail", "list"])
    [mine] = [m for m in orjson.loads(listed.stdout) if m["key"] == key]
    assert mine["state"] == "written"
    written = Path(mine["written_to"])
    assert written.parent == tmp_path / "outbox" and written.suffix == ".eml"
    assert f"To: {who.email}" in written.read_text()
