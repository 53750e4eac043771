"""A user's own account (any role): a new authenticator, shown as a QR code, with one-time
recovery codes (issue 19).

Setting up a new authenticator asks for a code of the current one (or a recovery code), so a
session left open elsewhere cannot take the account over. The new secret is shown once, as a
QR code of its ``otpauth://`` URI (segno, inline SVG: the Content Security Policy allows no
``data:`` images to be needed, nor any script) and as text; with it ten new recovery codes,
also shown once. The user's other sessions end; this one goes on.
"""

from __future__ import annotations

from collections.abc import Callable

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from jdx.channels.web.auth import Dependency, Viewer
from jdx.channels.web.render import page
from jdx.hub import Hub
from jdx.security import credentials, recovery, totp
from jdx.store.engine import read_only, write_transaction
from jdx.store.queries import audit


def qr_svg(uri: str) -> Markup:
    """The QR code of ``uri`` as inline SVG (presentation attributes only, no style)."""
    code = segno.make(uri, error="m")
    # segno writes the modules as path data and our own title: no text of the URI is markup
    svg = code.svg_inline(scale=5, title="QR code of your new authenticator")
    return Markup(svg)  # noqa: S704


def router(hub: Hub, role: Callable[..., Dependency]) -> APIRouter:
    api = APIRouter(prefix="/portal/account")
    anyone = role("client", "rps", "admin")

    def account_page(request: Request, who: Viewer, error: str = "", status: int = 200) -> Response:
        with hub.engine.connect() as conn:
            left = recovery.remaining(read_only(conn), who.user.id)
        return page(request, "account/account.html", status, remaining=left, error=error)

    @api.get("")
    def account(request: Request, who: Viewer = Depends(anyone)) -> Response:
        return account_page(request, who)

    @api.post("/authenticator")
    def new_authenticator(
        request: Request, code: str = Form(""), who: Viewer = Depends(anyone)
    ) -> Response:
        if not code.strip():
            error = "code: give a code of your current authenticator, or a recovery code"
            return account_page(request, who, error, 400)
        with write_transaction(hub.engine) as conn:
            accepted = credentials.check_code(conn, who.user.id, code[:40]).user_id is not None
            enrolment = credentials.enrol(conn, who.user.id, but=who.token) if accepted else None
            audit(
                conn,
                exchange="portal",
                actor=who.user.username,
                channel="portal",
                action="totp-enrol",
                outcome="accepted" if accepted else "refused",
            )
        if enrolment is None:
            return account_page(request, who, "The code was not accepted.", 400)
        uri = totp.provisioning_uri(enrolment.secret, who.user.username)
        return page(
            request,
            "account/enrolled.html",
            qr=qr_svg(uri),
            secret=" ".join(
                enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4)
            ),
            codes=enrolment.recovery_codes,
        )

    return api
