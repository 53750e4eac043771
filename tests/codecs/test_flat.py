"""The flat (XLSX / pipe-delimited) form: rows to records and back, and its conversion errors."""

from __future__ import annotations

import pytest

from jdx.codecs.flat import ConversionError, FlatLayout, RecordRows, neutralize_cell
from jdx.dictionary import Dictionary
from jdx.dictionary.shape import canonical
from jdx.hub import Hub
from tests.conftest import golden


@pytest.fixture(scope="module")
def layout(hub: Hub) -> FlatLayout:
    return FlatLayout(hub.validation.dictionaries["stop-2024"])


@pytest.fixture(scope="module")
def d2024(hub: Hub) -> Dictionary:
    return hub.validation.dictionaries["stop-2024"]


def _read(layout: FlatLayout, rows: list[list[str]]) -> list[RecordRows | ConversionError]:
    return list(layout.records(layout.names, enumerate(rows, start=2)))


@pytest.mark.parametrize("era", ["2018", "2024"])
def test_every_valid_golden_record_survives_the_round_trip(hub: Hub, era: str) -> None:
    layout = FlatLayout(hub.validation.dictionaries[f"stop-{era}"])
    for name, record in golden(era):
        rows = layout.to_rows(record)
        persons = record["ListPerson_Stopped"]["Person_Stopped"]
        assert len(rows) == len(persons), name
        (back,) = _read(layout, rows)
        assert isinstance(back, RecordRows), name
        assert back.rows == tuple(range(2, 2 + len(rows)))
        assert hub.validation.validate("stop", back.record).issues == [], name
        assert layout.to_rows(back.record) == rows, name


def test_lists_of_groups_are_aligned_by_position(layout: FlatLayout) -> None:
    record = dict(golden("2024")[-1][1])
    rows = layout.to_rows(record)
    col = layout.names.index("ListResult.ResCD")
    inner = layout.names.index("ListResult.Res_O_CD")
    results = record["ListPerson_Stopped"]["Person_Stopped"][0]["ListResult"]["Result"]
    assert rows[0][col].split(";") == [r["ResCD"] for r in results]
    assert len(rows[0][inner].split(";")) == len(results)


def test_records_split_on_the_record_id_and_blank_repeats_are_allowed(
    layout: FlatLayout,
) -> None:
    _, three = next((n, r) for n, r in golden("2024") if "three" in n)
    _, one = next((n, r) for n, r in golden("2024") if "one_person" in n)
    rows = layout.to_rows(three)
    for row in rows[1:]:  # stop columns left blank after the first row of the stop
        for i, col in enumerate(layout.columns):
            if not col.person and i:
                row[i] = ""
    out = _read(layout, [*rows, *layout.to_rows(one)])
    assert [type(o) for o in out] == [RecordRows, RecordRows]
    assert isinstance(out[0], RecordRows)
    assert len(out[0].record["ListPerson_Stopped"]["Person_Stopped"]) == 3
    assert out[0].record["Officer"] == {k: v for k, v in three["Officer"].items() if v}


def test_disagreeing_stop_columns_are_a_conversion_error_naming_row_and_column(
    layout: FlatLayout,
) -> None:
    _, three = next((n, r) for n, r in golden("2024") if "three" in n)
    _, one = next((n, r) for n, r in golden("2024") if "one_person" in n)
    rows = layout.to_rows(three)
    rows[2][layout.names.index("Officer.UID")] = "Z99999999"
    out = _read(layout, [*rows, *layout.to_rows(one)])
    assert isinstance(out[0], ConversionError)
    assert "row 4, column Officer.UID" in out[0].message
    assert out[0].rows == (2, 3, 4)
    assert out[0].record_id == three["LEARecordID"]
    assert isinstance(out[1], RecordRows)  # the rest of the file goes on


def test_a_ragged_row_is_a_conversion_error(layout: FlatLayout) -> None:
    _, one = golden("2024")[0]
    row = layout.to_rows(one)[0]
    out = _read(layout, [[*row, "extra"]])
    assert isinstance(out[0], ConversionError)
    assert "row 2 has" in out[0].message


def test_check_header(layout: FlatLayout) -> None:
    assert layout.check_header(list(reversed(layout.names))) == []
    problems = layout.check_header(["Bogus", "ORI", "ORI"])
    assert "unknown column 'Bogus'" in problems
    assert "column 'ORI' appears twice" in problems
    assert "the column 'LEARecordID' is missing" in problems


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-117.161", "-117.161"),
        ("\tcmd", "'\tcmd"),
        ("plain", "plain"),
    ],
)
def test_neutralize_cell(text: str, shown: str) -> None:
    assert neutralize_cell(text) == shown


@pytest.mark.parametrize("era", ["2018", "2024"])
def test_records_read_from_rows_are_already_canonical(hub: Hub, era: str) -> None:
    """The batch path stores flat records without :func:`canonical` (it would copy them
    unchanged): text stripped, lists as lists. Padded cells and empty list items included."""
    d = hub.validation.dictionaries[f"stop-{era}"]
    layout = FlatLayout(d)
    for name, record in golden(era) + golden(era, "invalid"):
        record.pop("_expect", None)
        rows = [[f" {c} " if c else c for c in row] for row in layout.to_rows(record)]
        for row in rows:
            row[-1] = row[-1] + ";;" if row[-1] else row[-1]
        for back in _read(layout, rows):
            if isinstance(back, RecordRows):
                assert canonical(d, back.record) == back.record, name
