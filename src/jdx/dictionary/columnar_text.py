"""A cell's text as the record path reads it, as Polars expressions: stripping, types, dates.

Part of the columnar checker (``columnar.py``). Every expression here answers "would the record
path accept this text?" with True only when it surely would (``_runtime.py`` and the type checks
of ``_codegen.py`` are the definitions); where Polars reads text differently from Python, the
expression spells out Python's reading instead of calling Polars' parser:

- stripping uses the characters of ``str.isspace()`` (Polars' default set lacks ``\\x1c``-``\\x1f``);
- dates are taken apart by position and checked with the calendar's arithmetic
  (``str.to_date("%m/%d/%Y")`` accepts ``2/3/2025`` and `` 02/03/2025``, ``_mdy`` does not);
- times, integers and decimals are regular expressions of exactly the forms Python accepts
  (decimals: a narrower form, ``float()`` also reads ``1e3``, ``inf`` and ``1_000``);
- a dictionary's pattern is handed to Polars (the Rust ``regex`` crate) only when it uses the
  constructs whose meaning is the same in both engines (:func:`rust_pattern`); case folding is
  done only on ASCII text.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import polars as pl

from jdx.dictionary.model import FieldSpec

try:  # Python 3.11+: the parser behind re.compile, to read a pattern's constructs
    import re._constants as _sre_constants  # type: ignore[import-not-found]
    import re._parser as _sre_parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _sre_constants
    import sre_parse as _sre_parser

# What str.strip() removes: every character whose str.isspace() is true.
WHITESPACE = "".join(chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace())
# The same characters as a class of the Rust regex syntax.
WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"


def stripped(cell: pl.Expr) -> pl.Expr:
    """``str.strip()`` of a cell; a missing cell (null) reads as blank."""
    return cell.fill_null("").str.strip_chars(WHITESPACE)


def is_ascii(text: pl.Expr) -> pl.Expr:
    return text.str.len_bytes() == text.str.len_chars()


def escape(text: str) -> str:
    """Literal text inside a Rust regex: ASCII letters and digits as they are, any other
    character by its code point (``re.escape`` writes escapes such as ``\\ `` that the Rust
    syntax need not accept)."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


def one_of(codes: list[str]) -> str:
    """A regex alternation of literal codes, longest first (the order does not change what an
    anchored match accepts, it only keeps the automaton small)."""
    return "(?:" + "|".join(escape(c) for c in sorted(codes, key=lambda c: (-len(c), c))) + ")"


# --- patterns ---------------------------------------------------------------------------------

# Constructs read alike by Python's re and the Rust regex crate when the pattern is anchored at
# both ends: literals, classes of literals and ranges, repeats, groups and alternation.
_SAME_MEANING = {"LITERAL", "NOT_LITERAL", "IN", "RANGE", "NEGATE", "MAX_REPEAT", "MIN_REPEAT",
                 "SUBPATTERN", "BRANCH"}  # fmt: skip


def rust_pattern(pattern: str) -> str | None:
    """The anchored Rust form of a dictionary pattern (``re.fullmatch``), or None when the
    pattern uses a construct the two engines may read differently (``\\d``, ``\\w`` and ``\\s``
    are Unicode classes of different versions; ``.``, anchors, look-arounds, flags)."""
    try:
        tree = _sre_parser.parse(pattern)
    except re.error:
        return None
    if not _same_meaning(tree):
        return None
    return f"^(?:{pattern})$"


def _same_meaning(node: Any) -> bool:
    for op, arg in node:
        if str(op) not in _SAME_MEANING:
            return False
        if op is _sre_constants.LITERAL or op is _sre_constants.NOT_LITERAL:
            if not 0x20 <= arg < 0x7F:
                return False
        elif op is _sre_constants.IN:
            if not _same_meaning(arg):
                return False
        elif op is _sre_constants.RANGE:
            if not (0x20 <= arg[0] < 0x7F and 0x20 <= arg[1] < 0x7F):
                return False
        elif op in (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT):
            if not _same_meaning(arg[2]):
                return False
        elif op is _sre_constants.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if add_flags or del_flags or not _same_meaning(sub):
                return False
        elif op is _sre_constants.BRANCH and not all(_same_meaning(b) for b in arg[1]):
            return False
    return True


# --- dates and times --------------------------------------------------------------------------

