"""The ICD's transport chapter and index (issue 18): how to reach the hub, not only what to send.

``transport_html(kind, openapi, settings, dictionaries)`` is one self-contained HTML page in the
style of the record ICD (``dictionary/icd/html.py``), generated from what the hub runs:

- the endpoints, their statuses and error bodies: from the app's OpenAPI document (so a route,
  a status or a schema another change adds is in the chapter without a word here);
- the headers: those the OpenAPI document declares, and the ones the channel modules read and
  write, named by their constants;
- the error catalogue: ``icd_errors`` (every code of the exchange and of its dictionaries);
- SFTP folders and file naming in both layouts, the response report and processor log with
  examples made by the functions that write them (``exchanges/stops``);
- the limits and the realms: from the settings in force.

``index_html`` lists the documents of one ICD. ``jdx icd KIND --out DIR`` writes both beside the
record documents; ``/sdcs/v1/icd``, ``/namus/v1/icd`` and ``/chri/v1/icd`` serve them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from jdx.channels.http import icd_errors, sdcs
from jdx.channels.http.common import MAX_LIMIT
from jdx.channels.http.namus import CERT_HEADER, VERIFY_HEADER
from jdx.dictionary.icd._common import walk_paths
from jdx.dictionary.icd.html import STYLE
from jdx.dictionary.model import Dictionary
from jdx.exchanges.stops import batch_files, file_folders, outputs
from jdx.exchanges.stops.batch_file_rows import Counts, FileRow
from jdx.exchanges.stops.errors import DUPLICATE_RECORD_ID
from jdx.settings import Settings

TRANSPORT = "transport.html"
INDEX = "index.html"
HTML_MEDIA = "text/html; charset=utf-8"
TRANSPORT_LABEL = "Endpoints, headers, status codes, error bodies, error catalogue, limits, realms"
# ... and, for the stop data, the batch channel
STOPS_TRANSPORT_LABEL = TRANSPORT_LABEL + "; SFTP folders, file naming, response report, log"
INDEX_LABEL = "Index of the documents"
METHODS = ("get", "post", "put", "patch", "delete")
# The record ICD's style, and long paths and codes wrapped in a cell rather than widening it.
CHAPTER_STYLE = STYLE + "td code,td{overflow-wrap:anywhere}pre{overflow-x:auto}\n"


@dataclass(frozen=True)
class Chapter:
    title: str
    prefixes: tuple[str, ...]  # the paths of the routes this ICD covers
    icd: str  # where the hub serves it


CHAPTERS = {
    "stops": Chapter("Stop data (AB 953 SDCS)", ("/sdcs/",), "/sdcs/v1/icd"),
    "cases": Chapter("NamUs case import", ("/namus/",), "/namus/v1/icd"),
    "rapsheets": Chapter("Interstate criminal history (rap sheets)", ("/chri/",), "/chri/v1/icd"),
}

# The rap sheet exchange's refusals: the ``reason`` of a refusal body, and what it means
# (``exchanges/rapsheets/service.py`` raises them; ``channels/http/chri.py`` answers them).
RAPSHEET_REASONS = {
    "not-a-responder": "The sender is not a registered responder (jdx rapsheet responders).",
    "another-state": "The sheet is the record of another state than the one its sender "
    "answers for.",
    "unknown-receiver": "No agency has the destination ORI.",
    "not-awaiting": "Plain text sent to an agency that awaits no rap sheet (no active request, "
    "no format preference).",
    "different-subject": "An active merge refused the portion: it is not the record of the "
    "subject the notification named.",
}


# request_ids.HEADER as clients write it (the tests check the chapter names what the hub sends)
REQUEST_ID = "X-Request-ID"


@dataclass(frozen=True)
class Header:
    name: str
    meaning: str
    chapters: tuple[str, ...] = ("stops", "cases", "rapsheets")


def request_headers() -> list[Header]:
    """The request headers the channel modules read, by their constants where they have one."""
    table5 = ", ".join(sdcs.HEADER_FIELDS)
    return [
        Header("Authorization", "Bearer <key>: the agency's API key (its realm is the key's)."),
        Header(
            REQUEST_ID,
            "Optional: 1 to 128 of letters, digits and ._:/+=-; echoed, and in the hub's logs.",
        ),
        Header("Content-Type", "The body's format: a media type its route takes (below)."),
        Header("Content-Length", "The body's size: over the limit, refused (413) unread."),
        Header("Accept", "GET of a record: application/xml for XML, else JSON.", ("stops",)),
        *(
            Header(name, f"Table 5: must agree with the record ({table5}).", ("stops",))
            for name in sdcs.HEADER_FIELDS
        ),
        Header(
            "CallingApplication",
            f"Table 5: one of {', '.join(sdcs.CALLING_APPLICATIONS)}.",
            ("stops",),
        ),
        Header("BrowserType", "Table 5: echoed in the answer.", ("stops",)),
        Header("ResourceType", "Table 5: JSON or XML, when Content-Type does not say.", ("stops",)),
        Header(
            "Idempotency-Key",
            "Optional, up to 200 characters: a retried job with the same key and body is the "
            "same job; another body with the same key is refused.",
            ("cases",),
        ),
        Header(
            CERT_HEADER,
            "Set by the TLS proxy, never by the client: the client certificate, which must be "
            "registered to the key's account.",
            ("cases",),
        ),
        Header(VERIFY_HEADER, "Set by the TLS proxy: its verdict on the certificate.", ("cases",)),
    ]


def response_headers() -> list[Header]:
    return [
        Header(REQUEST_ID, "The request's id (the one sent, or a new one)."),
        *(
            Header(name, "Table 6: the record's value, as stored or as sent.", ("stops",))
            for name in (*sdcs.HEADER_FIELDS, "DOJRecordID")
        ),
        Header("ResourceType", "Table 6: the answer's format, JSON or XML.", ("stops",)),
        Header("BrowserType", "Table 6: as sent.", ("stops",)),
        Header("SDCS-Status", "The body's Status.", ("stops",)),
        Header("SDCS-Would-Be-Status", "Validation only: the status a POST would get.", ("stops",)),
        Header(
            sdcs.SKIPPED_HEADER,
            "The empty domain tables whose checks the answer skipped.",
            ("stops",),
        ),
        Header("Allow", "405: the verbs the record still takes.", ("stops",)),
        Header("WWW-Authenticate", "401: how to authenticate (Bearer)."),
        Header("Location", "201/202: the new job, request or file.", ("stops", "cases")),
        Header(
            "Idempotent-Replayed", "true: the job is the earlier one of the same key.", ("cases",)
        ),
        Header("Retry-After", "429: seconds until the daily job limit has room.", ("cases",)),
        Header("Content-Disposition", "A downloaded file's name.", ("stops",)),
        Header("X-Message-Id", "A delivery's message id.", ("rapsheets",)),
        Header("X-Sender-Ori", "A delivery's sender.", ("rapsheets",)),
    ]


# --- the page ---------------------------------------------------------------------------------


def operations(openapi: dict[str, Any], chapter: Chapter) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) of every documented route of the chapter, in document order."""
    return [
        (method.upper(), path, op)
        for path, ops in openapi.get("paths", {}).items()
        if path.startswith(chapter.prefixes)
        for method, op in ops.items()
        if method in METHODS
    ]


