"""The columnar checker is a sound pre-filter: a stop it calls clean is one the record path
(FlatLayout binder + the generated validator) finds nothing in, for the bench's stops with
planted errors of every kind, for mutated cells, and for the corners the two engines read
differently. Precision (valid stops called clean) is asserted on the bench stops.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import polars as pl
import pytest
from bench.records import KINDS, Generator, dictionaries, load_domains
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdx.codecs.flat import Column, FlatLayout
from jdx.dictionary.columnar import ColumnarCheck, compile_columnar
from jdx.dictionary.model import Dictionary
from jdx.validation import ValidationService
from tests.conftest import golden
from tests.dictionary.columnar_oracle import Rows, frame_of, judge, record_path


@pytest.fixture(scope="module")
def domains() -> dict[str, frozenset[str]]:
    return load_domains()


@pytest.fixture(scope="module")
def eras() -> dict[str, Dictionary]:
    return dictionaries()


@pytest.fixture(scope="module")
def service(domains: dict[str, frozenset[str]], eras: dict[str, Dictionary]) -> ValidationService:
    service = ValidationService(domains)
    for d in eras.values():
        service.add(d)
    return service


_checks: dict[tuple[int, str], ColumnarCheck] = {}


def checker(service: ValidationService, eras: dict[str, Dictionary], era: str) -> ColumnarCheck:
    """The check of one era's layout (compiled once per service)."""
    key = (id(service), era)
    if key not in _checks:
        d = eras[era]
        versions = list(eras.values())
        _checks[key] = compile_columnar(d, FlatLayout(d).names, service.domains, versions)
    return _checks[key]


def bench_stops(era: str, n: int, seed: int, invalid_share: float) -> list[Rows]:
    """``n`` bench stops of one era's layout; a share with one planted error (every kind)."""
    gen = Generator(seed)
    layout = FlatLayout(gen.dicts[era])
    stops = []
    for i in range(n):
        if gen.rng.random() < invalid_share:
            record, _expected = gen.invalid_record(i, era)
        else:
            record = gen.valid_record(i, era)
        stops.append(layout.to_rows(record))
    return stops


# --- the bench stops ------------------------------------------------------------------------------


@pytest.mark.parametrize(("era", "n"), [("2024", 10000), ("2018", 3000)])
def test_bench_stops_are_clean_only_when_the_record_path_finds_nothing(
    service: ValidationService, eras: dict[str, Dictionary], era: str, n: int
) -> None:
    stops = bench_stops(era, n, seed=20, invalid_share=0.2)
    check = checker(service, eras, era)
    verdicts = judge(check, service, FlatLayout(eras[era]).names, stops)
    assert not verdicts.unsound, verdicts.unsound[:3]
    invalid = len(stops) - verdicts.valid
    assert (
        invalid > n * 0.15
    )  # the planted errors are there, and all of them went to the record path
    assert verdicts.precision > 0.95, verdicts.precision


def test_every_kind_of_planted_error_goes_to_the_record_path(
    service: ValidationService, eras: dict[str, Dictionary]
) -> None:
    gen = Generator(3)
    layout = FlatLayout(eras["2024"])
    check = checker(service, eras, "2024")
    for kind in KINDS:
        cases = gen.invalid["2024"].get(kind, [])
        stops = [layout.to_rows(record) for record, _ in cases]
        if not stops:
            continue
        verdicts = judge(check, service, layout.names, stops)
        assert not verdicts.unsound, (kind, verdicts.unsound[:3])
        assert not any(verdicts.clean), kind


# --- cells mutated --------------------------------------------------------------------------------