# Each date format: its shape, and where its year, month and day stand.
_DATE_SHAPES: dict[str, tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    "MM/DD/YYYY": (r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$", (6, 4), (0, 2), (3, 2)),
    "YYYY-MM-DD": (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", (0, 4), (5, 2), (8, 2)),
    "CCYYMMDD": (r"^[0-9]{8}$", (0, 4), (4, 2), (6, 2)),
}
_TIME_SHAPES = {
    "HH:MM:SS": "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]",
    "HH:MM": "(?:[01][0-9]|2[0-3]):[0-5][0-9]",
}
DATE_FORMATS = frozenset(_DATE_SHAPES)
TIME_FORMATS = frozenset(_TIME_SHAPES)


def day_number(text: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    """The day ``parse_date(text, formats)`` reads, as the integer YYYYMMDD (ordered as the
    days are); null when no format reads it. The first format that reads the text wins."""
    out: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for fmt in reversed(formats):
        shape, (ys, yn), (ms, mn), (ds, dn) = _DATE_SHAPES[fmt]
        fits = text.str.contains(shape)
        y = text.str.slice(ys, yn).cast(pl.Int64, strict=False)
        m = text.str.slice(ms, mn).cast(pl.Int64, strict=False)
        d = text.str.slice(ds, dn).cast(pl.Int64, strict=False)
        leap = ((y % 4) == 0) & (((y % 100) != 0) | ((y % 400) == 0))
        days = (
            pl.when(m == 2)
            .then(pl.when(leap).then(29).otherwise(28))
            .when(m.is_in([4, 6, 9, 11]))
            .then(30)
            .otherwise(31)
        )
        real = fits & (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= days)
        out = pl.when(real).then(y * 10000 + m * 100 + d).otherwise(out)
    return out


def day_of(value: Any) -> int:
    """A ``datetime.date`` as :func:`day_number` writes it."""
    return int(value.year) * 10000 + int(value.month) * 100 + int(value.day)


def time_ok(text: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    if not formats:
        return pl.lit(False)
    return text.str.contains("^(?:" + "|".join(_TIME_SHAPES[f] for f in formats) + ")$")


# --- one value's type checks ------------------------------------------------------------------

DECIMAL_FORM = r"^-?[0-9]+(?:\.[0-9]+)?$"


def content_ok(
    spec: FieldSpec,
    text: pl.Expr,
    tables: dict[str, frozenset[str]],
    domain: frozenset[str] | None,
    upper_domain: bool,
    today: pl.Expr,
    day: pl.Expr | None = None,
) -> pl.Expr | None:
    """True where a present value (stripped, not blank) passes every check of its type, as
    ``Generator.content_checks`` emits them; None when a check has no columnar form here.
    ``day`` is the date's :func:`day_number`, when the caller has it already."""
    kind = spec.type
    ok: pl.Expr
    if kind == "string":
        ok = pl.lit(True)
        size = text.str.len_chars()
        if spec.min_length is not None:
            ok = ok & (size >= spec.min_length)
        if spec.max_length is not None:
            ok = ok & (size <= spec.max_length)
        if spec.pattern:
            rust = rust_pattern(spec.pattern)
            if rust is None:
                return None
            ok = ok & text.str.contains(rust)
        return ok
    if kind == "code":
        if spec.table:
            return text.is_in(sorted(tables[spec.table]))
        if domain is None:  # not loaded: the record path does not check it either
            return pl.lit(True)
        if upper_domain:
            return is_ascii(text) & text.str.to_uppercase().is_in(sorted(domain))
        return text.is_in(sorted(domain))
    if kind == "flag":
        allowed = spec.values or ("Y", "N")
        # t.upper() in allowed; only ASCII case folding is taken as equal (Python also folds
        # a few other letters, which then go to the record path).
        return text.is_in(sorted({*allowed, *(a.lower() for a in allowed)}))
    if kind == "integer":
        ok = text.str.contains("^[0-9]+$")
        if spec.min is not None or spec.max is not None:
            num = text.cast(pl.Int64, strict=False)  # null beyond 19 digits: out of any range here
            ok = ok & num.is_not_null()
            if spec.min is not None:
                ok = ok & (num >= spec.min)
            if spec.max is not None:
                ok = ok & (num <= spec.max)
        return ok
    if kind == "decimal":
        ok = text.str.contains(DECIMAL_FORM)
        if spec.pattern:
            rust = rust_pattern(spec.pattern)
            if rust is None:
                return None
            ok = ok & text.str.contains(rust)
        if spec.min is not None or spec.max is not None:
            num = text.cast(pl.Float64, strict=False)
            ok = ok & num.is_not_null()
            if spec.min is not None:
                ok = ok & (num >= spec.min)
            if spec.max is not None:
                ok = ok & (num <= spec.max)
        return ok
    if kind == "date":
        if not spec.formats or not set(spec.formats) <= DATE_FORMATS:
            return None
        if day is None:
            day = day_number(text, spec.formats)
        ok = day.is_not_null()
        if spec.not_before is not None:
            ok = ok & (day >= day_of(spec.not_before))
        if spec.not_future:
            ok = ok & (day <= today)
        return ok
    if kind == "time":
        if not set(spec.formats) <= TIME_FORMATS:
            return None
        return time_ok(text, spec.formats)
    return None
