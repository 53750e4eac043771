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
