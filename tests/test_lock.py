"""The lock is the install: it pins every package pyproject.toml asks for, within its bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", re.M)


def locked() -> dict[str, Version]:
    text = (REPO / "requirements.lock").read_text()
    return {canonicalize_name(name): Version(version) for name, version in PIN.findall(text)}


def wanted() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    return [Requirement(line) for line in lines]


def test_every_requirement_is_pinned_within_its_bounds() -> None:
    pins = locked()
    missing = [str(r) for r in wanted() if canonicalize_name(r.name) not in pins]
    outside = [
        f"{r} (locked {pins[canonicalize_name(r.name)]})"
        for r in wanted()
        if canonicalize_name(r.name) in pins
        and not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]
    assert missing == [], "pyproject.toml asks for packages the lock lacks: run `make lock`"
    assert outside == [], "locked versions outside pyproject.toml's bounds: run `make lock`"


def test_every_pin_carries_hashes() -> None:
    text = (REPO / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9._-]+==)", text)
    unhashed = [b.split()[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
    assert unhashed == []


def test_the_floors_exclude_the_known_vulnerable_releases() -> None:
    floors = {canonicalize_name(r.name): r.specifier for r in wanted()}
    vulnerable = {
        "starlette": "1.3.0",  # CVE-2025-62727, CVE-2026-48710, CVE-2026-54283
        "python-multipart": "0.0.17",  # CVE-2024-53981
        "asyncssh": "2.14.1",  # Terrapin, CVE-2023-48795
        "jinja2": "3.1.5",  # CVE-2025-27516
        "cryptography": "44.0.0",
    }
    allowed = [name for name, version in vulnerable.items() if floors[name].contains(version)]
    assert allowed == []