# Texts the two engines (or the binder) read differently, and values that break one rule.
TRICKY = [
    "", " ", "  \t", "\x1c", "\u00a0", "\u3000",
    "2/3/2025", " 02/03/2025", "02/03/2025 ", "02/30/2025", "02/29/2024", "02/29/2023",
    "00/10/2024", "13/01/2024", "12/31/9999", "01/01/0000", "2024-03-15", "20240315",
    "１２/０１/２０２４", "03/15/2024", "03/15/2018", "06/30/2018", "12/31/2023", "01/01/2024",
    "24:00", "23:59", "23:59:60", "7:05", "07:05:00", "07:5", "٠٧:٠٥",
    "0", "1", "01", "1441", "1440", "-1", "1e3", "1_0", "+5", "²", "٣", "121", "120", "999999999999999999999",
    "32.7", "32.7161", "-117.161", "-117.1", "42.1", "42.10", "42.2", "-114.0", "-124.50", "1.", ".5",
    "nan", "inf", "-0", "32.700",
    "Y", "N", "y", "n", "na", "NA", "Na", "yes", "ſ", "\u212a",
    "1;1", "8;1", "1;8", "18", "18;4", "4;18", "1;", ";1", ";", "1;;2", "1 ; 2", "1,2", "1;2;3;4;5;6;7;8",
    "2;3", "3;2", "14", "15", "12", "13", "4", "7", "9", "20", "21", "22", "99", "A", "a",
    "54106", "54106,54106", "54106,54107,54108,54109,54110,54111", ",", "54106,",
    "x" * 4, "x" * 5, "x" * 250, "x" * 251, "é" * 10, "A1234567", "A12345678", "A12345678 ", "A1234567\u0661",
    "1200", "0100", "10", "5", "0", "MARKET ST", "SAN DIEGO", "san diego", "CA0370000", "ca0370000",
]  # fmt: skip


def mutate(rows: Rows, header: list[str], rng: random.Random, value: str) -> Rows:
    """One change to a stop's rows: a cell set, or rows duplicated, dropped or disagreeing."""
    out = [list(r) for r in rows]
    what = rng.random()
    if what < 0.75:
        row = rng.randrange(len(out))
        out[row][rng.randrange(len(header))] = value
    elif what < 0.8:
        out.append(list(rng.choice(out)))  # a second person with the same PID
    elif what < 0.85 and len(out) > 1:
        del out[rng.randrange(1, len(out))]
    elif what < 0.9 and len(out) > 1:
        out[1][rng.randrange(len(header))] = value  # a record cell may disagree with row 1
    else:
        row = rng.randrange(len(out))
        col = rng.randrange(len(header))
        out[row][col] = f"{out[row][col]};{value}" if value else out[row][col] + ";"
    return out


@pytest.fixture(scope="module")
def valid_2024() -> list[Rows]:
    return bench_stops("2024", 60, seed=5, invalid_share=0.0)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 2**32 - 1),
    picks=st.lists(st.sampled_from(TRICKY), min_size=40, max_size=40),
)
def test_mutated_cells_are_clean_only_when_the_record_path_finds_nothing(
    service: ValidationService,
    eras: dict[str, Dictionary],
    valid_2024: list[Rows],
    seed: int,
    picks: list[str],
) -> None:
    rng = random.Random(seed)
    header = FlatLayout(eras["2024"]).names
    check = checker(service, eras, "2024")
    stops = []
    for value in picks:
        rows = rng.choice(valid_2024)
        for _ in range(rng.choice((1, 1, 2))):
            rows = mutate(rows, header, rng, value)
        stops.append(rows)
    verdicts = judge(check, service, header, stops)
    assert not verdicts.unsound, verdicts.unsound[:3]


# --- what a user would see ------------------------------------------------------------------------


def one_stop(
    service: ValidationService,
    eras: dict[str, Dictionary],
    valid_2024: list[Rows],
    change: Callable[[Rows, list[str]], None],
    today: dt.date | None = None,
) -> tuple[bool, list[str]]:
    """A valid stop changed by ``change``: the checker's verdict and the record path's findings."""
    header = FlatLayout(eras["2024"]).names
    rows = [list(r) for r in valid_2024[0]]
    change(rows, header)
    check = checker(service, eras, "2024")
    (clean,) = check.clean(frame_of(header, [rows]), today).to_list()
    return clean, record_path(service, check.layout, header, rows)


def put(name: str, value: str, row: int = 0) -> Callable[[Rows, list[str]], None]:
    def change(rows: Rows, header: list[str]) -> None:
        rows[row][header.index(name)] = value

    return change


def test_a_valid_stop_is_clean(
    service: ValidationService, eras: dict[str, Dictionary], valid_2024: list[Rows]
) -> None:
    assert one_stop(service, eras, valid_2024, lambda rows, header: None) == (True, [])


