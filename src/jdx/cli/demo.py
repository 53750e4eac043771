"""``jdx demo``: demo data for a first look: one agency, its keys and the sample domain tables."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import typer

from jdx.cli._common import emit, open_hub
from jdx.security.keys import issue_key
from jdx.store.queries import add_agency, get_agency, load_domain_csv

DEMO_ORI = "CA0370000"
# The DOJ domain-table samples kept beside the repository (shared/reference); the product does
# not ship them, so the demo reads them from there when they are present.
DOMAIN_SAMPLES = {
    "city": "ripa/domain_tables_sample/doj_cities_sample.csv",
    "school": "ripa/domain_tables_sample/doj_k12_schools_sample.csv",
    "offense": "ripa/domain_tables_sample/doj_cjis_offense_codes_sample.csv",
}


def demo(
    reference: Path = typer.Option(
        Path(os.environ.get("JDX_REFERENCE_DIR", "../shared/reference")),
        help="Folder holding the reference domain-table samples.",
    ),
) -> None:
    """Create the demo agency (once) and load the sample domain tables; prints the demo keys."""
    with open_hub() as h:
        loaded: dict[str, int] = {}
        specs = {n: d for dic in h.validation.dictionaries.values() for n, d in dic.domains.items()}
        keys_file = h.settings.data_dir / "demo-keys.json"
        with h.engine.begin() as conn:
            for name, relative in DOMAIN_SAMPLES.items():
                path = reference / relative
                if path.exists() and name in specs:
                    loaded[name] = load_domain_csv(conn, name, path, specs[name].csv_key)
            if get_agency(conn, DEMO_ORI) is None:
                agency = add_agency(
                    conn, DEMO_ORI, "San Diego County Sheriff (demo)", ["ripa-poc@example.org"]
                )
                keys = {realm: issue_key(conn, agency.id, realm) for realm in ("prod", "test")}
                keys_file.parent.mkdir(parents=True, exist_ok=True)
                keys_file.write_bytes(
                    orjson.dumps({"ori": DEMO_ORI, "api_keys": keys}, option=orjson.OPT_INDENT_2)
                )
                keys_file.chmod(0o600)
        emit(
            {
                "agency": DEMO_ORI,
                "keys_file": str(keys_file),
                "domain_tables": loaded,
                "missing_reference": [n for n in DOMAIN_SAMPLES if n not in loaded],
            }
        )
