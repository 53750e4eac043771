"""The one door from the tests to material outside the repository.

Some third-party schemas may not be copied into jdx: the Nlets Rap Sheet 4.1 XSD carries a
licence that allows its use in tests only. Where the project's reference folder sits beside the
clone (``../shared/reference``, as in CI), the tests that check fixtures against such a schema run;
on a user's clone, which has no such folder, they skip and say so. Nothing else in ``src/``,
``tests/``, ``bench/`` or the ``Makefile`` may look outside the repository
(``tests/test_architecture.py`` enforces it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

OUTSIDE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def third_party(relative: str) -> Path:
    """The path of a third-party reference file, or skip the calling test where it is absent."""
    path = OUTSIDE / relative
    if not path.exists():
        pytest.skip(
            f"skipped: needs the third-party file {relative}, kept outside the repository for its "
            f"licence and present only beside a CI clone ({OUTSIDE} does not exist here)"
        )
    return path
