"""``jdx demo``: demo data for a first look: one agency, its keys and the sample domain tables.

The agency is also a sponsored NamUs import account, and the portal gets three demo users (an
administrator, the RPS of the agency's region and a client of the agency), each with a random
password and TOTP secret written, with the API keys, to ``demo-keys.json`` (mode 600) once.
"""

from __future__ import annotations

import secrets

import orjson
import sqlalchemy as sa

from jdx.cli._common import emit, open_hub
from jdx.exchanges.cases import accounts
from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.exchanges.stops.domain_samples import DOMAIN_SAMPLES
from jdx.security import credentials
from jdx.security.keys import issue_key
from jdx.security.users import add_user
from jdx.store.queries import add_agency, get_agency, load_domain_csv

DEMO_ORI = "CA0370000"


def demo() -> None:
    """Create the demo agency (once) and load the sample domain tables; prints the demo keys."""
    with open_hub() as h:
        loaded: dict[str, int] = {}
        specs = {n: d for dic in h.validation.dictionaries.values() for n, d in dic.domains.items()}
        keys_file = h.settings.data_dir / "demo-keys.json"
        with h.engine.begin() as conn:
            for name, path in DOMAIN_SAMPLES.items():
                loaded[name] = load_domain_csv(conn, name, path, specs[name].csv_key)
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
        emit(
            {
                "agency": DEMO_ORI,
                "keys_file": str(keys_file),
                "domain_tables": loaded,
            }
        )


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
