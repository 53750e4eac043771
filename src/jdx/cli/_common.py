"""What every command needs: settings, a hub, JSON output and clean failures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import orjson
import typer

from jdx.cli._errors import EXIT_REFUSED, EXIT_SETUP
from jdx.hub import Hub, create_hub
from jdx.settings import load_settings
from jdx.store import schema
from jdx.store.engine import sqlite_file


@contextmanager
def open_hub(*, create: bool = False, current: bool = True) -> Iterator[Hub]:
    """The hub of one command; its connections close when the command ends.

    A SQLite file that is not there is an error unless ``create`` (``jdx db upgrade``): any
    other command run in the wrong folder, or before the first upgrade, would leave an empty
    database behind. With ``current`` the database must be at the code's newest revision, so
    that a command never meets a missing table half-way.
    """
    settings = load_settings()
    path = sqlite_file(settings)
    if not create and path is not None and not path.is_file():
        fail(
            f"no database at {path}: run `jdx db upgrade` to create it, or set JDX_DATA_DIR "
            "to the folder that holds one",
            EXIT_SETUP,
        )
    built = create_hub(settings)
    try:
        if current:
            now, head = schema.current_revision(built.engine), schema.head_revision()
            if now != head:
                fail(
                    f"the database is at revision {now or 'none (empty)'} but this jdx needs "
                    f"{head}: run `jdx db upgrade`",
                    EXIT_SETUP,
                )
        yield built
    finally:
        built.dispose()


def emit(value: Any) -> None:
    """One JSON document on standard output: what scripts read."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def emit_line(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
