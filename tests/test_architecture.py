"""Exchanges hold business rules and nothing about transport: they never import a channel."""

from __future__ import annotations

import ast
from pathlib import Path

import jdx

TRANSPORT = ("fastapi", "starlette", "uvicorn", "asyncssh", "jinja2", "jdx.channels", "jdx.cli")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_exchanges_and_core_never_import_transport() -> None:
    root = Path(jdx.__file__).parent
    core = [
        *root.glob("exchanges/**/*.py"),
        *root.glob("dictionary/**/*.py"),
        root / "validation.py",
        *root.glob("store/*.py"),
        *root.glob("codecs/*.py"),
    ]
    offenders = {
        str(path.relative_to(root)): sorted(n for n in imports(path) if n.startswith(TRANSPORT))
        for path in core
    }
    assert {k: v for k, v in offenders.items() if v} == {}
