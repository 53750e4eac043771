"""One settings object, read from ``JDX_*`` environment variables and an optional TOML file.

``load_settings()`` is called by the CLI and by tests; nothing reads settings at import time, so a
test can build a hub with any settings it likes.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting with its default; ``docs/settings.md`` is generated from these fields."""

    model_config = SettingsConfigDict(env_prefix="JDX_", extra="forbid")

    data_dir: Path = Field(
        Path("var"), description="Folder for the embedded database, outboxes and SFTP homes."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means SQLite in data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    environment: Literal["development", "production"] = Field(
        "development", description="production refuses unsafe defaults"
    )
    host: str = Field("127.0.0.1", description="Address `jdx serve` listens on.")
    port: int = Field(8000, description="Port `jdx serve` listens on.")
    workers: int = Field(1, description="HTTP worker processes for `jdx serve`.")
    max_body_bytes: int = Field(
        1_048_576,
        description="Largest request body accepted (bytes); a stop record is a few kilobytes.",
    )
    sdcs_strict_headers: bool = Field(
        False,
        description="Require every request header of the seed's Table 5 (ORI, LEARecordID, "
        "OfficerUID, StopDate, StopTime, BrowserType, ResourceType, CallingApplication). When "
        "false, missing headers are taken from the body; headers that are sent are always checked.",
    )
    domain_refresh_seconds: float = Field(
        10.0, description="How often a process looks for domain tables reloaded by another one."
    )
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="Addresses whose forwarded headers (client certificate, client address) are "
        "trusted.",
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'jdx.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from (lowest first) defaults, the TOML file, ``JDX_*`` variables, ``overrides``.

    The TOML file is ``config_file`` or ``$JDX_CONFIG``; its keys are the setting names.
    """
    import os

    path = config_file or (Path(os.environ["JDX_CONFIG"]) if os.environ.get("JDX_CONFIG") else None)
    from_file: dict[str, Any] = {}
    if path is not None:
        with path.open("rb") as fh:
            from_file = tomllib.load(fh)
    env_set = {name for name in Settings.model_fields if f"JDX_{name.upper()}" in os.environ}
    # Environment beats file: drop file keys the environment sets, then let pydantic read env.
    init = {k: v for k, v in from_file.items() if k not in env_set}
    init.update(overrides)
    return Settings(**init)