@pytest.mark.parametrize("date", ["2/3/2025", "02/30/2025", "2025-03-02", "03/02/2025x"])
def test_dates_polars_would_read_go_to_the_record_path(
    service: ValidationService, eras: dict[str, Dictionary], valid_2024: list[Rows], date: str
) -> None:
    clean, findings = one_stop(service, eras, valid_2024, put("SDate", date))
    assert not clean
    assert any("SDate" in f for f in findings), findings


def test_a_date_with_spaces_around_is_read_as_the_binder_strips_it(
    service: ValidationService, eras: dict[str, Dictionary], valid_2024: list[Rows]
) -> None:
    header = FlatLayout(eras["2024"]).names
    day = valid_2024[0][0][header.index("SDate")]

    def spaced(rows: Rows, header: list[str]) -> None:
        for row in rows:  # on every row, as a file that pads its cells has it
            row[header.index("SDate")] = f" {day}\u3000"

    assert one_stop(service, eras, valid_2024, spaced) == (True, [])


def test_a_stop_after_today_is_not_clean(
    service: ValidationService, eras: dict[str, Dictionary], valid_2024: list[Rows]
) -> None:
    header = FlatLayout(eras["2024"]).names
    day = dt.datetime.strptime(valid_2024[0][0][header.index("SDate")], "%m/%d/%Y").date()
    assert one_stop(service, eras, valid_2024, put("SDate", day.strftime("%m/%d/%Y")), today=day)[0]
    later = put("SDate", (day + dt.timedelta(days=1)).strftime("%m/%d/%Y"))
    assert not one_stop(service, eras, valid_2024, later, today=day)[0]


def test_a_stop_of_the_other_era_goes_to_the_record_path(
    service: ValidationService, eras: dict[str, Dictionary], valid_2024: list[Rows]
) -> None:
    # A 2023 date picks the 2018 dictionary, whose rules this check does not hold.
    clean, findings = one_stop(service, eras, valid_2024, put("SDate", "12/31/2023"))
    assert not clean
    assert findings


def test_record_cells_may_be_blank_after_the_first_row_but_not_disagree(
    service: ValidationService, eras: dict[str, Dictionary], valid_2024: list[Rows]
) -> None:
    header = FlatLayout(eras["2024"]).names
    two = next(rows for rows in valid_2024 if len(rows) > 1)
    persons = {n for n, c in zip(header, FlatLayout(eras["2024"]).columns, strict=True) if c.person}

    def blank_after_first(rows: Rows, _header: list[str]) -> None:
        rows[:] = [list(r) for r in two]
        for i, name in enumerate(header):
            if name not in persons:
                rows[1][i] = ""

    assert one_stop(service, eras, valid_2024, blank_after_first) == (True, [])

    def disagree(rows: Rows, _header: list[str]) -> None:
        rows[:] = [list(r) for r in two]
        rows[1][header.index("STime")] = "00:00"

    clean, findings = one_stop(service, eras, valid_2024, disagree)
    assert not clean
    assert findings and findings[0].startswith("conversion")


def test_domain_tables_are_read_on_each_call(
    service: ValidationService, eras: dict[str, Dictionary], valid_2024: list[Rows]
) -> None:
    header = FlatLayout(eras["2024"]).names
    d = eras["2024"]
    domains = dict(service.domains)
    check = compile_columnar(d, header, domains, versions=list(eras.values()))
    frame = frame_of(header, [valid_2024[0]])
    assert check.clean(frame).to_list() == [True]
    city = valid_2024[0][0][header.index("Location.City")]
    domains["city"] = frozenset(service.domains["city"] - {city.upper()})
    assert check.clean(frame).to_list() == [False]
    del domains["city"]  # not loaded: not checked, as the record path does not
    assert check.clean(frame).to_list() == [True]


def test_the_verdicts_follow_the_stop_index(
    service: ValidationService, eras: dict[str, Dictionary], valid_2024: list[Rows]
) -> None:
    header = FlatLayout(eras["2024"]).names
    bad = [list(r) for r in valid_2024[1]]
    bad[0][header.index("SDur")] = "0"
    stops = [valid_2024[0], bad, valid_2024[2]]
    check = checker(service, eras, "2024")
    frame = frame_of(header, stops).with_columns(item=frame_of(header, stops)["item"] * 10 + 7)
    assert check.clean(frame).to_list() == [True, False, True]


