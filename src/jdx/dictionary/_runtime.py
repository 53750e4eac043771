"""What a compiled validator calls at run time: reading values as sent, walking paths, dates.

The generated code (see ``_codegen.py``) inlines the common case of every check and calls these
functions only for the rest: values that are not plain strings, paths through lists, failures.
Each function here is the one definition of its rule ("what counts as absent", "the text of a
number", "the values at a path"), shared by the validator, the ICD and the exchanges.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from jdx.dictionary.outcome import Issue

# --- values as sent ---------------------------------------------------------------------------


def is_absent(value: Any) -> bool:
    """Missing, null, blank text and an empty list or object all mean "not sent".

    A list wrapper that holds only empty items is present here; the list check then finds it
    has no items and treats it as absent.
    """
    if value is None:
        return True
    cls = value.__class__
    if cls is str:
        return not value.strip()
    if cls is list or cls is dict:
        return not value
    return False


def as_text(value: Any) -> str | None:
    """The text of a scalar as sent; None for objects, lists and booleans."""
    if value.__class__ is str:
        return str(value).strip()
    if value.__class__ is int:
        return str(value)
    if value.__class__ is float:
        return repr(value) if not float(value).is_integer() else str(int(value))
    return None


def scalar_text(value: Any) -> str | None:
    """A scalar field's text: ``""`` when it counts as absent, None when it is not a scalar.

    One call answers the three questions a scalar check asks of a value that is not a plain
    string (blank? a number? something else?), so the generated code needs only one branch.
    """
    cls = value.__class__
    if cls is str:
        return str(value).strip()
    if cls is int or cls is float:
        return as_text(value)
    if value is None or ((cls is list or cls is dict) and not value):
        return ""
    return None


def present_items(items: list[Any]) -> list[Any]:
    """The items of a list that are not absent (``is_absent`` inlined: this runs per list)."""
    out = []
    for x in items:
        cls = x.__class__
        if cls is str:
            if x.strip():
                out.append(x)
        elif x is None or ((cls is list or cls is dict) and not x):
            continue
        else:
            out.append(x)
    return out


def to_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def kind(value: Any) -> str:
    """What a value is, in a message: "an object", "a list", "true/false", "int"."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__


def person_number(item: dict[str, Any], number_field: str | None, position: int) -> str | None:
    """The person number of a list item: its number field as sent, else its 1-based position."""
    pid = item.get(number_field) if number_field else None
    return as_text(pid) if pid is not None else str(position)


# --- paths ------------------------------------------------------------------------------------


def resolve(obj: Any, parts: tuple[str, ...]) -> list[Any]:
    """The present values at a dotted path; lists along the way are flattened."""
    current = obj if isinstance(obj, list) else [obj]
    for part in parts:
        nxt: list[Any] = []
        for node in current:
            if isinstance(node, dict):
                value = node.get(part)
                if isinstance(value, list):
                    nxt.extend(value)
                elif value is not None:
                    nxt.append(value)
        current = nxt
        if not current:
            break
    return [v for v in current if not is_absent(v)]


def scope_items(obj: Any, parts: tuple[str, ...]) -> list[Any]:
    """The items of a rule's scope list as sent, absent ones included, so that a rule counts
    positions as the field checks do (``Person_Stopped[2]`` is the second item sent, blank or
    not). Through a list on the way there is no one position: the present values of
    ``resolve``."""
    node = obj
    for part in parts:
        if node.__class__ is not dict:
            return resolve(obj, parts)
        node = node.get(part)
    if node is None:
        return []
    return node if node.__class__ is list else [node]


def values_at(obj: Any, parts: tuple[str, ...]) -> list[Any]:
    """The present values a condition sees at a path from its scope (a dict)."""
    # Plain dict steps are the common case; a list on the way takes the general path.
    node = obj
    for i, part in enumerate(parts):
        if node.__class__ is not dict:
            return resolve(node, parts[i:]) if node.__class__ is list else []
        node = node.get(part)
        if node is None:
            return []
    if node.__class__ is list:
        return [v for v in node if not is_absent(v)]
    return [] if is_absent(node) else [node]


def one_text(obj: Any, parts: tuple[str, ...]) -> str | None:
    """The upper-cased text at a path when exactly one scalar is there, else None.

    ``eq``, ``in`` and the ordered comparisons hold only for a single value.
    """
    node = obj
    for part in parts:
        if node.__class__ is not dict:
            break
        node = node.get(part)
    else:
        # Fast path: dicts all the way down to a string.
        if node.__class__ is str:
            text = node.strip()
            return text.upper() if text else None
    texts = [t for v in values_at(obj, parts) if (t := as_text(v)) is not None]
    return texts[0].upper() if len(texts) == 1 else None


def sibling_text(value: Any) -> str | None:
    """What ``eq``/``in`` compares of a sibling field: its upper-cased text, else None.

    A list of one value stands for that value (a single code sent as a list).
    """
    if value is None:
        return None
    if value.__class__ is str:
        return str(value).strip().upper()
    text = as_text(value)
    if text is not None:
        return text.upper()
    return sibling_text(value[0]) if value.__class__ is list and len(value) == 1 else None


def has_any(values: list[Any], wanted: frozenset[str]) -> bool:
    """``has``/``has_any``: some of the values at a path (``values_at``) is one of ``wanted``."""
    for value in values:
        text = value.strip() if value.__class__ is str else as_text(value)
        if text is not None and text.upper() in wanted:
            return True
    return False


def comparable(text: str) -> float | dt.date | None:
    try:
        return float(text)
    except ValueError:
        pass
    for parse in DATE_PARSERS.values():
        day = parse(text)
        if day is not None:
            return day
    return None


