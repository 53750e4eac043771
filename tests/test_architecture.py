"""Exchanges hold business rules and nothing about transport: they never import a channel; the
store is below the exchanges and never imports one either."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import jdx

TRANSPORT = ("fastapi", "starlette", "uvicorn", "asyncssh", "jinja2", "jdx.channels", "jdx.cli")
EXCHANGES = ("jdx.exchanges",)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, wherever in the file: ``from jdx import exchanges`` counts
    as ``jdx.exchanges`` too."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
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


def test_the_store_never_imports_an_exchange() -> None:
    """The exchanges define their tables on the store's metadata and hand them to the hub
    (``hub.Exchange.tables``); the store does not reach up for them, migrations included
    (``schema.drift`` is given ``hub.metadata``)."""
    root = Path(jdx.__file__).parent
    offenders = {
        str(path.relative_to(root)): sorted(n for n in imports(path) if n.startswith(EXCHANGES))
        for path in root.glob("store/**/*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


REPO = Path(__file__).resolve().parents[1]
# The one module that may name a folder beside the clone: the check of the rap-sheet fixtures
# against the Nlets 4.1 XSD (issue 15), whose licence keeps it out of the repository; it runs
# where that folder exists (CI) and skips, saying so, elsewhere.
XSD_CHECK = "tests/exchanges/rapsheets/test_nlets41_schema.py"


def naming_beside(parent: Path, names: list[str]) -> re.Pattern[str] | None:
    """The ways a file can name one of the folders ``names`` that sit in ``parent``, beside the
    clone: ``../NAME``, the absolute ``PARENT/NAME``, or pathlib climbing out of the repository
    (``parents[2] / "NAME"``)."""
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(
        rf"""\.\./(?:{alternatives})\b"""
        rf"""|{re.escape(str(parent))}/(?:{alternatives})\b"""
        rf"""|parents\[\d+\]\s*/\s*["'](?:{alternatives})["']"""
    )


def test_nothing_reads_beside_the_repository() -> None:
    """A user's clone has nothing beside it: code, tests, benches and the Makefile never name a
    folder there (where this checkout has neighbours, such as CI's, they are what is looked for)."""
    beside = sorted(p.name for p in REPO.parent.iterdir() if p.is_dir() and p != REPO)
    pattern = naming_beside(REPO.parent, beside)
    if pattern is None:
        return  # nothing beside this clone: nothing could be read there
    tracked = subprocess.run(
        ["git", "ls-files", "src", "tests", "bench", "Makefile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    offenders = []
    for name in tracked:
        path = REPO / name
        if name == XSD_CHECK or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary fixtures (XLSX)
        offenders += [
            f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)
        ]
    assert offenders == []


def test_the_pattern_sees_each_way_of_naming_a_folder_beside() -> None:
    parent = Path("/work")
    pattern = naming_beside(parent, ["beside"])
    assert pattern is not None
    for line in ('"../beside/reference"', 'parents[2] / "beside" / "x"', "see /work/beside/x/"):
        assert pattern.search(line), line
    for line in ("beside strings", "xl/besideStrings.xml", 'ROOT / "beside"', "/other/beside/"):
        assert not pattern.search(line), line
