"""People who act through the portal: import clients of an agency, RPS bound to regions,
administrators.

A user is who acts; :func:`actor_of` turns one into the :class:`~jdx.security.actors.Actor` the
exchanges decide on. Passwords and second factors are the portal's (its own table, keyed by
``users.id``), so nothing here holds a secret. A suspended user (``active`` false), or a client of
a suspended agency, is refused by :func:`actor_of`, so suspension takes effect at the next
request, on every node.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from jdx.security import standing
from jdx.security.actors import Actor, Role
from jdx.store.paging import Page, fetch_page
from jdx.store.queries import StoreError, now
from jdx.store.tables import Timestamp, agencies, metadata

ROLES: tuple[Role, ...] = ("client", "rps", "admin")
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")
_REGION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),
    # A client acts for one agency (the entering party); an RPS or administrator for none.
    sa.Column("agency_id", sa.ForeignKey("agencies.id"), index=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.CheckConstraint("role in ('client', 'rps', 'admin')", name="role"),
    sa.CheckConstraint("role <> 'client' or agency_id is not null", name="client_agency"),
)

# The regions an RPS reviews; an RPS with none sees nothing.
user_regions = sa.Table(
    "user_regions",
    metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("region", sa.String(40), primary_key=True, index=True),
)


class UserError(StoreError):
    """A user request the store refuses (unknown user, bad role, suspended), for the operator."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    email: str
    role: Role
    agency_id: int | None
    agency_ori: str | None
    active: bool
    created_at: dt.datetime
    regions: tuple[str, ...]


def _check_region(region: str) -> str:
    region = region.strip()
    if not _REGION.match(region):
        raise UserError(f"not a region name (letters, digits, ' ._-', at most 40): {region!r}")
    return region


def add_user(
    conn: sa.Connection,
    username: str,
    *,
    role: str,
    email: str,
    display_name: str = "",
    agency_id: int | None = None,
    regions: Iterable[str] = (),
) -> User:
    """Create a user; a client needs its agency, regions belong to an RPS only."""
    username = username.strip()
    if not _USERNAME.match(username):
        raise UserError(
            f"a user name is 2 to 100 letters, digits or '._@-', starting alnum; got {username!r}"
        )
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    email = email.strip()
    if "@" not in email or " " in email or len(email) > 254:
        raise UserError(f"not an e-mail address: {email!r}")
    if role == "client" and agency_id is None:
        raise UserError("a client user needs its agency (--agency ORI)")
    if role != "client" and agency_id is not None:
        raise UserError("only a client user belongs to an agency")
    wanted = sorted({_check_region(r) for r in regions})
    if wanted and role != "rps":
        raise UserError("only an RPS is bound to regions")
    if (
        agency_id is not None
        and not conn.execute(sa.select(agencies.c.id).where(agencies.c.id == agency_id)).first()
    ):
        raise UserError(f"no agency with id {agency_id}")
    if conn.execute(sa.select(users.c.id).where(users.c.username == username)).first():
        raise UserError(f"user {username} exists already")
    user_id = conn.execute(
        users.insert()
        .values(
            username=username,
            display_name=display_name.strip()[:200],
            email=email,
            role=role,
            agency_id=agency_id,
            active=True,
            created_at=now(),
        )
        .returning(users.c.id)
    ).scalar_one()
    if wanted:
        conn.execute(user_regions.insert(), [{"user_id": user_id, "region": r} for r in wanted])
    return _require(conn, user_id)


def _select() -> sa.Select[tuple[object, ...]]:
    return sa.select(users, agencies.c.ori.label("agency_ori")).outerjoin(
        agencies, agencies.c.id == users.c.agency_id
    )