def ordered(text: str | None, bound: float | dt.date | None, compare: Callable[..., bool]) -> bool:
    """``lt``/``le``/``gt``/``ge``: numbers compare with numbers, dates with dates, else false."""
    if text is None or bound is None:
        return False
    left = comparable(text)
    return type(left) is type(bound) and compare(left, bound)


def fields_ordered(left: str | None, right: str | None, compare: Callable[..., bool]) -> bool:
    """An ordering between two fields holds unless both are single readable values of one kind
    in the wrong order: an absent or unreadable side is its own field's error, and reporting
    the ordering too would blame a rule for a typo."""
    if left is None or right is None:
        return True
    a, b = comparable(left), comparable(right)
    return a is None or type(a) is not type(b) or compare(a, b)


# --- reports that need more than one line -----------------------------------------------------


def report_unknown(
    obj: dict[str, Any],
    known: frozenset[str],
    prefix: str,
    person: str | None,
    append: Callable[[Issue], None],
    code: str,
    severity: str,
    outcome: str,
) -> None:
    """One issue per key of ``obj`` that the dictionary does not define, in the order sent."""
    for key in obj:
        if key not in known:
            message = f"{key!s} is not a field of this record; {outcome}"
            append(Issue(code, severity, prefix + str(key), message, person))  # type: ignore[arg-type]


def extra_keys(wrapper: dict[str, Any], item_name: str) -> str:
    """The keys of a list wrapper besides its item name, for the message ("" when none)."""
    return ", ".join(str(k) for k in wrapper if k != item_name)


def repeat_position(items: list[Any]) -> int:
    """``unique``: the 1-based position (as sent) of the first present item whose text repeats
    an earlier item's; 0 when none does."""
    seen: set[str | None] = set()
    for i, x in enumerate(items, 1):
        if is_absent(x):
            continue
        text = as_text(x)
        if text in seen:
            return i
        seen.add(text)
    return 0


def key_repeat_position(items: list[Any], key: str) -> int:
    """``unique_by``: the 1-based position (as sent) of the first item whose ``key`` repeats an
    earlier item's; 0 when none does."""
    seen: set[str] = set()
    for i, x in enumerate(items, 1):
        if isinstance(x, dict) and (k := as_text(x.get(key)) or ""):
            if k in seen:
                return i
            seen.add(k)
    return 0


def position_of(items: list[Any], code: str) -> int:
    """``exclusive``: the 1-based position (as sent) of the first item that is ``code``; 0 when
    none is."""
    for i, x in enumerate(items, 1):
        if not is_absent(x) and as_text(x) == code:
            return i
    return 0


def repeated_keys(items: list[Any], key: str) -> str:
    """``unique_by``: the values of ``key`` that more than one item has ("" when none)."""
    keys = [k for x in items if isinstance(x, dict) and (k := as_text(x.get(key)) or "")]
    if len(set(keys)) == len(keys):
        return ""
    return ", ".join(sorted({k for k in keys if keys.count(k) > 1}))


# --- dates and times --------------------------------------------------------------------------


def _mdy(text: str) -> dt.date | None:
    if len(text) != 10 or text[2] != "/" or text[5] != "/":
        return None
    return _ymd_parts(text[6:], text[:2], text[3:5])


def _iso(text: str) -> dt.date | None:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    return _ymd_parts(text[:4], text[5:7], text[8:])


def _ccyymmdd(text: str) -> dt.date | None:
    if len(text) != 8:
        return None
    return _ymd_parts(text[:4], text[4:6], text[6:])


def _ymd_parts(y: str, m: str, d: str) -> dt.date | None:
    if not (y.isdigit() and m.isdigit() and d.isdigit() and (y + m + d).isascii()):
        return None
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def _hms(text: str) -> bool:
    return (
        len(text) == 8
        and text[2] == ":"
        and text[5] == ":"
        and _clock(text[:2], text[3:5], text[6:])
    )


def _hm(text: str) -> bool:
    return len(text) == 5 and text[2] == ":" and _clock(text[:2], text[3:5], "00")


def _clock(h: str, m: str, s: str) -> bool:
    if not (h.isdigit() and m.isdigit() and s.isdigit() and (h + m + s).isascii()):
        return False
    return int(h) < 24 and int(m) < 60 and int(s) < 60


DATE_PARSERS: dict[str, Callable[[str], dt.date | None]] = {
    "MM/DD/YYYY": _mdy,
    "YYYY-MM-DD": _iso,
    "CCYYMMDD": _ccyymmdd,
}
TIME_PARSERS: dict[str, Callable[[str], bool]] = {"HH:MM:SS": _hms, "HH:MM": _hm}


def parse_date(text: str, formats: tuple[str, ...]) -> dt.date | None:
    for fmt in formats:
        day = DATE_PARSERS[fmt](text)
        if day is not None:
            return day
    return None


_today_cache: tuple[float, dt.date] = (0.0, dt.date.min)


def latest_today() -> dt.date:
    """The latest calendar date anywhere on Earth (UTC+14).

    A record dated "today" in the sender's time zone is never "in the future" for a hub that
    runs on UTC. The date is kept until the next midnight at UTC+14, so that the check costs
    one clock read instead of building a datetime per record.
    """
    global _today_cache
    now = time.time()
    until, day = _today_cache
    if now < until:
        return day
    moment = dt.datetime.fromtimestamp(now, dt.UTC) + dt.timedelta(hours=14)
    day = moment.date()
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
    _today_cache = ((midnight - dt.timedelta(hours=14)).timestamp(), day)
    return day
