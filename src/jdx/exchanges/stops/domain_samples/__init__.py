"""Samples of the DOJ domain tables (cities, K-12 schools, CJIS offense codes), shipped with jdx.

``jdx demo``, the tests and the benches load them; README.md beside them gives their source.
"""

from pathlib import Path

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
