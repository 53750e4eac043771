"""``jdx users``: the people of the portal (import clients, RPS, administrators) and their
roles. Passwords and second factors are set by the portal's own commands."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from jdx.cli._common import emit, fail, open_hub
from jdx.security import users
from jdx.store.queries import StoreError, get_agency

app = typer.Typer(no_args_is_help=True, help="Portal users: clients, RPS and administrators.")


def shown(user: users.User) -> dict[str, Any]:
    out = asdict(user)
    out["created_at"] = user.created_at.isoformat()
    out["regions"] = list(user.regions)
    return out


@app.command("add")
def add(
    username: str = typer.Argument(..., help="The login name."),
    role: str = typer.Option(..., "--role", help="client, rps or admin."),
    email: str = typer.Option(..., "--email", help="Where the user's mail goes."),
    agency: str = typer.Option(None, "--agency", help="A client's agency (ORI)."),
    region: list[str] = typer.Option([], "--region", help="An RPS's region (repeatable)."),
    name: str = typer.Option("", "--name", help="The name shown in the portal."),
) -> None:
    """Create a user. A client belongs to its agency; an RPS reviews the cases of its regions."""
    with open_hub() as h:
        try:
            with h.engine.begin() as conn:
                agency_id = None
                if agency:
                    found = get_agency(conn, agency)
                    if found is None:
                        fail(f"no agency {agency}")
                    agency_id = found.id
                user = users.add_user(
                    conn,
                    username,
                    role=role,
                    email=email,
                    display_name=name,
                    agency_id=agency_id,
                    regions=region,
                )
        except StoreError as exc:
            fail(str(exc))
        emit(shown(user))


@app.command("list")
def list_(
    role: str = typer.Option(None, "--role", help="Only users of this role."),
    region: str = typer.Option(None, "--region", help="Only the RPS of this region."),
) -> None:
    """Every user, with role, agency, regions and whether active."""
    with open_hub() as h, h.engine.connect() as conn:
        emit([shown(u) for u in users.list_users(conn, role=role, region=region)])


@app.command("regions")
def regions(
    username: str = typer.Argument(..., help="The RPS."),
    region: list[str] = typer.Argument(None, help="The regions from now on (none: no region)."),
) -> None:
    """Replace an RPS's regions; the RPS sees only the cases of these regions."""
    _change(lambda conn: users.set_regions(conn, username, region or []))


@app.command("suspend")
def suspend(username: str = typer.Argument(..., help="The user.")) -> None:
    """Suspend a user: refused from the next request on."""
    _change(lambda conn: users.set_active(conn, username, False))


@app.command("activate")
def activate(username: str = typer.Argument(..., help="The user.")) -> None:
    """Reinstate a suspended user."""
    _change(lambda conn: users.set_active(conn, username, True))


def _change(change: Any) -> None:
    with open_hub() as h:
        try:
            with h.engine.begin() as conn:
                user = change(conn)
        except StoreError as exc:
            fail(str(exc))
        emit(shown(user))
