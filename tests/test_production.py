"""``JDX_ENVIRONMENT=production``: `jdx serve` refuses a trial's settings and data, each named
with what to do, and starts once they are fixed (issue 16, finding 8)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx
import pytest
from bench import processes

from tests.channels.http.test_nginx_certs import free_port, jdx, wait_for_port

pytestmark = pytest.mark.server


def serve(env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """`jdx serve`, which should refuse at once; one that starts instead is stopped (its group
    with it) when the time-out ends the run, and the test fails."""
    return processes.run(
        [sys.executable, "-m", "jdx", "serve"],
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    )


def demo_hub(tmp: Path) -> dict[str, str]:
    """A hub after `jdx demo` (every domain table loaded, so that nothing else is missing),
    in production, listening on a Unix socket when it starts."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JDX_")},
        "JDX_DATA_DIR": str(tmp / "data"),
        "JDX_PORT": str(free_port()),
        "JDX_SFTP": "off",
        "JDX_UDS": str(tmp / "jdx.sock"),
    }
    jdx(env, "db", "upgrade")
    processes.run([sys.executable, "-m", "jdx", "demo"], env=env, capture_output=True, check=True)
    return {**env, "JDX_ENVIRONMENT": "production"}


def clean(env: dict[str, str]) -> dict[str, str]:
    """The demo's users and agency suspended, its secrets file deleted."""
    for user in ("demo-admin", "demo-rps", "demo-client"):
        jdx(env, "users", "suspend", user)
    jdx(env, "agency", "suspend", "CA0370000")
    (Path(env["JDX_DATA_DIR"]) / "demo-keys.json").unlink(missing_ok=True)
    return env


@pytest.fixture(scope="module")
def clean_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return clean(demo_hub(tmp_path_factory.mktemp("production")))


def test_the_demo_is_refused_then_a_fixed_hub_starts_on_its_socket(tmp_path: Path) -> None:
    demo_env = demo_hub(tmp_path)
    refused = serve(demo_env)
    assert refused.returncode == 3, refused.stderr
    said = refused.stderr.decode()
    assert "JDX_ENVIRONMENT=production refuses to start" in said
    for expected in (
        "`jdx users suspend demo-admin`",
        "`jdx users suspend demo-client`",
        "`jdx users suspend demo-rps`",
        "`jdx agency suspend CA0370000`",
        "demo-keys.json holds the demo's keys and passwords: delete it",
    ):
        assert expected in said
    env = clean(demo_env)
    log = tmp_path / "serve.log"
    with (
        log.open("wb") as out,
        processes.group(
            [sys.executable, "-m", "jdx", "serve"], env=env, stdout=out, stderr=out
        ) as hub,
    ):
        wait_for_port(Path(env["JDX_UDS"]), hub, "jdx serve", log)
        transport = httpx.HTTPTransport(uds=env["JDX_UDS"])
        with httpx.Client(transport=transport, base_url="http://hub", timeout=15) as client:
            assert client.get("/healthz").json()["empty_domain_tables"] == []


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        (
            {"JDX_TRUSTED_PROXIES": '["127.0.0.1"]'},
            "JDX_TRUSTED_PROXIES=['127.0.0.1'] trusts a proxy over TCP",
        ),
        (
            {"JDX_TRUSTED_PROXIES": '["10.0.0.5"]', "JDX_PROXY_SECRET": "change-me"},
            "JDX_PROXY_SECRET is a placeholder or shorter than 32 characters",
        ),
        (
            {"JDX_NAMUS_REQUIRE_CLIENT_CERT": "false"},
            "JDX_NAMUS_REQUIRE_CLIENT_CERT=false lets a NamUs import key work without",
        ),
    ],
)
def test_unsafe_settings_are_refused(
    clean_env: dict[str, str], setting: dict[str, str], said: str
) -> None:
    refused = serve({**clean_env, **setting})
    assert refused.returncode == 3, refused.stderr
    assert said in refused.stderr.decode()
    assert "demo" not in refused.stderr.decode()  # fixed: only the setting is named


def test_a_tcp_proxy_with_a_long_secret_is_allowed(clean_env: dict[str, str]) -> None:
    secret = "9f" * 32
    env = {**clean_env, "JDX_TRUSTED_PROXIES": '["10.0.0.5"]', "JDX_PROXY_SECRET": secret}
    with processes.group(
        [sys.executable, "-m", "jdx", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as hub:
        wait_for_port(Path(env["JDX_UDS"]), hub, "jdx serve", Path(os.devnull))
