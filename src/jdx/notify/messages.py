"""Outbox rows made into RFC 5322 messages: one row per mail, or an agency's digest of rows.

The Message-ID comes from the outbox keys, not from a random source: if a mail is ever sent
twice (a crash between the SMTP server's acceptance and the outbox update), both copies carry
the same Message-ID and mail clients and archives recognise the second as a duplicate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

SUMMARY_PREFIX = "summary:"  # the outbox key of a notice that goes out in a summary mail

FOOTER = "\n-- \nThis message was sent automatically by the jdx hub at {url}.\n{where}\n"
# Where an agency finds the details a mail only counts, by the exchange of the outbox key: a
# NamUs agency has no SFTP folder, a stop-data agency has one (issue 19).
NAMUS_KEY_PREFIX = "case-"  # exchanges/cases: job results, cancellation requests and decisions
NAMUS_WHERE = (
    "It holds no record content; for the details of your NamUs case imports, sign in to the "
    "portal ({base}/portal/jobs) or read them over the NamUs API ({base}/namus/v1/jobs)."
)
STOPS_WHERE = "It holds no record content; sign in or use your SFTP folder to see the details."


@dataclass(frozen=True)
class Item:
    """What the notifier needs of one outbox row."""

    id: int
    key: str
    agency_id: int | None
    recipients: list[str]
    subject: str
    body: str
    digest: bool
    attachment: tuple[str, str] | None = None  # (file name, text)


@dataclass(frozen=True)
class Mail:
    """One message to send, and the outbox rows it covers."""

    key: str
    items: tuple[Item, ...]
    recipients: tuple[str, ...]
    subject: str
    body: str

    @property
    def attachments(self) -> list[tuple[str, str]]:
        return [i.attachment for i in self.items if i.attachment is not None]


def group(items: Sequence[Item]) -> list[Mail]:
    """One mail per immediate item; one digest per agency for its digest items."""
    mails: list[Mail] = []
    digests: dict[int | None, list[Item]] = {}
    for item in items:
        if item.digest:
            digests.setdefault(item.agency_id, []).append(item)
        else:
            mails.append(Mail(item.key, (item,), tuple(item.recipients), item.subject, item.body))
    mails += [digest(parts) for parts in digests.values()]
    return mails


def digest(items: Sequence[Item]) -> Mail:
    """The agency's due items merged into one mail, each under its own subject line."""
    keys = sorted(i.key for i in items)
    # The same set of rows always makes the same key, hence the same Message-ID on a retry.
    key = "digest:" + hashlib.sha256("\n".join(keys).encode()).hexdigest()[:24]
    recipients = tuple(dict.fromkeys(r for i in items for r in i.recipients))
    count = len(items)
    notices = f"{count} notice{'s' if count != 1 else ''}"
    sections = [f"{n}. {i.subject}\n\n{i.body.strip()}\n" for n, i in enumerate(items, 1)]
    if all(i.key.startswith(SUMMARY_PREFIX) for i in items):
        # One-stop files of an agency notified immediately (mail.notify_agency summary_seconds)
        subject = f"jdx: summary, {notices}"
        intro = f"Files the jdx hub processed for you in the last minute or so ({notices})."
    else:
        subject = f"jdx: daily summary, {notices}"
        intro = f"Your daily summary from the jdx hub ({count} since the last one)."
    body = intro + "\n\n" + "\n".join(sections)
    return Mail(key, tuple(items), recipients, subject, body)


def message_id(key: str, public_url: str, mail_from: str) -> str:
    """A Message-ID that is the same whenever the same outbox key is sent from the same hub."""
    domain = mail_from.rpartition("@")[2] or "localhost"
    # The hub's address makes two hubs that share a sender domain give different IDs.
    digest_ = hashlib.sha256(f"{public_url}\n{key}".encode()).hexdigest()[:20]
    return f"<jdx.{slug(key)[:60]}.{digest_}@{domain}>"


def slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", ".", key).strip(".") or "mail"


def compose(mail: Mail, *, mail_from: str, public_url: str, at: dt.datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(at.astimezone(dt.UTC))
    message["Message-ID"] = message_id(mail.key, public_url, mail_from)
    # RFC 3834: machine-generated; auto-responders must not answer it.
    message["Auto-Submitted"] = "auto-generated"
    host = urlsplit(public_url).netloc or public_url
    footer = FOOTER.format(url=host, where=where_to_look(mail, public_url))
    message.set_content(mail.body.rstrip() + "\n" + footer)
    for name, text in mail.attachments:
        message.add_attachment(text, subtype="plain", filename=name)
    return message


def is_namus(key: str) -> bool:
    return key.removeprefix(SUMMARY_PREFIX).startswith(NAMUS_KEY_PREFIX)


def where_to_look(mail: Mail, public_url: str) -> str:
    """The footer's pointer to the details: NamUs's, stop data's, or both for a digest of both."""
    namus = [is_namus(item.key) for item in mail.items] or [is_namus(mail.key)]
    lines = []
    if any(namus):
        lines.append(NAMUS_WHERE.format(base=public_url.rstrip("/")))
    if not all(namus):
        lines.append(STOPS_WHERE)
    return "\n".join(lines)
