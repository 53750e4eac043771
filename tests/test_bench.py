"""The validators bench is sound: jdx reports every planted error and faults no valid record.

No timing is asserted (the machine decides those); this guards the completeness claim of
docs/benchmarks.md and the bench's own record generator.
"""

from __future__ import annotations

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