def _auth(op: dict[str, Any], path: str, openapi: dict[str, Any], settings: Settings) -> str:
    schemes = openapi.get("components", {}).get("securitySchemes", {})
    named = [name for req in op.get("security", []) for name in req]
    if named:
        text = ", ".join(
            f"{n} ({schemes.get(n, {}).get('scheme') or schemes.get(n, {}).get('type', '')})"
            for n in named
        )
    elif "401" in op.get("responses", {}):
        text = "API key: Authorization: Bearer <key>"
    else:
        return "none (public)"
    if path.startswith("/namus/") and settings.namus_require_client_cert:
        text += "; and a client certificate registered to the account"
    if path.startswith("/chri/"):
        text += "; production keys only"
    return text


def _schema_name(content: dict[str, Any]) -> str:
    names = []
    for media, body in content.items():
        ref = str(body.get("schema", {}).get("$ref", ""))
        names.append(f"{media}{' ' + ref.rsplit('/', 1)[-1] if ref else ''}")
    return "; ".join(names)


def _table(head: Iterable[str], rows: Iterable[Iterable[str]], raw: bool = False) -> str:
    """A table of escaped cells (``raw``: cells are markup already)."""
    cell = (lambda v: v) if raw else escape
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out += ["<tr>", *(f"<td>{cell(v)}</td>" for v in row), "</tr>"]
    out.append("</table>")
    return "".join(out)


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def transport_html(
    kind: str, openapi: dict[str, Any], settings: Settings, dictionaries: list[Dictionary]
) -> str:
    chapter = CHAPTERS[kind]
    ops = operations(openapi, chapter)
    sections: list[tuple[str, str, str]] = [
        ("endpoints", "Endpoints", _endpoints(ops, openapi, settings)),
        ("statuses", "Status codes", _statuses(ops)),
        ("headers", "Headers", _headers(kind, ops, openapi)),
        ("error-bodies", "Error bodies", _error_bodies(ops, openapi)),
        ("errors", "Error catalogue", _errors(kind, dictionaries)),
    ]
    if kind == "stops":
        sections += [
            ("sftp", "SFTP folders and file naming", _sftp(settings)),
            ("reports", "Response report and processor log", _reports(dictionaries)),
        ]
    sections += [
        ("limits", "Limits", _limits(kind, settings)),
        ("realms", "Test realm", _realms(kind)),
    ]
    e = escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(chapter.title)}: transport</title><style>{CHAPTER_STYLE}</style></head><body>",
        f"<h1>{e(chapter.title)}: transport</h1>",
        f"<p>How to reach the hub: generated from its routes and settings. "
        f"<a href='{INDEX}'>All documents of this ICD</a>; served at {_code(chapter.icd)}.</p>",
        "<nav aria-label='Contents'><ul>",
        *(f"<li><a href='#{anchor}'>{e(title)}</a></li>" for anchor, title, _ in sections),
        "</ul></nav>",
    ]
    for anchor, title, body in sections:
        out.append(f"<h2 id='{anchor}'>{e(title)}</h2>{body}")
    out.append("</body></html>")
    return "\n".join(out)


