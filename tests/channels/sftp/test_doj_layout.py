"""DOJ's live SFTP layout beside the seed's, played by a client that works as Cal-RIPA does."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import orjson
import pytest
import sqlalchemy as sa
from bench import processes
from typer.testing import CliRunner

from jdx.channels.sftp import accounts
from jdx.channels.sftp.server import RunningServer, start_in_thread
from jdx.cli import app
from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.tables import stops
from jdx.hub import Hub
from tests.channels.sftp.test_server import Account, _write, open_account, processed, session
from tests.conftest import AgencyFixture, stop_record
from tests.samples import STAMP, four_formats, hub_file

pytestmark = pytest.mark.server

FILE_HEADER = "Agency ORI|File name|Date Submitted|Time Submitted|Error message"
RECORD_HEADER = "Agency ORI|File name|LEA record ID|Error List"
FATAL, ERRORS = "Record Level Fatal Errors:", "Record Level Errors:"
CODE = re.compile(r"[A-Z]{2,6}[0-9]{3}")


@pytest.fixture(scope="module")
def server(workflows: Hub) -> Iterator[RunningServer]:
    running = start_in_thread(workflows, "127.0.0.1", 0)
    yield running
    running.stop()


@pytest.fixture
def account(workflows: Hub, agency: AgencyFixture) -> Account:
    return open_account(workflows, agency)


def parse_report(text: str) -> list[tuple[str, str, str, str, str, str]]:
    """A DOJ response report, read as strictly as its format allows: each line is the header,
    a section title, an empty line or ``ORI|file|LEA id|CODE::message`` with one code. The
    error lines as (section, ORI, file, LEA id, code, message). Raises on anything else. Also
    checks that the split real clients make (on the two headers) gives their three parts."""
    assert text.endswith("\r\n"), "lines end with CRLF"
    lines = text[:-2].split("\r\n")
    assert lines[0] == FILE_HEADER, lines[0]
    parts = text.split(FILE_HEADER)[1].split(RECORD_HEADER)
    assert len(parts) == 3, "the record header opens each of the two sections"
    section = ""
    found = []
    for line in lines[1:]:
        if line in (FATAL, ERRORS):
            section = line
        elif line == RECORD_HEADER:
            assert section, "a record header before a section title"
        elif line:
            fields = line.split("|")
            assert len(fields) == 4, f"not 4 fields: {line!r}"
            assert section, f"an error line outside the sections: {line!r}"
            code, sep, message = fields[3].partition("::")
            assert sep and CODE.fullmatch(code), f"not CODE::message: {fields[3]!r}"
            assert message and "::" not in message and " ; " not in message, fields[3]
            found.append((section, fields[0], fields[1], fields[2], code, message))
    return found


def test_a_cal_ripa_client_uploads_one_stop_per_file_and_reads_every_response(
    workflows: Hub, server: RunningServer, agency: AgencyFixture, tmp_path: Path
) -> None:
    if shutil.which("sftp") is None:
        pytest.skip("needs OpenSSH's sftp client")
    key = tmp_path / "id_ed25519"
    processes.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    with workflows.engine.begin() as conn:  # a key-only account, as Cal-RIPA logs in
        accounts.enable(conn, agency.id)
        accounts.add_key(conn, agency.id, (tmp_path / "id_ed25519.pub").read_text())

    def sftp(*commands: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "batch").write_text("\n".join(commands) + "\n")
        options = ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"]
        options += ["IdentitiesOnly=yes", "PasswordAuthentication=no", "BatchMode=yes"]
        result = processes.run(
            ["sftp", "-b", str(tmp_path / "batch"), "-i", str(key), "-P", str(server.port)]
            + ["-F", "/dev/null"]
            + [arg for option in options for arg in ("-o", option)]
            + [f"{agency.ori}@127.0.0.1"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result

    moment = dt.datetime(2024, 3, 15, 14, 32, tzinfo=dt.UTC)

    def submit(stops: list[dict[str, Any]]) -> list[str]:
        """One file per stop, each written straight under its final name, then answered."""
        nonlocal moment
        outbox = tmp_path / "outbox"
        shutil.rmtree(outbox, ignore_errors=True)
        outbox.mkdir()
        names = []
        for stop in stops:
            moment += dt.timedelta(seconds=1)
            name = f"{moment:%Y%m%d%H%M%S}_{agency.ori}_{stop['LEARecordID']}.json"
            (outbox / name).write_bytes(orjson.dumps(stop))
            names.append(name)
        sftp("cd /TEST/incoming_to_DOJ/JSON/", f"lcd {outbox}", *(f"put {n}" for n in names))
        for name in names:
            processed(workflows, agency.ori, name)
        return names

    def read_responses() -> dict[str, list[tuple[str, str, str, str, str, str]]]:
        """Every file of the responses folder, parsed; then deleted, as the client does."""
        inbox = tmp_path / "responses"
        shutil.rmtree(inbox, ignore_errors=True)
        inbox.mkdir()
        sftp(f"lcd {inbox}", "get /TEST/responses_from_DOJ/*")
        reports = {p.name: parse_report(p.read_bytes().decode()) for p in inbox.iterdir()}
        sftp(*(f"rm /TEST/responses_from_DOJ/{name}" for name in reports))
        return reports

    valid = [stop_record(agency), stop_record(agency)]
    several = stop_record(agency, SDur="0")
    several["Location"]["City"] = ""  # and a second error in the same record
    fatal = stop_record(agency, SDate="13/45/2024")
    to_correct, to_close = stop_record(agency, SDur="0"), stop_record(agency, SDur="0")
    day_one = submit([*valid, several, fatal, to_correct, to_close])

    reports = read_responses()
    assert sorted(reports) == sorted(n.replace(".json", "_response.txt") for n in day_one)
    lines = [line for found in reports.values() for line in found]
    by_record: dict[str, list[tuple[str, str]]] = {}
    for section, ori, _file, lea, code, _message in lines:
        assert ori == agency.ori
        by_record.setdefault(lea, []).append((section, code))
    assert not {v["LEARecordID"] for v in valid} & set(by_record)  # valid stops: not reported
    assert sorted(by_record[several["LEARecordID"]]) == [(ERRORS, "DV011"), (ERRORS, "DV032")]
    assert {section for section, _ in by_record[fatal["LEARecordID"]]} == {FATAL}
    assert by_record[to_correct["LEARecordID"]] == [(ERRORS, "DV011")]

    # the next day: a correction (TX_Type U) and an NFIA update (U, Is_NFIA Y, errors kept)
    corrected = {**to_correct, "SDur": "10", "TX_Type": "U"}
    closed = {**to_close, "TX_Type": "U", "Is_NFIA": "Y"}
    day_two = submit([corrected, closed])
    reports = read_responses()
    assert sorted(reports) == sorted(n.replace(".json", "_response.txt") for n in day_two)
    assert all(found == [] for found in reports.values())  # no failure to record for either
    folders = workflow.folders_of(workflows)
    with workflows.engine.connect() as conn:
        status = conn.execute(
            sa.select(stops.c.status).where(
                stops.c.realm == "test", stops.c.lea_record_id == to_close["LEARecordID"]
            )
        ).scalar_one()
    assert status == "NFIA"
    log = hub_file(workflows, folders.output_dir(agency.ori, "test"))
    assert (
        " NFIA 1 " in (log / day_two[1].replace(".json", "_log.txt")).read_text()
    )  # the seed's layout says it

    # what the client deleted is gone from OUTPUT too; the logs and error files stay there
    assert "_response.txt" not in sftp("ls -1 /TEST/responses_from_DOJ/").stdout
    output = hub_file(workflows, folders.output_dir(agency.ori, "test")).names()
    assert not [n for n in output if n.endswith("_response.txt")]
    assert len([n for n in output if n.endswith("_log.txt")]) == len(day_one + day_two)
    assert [n for n in output if n.endswith("_errors.json")]


def test_both_layouts_are_views_of_one_realm(
    workflows: Hub, server: RunningServer, agency: AgencyFixture
) -> None:
    account = open_account(workflows, agency)
    files = four_formats(workflows, agency)  # .csv .xlsx .xml .json
    folder_of = {"csv": "XML", "xlsx": "CSV", "xml": "JSON", "json": "XLSX"}  # by content
    where = {
        name: f"/PROD/incoming_to_DOJ/{folder_of[name.rsplit('.', 1)[1]]}/{name}" for name in files
    }

    async def send(sftp: asyncssh.SFTPClient) -> dict[str, list[str]]:
        seen = {p: sorted(await sftp.listdir(p)) for p in ("/incoming_to_DOJ", "/PROD")}
        for name, data in files.items():
            await _write(sftp, where[name], data)
        return seen

    seen = session(server, account, send)
    assert seen["/incoming_to_DOJ"] == [".", "..", "CSV", "JSON", "XLSX", "XML"]
    assert seen["/PROD"] == [".", "..", "INPUT", "OUTPUT", "incoming_to_DOJ", "responses_from_DOJ"]
    for name in files:
        assert processed(workflows, account.ori, name)["with_errors"] >= 1
    stems = [name.rsplit(".", 1)[0] for name in files]

    async def look(sftp: asyncssh.SFTPClient) -> tuple[list[str], list[str], bytes, bytes]:
        responses = sorted(await sftp.listdir("/PROD/responses_from_DOJ"))
        output = sorted(await sftp.listdir("/PROD/OUTPUT"))
        async with sftp.open(f"/PROD/responses_from_DOJ/{stems[0]}_response.txt", "rb") as f:
            one = await f.read()
        async with sftp.open(f"/PROD/OUTPUT/{stems[0]}_response.txt", "rb") as f:
            other = await f.read()
        await sftp.remove(f"/PROD/OUTPUT/{stems[0]}_response.txt")  # through the seed's view
        return responses, output, one, other

    responses, output, one, other = session(server, account, look)
    assert responses == sorted([".", "..", *(f"{s}_response.txt" for s in stems)])
    assert {f"{s}_log.txt" for s in stems} <= set(output)  # logs and error files: OUTPUT only
    assert one == other and parse_report(one.decode())
    folders = workflow.folders_of(workflows)
    responses_dir = hub_file(workflows, folders.responses_dir(account.ori, "prod"))
    assert not (responses_dir / f"{stems[0]}_response.txt").exists()

    # the root-level folders are the account's realm: test by default, prod once set
    assert folders.root_realm(account.ori) == "test"
    name = f"{STAMP}_{account.ori}_{stop_record(agency)['LEARecordID']}.json"

    async def root(sftp: asyncssh.SFTPClient) -> None:
        await _write(sftp, f"/incoming_to_DOJ/JSON/{name}", orjson.dumps(stop_record(agency)))

    runner = CliRunner()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JDX_DATA_DIR", str(workflows.settings.data_dir))
        env.setenv("JDX_DATABASE_URL", workflows.settings.effective_database_url)
        enabled = runner.invoke(app, ["sftp", "enable", account.ori, "--realm", "prod"])
        assert enabled.exit_code == 0, enabled.output
        assert orjson.loads(enabled.stdout)["root_realm"] == "prod"
        refused = runner.invoke(app, ["sftp", "enable", account.ori, "--realm", "live"])
        assert refused.exit_code == 1
    session(server, account, root)
    processed(workflows, account.ori, name)

    async def answers(sftp: asyncssh.SFTPClient) -> list[str]:
        return list(await sftp.listdir("/responses_from_DOJ"))

    assert name.replace(".json", "_response.txt") in session(server, account, answers)
    assert (responses_dir / name.replace(".json", "_response.txt")).exists()


def test_writes_outside_the_upload_folders_are_refused_in_the_doj_layout(
    workflows: Hub, server: RunningServer, account: Account
) -> None:
    name = f"{STAMP}_{account.ori}_X1.json"

    async def try_(sftp: asyncssh.SFTPClient) -> dict[str, str]:
        attempts = {
            "responses": _write(sftp, f"/TEST/responses_from_DOJ/{name}"),
            "root responses": _write(sftp, f"/responses_from_DOJ/{name}"),
            "group": _write(sftp, f"/TEST/incoming_to_DOJ/{name}"),
            "unknown kind": _write(sftp, f"/TEST/incoming_to_DOJ/PDF/{name}"),
            "deeper": _write(sftp, f"/TEST/incoming_to_DOJ/JSON/sub/{name}"),
            "mkdir": sftp.mkdir("/TEST/incoming_to_DOJ/TXT"),
            "link": sftp.symlink("/TEST/OUTPUT", "/TEST/incoming_to_DOJ/JSON/x"),
        }
        errors = {}
        for what, attempt in attempts.items():
            with pytest.raises(asyncssh.SFTPError) as caught:
                await attempt
            errors[what] = type(caught.value).__name__
        return errors

    assert session(server, account, try_) == {
        "responses": "SFTPPermissionDenied",
        "root responses": "SFTPPermissionDenied",
        "group": "SFTPPermissionDenied",
        "unknown kind": "SFTPPermissionDenied",
        "deeper": "SFTPPermissionDenied",
        "mkdir": "SFTPPermissionDenied",
        "link": "SFTPPermissionDenied",
    }
