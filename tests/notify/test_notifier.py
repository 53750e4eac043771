"""The notifier against a real SMTP server (aiosmtpd on loopback): once, digests, retries."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import AuthResult

from jdx.hub import Hub
from jdx.notify.messages import message_id
from jdx.notify.notifier import LEASE, Notifier, backoff
from jdx.notify.transports import Transport
from jdx.store.queries import now
from jdx.store.tables import outbox
from tests.notify.conftest import SmtpServer, free_port, mail_agency, queue, serving

pytestmark = pytest.mark.smtp


def row(hub: Hub, key: str) -> sa.Row:  # type: ignore[type-arg]
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(outbox).where(outbox.c.key == key)).one()


def test_immediate_mail_arrives_once_with_its_recipients_subject_and_message_id(
    hub: Hub, smtp: SmtpServer
) -> None:
    who = mail_agency(hub)
    [key] = queue(hub, who)
    notifier = Notifier(hub.engine, smtp.settings)
    report = notifier.send_due()
    assert report.mails >= 1 and report.failed == 0
    notifier.send_due()  # nothing is due twice
    [got] = smtp.collector.to(who.email)
    assert got.rcpt_tos == [who.email] and got.mail_from == "hub@jdx.example"
    assert got.message["Subject"] == f"jdx: notice 0 for {who.agency.ori}"
    assert got.message["Message-ID"] == message_id(key, smtp.settings.public_url, "hub@jdx.example")
    assert got.message["Auto-Submitted"] == "auto-generated"
    assert "Notice 0: 3 records, 2 stored." in got.text
    sent = row(hub, key)
    assert sent.sent_at is not None and sent.attempts == 1 and sent.claim_token is None


def test_daily_digest_merges_the_agencys_items_into_one_mail_at_the_digest_hour(
    hub: Hub, smtp: SmtpServer
) -> None:
    who = mail_agency(hub, notify="daily")
    start = dt.datetime(2031, 5, 6, 14, 30, tzinfo=dt.UTC)
    keys = queue(hub, who, 3, at=start)
    digest_at = dt.datetime(2031, 5, 7, hub.settings.digest_hour, tzinfo=dt.UTC)
    assert {row(hub, k).due_at.replace(tzinfo=dt.UTC) for k in keys} == {digest_at}
    notifier = Notifier(hub.engine, smtp.settings)
    notifier.send_due(at=digest_at - dt.timedelta(seconds=1))
    assert smtp.collector.to(who.email) == []
    notifier.send_due(at=digest_at)
    [got] = smtp.collector.to(who.email)
    assert got.message["Subject"] == "jdx: daily summary, 3 notices"
    for i in range(3):
        assert f"jdx: notice {i} for {who.agency.ori}" in got.text
        assert f"Notice {i}: 3 records, 2 stored." in got.text
    assert all(row(hub, k).sent_at is not None for k in keys)
    notifier.send_due(at=digest_at + dt.timedelta(days=1))
    assert len(smtp.collector.to(who.email)) == 1


def test_a_refused_mail_stays_pending_with_one_more_attempt_and_goes_out_on_a_later_run(
    hub: Hub, smtp: SmtpServer
) -> None:
    who = mail_agency(hub)
    [key] = queue(hub, who)
    notifier = Notifier(hub.engine, smtp.settings)
    moment = now()
    smtp.collector.refuse = True
    assert notifier.send_due(at=moment).failed >= 1
    pending = row(hub, key)
    assert (pending.sent_at, pending.attempts) == (None, 1)
    assert "451" in pending.last_error and pending.claim_token is None
    smtp.collector.refuse = False
    notifier.send_due(at=moment)  # not yet: it waits for its backoff
    assert smtp.collector.to(who.email) == []
    notifier.send_due(at=moment + backoff(1))
    assert len(smtp.collector.to(who.email)) == 1
    sent = row(hub, key)
    assert sent.sent_at is not None and sent.attempts == 2 and sent.last_error is None


def test_an_unreachable_server_leaves_the_mail_pending(hub: Hub, smtp: SmtpServer) -> None:
    who = mail_agency(hub)
    [key] = queue(hub, who)
    closed = smtp.settings.model_copy(update={"smtp_port": free_port()})  # nobody listens
    moment = now()
    Notifier(hub.engine, closed).send_due(at=moment)
    pending = row(hub, key)
    assert (pending.sent_at, pending.attempts) == (None, 1)
    assert "Connection" in pending.last_error
    Notifier(hub.engine, smtp.settings).send_due(at=moment + backoff(1))
    assert len(smtp.collector.to(who.email)) == 1


def test_the_notifier_gives_up_after_the_last_attempt_and_says_so(
    hub: Hub, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    who = mail_agency(hub)
    [key] = queue(hub, who)
    notifier = Notifier(hub.engine, smtp.settings.model_copy(update={"mail_max_attempts": 2}))
    smtp.collector.refuse = True
    moment = now()
    with caplog.at_level(logging.ERROR, logger="jdx.mail"):
        for hours in range(4):
            notifier.send_due(at=moment + dt.timedelta(hours=hours))
    assert row(hub, key).attempts == 2 and row(hub, key).sent_at is None
    assert any(key in r.getMessage() and "giving up" in r.getMessage() for r in caplog.records)
    smtp.collector.refuse = False
    notifier.send_due(at=moment + dt.timedelta(days=1))
    assert smtp.collector.to(who.email) == []


def test_two_notifiers_at_once_send_each_mail_exactly_once(hub: Hub, smtp: SmtpServer) -> None:
    """Threads here; on PostgreSQL (JDX_TEST_DATABASE_URL) the same test runs SKIP LOCKED."""
    who = mail_agency(hub)
    keys = queue(hub, who, 40)
    moment = now()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=30)
            Notifier(hub.engine, smtp.settings).send_due(at=moment)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    subjects = sorted(str(r.message["Subject"]) for r in smtp.collector.to(who.email))
    assert subjects == sorted(f"jdx: notice {i} for {who.agency.ori}" for i in range(40))
    assert all(row(hub, k).attempts == 1 for k in keys)


class _DiesMidSend(Transport):
    """A process that dies while talking to the SMTP server: nothing after it runs."""

    def send(self, message: EmailMessage, key: str) -> None:
        raise SystemExit("killed")


def test_mail_claimed_by_a_notifier_that_died_is_sent_once_its_lease_ends(
    hub: Hub, smtp: SmtpServer
) -> None:
    who = mail_agency(hub)
    [key] = queue(hub, who)
    moment = now()
    with pytest.raises(SystemExit):
        Notifier(hub.engine, smtp.settings, transport=_DiesMidSend).send_due(at=moment)
    notifier = Notifier(hub.engine, smtp.settings)
    notifier.send_due(at=moment + LEASE - dt.timedelta(seconds=1))  # still leased: left alone
    assert smtp.collector.to(who.email) == []
    notifier.send_due(at=moment + LEASE + dt.timedelta(minutes=1))  # the lease is over
    assert len(smtp.collector.to(who.email)) == 1
    assert row(hub, key).attempts == 2


def test_the_notifier_logs_in_when_a_user_is_set(hub: Hub) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        logins.append((data.login, data.password))
        # handled=False: aiosmtpd then answers 535 itself (True would leave the client waiting).
        return AuthResult(success=data.password == b"s3cret", handled=False)

    # Loopback without TLS, for the test only: a real server must not offer AUTH in the clear.
    with serving(hub.settings, authenticator=authenticator, auth_require_tls=False) as server:
        who = mail_agency(hub)
        queue(hub, who)
        wrong = server.settings.model_copy(update={"smtp_user": "hub", "smtp_password": "nope"})
        assert Notifier(hub.engine, wrong).send_due().failed >= 1
        assert server.collector.to(who.email) == []
        right = wrong.model_copy(update={"smtp_password": "s3cret"})
        Notifier(hub.engine, right).send_due(at=now() + backoff(1))
        assert len(server.collector.to(who.email)) == 1
    assert (b"hub", b"s3cret") in logins


def test_without_an_smtp_server_mail_is_written_as_eml_files(hub: Hub, tmp_path: Path) -> None:
    who = mail_agency(hub)
    [key] = queue(hub, who)
    settings = hub.settings.model_copy(update={"data_dir": tmp_path, "smtp_host": ""})
    Notifier(hub.engine, settings).send_due()
    folder = tmp_path / "outbox"
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no partial file
    mine = []
    for path in folder.glob("*.eml"):
        message = BytesParser(policy=default).parsebytes(path.read_bytes())
        if message["To"] == who.email:
            mine.append(message)
    [message] = mine
    assert message["Subject"] == f"jdx: notice 0 for {who.agency.ori}"
    assert message["Message-ID"] == message_id(key, settings.public_url, settings.mail_from)
    assert message["Date"] is not None and message["From"] == settings.mail_from
