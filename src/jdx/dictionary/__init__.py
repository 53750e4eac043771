"""Data dictionaries: one declarative description per record type, compiled once.

See ``docs/dev/dictionary-format.md`` for the file format.
"""

from jdx.dictionary.compiler import Issue, Outcome, Validator, compile_validator
from jdx.dictionary.loader import DictionaryError, load_dictionary, parse_dictionary
from jdx.dictionary.model import Dictionary, FieldSpec

__all__ = [
    "Dictionary",
    "DictionaryError",
    "FieldSpec",
    "Issue",
    "Outcome",
    "Validator",
    "compile_validator",
    "load_dictionary",
    "parse_dictionary",
]
