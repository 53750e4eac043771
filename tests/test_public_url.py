"""Links in mail lead to where the hub serves: ``public_url`` follows ``host`` and ``port``
unless it is set (``jdx serve --port 8101`` mailed links to port 8000 before)."""

from __future__ import annotations

import socket
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jdx.cli import app as cli
from jdx.cli import serve
from jdx.hub import Hub
from jdx.notify.mail import enqueue
from jdx.notify.notifier import Notifier
from jdx.settings import Settings, load_settings

runner = CliRunner()
HOST_NAME = socket.gethostname()


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A data folder of its own; no JDX_* variable of the caller's shell (`jdx serve` sets
    JDX_HOST and JDX_PORT from its options: monkeypatch takes them back afterwards)."""
    for name in ("HOST", "PORT", "WORKERS", "PUBLIC_URL", "CONFIG", "SMTP_HOST"):
        monkeypatch.delenv(f"JDX_{name}", raising=False)
    monkeypatch.setenv("JDX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JDX_DATABASE_URL", "")
    # `jdx serve` names its workers' metrics folder in the environment: taken back afterwards
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "run" / "metrics"))
    return monkeypatch


def test_public_url_follows_host_and_port(environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_settings().public_url == "http://127.0.0.1:8000"
    environment.setenv("JDX_PORT", "8101")
    assert load_settings().public_url == "http://127.0.0.1:8101"
    environment.setenv("JDX_HOST", "0.0.0.0")  # noqa: S104 (nothing listens)
    assert load_settings().public_url == f"http://{HOST_NAME}:8101"
    assert load_settings(host="::").public_url == f"http://{HOST_NAME}:8101"
    assert load_settings(host="::1").public_url == "http://[::1]:8101"
    environment.delenv("JDX_HOST")  # the environment beats the file
    config = tmp_path / "jdx.toml"
    config.write_text('host = "hub.example"\n')
    assert load_settings(config).public_url == "http://hub.example:8101"
    # Set, it is taken as it is: the address of a proxy in front, say.
    environment.setenv("JDX_PUBLIC_URL", "https://jdx.example.gov")
    assert load_settings().public_url == "https://jdx.example.gov"


@pytest.mark.parametrize(
    ("args", "variables", "expected"),
    [
        (["--port", "8123"], {}, "127.0.0.1:8123"),
        ([], {"JDX_PORT": "8101"}, "127.0.0.1:8101"),
        (["--host", "0.0.0.0", "--port", "8124"], {}, f"{HOST_NAME}:8124"),  # noqa: S104
    ],
)
def test_jdx_serve_mails_links_to_its_own_port(
    environment: pytest.MonkeyPatch, args: list[str], variables: dict[str, str], expected: str
) -> None:
    for name, value in variables.items():
        environment.setenv(name, value)
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    served: list[Settings] = []
    mails: list[Any] = []

    def background(hub: Hub) -> serve.Background:
        """In place of the workflows and channels: one mail, sent by the notifier `jdx serve`
        would run (no SMTP server: it is written to the outbox folder)."""
        with hub.engine.begin() as conn:
            enqueue(
                conn, key="k1", agency_id=None, recipients=["a@example.org"], subject="s", body="b"
            )
        assert Notifier(hub.engine, hub.settings).send_due().mails == 1
        for path in (hub.settings.data_dir / "outbox").glob("*.eml"):
            mails.append(BytesParser(policy=default).parsebytes(path.read_bytes()))
        return serve.Background()

    environment.setattr(serve, "start_background", background)

    def run_http(settings: Settings, listener: object = None) -> None:
        served.append(settings)  # in place of uvicorn: what it would have been given

    environment.setattr(serve, "run_http", run_http)
    result = runner.invoke(cli, ["serve", *args])
    assert result.exit_code == 0, result.output
    assert [s.public_url for s in served] == [f"http://{expected}"]
    (mail,) = mails
    assert f"sent automatically by the jdx hub at {expected}." in mail.get_content()
