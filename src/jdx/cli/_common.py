"""What every command needs: settings, a hub, JSON output and clean failures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import orjson
import typer

from jdx.hub import Hub, create_hub
from jdx.settings import load_settings


@contextmanager
def open_hub() -> Iterator[Hub]:
    """The hub of one command; its connections close when the command ends."""
    built = create_hub(load_settings())
    try:
        yield built
    finally:
        built.dispose()


def emit(value: Any) -> None:
    """One JSON document on standard output: what scripts read."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def emit_line(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
