"""The statewide open-data export (issue 19): DOJ's columns, one row per person, nothing lost."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from jdx.cli import app
from jdx.exchanges.stops.open_data import layout, person_row
from jdx.exchanges.stops.open_data.export import export_year
from jdx.exchanges.stops.records import Op
from jdx.exchanges.stops.service import StopService
from jdx.hub import Hub
from jdx.security.keys import Principal
from tests.conftest import AgencyFixture, golden, load_reference_domains, new_agency

# The columns no record fills: DOJ's own mark for an agency that did not report.
NEVER_FROM_A_RECORD = {"NON_REPORTING_AGENCY"}

# Each one-hot group of columns and the code table (of the dictionary) it spells out, code 1
# first; the era's exceptions are the codes the other era has.
GROUPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("stop-2018", "race", person_row.RACE),
    ("stop-2018", "gender", person_row.GENDER_2018),
    ("stop-2024", "gender", person_row.GENDER_2024),
    ("stop-2018", "disability", person_row.DISABILITY),
    ("stop-2018", "reasonable_suspicion", person_row.SUSPICION[:9]),
    ("stop-2024", "reasonable_suspicion", person_row.SUSPICION),
    ("stop-2024", "probable_cause", person_row.PROBABLE_CAUSE),
    ("stop-2024", "reason_given", person_row.REASON_GIVEN),
    ("stop-2018", "action", person_row.ACTIONS_2018),
    ("stop-2024", "nonforce_action", person_row.NONFORCE_ACTIONS),
    ("stop-2024", "force_action", person_row.FORCE_ACTIONS),
    ("stop-2024", "consent_type", person_row.CONSENT_TYPE),
    ("stop-2024", "stop_type", person_row.STOP_TYPE),
    ("stop-2024", "sexual_orientation", person_row.ORIENTATION),
    ("stop-2018", "search_basis", person_row.SEARCH_BASIS),
    ("stop-2018", "contraband", person_row.CONTRABAND),
    ("stop-2018", "seizure_basis", person_row.SEIZURE_BASIS),
    ("stop-2018", "property_type", person_row.PROPERTY_TYPE),
    ("stop-2018", "result", person_row.RESULT[:13]),
]


def _samples(era: str) -> list[tuple[str, dict[str, Any]]]:
    """The valid golden records of an era, and one more: an in-field cite and release (and in
    2024 a written warning) with offence codes, results whose code columns no golden record
    fills."""
    samples = golden(era)
    cite = copy.deepcopy(dict(samples)["traffic_stop_one_person.json"])
    results = [{"ResCD": "4", "Res_O_CD": ["54109"]}]
    if era == "2024":
        results.append({"ResCD": "15", "Res_O_CD": ["54109"]})
    cite["ListPerson_Stopped"]["Person_Stopped"][0]["ListResult"]["Result"] = results
    cite["STime"] = "23:59:00"
    # Stored with errors (DV0xx on the age), and a formula if a spreadsheet ran it.
    formula = copy.deepcopy(dict(samples)["traffic_stop_one_person.json"])
    formula["ListPerson_Stopped"]["Person_Stopped"][0]["Perc"]["Age"] = "=1+2"
    formula["STime"] = "23:58:00"
    return [*samples, ("in_field_cite.json", cite), ("formula.json", formula)]


def _store_golden(hub: Hub, agency: AgencyFixture, realm: str = "prod") -> dict[str, int]:
    """Every valid golden record of both eras, as the agency's; persons per LEA record id."""
    service = hub.service(StopService)
    persons: dict[str, int] = {}
    for era in ("2018", "2024"):
        for n, (name, sample) in enumerate(_samples(era)):
            record = copy.deepcopy(sample)
            record["ORI"] = agency.ori
            record["LEARecordID"] = f"{realm[0]}{era}-{n}"
            principal = Principal(agency.id, agency.ori, "Open data agency", realm, True)
            result = service.submit_stop(principal, record, Op.INSERT, channel="test")
            assert result.status is not None, (name, result)
            persons[record["LEARecordID"]] = len(record["ListPerson_Stopped"]["Person_Stopped"])
    return persons


def _export(hub: Hub, year: int, ori: str) -> list[dict[str, str]]:
    out = io.BytesIO()
    written = export_year(hub.engine, year, out, ori=ori)
    table = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert table[0] == list(layout.columns(year))
    rows = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    assert written.rows == len(rows)
    return rows


@pytest.fixture(scope="module")
def exported(hub: Hub) -> tuple[AgencyFixture, dict[int, list[dict[str, str]]]]:
    load_reference_domains(hub)
    agency = new_agency(hub, "Open data agency")
    _store_golden(hub, agency)
    _store_golden(hub, agency, realm="test")  # rehearsals: never published
    years = {2018, 2019, 2023, 2024}
    return agency, {year: _export(hub, year, agency.ori) for year in years}


