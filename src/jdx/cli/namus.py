"""``jdx namus``: NamUs import accounts (sponsor, import permission) and client certificates."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from jdx.cli._common import emit, fail, open_hub
from jdx.exchanges.cases import accounts
from jdx.exchanges.cases import regions as case_regions
from jdx.store.queries import StoreError, get_agency

app = typer.Typer(no_args_is_help=True, help="NamUs import accounts and client certificates.")
cert_app = typer.Typer(no_args_is_help=True, help="An import account's client certificates.")
app.add_typer(cert_app, name="cert")
regions_app = typer.Typer(no_args_is_help=True, help="The state-to-region table of the review.")
app.add_typer(regions_app, name="regions")


@app.command("account")
def account(
    ori: str = typer.Argument(..., help="The agency's ORI."),
    sponsor: str = typer.Option(
        None, "--sponsor", help="Sponsoring person or agency (needed for a new account)."
    ),
    grant_import: bool = typer.Option(False, "--grant-import", help="Give import permission."),
    revoke_import: bool = typer.Option(False, "--revoke-import", help="Take it away."),
) -> None:
    """Make an agency an import account, or change its sponsor or import permission.
    (Suspend or reinstate the account with `jdx agency suspend|activate`.)"""
    if grant_import and revoke_import:
        fail("give at most one of --grant-import and --revoke-import")
    permission = True if grant_import else False if revoke_import else None
    with open_hub() as h, h.engine.begin() as conn:
        agency = get_agency(conn, ori)
        if agency is None:
            fail(f"no agency {ori}")
        try:
            changed = accounts.set_account(conn, agency.id, sponsor=sponsor, can_import=permission)
        except ValueError as exc:
            fail(str(exc))
        emit({"ori": agency.ori, "active": agency.active, **asdict(changed)})


@cert_app.command("add")
def cert_add(
    ori: str = typer.Argument(..., help="The agency's ORI."),
    pem: Path = typer.Argument(..., exists=True, dir_okay=False, help="The certificate (PEM)."),
) -> None:
    """Register a client certificate to an account; prints its SHA-256 fingerprint."""
    with open_hub() as h, h.engine.begin() as conn:
        agency = get_agency(conn, ori)
        if agency is None:
            fail(f"no agency {ori}")
        try:
            cert = accounts.add_certificate(conn, agency.id, pem.read_bytes())
        except ValueError as exc:
            fail(str(exc))
        emit({"ori": agency.ori, **asdict(cert)})


@cert_app.command("list")
def cert_list(ori: str = typer.Argument(..., help="The agency's ORI.")) -> None:
    """An account's registered client certificates."""
    with open_hub() as h, h.engine.connect() as conn:
        agency = get_agency(conn, ori)
        if agency is None:
            fail(f"no agency {ori}")
        emit([asdict(c) for c in accounts.list_certificates(conn, agency.id)])


@cert_app.command("remove")
def cert_remove(
    ori: str = typer.Argument(..., help="The agency's ORI."),
    fingerprint: str = typer.Argument(..., help="SHA-256 fingerprint (hex, colons allowed)."),
) -> None:
    """Unregister a client certificate: it is refused from then on."""
    with open_hub() as h, h.engine.begin() as conn:
        agency = get_agency(conn, ori)
        if agency is None:
            fail(f"no agency {ori}")
        if not accounts.remove_certificate(conn, agency.id, fingerprint):
            fail(f"no certificate {fingerprint} registered to {agency.ori}")
        emit({"ori": agency.ori, "removed": accounts.normalize_fingerprint(fingerprint)})


@regions_app.command("list")
def regions_list() -> None:
    """Each state's region, and whether the table is still the configured default."""
    with open_hub() as h, h.engine.connect() as conn:
        default = case_regions.load_regions(h.settings.namus_regions_file)
        table = case_regions.region_table(conn, default)
        emit(
            {
                "source": "default" if case_regions.table_is_default(conn) else "database",
                "regions": [{"state": s, "region": r} for s, r in sorted(table.items())],
            }
        )


@regions_app.command("set")
def regions_set(
    state: str = typer.Argument(..., help="NCIC state code, e.g. CA."),
    region: str = typer.Argument(..., help="The region its new cases go to."),
) -> None:
    """Assign a state to a region: cases created from now on (on every node) go there; cases
    created before keep their region."""
    with open_hub() as h:
        default = case_regions.load_regions(h.settings.namus_regions_file)
        try:
            with h.engine.begin() as conn:
                table = case_regions.set_region(conn, state, region, default)
        except StoreError as exc:
            fail(str(exc))
        emit({"state": state.strip().upper(), "region": table[state.strip().upper()]})
