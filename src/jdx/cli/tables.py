"""``jdx tables``: domain tables (ORIs, cities, schools, offense codes) loaded from CSV."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import typer

from jdx.cli._common import emit, fail, open_hub
from jdx.store.engine import read_only
from jdx.store.queries import StoreError, load_domain_csv
from jdx.store.tables import domain_tables

app = typer.Typer(no_args_is_help=True, help="Domain tables the dictionaries check codes against.")


@app.command("load")
def load(
    name: str = typer.Argument(..., help="Domain table name, e.g. city, school, offense, ori."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file with a header."),
    key: str = typer.Option("", help="Column holding the code (default: the dictionary's)."),
) -> None:
    """Replace a domain table with the rows of FILE."""
    with open_hub() as h:
        specs = {n: d for dic in h.validation.dictionaries.values() for n, d in dic.domains.items()}
        if name not in specs:
            fail(f"no dictionary uses a domain table {name!r}; known: {', '.join(sorted(specs))}")
        try:
            with h.engine.begin() as conn:
                rows = load_domain_csv(conn, name, file, key or specs[name].csv_key)
        except StoreError as exc:
            fail(str(exc))
        emit({"table": name, "codes": rows, "source": file.name})


@app.command("list")
def list_() -> None:
    """The domain tables the dictionaries use: rows, source file and load date (UTC); a table
    never loaded, or loaded without rows, is listed with 0 rows (its checks are skipped)."""
    with open_hub() as h, h.engine.connect() as plain:
        conn = read_only(plain)
        loaded = {r.name: r for r in conn.execute(sa.select(domain_tables)).all()}
        used = {n for dic in h.validation.dictionaries.values() for n in dic.domains}
        emit(
            [
                {
                    "table": name,
                    "rows": loaded[name].rows if name in loaded else 0,
                    "source": loaded[name].source if name in loaded else None,
                    "loaded_at": loaded[name].loaded_at.isoformat() if name in loaded else None,
                    "version": loaded[name].version if name in loaded else None,
                }
                for name in sorted(used | loaded.keys())
            ]
        )
