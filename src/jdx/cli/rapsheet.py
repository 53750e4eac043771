"""``jdx rapsheet``: merge, render and summarise rap sheets offline (seed 002), the receivers'
preference table (``jdx rapsheet receivers list | set``) and the responders' registry
(``jdx rapsheet responders list | add | remove``).

Every offline command reads portions in either XML format (2.00 or Nlets 4.1); plain-text sheets
are passed through untouched, as the seed's transition rules say.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from jdx.cli._common import emit, fail, open_hub
from jdx.exchanges.rapsheets.merge import MergeError, merge_rap_sheets, over_limits
from jdx.exchanges.rapsheets.model import RapSheet
from jdx.exchanges.rapsheets.portions import PlainTextRapSheet, Portion, read_portion
from jdx.exchanges.rapsheets.present import Presentation, render
from jdx.exchanges.rapsheets.service import RapSheetService
from jdx.exchanges.rapsheets.summary import summarize, with_summary
from jdx.exchanges.rapsheets.transmission import RapSheetFormatError, write_rap_sheet

app = typer.Typer(no_args_is_help=True, help="Interstate rap sheets: merge, render, summary.")
receivers = typer.Typer(
    no_args_is_help=True, help="The receivers' preference table: the format each one wants."
)
app.add_typer(receivers, name="receivers")
responders = typer.Typer(
    no_args_is_help=True,
    help="The responders' registry: the state each ORI sends rap sheets for.",
)
app.add_typer(responders, name="responders")

# The operator's short names for the delivery formats (seed 2.7).
RECEIVER_FORMATS = {
    "transmission": "transmission",
    "html": "presentation-html",
    "text": "presentation-text",
}
_ORI = re.compile(r"[A-Z0-9]{9}")

AS_OF = typer.Option(None, "--as-of", help="CCYYMMDD for the IFFS precedence; default today.")


def _read(file: Path, *, delivery: bool = False) -> Portion:
    try:
        return read_portion(file.read_bytes(), delivery=delivery)
    except (RapSheetFormatError, OSError) as exc:
        fail(f"{file.name}: {exc}")


def _today(as_of: str | None) -> str:
    return as_of or datetime.now(UTC).strftime("%Y%m%d")


@app.command("merge")
def merge(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Portions."),
    out: Path = typer.Option(..., "--out", help="Where the merged 2.00 sheet is written."),
    as_of: str | None = AS_OF,
) -> None:
    """Merge portions into one rap sheet (summary last); prints what was merged as JSON."""
    sheets: list[RapSheet] = []
    passed: list[str] = []
    for file in files:
        portion = _read(file)
        if isinstance(portion, PlainTextRapSheet):
            passed.append(file.name)  # not mergeable: forwarded as it is, never altered
        else:
            sheets.append(portion)
    if not sheets:
        fail("no XML rap sheet among the files; plain-text sheets are only passed through")
    day = _today(as_of)
    try:
        merged = merge_rap_sheets(sheets, as_of=day)
    except MergeError as exc:
        fail(str(exc))
    out.write_bytes(write_rap_sheet(with_summary(merged, as_of=day)))
    emit(
        {
            "merged": [f.name for f in files if f.name not in passed],
            "passed_through_unmerged": passed,
            "cycles": len(merged.cycles),
            "over_limits": over_limits(merged),
            "out": str(out),
        }
    )


@app.command("render")
def render_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    fmt: str = typer.Option("html", "--format", help="html or text."),
    as_of: str | None = AS_OF,
) -> None:
    """A rap sheet (2.00, Nlets 4.1 or the hub's delivery envelope) in presentation format on
    standard output (plain text passes through)."""
    if fmt not in ("html", "text"):
        fail(f"unknown format {fmt!r}; known: html, text")
    portion = _read(file, delivery=True)
    if isinstance(portion, PlainTextRapSheet):
        sys.stdout.buffer.write(portion.data)
        return
    kind: Presentation = "html" if fmt == "html" else "text"
    sys.stdout.write(render(portion, kind, as_of=_today(as_of)))


@app.command("summary")
def summary(
    file: Path = typer.Argument(..., exists=True, dir_okay=False), as_of: str | None = AS_OF
) -> None:
    """The summary record (seed Table 4) of a rap sheet, as JSON."""
    portion = _read(file, delivery=True)
    if isinstance(portion, PlainTextRapSheet):
        fail(f"{file.name}: a plain-text rap sheet has no structure to summarise")
    result: dict[str, Any] = dataclasses.asdict(summarize(portion, as_of=_today(as_of)))
    emit(result)


@receivers.command("list")
def receivers_list() -> None:
    """Every receiver with a preferred format, as JSON (receivers not listed get transmission
    format unless their request names another)."""
    with open_hub() as h:
        service = h.service(RapSheetService)
        rows = service.receivers()
    emit([{"ori": r.ori, "format": r.format, "updated_at": r.updated_at.isoformat()} for r in rows])


@receivers.command("set")
def receivers_set(
    ori: str = typer.Argument(..., help="The receiver's 9-character ORI."),
    fmt: str = typer.Argument(..., metavar="FORMAT", help="transmission, html or text."),
) -> None:
    """Set the format ``ORI`` receives its rap sheets in (what PUT /chri/v1/preference does)."""
    ori = ori.strip().upper()
    if not _ORI.fullmatch(ori):
        fail(f"{ori!r} is not an ORI (9 letters and digits)")
    stored = RECEIVER_FORMATS.get(fmt)
    if stored is None:
        fail(f"unknown format {fmt!r}; known: {', '.join(RECEIVER_FORMATS)}")
    with open_hub() as h:
        service = h.service(RapSheetService)
        service.set_receiver_format(ori, stored)
    emit({"ori": ori, "format": stored})


@responders.command("list")
def responders_list() -> None:
    """Every registered responder, by state, as JSON (the FBI/III's ORIs, which answer for the
    FBI, are the rap_notifiers setting's, not listed here)."""
    with open_hub() as h:
        service = h.service(RapSheetService)
        rows = service.responders()
    emit([{"ori": r.ori, "state": r.state, "added_at": r.added_at.isoformat()} for r in rows])


@responders.command("add")
def responders_add(
    ori: str = typer.Argument(..., help="The responder's ORI (an agency of the hub)."),
    state: str = typer.Argument(..., help="The state it answers for: two letters, e.g. TX."),
) -> None:
    """Register ``ORI`` as a responder for ``STATE``: its rap sheets are taken as that state's
    portions, and only sheets of that state's records are accepted from it."""
    with open_hub() as h:
        service = h.service(RapSheetService)
        try:
            added = service.add_responder(ori, state)
        except ValueError as exc:
            fail(str(exc))
    emit({"ori": added.ori, "state": added.state})


@responders.command("remove")
def responders_remove(ori: str = typer.Argument(..., help="The responder's ORI.")) -> None:
    """Take ``ORI`` off the registry: its rap sheets are refused from then on."""
    with open_hub() as h:
        service = h.service(RapSheetService)
        removed = service.remove_responder(ori)
    if not removed:
        fail(f"{ori.strip().upper()} is not a registered responder")
    emit({"ori": ori.strip().upper(), "removed": True})
