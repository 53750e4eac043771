"""The Nlets Rap Sheet 4.1 samples and fixtures validate against the Nlets 4.1 XSD (issue 15).

The XSD's licence keeps it out of the repository, so this is an optional check: it looks for a
folder named ``shared`` beside the checkout (or beside one of its parents, for a worktree), which
CI provides, and skips, saying so, where there is none. It is the one module the architecture
test lets name a folder beside the clone; everything else about the samples is checked in
``test_nlets41_samples.py``, which needs nothing beyond the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.exchanges.rapsheets.test_nlets41_samples import NS, OJBC, clark, parser, rap_sheets

XSD_IN_SHARED = Path("reference/rapsheet/nlets-4.1-xsd/rapsheet.xsd")


def nlets_xsd() -> Path | None:
    """``shared/`` beside the checkout or beside one of its parents (a worktree's main folder)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / XSD_IN_SHARED
        if candidate.is_file():
            return candidate
    return None


@cache
def schema() -> Any:
    xsd = nlets_xsd()
    if xsd is None:
        pytest.skip(
            "the Nlets 4.1 XSD is not beside the checkout (shared/reference/rapsheet/nlets-4.1-xsd/): "
            "its licence keeps it out of the repository"
        )
    return etree.XMLSchema(etree.parse(str(xsd), parser()))


def errors(xsd: Any, doc: Any) -> list[str]:
    if xsd.validate(doc):
        return []
    return [f"{e.line}: {e.message}" for e in xsd.error_log]


@pytest.mark.parametrize("path", rap_sheets(), ids=lambda p: p.name)
def test_each_rap_sheet_validates_against_the_41_xsd(path: Path) -> None:
    assert errors(schema(), etree.parse(str(path), parser())) == []


def embedded_rap_sheet(path: Path) -> Any:
    """The rap sheet inside OJBC's ch-doc:CriminalHistory, as plain 4.1: ch-ext:RapSheet,
    RapSheetCycle, Sentencing and Sentence are straight replacements of the rap: elements and are
    renamed back; ch-ext:Order (protection orders) and ch-ext:ChargeAlertDescriptionText exist
    only in OJBC's extension and are dropped."""
    root = etree.parse(str(path), parser()).getroot()
    assert root.tag == clark("ch-doc:CriminalHistory")
    (sheet,) = root.findall("ch-ext:RapSheet", NS)
    for local in ("RapSheet", "RapSheetCycle", "Sentencing", "Sentence"):
        for el in [sheet, *sheet.iter(clark(f"ch-ext:{local}"))]:
            if el.tag == clark(f"ch-ext:{local}"):
                el.tag = clark(f"rap:{local}")
    for local in ("Order", "ChargeAlertDescriptionText"):
        for el in list(sheet.iter(clark(f"ch-ext:{local}"))):
            el.getparent().remove(el)
    return etree.ElementTree(sheet)


def test_the_ojbc_wrapper_holds_a_valid_41_rap_sheet() -> None:
    """OJBC's own schema is not available: only the embedded rap sheet is checked."""
    sheet = embedded_rap_sheet(OJBC)
    assert sheet.findall(".//rap:RapSheetCycle", NS) and sheet.findall(".//rap:Sentencing", NS)
    assert errors(schema(), sheet) == []
