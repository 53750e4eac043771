"""Issue 16, finding 4 on SFTP: 200 wrong passwords on one connection used to go unchecked,
each costing a 16 MiB scrypt. Now a connection is cut off at its third wrong password, the
address waits longer after each failure, and the account's owner is not stopped from an
address it logged in from before (security/throttle.py)."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest
import sqlalchemy as sa

from jdx.channels.sftp.server import PASSWORDS_PER_CONNECTION, RunningServer
from jdx.hub import Hub
from jdx.store.tables import sftp_accounts
from tests.channels.sftp import test_server as base
from tests.channels.sftp.test_server import Account, connect, new_loopback
from tests.security.test_passwords import scrypt_hash

pytestmark = pytest.mark.server
server, account = base.server, base.account  # the fixtures: a server for this module


class Guesser(asyncssh.SSHClient):
    """A client that offers a new wrong password each time the server lets it try again."""

    def __init__(self, most: int = 20) -> None:
        self.tries, self.most = 0, most

    def password_auth_requested(self) -> str | None:
        self.tries += 1
        return f"guess number {self.tries}" if self.tries <= self.most else None


def guess(server: RunningServer, ori: str, address: str) -> int:
    """One connection of wrong passwords from ``address``; how many it got to send."""
    guesser = Guesser()

    async def run() -> None:
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(
                server,
                ori,
                address=address,
                client_factory=lambda: guesser,
                preferred_auth="password",
            )

    asyncio.run(run())
    return guesser.tries


def logs_in(server: RunningServer, account: Account, address: str) -> bool:
    async def run() -> bool:
        try:
            conn = await connect(
                server, account.ori, account.password, address=address, preferred_auth="password"
            )
        except asyncssh.PermissionDenied:
            return False
        async with conn, conn.start_sftp_client() as sftp:
            await sftp.listdir("/")
        return True

    return asyncio.run(run())


def test_many_wrong_passwords_on_one_connection_are_cut_off(
    server: RunningServer,
    account: Account,
) -> None:
    assert guess(server, account.ori, new_loopback()) == PASSWORDS_PER_CONNECTION == 3


def test_a_strangers_failures_do_not_stop_the_owner_at_a_known_good_address(
    server: RunningServer,
    account: Account,
) -> None:
    office, stranger = new_loopback(), new_loopback()
    assert logs_in(server, account, office)  # the office is known-good from now on
    for _ in range(3):  # nine failures: waits of 16 s and more, whatever the machine's pace
        assert guess(server, account.ori, stranger) == 3
    # the stranger's address waits, even with the right password now
    assert not logs_in(server, account, stranger)
    # the owner, from the office, is not stopped
    assert logs_in(server, account, office)
    # an address the account never logged in from takes no password while the account is
    # guarded (SFTP has no second factor; its keys and known-good addresses still work)
    assert not logs_in(server, account, new_loopback())


def test_an_scrypt_password_is_rehashed_to_argon2id_at_login(
    workflows: Hub,
    server: RunningServer,
    account: Account,
) -> None:
    with workflows.engine.begin() as conn:
        conn.execute(
            sftp_accounts.update()
            .where(sftp_accounts.c.agency_id == account.agency.id)
            .values(password_hash=scrypt_hash(account.password))
        )
    assert logs_in(server, account, new_loopback())
    with workflows.engine.connect() as conn:
        stored = conn.execute(
            sa.select(sftp_accounts.c.password_hash).where(
                sftp_accounts.c.agency_id == account.agency.id
            )
        ).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert logs_in(server, account, new_loopback())
