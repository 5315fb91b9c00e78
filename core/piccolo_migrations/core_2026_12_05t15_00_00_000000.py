"""A holiday row says what kind of day it is, a public holiday or a make-up working day (调休上班日),
and which State Council notice it came from. Rows kept from before were all public holidays.
Written by hand; the columns are those of `core.tables.Holiday`."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Holiday kind (holiday or make-up working day) and notice"

COLUMNS = [
    ("kind", {"length": 8, "default": "holiday"}),
    ("notice", {"length": 200, "default": ""}),
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    for name, params in COLUMNS:
        manager.add_column(
            table_class_name="Holiday",
            tablename="holiday",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params={
                **params,
                "null": False,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )

    return manager
