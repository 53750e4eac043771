"""The ICD as integration guide (issue 18): each ICD's transport chapter names every route of
its API, every error code its exchange and dictionaries define, and the limits in force; the
index links every document; the hub serves all of it as HTML under each ICD's prefix."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import jdx
from jdx.channels.http.icd_transport import CHAPTERS, transport_html
from jdx.settings import Settings

SRC = Path(jdx.__file__).parent
# Where each chapter's codes are defined: the exchange's modules and its dictionaries.
CODE_SOURCES = {
    "stops": [*SRC.glob("exchanges/stops/*.py"), *SRC.glob("dictionary/data/stop-*.yaml")],
    "cases": [*SRC.glob("exchanges/cases/*.py"), *SRC.glob("dictionary/data/case-*.yaml")],
}
CODE = re.compile(r"\b(?:[A-Z]{2}\d{3}|SYSERR)\b")


def code_text(path: Path) -> str:
    """The text of ``path`` where a code is defined: a YAML file without its comments (which
    name ranges of codes and codes the dictionary does not use)."""
    text = path.read_text()
    return re.sub(r"(?m)^\s*#.*$", "", text) if path.suffix == ".yaml" else text


class Links(HTMLParser):
    """Every href of a page, and the text of its table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)
        if tag == "td":
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.cells[-1] += data


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def chapter_of(client: Any, kind: str) -> str:
    response = client.get(f"{CHAPTERS[kind].icd}/transport.html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return str(response.text)


def schema_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route of the app's table that is part of the API (the stop web
    service's catch-all of invalid verbs is not: it answers WS002, in the catalogue)."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router: its own routes
            inner = route.original_router.routes
            yield from schema_routes(inner, prefix + route.include_context.prefix)
        elif getattr(route, "include_in_schema", False):
            for method in set(getattr(route, "methods", None) or ()) - {"HEAD"}:
                yield method, prefix + route.path


@pytest.mark.parametrize("kind", list(CHAPTERS))
def test_every_route_of_the_api_is_an_endpoint_of_its_transport_chapter(
    client: Any, app: Any, kind: str
) -> None:
    cells = parse(chapter_of(client, kind)).cells
    listed = set(itertools.pairwise(cells))  # (method, path) of the endpoint rows
    prefixes = CHAPTERS[kind].prefixes
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(prefixes)
        for method in operations
    }
    in_table = {(m, p) for m, p in schema_routes(app.routes) if p.startswith(prefixes)}
    assert len(in_table) >= 3
    assert documented | in_table <= listed, (documented | in_table) - listed


@pytest.mark.parametrize("kind", ["stops", "cases"])
def test_every_error_code_the_exchange_defines_is_in_the_catalogue(client: Any, kind: str) -> None:
    defined = {code for path in CODE_SOURCES[kind] for code in CODE.findall(code_text(path))}
    cells = set(parse(chapter_of(client, kind)).cells)
    assert len(defined) > 20
    assert defined - cells == set()


def test_every_refusal_reason_of_the_rap_sheets_is_in_the_catalogue(client: Any) -> None:
    sources = [*SRC.glob("exchanges/rapsheets/*.py"), SRC / "channels/http/chri.py"]
    pattern = re.compile(r"""reason(?:=|"\s*:\s*)"([a-z-]+)\"""")
    reasons = {r for path in sources for r in pattern.findall(path.read_text())}
    cells = set(parse(chapter_of(client, "rapsheets")).cells)
    assert len(reasons) >= 5
    assert reasons - cells == set()


def test_the_stop_catalogue_gives_the_status_each_fatal_code_answers_with(client: Any) -> None:
    cells = parse(chapter_of(client, "stops")).cells
    rows = {cells[i]: cells[i + 4] for i, c in enumerate(cells) if c in ("DV236", "WS003")}
    assert rows == {"DV236": "409", "WS003": "401"}


@pytest.mark.parametrize("kind", list(CHAPTERS))
def test_the_limits_are_the_settings_in_force(app: Any, kind: str) -> None:
    settings = Settings(
        data_dir=Path("/nonexistent"),
        max_body_bytes=123_457,
        namus_max_cases_per_job=77,
        namus_max_jobs_per_day=31,
        max_file_bytes=9_876_543,
        rap_timeout_seconds=321,
        sftp_port=2299,
    )
    cells = parse(transport_html(kind, app.openapi(), settings, [])).cells
    assert "123,457 bytes" in cells
    expected = {
        "stops": ["9,876,543 bytes"],
        "cases": ["77", "31 (then 429)"],
        "rapsheets": ["321 s"],
    }[kind]
    assert set(expected) <= set(cells), expected


