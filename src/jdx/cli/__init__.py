"""The ``jdx`` command: one module per command group, assembled here."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from jdx.cli import (
    agency,
    backup,
    credentials,
    db,
    demo,
    export,
    files,
    mail,
    namus,
    rapsheet,
    serve,
    sftp,
    stops,
    submit,
    tables,
    users,
)
from jdx.cli._errors import EXIT_BUG, EXIT_CODES_HELP, describe, first_line


class JdxGroup(TyperGroup):
    """The top-level group: user errors of any subcommand become one line (``_errors``), and
    the help names the data folder in use, which depends on the environment and so is
    computed each time the help is shown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.intro = self.help or ""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            known = describe(exc)
            if known is None:
                raise  # a bug: its traceback stays (main)
            message, code = known
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(code) from None

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.help = f"{self.intro}\n\n{data_folder_help()}"
        super().format_help(ctx, formatter)


def data_folder_help() -> str:
    """Which data folder this ``jdx`` uses and where that comes from."""
    from jdx.settings import default_data_dir, load_settings

    default = default_data_dir()
    try:
        settings = load_settings()
    except Exception as exc:  # the help must show even when the settings are broken
        known = describe(exc)
        return f"Data folder: unknown: {known[0] if known else first_line(exc)}."
    folder = f"Data folder (database, outboxes, SFTP homes): {settings.data_dir}"
    if "JDX_DATA_DIR" in os.environ:
        return f"{folder}, from JDX_DATA_DIR (unset, the per-user default: {default})."
    if settings.data_dir != default.expanduser().resolve():
        return f"{folder}, from the JDX_CONFIG file (unset, the per-user default: {default})."
    return f"{folder}, the per-user default; set JDX_DATA_DIR to use another folder."


app = typer.Typer(
    cls=JdxGroup,
    no_args_is_help=True,
    add_completion=False,
    help="jdx: justice data exchange hub.",
    epilog=EXIT_CODES_HELP,
    # A bug's traceback without the values of local variables: they can hold passwords and keys.
    pretty_exceptions_show_locals=False,
)
app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(agency.app, name="agency")
app.add_typer(tables.app, name="tables")
app.add_typer(sftp.app, name="sftp")
app.add_typer(files.app, name="files")
app.add_typer(export.app, name="export")
app.add_typer(mail.app, name="mail")
app.add_typer(rapsheet.app, name="rapsheet")
app.add_typer(namus.app, name="namus")
credentials.register(users.app)  # set-password, totp: the portal's secrets
app.add_typer(users.app, name="users")
app.command("validate")(stops.validate)
app.command("icd")(stops.icd)
app.command("demo")(demo.demo)
app.command("submit", epilog=f"{submit.EXIT_HELP} {EXIT_CODES_HELP}")(submit.submit)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)


def _exit_codes_on_every_help(group: typer.Typer) -> None:
    """Every command's and group's help ends with the exit codes (unless it says its own)."""
    for command in group.registered_commands:
        command.epilog = command.epilog or EXIT_CODES_HELP
    for sub in group.registered_groups:
        sub.epilog = sub.epilog or EXIT_CODES_HELP
        if sub.typer_instance is not None:
            _exit_codes_on_every_help(sub.typer_instance)


_exit_codes_on_every_help(app)


def main() -> None:
    try:
        app()
    except Exception as exc:
        # Not a user error (those exit through JdxGroup.invoke): print the traceback as
        # Typer would, say what it is, and exit with a code of its own so scripts can tell.
        sys.excepthook(type(exc), exc, exc.__traceback__)
        typer.echo(
            "error: this is a bug in jdx; please report it with the traceback above", err=True
        )
        sys.exit(EXIT_BUG)
