"""A JSON document as ``path -> scalar`` and back: ``a.b``, lists as ``a[1].b`` (from 1).

The case review records an edit as the paths it changed; the flat (CSV/XLSX) form of a case job
names its columns by the same paths. Empty objects and lists have no path: a value that is
absent and one that is empty read the same in both uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_STEP = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")
MAX_INDEX = 1000  # a path's list index; more is a hostile or broken file, not a case


class PathError(ValueError):
    """A path that names no place in a document, or two paths that disagree."""


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every scalar of a document by its path, in document order."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for n, item in enumerate(value, 1):
            out.update(flatten(item, f"{prefix}[{n}]"))
    elif prefix:
        out[prefix] = value
    return out


def parse_path(path: str) -> list[str | int]:
    """``a[2].b`` as ``["a", 1, "b"]`` (list positions from 0); PathError if malformed."""
    steps: list[str | int] = []
    for part in path.split("."):
        found = _STEP.fullmatch(part)
        if found is None:
            raise PathError(f"not a field path: {path!r}")
        steps.append(found.group(1))
        for index in _INDEX.findall(found.group(2)):
            n = int(index)
            if not 1 <= n <= MAX_INDEX:
                raise PathError(f"list positions run from 1 to {MAX_INDEX}: {path!r}")
            steps.append(n - 1)
    return steps


def unflatten(values: Mapping[str, Any]) -> dict[str, Any]:
    """The document of ``path -> value`` pairs; list items must come without gaps."""
    root: dict[str, Any] = {}
    for path, value in values.items():
        _put(root, parse_path(path), value, path)
    _check_lists(root, "")
    return root


def _put(root: dict[str, Any], steps: list[str | int], value: Any, path: str) -> None:
    node: Any = root
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        following = None if last else steps[i + 1]
        if isinstance(step, str):
            if not isinstance(node, dict):
                raise PathError(f"{path!r}: {step!r} is inside a list; give its position")
            if last:
                if step in node:
                    raise PathError(f"{path!r} is given twice")
                node[step] = value
                return
            node = node.setdefault(step, {} if isinstance(following, str) else [])
        else:
            node.extend([None] * (step + 1 - len(node)))
            if last:
                if node[step] is not None:
                    raise PathError(f"{path!r} is given twice")
                node[step] = value
                return
            if node[step] is None:
                node[step] = {} if isinstance(following, str) else []
            node = node[step]
        if not isinstance(node, dict if isinstance(following, str) else list):
            raise PathError(f"{path!r} disagrees with another column on what its parent holds")


def _check_lists(node: Any, where: str) -> None:
    if isinstance(node, dict):
        for key, item in node.items():
            _check_lists(item, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for n, item in enumerate(node, 1):
            if item is None:
                raise PathError(f"{where}[{n}] is missing while a later item is given")
            _check_lists(item, f"{where}[{n}]")


def diff(before: Any, after: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The paths whose value changed, with the value before and after (None: absent)."""
    old, new = flatten(before), flatten(after)
    changed = [p for p in old if new.get(p, _ABSENT) != old[p]]
    changed += [p for p in new if p not in old]
    return {p: old.get(p) for p in changed}, {p: new.get(p) for p in changed}


_ABSENT = object()
