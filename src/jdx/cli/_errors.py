"""The one place where a user's mistake becomes ``error: <message>`` and an exit code.

Commands call :func:`jdx.cli._common.fail` for the mistakes they look for themselves; the
errors below can come out of any command (a file that cannot be read, a database that does not
answer, settings that do not parse) and are turned into the same one line by the top-level
command group (``jdx.cli.JdxGroup``), so that no command needs its own ``try``.

Anything else is a bug in jdx: it keeps its full traceback, which is what a bug report needs
and what a rerun might not reproduce, and exits with :data:`EXIT_BUG` (see ``jdx.cli.main``).
"""

from __future__ import annotations

# Exit codes; `jdx --help` and the README list them.
EXIT_REFUSED = 1  # the input or the request is wrong: a bad file, an unknown ORI, record errors
EXIT_USAGE = 2  # Click's own: an unknown command or option, a FILE argument that is not there
EXIT_SETUP = 3  # settings that do not parse, a database that does not answer or is not migrated
EXIT_BUG = 70  # EX_SOFTWARE (sysexits.h): a bug in jdx; its traceback is printed

EXIT_CODES_HELP = (
    f"Exit codes: 0 done; {EXIT_REFUSED} refused (bad input, unknown ORI, records with errors); "
    f"{EXIT_USAGE} usage; {EXIT_SETUP} settings or database (not answering, not migrated: run "
    f"`jdx db upgrade`); {EXIT_BUG} a bug in jdx (traceback printed)."
)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def describe(exc: Exception) -> tuple[str, int] | None:
    """The message and exit code of a user-facing error; None for anything else (a bug)."""
    import httpx2 as httpx
    import pydantic
    import sqlalchemy as sa
    from alembic.util import CommandError

    from jdx.security.credentials import CredentialError
    from jdx.settings import SettingsFileError
    from jdx.store.queries import StoreError

    if isinstance(exc, OSError):  # a path that is missing, unreadable, a folder, a full disk
        if exc.filename is not None and exc.strerror:
            return f"{exc.filename}: {exc.strerror}", EXIT_REFUSED
        return first_line(exc), EXIT_REFUSED
    if isinstance(exc, StoreError | CredentialError | CommandError):  # refused, with a reason
        return first_line(exc), EXIT_REFUSED
    if isinstance(exc, httpx.TransportError):  # `jdx submit`: the hub does not answer
        return f"{exc.request.url}: {first_line(exc)}", EXIT_REFUSED
    if isinstance(exc, httpx.InvalidURL):  # `jdx submit --url`
        return f"not a usable URL: {first_line(exc)}", EXIT_REFUSED
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        # The connection failed (refused, bad password, unreadable file) or SQLite is locked;
        # the URL is the settings' with its password hidden.
        why = first_line(exc.orig or exc)
        return f"the database {_database()} does not answer: {why}", EXIT_SETUP
    if isinstance(exc, pydantic.ValidationError) and exc.title == "Settings":
        wrong = "; ".join(f"{_setting(e['loc'])}: {e['msg']}" for e in exc.errors())
        return f"invalid settings (JDX_* variables or JDX_CONFIG): {wrong}", EXIT_SETUP
    if isinstance(exc, SettingsFileError):
        return first_line(exc), EXIT_SETUP
    return None


def _setting(loc: tuple[int | str, ...]) -> str:
    """A setting as the operator sets it: ``port`` in the file, ``JDX_PORT`` in the shell."""
    return f"{loc[0]} (JDX_{str(loc[0]).upper()})" if loc else "settings"


def _database() -> str:
    from sqlalchemy import make_url

    from jdx.settings import load_settings

    try:
        url = load_settings().effective_database_url
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # settings that loaded a moment ago; a name is only a nicety here
        return "(JDX_DATABASE_URL)"