def test_the_layouts_are_dojs_published_columns() -> None:
    old, new = layout.columns(2023), layout.columns(2024)
    assert len(old) == 142 and old[:4] == (
        "DOJ_RECORD_ID",
        "PERSON_NUMBER",
        "AGENCY_ORI",
        "AGENCY_NAME",
    )
    assert old[-1] == "ROS_CUSTODIAL_WOUT_WARRANT_CDS"
    assert new[:142] == old and len(new) == len(set(new)) == 236
    assert layout.columns(2018) == old


def test_one_row_per_person_of_the_year_in_the_production_realm_only(
    exported: tuple[AgencyFixture, dict[int, list[dict[str, str]]]],
) -> None:
    agency, years = exported
    for year, rows in years.items():
        assert {r["AGENCY_ORI"] for r in rows} <= {agency.ori}
        assert all(r["DATE_OF_STOP"].startswith(f"{year}-") for r in rows)
        keys = [(r["DOJ_RECORD_ID"], r["PERSON_NUMBER"]) for r in rows]
        assert len(keys) == len(set(keys))  # DOJ's key: one row per person of a stop
    golden_persons = {
        era: sum(len(r["ListPerson_Stopped"]["Person_Stopped"]) for _, r in _samples(era))
        for era in ("2018", "2024")
    }
    # Golden 2018 stops are of 2018 and 2019; the 2024 ones of 2024. Test-realm copies: none.
    assert len(years[2018]) + len(years[2019]) == golden_persons["2018"]
    assert len(years[2024]) == golden_persons["2024"]
    assert years[2023] == []


def test_every_published_column_is_filled_by_the_records_of_its_era(
    exported: tuple[AgencyFixture, dict[int, list[dict[str, str]]]],
) -> None:
    """A column the export never fills is a column it lost: checked against DOJ's list."""
    _, years = exported
    old_rows = years[2018] + years[2019]
    filled_2018 = {c for r in old_rows for c, v in r.items() if v != ""}
    assert set(layout.columns(2023)) - filled_2018 - NEVER_FROM_A_RECORD == set()
    filled_2024 = {c for r in years[2024] for c, v in r.items() if v != ""}
    only_2018 = {
        "CLOSEST_CITY", "G_MALE", "G_FEMALE", "G_GENDER_NONCONFORMING", "G_MULTIGENDER", "LGBT",
        *person_row.ACTIONS_2018, "ADS_SEARCH_PER_CONSENT", "ADS_SEARCH_PROP_CONSENT",
        *person_row.ONLY_2018,
    }  # fmt: skip
    assert set(layout.columns(2024)) - filled_2024 - NEVER_FROM_A_RECORD == only_2018


def test_the_three_persons_stop_reads_as_doj_publishes_it(
    exported: tuple[AgencyFixture, dict[int, list[dict[str, str]]]],
) -> None:
    _, years = exported
    record = dict(golden("2018"))["vehicle_three_persons_consent_search_seizure.json"]
    rows = [r for r in years[2019] if r["TIME_OF_STOP"] == record["STime"]]
    first, second, third = sorted(rows, key=lambda r: r["PERSON_NUMBER"])
    assert first["DATE_OF_STOP"] == "2019-05-18" and first["STOP_DURATION"] == "75"
    assert first["CLOSEST_CITY"] == "SAN DIEGO" and first["AGENCY_NAME"] == "Open data agency"
    assert (first["RAE_FULL"], first["RAE_HISPANIC_LATINO"], first["RAE_MULTI_RACIAL"]) == (
        "3",
        "1",
        "0",
    )
    assert (third["RAE_FULL"], third["RAE_BLACK_AFRICAN_AMERICAN"], third["RAE_MULTI_RACIAL"]) == (
        "8",
        "1",
        "1",
    )
    assert (third["G_FULL"], third["G_GENDER_NONCONFORMING"], third["LGBT"]) == ("5", "1", "1")
    assert (first["AGE"], first["AGE_GROUP"], second["AGE_GROUP"]) == ("28", "5", "5")
    assert first["ADS_ASKED_SEARCHED_PROP"] == first["ADS_SEARCH_PROP_CONSENT"] == "1"
    assert first["ADS_SEARCH_PER_CONSENT"] == ""  # consent to search the person: not asked
    assert second["ADS_SEARCH_PER_CONSENT"] == "0"  # asked, refused
    assert first["BFS_CONSENT_GIVEN"] == "1" and second["BFS_CONSENT_GIVEN"] == ""  # not searched
    assert (first["CED_DRUGS"], first["CED_DRUG_PARAPHERNALIA"], first["CED_MONEY"]) == (
        "1",
        "1",
        "0",
    )
    assert first["BPS_CONTRABAND"] == first["BPS_EVIDENCE"] == first["TPS_DRUGS"] == "1"
    assert first["ROS_CUSTODIAL_WITHOU_WARRANT"] == "1"
    assert first["ROS_CUSTODIAL_WOUT_WARRANT_CDS"] == "35172;35423"
    assert second["RFS_RS_OFF_WITNESS"] == "1" and second["RFS_RS_CODE"] == "35172"
    assert "RFS_RS_MATCH_VEHICLE" not in first or first["RFS_RS_MATCH_VEHICLE"] == ""


