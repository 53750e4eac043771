"""The served ICDs in Debian's Chromium (issue 18): a browser opening ``/sdcs/v1/icd`` gets the
index page, follows it to the transport chapter, and every page renders with its style and
without a Content-Security-Policy violation, every host but the hub blocked.

The index's screenshot is the one in the README (docs/img/icd-index.png): the test writes it
there when JDX_WRITE_SCREENSHOTS is set (``JDX_WRITE_SCREENSHOTS=1 pytest THIS_FILE``), else to
its temporary folder, so a test run leaves the clone as it was."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.channels.http.test_docs_browser import _offline_page, base  # noqa: F401 (fixture)
from tests.channels.web.test_browser import chromium  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.server]

SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "img" / "icd-index.png"


@pytest.mark.parametrize("prefix", ["/sdcs/v1/icd", "/namus/v1/icd", "/chri/v1/icd"])
def test_a_browser_reads_the_served_icd_from_its_index_to_the_error_catalogue(
    chromium: Any,  # noqa: F811
    base: str,  # noqa: F811
    prefix: str,
    tmp_path: Path,
) -> None:
    page, blocked, errors = _offline_page(chromium, base)
    page.set_viewport_size({"width": 1100, "height": 760})
    page.goto(f"{base}{prefix}")
    assert "Interface Control Document" in page.locator("h1").inner_text()
    # the page's own style block applies (the policy allows it by its hash)
    font = page.evaluate("getComputedStyle(document.body).maxWidth")
    assert font == "1200px", font
    if prefix == "/sdcs/v1/icd":
        out = SCREENSHOT if os.environ.get("JDX_WRITE_SCREENSHOTS") else tmp_path / SCREENSHOT.name
        page.screenshot(path=str(out))
        assert out.stat().st_size > 10_000
    page.get_by_role("link", name="transport.html").click()
    page.wait_for_url(f"{base}{prefix}/transport.html")
    page.get_by_role("link", name="Error catalogue").click()
    assert page.locator("#errors").is_visible()
    th = page.locator("th").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert th == "rgb(243, 243, 243)"
    assert blocked == []
    assert errors == []
    page.close()


def test_the_readme_shows_the_screenshot_of_the_served_icd() -> None:
    readme = (SCREENSHOT.parents[2] / "README.md").read_text()
    assert "docs/img/icd-index.png" in readme and SCREENSHOT.is_file()
