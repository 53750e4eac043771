"""The readable Interface Control Document: one self-contained HTML page per dictionary."""

from __future__ import annotations

from html import escape

import orjson

from jdx.dictionary.icd._common import checks_text, requirement_text, type_text, walk_paths
from jdx.dictionary.model import Dictionary

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:75rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}code{font-size:90%}tr.sub td:first-child{padding-left:1.5rem}
.fatal{color:#a00;font-weight:600}
"""


def icd_html(d: Dictionary, sample: dict[str, object], files: dict[str, str]) -> str:
    e = escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(d.title)}: Interface Control Document</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(d.title)}</h1><p>{e(d.description)}</p>",
        f"<p>Dictionary <code>{e(d.id)}</code>, version {e(d.version)}, family "
        f"<code>{e(d.family)}</code>.",
    ]
    if d.era is not None:
        start = d.era.start.isoformat() if d.era.start else "the beginning"
        end = f" and before {d.era.end.isoformat()}" if d.era.end else ""
        out.append(
            f" It applies to records whose <code>{e(d.era.field)}</code> is on or after "
            f"{e(start)}{e(end)}."
        )
    out.append("</p><h2>Documents</h2><ul>")
    out += [f"<li><a href='{e(href)}'>{e(label)}</a></li>" for label, href in files.items()]
    out.append("</ul>")
    out.append("<h2>Fields</h2><p>" + " ".join(_conventions(d)) + "</p>")
    out.append(
        "<table><tr><th>Field</th><th>Label</th><th>Type</th><th>Required</th>"
        "<th>Checks</th><th>Code</th></tr>"
    )
    for path, f, in_list in walk_paths(d):
        core = " class='fatal'" if f.core else ""
        out.append(
            f"<tr{' class=sub' if in_list else ''}><td><code>{e(path)}</code></td>"
            f"<td>{e(f.label)}<br><small>{e(f.description)}"
            f"{(' Regulation: ' + e(f.regulation) + '.') if f.regulation else ''}</small></td>"
            f"<td>{e(type_text(d, f))}</td><td>{e(requirement_text(f))}</td>"
            f"<td>{e(checks_text(f))}</td><td{core}>{e(f.code)}</td></tr>"
        )
    out.append("</table>")
    if d.rules:
        out.append(
            "<h2>Cross-field rules</h2><table><tr><th>Code</th><th>Field</th>"
            "<th>Severity</th><th>Rule</th></tr>"
        )
        out += [
            f"<tr><td>{e(r.code)}</td><td><code>{e(r.field)}</code></td><td>{e(r.severity)}</td>"
            f"<td>{e(r.message.strip())}</td></tr>"
            for r in d.rules
        ]
        out.append("</table>")
    out.append("<h2>Code tables</h2>")
    for table in d.tables.values():
        out.append(
            f"<h3 id='{e(table.name)}'>{e(table.label)}</h3><table>"
            "<tr><th>Code</th><th>Meaning</th></tr>"
        )
        out += [f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in table.values.items()]
        out.append("</table>")
    if d.domains:
        out.append(
            "<h2>Domain tables</h2><p>Loaded by the hub's operator from CSV "
            "(<code>jdx tables load NAME FILE.csv</code>); a value must be a key of the "
            "table in force.</p><ul>"
        )
        out += [
            f"<li><code>{e(t.name)}</code>: {e(t.label)} (column <code>{e(t.csv_key)}</code>)</li>"
            for t in d.domains.values()
        ]
        out.append("</ul>")
    sample_text = orjson.dumps(sample, option=orjson.OPT_INDENT_2).decode()
    out.append(f"<h2>Sample</h2><pre>{e(sample_text)}</pre></body></html>")
    return "\n".join(out)


def _conventions(d: Dictionary) -> list[str]:
    """How to read the field table, said only where it applies to this dictionary."""
    e = escape
    notes = [
        "Values are text. The hub trims leading and trailing white space; a blank value is the "
        "same as an absent one. Every error names its code, the field's path (list positions "
        "1-based, as in <code>a[2].b</code>) and what is wrong."
    ]
    if d.unknown_fields == "error":
        notes.append(
            f"Only the fields below are accepted: any other is an error ({e(d.unknown_code)})."
        )
    elif d.unknown_fields == "warn":
        notes.append(f"Fields not below are ignored with a warning ({e(d.unknown_code)}).")
    if any(f.core for _, f in d.walk()):
        notes.append(
            "Errors of a <span class='fatal'>core</span> field are fatal: the record is not "
            "stored. Other errors store the record with status “Submitted with Errors”."
        )
    wrapped = next((f for _, f in d.walk() if f.type == "list" and f.item_name), None)
    if wrapped is not None:
        name, item = e(wrapped.name), e(wrapped.item_name or "")
        notes.append(
            f"Lists are wrapped as in the sample (<code>{name}</code> holds "
            f"<code>{item}</code> items). An error about a list names its element, not the "
            f"wrapper: with the item's position when one item is at fault (a code not in its "
            f"table, a value or key that repeats an earlier item's, a “none” code sent with "
            f"others: <code>{name}.{item}[2]</code>), without one when the list as a whole is "
            f"(required, forbidden, too many items, a cross-field rule: "
            f"<code>{name}.{item}</code>); the wrapper only when the wrapper itself is wrong "
            f"(not an object, or holding another key: <code>{name}</code>). Positions count "
            "the items as sent, blank ones included, from 1: in JSON the array's items, in XML "
            "the repeated elements, in the XLSX and pipe-delimited files the values of the "
            "list's cell separated by <code>;</code>, and a person is the record's n-th row."
        )
    elif any(f.type == "list" for _, f in d.walk()):
        notes.append(
            "Lists are JSON arrays, as in the sample. An error about one item names it with its "
            "position, counted from 1 as sent (<code>a[2]</code>, <code>a[2].b</code>); one "
            "about the whole list (required, too many items) names the list."
        )
    if d.person is not None:
        notes.append("Errors in a person carry the person number.")
    return notes