def test_the_sftp_section_names_both_layouts_and_the_naming_rule(client: Any) -> None:
    page = chapter_of(client, "stops")
    cells = parse(page).cells
    for folder in ("/<REALM>/INPUT", "/<REALM>/OUTPUT", "/<REALM>/incoming_to_DOJ/<KIND>",
                   "/<REALM>/responses_from_DOJ"):  # fmt: skip
        assert folder in cells
    assert "YYYYMMDDHHMMSS_&lt;ORI&gt;_&lt;LEABatchID&gt;" in page
    # the examples are what the writers write: the report's titles, a 145-byte log record
    assert "Record Level Fatal Errors:" in page and "DV236::" in page
    log = re.search(r"<pre>(CA0349999[^<]*)</pre>", page)
    assert log is not None and len(log.group(1)) == 145


@pytest.mark.parametrize("kind", list(CHAPTERS))
def test_the_served_index_is_html_for_a_browser_and_every_link_resolves(
    client: Any, kind: str
) -> None:
    prefix = CHAPTERS[kind].icd
    page = client.get(prefix, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src" not in policy and "'unsafe-inline'" not in policy
    assert "default-src 'none'" in policy and "style-src 'sha256-" in policy
    hrefs = parse(page.text).hrefs
    assert f"{prefix}/transport.html" in hrefs
    for href in hrefs:
        assert client.get(href).status_code == 200, href
    chapter = client.get(f"{prefix}/transport.html")
    for href in parse(chapter.text).hrefs:
        if not href.startswith("#"):
            assert client.get(f"{prefix}/{href}").status_code == 200, href
    assert client.get(prefix).headers["content-type"] == "application/json"  # the listing stays


def test_the_namus_icd_is_served_with_its_json_listing(client: Any) -> None:
    listing = client.get("/namus/v1/icd").json()
    assert "case-missing.html" in listing and "case-job-template.xlsx" in listing
    for name, entry in listing.items():
        response = client.get(entry["href"])
        assert response.status_code == 200, name
    assert client.get("/namus/v1/icd/nothing.html").status_code == 404


# Headers of HTTP itself and of the hub's every page, not of an exchange's interface.
GENERIC = {"content-type", "content-length", "date", "server", "connection"}
HEADER_READ = re.compile(r"headers\.get\(\s*(?:\"([^\"]+)\"|([A-Z_]+)\b)")
READERS = {"stops": ("sdcs", "files", "common"), "cases": ("namus", "common"),
           "rapsheets": ("chri", "common")}  # fmt: skip


def header_table(page: str) -> set[str]:
    """The names of the chapter's headers section, lower case."""
    section = page[page.index("id='headers'") : page.index("id='error-bodies'")]
    cells = parse(section).cells
    return {c.lower() for c in cells[::2]}


@pytest.mark.parametrize("kind", list(CHAPTERS))
def test_every_request_header_a_door_reads_is_in_its_chapter(client: Any, kind: str) -> None:
    import importlib

    read: set[str] = set()
    for name in READERS[kind]:
        module = importlib.import_module(f"jdx.channels.http.{name}")
        for literal, constant in HEADER_READ.findall(Path(module.__file__ or "").read_text()):
            read.add((literal or str(getattr(module, constant))).lower())
    if kind == "stops":  # the Table 5 headers, read in a loop over their names
        from jdx.channels.http.sdcs import HEADER_FIELDS

        read |= {h.lower() for h in HEADER_FIELDS}
    assert {"authorization", "content-length"} <= read
    assert read - header_table(chapter_of(client, kind)) == set()


def test_every_header_the_stop_web_service_answers_with_is_in_its_chapter(
    client: Any, agency: Any
) -> None:
    import orjson

    from tests.conftest import stop_record

    record = stop_record(agency)
    answered = client.post(
        "/sdcs/v1/stops/validate",
        content=orjson.dumps(record),
        headers={**agency.auth(), "Content-Type": "application/json", "BrowserType": "test",
                 "X-Request-ID": "icd-check-1"},
    )  # fmt: skip
    refused = client.post("/sdcs/v1/stops", content=b"{}", headers={"BrowserType": "x"})
    assert answered.status_code in (200, 202) and refused.status_code == 401
    names = {n.lower() for r in (answered, refused) for n in r.headers} - GENERIC
    assert {"sdcs-would-be-status", "www-authenticate", "x-request-id"} <= names
    page = chapter_of(client, "stops")
    assert names - header_table(page) == set()
    # the answer's body, as the chapter describes it: every key of the answer and of a message
    bodies = [answered.json(), refused.json()]
    messages = [m for b in bodies for m in b["Messages"]]
    keys = {k for b in bodies for k in b} | {k for m in messages for k in m}
    assert messages and {k for k in keys if f"<code>{k}</code>" not in page} == set()
