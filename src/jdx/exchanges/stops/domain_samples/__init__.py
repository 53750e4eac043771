"""Samples of the DOJ domain tables (cities, K-12 schools, CJIS offense codes), shipped with jdx.

``jdx demo``, the tests and the benches load them; README.md beside them gives their source.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa

from jdx.store.queries import load_domain_csv
from jdx.validation import ValidationService

HERE = Path(__file__).resolve().parent

# Domain name (as the stop dictionaries name it) -> its sample CSV.
DOMAIN_SAMPLES: dict[str, Path] = {
    "city": HERE / "doj_cities_sample.csv",
    "school": HERE / "doj_k12_schools_sample.csv",
    "offense": HERE / "doj_cjis_offense_codes_sample.csv",
}

# The ORI table of the demo: its one agency. DOJ's ORI table lists every agency that may send
# stops; the tests register agencies of their own, so only `jdx demo` loads this one.
DEMO_ORI_TABLE = HERE / "demo_ori_table.csv"


def load_samples(
    conn: sa.Connection, validation: ValidationService, tables: Mapping[str, Path] = DOMAIN_SAMPLES
) -> dict[str, int]:
    """Load ``tables`` (domain name -> CSV) as ``jdx tables load`` would, each by its
    dictionary's key column; the codes loaded per table."""
    specs = {n: d for dic in validation.dictionaries.values() for n, d in dic.domains.items()}
    return {
        name: load_domain_csv(conn, name, path, specs[name].csv_key)
        for name, path in tables.items()
    }
