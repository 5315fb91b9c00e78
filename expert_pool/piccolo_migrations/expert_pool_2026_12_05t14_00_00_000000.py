"""One live selection per court case: the column holding the case's key while its selection is
live (hand-written; filled and made unique by the next migration, since Piccolo runs a
migration's raw steps before its new columns)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Live case key of each selection"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="expert_pool", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Selection",
        tablename="selection",
        column_name="live_case_key",
        db_column_name="live_case_key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": None,
            "null": True,
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
