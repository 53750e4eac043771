"""Whether an agency may act now: the one rule of suspension, which every door asks.

An agency acts while its ``agencies.active`` flag is set (``jdx agency suspend|activate``). Who
acts for it acts only while it does: its API keys (every route of every API, reads too), its
SFTP account (login, and every operation of a session already open), its portal users (every
page and form), and its uploads (a file received after the suspension is refused with a note
in OUTPUT; one received before is processed to the end, as an accepted record is never lost).

The answer is read from the database each time it is asked, never kept in a process: the
suspension is one committed row, so it takes effect at the next request on every node, and so
does a reinstatement. Where a channel trusts a key for a few seconds to skip a query (the web
service's submissions, ``keys.KeyCache.cached``), the store asks here inside the transaction
that would write, so nothing is stored after the suspension commits. The cost is one primary-key
read per request, measured in docs/conformance.md (Issue 16: suspension).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from jdx.store.queries import StoreError, audit, set_agency_active
from jdx.store.tables import agencies

# The rule, for queries that join ``agencies`` already (a login, a key lookup): one WHERE term
# instead of a second query.
ACTS = agencies.c.active.is_(True)


def message(ori: str) -> str:
    """What every door says to a suspended agency (and to whoever acts for it)."""
    return f"Agency {ori} is suspended; contact the DOJ to have it reinstated."


class Suspended(StoreError):
    """The agency (of a key, an SFTP account, a portal user, a file) is suspended."""

    def __init__(self, ori: str) -> None:
        super().__init__(message(ori))
        self.ori = ori


_STANDING = sa.select(agencies.c.ori, agencies.c.active).where(
    agencies.c.id == sa.bindparam("agency_id")
)


def require_active(conn: sa.Connection, agency_id: int) -> None:
    """Nothing when the agency acts now; :class:`Suspended` when it is suspended."""
    row = conn.execute(_STANDING, {"agency_id": agency_id}).first()
    if row is not None and not row.active:
        raise Suspended(row.ori)


def check(engine: sa.Engine, agency_id: int) -> None:
    """:func:`require_active` on a connection of its own (a channel outside a transaction)."""
    from jdx.store.engine import read_only

    with engine.connect() as conn:
        require_active(read_only(conn), agency_id)


_ACTIVE_BY_ORI = sa.select(agencies.c.active).where(agencies.c.ori == sa.bindparam("ori"))
_SUSPENDED_AMONG = sa.select(agencies.c.id, agencies.c.ori).where(
    agencies.c.id.in_(sa.bindparam("ids", expanding=True)), agencies.c.active.is_(False)
)


def check_ori(engine: sa.Engine, ori: str) -> None:
    """:func:`check` for an agency known by its ORI (an SFTP session knows its user name)."""
    from jdx.store.engine import read_only

    with engine.connect() as conn:
        active = read_only(conn).execute(_ACTIVE_BY_ORI, {"ori": ori.upper()}).scalar()
    if active is not None and not active:
        raise Suspended(ori.upper())


def suspended_among(conn: sa.Connection, agency_ids: Iterable[int]) -> dict[int, str]:
    """The suspended agencies among ``agency_ids``, id → ORI (one query for a group)."""
    wanted = sorted(set(agency_ids))
    if not wanted:
        return {}
    return {r.id: r.ori for r in conn.execute(_SUSPENDED_AMONG, {"ids": wanted})}


def set_standing(conn: sa.Connection, ori: str, active: bool, *, actor: str, channel: str) -> None:
    """Suspend (False) or reinstate (True) an agency, with its audit record: the one write that
    every door reads at its next request (nothing to invalidate; StoreError: no such agency)."""
    set_agency_active(conn, ori, active)
    audit(
        conn,
        exchange="agency",
        actor=actor[:100],
        ori=ori.strip().upper(),
        channel=channel,
        action="reinstate" if active else "suspend",
        outcome="accepted",
    )
