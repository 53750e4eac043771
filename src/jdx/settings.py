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

    node_id: str = Field(
        "local",
        description="This node's name, unique among the nodes sharing one PostgreSQL database: "
        "a restarted node resumes the file workflows it had started.",
    )
    # --- batch channel (seed 001, "Secure File Transfer") --------------------------------------
    sftp: Literal["embedded", "folder", "off"] = Field(
        "embedded",
        description="embedded: `jdx serve` runs an SFTP server; folder: it watches the SFTP homes "
        "under data_dir/sftp that an OpenSSH server writes to; off: no file channel.",
    )
    sftp_host: str = Field("127.0.0.1", description="Address of the embedded SFTP server.")
    sftp_port: int = Field(2222, description="Port of the embedded SFTP server.")
    folder_settle_seconds: float = Field(
        5.0,
        description="Folder mode: a file is taken once its size and time have not changed for "
        "this long (an upload still being written is left alone).",
    )
    bulk_calling_apps: list[str] = Field(
        default_factory=lambda: ["LEAFTP"],
        description="CallingApplication values (Table 5) of bulk processes: their web service "
        "records with errors are also collected into a daily error file in OUTPUT and mailed.",
    )
    bulkws_idle_minutes: float = Field(
        60.0,
        gt=0,
        description="A bulk caller's batch of web service errors is closed (error file, mail) "
        "after this many minutes without a new one, and at the end of the UTC day.",
    )
    max_file_bytes: int = Field(
        2_147_483_648, description="Largest batch file accepted (bytes); larger is a file error."
    )
    archive_days: int = Field(
        90, description="Days a received file is kept in the hub's archive; 0 keeps none."
    )
    # --- e-mail ----------------------------------------------------------------------------------
    smtp_host: str = Field(
        "", description="SMTP server; empty writes mail to data_dir/outbox as .eml files instead."
    )
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_user: str = Field("", description="SMTP user name, if the server wants one.")
    smtp_password: str = Field("", description="SMTP password.")
    smtp_tls: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="How the SMTP connection is secured."
    )
    mail_from: str = Field("jdx@localhost", description="Sender address of the hub's mail.")
    digest_hour: int = Field(
        6, ge=0, le=23, description="Hour (UTC) at which daily digests are sent."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="The hub's address as agencies see it (for mail)."
    )
    mail_poll_seconds: float = Field(
        5.0, gt=0, description="How often `jdx serve` looks for mail that is due."
    )
    mail_max_attempts: int = Field(
        10,
        ge=1,
        description="Tries per mail before the notifier gives up (logged; `jdx mail list` shows "
        "it). The waits between tries double from 1 minute up to 1 hour.",
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
