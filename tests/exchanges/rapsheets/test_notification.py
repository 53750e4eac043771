"""FBI/III EL01 and FL01 notifications, parsed as the seed's examples show."""

from __future__ import annotations

import pytest

from jdx.exchanges.rapsheets.notification import NotificationError, parse_notification
from tests.exchanges.rapsheets.builders import sheet

NARRATIVE = (
    "THIS INTERSTATE IDENTIFICATION INDEX RESPONSE IS THE RESULT OF YOUR RECORD REQUEST FOR "
    "FBI/901100 .\nINDIVIDUAL'S RECORD WILL BE COMPLETE WHEN ALL RESPONSES ARE RECEIVED FROM THE "
    "FOLLOWING SOURCES EXCEPT FOR THOSE INDICATED AS DECEASED:\n"
)
FL01 = (
    "FL01HEADERXXXX01234\nAKAST0100\n" + NARRATIVE + " FBI - FBI/901100\n"
    " NORTH CAROLINA - STATE ID/NC0142585A - DECEASED\n TEXAS - STATE ID/TX01346790\nEND\n"
)
EL01 = (
    "EL01HEADERXXXX01234\nAKAST0100\n"
    + NARRATIVE
    + " NORTH CAROLINA - STATE ID/NC0142585A - DECEASED\n TEXAS - STATE ID/TX01346790\nEND\n"
)


def test_fl01_of_the_seed() -> None:
    note = parse_notification(FL01)
    assert (note.kind, note.requester_ori, note.fbi_number) == ("F", "AKAST0100", "901100")
    assert [(r.source, r.fbi_number, r.sid_number, r.deceased) for r in note.responders] == [
        ("FBI", "901100", None, False),
        ("NORTH CAROLINA", None, "NC0142585A", True),
        ("TEXAS", None, "TX01346790", False),
    ]
    assert [r.label for r in note.expected] == ["FBI - FBI/901100", "TEXAS - STATE ID/TX01346790"]
    assert note.merge_key == ("AKAST0100", "901100", ("NC0142585A", "TX01346790"))


def test_el01_of_the_seed() -> None:
    note = parse_notification(EL01.replace("\n", "\r\n"))
    assert note.kind == "E" and note.requester_ori == "AKAST0100"
    assert [r.source for r in note.expected] == ["TEXAS"]


def test_a_portion_is_matched_to_its_responder() -> None:
    note = parse_notification(FL01)
    tx = sheet("TX", "TX01346790")
    assert note.portion_of(tx) == note.responders[2]
    assert note.portion_of(tx, from_fbi=True) == note.responders[0]
    assert note.portion_of(sheet("CA", "CA99999978")) is None


def test_narrative_sid_numbers_are_kept() -> None:
    note = parse_notification(EL01.replace("FOR FBI/901100 .", "FOR SID/TX01346790 ."))
    assert note.fbi_number is None and note.sid_numbers == ("TX01346790",)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "empty"),
        ("QR01HEADER\nAKAST0100\nEND\n", 1, "EL01 or FL01"),
        ("EL01HEADER\nAK ST 0100\n TEXAS - STATE ID/TX1\nEND\n", 2, "requester ORI"),
        ("EL01HEADER\nAKAST0100\n TEXAS - STATE ID/TX1\n", 3, "END"),
        ("EL01HEADER\nAKAST0100\n TEXAS - SID/TX1\nEND\n", 3, "STATE ID/"),
        ("EL01HEADER\nAKAST0100\n TEXAS - STATE ID/TX1 - GONE\nEND\n", 3, "DECEASED"),
        ("EL01HEADER\nAKAST0100\n TEXAS - STATE ID/\nEND\n", 3, "no valid number"),
        ("EL01HEADER\nAKAST0100\nNARRATIVE ONLY\nEND\n", 4, "no responder"),
        ("FL01HEADER\nAKAST0100\n TEXAS - STATE ID/TX1\nEND\n", 4, "FBI"),
    ],
)
def test_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(NotificationError, match=rf"^line {line}: .*{words}") as caught:
        parse_notification(text)
    assert caught.value.line == line
