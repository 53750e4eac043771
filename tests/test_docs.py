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


def test_the_architecture_names_the_hubs_real_api() -> None:
    """docs/dev/architecture.md, "How an exchange joins the hub": every ``hub.x``, ``Hub.x``,
    ``Exchange.x`` and ``jdx.workflows.x`` it names exists, and its example calls ``Exchange``
    with the fields the class has."""
    import dataclasses

    from jdx import workflows
    from jdx._periodic import Periodic
    from jdx.hub import Exchange, Hub

    text = (REPO / "docs" / "dev" / "architecture.md").read_text(encoding="utf-8")
    section = text[text.index("## How an exchange joins the hub") : text.index("## Durable work")]
    hub_fields = {f.name for f in dataclasses.fields(Hub)}
    named = set(re.findall(r"\b[hH]ub\.(\w+)", section)) - {"py"}  # not `hub.py`
    assert {"join", "service", "start", "stop", "running", "metadata"} <= named
    assert {n for n in named if not hasattr(Hub, n) and n not in hub_fields} == set()
    fields = {f.name for f in dataclasses.fields(Exchange)}
    assert set(re.findall(r"\bExchange\.(\w+)", section)) <= fields
    example = section[
        section.index("```python") : section.index("```", section.index("```python") + 3)
    ]
    assert set(re.findall(r"^\s+(\w+)=", example, re.M)) <= fields
    assert {f.name for f in dataclasses.fields(Periodic)} >= {
        "name",
        "interval",
        "work",
        "first_after",
    }
    for name in re.findall(r"\bjdx\.workflows\.(\w+)", text):
        assert hasattr(workflows, name), name