def _regions(conn: sa.Connection, user_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    if user_ids:
        for r in conn.execute(
            sa.select(user_regions)
            .where(user_regions.c.user_id.in_(user_ids))
            .order_by(user_regions.c.region)
        ):
            found.setdefault(r.user_id, []).append(r.region)
    return {k: tuple(v) for k, v in found.items()}


def _users(conn: sa.Connection, query: sa.Select[tuple[object, ...]]) -> list[User]:
    return _with_regions(conn, conn.execute(query).all())


def _with_regions(conn: sa.Connection, rows: Sequence[sa.Row[Any]]) -> list[User]:
    regions = _regions(conn, [r.id for r in rows])
    return [
        User(
            r.id,
            r.username,
            r.display_name,
            r.email,
            r.role,
            r.agency_id,
            r.agency_ori,
            bool(r.active),
            r.created_at,
            regions.get(r.id, ()),
        )
        for r in rows
    ]


def get_user(conn: sa.Connection, who: int | str) -> User | None:
    """A user by id (int) or user name (str), or None."""
    column = users.c.id if isinstance(who, int) else users.c.username
    value = who if isinstance(who, int) else who.strip()
    found = _users(conn, _select().where(column == value))
    return found[0] if found else None


def _require(conn: sa.Connection, who: int | str) -> User:
    user = get_user(conn, who)
    if user is None:
        raise UserError(f"no user {who}")
    return user


def list_users(
    conn: sa.Connection,
    *,
    role: str | None = None,
    agency_id: int | None = None,
    region: str | None = None,
    active: bool | None = None,
) -> list[User]:
    query = _select().order_by(users.c.username)
    if role is not None:
        query = query.where(users.c.role == role)
    if agency_id is not None:
        query = query.where(users.c.agency_id == agency_id)
    if active is not None:
        query = query.where(users.c.active == active)
    if region is not None:
        query = query.where(
            users.c.id.in_(sa.select(user_regions.c.user_id).where(user_regions.c.region == region))
        )
    return _users(conn, query)


# What the users list shows and exports: never a secret (those are in the portal's own table).
USER_COLUMNS = (
    "username",
    "display_name",
    "email",
    "role",
    "agency_ori",
    "regions",
    "active",
    "created_at",
)


@dataclass(frozen=True)
class UserSearch:
    """The users list's search: a part of the user name or name, a role, an agency's ORI."""

    name: str | None = None
    role: str | None = None
    agency_ori: str | None = None


def _search_query(where: UserSearch) -> sa.Select[tuple[object, ...]]:
    query = _select().order_by(users.c.username, users.c.id)
    if where.name:
        query = query.where(
            sa.or_(
                users.c.username.icontains(where.name, autoescape=True),
                users.c.display_name.icontains(where.name, autoescape=True),
            )
        )
    if where.role:
        query = query.where(users.c.role == where.role)
    if where.agency_ori:
        query = query.where(agencies.c.ori == where.agency_ori)
    return query


def search_users(conn: sa.Connection, where: UserSearch, *, limit: int, offset: int) -> Page[User]:
    """One page of the users that match, by user name, with the count of all of them."""
    found = fetch_page(conn, _search_query(where), limit=limit, offset=offset, row=lambda r: r)
    return Page(_with_regions(conn, found.items), found.total, limit, offset)


def user_rows(conn: sa.Connection, where: UserSearch) -> list[dict[str, Any]]:
    """Every user that matches, as the export's rows (``USER_COLUMNS`` only). A hub has
    hundreds of users, not millions: read at once, with their regions in one query."""
    return [
        {column: getattr(user, column) for column in USER_COLUMNS}
        for user in _users(conn, _search_query(where))
    ]


def set_regions(conn: sa.Connection, who: int | str, regions: Iterable[str]) -> User:
    """Replace an RPS's regions (an empty list: none, the RPS sees nothing)."""
    user = _require(conn, who)
    if user.role != "rps":
        raise UserError(f"user {user.username} is a {user.role}: only an RPS is bound to regions")
    wanted = sorted({_check_region(r) for r in regions})
    conn.execute(user_regions.delete().where(user_regions.c.user_id == user.id))
    if wanted:
        conn.execute(user_regions.insert(), [{"user_id": user.id, "region": r} for r in wanted])
    return _require(conn, user.id)


def set_active(conn: sa.Connection, who: int | str, active: bool) -> User:
    """Suspend (False) or reinstate (True) a user."""
    user = _require(conn, who)
    conn.execute(users.update().where(users.c.id == user.id).values(active=active))
    return _require(conn, user.id)


def actor_of(conn: sa.Connection, user_id: int) -> Actor:
    """Who a logged-in user acts as; UserError for an unknown or suspended user,
    :class:`~jdx.security.standing.Suspended` for a client whose agency is suspended (asked
    at every request, so it takes effect at the next one)."""
    user = get_user(conn, user_id)
    if user is None:
        raise UserError(f"no user {user_id}")
    if not user.active:
        raise UserError(f"user {user.username} is suspended")
    if user.agency_id is not None:
        standing.require_active(conn, user.agency_id)
    return Actor(
        role=user.role,
        name=user.username,
        agency_id=user.agency_id,
        regions=frozenset(user.regions),
        user_id=user.id,
    )


def reviewers_of(conn: sa.Connection, region: str) -> list[tuple[str, str]]:
    """(user name, e-mail) of the active RPS of a region: who hears of its cases."""
    return reviewers_in(conn, [region]).get(region, [])


def reviewers_in(conn: sa.Connection, regions: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """The active RPS of each of the regions (one query); a region without any is left out."""
    wanted = sorted(set(regions))
    found: dict[str, list[tuple[str, str]]] = {}
    if not wanted:
        return found
    rows = conn.execute(
        sa.select(user_regions.c.region, users.c.username, users.c.email)
        .join(user_regions, user_regions.c.user_id == users.c.id)
        .where(user_regions.c.region.in_(wanted), users.c.role == "rps", users.c.active)
        .order_by(user_regions.c.region, users.c.username)
    )
    for r in rows:
        found.setdefault(r.region, []).append((r.username, r.email))
    return found


def administrators(conn: sa.Connection) -> list[tuple[str, str]]:
    """(user name, e-mail) of the active administrators: who hears of a region without RPS."""
    rows = conn.execute(
        sa.select(users.c.username, users.c.email)
        .where(users.c.role == "admin", users.c.active)
        .order_by(users.c.username)
    )
    return [(r.username, r.email) for r in rows]
