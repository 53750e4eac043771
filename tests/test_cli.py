"""The jdx command, through Typer's runner, on the test database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from typer.testing import CliRunner

from jdx.cli import app
from jdx.dictionary.icd import DOCUMENTS
from jdx.hub import Hub
from jdx.security.keys import authenticate
from tests.conftest import stop_record

runner = CliRunner()


@pytest.fixture
def env(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    return hub


def test_agency_add_prints_keys_once_and_stores_them_hashed(env: Hub) -> None:
    result = runner.invoke(
        app, ["agency", "add", "CA0190000", "--name", "LA County", "--email", "a@example.org"]
    )
    assert result.exit_code == 0, result.output
    out = orjson.loads(result.stdout)
    assert out["ori"] == "CA0190000" and out["emails"] == ["a@example.org"]
    key = out["api_keys"]["prod"]
    with env.engine.connect() as conn:
        assert authenticate(conn, key).ori == "CA0190000"  # type: ignore[union-attr]
        stored = conn.exec_driver_sql("SELECT secret_hash FROM api_keys").scalars().all()
    assert not any(key.split("_", 3)[3] in h for h in stored)
    listed = runner.invoke(app, ["agency", "list"])
    assert "CA0190000" in listed.stdout and key not in listed.stdout
    again = runner.invoke(app, ["agency", "add", "CA0190000", "--name", "x"])
    assert again.exit_code == 1 and "exists" in again.output


@pytest.mark.parametrize("ori", ["CA01", "CA0190000X", "CA 190000"])
def test_agency_add_rejects_bad_ori(env: Hub, ori: str) -> None:
    result = runner.invoke(app, ["agency", "add", ori, "--name", "x"])
    assert result.exit_code == 1 and "ORI" in result.output


def test_validate_prints_one_line_per_record(env: Hub, tmp_path: Path) -> None:
    good, bad = stop_record(), stop_record(SDur="0")
    ndjson = tmp_path / "stops.ndjson"
    ndjson.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(bad) + b"\n")
    result = runner.invoke(app, ["validate", "stops", str(ndjson)])
    assert result.exit_code == 1
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [(x["LEARecordID"], x["status"]) for x in lines] == [
        (good["LEARecordID"], "Successful Submission"),
        (bad["LEARecordID"], "Submitted with Errors"),
    ]
    assert lines[1]["errors"][0]["field"] == "SDur"


def test_validate_reads_json_arrays_and_xml(env: Hub, tmp_path: Path) -> None:
    from jdx.codecs.xmlform import to_xml

    array = tmp_path / "stops.json"
    array.write_bytes(orjson.dumps([stop_record(), stop_record()]))
    assert runner.invoke(app, ["validate", "stops", str(array)]).exit_code == 0
    xml = tmp_path / "stop.xml"
    xml.write_bytes(to_xml("Stop", stop_record()))
    result = runner.invoke(app, ["validate", "stops", str(xml)])
    assert result.exit_code == 0, result.stdout
    assert orjson.loads(result.stdout)["status"] == "Successful Submission"


def test_validate_rejects_unknown_kind_and_broken_file(env: Hub, tmp_path: Path) -> None:
    broken = tmp_path / "x.json"
    broken.write_bytes(b"{oops\n")
    assert runner.invoke(app, ["validate", "cars", str(broken)]).exit_code == 1
    result = runner.invoke(app, ["validate", "stops", str(broken)])
    assert result.exit_code == 1 and "not JSON" in result.output


def test_tables_load_replaces_a_domain_table(env: Hub, tmp_path: Path) -> None:
    csv = tmp_path / "cities.csv"
    csv.write_text("state,name,county,deactivationDate\nCA,GOTHAM,X,\nCA,METROPOLIS,Y,\n")
    result = runner.invoke(app, ["tables", "load", "city", str(csv)])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["codes"] == 2
    assert runner.invoke(app, ["tables", "load", "planets", str(csv)]).exit_code == 1
    # Put the reference table back for the other tests of this worker.
    from tests.conftest import load_reference_domains

    load_reference_domains(env)


def test_db_check_passes_on_a_migrated_database(env: Hub) -> None:
    result = runner.invoke(app, ["db", "check"])
    assert result.exit_code == 0, result.output


def test_icd_writes_the_documents_of_both_eras(env: Hub, tmp_path: Path) -> None:
    result = runner.invoke(app, ["icd", "stops", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = orjson.loads(result.stdout)["written"]
    names = sorted(Path(p).name for p in written)
    assert "stop-2024.xsd" in names and "stop-2018-template.xlsx" in names
    assert {"transport.html", "index.html"} <= set(names)  # issue 18
    assert len(names) == 2 * len(DOCUMENTS) + 2
    assert all((tmp_path / n).stat().st_size > 0 for n in names)


def test_sftp_accounts_passwords_and_keys(env: Hub, tmp_path: Path) -> None:
    import asyncssh

    from jdx.channels.sftp.accounts import key_login, password_login

    added = runner.invoke(app, ["agency", "add", "CA0430000", "--name", "x", "--sftp"])
    assert added.exit_code == 0, added.output
    password = orjson.loads(added.stdout)["sftp_password"]
    assert password_login(env.engine, "CA0430000", password, "192.0.2.43")
    with env.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM sftp_accounts").scalars().all()
    assert not any(password in (h or "") for h in stored)
    # a new password from standard input (how scripts pass secrets), then a generated one
    chosen = "a long enough passphrase"
    result = runner.invoke(app, ["sftp", "enable", "CA0430000", "--password-stdin"], input=chosen)
    assert result.exit_code == 0 and "sftp_password" not in result.stdout
    assert password_login(env.engine, "ca0430000", chosen, "192.0.2.43")
    assert not password_login(env.engine, "CA0430000", password, "192.0.2.43")
    both = ["sftp", "enable", "CA0430000", "--password-stdin", "--generate-password"]
    assert runner.invoke(app, both).exit_code == 1
    short = runner.invoke(app, ["sftp", "enable", "CA0430000", "--password-stdin"], input="short")
    assert short.exit_code == 1 and "12 characters" in short.output
    # keys: RFC 4716 as agency tools export them; a private key is refused
    private = asyncssh.generate_private_key("ssh-ed25519", comment="vendor tool")
    (tmp_path / "agency.pub").write_bytes(private.export_public_key("rfc4716"))
    (tmp_path / "agency.key").write_bytes(private.export_private_key())
    added_key = runner.invoke(app, ["sftp", "add-key", "CA0430000", str(tmp_path / "agency.pub")])
    assert added_key.exit_code == 0, added_key.output
    fingerprint = orjson.loads(added_key.stdout)["fingerprint"]
    assert fingerprint == private.get_fingerprint("sha256")
    assert key_login(env.engine, "CA0430000", fingerprint)
    secret = runner.invoke(app, ["sftp", "add-key", "CA0430000", str(tmp_path / "agency.key")])
    assert secret.exit_code == 1 and "private key" in secret.output
    listed = orjson.loads(runner.invoke(app, ["sftp", "keys", "CA0430000"]).stdout)
    assert [(k["fingerprint"], k["comment"]) for k in listed] == [(fingerprint, "vendor tool")]
    # disable: no login at all, but keys and password are kept for a later enable
    assert runner.invoke(app, ["sftp", "disable", "CA0430000"]).exit_code == 0
    assert not password_login(env.engine, "CA0430000", chosen, "192.0.2.43")
    assert not key_login(env.engine, "CA0430000", fingerprint)
    assert runner.invoke(app, ["sftp", "enable", "CA0430000"]).exit_code == 0
    assert key_login(env.engine, "CA0430000", fingerprint)
    removed = runner.invoke(app, ["sftp", "remove-key", "CA0430000", fingerprint])
    assert removed.exit_code == 0 and not key_login(env.engine, "CA0430000", fingerprint)
    again = runner.invoke(app, ["sftp", "remove-key", "CA0430000", fingerprint])
    assert again.exit_code == 1
    unknown = runner.invoke(app, ["sftp", "enable", "CA0439999"])
    assert unknown.exit_code == 1 and "no agency" in unknown.output


def test_sftp_host_key_is_printed_for_agencies(env: Hub) -> None:
    first = orjson.loads(runner.invoke(app, ["sftp", "host-key"]).stdout)
    second = orjson.loads(runner.invoke(app, ["sftp", "host-key"]).stdout)
    assert first == second and first["fingerprint"].startswith("SHA256:")
    assert first["public_key"].startswith("ssh-ed25519 ")


def test_icd_cases_writes_the_documents_of_the_three_record_types(env: Hub, tmp_path: Path) -> None:
    result = runner.invoke(app, ["icd", "cases", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(Path(p).name for p in orjson.loads(result.stdout)["written"])
    expected = {
        f"{record}{suffix}"
        for record in ("case-missing", "case-unidentified", "case-cancellation")
        for suffix in DOCUMENTS
    } | {"case-job-template.csv", "case-job-template.xlsx"}  # a job file, any record type
    expected |= {"transport.html", "index.html"}  # issue 18
    assert set(names) == expected
    assert "case-missing.postgresql.sql" in names and "case-missing.html" in names
    assert all((tmp_path / n).stat().st_size > 0 for n in names)


def test_icd_of_an_unknown_kind_is_a_clear_error(env: Hub, tmp_path: Path) -> None:
    result = runner.invoke(app, ["icd", "warrants", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown kind 'warrants'; known: stops, cases, rapsheets" in result.output


def test_icd_rapsheets_writes_the_participants_kit(env: Hub, tmp_path: Path) -> None:
    from importlib import resources

    from lxml import etree

    from jdx.exchanges.rapsheets.transmission import validate

    out = tmp_path / "kit"
    result = runner.invoke(app, ["icd", "rapsheets", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = [Path(p).name for p in orjson.loads(result.stdout)["written"]]
    assert names[:2] == ["rapsheet-2.00.xsd", "rapsheet-2.00.html"]
    assert {
        "nlets41-minimal.xml",
        "nlets41-minimal.rapsheet-2.00.xml",
        "notification-fl01.txt",
        "notification-el01.txt",
        "README.txt",
    } <= set(names)
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    xsd = resources.files("jdx.exchanges.rapsheets").joinpath("schema", "rapsheet-2.00.xsd")
    assert (out / "rapsheet-2.00.xsd").read_bytes() == xsd.read_bytes()
    converted = [n for n in names if n.endswith(".rapsheet-2.00.xml")]
    assert len(converted) == sum(1 for n in names if n.startswith(("nlets41-", "ojbc-"))) / 2
    for name in converted:
        validate(etree.parse(out / name).getroot())


def test_icd_rapsheets_reports_a_sample_the_reader_refuses(
    env: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jdx.exchanges.rapsheets import kit

    monkeypatch.setattr(kit, "sample_files", lambda: {"nlets41-broken.xml": b"<rap:RapSheet/"})
    result = runner.invoke(app, ["icd", "rapsheets", "--out", str(tmp_path / "kit")])
    assert result.exit_code == 1
    assert "error: the participants' kit was not written: sample nlets41-broken.xml" in (
        result.output
    )
    assert not (tmp_path / "kit").exists()


def _every_command(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The words of every command and group under ``group`` (a click group), as typed."""
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if hasattr(command, "commands"):
            found += _every_command(command, (*prefix, name))
    return found


