"""jdx.logs: every record one line, whatever its message, arguments or traceback hold."""

from __future__ import annotations

import io
import logging

import pytest

from jdx.logs import FORMAT, OneLineFormatter, one_line


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("R1\n2031-01-01 jdx.sdcs INFO forged", "R1\\n2031-01-01 jdx.sdcs INFO forged"),
        ("a\r\nb\tc", "a\\r\\nb\\tc"),
        ("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"),
        ("nel\x85 del\x7f nul\x00", "nel\\x85 del\\x7f nul\\x00"),
        ("ls\u2028ps\u2029", "ls\\u2028ps\\u2029"),
        ("Ünïcödé and 名前 stay", "Ünïcödé and 名前 stay"),
    ],
)
def test_control_characters_are_escaped(text: str, written: str) -> None:
    assert one_line(text) == written


def test_a_record_is_one_line_whatever_its_arguments_and_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter(FORMAT))
    log = logging.getLogger("jdx.test_logs")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("stored %s", "R1\nforged line")
        try:
            raise ValueError("bad\ninput")
        except ValueError:
            log.exception("failed on %s", "x\ry")
    finally:
        log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("jdx.test_logs WARNING stored R1\\nforged line")
    assert "failed on x\\ry\\nTraceback (most recent call last):" in lines[1]
    assert lines[1].endswith("ValueError: bad\\ninput")