def test_without_the_family_only_stops_of_the_dictionarys_era_are_clean(
    service: ValidationService, eras: dict[str, Dictionary], valid_2024: list[Rows]
) -> None:
    header = FlatLayout(eras["2024"]).names
    alone = compile_columnar(eras["2024"], header, service.domains)
    before = [list(r) for r in valid_2024[0]]
    for row in before:
        row[header.index("SDate")] = "12/31/2023"
    assert alone.clean(frame_of(header, [valid_2024[0], before])).to_list() == [True, False]
    assert alone.clean(frame_of(header, [])).to_list() == []


def typed_value(column: Column, cell: str, rng: random.Random, d: Dictionary) -> str:
    """A value of the column's own type (a code of its table, a flag, a list of codes), so that
    the stop turns on its conditional and cross-field rules rather than on a bad value."""
    spec = column.spec
    item = spec.item if spec.type == "list" and spec.item is not None else spec
    if item.type == "flag":
        choices = [*(item.values or ("Y", "N")), ""]
    elif item.type == "code" and item.table:
        choices = [*d.tables[item.table].values, ""]
    else:
        return cell
    if spec.type == "list":
        codes = [c for c in choices if c]
        value = ";".join(rng.sample(codes, rng.choice((0, 1, 1, 2, 3)) if codes else 0))
    else:
        value = rng.choice(choices)
    if column.groups is not None:  # one item of a list of groups, by position, not blank
        parts = cell.split(";") if cell else [""]
        parts[rng.randrange(len(parts))] = rng.choice([c for c in choices if c])
        return ";".join(parts)
    return value


@pytest.fixture(scope="module")
def valid_stops() -> dict[str, list[Rows]]:
    return {era: bench_stops(era, 60, seed=6, invalid_share=0.0) for era in ("2018", "2024")}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1), era=st.sampled_from(["2018", "2024"]))
def test_stops_turned_by_their_rules_are_clean_exactly_when_the_record_path_finds_nothing(
    service: ValidationService,
    eras: dict[str, Dictionary],
    valid_stops: dict[str, list[Rows]],
    seed: int,
    era: str,
) -> None:
    rng = random.Random(seed)
    layout = FlatLayout(eras[era])
    header = layout.names
    check = checker(service, eras, era)
    stops = []
    for _ in range(40):
        rows = [list(r) for r in rng.choice(valid_stops[era])]
        for _ in range(rng.choice((1, 2, 3))):
            at = rng.randrange(len(header))
            column = layout.columns[at]
            row = rng.randrange(len(rows))
            value = typed_value(column, rows[row][at], rng, eras[era])
            for other in [row] if column.person else range(len(rows)):
                rows[other][at] = value  # a record cell on every row, as the file repeats it
        stops.append(rows)
    verdicts = judge(check, service, header, stops)
    assert not verdicts.unsound, verdicts.unsound[:3]
    # Values of their own type: the rules decide, and the checker reads them as the record
    # path does (every valid stop called clean), not only safely.
    assert verdicts.valid_and_clean == verdicts.valid


def test_a_row_wider_than_the_header_makes_its_stop_not_clean(
    service: ValidationService, eras: dict[str, Dictionary], valid_2024: list[Rows]
) -> None:
    header = FlatLayout(eras["2024"]).names
    frame = frame_of(header, valid_2024[:2])
    wide = frame.with_columns(wide=pl.col("item") == 1)
    check = checker(service, eras, "2024")
    assert check.clean(frame).to_list() == [True, True]
    assert check.clean(wide).to_list() == [True, False]


@pytest.mark.parametrize("era", ["2018", "2024"])
def test_golden_stops_are_clean_exactly_when_the_record_path_finds_nothing(
    service: ValidationService, eras: dict[str, Dictionary], era: str
) -> None:
    """The golden records (one per error code of the seed's tables, and the valid ones): none
    with a finding is called clean, and every valid one is."""
    layout = FlatLayout(eras[era])
    stops = [
        layout.to_rows(record) for kind in ("valid", "invalid") for _, record in golden(era, kind)
    ]
    assert len(stops) > 50
    verdicts = judge(checker(service, eras, era), service, layout.names, stops)
    assert not verdicts.unsound, verdicts.unsound[:3]
    assert verdicts.valid >= len(golden(era)) and verdicts.precision == 1.0