def _endpoints(
    ops: list[tuple[str, str, dict[str, Any]]], openapi: dict[str, Any], settings: Settings
) -> str:
    rows = []
    for method, path, op in ops:
        purpose = escape(op.get("summary", ""))
        if op.get("description"):
            purpose += f"<br><small>{escape(op['description'])}</small>"
        statuses = ", ".join(sorted(op.get("responses", {})))
        rows.append(
            (
                _code(method),
                _code(path),
                purpose,
                escape(_auth(op, path, openapi, settings)),
                escape(statuses),
            )
        )
    return _table(("Method", "Path", "Purpose", "Authentication", "Statuses"), rows, raw=True)


def _statuses(ops: list[tuple[str, str, dict[str, Any]]]) -> str:
    out = []
    for method, path, op in ops:
        rows = [
            (status, answer.get("description", ""), _schema_name(answer.get("content", {})))
            for status, answer in sorted(op.get("responses", {}).items())
        ]
        out.append(f"<h3>{_code(method)} {_code(path)}</h3>")
        body = op.get("requestBody", {}).get("content", {})
        if body:
            out.append(f"<p>Request body: {escape(_schema_name(body))}.</p>")
        out.append(_table(("Status", "Meaning", "Body"), rows))
    return "".join(out)


def _headers(kind: str, ops: list[tuple[str, str, dict[str, Any]]], openapi: dict[str, Any]) -> str:
    sent = {h.name.lower(): h for h in request_headers() if kind in h.chapters}
    answered = {h.name.lower(): h for h in response_headers() if kind in h.chapters}
    for _method, _path, op in ops:  # what the OpenAPI document declares, besides
        for p in op.get("parameters", []):
            if p.get("in") == "header" and p["name"].lower() not in sent:
                sent[p["name"].lower()] = Header(p["name"], p.get("description", ""))
        for answer in op.get("responses", {}).values():
            for name, h in answer.get("headers", {}).items():
                if name.lower() not in answered:
                    answered[name.lower()] = Header(name, h.get("description", ""))
    return (
        "<h3>Request headers</h3>"
        + _table(("Header", "Meaning"), ((h.name, h.meaning) for h in sent.values()))
        + "<h3>Response headers</h3>"
        + _table(("Header", "Meaning"), ((h.name, h.meaning) for h in answered.values()))
    )


