"""The ``jdx`` command: one module per command group, assembled here."""

from __future__ import annotations

import typer

from jdx.cli import (
    agency,
    credentials,
    db,
    demo,
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

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="jdx: justice data exchange hub."
)
app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(agency.app, name="agency")
app.add_typer(tables.app, name="tables")
app.add_typer(sftp.app, name="sftp")
app.add_typer(mail.app, name="mail")
app.add_typer(rapsheet.app, name="rapsheet")
app.add_typer(namus.app, name="namus")
credentials.register(users.app)  # set-password, totp: the portal's secrets
app.add_typer(users.app, name="users")
app.command("validate")(stops.validate)
app.command("icd")(stops.icd)
app.command("demo")(demo.demo)
app.command("submit")(submit.submit)


def main() -> None:
    app()
