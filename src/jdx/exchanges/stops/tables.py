"""Stop records (AB 953) as stored: the record as sent, its status and its current issues."""

from __future__ import annotations

import sqlalchemy as sa

from jdx.store.tables import PlainJson, Timestamp, metadata

stops = sa.Table(
    "stops",
    metadata,
    # The DOJ record id the hub assigns and returns in the DOJRecordID header.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("realm", sa.String(4), nullable=False),  # prod | test: never mixed
    sa.Column("ori", sa.String(9), nullable=False),
    sa.Column("lea_record_id", sa.String(50), nullable=False),
    sa.Column("batch_id", sa.String(50)),
    sa.Column("officer_uid", sa.String(20), nullable=False),
    sa.Column("stop_date", sa.Date, nullable=False),
    sa.Column("stop_time", sa.String(8), nullable=False),  # HH:MM:SS
    sa.Column("dictionary_id", sa.String(20), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    # json, not jsonb, on PostgreSQL: written and read whole, never queried inside (0011).
    sa.Column("record", PlainJson, nullable=False),
    sa.Column("issues", PlainJson, nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("file_id", sa.BigInteger, index=True),  # the batch file it came in, if any
    sa.Column("version", sa.Integer, nullable=False),  # 1 on insert, +1 on every update
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # Duplicate check 1 of the seed, and the key an update is matched on.
    sa.UniqueConstraint("realm", "ori", "lea_record_id"),
    # Duplicate check 2: ORI + officer + date + time (not unique: a record may be updated onto it).
    sa.Index("ix_stops_officer_moment", "realm", "ori", "officer_uid", "stop_date", "stop_time"),
    sa.CheckConstraint(
        "status in ('Successful Submission', 'Submitted with Errors', 'NFIA')", name="status"
    ),
)


# One row per file received by a batch channel (SFTP, drop folder, HTTP upload, bulk web service).
stop_files = sa.Table(
    "stop_files",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("realm", sa.String(4), nullable=False),
    sa.Column("agency_id", sa.ForeignKey("agencies.id"), nullable=False, index=True),
    sa.Column("ori", sa.String(9), nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),  # sftp | folder | http | bulkws
    sa.Column("format", sa.String(10)),  # xlsx | delimited | xml | json, once identified
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("successful", sa.Integer, nullable=False, server_default="0"),
    sa.Column("with_errors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("file_error", sa.Text),  # a file-level fatal error (Table 9), if any
    sa.Column("received_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    sa.UniqueConstraint("realm", "ori", "file_name"),
    sa.CheckConstraint("state in ('received', 'processing', 'done', 'failed')", name="state"),
    # The files not answered yet, which the small-file lane looks for every round (0013).
    sa.Index(
        "ix_stop_files_unfinished",
        "state",
        "id",
        sqlite_where=sa.text("finished_at IS NULL"),
        postgresql_where=sa.text("finished_at IS NULL"),
    ),
)

# Progress of a file: a chunk's row commits with the chunk's records, so that a restarted
# worker skips exactly the chunks that are stored (exactly once, whatever the crash).
stop_file_chunks = sa.Table(
    "stop_file_chunks",
    metadata,
    sa.Column("file_id", sa.ForeignKey("stop_files.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("chunk", sa.Integer, primary_key=True),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("done_at", Timestamp, nullable=False),
)

# The records of a file that got errors: what the consolidated error file is written from.
stop_file_errors = sa.Table(
    "stop_file_errors",
    metadata,
    sa.Column("file_id", sa.ForeignKey("stop_files.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),  # the record's position in the file
    sa.Column("rows", sa.String(100), nullable=False),  # file rows (CSV/XLSX) or "" (XML/JSON)
    sa.Column("lea_record_id", sa.String(100), nullable=False),
    sa.Column("fatal", sa.Boolean, nullable=False),  # not stored (fatal, conversion error)
    # json on PostgreSQL (0020): a record as sent may hold U+0000, which jsonb refuses.
    sa.Column("issues", PlainJson, nullable=False),
    sa.Column("source", PlainJson),  # the record's rows (cells) or the record as sent
)

# The stop-data folders' files when every node shares them (file_store.DatabaseStore, 0017):
# a name in a folder points to a content, written once, kept in parts of PART_BYTES so that no
# read or write holds a whole file. Names and contents are a directory's entries and inodes: a
# response report has two names (OUTPUT and responses_from_DOJ) and one content.
folder_contents = sa.Table(
    "folder_contents",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("modified_at", Timestamp, nullable=False),
)

folder_content_parts = sa.Table(
    "folder_content_parts",
    metadata,
    sa.Column(
        "content_id", sa.ForeignKey("folder_contents.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("part", sa.Integer, primary_key=True),  # 0, 1, ...: the content's order
    sa.Column("data", sa.LargeBinary, nullable=False),  # bytea on PostgreSQL
)

folder_names = sa.Table(
    "folder_names",
    metadata,
    sa.Column("folder", sa.String(500), primary_key=True),  # "sftp/homes/<ORI>/PROD/OUTPUT"
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("content_id", sa.ForeignKey("folder_contents.id"), nullable=False, index=True),
)

# What register(hub) declares as the exchange's tables (hub.Exchange.tables).
TABLES = (
    stops,
    stop_files,
    stop_file_chunks,
    stop_file_errors,
    folder_contents,
    folder_content_parts,
    folder_names,
)
