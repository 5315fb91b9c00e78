"""Idempotency records (core/idempotency.py): a request that must not run twice, and its answer.
Written by hand; the columns are those of `core.tables.IdempotencyRecord`."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Idempotency records"

COLUMNS = [
    ("scope_key", Varchar, {"length": 64, "default": "", "null": False, "unique": True, "index": False}),
    ("user_id", Integer, {"default": 0, "null": False, "unique": False, "index": True}),
    ("method", Varchar, {"length": 8, "default": "", "null": False, "unique": False, "index": False}),
    ("path", Text, {"default": "", "null": False, "unique": False, "index": False}),
    ("request_hash", Varchar, {"length": 64, "default": "", "null": False, "unique": False, "index": False}),
    ("state", Varchar, {"length": 8, "default": "running", "null": False, "unique": False, "index": False}),
    ("status_code", Integer, {"default": None, "null": True, "unique": False, "index": False}),
    ("response_headers", JSON, {"default": "{}", "null": False, "unique": False, "index": False}),
    ("response_body", Text, {"default": "", "null": False, "unique": False, "index": False}),
    ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False, "unique": False, "index": True}),
    ("finished_at", Timestamptz, {"default": None, "null": True, "unique": False, "index": False}),
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    manager.add_table(
        class_name="IdempotencyRecord",
        tablename="idempotency_record",
        schema=None,
        columns=None,
    )

    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="IdempotencyRecord",
            tablename="idempotency_record",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={
                **params,
                "primary_key": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )

    return manager