def _error_bodies(ops: list[tuple[str, str, dict[str, Any]]], openapi: dict[str, Any]) -> str:
    """The schemas of the error answers (status 400 and above) the chapter's routes document."""
    schemas = openapi.get("components", {}).get("schemas", {})
    used: dict[str, set[str]] = {}
    for _method, _path, op in ops:
        for status, answer in op.get("responses", {}).items():
            if not status.isdigit() or int(status) < 400:
                continue
            for media, body in answer.get("content", {}).items():
                ref = str(body.get("schema", {}).get("$ref", ""))
                if ref:
                    used.setdefault(ref.rsplit("/", 1)[-1], set()).add(media)
    out = []
    if any(path.startswith("/sdcs/v1/stops") for _m, path, _o in ops):
        core = ", ".join(_code(h) for h in (*sdcs.HEADER_FIELDS, "DOJRecordID"))
        out.append(
            "<p>The stop web service answers every request, errors included, with the seed's "
            "Table 6 body in the request's format (JSON, or XML with the root "
            "<code>StopResponse</code>): <code>Status</code>, the core attributes "
            f"({core}) and <code>Messages</code>, each with <code>Code</code>, "
            "<code>Severity</code>, <code>Field</code>, <code>PersonNumber</code> and "
            "<code>Message</code> (codes in the catalogue below); a validation adds "
            "<code>WouldBeStatus</code>, a read the stored <code>Record</code>.</p>"
        )
    for name in sorted(used):
        schema = schemas.get(name, {})
        rows = [
            (prop, _type_text(spec), spec.get("description", ""))
            for prop, spec in schema.get("properties", {}).items()
        ]
        out.append(
            f"<h3>{escape(name)}</h3><p>{escape(', '.join(sorted(used[name])))}. "
            f"{escape(schema.get('description', ''))}</p>"
        )
        out.append(_table(("Property", "Type", "Meaning"), rows))
    return "".join(out)


