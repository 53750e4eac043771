"""``jdx demo``: demo data for a first look: one agency, its keys and the sample domain tables.

The agency is also a sponsored NamUs import account, and the portal gets three demo users (an
administrator, the RPS of the agency's region and a client of the agency), each with a random
password and TOTP secret written, with the API keys, to ``demo-keys.json`` (mode 600) once.
Every run prints them from that file (``make run`` runs the demo each time): the JSON document on
standard output for scripts, a few lines on standard error on how to use them.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
import typer

from jdx.cli._common import emit, open_hub
from jdx.exchanges.cases import accounts
from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.exchanges.stops.domain_samples import DEMO_ORI_TABLE, DOMAIN_SAMPLES, load_samples
from jdx.security import credentials, totp
from jdx.security.keys import issue_key
from jdx.security.users import add_user
from jdx.store.queries import add_agency, get_agency

DEMO_ORI = "CA0370000"


def demo() -> None:
    """Create the demo agency (once) and load the sample domain tables; prints the demo keys."""
    with open_hub() as h:
        keys_file = h.settings.data_dir / "demo-keys.json"
        with h.engine.begin() as conn:
            loaded = load_samples(conn, h.validation, {**DOMAIN_SAMPLES, "ori": DEMO_ORI_TABLE})
            if get_agency(conn, DEMO_ORI) is None:
                agency = add_agency(
                    conn, DEMO_ORI, "San Diego County Sheriff (demo)", ["ripa-poc@example.org"]
                )
                keys = {realm: issue_key(conn, agency.id, realm) for realm in ("prod", "test")}
                accounts.set_account(conn, agency.id, sponsor="Demo sponsor", can_import=True)
                users = _portal_users(conn, agency.id)
                keys_file.parent.mkdir(parents=True, exist_ok=True)
                keys_file.write_bytes(
                    orjson.dumps(
                        {"ori": DEMO_ORI, "api_keys": keys, "portal_users": users},
                        option=orjson.OPT_INDENT_2,
                    )
                )
                keys_file.chmod(0o600)
        portal = f"{h.settings.public_url}/portal/"
        emit(
            {
                "agency": DEMO_ORI,
                "keys_file": str(keys_file),
                **_secrets(keys_file),
                "portal": portal,
                "api_docs": f"{h.settings.public_url}/docs",
                "domain_tables": loaded,
            }
        )
        _guide(keys_file, portal)


def _secrets(keys_file: Path) -> dict[str, Any]:
    """The API keys and portal users the first run wrote; each user also with the otpauth:// URI
    an authenticator app takes (made from the secret, so not in the file)."""
    if not keys_file.exists():
        return {"api_keys": None, "portal_users": None}
    written = orjson.loads(keys_file.read_bytes())
    users = {
        name: {**user, "otpauth_uri": totp.provisioning_uri(user["totp_secret"], name)}
        for name, user in written["portal_users"].items()
    }
    return {"api_keys": written["api_keys"], "portal_users": users}


def _guide(keys_file: Path, portal: str) -> None:
    """How to use what was printed, for the human at the terminal (standard error: standard
    output stays one JSON document)."""
    if not keys_file.exists():
        lines = [
            f"{keys_file} is gone, and with it the demo's secrets: `jdx agency key {DEMO_ORI}` "
            "issues a new API key, `jdx users set-password` and `jdx users totp` new portal "
            "secrets."
        ]
    else:
        lines = [
            f"Portal: {portal}: log in as one of portal_users with its password, then the "
            "6-digit code an authenticator app makes from its totp_secret (or otpauth_uri; or "
            "`oathtool --totp -b <totp_secret>`).",
            "API: send one of api_keys as `Authorization: Bearer <key>` (test: the test realm).",
        ]
    typer.echo("\n".join(lines), err=True)


def _portal_users(conn: sa.Connection, agency_id: int) -> dict[str, dict[str, str]]:
    """The demo's administrator, RPS and client, with their one-time password and TOTP secret."""
    made: dict[str, dict[str, str]] = {}
    for username, role in (("demo-admin", "admin"), ("demo-rps", "rps"), ("demo-client", "client")):
        user = add_user(
            conn,
            username,
            role=role,
            email=f"{username}@example.org",
            display_name=f"Demo {role}",
            agency_id=agency_id if role == "client" else None,
            regions=[DEMO_REGIONS["CA"]] if role == "rps" else (),
        )
        password = secrets.token_urlsafe(12)
        credentials.set_password(conn, user.id, password)
        made[username] = {
            "role": role,
            "password": password,
            "totp_secret": credentials.enrol_totp(conn, user.id),
        }
    return made
