"""``jdx files``: the stop-data folders (INPUT, OUTPUT, the DOJ layout, processing, archive)."""

from __future__ import annotations

from dataclasses import asdict

import typer

from jdx.cli._common import emit, fail, open_hub

app = typer.Typer(no_args_is_help=True, help="The stop-data folders and where they are kept.")


@app.command("import")
def import_() -> None:
    """Copy the stop-data folders of this node's data folder into the database: once, on each
    node, when a hub on PostgreSQL that kept them on disk moves to the database (JDX_FILE_STORE,
    docs/operations.md "Several nodes"). Files the database has are left; the disk's copies
    too (delete them once the hub answers from the database)."""
    from jdx.exchanges.stops import workflow
    from jdx.exchanges.stops.file_folders import Folders, import_from_disk

    with open_hub() as h:
        into = workflow.folders_of(h)
        if into.disk is not None:
            fail("the folders are on this node's disk (JDX_FILE_STORE): nothing to import")
        imported = import_from_disk(Folders(h.settings.data_dir, h.settings.archive_days), into)
    emit(asdict(imported))
