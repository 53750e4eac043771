"""``jdx agency``: the agencies that send records, and their API keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import sqlalchemy as sa
import typer

from jdx.cli._common import emit, fail, open_hub
from jdx.security import standing
from jdx.security.keys import issue_key, revoke_keys
from jdx.store.queries import (
    StoreError,
    add_agency,
    get_agency,
    list_agencies,
    set_agency_notify,
)

app = typer.Typer(no_args_is_help=True, help="Agencies and their credentials.")


@app.command("add")
def add(
    ori: str = typer.Argument(..., help="The agency's 9-character ORI, e.g. CA0370000."),
    name: str = typer.Option(..., "--name", help="The agency's name."),
    email: list[str] = typer.Option([], "--email", help="Point of contact (repeatable)."),
    sftp: bool = typer.Option(
        False, "--sftp", help="Open its SFTP account too, with a generated password."
    ),
) -> None:
    """Register an agency; prints its API keys (production and test) once, and its SFTP
    password with --sftp."""
    from jdx.channels.sftp import accounts
    from jdx.security.passwords import generate_password

    password = generate_password() if sftp else None
    with open_hub() as h:
        try:
            with h.engine.begin() as conn:
                agency = add_agency(conn, ori, name, email)
                keys = {realm: issue_key(conn, agency.id, realm) for realm in ("prod", "test")}
                if password:
                    accounts.enable(conn, agency.id, password)
        except StoreError as exc:
            fail(str(exc))
        shown = {"sftp_user": agency.ori, "sftp_password": password} if password else {}
        emit(
            {
                **asdict(agency),
                "api_keys": keys,
                **shown,
                "note": "The keys are shown once and stored hashed; keep them safe.",
            }
        )


@app.command("list")
def list_() -> None:
    """Every agency (never keys)."""
    with open_hub() as h, h.engine.connect() as conn:
        emit([asdict(a) for a in list_agencies(conn)])


@app.command("key")
def key(
    ori: str,
    realm: str = typer.Option("prod", help="prod or test."),
    revoke_others: bool = typer.Option(
        False, "--revoke-others", help="Revoke the agency's other keys first."
    ),
) -> None:
    """Issue a new API key for an agency (to rotate a key, use --revoke-others)."""
    with open_hub() as h, h.engine.begin() as conn:
        agency = get_agency(conn, ori)
        if agency is None:
            fail(f"no agency {ori}")
        revoked = revoke_keys(conn, agency.id) if revoke_others else 0
        emit(
            {
                "ori": agency.ori,
                "realm": realm,
                "api_key": issue_key(conn, agency.id, realm),
                "revoked": revoked,
            }
        )


@app.command("suspend")
def suspend(ori: str) -> None:
    """Refuse everything the agency does until it is activated again: its API keys (reads too),
    SFTP logins and open sessions, its portal users, and files received from now on (refused
    with a note in OUTPUT; files received before are processed). It takes effect at the next
    request, on every node."""
    _set_active(ori, False)


@app.command("activate")
def activate(ori: str) -> None:
    """Reinstate a suspended agency: every door opens again at the next request."""
    _set_active(ori, True)


@app.command("notify")
def notify(
    ori: str,
    immediate: bool = typer.Option(False, "--immediate", help="One mail per processed file."),
    daily: bool = typer.Option(
        False, "--daily", help="One digest a day, at JDX_DIGEST_HOUR (UTC)."
    ),
) -> None:
    """How often the agency's points of contact get mail about its files."""
    if immediate == daily:
        fail("give exactly one of --immediate and --daily")
    frequency = "daily" if daily else "immediate"
    _change(ori, lambda conn: set_agency_notify(conn, ori, frequency), notify=frequency)


def _set_active(ori: str, active: bool) -> None:
    _change(
        ori,
        lambda conn: standing.set_standing(conn, ori, active, actor="cli", channel="cli"),
        active=active,
    )


def _change(ori: str, change: Callable[[sa.Connection], None], **shown: object) -> None:
    """Apply one change to an agency and print its new value; an unknown agency is an error."""
    try:
        with open_hub() as h, h.engine.begin() as conn:
            change(conn)
    except StoreError as exc:
        fail(str(exc))
    emit({"ori": ori.upper(), **shown})
