"""``jdx rapsheet merge | render | summary | receivers | responders`` through Typer's runner."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from jdx.cli import app
from jdx.exchanges.rapsheets.delivery import receiver_format
from jdx.exchanges.rapsheets.model import SubjectName
from jdx.exchanges.rapsheets.present import EnvelopeHeader, write_envelope
from jdx.exchanges.rapsheets.service import RapSheetService
from jdx.exchanges.rapsheets.transmission import read_rap_sheet, write_rap_sheet
from jdx.hub import Hub
from tests.conftest import new_agency
from tests.exchanges.rapsheets.builders import cycle, sheet
from tests.exchanges.rapsheets.full_sheet import full_sheet

runner = CliRunner()
FIXTURES = Path(__file__).parent / "exchanges" / "rapsheets" / "fixtures"


def test_merge_two_formats_and_pass_plain_text_through(tmp_path: Path) -> None:
    nc = tmp_path / "nc.xml"
    nc.write_bytes(write_rap_sheet(sheet("NC", "NC0142585A", cycles=(cycle("19870101"),))))
    out = tmp_path / "merged.xml"
    result = runner.invoke(
        app,
        [
            "rapsheet",
            "merge",
            str(FIXTURES / "nlets41-tx.xml"),
            str(nc),
            str(FIXTURES / "plain-nc.txt"),
            "--out",
            str(out),
            "--as-of",
            "20240101",
        ],
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["passed_through_unmerged"] == ["plain-nc.txt"] and report["cycles"] == 3
    merged = read_rap_sheet(out.read_bytes())
    assert [c.earliest_date for c in merged.cycles] == ["19870101", "19990101", "20050601"]
    assert merged.summary is not None and merged.summary.total_arrests == 2

    summary = runner.invoke(app, ["rapsheet", "summary", str(out), "--as-of", "20240101"])
    assert summary.exit_code == 0, summary.output
    assert orjson.loads(summary.stdout)["total_convictions"]["felony"] == 1

    for fmt, needle in (("html", "<h2>Summary</h2>"), ("text", "CONVICTIONS           1")):
        shown = runner.invoke(app, ["rapsheet", "render", str(out), "--format", fmt])
        assert shown.exit_code == 0 and needle in shown.stdout


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b'<!DOCTYPE x [<!ENTITY a "b">]><rapSheet version="2.00"/>')
    result = runner.invoke(app, ["rapsheet", "merge", str(bad), "--out", str(tmp_path / "o.xml")])
    assert result.exit_code == 1 and "bad.xml: DOCTYPE" in result.stderr
    plain = runner.invoke(
        app, ["rapsheet", "render", str(FIXTURES / "plain-nc.txt"), "--format", "text"]
    )
    assert plain.stdout == (FIXTURES / "plain-nc.txt").read_text()
    wrong = runner.invoke(
        app, ["rapsheet", "render", str(FIXTURES / "plain-nc.txt"), "--format", "pdf"]
    )
    assert wrong.exit_code == 1 and "unknown format" in wrong.stderr


def test_merge_refuses_two_people_when_one_portion_has_no_fbi_number(tmp_path: Path) -> None:
    """Issue 15: a portion without an FBI number joins only on a SID, or a name with a date
    of birth; otherwise exit 1 with the reason, and nothing written."""
    tx = tmp_path / "tx.xml"
    tx.write_bytes(write_rap_sheet(sheet("TX", "TX01346790", birthdates=("19600101",))))
    nc = tmp_path / "nc.xml"
    nc.write_bytes(
        write_rap_sheet(
            sheet("NC", "NC0142585A", fbi_number=None, names=(SubjectName("ROE", "RICHARD"),))
        )
    )
    out = tmp_path / "merged.xml"
    refused = runner.invoke(app, ["rapsheet", "merge", str(tx), str(nc), "--out", str(out)])
    assert refused.exit_code == 1, refused.output
    assert (
        "error: portion 2 (no FBI number, SID NC0142585A) shares no SID, and no name with a "
        "date of birth, with portion 1 (FBI 901100)"
    ) in refused.stderr
    assert not out.exists()
    # The same NC portion with the subject's name and date of birth is the same person.
    nc.write_bytes(
        write_rap_sheet(sheet("NC", "NC0142585A", fbi_number=None, birthdates=("19600101",)))
    )
    merged = runner.invoke(app, ["rapsheet", "merge", str(tx), str(nc), "--out", str(out)])
    assert merged.exit_code == 0, merged.output
    assert read_rap_sheet(out.read_bytes()).identification.sid_numbers == (
        "NC0142585A",
        "TX01346790",
    )


@pytest.fixture
def env(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    return hub


def test_receivers_set_and_list_the_preference_table(env: Hub) -> None:
    ori = new_agency(env, "Receiver").ori
    for fmt, stored in [("html", "presentation-html"), ("text", "presentation-text")]:
        result = runner.invoke(app, ["rapsheet", "receivers", "set", ori.lower(), fmt])
        assert result.exit_code == 0, result.output
        assert orjson.loads(result.stdout) == {"ori": ori, "format": stored}
    with env.engine.connect() as conn:
        assert receiver_format(conn, ori) == "presentation-text"  # what delivery will use
    assert runner.invoke(app, ["rapsheet", "receivers", "set", ori, "transmission"]).exit_code == 0
    listed = runner.invoke(app, ["rapsheet", "receivers", "list"])
    assert listed.exit_code == 0, listed.output
    (row,) = [r for r in orjson.loads(listed.stdout) if r["ori"] == ori]
    assert row["format"] == "transmission" and row["updated_at"]


def test_receivers_set_refuses_a_bad_ori_or_format(env: Hub) -> None:
    bad_format = runner.invoke(app, ["rapsheet", "receivers", "set", "TX0000000", "pdf"])
    assert bad_format.exit_code == 1
    assert "unknown format 'pdf'; known: transmission, html, text" in bad_format.stderr
    bad_ori = runner.invoke(app, ["rapsheet", "receivers", "set", "TX", "html"])
    assert bad_ori.exit_code == 1 and "not an ORI" in bad_ori.stderr


def test_responders_add_list_and_remove_the_registry(env: Hub) -> None:
    ori = new_agency(env, "Texas repository").ori
    added = runner.invoke(app, ["rapsheet", "responders", "add", ori.lower(), "tx"])
    assert added.exit_code == 0, added.output
    assert orjson.loads(added.stdout) == {"ori": ori, "state": "TX"}
    listed = runner.invoke(app, ["rapsheet", "responders", "list"])
    assert listed.exit_code == 0, listed.output
    (row,) = [r for r in orjson.loads(listed.stdout) if r["ori"] == ori]
    assert row["state"] == "TX" and row["added_at"]
    moved = runner.invoke(app, ["rapsheet", "responders", "add", ori, "OK"])  # a correction
    assert moved.exit_code == 0, moved.output
    states = [r.state for r in env.service(RapSheetService).responders() if r.ori == ori]
    assert states == ["OK"]
    removed = runner.invoke(app, ["rapsheet", "responders", "remove", ori])
    assert removed.exit_code == 0 and orjson.loads(removed.stdout) == {"ori": ori, "removed": True}
    assert ori not in [r.ori for r in env.service(RapSheetService).responders()]
    again = runner.invoke(app, ["rapsheet", "responders", "remove", ori])
    assert again.exit_code == 1 and f"{ori} is not a registered responder" in again.stderr


def test_responders_add_refuses_what_cannot_be_a_responder(env: Hub) -> None:
    ori = new_agency(env, "Texas repository").ori
    cases = {
        ("TX", "TX"): "'TX' is not an ORI (9 letters and digits)",
        (ori, "Texas"): "'TEXAS' is not a state's two-letter code (e.g. TX)",
        ("ZZ9999999", "TX"): "no agency ZZ9999999; add it first (jdx agency add)",
        ("DCFBIWA00", "DC"): "DCFBIWA00 is an FBI/III ORI (rap_notifiers): it answers for the "
        "FBI, not a state",
    }
    for (who, state), message in cases.items():
        refused = runner.invoke(app, ["rapsheet", "responders", "add", who, state])
        assert refused.exit_code == 1, refused.output
        assert refused.stderr == f"error: {message}\n"


def test_render_and_summary_take_the_hubs_own_delivery_envelope(tmp_path: Path) -> None:
    delivered = tmp_path / "delivered.xml"
    header = EnvelopeHeader("KEY1", "NLETSHUB0", "CA0190000", "MSG1")
    delivered.write_bytes(write_envelope(full_sheet(), header, as_of="20240601"))
    html = runner.invoke(app, ["rapsheet", "render", str(delivered), "--format", "html"])
    assert html.exit_code == 0, html.output
    assert "JONES, JOHN PAUL JR" in html.stdout and "Convicted" in html.stdout
    text = runner.invoke(app, ["rapsheet", "render", str(delivered), "--format", "text"])
    assert text.exit_code == 0 and "COURT ACTION: Convicted [310]" in text.stdout
    summary = runner.invoke(app, ["rapsheet", "summary", str(delivered), "--as-of", "20240601"])
    assert summary.exit_code == 0, summary.output
    assert orjson.loads(summary.stdout)["total_failures_to_appear"] == 1


def test_an_envelope_without_one_rap_sheet_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad-envelope.xml"
    soap = "http://www.w3.org/2003/05/soap-envelope"
    bad.write_bytes(
        f'<env:Envelope xmlns:env="{soap}"><env:Body><x/></env:Body></env:Envelope>'.encode()
    )
    for command in ("render", "summary"):
        result = runner.invoke(app, ["rapsheet", command, str(bad)])
        assert result.exit_code == 1 and "one rapSheet" in result.stderr
    # merge takes what responders send: bare sheets only.
    merged = runner.invoke(app, ["rapsheet", "merge", str(bad), "--out", str(tmp_path / "o.xml")])
    assert merged.exit_code == 1 and "Envelope" in merged.stderr
