"""Run a module with the hub's packages and the POSIX-only modules made unimportable: what an
agency's Windows machine, with only jdx-client installed, would have.

``python isolated.py MODULE ARGS...`` runs ``MODULE`` as ``python -m`` would, after a meta-path
finder that refuses every module below. A module imported before (the interpreter's start
imports ``posix`` for ``os``) is taken out of ``sys.modules``, so a later import of it is
refused too. A library that imports one of them inside ``try``/``except ImportError`` (as it
would on Windows) goes on without it; the ones refused are listed on stderr.

With ``JDX_ISOLATED_POSIX=client`` a POSIX-only module is refused only to the client's own
modules: a library that picks its modules by ``sys.platform`` (asyncssh imports ``fcntl`` and
``termios`` unless on Windows) is let through, and listed as such.
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

# The hub and what only the hub needs (pydantic is not one: typer reads options with it).
SERVER = ("jdx", "dbos", "psycopg", "psycopg_binary", "lxml", "sqlalchemy", "alembic")
SERVER += ("fastapi", "starlette", "uvicorn", "orjson", "argon2", "xlsxwriter", "yaml")
# "Availability: Unix" in the Python library reference.
POSIX_ONLY = ("fcntl", "grp", "pwd", "resource", "termios", "tty", "pty", "syslog", "posix")
POSIX_ONLY += ("crypt", "spwd", "nis", "_posixshmem", "readline")
REFUSED = frozenset(SERVER + POSIX_ONLY)


class Refuse(MetaPathFinder):
    def __init__(self, posix_to_client_only: bool) -> None:
        self.posix_to_client_only = posix_to_client_only
        self.refused: list[str] = []
        self.allowed: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        top = fullname.partition(".")[0]
        if top not in REFUSED:
            return None
        if top in POSIX_ONLY and self.posix_to_client_only:
            importer = _importer()
            if not importer.startswith("jdx_client"):
                self.allowed.append(f"{fullname} by {importer}")
                return None
        self.refused.append(fullname)
        raise ModuleNotFoundError(f"No module named {fullname!r} (refused)", name=fullname)


def _importer() -> str:
    """The module whose import statement is running: the first frame outside importlib."""
    frame = sys._getframe(2)
    while frame is not None and (
        frame.f_code.co_filename.startswith("<frozen") or "importlib" in frame.f_code.co_filename
    ):
        frame = frame.f_back  # type: ignore[assignment]
    return str(frame.f_globals.get("__name__", "?")) if frame is not None else "?"


def main() -> None:
    refuse = Refuse(os.environ.get("JDX_ISOLATED_POSIX") == "client")
    for name in list(sys.modules):
        if name.partition(".")[0] in REFUSED:
            del sys.modules[name]
    sys.meta_path.insert(0, refuse)
    module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        loaded = sorted(n for n in sys.modules if n.partition(".")[0] in SERVER)
        allowed = sorted(set(refuse.allowed))
        sys.stderr.write(
            f"\nisolated: refused {sorted(set(refuse.refused))}; allowed {allowed}; "
            f"loaded {loaded}\n"
        )


if __name__ == "__main__":
    main()
