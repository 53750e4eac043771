"""Login throttling: growing delays per address and per account that no stranger can turn into a
lock-out of the account's owner. One place decides; the portal and SFTP ask it.

Three counters of failures in a row, each with the same growing delay (:func:`delay_after`):
the first ``FREE`` failures cost nothing; then each failure doubles the wait, from 1 s to at
most ``MAX_DELAY``; a counter without a failure for ``FORGET_AFTER`` starts again.

- **address**: every failure from an address (whatever the name tried). While it waits, the
  address is refused before any hash is computed (portal: 429 with Retry-After; SFTP: the
  password is refused).
- **account**: failures on a name (known or not: an unknown name is throttled like a known one,
  so the delays say nothing about who exists) from addresses *without a recent success* for it.
  While it waits, the account is *guarded*: such addresses must give the second factor together
  with the password (portal, judged at once, one answer for both), or cannot use a password at
  all (SFTP, which has no second factor; public keys still work).
- **pair** (account, address) for a *known-good* address, one the account logged in from within
  ``KNOWN_FOR``: failures from there count here only, and only this counter can make it wait.

So a stranger's failures, from however many addresses, raise their own addresses' delays and
the account's guard, neither of which stops the owner: from a known-good address the owner sees
only the pair's counter, and elsewhere the owner has the second factor. Every attempt refused
during a delay counts as a failure too: hammering only makes the wait longer.

The state is in the database (``login_failures``, ``login_known``), so every node behind the
proxy counts the same failures; each failure is one upsert, atomic on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from jdx.store.tables import Timestamp, metadata

FREE = 5  # failures in a row that cost no delay (typos)
FIRST_DELAY = dt.timedelta(seconds=1)
MAX_DELAY = dt.timedelta(minutes=15)
FORGET_AFTER = dt.timedelta(hours=24)
KNOWN_FOR = dt.timedelta(days=90)
_KEY = 200

login_failures = sa.Table(
    "login_failures",
    metadata,
    # address:<ip> | account:<channel>:<name> | pair:<channel>:<name>@<ip>
    sa.Column("key", sa.String(_KEY), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", Timestamp, nullable=False),
    sa.Column("blocked_until", Timestamp, nullable=False),
)

login_known = sa.Table(
    "login_known",
    metadata,
    sa.Column("account", sa.String(_KEY), primary_key=True),  # <channel>:<name>
    sa.Column("address", sa.String(64), primary_key=True),
    sa.Column("last_success_at", Timestamp, nullable=False),
)


@dataclass(frozen=True)
class Verdict:
    """What the throttle says of an attempt before any password is hashed."""

    keys: tuple[str, ...]  # the counters a failure of this attempt adds to
    wait: float = 0.0  # seconds before this address may try (0: now)
    guarded: bool = False  # the account waits: second factor with the password, or no password
    known: bool = False  # the address is known-good for the account

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.wait))


def delay_after(failures: int) -> dt.timedelta:
    """The wait after ``failures`` failures in a row: none, then 1 s doubling up to MAX_DELAY."""
    if failures < FREE:
        return dt.timedelta(0)
    grown: dt.timedelta = FIRST_DELAY * 2 ** min(failures - FREE, 20)
    return min(grown, MAX_DELAY)


def _account(channel: str, name: str) -> str:
    return f"{channel}:{name}"[:150]


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back without their zone; they are stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def check(
    conn: sa.Connection, channel: str, name: str, address: str, moment: dt.datetime
) -> Verdict:
    """The verdict on an attempt at ``name`` from ``address`` (reads only)."""
    account = _account(channel, name)
    address = address[:64]
    known = conn.execute(
        sa.select(login_known.c.last_success_at).where(
            login_known.c.account == account, login_known.c.address == address
        )
    ).scalar()
    is_known = known is not None and _aware(known) > moment - KNOWN_FOR
    if is_known:
        keys: tuple[str, ...] = (f"pair:{account}@{address}",)
    else:
        keys = (f"address:{address}", f"account:{account}")
    waits = {
        row.key: (_aware(row.blocked_until) - moment).total_seconds()
        for row in conn.execute(sa.select(login_failures).where(login_failures.c.key.in_(keys)))
        if _aware(row.last_failure_at) > moment - FORGET_AFTER
    }
    address_wait = max(0.0, waits.get(keys[0], 0.0))
    guarded = not is_known and waits.get(keys[1], 0.0) > 0
    return Verdict(keys, address_wait, guarded, is_known)


def _upsert(conn: sa.Connection) -> sa.Insert:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(login_failures)  # type: ignore[no-any-return]


def failed(conn: sa.Connection, verdict: Verdict, moment: dt.datetime) -> None:
    """Count a failure (or an attempt refused while waiting) on the verdict's counters."""
    forgotten = moment - FORGET_AFTER
    for key in verdict.keys:
        insert = _upsert(conn).values(
            key=key, failures=1, last_failure_at=moment, blocked_until=moment
        )
        table = login_failures
        upsert = insert.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[table.c.key],
            set_={
                "failures": sa.case(
                    (table.c.last_failure_at <= forgotten, 1), else_=table.c.failures + 1
                ),
                "last_failure_at": moment,
            },
        ).returning(table.c.failures)
        failures = conn.execute(upsert).scalar_one()
        conn.execute(
            table.update()
            .where(table.c.key == key)
            .values(blocked_until=moment + delay_after(failures))
        )


def succeeded(
    conn: sa.Connection, channel: str, name: str, address: str, moment: dt.datetime
) -> None:
    """The account logged in from ``address`` (all factors): the address is known-good for it
    from now on, and its failures there are forgiven."""
    account, address = _account(channel, name), address[:64]
    conn.execute(login_failures.delete().where(login_failures.c.key == f"pair:{account}@{address}"))
    updated = conn.execute(
        login_known.update()
        .where(login_known.c.account == account, login_known.c.address == address)
        .values(last_success_at=moment)
    ).rowcount
    if not updated:
        insert = _upsert_known(conn).values(
            account=account, address=address, last_success_at=moment
        )
        conn.execute(
            insert.on_conflict_do_update(  # type: ignore[attr-defined]
                index_elements=[login_known.c.account, login_known.c.address],
                set_={"last_success_at": moment},
            )
        )


def _upsert_known(conn: sa.Connection) -> sa.Insert:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(login_known)  # type: ignore[no-any-return]


def sweep(conn: sa.Connection, moment: dt.datetime) -> None:
    """Forget counters past FORGET_AFTER and known-good addresses past KNOWN_FOR."""
    conn.execute(
        login_failures.delete().where(login_failures.c.last_failure_at <= moment - FORGET_AFTER)
    )
    conn.execute(login_known.delete().where(login_known.c.last_success_at <= moment - KNOWN_FOR))
