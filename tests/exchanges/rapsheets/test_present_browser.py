"""The full_sheet() HTML in Debian's Chromium (Playwright): what a reader sees on screen and
on paper (print media), and that printing gives more than one page with the running header."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jdx.exchanges.rapsheets.present import render
from tests.exchanges.rapsheets.full_sheet import AS_OF, full_sheet

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SEEN = [
    "Caveat (TX): FOR CRIMINAL JUSTICE USE ONLY",
    "220-56-5860",
    "6'01\"",
    "Convicted",
    "minimum 2 years 6 months",
    "Felony (class FA: ARREST SEVERITY IN THE STATE'S WORDS)",
    "counted as Unknown: ZZ",
]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    html = tmp_path_factory.mktemp("rapsheet") / "rapsheet.html"
    html.write_text(render(full_sheet(), "html", as_of=AS_OF), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1000, "height": 900})
            # No request may leave the page: it is self-contained.
            requests: list[str] = []
            tab.on("request", lambda r: requests.append(r.url))
            tab.goto(html.as_uri())
            assert requests == [html.as_uri()]
            yield tab
        finally:
            browser.close()


def test_screen_shows_the_record_without_the_running_header(page: Any) -> None:
    page.emulate_media(media="screen")
    shown = page.inner_text("body")
    for text in SEEN:
        assert text in shown
    assert not page.locator("table.layout > thead").is_visible()
    assert shown.index("Caveat (TX)") < shown.index("IDENTIFICATION") < shown.index("SUMMARY")


def test_print_shows_the_same_and_the_running_header(page: Any, tmp_path: Path) -> None:
    page.emulate_media(media="print")
    try:
        shown = page.inner_text("body")
        for text in SEEN:
            assert text in shown
        assert page.locator("table.layout > thead").is_visible()
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background in ("rgba(0, 0, 0, 0)", "transparent")
        pdf = page.pdf(format="A4")
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert pdf.startswith(b"%PDF") and pages >= 2
    finally:
        page.emulate_media(media="screen")
