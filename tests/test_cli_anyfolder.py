"""``jdx`` from any folder (issue 13): the per-user data folder, commands that need no database
leave nothing behind, ``jdx validate`` without a hub, and one clean line for every user error.

Each test runs from a fresh working folder with HOME and XDG_DATA_HOME in a temporary folder and
no JDX_DATA_DIR, as a user's shell would; most go through Typer's runner (as test_cli.py does),
the ones about the installed entry point run ``python -m jdx`` in a process of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import typer
from typer.core import TyperGroup as Group
from typer.testing import CliRunner, Result

from jdx.cli import app, main
from jdx.exchanges.rapsheets.transmission import write_rap_sheet
from jdx.hub import Hub
from jdx.settings import load_settings
from tests.conftest import new_agency, stop_record
from tests.exchanges.rapsheets.builders import cycle, sheet

runner = CliRunner()
RAPSHEETS = Path(__file__).parent / "exchanges" / "rapsheets" / "fixtures"


@dataclass
class Folder:
    """A user's fresh shell: the working folder, and where the per-user data folder is."""

    root: Path
    cwd: Path
    data: Path  # $XDG_DATA_HOME/jdx: what platformdirs gives on Linux

    def files(self) -> set[Path]:
        return set(self.root.rglob("*"))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JDX_")}
        return {**env, "HOME": str(self.root / "home"), "XDG_DATA_HOME": str(self.data.parent)}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Folder:
    cwd, home, xdg = tmp_path / "cwd", tmp_path / "home", tmp_path / "xdg"
    for made in (cwd, home):
        made.mkdir()
    for name in [k for k in os.environ if k.startswith("JDX_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    monkeypatch.chdir(cwd)
    return Folder(tmp_path, cwd, xdg / "jdx")


def jdx(folder: Folder, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed entry point (``jdx.cli:main``) in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "jdx", *args],
        cwd=folder.cwd,
        # Wide enough that Rich never breaks a long temporary path inside the help's text.
        env={**folder.env(), "COLUMNS": "500", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def clean(result: Result) -> None:
    """What a user must never see: a traceback, or an exception Typer's runner caught."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output


# --- 1. the data folder -----------------------------------------------------------------------


def test_the_data_folder_is_the_per_user_one_and_help_says_so(folder: Folder) -> None:
    assert load_settings().data_dir == folder.data  # not ./var of the working folder
    shown = jdx(folder, "--help")
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())  # Rich wraps the help at any space
    assert f"Data folder (database, outboxes, SFTP homes): {folder.data}" in text
    assert "the per-user default; set JDX_DATA_DIR" in text
    assert "Exit codes: 0 done; 1 refused" in text

    chosen = folder.root / "elsewhere"
    shown = jdx(folder, "--help", JDX_DATA_DIR=str(chosen))
    text = " ".join(shown.stdout.split())
    assert f"{chosen}, from JDX_DATA_DIR (unset, the per-user default: {folder.data})" in text

    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert (folder.data / "jdx.db").is_file()
    assert list(folder.cwd.iterdir()) == []  # no ./var


def test_help_shows_even_when_the_settings_are_broken(folder: Folder) -> None:
    shown = jdx(folder, "--help", JDX_PORT="eighty")
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    assert "port (JDX_PORT): Input should be a valid integer" in " ".join(shown.stdout.split())


# --- 2. commands that need no database --------------------------------------------------------


def _rap_sheet(folder: Folder) -> Path:
    made = folder.root / "input" / "nc.xml"
    made.parent.mkdir(exist_ok=True)
    made.write_bytes(write_rap_sheet(sheet("NC", "NC0142585A", cycles=(cycle("19870101"),))))
    return made


OFFLINE: dict[str, Callable[[Path, Path], list[str]]] = {
    "rapsheet merge": lambda sheet_, out: [
        "rapsheet", "merge", str(sheet_), str(RAPSHEETS / "nlets41-tx.xml"), "--out", str(out / "m.xml")
    ],
    "rapsheet render": lambda sheet_, _: ["rapsheet", "render", str(sheet_), "--format", "text"],
    "rapsheet summary": lambda sheet_, _: ["rapsheet", "summary", str(sheet_)],
    "icd stops": lambda _, out: ["icd", "stops", "--out", str(out)],
    "icd cases": lambda _, out: ["icd", "cases", "--out", str(out)],
}  # fmt: skip


@pytest.mark.parametrize("command", OFFLINE)
def test_commands_without_a_database_leave_nothing_behind(folder: Folder, command: str) -> None:
    source = _rap_sheet(folder)
    out = folder.root / "out"
    out.mkdir()
    before = folder.files()
    result = runner.invoke(app, OFFLINE[command](source, out))
    clean(result)
    assert result.exit_code == 0, result.output
    new = {p for p in folder.files() - before if out not in p.parents}
    assert new == set(), new  # the output the user asked for, nothing else
    assert not folder.data.exists()


# --- 3. jdx validate without a hub ------------------------------------------------------------


def _stops(folder: Folder) -> tuple[Path, dict[str, object]]:
    """Two stops, one in a city that the DOJ table does not have."""
    good, atlantis = stop_record(), stop_record()
    atlantis["Location"] = {**atlantis["Location"], "City": "ATLANTIS"}  # type: ignore[dict-item]
    stops = folder.root / "input" / "stops.ndjson"
    stops.parent.mkdir(exist_ok=True)
    stops.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(atlantis) + b"\n")
    return stops, atlantis


def test_validate_without_a_database_checks_the_dictionaries_and_says_what_it_skipped(
    folder: Folder,
) -> None:
    stops, _ = _stops(folder)
    before = folder.files()
    result = jdx(folder, "validate", "stops", str(stops))
    assert result.returncode == 0, result.stderr  # ATLANTIS is not checked: nothing to say
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [x["status"] for x in lines] == ["Successful Submission"] * 2
    assert result.stderr == (
        f"note: no database at {folder.data / 'jdx.db'}: validated without the checks against "
        "the domain tables city, offense, ori, school\n"
    )
    assert folder.files() == before  # no database, no data folder

    broken = folder.root / "input" / "broken.json"
    broken.write_bytes(b"{oops\n")
    refused = jdx(folder, "validate", "stops", str(broken))
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: broken.json: line 1 is not JSON: ")


def test_validate_uses_the_domain_tables_of_a_migrated_database(folder: Folder) -> None:
    stops, atlantis = _stops(folder)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    empty = runner.invoke(app, ["validate", "stops", str(stops)])
    assert empty.exit_code == 0, empty.output
    assert empty.stderr == (
        "note: domain tables not loaded (jdx tables load): validated without the checks against "
        "the domain tables city, offense, ori, school\n"
    )
    assert runner.invoke(app, ["demo"]).exit_code == 0  # the samples, and its agency's ORI table
    checked = runner.invoke(app, ["validate", "stops", str(stops)])
    assert checked.exit_code == 1
    assert checked.stderr == ""  # every table loaded: nothing skipped, nothing to say
    outcome = [orjson.loads(line) for line in checked.stdout.splitlines()][1]
    assert outcome["LEARecordID"] == atlantis["LEARecordID"]
    assert [e["field"] for e in outcome["errors"]] == ["Location.City"]


# --- 4. no traceback for a user error ---------------------------------------------------------

NOT_MIGRATED = "run `jdx db upgrade`"


def _leaves(group: Group, prefix: tuple[str, ...] = ()) -> set[str]:
    names: set[str] = set()
    for name, command in group.commands.items():
        if isinstance(command, Group):
            names |= _leaves(command, (*prefix, name))
        else:
            names.add(" ".join((*prefix, name)))
    return names


# Every command that opens the database, with arguments that get past Click.
NEEDS_DATABASE = {
    "serve": [],
    "demo": [],
    "db downgrade": ["base"],
    "db check": [],
    "agency add": ["CA0370000", "--name", "x"],
    "agency list": [],
    "agency key": ["CA0370000"],
    "agency suspend": ["CA0370000"],
    "agency activate": ["CA0370000"],
    "agency notify": ["CA0370000", "--daily"],
    "tables load": ["city", "{csv}"],
    "tables list": [],
    "sftp enable": ["CA0370000"],
    "sftp disable": ["CA0370000"],
    "sftp add-key": ["CA0370000", "{csv}"],
    "sftp keys": ["CA0370000"],
    "sftp remove-key": ["CA0370000", "SHA256:x"],
    "files import": [],
    "export stops": ["--ori", "CA0370000"],
    "export files": ["--ori", "CA0370000"],
    "mail send": [],
    "mail list": [],
    "rapsheet receivers list": [],
    "rapsheet receivers set": ["CA0370000", "html"],
    "rapsheet responders add": ["CA0370000", "CA"],
    "rapsheet responders list": [],
    "rapsheet responders remove": ["CA0370000"],
    "namus account": ["CA0370000"],
    "namus cert add": ["CA0370000", "{csv}"],
    "namus cert list": ["CA0370000"],
    "namus cert remove": ["CA0370000", "ab"],
    "namus regions list": [],
    "namus regions set": ["CA", "9"],
    "users add": ["someone", "--role", "admin", "--email", "a@example.org"],
    "users list": [],
    "users regions": ["someone"],
    "users suspend": ["someone"],
    "users activate": ["someone"],
    "users set-password": ["someone", "--password-stdin"],
    "users totp": ["someone"],
}

# The rest, which need no database or make it.
# backup and restore have their own tests (tests/test_backup.py): a restore makes the database.
NO_DATABASE = {"db upgrade", "validate", "icd", "submit", "sftp host-key", "backup", "restore"} | {
    f"rapsheet {c}" for c in ("merge", "render", "summary")
}


def test_the_walk_covers_every_command() -> None:
    every = _leaves(typer.main.get_command(app))  # type: ignore[arg-type]
    assert every == set(NEEDS_DATABASE) | NO_DATABASE


def _args(command: str, args: list[str], folder: Path) -> list[str]:
    csv = folder / "codes.csv"
    csv.write_text("name\nGOTHAM\n")
    return [*command.split(), *(a.format(csv=csv) for a in args)]


@pytest.mark.parametrize("command", NEEDS_DATABASE)
def test_without_a_database_every_command_says_run_db_upgrade(folder: Folder, command: str) -> None:
    before = folder.files()
    result = runner.invoke(
        app, _args(command, NEEDS_DATABASE[command], folder.root), input="a-long-password\n"
    )
    clean(result)
    assert result.exit_code == 3, result.output
    assert result.stderr == (
        f"error: no database at {folder.data / 'jdx.db'}: run `jdx db upgrade` to create it, or "
        "set JDX_DATA_DIR to the folder that holds one\n"
    )
    assert folder.files() - before == {folder.root / "codes.csv"}  # no database made


@pytest.mark.parametrize("command", ["agency list", "db check", "mail send", "users totp"])
def test_an_empty_database_is_not_migrated(folder: Folder, command: str) -> None:
    folder.data.mkdir(parents=True)
    (folder.data / "jdx.db").touch()  # a database file with nothing in it
    result = runner.invoke(app, _args(command, NEEDS_DATABASE[command], folder.root))
    clean(result)
    assert result.exit_code in (1, 3) and NOT_MIGRATED.replace("`", "") in result.stderr.replace(
        "`", ""
    )


@pytest.mark.parametrize("command", ["agency list", "db upgrade", "tables list", "serve"])
def test_a_database_that_does_not_answer_is_one_line(
    folder: Folder, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JDX_DATABASE_URL", "postgresql://jdx:secret@127.0.0.1:1/jdx")
    result = runner.invoke(app, _args(command, NEEDS_DATABASE.get(command, []), folder.root))
    clean(result)
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(
        "error: the database postgresql://jdx:***@127.0.0.1:1/jdx does not answer: "
    )
    assert "secret" not in result.output and result.stderr.count("\n") == 1


@pytest.fixture
def migrated(hub: Hub, folder: Folder, monkeypatch: pytest.MonkeyPatch) -> Hub:
    """The test database (migrated, domain tables loaded), from the fresh folder."""
    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    return hub


# Wrong input on a working hub: (arguments, exit code, what stderr says). {ori} is an agency
# that exists, {junk} a file of every byte, {xml} a broken XML file, {dir} a folder, {missing} a
# path that is not there.
WRONG_INPUT: list[tuple[str, int, str]] = [
    ("validate stops {missing}", 2, "Invalid value for 'file'"),  # Click's own, in a box
    ("validate stops {dir}", 2, "Invalid value for 'file'"),
    ("validate stops {junk}", 1, "error: junk.bin: line 1 is not JSON"),
    ("validate cars {junk}", 1, "error: unknown kind 'cars'"),
    ("icd stops --out {junk}", 1, "junk.bin: File exists"),
    ("icd boats", 1, "error: unknown kind 'boats'"),
    ("submit {junk} --key k --url http://127.0.0.1:1", 1, "error: http://127.0.0.1:1/"),
    ("submit {junk} --sftp --user {ori} --password p --port 1", 1, "error: SFTP: "),
    ("submit {junk} --sftp --user {ori} --identity {junk} --port 1", 1, "error: SFTP: "),
    ("submit {junk} --key k --url http://[::1", 1, "error: not a usable URL: Invalid port"),
    ("db upgrade nowhere", 1, "error: Can't locate revision identified by 'nowhere'"),
    ("db downgrade nowhere", 1, "error: Can't locate revision identified by 'nowhere'"),
    ("agency add CA01 --name x", 1, "error: "),
    ("agency key ZZ9999999", 1, "error: no agency ZZ9999999"),
    ("agency suspend ZZ9999999", 1, "error: "),
    ("agency activate ZZ9999999", 1, "error: "),
    ("agency notify ZZ9999999 --daily", 1, "error: "),
    ("tables load planets {junk}", 1, "error: no dictionary uses a domain table 'planets'"),
    ("tables load city {junk}", 1, "error: junk.bin: not a UTF-8 CSV file"),
    ("sftp enable ZZ9999999", 1, "error: no agency ZZ9999999"),
    ("sftp disable ZZ9999999", 1, "error: no agency ZZ9999999"),
    ("sftp add-key {ori} {junk}", 1, "error: "),
    ("sftp add-key ZZ9999999 {junk}", 1, "error: no agency ZZ9999999"),
    ("sftp keys ZZ9999999", 1, "error: no agency ZZ9999999"),
    ("sftp remove-key {ori} SHA256:nothing", 1, "has no key SHA256:nothing"),
    ("rapsheet merge {junk} --out {dir}/m.xml", 1, "error: no XML rap sheet"),  # junk: text
    ("rapsheet merge {xml} --out {dir}/m.xml", 1, "error: bad.xml: "),
    ("rapsheet render {xml}", 1, "error: bad.xml: "),
    ("rapsheet summary {junk}", 1, "error: junk.bin: a plain-text rap sheet"),
    ("rapsheet summary {xml}", 1, "error: bad.xml: "),
    ("rapsheet receivers set CA01 html", 1, "is not an ORI"),
    ("rapsheet receivers set {ori} pdf", 1, "error: unknown format 'pdf'"),
    ("namus account ZZ9999999", 1, "error: no agency ZZ9999999"),
    ("namus cert add {ori} {junk}", 1, "error: "),
    ("namus cert list ZZ9999999", 1, "error: no agency ZZ9999999"),
    ("namus cert remove {ori} ab:cd", 1, "error: no certificate"),
    ("namus regions set ZZZ 9", 1, "error: "),
    ("users add x --role wizard --email a@example.org", 1, "error: "),
    ("users add x --role client --email a@example.org --agency ZZ9999999", 1, "no agency"),
    ("users regions nobody-here 1", 1, "error: "),
    ("users suspend nobody-here", 1, "error: "),
    ("users activate nobody-here", 1, "error: "),
    ("users set-password nobody-here --password-stdin", 1, "error: no user nobody-here"),
    ("users totp nobody-here", 1, "error: no user nobody-here"),
]


@pytest.mark.parametrize(("line", "code", "says"), WRONG_INPUT, ids=[w[0] for w in WRONG_INPUT])
def test_wrong_input_is_one_line_never_a_traceback(
    migrated: Hub, folder: Folder, line: str, code: int, says: str
) -> None:
    junk = folder.root / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    xml = folder.root / "bad.xml"
    xml.write_bytes(b'<rapSheet version="2.00"><unclosed>')
    ori = new_agency(migrated).ori if "{ori}" in line else ""
    paths = {"junk": junk, "xml": xml, "dir": folder.root, "missing": folder.root / "nope"}
    args = line.format(ori=ori, **paths).split()
    result = runner.invoke(app, args, input="a-long-password\n")
    clean(result)
    assert result.exit_code == code, result.output
    assert says in " ".join(result.stderr.split()), result.stderr
    if code == 1:
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


BROKEN_SETTINGS = {
    "no settings file": ({"JDX_CONFIG": "{root}/none.toml"}, "the settings file "),
    "not TOML": ({"JDX_CONFIG": "{root}/bad.toml"}, "bad.toml is not TOML: "),
    "unknown setting": ({"JDX_CONFIG": "{root}/nope.toml"}, "nope (JDX_NOPE): Extra inputs"),
    "not a number": ({"JDX_PORT": "eighty"}, "port (JDX_PORT): Input should be a valid integer"),
    "not a URL": ({"JDX_DATABASE_URL": "nonsense"}, "(JDX_DATABASE_URL): Value error, not a"),
    "MySQL": ({"JDX_DATABASE_URL": "mysql://u:pw@h/db"}, "mysql: jdx runs on SQLite"),
}


@pytest.mark.parametrize("case", BROKEN_SETTINGS)
@pytest.mark.parametrize("command", ["agency list", "sftp host-key", "validate"])
def test_broken_settings_are_one_line(
    folder: Folder, monkeypatch: pytest.MonkeyPatch, case: str, command: str
) -> None:
    (folder.root / "bad.toml").write_text("port = \n")
    (folder.root / "nope.toml").write_text("nope = 1\n")
    stops, _ = _stops(folder)
    env, says = BROKEN_SETTINGS[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(root=folder.root))
    args = [*command.split(), *(["stops", str(stops)] if command == "validate" else [])]
    result = runner.invoke(app, args)
    clean(result)
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith("error: ") and says in result.stderr
    assert result.stderr.count("\n") == 1 and "pw" not in result.stderr


def test_a_data_folder_that_is_a_file_is_one_line(
    folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JDX_DATA_DIR", str(folder.root / "home" / "file"))
    (folder.root / "home" / "file").write_text("")
    result = runner.invoke(app, ["sftp", "host-key"])
    clean(result)
    assert result.exit_code == 1 and result.stderr == (
        f"error: {folder.root / 'home' / 'file' / 'sftp'}: Not a directory\n"
    )


def test_a_bug_keeps_its_traceback_and_exits_70(
    folder: Folder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> None:
        raise KeyError("a bug")

    monkeypatch.setattr("jdx.cli.tables.open_hub", broken)
    monkeypatch.setattr(sys, "argv", ["jdx", "tables", "list"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 70
    err = capsys.readouterr().err
    assert "KeyError" in err and "a bug in jdx" in err
