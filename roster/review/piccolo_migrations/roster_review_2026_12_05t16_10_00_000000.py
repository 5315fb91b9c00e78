"""Superseded appraisal grades (hand-written): a grade replaced by a later confirmed run of the
same year is kept and marked superseded, naming the run that replaced it; the run that
superseded earlier grades keeps the administrator's reason."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer, Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T16:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Superseded appraisal grades"


def _params(default, null: bool = False) -> dict:
    return {
        "default": default,
        "null": null,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roster_review", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Appraisal",
        tablename="appraisal",
        column_name="superseded",
        db_column_name="superseded",
        column_class_name="Boolean",
        column_class=Boolean,
        params=_params(False),
        schema=None,
    )

    manager.add_column(
        table_class_name="Appraisal",
        tablename="appraisal",
        column_name="superseded_by_run",
        db_column_name="superseded_by_run",
        column_class_name="Integer",
        column_class=Integer,
        params=_params(None, null=True),
        schema=None,
    )

    manager.add_column(
        table_class_name="AppraisalRun",
        tablename="appraisal_run",
        column_name="supersede_reason",
        db_column_name="supersede_reason",
        column_class_name="Text",
        column_class=Text,
        params=_params(""),
        schema=None,
    )

    return manager
