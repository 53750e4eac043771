"""A case record as form fields and back: one input per leaf, named by the validator's path.

Paths are those of the dictionary's errors (``investigatingAgencies[1].caseNumber``, lists
counted from 1), so an error is shown beside the input it names. An emptied input removes its
field (the dictionary then says whether it was required); a leaf keeps the type it had (a
number stays a number when the input reads as one; otherwise the text goes to the validator,
which names the field).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from jdx.codecs import paths
from jdx.codecs.paths import PathError

__all__ = ["MAX_FIELDS", "PathError", "flatten", "leaf_types", "unflatten"]

_TOKEN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d{1,3})\])?$")
MAX_FIELDS = 500


def flatten(value: Any) -> list[tuple[str, str]]:
    """(path, text) of every leaf of a record, in its order."""
    return [(path, _text(leaf)) for path, leaf in paths.flatten(value).items() if leaf is not None]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def leaf_types(record: Any) -> dict[str, type]:
    return {path: type(leaf) for path, leaf in paths.flatten(record).items() if leaf is not None}


def _typed(text: str, kind: type | None) -> Any:
    if kind is bool and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind is int:
        try:
            return int(text)
        except ValueError:
            return text
    if kind is float:
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _tokens(path: str) -> list[tuple[str, int | None]]:
    tokens = []
    for part in path.split("."):
        m = _TOKEN.match(part.strip())
        if m is None:
            raise PathError(f"not a field path: {path!r} (e.g. sighting.address.city)")
        tokens.append((m.group(1), int(m.group(2)) if m.group(2) else None))
    return tokens


def unflatten(pairs: Iterable[tuple[str, str]], original: Any) -> dict[str, Any]:
    """The record of the form's (path, text) pairs; empty texts are left out.

    Not ``paths.unflatten``: a form is forgiving where a job file is strict. Emptying every
    input of a list item leaves an empty item (the dictionary then names what it lacks) rather
    than a gap error, and the texts take back the types the record's leaves had.
    """
    kinds = leaf_types(original)
    record: dict[str, Any] = {}
    count = 0
    for path, text in pairs:
        text = text.strip()
        if not path.strip() or not text:
            continue
        count += 1
        if count > MAX_FIELDS:
            raise PathError(f"a case has at most {MAX_FIELDS} fields")
        node: Any = record
        tokens = _tokens(path)
        for i, (name, index) in enumerate(tokens):
            last = i == len(tokens) - 1
            if index is None:
                if last:
                    node[name] = _typed(text, kinds.get(path))
                else:
                    node = node.setdefault(name, {})
                    if not isinstance(node, dict):
                        raise PathError(f"{path}: {name} holds a value, not fields")
                continue
            items = node.setdefault(name, [])
            if not isinstance(items, list) or index < 1:
                raise PathError(f"{path}: {name} is not a list counted from 1")
            while len(items) < index:
                items.append({})
            if last:
                items[index - 1] = _typed(text, kinds.get(path))
            else:
                node = items[index - 1]
                if not isinstance(node, dict):
                    raise PathError(f"{path}: {name}[{index}] holds a value, not fields")
    return record
