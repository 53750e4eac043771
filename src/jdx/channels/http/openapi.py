"""The OpenAPI document as the integrators' contract (issue 18): what FastAPI does not derive
from the routes themselves.

- **Operation ids**: each documented route names its own (``operation_id="submitStop"``);
  :func:`operation_id` gives any other route its function's name in camelCase, never the path
  fragments FastAPI generates (``post_stop_sdcs_v1_stops_post``).
- **Security schemes**: the API key (HTTP Bearer) on every route that documents a 401, and the
  NamUs client certificate (OpenAPI 3.1's ``mutualTLS``) on the case import routes when the
  hub requires one (``namus_require_client_cert``).
- **Answers**: :func:`answer` writes a documented status with its body's schema, an example and
  its headers; the errors are ``common.errors`` (RFC 9457 problem documents).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

from jdx.channels.http.common import document_errors

API_KEY = "apiKey"
CLIENT_CERTIFICATE = "clientCertificate"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    API_KEY: {
        "type": "http",
        "scheme": "bearer",
        "description": "The API key the hub's operator issued to the agency or account "
        "(`jdx key create`), sent as `Authorization: Bearer <key>`. A key of the test realm "
        "reaches the test realm only.",
    },
    CLIENT_CERTIFICATE: {
        "type": "mutualTLS",
        "description": "NamUs case import (seed 000, server-to-server authentication): the "
        "account's client certificate, registered to the account by the operator, presented "
        "in TLS to the hub's proxy (nginx), which verifies it and forwards it to the hub. "
        "Required together with the account's API key.",
    },
}
# Routes whose paths start so take the client certificate as well as the key (when required).
CERTIFICATE_PREFIX = "/namus/v1/"


# A body in a format of its own (XML with an XSD, CSV, XLSX): bytes, as sent, that no JSON
# Schema describes; the description and example say what they are.
OPAQUE: dict[str, Any] = {"type": "string", "format": "binary"}


def _camel(name: str) -> str:
    first, *rest = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    return first.lower() + "".join(w[:1].upper() + w[1:] for w in rest)


def operation_id(route: APIRoute) -> str:
    """A route's own ``operation_id``, else its function's name in camelCase (``get_stop``:
    ``getStop``): readable, stable, with no path fragment. The test of the document checks that
    every id is unique."""
    return route.operation_id or _camel(route.name)


def answer(
    description: str,
    schema: dict[str, Any] | None = None,
    example: Any = None,
    *,
    media: str = "application/json",
    headers: dict[str, dict[str, Any]] | None = None,
    more: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One documented status of a route: its body (``schema`` and ``example`` in ``media``,
    ``more`` other media types) and its headers."""
    content: dict[str, dict[str, Any]] = {}
    if schema is not None:
        content[media] = {"schema": schema}
        if example is not None:
            content[media]["example"] = example
    content.update(more or {})
    shown: dict[str, Any] = {"description": description}
    if content:
        shown["content"] = content
    if headers:
        shown["headers"] = headers
    return shown


def answer_header(description: str, *, required: bool = False, **schema: Any) -> dict[str, Any]:
    """A response header of an :func:`answer`."""
    return {
        "description": description,
        "required": required,
        "schema": schema or {"type": "string"},
    }


LOCATION = answer_header(
    "Where the new resource's state is read.", required=True, format="uri-reference"
)


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSON object's schema: ``required`` properties and ``optional`` ones; others may come."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


def nullable(kind: str, **more: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **more}


# Named schemas the routes share (``components/schemas``), each added by :func:`component`.
_COMPONENTS: dict[str, dict[str, Any]] = {}


def component(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A reference to ``schema``, kept as ``components/schemas/<name>`` of the document."""
    _COMPONENTS[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def finish(document: dict[str, Any], *, client_certificate: bool) -> None:
    """The parts of the contract FastAPI does not write, added to its document in place: the
    problem document of every error (``common.document_errors``) and the security schemes."""
    document_errors(document)
    components = document.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    components.setdefault("schemas", {}).update(_COMPONENTS)
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            if "security" in operation or "401" not in operation.get("responses", {}):
                continue  # public, or said already
            needs: dict[str, list[str]] = {API_KEY: []}
            if client_certificate and path.startswith(CERTIFICATE_PREFIX):
                needs[CLIENT_CERTIFICATE] = []
            operation["security"] = [needs]