def _type_text(spec: dict[str, Any]) -> str:
    """A JSON Schema's type in words: ``string``, ``array of Problem``, ``string or null``."""
    if "$ref" in spec:
        return str(spec["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in spec or "oneOf" in spec:
        return " or ".join(_type_text(s) for s in spec.get("anyOf", spec.get("oneOf", [])))
    if spec.get("type") == "array":
        return f"array of {_type_text(spec.get('items', {}))}"
    return str(spec.get("type", "any"))


def _errors(kind: str, dictionaries: list[Dictionary]) -> str:
    if kind == "rapsheets":
        return (
            "<p>Refusals of a rap sheet name their <code>reason</code>; any other error is "
            "described in its body's text.</p>"
            + _table(("Reason", "Meaning"), RAPSHEET_REASONS.items())
        )
    exchange = icd_errors.stop_codes() if kind == "stops" else icd_errors.case_exchange_codes()
    entries = icd_errors.catalogue(exchange, dictionaries)
    rows = [
        (_code(x.code), escape(x.severity), _code(x.field), escape(x.message), x.status, x.source)
        for x in entries
    ]
    if kind == "stops":
        note = (
            "<p>Every code the hub answers with: a <b>fatal</b> error refuses the record (the "
            "HTTP status shown is the answer's); an <b>error</b> stores it “Submitted with "
            "Errors”, to be corrected with a PUT; a <b>warning</b> only informs.</p>"
        )
    else:
        note = (
            "<p>Every code the hub answers with, in a job's outcome per case: a case with an "
            "<b>error</b> is not imported (the job's other cases are); a <b>warning</b> only "
            "informs.</p>"
        )
    head = ("Code", "Severity", "Field", "Message", "HTTP status", "Defined by")
    return note + _table(head, rows, raw=True)


def _sftp(settings: Settings) -> str:
    realms = "/".join(file_folders.REALM_FOLDERS.values())
    kinds = ", ".join(file_folders.UPLOAD_KINDS)
    incoming, responses = file_folders.INCOMING, file_folders.RESPONSES
    suffix = file_folders.REPORT_SUFFIX
    folders = [
        ("/", "Your home: read only.", "both"),
        (f"/{realms}", "One folder per realm: read only.", "both"),
        ("/<REALM>/INPUT", "Uploads: write, rename, delete.", "the seed's"),
        ("/<REALM>/OUTPUT", "Everything the hub answers: read, delete.", "the seed's"),
        (
            f"/<REALM>/{incoming}/<KIND>",
            f"Uploads (KIND: {kinds}); the content says what a file holds, not the folder.",
            "DOJ's live",
        ),
        (f"/<REALM>/{responses}", f"The response reports (*{suffix}) alone.", "DOJ's live"),
        (
            f"/{incoming}/<KIND>, /{responses}",
            "The same folders of your account's realm (default "
            f"{file_folders.DEFAULT_ROOT_REALM}; the operator sets it).",
            "DOJ's live",
        ),
    ]
    pattern = batch_files.NAME.pattern
    example_flat = "20261207093000_CA0349999_BATCH0001.xlsx"
    example_record = "20261207093000_CA0349999_R000000001.json"
    outputs_rows = [
        (f"<name>{suffix}", "The response report (below): in OUTPUT and in " + responses),
        ("<name>_log.txt", f"The processor log record (Table 10), {outputs.LOG_LENGTH} bytes."),
        (
            "<name>_errors.<ext>",
            "The records with errors, in the form sent (csv, xlsx, xml, json).",
        ),
        ("<file>.refused.txt", "Why an upload was not processed (its name, a repeat)."),
    ]
    return (
        f"<p>The embedded SFTP server listens on port {settings.sftp_port} (setting "
        "<code>sftp_port</code>); log in with the SFTP account the operator gives you "
        "(<code>jdx sftp</code>). Two layouts are views of the same files: the seed's "
        f"(<code>INPUT</code>/<code>OUTPUT</code>) and DOJ's live one (<code>{incoming}</code>/"
        f"<code>{responses}</code>). A response report is one file with two names: delete it "
        "through either and it is gone from both. Files can also be uploaded over HTTP: "
        "<code>PUT /sdcs/v1/files/{file}</code> (the file's name).</p>"
        + _table(("Folder", "What", "Layout"), folders)
        + "<h3>File names</h3><p>A file is processed only when its name is "
        "<code>YYYYMMDDHHMMSS_&lt;ORI&gt;_&lt;LEABatchID&gt;.xlsx|.xls|.csv|.txt</code> "
        "(batch files) or <code>YYYYMMDDHHMMSS_&lt;ORI&gt;_&lt;LEARecordID&gt;.xml|.json</code> "
        f"(one record), e.g. <code>{example_flat}</code>, <code>{example_record}</code>; the "
        f"ORI is the uploader's. The hub's rule: <code>{escape(pattern)}</code> (case "
        "insensitive). Another name is not processed: a note says why.</p>"
        + "<h3>What the hub writes to OUTPUT</h3>"
        + _table(("File", "What"), outputs_rows)
        + f"<p>Answers stay {settings.output_retention_days} days unless deleted first "
        "(setting <code>output_retention_days</code>; 0 keeps them).</p>"
    )


def _sample_errors(d: Dictionary | None) -> Callable[..., Iterable[Any]]:
    """The error rows of an example file: one record refused as a duplicate, one stored with
    an error of a field of ``d`` (the newest stop dictionary)."""

    @dataclass
    class Row:
        lea_record_id: str
        fatal: bool
        issues: list[dict[str, Any]]
        nfia: bool = False

    dup = DUPLICATE_RECORD_ID
    rows = [Row("R000000001", True, [{"code": dup.code, "message": dup.message.format(doj_id=41)}])]
    persons = walk_paths(d) if d is not None else iter(())
    field = next((f for _, f, in_list in persons if in_list and f.table and not f.core), None)
    if field is not None:
        issue = {"code": field.code, "person": 2, "message": f"{field.label} is not valid."}
        rows.append(Row("R000000002", False, [issue]))

    def errors(*, fatal: bool | None = None, source: bool = True) -> Iterable[Any]:
        return [r for r in rows if fatal is None or r.fatal == fatal]

    return errors


def _reports(dictionaries: list[Dictionary]) -> str:
    stamp = dt.datetime(2026, 12, 7, 9, 31, 5, tzinfo=dt.UTC)
    f = FileRow(
        1, "prod", 1, "CA0349999", "20261207093000_CA0349999_BATCH0001.csv", "sftp", "done",
        "delimited", None,
    )  # fmt: skip
    newest = dictionaries[-1] if dictionaries else None
    report = "\r\n".join(outputs.response_report(f, _sample_errors(newest), stamp))
    log = outputs.processor_log_record(f, Counts(3, 1, 1, 1), stamp)
    widths = ", ".join(str(w) for w in outputs.LOG_WIDTHS)
    return (
        f"<h3>Response report (<code>&lt;name&gt;{file_folders.REPORT_SUFFIX}</code>)</h3>"
        "<p>Pipe-delimited, CRLF lines: the file-level fatal error if any, then "
        "<code>Record Level Fatal Errors:</code> (records not stored) and <code>Record Level "
        "Errors:</code> (stored with errors), one line per error, its last field "
        "<code>CODE::message</code> (a person's error starts with <code>Person N:</code>). "
        "Example:</p>"
        f"<pre>{escape(report)}</pre>"
        f"<h3>Processor log (<code>&lt;name&gt;_log.txt</code>)</h3><p>One fixed-width ASCII "
        f"record of {outputs.LOG_LENGTH} bytes (Table 10): ORI, file name, file date, access "
        "channel (FTP or WEB), processing status, processing date, processing time; widths "
        f"{widths}. Example:</p><pre>{escape(log)}</pre>"
    )


def _limits(kind: str, s: Settings) -> str:
    rows: list[tuple[str, str, str]] = [
        ("Request body", f"{s.max_body_bytes:,} bytes", "max_body_bytes"),
        ("Time for a request's headers", f"{s.request_header_timeout_seconds:g} s (then 408)",
         "request_header_timeout_seconds"),
        ("Time for each part of a body", f"{s.request_body_timeout_seconds:g} s (then 408)",
         "request_body_timeout_seconds"),
        ("Slowest body", f"{s.request_body_min_rate:,} bytes/s", "request_body_min_rate"),
        ("Rows in a listing page", f"{MAX_LIMIT:,}", "query limit"),
    ]  # fmt: skip
    if kind == "stops":
        rows += [
            ("Batch file", f"{s.max_file_bytes:,} bytes", "max_file_bytes"),
            ("Answers kept in OUTPUT", f"{s.output_retention_days} days", "output_retention_days"),
        ]
    if kind == "cases":
        rows += [
            ("Cases in a job", f"{s.namus_max_cases_per_job:,}", "namus_max_cases_per_job"),
            ("Job body", f"{s.namus_max_job_bytes:,} bytes", "namus_max_job_bytes"),
            ("Jobs in any 24 hours", f"{s.namus_max_jobs_per_day:,} (then 429)",
             "namus_max_jobs_per_day"),
        ]  # fmt: skip
    if kind == "rapsheets":
        rows += [
            ("Wait for a merge's portions", f"{s.rap_timeout_seconds:g} s",
             "rap_timeout_seconds"),
        ]  # fmt: skip
    note = (
        "<p>The defaults of this hub's settings; the job limits may be set per account.</p>"
        if kind == "cases"
        else "<p>This hub's settings.</p>"
    )
    return note + _table(("Limit", "Value", "Setting"), rows)


def _realms(kind: str) -> str:
    if kind == "rapsheets":
        return (
            "<p>The criminal history exchange has no test realm: it takes production keys "
            "only (a test key is refused with 403).</p>"
        )
    realms = " and ".join(f"<code>{r}</code>" for r in file_folders.REALM_FOLDERS)
    text = (
        f"<p>Each agency has two keys, one per realm ({realms}); what a test key sends is kept "
        "apart from production and never mixed with it: the same routes, the same checks and "
        "answers, separate records."
    )
    if kind == "stops":
        text += (
            " Over SFTP the realms are the folders "
            f"{', '.join(_code(f) for f in file_folders.REALM_FOLDERS.values())}."
        )
    if kind == "cases":
        text += " Test jobs and cases are mailed to no reviewer."
    return text + "</p>"


# --- the index --------------------------------------------------------------------------------


Group = tuple[str, list[tuple[str, str]]]  # a heading, and its documents: (file name, what)


def index_html(kind: str, groups: list[Group], href: Callable[[str], str] = lambda n: n) -> str:
    """The page listing an ICD's documents under their headings, each linked by ``href``."""
    chapter = CHAPTERS[kind]
    e = escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(chapter.title)}: Interface Control Document</title>"
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{e(chapter.title)}: Interface Control Document</h1>",
        "<p>Start with the transport chapter (how to reach the hub), then the record "
        f"documents. The hub serves these at {_code(chapter.icd)}; the API's description is "
        "at <code>/docs</code> and <code>/openapi.json</code>.</p>",
    ]
    for heading, documents in groups:
        out.append(f"<h2>{e(heading)}</h2><table><tr><th>Document</th><th>What</th></tr>")
        out += [
            f"<tr><td><a href='{e(href(name))}'>{e(name)}</a></td><td>{e(label)}</td></tr>"
            for name, label in documents
        ]
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def index_groups(
    kind: str, dictionaries: list[Dictionary], names: list[str], what: Callable[[str], str]
) -> list[Group]:
    """The transport chapter first, then each dictionary's documents under its title, then the
    others (the kit's, a job's templates)."""
    label = STOPS_TRANSPORT_LABEL if kind == "stops" else what(TRANSPORT)
    groups: list[Group] = [("How to reach the hub", [(TRANSPORT, label)])]
    left = [n for n in names if n not in (TRANSPORT, INDEX)]
    for d in dictionaries:
        own = [n for n in left if n.startswith((f"{d.id}.", f"{d.id}-"))]
        groups.append((f"{d.title} ({d.id})", [(n, what(n)) for n in own]))
        left = [n for n in left if n not in own]
    if left:
        heading = "The participants' kit" if kind == "rapsheets" else "Other documents"
        groups.append((heading, [(n, what(n)) for n in left]))
    return groups


