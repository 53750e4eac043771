"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and mail-only agencies."""

from __future__ import annotations

import datetime as dt
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from jdx.hub import Hub
from jdx.notify.mail import notify_agency
from jdx.settings import Settings
from jdx.store.tables import agencies
from tests.conftest import AgencyFixture, new_agency


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        return str(self.message["Subject"]) + "\n" + body.get_content()


@dataclass
class Collector:
    """The server's handler: keeps each message, or answers 451 while ``refuse`` is set."""

    received: list[Received] = field(default_factory=list)
    refuse: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 4.3.0 Try again later"
        message = BytesParser(policy=default).parsebytes(envelope.content)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]


@dataclass
class SmtpServer:
    collector: Collector
    settings: Settings  # the test hub's settings, pointed at this server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(settings: Settings, **options: Any) -> Iterator[SmtpServer]:
    """aiosmtpd on a loopback port until the block ends; ``options`` go to its SMTP class."""
    collector = Collector()
    # aiosmtpd 1.4 connects to its own port to see that it is up, so port 0 cannot be used.
    controller = Controller(collector, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield SmtpServer(
            collector,
            settings.model_copy(
                update={
                    "smtp_host": "127.0.0.1",
                    "smtp_port": controller.port,
                    "smtp_tls": "none",
                    "mail_from": "hub@jdx.example",
                }
            ),
        )
    finally:
        controller.stop()


@pytest.fixture
def smtp(settings: Settings) -> Iterator[SmtpServer]:
    with serving(settings) as server:
        yield server


@dataclass
class MailAgency:
    agency: AgencyFixture
    email: str


def mail_agency(hub: Hub, notify: str = "immediate") -> MailAgency:
    """An agency whose point of contact is its own, so a test finds its mail among others'."""
    agency = new_agency(hub, "Mail agency")
    email = f"poc-{agency.ori.lower()}-{secrets.token_hex(3)}@example.org"
    with hub.engine.begin() as conn:
        conn.execute(
            agencies.update()
            .where(agencies.c.id == agency.id)
            .values(emails=[email], notify=notify)
        )
    return MailAgency(agency, email)


def queue(hub: Hub, who: MailAgency, n: int = 1, at: dt.datetime | None = None) -> list[str]:
    """Queue ``n`` notices for the agency as the file processing does; returns their keys."""
    keys = [f"test:{who.agency.ori}:{i}:{secrets.token_hex(4)}" for i in range(n)]
    with hub.engine.begin() as conn:
        for i, key in enumerate(keys):
            notify_agency(
                conn,
                who.agency.id,
                key=key,
                subject=f"jdx: notice {i} for {who.agency.ori}",
                body=f"Notice {i}: 3 records, 2 stored.",
                digest_hour=hub.settings.digest_hour,
                at=at,
            )
    return keys
