"""The embedded SFTP server on loopback, with real clients: asyncssh and OpenSSH's ``sftp``."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncssh
import pytest
import sqlalchemy as sa
from bench import processes

from jdx.channels.sftp import accounts
from jdx.channels.sftp.server import RunningServer, host_key, start_in_thread
from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.file_folders import ROOT_REALM_FILE
from jdx.exchanges.stops.file_store import write_bytes
from jdx.exchanges.stops.outputs import LOG_LENGTH
from jdx.exchanges.stops.tables import stop_files
from jdx.hub import Hub
from jdx.security.passwords import generate_password
from tests.conftest import AgencyFixture, new_agency
from tests.samples import STAMP, four_formats, hub_file

pytestmark = pytest.mark.server
T = TypeVar("T")
ROOT = ["PROD", "TEST", "incoming_to_DOJ", "responses_from_DOJ"]  # the seed's and DOJ's layouts
REALM = ["INPUT", "OUTPUT", "incoming_to_DOJ", "responses_from_DOJ"]


@pytest.fixture(scope="module")
def server(workflows: Hub) -> Iterator[RunningServer]:
    running = start_in_thread(workflows, "127.0.0.1", 0)
    yield running
    running.stop()


@dataclass
class Account:
    agency: AgencyFixture
    password: str

    @property
    def ori(self) -> str:
        return self.agency.ori


def open_account(hub: Hub, agency: AgencyFixture) -> Account:
    password = generate_password()
    with hub.engine.begin() as conn:
        accounts.enable(conn, agency.id, password)
    return Account(agency, password)


@pytest.fixture
def account(workflows: Hub, agency: AgencyFixture) -> Account:
    return open_account(workflows, agency)


_loopbacks = itertools.count(1)


def new_loopback() -> str:
    """A loopback address no other connection of this worker used: the login throttle counts
    per address (security/throttle.py), and the hub lives as long as the worker."""
    n = next(_loopbacks)
    return f"127.16.{n // 250 % 250}.{n % 250 + 1}"


async def connect(
    server: RunningServer,
    user: str,
    password: str | None = None,
    key: Any = None,
    address: str | None = None,
    **options: Any,
) -> asyncssh.SSHClientConnection:
    """A client connection from ``address`` (a loopback address of its own by default)."""
    return await asyncssh.connect(
        server.host,
        server.port,
        local_addr=(address or new_loopback(), 0),
        username=user,
        password=password,
        client_keys=[key] if key is not None else None,  # never the tester's own ~/.ssh keys
        known_hosts=None,
        agent_path=None,
        config=None,
        **options,
    )


def session(
    server: RunningServer,
    account: Account,
    work: Callable[[asyncssh.SFTPClient], Awaitable[T]],
    key: Any = None,
) -> T:
    """Run ``work`` in one SFTP session of the account, in a loop of the test's own."""

    async def run() -> T:
        password = None if key is not None else account.password
        conn = await connect(server, account.ori, password, key)
        async with conn, conn.start_sftp_client() as sftp:
            return await work(sftp)

    return asyncio.run(run())


def processed(hub: Hub, ori: str, name: str) -> dict[str, int]:
    with hub.engine.connect() as conn:
        file_id = conn.execute(
            sa.select(stop_files.c.id).where(
                stop_files.c.ori == ori, stop_files.c.file_name == name
            )
        ).scalar_one()
    return workflow.wait(hub, file_id, timeout=60)


def test_the_four_formats_go_in_and_the_results_come_out(
    workflows: Hub, server: RunningServer, account: Account
) -> None:
    uploads = four_formats(workflows, account.agency)

    async def send(sftp: asyncssh.SFTPClient) -> list[str]:
        assert sorted(await sftp.listdir("/")) == [".", "..", *ROOT]
        for name, data in uploads.items():
            async with sftp.open(f"/PROD/INPUT/{name}", "wb") as f:
                await f.write(data)
        return list(await sftp.listdir("PROD/INPUT"))

    left = session(server, account, send)
    assert not set(uploads) & set(left)  # each was taken when the client closed it
    for name in uploads:
        assert processed(workflows, account.ori, name)["with_errors"] >= 1

    async def fetch(sftp: asyncssh.SFTPClient) -> dict[str, bytes]:
        found = {}
        for name in await sftp.listdir("/PROD/OUTPUT"):
            if not name.startswith("."):
                async with sftp.open(f"/PROD/OUTPUT/{name}", "rb") as f:
                    found[name] = await f.read()
        return found

    results = session(server, account, fetch)
    for name in uploads:
        stem, ext = name.rsplit(".", 1)
        assert b"Record Level Errors:" in results[f"{stem}_response.txt"]
        assert len(results[f"{stem}_log.txt"]) == LOG_LENGTH + 1 == 146
        assert results[f"{stem}_log.txt"].startswith(account.ori.encode())
        assert results[f"{stem}_errors.{ext}"]
    csv_errors = results[f"{STAMP}_{account.ori}_B0001_errors.csv"].decode()
    assert csv_errors.splitlines()[0].endswith("|Errors")


