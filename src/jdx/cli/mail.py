"""``jdx mail``: the outbox of mail to agencies, and sending it by hand."""

from __future__ import annotations

from dataclasses import asdict

import typer

from jdx.cli._common import emit, open_hub

app = typer.Typer(no_args_is_help=True, help="Mail to agencies: the outbox and the notifier.")


@app.command("send")
def send() -> None:
    """Send the mail that is due now, once (what `jdx serve` does every few seconds)."""
    from jdx.notify.notifier import Notifier

    with open_hub() as h:
        report = Notifier(h.engine, h.settings).send_due()
    emit(asdict(report))


@app.command("list")
def list_(
    pending: bool = typer.Option(
        False, "--pending", help="Only mail neither sent nor written yet."
    ),
    bodies: bool = typer.Option(False, "--bodies", help="Include the mail bodies."),
    limit: int = typer.Option(1000, help="At most this many, newest first."),
) -> None:
    """The outbox, newest first, with each mail's state (sent; written: to an .eml file, no SMTP
    server set; pending, sending, retrying, given up); no bodies unless asked."""
    from jdx.notify.mail import list_outbox
    from jdx.store.engine import read_only

    with open_hub() as h, read_only(h.engine.connect()) as conn:
        emit(
            list_outbox(
                conn,
                pending=pending,
                bodies=bodies,
                max_attempts=h.settings.mail_max_attempts,
                limit=limit,
            )
        )
