"""A suspended agency over SFTP, with a real client (asyncssh) against the embedded server.

Issue 16, finding 1: after ``jdx agency suspend`` the agency's SFTP login still worked and an
upload was processed and stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncssh
import orjson
import pytest
import sqlalchemy as sa

from jdx.channels.sftp.server import RunningServer, start_in_thread
from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.tables import stop_files
from jdx.hub import Hub
from jdx.store.queries import set_agency_active
from tests.channels.sftp.test_server import Account, connect, open_account, session
from tests.conftest import AgencyFixture, stop_record
from tests.samples import STAMP, hub_file

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(workflows: Hub) -> Iterator[RunningServer]:
    running = start_in_thread(workflows, "127.0.0.1", 0)
    yield running
    running.stop()


@pytest.fixture
def account(workflows: Hub, agency: AgencyFixture) -> Account:
    return open_account(workflows, agency)


def set_active(hub: Hub, account: Account, active: bool) -> None:
    with hub.engine.begin() as conn:
        set_agency_active(conn, account.ori, active)


def files_of(hub: Hub, ori: str) -> list[str]:
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(stop_files.c.file_name).where(stop_files.c.ori == ori))
        return [r.file_name for r in rows]


def test_a_suspended_agency_cannot_log_in_until_reinstated(
    workflows: Hub, server: RunningServer, account: Account
) -> None:
    set_active(workflows, account, False)

    async def log_in() -> None:
        conn = await connect(server, account.ori, account.password)
        conn.close()

    with pytest.raises(asyncssh.PermissionDenied):
        asyncio.run(log_in())
    set_active(workflows, account, True)
    asyncio.run(log_in())


def test_an_open_session_is_refused_at_its_next_operation(
    workflows: Hub, server: RunningServer, account: Account
) -> None:
    name = f"{STAMP}_{account.ori}_B0001.csv"

    async def work(sftp: asyncssh.SFTPClient) -> list[str]:
        assert "INPUT" in await sftp.listdir("PROD")
        set_active(workflows, account, False)  # while the session is open
        refusals = []
        for attempt in (
            sftp.listdir("PROD"),
            sftp.stat("PROD/OUTPUT"),
            sftp.open(f"PROD/INPUT/{name}", "wb"),
            sftp.remove(f"PROD/INPUT/{name}"),
        ):
            with pytest.raises(asyncssh.SFTPPermissionDenied) as refused:
                await attempt
            refusals.append(str(refused.value.reason))
        set_active(workflows, account, True)  # reinstated: the same session goes on
        assert "OUTPUT" in await sftp.listdir("PROD")
        return refusals

    refusals = session(server, account, work)
    assert all(f"Agency {account.ori} is suspended" in r for r in refusals), refusals


def test_an_upload_finished_after_the_suspension_is_not_stored_and_is_answered(
    workflows: Hub, server: RunningServer, account: Account
) -> None:
    record = stop_record(account.agency)
    name = f"{STAMP}_{account.ori}_{record['LEARecordID']}.json"
    data = orjson.dumps(record)

    async def upload(sftp: asyncssh.SFTPClient) -> str:
        f = await sftp.open(f"PROD/INPUT/{name}", "wb")
        await f.write(data[:100])
        set_active(workflows, account, False)  # the upload completes after the suspension
        await f.write(data[100:], 100)
        with pytest.raises(asyncssh.SFTPPermissionDenied) as refused:
            await f.close()
        return str(refused.value.reason)

    reason = session(server, account, upload)
    assert f"Agency {account.ori} is suspended" in reason
    assert files_of(workflows, account.ori) == []  # not taken, so not processed or stored
    out = hub_file(workflows, workflow.folders_of(workflows).output_dir(account.ori, "prod"))
    note = out / f"{name}.refused.txt"
    assert f"Agency {account.ori} is suspended" in note.read_text()

    set_active(workflows, account, True)

    async def read_answer(sftp: asyncssh.SFTPClient) -> tuple[list[str], bytes]:
        async with sftp.open(f"PROD/OUTPUT/{name}.refused.txt", "rb") as f:
            return list(await sftp.listdir("PROD/INPUT")), await f.read()

    left, answer = session(server, account, read_answer)
    assert name not in left  # out of INPUT: a reinstated agency sends it again
    assert b"is suspended" in answer
