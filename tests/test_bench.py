"""The validators bench is sound: jdx reports every planted error and faults no valid record.

No timing is asserted (the machine decides those); this guards the completeness claim of
docs/benchmarks.md and the bench's own record generator.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import validators
from bench.records import KINDS


def test_jdx_reports_every_planted_error() -> None:
    # A quarter invalid, so that 200 records plant every kind of error.
    summary = validators.run(
        200, repeat=1, only=["jdx"], invalid_share=0.25, budget=0.1, log=lambda _: None
    )
    (jdx,) = summary["results"]
    assert jdx["planted"] > 30
    assert jdx["detected"] == jdx["planted"], jdx["missed"]
    assert jdx["false_positives"] == 0, jdx["false_positive_examples"]
    assert set(jdx["by_kind"]) == set(KINDS)
    assert summary["eras"].keys() == {"2018", "2024"}


def test_rapsheets_bench_merges_every_cycle_and_renders() -> None:
    from bench import rapsheets

    summary = rapsheets.run(cycles=3, budget=0.01, repeat=1)
    assert summary["merged_cycles"] == 9
    assert summary["merge"]["timed"] > 0 and summary["render_html"]["timed"] > 0
    assert summary["render_full_html"]["timed"] > 0
    assert summary["responders"]["render_html_xslt"]["timed"] > 0
    assert "| merge + summary" in rapsheets.table(summary)


def test_bulk_bench_table_schema_has_every_flat_column_and_frictionless_reads_it() -> None:
    import os

    import frictionless
    from bench.bulk import ERA, table_schema, tree_rss_bytes
    from bench.records import dictionaries

    from jdx.codecs.flat import FlatLayout

    descriptor = table_schema(dictionaries()[ERA])
    schema = frictionless.Schema.from_descriptor(descriptor)
    assert schema.field_names == FlatLayout(dictionaries()[ERA]).names
    assert frictionless.Schema.validate_descriptor(descriptor).valid
    assert tree_rss_bytes(os.getpid()) > 0


def test_bulk_bench_measures_the_cpu_of_a_process_tree() -> None:
    import os
    import sys

    from bench import processes
    from bench.bulk import tree_cpu_seconds

    with processes.group([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"]) as busy:
        busy.wait()
    # a waited-for child counts in its parent's tree (cutime), as the hub's workers do
    assert tree_cpu_seconds(os.getpid()) > 0.05


def test_bulk_profile_puts_samples_in_the_innermost_known_stage(tmp_path: Path) -> None:
    from bench.bulkprofile import OTHER, breakdown

    process = "process (jdx/exchanges/stops/batch_files.py:220)"
    raw = tmp_path / "raw.txt"
    raw.write_text(
        f"main (x.py:1);{process};check_data (jdx/exchanges/stops/service.py:150);v (<g>:3) 30\n"
        f"main (x.py:1);{process};records (jdx/codecs/flat.py:180);_bound (f:2) 10\n"
        f"main (x.py:1);{process};_chunks (jdx/exchanges/stops/batch_files.py:270) 10\n"
        "main (x.py:1);setup (y.py:3) 50\n"  # outside the two steps: not counted
    )
    summary = breakdown(raw, cpu_seconds=1.0, records=1000)
    stages = summary["stages"]
    assert summary["samples"] == 50
    assert stages["validate (generated validator)"] == {"share": 0.6, "us": 600.0}
    assert stages["bind: rows to the record structure"]["share"] == 0.2
    assert stages[OTHER]["share"] == 0.2


def test_columnar_spike_passes_valid_stops_and_flags_a_bad_cell(tmp_path: Path) -> None:
    import itertools

    from bench.columnar_spike import DICTIONARY, measure
    from bench.records import iter_valid

    from jdx.codecs.flat import FlatLayout
    from jdx.dictionary import load_dictionary

    layout = FlatLayout(load_dictionary(DICTIONARY))
    rows = [r for rec in itertools.islice(iter_valid(), 50) for r in layout.to_rows(rec)]
    lines = ["|".join(layout.names), *("|".join(r) for r in rows)]
    good = tmp_path / "good.csv"
    good.write_text("\n".join(lines) + "\n")
    assert measure(good)["rows_passing"] == 1.0
    # A stop date that is no date in the dictionary's format fails its column's check.
    sdate = layout.names.index("SDate")
    bad_row = [*rows[7][:sdate], "2024-13-45", *rows[7][sdate + 1 :]]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([*lines[:8], "|".join(bad_row), *lines[9:]]) + "\n")
    assert measure(bad)["first_failing_row"] == 7


@pytest.mark.server
def test_onestop_bench_answers_every_file_of_a_sustained_run_once() -> None:
    """``python -m bench onestop --onestop-cases sustained`` for 5 seconds (its default is 5
    minutes at 50 files/s): every file answered, every stop the files' counts name stored;
    nothing timed."""
    from bench import onestop

    [result] = onestop.run(
        [None],
        files=0,
        rate=10,
        seconds=5,
        seed=3,
        cases=["sustained"],
        concurrency=2,
        log=lambda _: None,
    )
    assert result.case == "onestop-sustained" and result.files == 50
    assert result.answered == result.files == result.files_done, result
    assert result.stored == result.storable_expected > 0, result
    assert result.upload_to_answer_ms["median"] > 0
    assert "| onestop-sustained | sqlite | 50 |" in onestop.table(onestop.as_dicts([result]))


def test_soak_summary_reads_the_rss_at_each_mark_and_the_drift_from_five_minutes() -> None:
    from bench.soak import Sample, SoakResult

    result = SoakResult({"minutes": 10})
    result.samples = [Sample(s, 100.0 + s / 60, 1, int(s) * 40) for s in range(0, 601, 10)]
    result.statuses[200] = 24_000
    summary = result.summary()
    assert summary["rss_mb_at_minute"] == {"1": 101.0, "5": 105.0, "10": 110.0}
    assert summary["end_over_5_minutes_percent"] == 4.76
    assert (summary["requests_per_second"], summary["server_errors"]) == (40.0, 0)
