"""The documents say what the code does: generated references are current, named files exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from jdx import settings_doc

REPO = Path(__file__).resolve().parents[1]


def test_the_settings_reference_is_generated_from_settings_py() -> None:
    committed = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert committed == settings_doc.render(), "docs/settings.md is stale: run `make docs`"


def test_every_setting_is_in_the_reference_with_its_variable() -> None:
    from jdx.settings import Settings

    text = settings_doc.render()
    assert all(f"`JDX_{name.upper()}`" in text for name in Settings.model_fields)


def test_the_licence_file_is_the_one_pyproject_declares() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"]
    assert declared == "Apache-2.0"
    text = (REPO / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def test_every_make_target_the_readme_names_exists() -> None:
    readme = (REPO / "README.md").read_text()
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", readme))
    assert named and named <= targets, named - targets


def test_every_document_the_readme_links_exists() -> None:
    readme = (REPO / "README.md").read_text()
    paths = set(re.findall(r"`((?:docs|src|deploy|bench)/[\w./-]+)`", readme))
    assert paths
    assert [p for p in sorted(paths) if not (REPO / p).exists()] == []
