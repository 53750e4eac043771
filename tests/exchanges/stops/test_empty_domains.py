"""A hub whose domain tables are empty says so (issue 14): in each answer, in ``jdx tables
list``, in ``/healthz``, and ``jdx serve`` refuses to start in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from jdx.cli import app as cli
from jdx.cli._errors import EXIT_SETUP
from jdx.cli.serve import refuse_empty_domains
from jdx.exchanges.stops.file_store import read_bytes
from jdx.exchanges.stops.service import StopService
from jdx.hub import Hub, create_hub
from jdx.security.keys import issue_key
from jdx.settings import load_settings
from jdx.store import schema
from jdx.store.queries import add_agency, load_domain_csv
from tests.conftest import stop_record

ORI = "CA0370000"


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    """A hub after `jdx db upgrade` and `jdx agency add` only: no domain table loaded."""
    hub = create_hub(load_settings(data_dir=tmp_path, database_url="", domain_refresh_seconds=0))
    schema.upgrade(hub.engine)
    with hub.engine.begin() as conn:
        agency = add_agency(conn, ORI, "Bare agency", ["poc@example.org"])
        key = issue_key(conn, agency.id, "prod")
    yield hub, key
    hub.dispose()


def test_with_no_domain_tables_each_answer_names_the_checks_skipped(
    bare: tuple[Hub, str],
) -> None:
    from starlette.testclient import TestClient

    from jdx.channels.http.app import create_app

    hub, key = bare
    record = stop_record(ORI=ORI)
    record["Location"]["City"] = "NOT A CITY"
    with TestClient(create_app(hub=hub), client=("127.0.0.1", 50000)) as client:
        answer = client.post(
            "/sdcs/v1/stops",
            content=orjson.dumps(record),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        health = client.get("/healthz").json()
    body = answer.json()
    assert answer.headers["SDCS-Skipped-Checks"] == "city, offense, ori, school"
    assert body["Status"] == "Successful Submission"  # unchecked, but no longer without a word
    assert health["status"] == "ok"
    assert {"city", "school", "offense", "ori"} <= set(health["empty_domain_tables"])


def test_production_refuses_to_serve_with_an_empty_domain_table(bare: tuple[Hub, str]) -> None:
    hub, _ = bare
    with pytest.raises(typer.Exit) as refused:
        refuse_empty_domains(hub)
    assert refused.value.exit_code == EXIT_SETUP


def test_tables_list_gives_rows_source_and_load_date(
    bare: tuple[Hub, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub, _ = bare
    csv = tmp_path / "cities.csv"
    csv.write_text("code,name\nSDG,San Diego\nLAX,Los Angeles\n")
    with hub.engine.begin() as conn:
        load_domain_csv(conn, "city", csv, "code")
    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", "")
    listed = CliRunner().invoke(cli, ["tables", "list"])
    assert listed.exit_code == 0, listed.output
    tables = {t["table"]: t for t in orjson.loads(listed.stdout)}
    assert tables["city"]["rows"] == 2 and tables["city"]["source"] == "cities.csv"
    assert tables["city"]["loaded_at"]
    assert tables["school"] == {
        "table": "school",
        "rows": 0,
        "source": None,
        "loaded_at": None,
        "version": None,
    }


def test_a_file_validated_without_domain_tables_says_so_in_its_log_and_mail(
    bare: tuple[Hub, str],
) -> None:
    """A one-stop file through the small-file lane (no DBOS needed): the processor log's status
    and the notice name the tables whose checks were skipped."""
    import sqlalchemy as sa

    from jdx.exchanges.stops import batch_files, small_files, workflow
    from jdx.store.tables import outbox
    from tests.samples import STAMP, upload

    hub, _key = bare
    principal = workflow.principal_for(hub, ORI, "prod")
    assert principal is not None
    record = stop_record(ORI=ORI)
    record["Location"]["City"] = "NOT A CITY"
    name = f"{STAMP}_{ORI}_{record['LEARecordID']}.json"
    folders = workflow.folders_of(hub)
    received = batch_files.register(
        hub.engine,
        folders,
        principal,
        upload(hub, principal, name, orjson.dumps(record)),
        channel="sftp",
        max_bytes=hub.settings.max_file_bytes,
    )
    assert received.file_id is not None
    lane = small_files.Lane(hub.service(StopService), folders, "http://hub.example", 6)
    while lane.round():
        pass
    stem = name.rsplit(".", 1)[0]
    log = read_bytes(folders.store, folders.output_dir(ORI, "prod") / f"{stem}_log.txt").decode()
    assert "TOTAL 1 SUCCESSFUL 1 ERRORS 0 UNCHECKED CITY,OFFENSE,ORI,SCHOOL" in log
    assert len(log.rstrip("\n")) == 145
    with hub.engine.connect() as conn:
        bodies = conn.execute(sa.select(outbox.c.body)).scalars().all()
    assert any("no city, offense, ori, school table loaded" in body for body in bodies)
