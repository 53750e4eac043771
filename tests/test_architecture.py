"""Exchanges hold business rules and nothing about transport: they never import a channel."""

from __future__ import annotations

import ast
import re
import subprocess
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


# The ways a path can name the folder beside the clone: "../shared", ".../shared/reference", or
# a component built with pathlib (``parents[2] / "shared"``).
OUTSIDE_THE_REPO = re.compile(r"""\.\./shared\b|\bshared/(reference|seeds)\b|/\s*["']shared["']""")
# The one module allowed to name it (the Nlets 4.1 XSD, which may not be copied into jdx), and
# this one, which names it to look for it.
EXEMPT = {"tests/reference.py", "tests/test_architecture.py"}


def test_nothing_reads_outside_the_repository() -> None:
    """A user's clone has no ``../shared``: code, tests, benches and the Makefile never need it."""
    repo = Path(__file__).resolve().parents[1]
    tracked = subprocess.run(
        ["git", "ls-files", "src", "tests", "bench", "Makefile"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    offenders = []
    for name in tracked:
        path = repo / name
        if name in EXEMPT or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary fixtures (XLSX)
        offenders += [
            f"{name}:{n}"
            for n, line in enumerate(text.splitlines(), 1)
            if OUTSIDE_THE_REPO.search(line)
        ]
    assert offenders == []


def test_the_pattern_sees_each_way_of_naming_the_folder() -> None:
    for line in ('"../shared/reference"', 'parents[2] / "shared" / "x"', "see shared/reference/"):
        assert OUTSIDE_THE_REPO.search(line), line
    for line in ("shared strings", "xl/sharedStrings.xml", "the shared metadata"):
        assert not OUTSIDE_THE_REPO.search(line), line
