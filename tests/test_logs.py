"""jdx.logs: every record one line, whatever its message, arguments or traceback hold, as text
or as JSON with the id of the request it belongs to."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable

import orjson
import pytest

from jdx import logs
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


def logged(fmt: logs.LogFormat, emit: Callable[[logging.Logger], None]) -> list[str]:
    """The lines the hub's handler (``jdx.logs.handler``) writes for what ``emit`` logs."""
    stream = io.StringIO()
    made = logs.handler(fmt)
    assert isinstance(made, logging.StreamHandler)
    made.setStream(stream)
    log = logging.getLogger("jdx.test_logs.handler")
    log.addHandler(made)
    log.propagate = False
    log.setLevel(logging.INFO)
    try:
        emit(log)
    finally:
        log.removeHandler(made)
    return stream.getvalue().splitlines()


def hostile(log: logging.Logger) -> None:
    log.warning("stored %s", "R1\nforged\u2028line\x85nel\x7fdel\x1b[2J")
    try:
        raise ValueError("bad\ninput")
    except ValueError:
        log.exception("failed on %s", "x\ry")


def test_a_json_record_is_one_object_on_one_line_whatever_it_holds() -> None:
    lines = logged("json", hostile)
    assert len(lines) == 2
    first, second = (orjson.loads(line) for line in lines)
    assert first["message"] == "stored R1\nforged\u2028line\x85nel\x7fdel\x1b[2J"  # as logged
    assert (first["level"], first["logger"]) == ("WARNING", "jdx.test_logs.handler")
    assert first["time"].endswith("+00:00") and "request_id" not in first
    assert second["message"] == "failed on x\ry"
    assert second["exception"].startswith("Traceback (most recent call last):")
    assert second["exception"].endswith("ValueError: bad\ninput")
    # no character a reader may take for the end of a line or a terminal command, raw
    for line in lines:
        assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029]", line)


def test_a_record_of_a_request_carries_its_id_in_json() -> None:
    def emit(log: logging.Logger) -> None:
        log.info("outside")
        with logs.request_context("rid-42"):
            log.warning("inside %s", "R1")

    text = logged("text", emit)  # the text line keeps its form: TIME LOGGER LEVEL MESSAGE
    assert text[0].endswith("jdx.test_logs.handler INFO outside")
    assert text[1].endswith("jdx.test_logs.handler WARNING inside R1")
    as_json = [orjson.loads(line) for line in logged("json", emit)]
    assert "request_id" not in as_json[0]
    assert as_json[1]["request_id"] == "rid-42"


def test_dbos_logs_through_the_hubs_handler(capsys: pytest.CaptureFixture[str]) -> None:
    """``configure`` gives DBOS's logger the hub's handler, which DBOS keeps (it adds its own,
    in a format of several lines, only to a logger without one)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    dbos = logging.getLogger("dbos")
    saved_dbos = (dbos.handlers[:], dbos.propagate)
    try:
        logs.configure("INFO", "json")
        dbos.warning("from %s", "dbos\nsecond line")
        [line] = capsys.readouterr().err.splitlines()
        assert orjson.loads(line)["logger"] == "dbos"
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        dbos.handlers[:], dbos.propagate = saved_dbos
