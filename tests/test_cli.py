"""The jdx command, through Typer's runner, on the test database."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from jdx.cli import app
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
    assert len(names) == 14
    assert all((tmp_path / n).stat().st_size > 0 for n in names)