def test_a_cell_never_runs_as_a_formula(
    exported: tuple[AgencyFixture, dict[int, list[dict[str, str]]]],
) -> None:
    _, years = exported
    ages = {r["AGE"] for r in years[2024] if r["TIME_OF_STOP"] == "23:58:00"}
    assert ages == {"'=1+2"}
    assert not [
        v for r in years[2024] for v in r.values() if v.startswith(("=", "+", "@", "\t", "\r"))
    ]


def test_each_column_group_spells_out_its_code_table(hub: Hub) -> None:
    """A code added to a table without a column (or the reverse) fails here."""
    dictionaries = {d.id: d for d in hub.validation.dictionaries.values()}
    for dictionary_id, table, names in GROUPS:
        codes = list(dictionaries[dictionary_id].tables[table].values)
        numbered = [str(n) for n in range(1, len(names) + 1)]
        assert [c for c in codes if c.isdigit()][: len(names)] == numbered, (dictionary_id, table)
        assert len(names) == len([c for c in codes if c.isdigit()]) or table == "result", table


@settings(max_examples=200, deadline=None)
@given(
    races=st.sets(st.sampled_from([str(c) for c in range(1, 8)]), min_size=1),
    actions=st.sets(st.sampled_from([str(c) for c in range(1, 25)])),
    bases=st.sets(st.sampled_from([str(c) for c in range(1, 14)])),
    results=st.dictionaries(
        st.sampled_from([str(c) for c in range(1, 14)]),
        st.lists(st.from_regex(r"[0-9]{5}", fullmatch=True), max_size=3),
    ),
)
def test_no_code_of_a_person_is_lost(
    races: set[str], actions: set[str], bases: set[str], results: dict[str, list[str]]
) -> None:
    """Every code sent comes back out of its row: the one-hot columns decode to the same sets."""
    person: dict[str, Any] = {
        "PID": "1",
        "Perc": {"ListEthn": {"Ethn": sorted(races)}, "Age": "40", "Gend": "2"},
        "ListActTak": {"ActTak": [{"Act_CD": a, "Is_Con": "na"} for a in sorted(actions)]},
        "ListBasSearch": {"BasSearch": sorted(bases)},
        "ListResult": {"Result": [{"ResCD": c, "Res_O_CD": o} for c, o in results.items()]},
    }
    cells = person_row.person_cells(person, era_2024=False)

    def decoded(names: tuple[str, ...]) -> set[str]:
        return {str(n) for n, name in enumerate(names, 1) if cells.get(name) == "1"}

    assert decoded(person_row.RACE) == races
    assert cells["RAE_FULL"] == (next(iter(races)) if len(races) == 1 else "8")
    assert decoded(person_row.ACTIONS_2018) == actions
    assert decoded(person_row.SEARCH_BASIS) == bases
    assert decoded(person_row.RESULT[:13]) == set(results)
    for code, column in person_row.RESULT_OFFENCE_CODES.items():
        if code in results and int(code) <= 13:
            assert (cells[column].split(";") if cells[column] else []) == results[code]


def test_the_command_writes_the_file_whole(
    hub: Hub,
    exported: tuple[AgencyFixture, dict[int, list[dict[str, str]]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agency, years = exported
    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    target = tmp_path / "stops-2024.csv"
    args = ["export", "stops", "--open-data", "--year", "2024", "--ori", agency.ori]
    done = CliRunner().invoke(app, [*args, "--out", str(target)])
    assert done.exit_code == 0, done.output
    assert orjson.loads(done.stdout) == {
        "file": str(target),
        "stops": len(_samples("2024")),
        "rows": len(years[2024]),
    }
    assert not target.with_name(target.name + ".partial").exists()
    with target.open(newline="", encoding="utf-8") as written:
        assert len(list(csv.reader(written))) == len(years[2024]) + 1
    refused = CliRunner().invoke(app, ["export", "stops", "--year", "2024"])
    assert refused.exit_code != 0 and "--open-data" in refused.output
    too_early = CliRunner().invoke(app, ["export", "stops", "--open-data", "--year", "2017"])
    assert too_early.exit_code == 2 and "--year" in too_early.output
