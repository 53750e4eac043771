"""``jdx mail send``, ``jdx mail list`` and ``jdx agency notify`` through Typer's runner."""

from __future__ import annotations

import orjson
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from jdx.cli import app
from jdx.hub import Hub
from jdx.store.tables import agencies
from tests.notify.conftest import SmtpServer, mail_agency, queue

pytestmark = pytest.mark.smtp
runner = CliRunner()


@pytest.fixture
def env(hub: Hub, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    monkeypatch.setenv("JDX_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("JDX_SMTP_PORT", str(smtp.settings.smtp_port))
    monkeypatch.setenv("JDX_SMTP_TLS", "none")
    return hub


def test_mail_list_shows_pending_mail_without_bodies_and_send_sends_it(
    env: Hub, smtp: SmtpServer
) -> None:
    who = mail_agency(env)
    [key] = queue(env, who)
    listed = runner.invoke(app, ["mail", "list", "--pending"])
    assert listed.exit_code == 0, listed.output
    [mine] = [m for m in orjson.loads(listed.stdout) if m["key"] == key]
    assert mine["state"] == "pending" and mine["ori"] == who.agency.ori
    assert mine["recipients"] == [who.email] and "body" not in mine
    sent = runner.invoke(app, ["mail", "send"])
    assert sent.exit_code == 0, sent.output
    report = orjson.loads(sent.stdout)
    assert report["mails"] >= 1 and report["written"] == 0  # sent, none written to files
    assert set(report) == {"mails", "items", "failed", "gave_up", "written"}
    assert len(smtp.collector.to(who.email)) == 1
    pending = orjson.loads(runner.invoke(app, ["mail", "list", "--pending"]).stdout)
    assert key not in [m["key"] for m in pending]
    everything = orjson.loads(runner.invoke(app, ["mail", "list", "--bodies"]).stdout)
    [mine] = [m for m in everything if m["key"] == key]
    assert mine["state"] == "sent" and "Notice 0" in mine["body"]
    assert mine["written_to"] is None


def test_agency_notify_sets_the_frequency(env: Hub) -> None:
    who = mail_agency(env)
    result = runner.invoke(app, ["agency", "notify", who.agency.ori, "--daily"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == {"ori": who.agency.ori, "notify": "daily"}
    with env.engine.connect() as conn:
        frequency = conn.execute(
            sa.select(agencies.c.notify).where(agencies.c.id == who.agency.id)
        ).scalar_one()
    assert frequency == "daily"
    assert runner.invoke(app, ["agency", "notify", who.agency.ori]).exit_code == 1
    assert runner.invoke(app, ["agency", "notify", "CA9999999", "--immediate"]).exit_code == 1
