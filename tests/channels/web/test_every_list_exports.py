"""Every list of the portal is exported (issue 19: "exports to CSV and XLSX of every list").

A list page is a template that shows the pager (``_pager.html``'s ``pager``): the lists are
found in the templates, not declared here, so a new list page without its downloads fails (the
state-to-region table, one page without a pager, is named here). Each
must offer the downloads (``downloads``, at the list's own address) and answer ``format=csv``
and ``format=xlsx`` with the file, for a role the authorisation matrix lets see the page.
"""

from __future__ import annotations

import re
from typing import Any

from jdx.channels.web.render import HERE
from jdx.hub import Hub
from tests.channels.web.conftest import login, make_user
from tests.conftest import AgencyFixture
from tests.security.test_authorisation_matrix import PORTAL, PORTAL_ROLES

TEMPLATES = HERE / "templates"
MEDIA = {"csv": "text/csv", "xlsx": "spreadsheetml"}


# Lists short enough for one page (no pager), exported all the same.
UNPAGED = {"/portal/admin/regions": "admin/regions.html"}


def list_pages() -> dict[str, str]:
    """Each list page's address -> the template that pages it (and the unpaged lists)."""
    found = dict(UNPAGED)
    for template in sorted(TEMPLATES.rglob("*.html")):
        for address in re.findall(r'pager\(\w+, "([^"]+)"', template.read_text()):
            found[address] = str(template.relative_to(TEMPLATES))
    return found


def test_the_list_pages_are_found() -> None:
    # the lists the portal had when this test was written: a template the search stops finding
    # (a renamed macro) would otherwise pass the test below with nothing checked
    assert set(list_pages()) >= {
        "/portal/stops",
        "/portal/files",
        "/portal/jobs",
        "/portal/review",
        "/portal/admin/users",
        "/portal/admin/agencies",
        "/portal/admin/accounts",
        "/portal/admin/files",
        "/portal/admin/outbox",
        "/portal/admin/audit",
    }


def test_every_list_page_offers_and_answers_its_exports(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    users = {
        "client A": make_user(hub, "client", agency=agency),
        "rps X": make_user(hub, "rps", regions=("X",)),
        "admin": make_user(hub, "admin"),
    }
    missing, refused = [], []
    by_role: dict[str, list[str]] = {role: [] for role in users}
    for address, template in list_pages().items():
        if f'downloads("{address}"' not in (TEMPLATES / template).read_text():
            missing.append(template)
        allowed = dict(zip(PORTAL_ROLES, PORTAL[("GET", address)], strict=True))
        by_role[next(r for r in users if allowed[r] == 200)].append(address)
    for role, addresses in by_role.items():
        login(portal, users[role])  # once a role: a code is good once
        for address in addresses:
            for fmt, media in MEDIA.items():
                answer = portal.get(address, params={"format": fmt})
                disposition = answer.headers.get("content-disposition", "")
                content_type = answer.headers.get("content-type", "")
                if answer.status_code != 200 or "attachment" not in disposition:
                    refused.append((address, role, fmt, answer.status_code))
                elif media not in content_type or f".{fmt}" not in disposition:
                    refused.append((address, role, fmt, content_type))
    assert missing == [], "list pages without their downloads"
    assert refused == [], "list pages that do not answer their export"