def test_every_command_documents_its_exit_codes(env: Hub) -> None:
    """Issue 18: `jdx submit` exited 1 on records with errors without its help saying so."""
    commands = _every_command(typer.main.get_command(app))
    assert ("submit",) in commands and ("namus", "cert", "add") in commands
    for words in commands:
        shown = runner.invoke(app, [*words, "--help"], terminal_width=400)
        assert shown.exit_code == 0, (words, shown.output)
        text = " ".join(shown.output.split())
        assert "Exit codes: 0 done; 1 refused" in text, words
    submit = " ".join(runner.invoke(app, ["submit", "--help"], terminal_width=400).output.split())
    assert "any of its records was rejected or stored with errors" in submit


@pytest.mark.parametrize("kind", ["stops", "cases", "rapsheets"])
def test_icd_writes_an_index_linking_every_document_and_a_transport_chapter(
    env: Hub, tmp_path: Path, kind: str
) -> None:
    """Issue 18: every document written is linked from index.html, and every link of the index
    and of the transport chapter names a file that was written (or a place in the page)."""
    from tests.channels.http.test_icd_transport import parse

    result = runner.invoke(app, ["icd", kind, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = {Path(p).name for p in orjson.loads(result.stdout)["written"]}
    index = parse((tmp_path / "index.html").read_text())
    assert set(index.hrefs) == written - {"index.html"}
    chapter = parse((tmp_path / "transport.html").read_text())
    for href in chapter.hrefs:
        assert href.startswith("#") or (tmp_path / href).is_file(), href
    assert "Error catalogue" in (tmp_path / "transport.html").read_text()


def test_icd_touches_no_database_of_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transport chapter comes from a hub's routes, built apart from the user's: a
    configuration naming a PostgreSQL server that does not answer, with its folders in the
    database, still gives the ICD, and its data folder is not made."""
    monkeypatch.setenv("JDX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JDX_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("JDX_FILE_STORE", "database")
    result = runner.invoke(app, ["icd", "stops", "--out", str(tmp_path / "icd")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "icd" / "transport.html").is_file()
    assert not (tmp_path / "data").exists()
