"""One settings object, read from ``JDX_*`` environment variables and an optional TOML file.

``load_settings()`` is called by the CLI and by tests; nothing reads settings at import time, so a
test can build a hub with any settings it likes.
"""

from __future__ import annotations

import socket
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
import sqlalchemy as sa
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The database drivers the hub is built and tested with (postgresql:// means psycopg 3 here).
SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")


def default_data_dir() -> Path:
    """The per-user data folder (``~/.local/share/jdx`` on Linux, ``$XDG_DATA_HOME/jdx`` when
    that is set): ``jdx`` finds the same hub from whatever folder it is run in. Read when
    settings are loaded, never at import, so that tests can point ``XDG_DATA_HOME`` elsewhere."""
    return platformdirs.user_data_path("jdx")


class Settings(BaseSettings):
    """Every setting with its default; ``docs/settings.md`` is generated from these fields."""

    model_config = SettingsConfigDict(env_prefix="JDX_", extra="forbid")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the embedded database, outboxes and SFTP homes. Default: the "
        "per-user data folder (~/.local/share/jdx on Linux, $XDG_DATA_HOME/jdx when set), "
        "whatever folder jdx runs in; `make run` and `make test` set ./var of the checkout.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means SQLite in data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    environment: Literal["development", "production"] = Field(
        "development",
        description="production: `jdx serve` refuses to start while a setting or data of a "
        "trial is there (a TCP proxy without proxy_secret, namus_require_client_cert off, the "
        "demo's users, agency or keys file) or a domain table is empty; docs/operations.md, "
        "'Production settings'.",
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
    bulk_workers: int = Field(
        1,
        ge=0,
        description="Worker processes per hub process that bind and validate the records of "
        "XLSX and delimited batch files while the hub's process stores them (started on the "
        "first file); 0: the hub's process does it all. A worker, with the forkserver it is "
        "started from, adds about 150 MB.",
    )
    bulk_columnar: bool = Field(
        True,
        description="Pipe-delimited batch files are read, checked and bound as columns "
        "(Polars, in a worker process of its own when bulk_workers > 0), and only the stops "
        "with a finding go through the record path one by one; the outcomes are the record "
        "path's either way. About 2.7 times the record path's pace at a third less CPU "
        "(docs/benchmarks.md, issue 20); false: every file by the record path.",
    )
    domain_refresh_seconds: float = Field(
        10.0, description="How often a process looks for domain tables reloaded by another one."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO",
        description="INFO logs one line per submission; at thousands of submissions a second "
        "WARNING saves the hub that work (the audit table records every attempt either way).",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="text: one line per record, `TIME LOGGER LEVEL MESSAGE`; json: one JSON "
        "object per line (time, level, logger, message, request_id, exception), for a log "
        "shipper, with the id of the request each record belongs to. Either way every record is "
        "one line (docs/operations.md, 'Monitoring').",
    )
    otlp_traces_endpoint: str = Field(
        "",
        description="OpenTelemetry tracing: the OTLP/HTTP traces endpoint of a collector (e.g. "
        "http://collector:4318/v1/traces) to which every `jdx serve` process sends a span per "
        "HTTP request; empty (the default): no tracing. Needs the `tracing` extra "
        "(pip install 'jdx[tracing]').",
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="How long the web service's submissions trust a key they have checked; a "
        "revoked key is refused by every process within this time (0: check every request). A "
        "suspended agency is refused at once, whatever this is.",
    )
    password_hashes_at_once: int = Field(
        4,
        ge=1,
        description="Password hashes (argon2id, 19 MiB and a core each) one process computes at "
        "once, portal and SFTP together; a login finding no free slot waits "
        "password_hash_wait_seconds, then gets 503 with Retry-After (SFTP: refused).",
    )
    password_hash_wait_seconds: float = Field(
        5.0, ge=0, description="How long a login waits for a password hashing slot."
    )
    uds: Path | None = Field(
        None,
        description="Unix socket `jdx serve` listens on instead of host:port, for the proxy "
        "in front (nginx: `server unix:PATH;`). Only the socket's owner and group may connect "
        "(mode 0660), and the proxy's forwarded headers (client certificate, client address, "
        "scheme) are believed on this socket: no other local process can forge them.",
    )
    uds_group: str = Field(
        "",
        description="Group the Unix socket (uds) is given, the proxy's (nginx: www-data or "
        "nginx); empty: the group of `jdx serve`'s process.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of a proxy reaching the hub over TCP whose forwarded "
        "headers (client certificate, client address, scheme) are believed; with proxy_secret "
        "set, only on requests carrying it. Default none: put the proxy on the Unix socket "
        "(uds). Any local process can connect from 127.0.0.1, so production refuses a TCP "
        "proxy without proxy_secret.",
    )
    proxy_secret: str = Field(
        "",
        description="For a proxy that must reach the hub over TCP: a random value of at least "
        "32 characters (e.g. `openssl rand -hex 32`) the proxy sends in X-JDX-Proxy-Secret; a "
        "trusted_proxies address is believed only when it matches (compared in constant time).",
    )
    request_header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="A request's headers must arrive within this time (from the connection, or "
        "from the first byte of the next request on a kept-alive one); else the hub answers 408 "
        "and closes the connection.",
    )
    request_body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="The hub waits at most this long for each part of a request body, and for "
        "the whole body this long plus one second per request_body_min_rate bytes received: a "
        "body trickled slower is answered 408 and its connection closed.",
    )
    request_body_min_rate: int = Field(
        1024,
        ge=1,
        description="Bytes per second a request body must average (after the first "
        "request_body_timeout_seconds); see request_body_timeout_seconds.",
    )

    node_id: str = Field(
        "local",
        description="This node's name, unique among the nodes sharing one PostgreSQL database: "
        "a restarted node resumes the file workflows it had started.",
    )
    node_dead_seconds: float = Field(
        30.0,
        ge=1,
        description="PostgreSQL: a node whose heartbeat (written every sixth of this) is older "
        "than this is taken as dead, and another node takes over its workflows in flight "
        "(docs/operations.md, 'Takeover'). Too short, and a node that is only slow has its work "
        "started again elsewhere (safe, but done twice).",
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
    onestop_summary_seconds: float = Field(
        60.0,
        ge=0,
        description="An agency mailed per file gets the notices of its one-stop files (record "
        "files of at most 256 KiB, answered by the small-file lane) in one summary mail this "
        "many seconds after the file, with every notice due by then (docs/conformance.md, "
        "decision 26).",
    )
    archive_days: int = Field(
        90, description="Days a received file is kept in the hub's archive; 0 keeps none."
    )
    file_store: Literal["auto", "disk", "database"] = Field(
        "auto",
        description="Where the agencies' folders (INPUT, OUTPUT, the DOJ layout) and the hub's "
        "processing, archive and refused files are kept: database, in the hub's database, "
        "PostgreSQL only, which every node sharing it sees (a file received by one node is "
        "processed and answered by any); disk, under data_dir/sftp and data_dir/files, this "
        "node's alone; auto: database on PostgreSQL, disk on SQLite (docs/operations.md, "
        "'Several nodes').",
    )
    output_retention_days: int = Field(
        30,
        ge=0,
        description="Days the hub's answers (error files, response reports, logs) stay in an "
        "agency's OUTPUT and responses_from_DOJ folders unless the agency deletes them first; "
        "0 keeps them until deleted. Pruned hourly by `jdx serve`.",
    )
    # --- NamUs case import (seed 000) ------------------------------------------------------------
    namus_max_cases_per_job: int = Field(
        100,
        ge=1,
        description="Default cases per import job (the seed: no more than 100); per account in "
        "client_limits.",
    )
    namus_max_job_bytes: int = Field(
        2_097_152,
        ge=1,
        description="Default largest import job body (bytes); per account in client_limits.",
    )
    namus_max_jobs_per_day: int = Field(
        200,
        ge=1,
        description="Default import jobs an account may send in any 24 hours; per account in "
        "client_limits.",
    )
    namus_require_client_cert: bool = Field(
        True,
        description="Require, besides the key, a client certificate registered to the same "
        "account on /namus/v1 (verified by the TLS proxy and forwarded in X-SSL-Client-Cert / "
        "X-SSL-Client-Verify by a trusted_proxies address). Turn off only for local trials.",
    )
    namus_regions_file: Path | None = Field(
        None,
        description="CSV of state,region rows (NCIC state codes) deciding each case's RPS region; "
        "unset: the demo table (the ten federal regions).",
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
        "",
        description="The hub's address as agencies see it, in the links of its mail. Unset: "
        "http://HOST:PORT of `jdx serve` (host and port, with their variables and options), "
        "where a host of 0.0.0.0 or :: (every address, none of them reachable as such) is "
        "replaced by the machine's host name. Set it when a proxy or TLS is in front.",
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

    # --- interstate criminal history (seed 002) ----------------------------------------------
    rap_timeout_seconds: float = Field(
        600.0,
        gt=0,
        description="How long a multi-source rap sheet merge waits for its portions after the "
        "FBI/III notification; then what arrived is delivered with a caveat naming each missing "
        "portion (seed 2.5, which leaves the threshold to the operator).",
    )
    rap_sweep_seconds: float = Field(
        15.0,
        gt=0,
        description="How often `jdx serve` looks for merges past their time limit and for "
        "outbox deliveries past their retention.",
    )
    rap_notifiers: list[str] = Field(
        ["DCFBIWA00"],
        description="ORIs allowed to send FBI/III EL01/FL01 notifications (seed 2.3: only the "
        "FBI/III sends them); any other agency gets 403. The seed names no ORI; the default is "
        "the FBI's (CJIS) ORI of the project's examples. As a variable: a JSON list, e.g. "
        "JDX_RAP_NOTIFIERS='[\"DCFBIWA00\"]'.",
    )
    rap_outbox_days: float = Field(
        30.0,
        gt=0,
        description="Days a fetched rap sheet delivery stays in the receiver's outbox (counted "
        "from its first fetch); then the time-out sweep deletes it. The delivery log stays.",
    )
    rap_outbox_unfetched_days: float = Field(
        90.0,
        gt=0,
        description="Days a never-fetched delivery stays in the outbox (counted from delivery) "
        "before the sweep deletes it; should be longer than rap_outbox_days.",
    )

    @field_validator("rap_notifiers")
    @classmethod
    def _oris(cls, value: list[str]) -> list[str]:
        oris = [ori.strip().upper() for ori in value]
        bad = [ori for ori in oris if len(ori) != 9 or not ori.isalnum()]
        if bad:
            raise ValueError(f"not ORIs (9 letters and digits): {', '.join(bad)}")
        return oris

    @model_validator(mode="after")
    def _public_url(self) -> Settings:
        if not self.public_url:
            self.public_url = served_url(self.host, self.port)
        return self

    @model_validator(mode="after")
    def _files_in_postgresql(self) -> Settings:
        # SQLite has one writer at a time: an answer written into the folders while the file's
        # own transaction is open would wait for itself. A hub on SQLite is one node anyway.
        if self.file_store == "database" and self.is_sqlite:
            raise ValueError("file_store=database needs PostgreSQL (SQLite keeps files on disk)")
        return self

    @field_validator("database_url")
    @classmethod
    def _supported(cls, value: str) -> str:
        # Refused here, with the settings' other mistakes, rather than by the first command
        # that connects (a parse error or a missing driver module).
        if not value:
            return value
        try:
            driver = sa.make_url(value).drivername
        except sa.exc.ArgumentError:
            raise ValueError("not a database URL") from None  # never echo it: a password
        if driver not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"{driver}: jdx runs on SQLite (sqlite:///path/jdx.db) or PostgreSQL "
                "(postgresql+psycopg://user@host/db)"
            )
        return value

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

    @property
    def files_in_database(self) -> bool:
        """Whether the stop-data folders are kept in the database (``file_store``)."""
        return self.file_store == "database" or (self.file_store == "auto" and not self.is_sqlite)


# Listening on every address: a client can reach none of these as written.
ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104 (recognised here, never bound)


def served_url(host: str, port: int) -> str:
    """The address a client reaches `jdx serve` at, from what it listens on.

    For every address the machine's host name is the best guess at one that others can reach
    (127.0.0.1 would be the reader's own machine); it is a guess, hence ``public_url``.
    """
    name = socket.gethostname() if host in ANY_ADDRESS else host
    if ":" in name:  # an IPv6 address, bracketed in a URL
        name = f"[{name}]"
    return f"http://{name}:{port}"


class SettingsFileError(ValueError):
    """The settings file (``$JDX_CONFIG``) cannot be read: the CLI says so in one line."""


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from (lowest first) defaults, the TOML file, ``JDX_*`` variables, ``overrides``.

    The TOML file is ``config_file`` or ``$JDX_CONFIG``; its keys are the setting names.
    """
    import os

    path = config_file or (Path(os.environ["JDX_CONFIG"]) if os.environ.get("JDX_CONFIG") else None)
    from_file: dict[str, Any] = {}
    if path is not None:
        try:
            with path.open("rb") as fh:
                from_file = tomllib.load(fh)
        except OSError as exc:
            raise SettingsFileError(f"the settings file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsFileError(f"the settings file {path} is not TOML: {exc}") from exc
    env_set = {name for name in Settings.model_fields if f"JDX_{name.upper()}" in os.environ}
    # Environment beats file: drop file keys the environment sets, then let pydantic read env.
    init = {k: v for k, v in from_file.items() if k not in env_set}
    init.update(overrides)
    return Settings(**init)
