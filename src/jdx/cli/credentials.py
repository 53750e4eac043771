"""``jdx users set-password`` and ``jdx users totp``: the portal's secrets, set by an operator.

A password is read from a prompt (twice, not echoed) or, with ``--password-stdin``, from the
first line of standard input, so that it never appears in a process list or shell history. The
TOTP secret is printed once, with its ``otpauth://`` URI for the user's authenticator app (and
its QR code with ``--qr``) and ten one-time recovery codes; the hub cannot show them again. Either command ends the user's sessions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import segno
import typer

from jdx.cli._common import emit, fail, open_hub
from jdx.security import credentials, totp
from jdx.security.users import get_user


def set_password(
    username: str = typer.Argument(..., help="The portal user."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Set a user's password (scrypt; at least 12 characters); unlocks the account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_hub() as h, h.engine.begin() as conn:
        user = get_user(conn, username)
        if user is None:
            fail(f"no user {username}")
        try:
            credentials.set_password(conn, user.id, password)
        except credentials.CredentialError as exc:
            fail(str(exc))
    emit({"username": user.username, "password": "set"})


def enrol_totp(
    username: str = typer.Argument(..., help="The portal user."),
    qr: Path | None = typer.Option(
        None, "--qr", help="Also write the otpauth:// URI's QR code to this SVG file."
    ),
) -> None:
    """A new TOTP second factor: prints the secret, its otpauth:// URI and ten one-time
    recovery codes once (a user can set up a new one later under "Your account")."""
    with open_hub() as h, h.engine.begin() as conn:
        user = get_user(conn, username)
        if user is None:
            fail(f"no user {username}")
        enrolment = credentials.enrol(conn, user.id)
    uri = totp.provisioning_uri(enrolment.secret, user.username)
    if qr is not None:
        segno.make(uri, error="m").save(str(qr), kind="svg", scale=5)
    emit(
        {
            "username": user.username,
            "secret": enrolment.secret,
            "otpauth_uri": uri,
            "recovery_codes": enrolment.recovery_codes,
            "note": "shown once: add it to the user's authenticator app now, and give the user "
            "the recovery codes (each logs in once in place of a code)",
            **({"qr": str(qr)} if qr is not None else {}),
        }
    )


def register(app: typer.Typer) -> None:
    app.command("set-password")(set_password)
    app.command("totp")(enrol_totp)
