"""Which installed packages differ from requirements.lock: what `make test-latest` tried.

Usage: python tools/newer_than_lock.py requirements.lock VERSIONS.txt (``pip list --format=freeze``)
Prints one line per package whose installed version is not the locked one, so that a failure of
the newest releases is read against the names that changed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TOOLING = {"jdx", "pip", "setuptools", "wheel"}  # the project itself and the installers
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def pins(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        if match := PIN.match(line.strip()):
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return found


def main(lock: Path, installed: Path) -> int:
    locked = pins(lock.read_text())
    now = pins(installed.read_text())
    changed = [
        f"{name}: {locked[name]} -> {now[name]}"
        for name in sorted(now)
        if name in locked and locked[name] != now[name]
    ]
    added = [
        f"{name}: {now[name]} (not in the lock)"
        for name in sorted(now)
        if name not in locked and name not in TOOLING
    ]
    print(f"{len(changed)} package(s) newer or other than the lock")
    for line in changed + added:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
