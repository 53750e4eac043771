"""The settings reference (``docs/settings.md``), generated from the fields of ``Settings``.

``python -m jdx.settings_doc > docs/settings.md`` (``make docs``) writes it; a test fails when the
committed file and ``settings.py`` disagree, so the reference cannot drift from the code.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from jdx.settings import Settings

HEADER = """\
# Settings

Generated from `src/jdx/settings.py` by `make docs`; do not edit by hand.

Each setting is read, lowest first, from its default, the TOML file named by `JDX_CONFIG` (its
keys are the names below), then the environment variable. A list is given as JSON in a variable,
e.g. `JDX_RAP_NOTIFIERS='["DCFBIWA00"]'`.

| variable | type | default | meaning |
|---|---|---|---|
"""


def type_name(annotation: Any) -> str:
    """A reader's name of a field's type: ``int``, ``list of str``, ``one of a, b``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin in (typing.Union, types.UnionType):
        names = [type_name(a) for a in args if a is not type(None)]
        optional = " (optional)" if type(None) in args else ""
        return " or ".join(names) + optional
    if annotation is Path:
        return "path"
    return getattr(annotation, "__name__", str(annotation))


def default_text(field: FieldInfo) -> str:
    if field.default_factory is not None:
        made = field.default_factory()  # type: ignore[call-arg]
        if isinstance(made, list):
            return f"`{json.dumps(made)}`"
        return "(see meaning)"  # computed where it runs, e.g. a per-user folder
    value = field.default
    if value is None:
        return "(unset)"
    if value == "":
        return '`""`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 100_000:
        return f"`{value}` ({value:,})"
    return f"`{value}`"


def render() -> str:
    rows = []
    for name, field in Settings.model_fields.items():
        meaning = (field.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(
            f"| `JDX_{name.upper()}` | {type_name(field.annotation)} | {default_text(field)} "
            f"| {meaning} |"
        )
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(render(), end="")
