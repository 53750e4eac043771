"""What the columnar checker does with each part of the dictionary language.

Every attribute of :class:`~jdx.dictionary.model.FieldSpec`, every condition operator and every
rule scope is listed here with its columnar form or as record-only (and why). A test walks the
model and fails on anything listed nowhere, so a new kind of rule cannot reach a dictionary
without a decision about the columnar path. Record-only means: wherever it could apply, the
stop is not clean, and the record path checks it (docs/conformance.md, issue 20).
"""

from __future__ import annotations

# FieldSpec attributes: how the columnar check reads each (or that it is not a check at all).
FIELD_FORMS: dict[str, str] = {
    "name": "the column (FlatLayout names it)",
    "type": "the type checks of columnar_text.content_ok; groups by their cells, lists by "
    "their separators",
    "label": "not a check (messages)",
    "code": "not a check (messages)",
    "core": "not a check (severity: any issue makes a stop not clean)",
    "required": "blank text with the condition true",
    "forbidden": "present text with the condition true",
    "description": "not a check (documentation)",
    "regulation": "not a check (documentation)",
    "example": "not a check (documentation)",
    "min_length": "str.len_chars of the stripped text (code points, as len())",
    "max_length": "str.len_chars of the stripped text (code points, as len())",
    "pattern": "the Rust regex, when columnar_text.rust_pattern finds it reads alike",
    "pattern_message": "not a check (messages)",
    "min": "the number read from a form both Python and Polars read exactly",
    "max": "the number read from a form both Python and Polars read exactly",
    "table": "membership of the stripped text, exactly",
    "domain": "membership in the run-time set (upper-cased only when ASCII)",
    "formats": "dates taken apart by position and checked by the calendar; times by regex",
    "not_future": "the day number against the clean() call's today",
    "not_before": "the day number against the bound",
    "values": "the allowed flags and their ASCII lower case",
    "fields": "the group's cells: present when one is not blank",
    "item": "the items between the separators (';', ',' inside a list of groups)",
    "item_name": "the list's wrapper, which the binder always writes whole",
    "min_items": "the count of separators",
    "max_items": "the count of separators",
    "unique": "n_unique of the stripped items",
    "unique_by": "the key's items compared by position (persons: within the stop)",
    "exclusive": "the code standing as one item of a list of more than one",
}

# Condition operators and kinds.
CONDITION_FORMS: dict[str, str] = {
    "eq": "the upper-cased text of one scalar field in the set",
    "in": "the upper-cased text of one scalar field in the set",
    "present": "a scalar field's text, or a list's items, not blank",
    "absent": "a scalar field's text, or a list's items, blank",
    "has": "an item of a list of scalars (or the one scalar) in the set",
    "has_any": "an item of a list of scalars (or the one scalar) in the set",
    "some": "a list of groups item by item, by position",
    "all": "and",
    "any": "or",
    "not": "not",
}

# Rule scopes.
RULE_FORMS: dict[str, str] = {
    "record": "once per row, on the record's cells (the same on every row of a stop)",
    "person": "once per row: a row is a person",
}

# Parts that have no columnar form: a stop is not clean wherever they could apply.
RECORD_ONLY: dict[str, str] = {
    "lt": "ordered comparisons read numbers and dates by _runtime.comparable; not used by the "
    "stop dictionaries",
    "le": "as lt",
    "gt": "as lt",
    "ge": "as lt",
    "other": "comparisons between two fields (fields_ordered); not used by the stop dictionaries",
    "scope: other list": "rules once per item of a list other than the persons (the case "
    "dictionaries' investigating agencies); not used by the stop dictionaries",
    "groups inside items": "a group inside an item of a list of groups; not in any dictionary",
    "pattern outside the shared subset": "a pattern with \\d, \\w, \\s, '.', anchors, flags or "
    "non-ASCII literals (the engines' Unicode tables differ)",
    "paths through lists": "a condition path that walks into the items of a list (values "
    "flattened by _runtime.resolve); not used by the stop dictionaries",
}
