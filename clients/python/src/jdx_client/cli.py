"""``jdx-submit FILE`` (and ``jdx submit FILE``): the agencies' client for batch files, over HTTP
or SFTP.

It uploads the file with a progress bar, waits for the hub to process it, and downloads the
results (error file, response report, processor log) next to it or into ``--out``. Over HTTP
it needs the hub's address and the agency's API key; over SFTP (``--sftp``) the SFTP server's
address, the ORI and a password or key. Agencies can run it from any machine: it imports
nothing of the hub, and SFTP needs only the ``sftp`` extra (asyncssh).
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

import httpx2 as httpx
import typer

from jdx_client.problems import ProblemError
from jdx_client.progress import Bars
from jdx_client.transfer import StillProcessing, over_http

EXIT_REFUSED = 1  # the file was refused or failed, or records were rejected or have errors
EXIT_HELP = (
    "Exits 1 when the file was refused or failed, or when any of its records was rejected or "
    "stored with errors: the results downloaded beside the file say which, and why."
)
# The exit codes of the command on its own (`jdx submit` shows jdx's, which include these).
EXIT_CODES_HELP = (
    f"Exit codes: 0 done; {EXIT_REFUSED} refused (bad input, the hub refused the file, records "
    "with errors); 2 usage."
)


def submit(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The batch file."),
    url: str = typer.Option(
        "http://127.0.0.1:8000", "--url", envvar="JDX_URL", help="The hub's address."
    ),
    key: str = typer.Option(
        None, "--key", envvar="JDX_API_KEY", help="The agency's API key (HTTP; or JDX_API_KEY)."
    ),
    out: Path = typer.Option(None, "--out", help="Folder for the results (default: beside it)."),
    wait: float = typer.Option(600.0, "--wait", help="Seconds to wait for the processing."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    sftp: bool = typer.Option(False, "--sftp", help="Upload over SFTP instead of HTTP."),
    host: str = typer.Option("127.0.0.1", "--host", envvar="JDX_SFTP_HOST", help="SFTP server."),
    port: int = typer.Option(2222, "--port", envvar="JDX_SFTP_PORT", help="SFTP port."),
    user: str = typer.Option(
        None, "--user", envvar="JDX_SFTP_USER", help="SFTP user: the ORI (default: from the name)."
    ),
    password: str = typer.Option(
        None, "--password", envvar="JDX_SFTP_PASSWORD", help="SFTP password (or JDX_SFTP_PASSWORD)."
    ),
    identity: Path = typer.Option(
        None, "--identity", "-i", exists=True, dir_okay=False, help="SFTP private key file."
    ),
    host_fingerprint: str = typer.Option(
        None,
        "--host-fingerprint",
        envvar="JDX_SFTP_HOST_FINGERPRINT",
        help="The SFTP server's key (SHA256:...) as the hub's operator published it "
        "(default: ~/.ssh/known_hosts).",
    ),
    realm: str = typer.Option("prod", "--realm", help="SFTP: prod or test."),
) -> None:
    """Upload a batch file, wait for its processing and download the results."""
    folder = out or file.parent
    if sftp:
        parts = file.name.split("_")
        user = user or (parts[1] if len(parts) > 2 else "")
        if not user:
            fail("the SFTP user (the ORI) is not in the file name: give --user")
        if not password and not identity:
            fail("an SFTP password (--password or JDX_SFTP_PASSWORD) or key (--identity) is needed")
        if realm not in ("prod", "test"):
            fail("--realm must be prod or test")
        _over_sftp(
            (host, port, user, password, identity, host_fingerprint),
            file,
            folder,
            realm=realm,
            wait=wait,
            quiet=quiet,
        )
        return
    if not key:
        fail("an API key is needed (--key or JDX_API_KEY), or use --sftp")
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with (
            httpx.Client(base_url=url, headers=headers, timeout=60) as client,
            Bars(quiet) as bars,
        ):
            status = over_http(client, file, folder, wait=wait, bars=bars)
    except ProblemError as exc:
        fail(f"the hub refused the file ({exc.status}): {exc}")
    except StillProcessing as exc:
        fail(str(exc))
    except httpx.TransportError as exc:  # the hub does not answer
        fail(f"{exc.request.url}: {_first_line(exc)}")
    except httpx.InvalidURL as exc:
        fail(f"not a usable URL: {_first_line(exc)}")
    except OSError as exc:  # the results' folder cannot be written
        fail(f"{exc.filename}: {exc.strerror}" if exc.filename else _first_line(exc))
    emit(status)
    if status["state"] == "failed" or status["rejected"] or status["with_errors"]:
        raise typer.Exit(EXIT_REFUSED)


def _over_sftp(
    server: tuple[str, int, str, str | None, Path | None, str | None],
    file: Path,
    folder: Path,
    *,
    realm: str,
    wait: float,
    quiet: bool,
) -> None:
    try:
        from jdx_client import sftp
    except ImportError as exc:  # installed without the sftp extra
        fail(f"SFTP needs asyncssh: pip install 'jdx-client[sftp]' ({exc})")
    with Bars(quiet) as bars:
        bars.uploading(file.name, file.stat().st_size)
        try:
            outcome = asyncio.run(
                sftp.submit(
                    sftp.Target(*server),
                    file,
                    realm=realm,
                    out=folder,
                    wait=wait,
                    progress=bars.uploaded,
                    processed=lambda records: bars.processing(records, None),
                )
            )
        # KeyImportError: the --identity file is not a private key (a ValueError, not an Error)
        except (OSError, sftp.asyncssh.Error, sftp.asyncssh.KeyImportError, TimeoutError) as exc:
            fail(f"SFTP: {exc}")
        if outcome.note is not None:
            bars.note(outcome.note)
    emit(asdict(outcome))
    if outcome.failed or outcome.errors:
        raise typer.Exit(EXIT_REFUSED)


def emit(value: Any) -> None:
    """One JSON document on standard output: what scripts read."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)
app.command(epilog=f"{EXIT_HELP} {EXIT_CODES_HELP}")(submit)


def main() -> None:
    """The ``jdx-submit`` console script."""
    app()