def describe_document(name: str) -> str:
    """What a document of the record ICDs is, from its name (the DOCUMENTS suffixes)."""
    from jdx.dictionary.icd import DOCUMENTS

    if name == TRANSPORT:
        return TRANSPORT_LABEL
    if name == INDEX:
        return INDEX_LABEL
    if name.startswith("case-job-template"):
        return "A job's bulk upload template: one row per case of any record type"
    for suffix, (label, _media) in DOCUMENTS.items():
        if name.endswith(suffix):
            return label.removesuffix(" (this page)")
    return name


def chapter_pages(
    kind: str,
    openapi: dict[str, Any],
    settings: Settings,
    dictionaries: list[Dictionary],
    documents: Iterable[str],
    href: Callable[[str], str] = lambda n: n,
    describe: Callable[[str], str] | None = None,
) -> dict[str, bytes]:
    """The transport chapter and the index of an ICD whose other documents are ``documents``
    (file names, each described by ``describe``, which knows the record ICDs' by default):
    what ``jdx icd`` writes beside them and the hub serves."""

    def what(name: str) -> str:
        return describe(name) if describe and name != TRANSPORT else describe_document(name)

    groups = index_groups(kind, dictionaries, list(documents), what)
    return {
        TRANSPORT: transport_html(kind, openapi, settings, dictionaries).encode(),
        INDEX: index_html(kind, groups, href).encode(),
    }
