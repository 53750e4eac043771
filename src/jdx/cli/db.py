"""``jdx db``: migrations."""

from __future__ import annotations

import typer

from jdx.cli._common import emit, fail, open_hub
from jdx.store import schema

app = typer.Typer(no_args_is_help=True, help="Database migrations.")


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest); creates the SQLite database."""
    with open_hub(create=True, current=False) as h:
        schema.upgrade(h.engine, revision)
        emit({"revision": schema.current_revision(h.engine)})


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. base.")) -> None:
    """Undo migrations down to REVISION."""
    with open_hub(current=False) as h:
        schema.downgrade(h.engine, revision)
        emit({"revision": schema.current_revision(h.engine)})


@app.command()
def check() -> None:
    """Fail unless the database is at the newest revision and matches the tables in code."""
    with open_hub(current=False) as h:
        current, head = schema.current_revision(h.engine), schema.head_revision()
        if current != head:
            fail(f"database is at revision {current}, code expects {head}: run jdx db upgrade")
        differences = schema.drift(h.engine, h.metadata)
        if differences:
            fail("tables in code and migrations differ: " + "; ".join(map(str, differences)))
        emit({"revision": current, "drift": []})
