"""Compile a dictionary once into a validator: generated Python, no interpretation per record.

The dictionary is turned into the source of one function per record type (and one per list of
groups, such as the persons of a stop) by ``_codegen.py``, compiled with ``compile()`` once, and
run for every record. ``source_of(dictionary)`` returns that source, for reading and debugging
(tracebacks and profilers show its lines too). How and why: "How the validator is compiled" in
``docs/dev/dictionary-format.md``.

The validator never raises on input: whatever JSON-like value it is given, it returns issues.
"""

from __future__ import annotations

import functools
import hashlib
import linecache
from collections.abc import Callable, Mapping
from types import CodeType
from typing import Any

from jdx.dictionary._codegen import Generator
from jdx.dictionary._conditions import describe
from jdx.dictionary._runtime import (
    DATE_PARSERS,
    TIME_PARSERS,
    as_text,
    is_absent,
    parse_date,
    resolve,
)
from jdx.dictionary.model import Dictionary
from jdx.dictionary.outcome import Issue, Outcome

__all__ = [
    "DATE_PARSERS",
    "TIME_PARSERS",
    "Domains",
    "Issue",
    "Outcome",
    "Validator",
    "as_text",
    "compile_validator",
    "describe",
    "is_absent",
    "parse_date",
    "resolve",
    "source_of",
]

Validator = Callable[[Any], Outcome]
Domains = Mapping[str, frozenset[str]]


def compile_validator(dictionary: Dictionary, domains: Domains | None = None) -> Validator:
    """The dictionary as a function: record in, :class:`Outcome` out.

    ``domains`` maps a domain table name to its codes. The mapping is read at validation time,
    so a caller may swap a table's codes in place (after ``jdx tables load``) without
    recompiling; a domain that is not in the mapping is not checked.
    """
    generator = Generator(dictionary, domains if domains is not None else {})
    namespace = generator.namespace
    source = generator.source()
    code = _compiled(source)
    # The source in linecache, under the code's file name: tracebacks and profilers show the
    # generated lines, as for any module.
    linecache.cache[code.co_filename] = (
        len(source),
        None,
        source.splitlines(True),
        code.co_filename,
    )
    exec(code, namespace)  # noqa: S102 - our own generated code
    validate: Validator = namespace["validate"]
    return validate


@functools.lru_cache(maxsize=16)
def _compiled(source: str) -> CodeType:
    """The code of a generated source; cached, since ``compile`` is most of the build time.

    The hub, each CLI command and the ICD's sample builder compile the same dictionaries.
    """
    digest = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()[:12]
    return compile(source, f"<jdx validator {digest}>", "exec")


def source_of(dictionary: Dictionary, domains: Domains | None = None) -> str:
    """The Python source ``compile_validator`` runs for this dictionary."""
    return Generator(dictionary, domains if domains is not None else {}).source()
