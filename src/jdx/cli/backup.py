"""``jdx backup`` and ``jdx restore``: the database and the data folder, together
(``jdx.backup``; docs/operations.md, "Backup and restore")."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer

from jdx.cli._common import emit, fail


def backup(
    out_dir: Path = typer.Argument(..., help="Folder the backup file is written into."),
    database: bool = typer.Option(
        True,
        "--database/--no-database",
        help="--no-database: the data folder alone (the other nodes of a cluster, whose "
        "database one node's backup holds).",
    ),
) -> None:
    """Back up the database and the data folder into one file in OUT_DIR, while the hub runs
    or not; prints its path and what it holds, as JSON."""
    from jdx import backup as backups
    from jdx.cli._common import open_hub

    with open_hub() as hub:  # a migrated database, or a one-line error
        settings = hub.settings
    try:
        path, manifest = backups.backup(settings, out_dir, database=database)
    except backups.BackupError as exc:
        fail(str(exc))
    emit({"backup": str(path), **dataclasses.asdict(manifest)})


def restore(
    archive: Path = typer.Argument(..., help="A file written by `jdx backup`."),
    database: bool = typer.Option(
        True, "--database/--no-database", help="--no-database: the data folder alone."
    ),
) -> None:
    """Restore a backup into an empty hub: an empty (or absent) data folder and, on PostgreSQL,
    an empty database (`createdb`). Then `jdx db upgrade` (a no-op unless this jdx is newer)
    and `jdx serve`."""
    from jdx import backup as backups
    from jdx.settings import load_settings

    settings = load_settings()
    try:
        restored = backups.restore(settings, archive, database=database)
    except backups.BackupError as exc:
        fail(str(exc))
    emit(
        {
            "restored": str(archive),
            "data_dir": str(settings.data_dir),
            "data_files": restored.data_files,
            **{f"backup_{k}": v for k, v in dataclasses.asdict(restored.manifest).items()},
            # files that arrived while an online backup ran: not in the restored database
            "unknown_files": restored.unknown_files,
        }
    )