@pytest.mark.skipif(shutil.which("sftp") is None, reason="needs OpenSSH's sftp client")
def test_openssh_sftp_in_batch_mode_with_a_key(
    workflows: Hub, server: RunningServer, account: Account, tmp_path: Path
) -> None:
    key = tmp_path / "id_ed25519"
    processes.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    with workflows.engine.begin() as conn:
        accounts.add_key(conn, account.agency.id, (tmp_path / "id_ed25519.pub").read_text())
    name, data = next(iter(four_formats(workflows, account.agency).items()))  # the .csv
    (tmp_path / name).write_bytes(data)

    def sftp(*commands: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "batch").write_text("\n".join(commands) + "\n")
        options = ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"]
        options += ["IdentitiesOnly=yes", "PasswordAuthentication=no"]
        # sftp runs ssh as its child: on a time-out both are stopped, not sftp alone
        return processes.run(
            ["sftp", "-b", str(tmp_path / "batch"), "-i", str(key), "-P", str(server.port)]
            + ["-F", "/dev/null"]
            + [arg for option in options for arg in ("-o", option)]
            + [f"{account.ori}@127.0.0.1"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    sent = sftp("cd PROD/INPUT", f"lcd {tmp_path}", f"put {name}")
    assert sent.returncode == 0, sent.stderr
    assert processed(workflows, account.ori, name)["total"] == 3
    stem = name.rsplit(".", 1)[0]
    out = tmp_path / "out"
    out.mkdir()
    got = sftp(
        f"lcd {out}", f"get PROD/OUTPUT/{stem}_response.txt", f"get PROD/OUTPUT/{stem}_log.txt"
    )
    assert got.returncode == 0, got.stderr
    assert len((out / f"{stem}_log.txt").read_bytes()) == 146
    # and the client's own rules: mkdir and writing at the top are refused
    refused = sftp("mkdir PROD/INPUT/sub")
    assert refused.returncode != 0


def test_a_key_in_rfc4716_form_logs_in(
    workflows: Hub, server: RunningServer, account: Account
) -> None:
    private = asyncssh.generate_private_key("ssh-ed25519", comment="agency tool")
    exported = private.export_public_key("rfc4716")
    assert exported.startswith(b"---- BEGIN SSH2 PUBLIC KEY ----")
    with workflows.engine.begin() as conn:
        added = accounts.add_key(conn, account.agency.id, exported)
    assert added.fingerprint == private.get_fingerprint("sha256")

    async def look(sftp: asyncssh.SFTPClient) -> list[str]:
        return sorted(await sftp.listdir("/PROD"))

    assert session(server, account, look, key=private) == [".", "..", *REALM]
    with workflows.engine.begin() as conn:
        assert accounts.remove_key(conn, account.agency.id, added.fingerprint)
    with pytest.raises(asyncssh.PermissionDenied):
        session(server, account, look, key=private)


def test_wrong_password_unknown_user_and_disabled_account_are_refused(
    workflows: Hub, server: RunningServer, account: Account
) -> None:
    async def nothing(sftp: asyncssh.SFTPClient) -> None:
        return None

    session(server, account, nothing)  # the right password works
    for wrong in (
        Account(account.agency, account.password + "x"),
        Account(AgencyFixture(0, "CA9999999", "", "", {}), account.password),
        Account(new_agency(workflows), account.password),  # an agency without an account
    ):
        with pytest.raises(asyncssh.PermissionDenied):
            session(server, wrong, nothing)
    with workflows.engine.begin() as conn:
        assert accounts.disable(conn, account.agency.id)
    with pytest.raises(asyncssh.PermissionDenied):
        session(server, account, nothing)


def test_an_agency_sees_only_its_own_home(
    workflows: Hub, server: RunningServer, account: Account, other_agency: AgencyFixture
) -> None:
    other = open_account(workflows, other_agency)
    folders = workflow.folders_of(workflows)
    folders.ensure_home(other.ori)
    secret = hub_file(workflows, folders.output_dir(other.ori, "prod") / "theirs.txt")
    write_bytes(folders.store, secret.key, b"not for you")

    async def try_(sftp: asyncssh.SFTPClient) -> list[type[Exception]]:
        attempts = [
            sftp.listdir(f"../{other.ori}"),
            sftp.listdir(f"/../../{other.ori}/PROD/OUTPUT"),
            sftp.listdir(f"/{other.ori}/PROD/OUTPUT"),
            sftp.get(f"PROD/OUTPUT/../../../{other.ori}/PROD/OUTPUT/theirs.txt", "/dev/null"),
            _write(sftp, f"/PROD/INPUT/../../../{other.ori}/PROD/INPUT/{STAMP}_{other.ori}_X.csv"),
        ]
        errors: list[type[Exception]] = []
        for attempt in attempts:
            with pytest.raises(asyncssh.SFTPError) as caught:
                await attempt
            errors.append(type(caught.value))
        return errors

    errors = session(server, account, try_)
    assert errors == [
        asyncssh.SFTPPermissionDenied,
        asyncssh.SFTPPermissionDenied,
        asyncssh.SFTPNoSuchFile,
        asyncssh.SFTPPermissionDenied,
        asyncssh.SFTPPermissionDenied,
    ]
    assert secret.read_text() == "not for you"
    assert not hub_file(workflows, folders.input_dir(other.ori, "prod")).names()


async def _write(sftp: asyncssh.SFTPClient, path: str, data: bytes = b"x") -> None:
    async with sftp.open(path, "wb") as f:
        await f.write(data)


def test_escapes_links_and_writes_outside_input_are_refused(
    workflows: Hub, server: RunningServer, account: Account, tmp_path: Path
) -> None:
    folders = workflow.folders_of(workflows)
    outside = tmp_path / "outside.txt"
    outside.write_text("the hub's")
    home = folders.ensure_home(account.ori)
    if folders.disk is not None:  # a link someone placed in OUTPUT is no file: never followed
        folders.disk.path(folders.output_dir(account.ori, "prod") / "link.txt").symlink_to(outside)
    name = f"{STAMP}_{account.ori}_B9.csv"

    async def try_(sftp: asyncssh.SFTPClient) -> dict[str, type[Exception]]:
        attempts = {
            "absolute": sftp.get("/etc/passwd", str(tmp_path / "passwd")),
            "dotdot": _write(sftp, f"../{name}"),
            "symlink": sftp.symlink(str(outside), f"/PROD/INPUT/{name}"),
            "hard link": sftp.link("/PROD/OUTPUT/link.txt", f"/PROD/INPUT/{name}"),
            "followed": sftp.get("/PROD/OUTPUT/link.txt", str(tmp_path / "got")),
            "output": _write(sftp, f"/PROD/OUTPUT/{name}"),
            "root": _write(sftp, f"/{name}"),
            "realm": _write(sftp, f"/TEST/{name}"),
            "control": _write(sftp, "/PROD/INPUT/a\x01b.csv"),
            "mkdir": sftp.mkdir("/PROD/INPUT/sub"),
            "rmdir": sftp.rmdir("/PROD/OUTPUT"),
            "rename out": sftp.rename("/PROD/OUTPUT/link.txt", f"/PROD/INPUT/{name}"),
        }
        errors = {}
        for what, attempt in attempts.items():
            with pytest.raises(asyncssh.SFTPError) as caught:
                await attempt
            errors[what] = type(caught.value)
        return errors

    errors = session(server, account, try_)
    assert errors.pop("absolute") is asyncssh.SFTPNoSuchFile  # /etc is not in the home
    assert errors.pop("followed") is asyncssh.SFTPNoSuchFile  # a link is no file to read
    named = {what: error.__name__ for what, error in errors.items()}
    assert named == dict.fromkeys(errors, "SFTPPermissionDenied")
    assert outside.read_text() == "the hub's"
    assert not (tmp_path / "passwd").exists() and not (tmp_path / "got").exists()
    if folders.disk is not None:
        assert sorted(p.name for p in folders.disk.path(home).iterdir()) == ROOT
    else:  # nothing at the top of the home but the account's realm
        assert [e.name for e in folders.store.files(home)] == [ROOT_REALM_FILE]
    assert not [key for key in folders.store.tree(home) if "sub" in key.parts]


def test_an_upload_to_a_temporary_name_is_taken_when_renamed(
    workflows: Hub, server: RunningServer, account: Account
) -> None:
    name, data = list(four_formats(workflows, account.agency).items())[3]  # the .json

    async def send(sftp: asyncssh.SFTPClient) -> list[str]:
        await _write(sftp, f"/TEST/INPUT/{name}.part", data)
        waiting = list(await sftp.listdir("/TEST/INPUT"))
        await sftp.rename(f"/TEST/INPUT/{name}.part", f"/TEST/INPUT/{name}")
        return waiting

    assert f"{name}.part" in session(server, account, send)
    assert processed(workflows, account.ori, name)["total"] == 1
    with workflows.engine.connect() as conn:
        realm = conn.execute(
            sa.select(stop_files.c.realm).where(stop_files.c.file_name == name)
        ).scalar_one()
    assert realm == "test"


def test_an_upload_over_the_size_limit_is_refused_while_written(
    workflows: Hub, server: RunningServer, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workflows.settings, "max_file_bytes", 1000)
    name = f"{STAMP}_{account.ori}_BIG.csv"

    async def send(sftp: asyncssh.SFTPClient) -> str:
        with pytest.raises(asyncssh.SFTPFailure) as caught:
            await _write(sftp, f"/PROD/INPUT/{name}", b"x" * 5000)
        return str(caught.value)

    assert "larger than the hub's limit of 1,000 bytes" in session(server, account, send)
    assert not hub_file(
        workflows, workflow.folders_of(workflows).input_dir(account.ori, "prod")
    ).names()
    with workflows.engine.connect() as conn:
        assert (
            conn.execute(sa.select(stop_files).where(stop_files.c.file_name == name)).first()
            is None
        )


def test_the_host_key_is_made_once_and_kept_private(workflows: Hub, server: RunningServer) -> None:
    path = workflows.settings.data_dir / "sftp" / "ssh_host_ed25519_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert host_key(workflows.settings.data_dir).get_fingerprint() == server.fingerprint
