"""Where mail goes: an SMTP server, or ``.eml`` files in ``data_dir/outbox`` (embedded default).

A transport is used as a context manager for one batch, so that an SMTP connection serves
every mail of the batch; a failed send drops the connection and the next mail opens a new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from types import TracebackType
from typing import Self

from jdx.notify.messages import slug
from jdx.settings import Settings

log = logging.getLogger("jdx.mail")
SMTP_TIMEOUT = 60.0


class Transport:
    """Sends mail for the duration of one ``with`` block (one batch)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release what the batch held (a connection); called when the block ends."""

    def send(self, message: EmailMessage, key: str) -> Path | None:
        """Deliver or raise; returning means the mail is handed over: to a server (None), or
        written to the file returned, where nobody receives it unless someone picks it up."""
        raise NotImplementedError


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(settings)
    return EmlTransport(settings.data_dir / "outbox")


class SmtpTransport(Transport):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage, key: str) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(message)
        except BaseException:
            # The session's state is unknown after an error: start the next mail afresh.
            self.close()
            raise
        if refused:
            # Some recipients were accepted: the mail is sent; a retry would duplicate it for them.
            log.warning("mail %s: recipients refused by the server: %s", key, sorted(refused))

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT)
        try:
            if s.smtp_tls == "starttls":
                smtp.starttls(context=context)
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self._smtp is None:
            return
        smtp, self._smtp = self._smtp, None
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


class EmlTransport(Transport):
    """Each mail as ``<key>.eml``; written to a temporary name and renamed, so a reader of the
    folder never sees half a file, and a mail sent twice replaces itself instead of doubling."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def path_for(self, key: str) -> Path:
        # The hash keeps keys that differ only in punctuation apart.
        return (
            self.folder / f"{slug(key)[:100]}-{hashlib.sha256(key.encode()).hexdigest()[:10]}.eml"
        )

    def send(self, message: EmailMessage, key: str) -> Path:
        target = self.path_for(key)
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                # CRLF line ends, as RFC 5322 has them on the wire.
                fh.write(message.as_bytes(policy=SMTP))
                fh.flush()
                os.fsync(fh.fileno())
            Path(temporary).replace(target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                Path(temporary).unlink()
            raise
        return target
