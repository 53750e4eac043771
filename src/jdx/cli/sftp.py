"""``jdx sftp``: agencies' SFTP accounts (user name = ORI), passwords and public keys."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import sqlalchemy as sa
import typer

from jdx.cli._common import emit, fail, open_hub
from jdx.store.queries import Agency, StoreError, get_agency

app = typer.Typer(no_args_is_help=True, help="SFTP accounts of agencies: passwords and keys.")


def _agency(conn: sa.Connection, ori: str) -> Agency:
    agency = get_agency(conn, ori)
    if agency is None:
        fail(f"no agency {ori}")
    return agency


@app.command("enable")
def enable(
    ori: str,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    generate: bool = typer.Option(
        False, "--generate-password", help="Make a password and print it (once)."
    ),
    realm: str = typer.Option(
        None,
        "--realm",
        help="The realm (test or prod) of the root-level /incoming_to_DOJ and "
        "/responses_from_DOJ folders (DOJ's layout). Default: as it was; test for a new home.",
    ),
) -> None:
    """Open (or reopen) the agency's SFTP account; without a password option, keys only or
    the password it had."""
    from jdx.channels.sftp import accounts
    from jdx.exchanges.stops import workflow
    from jdx.exchanges.stops.file_folders import REALM_FOLDERS, Folders
    from jdx.security.passwords import generate_password

    if password_stdin and generate:
        fail("--password-stdin or --generate-password, not both")
    if realm is not None and realm.lower() not in REALM_FOLDERS:
        fail("--realm must be test or prod")
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if len(password) < 12:
            fail("the password must have at least 12 characters")
    elif generate:
        password = generate_password()
    with open_hub() as h:
        with h.engine.begin() as conn:
            agency = _agency(conn, ori)
            accounts.enable(conn, agency.id, password)
        folders = workflow.folders_of(h)
        folders.ensure_home(agency.ori, realm.lower() if realm else None)
        root_realm = folders.root_realm(agency.ori)
        if folders.disk is None and h.settings.sftp == "folder":
            # OpenSSH's home on this node's disk now; the other nodes' watchers make theirs
            Folders(h.settings.data_dir, h.settings.archive_days).ensure_home(
                agency.ori, root_realm
            )
    emit(enabled_json(agency.ori, password if generate else None, root_realm))


def enabled_json(ori: str, generated: str | None, root_realm: str = "test") -> dict[str, object]:
    result: dict[str, object] = {"ori": ori, "sftp": "enabled", "user": ori}
    result["root_realm"] = root_realm
    if generated:
        result["sftp_password"] = generated
        result["note"] = "The password is shown once and stored hashed; keep it safe."
    return result


@app.command("disable")
def disable(ori: str) -> None:
    """Refuse the agency's SFTP logins (its keys and password are kept for a later enable)."""
    from jdx.channels.sftp import accounts

    with open_hub() as h, h.engine.begin() as conn:
        agency = _agency(conn, ori)
        if not accounts.disable(conn, agency.id):
            fail(f"{agency.ori} has no SFTP account")
    emit({"ori": agency.ori, "sftp": "disabled"})


@app.command("add-key")
def add_key(
    ori: str,
    keyfile: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="A public key, OpenSSH or RFC 4716 (ssh.com)."
    ),
) -> None:
    """Let the agency log in with a public key; prints its fingerprint."""
    from jdx.channels.sftp import accounts

    try:
        with open_hub() as h, h.engine.begin() as conn:
            agency = _agency(conn, ori)
            key = accounts.add_key(conn, agency.id, keyfile.read_bytes())
            enabled = accounts.is_enabled(conn, agency.id)
    except StoreError as exc:
        fail(str(exc))
    emit({"ori": agency.ori, **asdict(key), "account_enabled": enabled})


@app.command("keys")
def keys(ori: str) -> None:
    """The agency's public keys."""
    from jdx.channels.sftp import accounts

    with open_hub() as h, h.engine.connect() as conn:
        agency = _agency(conn, ori)
        emit([asdict(k) for k in accounts.list_keys(conn, agency.id)])


@app.command("remove-key")
def remove_key(ori: str, fingerprint: str) -> None:
    """Remove one of the agency's keys, named by its fingerprint (SHA256:...)."""
    from jdx.channels.sftp import accounts

    with open_hub() as h, h.engine.begin() as conn:
        agency = _agency(conn, ori)
        if not accounts.remove_key(conn, agency.id, fingerprint):
            fail(f"{agency.ori} has no key {fingerprint}")
    emit({"ori": agency.ori, "removed": fingerprint})


@app.command("host-key")
def host_key() -> None:
    """The embedded server's host key (made now if missing), for agencies to check."""
    from jdx.channels.sftp.server import host_key as load
    from jdx.settings import load_settings

    key = load(load_settings().data_dir)
    emit(
        {
            "fingerprint": key.get_fingerprint("sha256"),
            "public_key": key.export_public_key("openssh").decode().strip(),
        }
    )
