"""What ``JDX_ENVIRONMENT=production`` refuses: settings and data that are fine for a trial on
a laptop and a hole on a server. ``jdx serve`` will not start while any is there, and names
each with what to do about it; other commands still run, so that the operator can fix them.
"""

from __future__ import annotations

import sqlalchemy as sa

from jdx.security.users import users
from jdx.settings import Settings
from jdx.store.tables import agencies

# What `jdx demo` creates (cli/demo.py): its users by name, its agency by name (its ORI is a
# real one, which a production hub may well have).
DEMO_USERS = ("demo-admin", "demo-rps", "demo-client")
DEMO_AGENCY_NAME = "San Diego County Sheriff (demo)"
DEMO_KEYS_FILE = "demo-keys.json"
# Shorter than this, a proxy secret can be guessed; placeholders are what the documentation
# shows, which a deployment copied without changing.
MIN_SECRET_CHARS = 32
PLACEHOLDER_SECRETS = {"change-me", "changeme", "secret", "CHANGE-ME-openssl-rand-hex-32"}


def unsafe_settings(settings: Settings) -> list[str]:
    """The settings production refuses, each as a sentence saying what to do instead."""
    found = []
    if settings.trusted_proxies and not settings.proxy_secret:
        found.append(
            f"JDX_TRUSTED_PROXIES={settings.trusted_proxies} trusts a proxy over TCP, where any "
            "process on that address (every local one, for 127.0.0.1) can forge the client "
            "certificate headers: put nginx on the Unix socket (JDX_UDS) and unset "
            "JDX_TRUSTED_PROXIES, or set JDX_PROXY_SECRET (docs/operations.md, 'The proxy "
            "boundary')"
        )
    if settings.proxy_secret and (
        len(settings.proxy_secret) < MIN_SECRET_CHARS
        or settings.proxy_secret in PLACEHOLDER_SECRETS
    ):
        found.append(
            f"JDX_PROXY_SECRET is a placeholder or shorter than {MIN_SECRET_CHARS} characters: "
            "use `openssl rand -hex 32`"
        )
    if not settings.namus_require_client_cert:
        found.append(
            "JDX_NAMUS_REQUIRE_CLIENT_CERT=false lets a NamUs import key work without its "
            "client certificate: unset it (seed 000 wants both)"
        )
    return found


def unsafe_data(settings: Settings, conn: sa.Connection) -> list[str]:
    """The demo's users, agency and secrets file, which production refuses while they work."""
    found = []
    demo_users = (
        conn.execute(
            sa.select(users.c.username)
            .where(users.c.username.in_(DEMO_USERS), users.c.active)
            .order_by(users.c.username)
        )
        .scalars()
        .all()
    )
    if demo_users:
        found.append(
            f"the demo's portal users {', '.join(demo_users)} are active: "
            + "; ".join(f"`jdx users suspend {name}`" for name in demo_users)
        )
    demo_agency = conn.execute(
        sa.select(agencies.c.ori).where(agencies.c.name == DEMO_AGENCY_NAME, agencies.c.active)
    ).scalar()
    if demo_agency is not None:
        found.append(
            f"the demo agency {demo_agency} ({DEMO_AGENCY_NAME}) is active, with keys anyone "
            f"who saw {DEMO_KEYS_FILE} has: `jdx agency suspend {demo_agency}`"
        )
    keys_file = settings.data_dir / DEMO_KEYS_FILE
    if keys_file.exists():
        found.append(f"{keys_file} holds the demo's keys and passwords: delete it")
    return found
