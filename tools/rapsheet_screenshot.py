"""Write docs/img/rapsheet-html.png (and, with --pdf, the print rendering) of full_sheet().

Usage: .venv/bin/python tools/rapsheet_screenshot.py [--out docs/img/rapsheet-html.png] [--pdf FILE]
Renders tests/exchanges/rapsheets/full_sheet.py through the HTML style sheet and photographs it
in Debian's Chromium (/usr/bin/chromium) with Playwright; the browser ends with the script.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "rapsheet-html.png")
    parser.add_argument("--pdf", type=Path, help="also print the page (A4) to this PDF")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import FloatRect, sync_playwright
    from tests.exchanges.rapsheets.full_sheet import AS_OF, full_sheet

    from jdx.exchanges.rapsheets.present import render

    html = render(full_sheet(), "html", as_of=AS_OF)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_file = Path(tmp) / "rapsheet.html"
        page_file.write_text(html, encoding="utf-8")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.goto(page_file.as_uri())
            args.out.parent.mkdir(parents=True, exist_ok=True)
            # The top of the page (caveats, identification, the first cycles) keeps the PNG small.
            top: FloatRect = {"x": 0, "y": 0, "width": 1000, "height": 2400}
            page.screenshot(path=str(args.out), full_page=True, clip=top)
            if args.pdf:
                page.emulate_media(media="print")
                page.pdf(path=str(args.pdf), format="A4")
        finally:
            browser.close()
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
