"""Loose ends of the roster (hand-written; columns as in `roster.tables`):
- a recruitment call closed early keeps the day, the reason and who closed it;
- withdrawn star ratings and gold-medal marks are kept as history (`standing_withdrawal`);
- the liaison arbitrator becomes a record (`liaison_arbitrator`, `organisation.liaison`); the
  old free text is moved into records by the next migration (roster_2026_12_05t16_20_01_500000)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Organisation(Table, tablename="organisation", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


class LiaisonArbitrator(Table, tablename="liaison_arbitrator", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


ID = "2026-12-05T16:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Calls closed early; withdrawn standing marks; liaison arbitrators as records"

COMMON = {
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}

CALL_COLUMNS = [
    ("closed_on", "Date", Date, {"default": None, "null": True}),
    ("closed_reason", "Text", Text, {"default": "", "null": False}),
    ("closed_by", "Integer", Integer, {"default": None, "null": True}),
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roster", description=DESCRIPTION
    )

    for name, class_name, column_class, params in CALL_COLUMNS:
        manager.add_column(
            table_class_name="RecruitmentCall",
            tablename="recruitment_call",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params={**COMMON, **params},
            schema=None,
        )

    _table(manager, "StandingWithdrawal", "standing_withdrawal", WITHDRAWAL_COLUMNS)
    _table(manager, "LiaisonArbitrator", "liaison_arbitrator", ARBITRATOR_COLUMNS)
    manager.add_column(
        table_class_name="Organisation",
        tablename="organisation",
        column_name="liaison",
        db_column_name="liaison",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        # an arbitrator is never deleted (made inactive instead); if one were, the link is emptied
        params={**_fk(LiaisonArbitrator), "on_delete": OnDelete.set_null, "null": True, "default": None, **COMMON,
                "index": True},
        schema=None,
    )

    return manager


def _fk(references) -> dict:
    return {"references": references, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade,
            "target_column": None}


WITHDRAWAL_COLUMNS = [
    ("organisation", "ForeignKey", ForeignKey, {**_fk(Organisation), "null": True, "index": True}),
    ("mark", "Varchar", Varchar, {"length": 20, "default": "", "null": False}),
    ("stars", "SmallInt", SmallInt, {"default": None, "null": True}),
    ("awarded_on", "Date", Date, {"default": None, "null": True}),
    ("awarded_by", "Varchar", Varchar, {"length": 200, "default": "", "null": False}),
    ("withdrawn_on", "Date", Date, {"default": None, "null": False}),
    ("reason", "Text", Text, {"default": "", "null": False}),
    ("withdrawn_by", "Integer", Integer, {"default": None, "null": True}),
    ("created_at", "Timestamptz", Timestamptz, {"default": None, "null": False}),
]

ARBITRATOR_COLUMNS = [
    ("name", "Varchar", Varchar, {"length": 100, "default": "", "null": False}),
    ("court", "Varchar", Varchar, {"length": 200, "default": "", "null": False}),
    ("region_code", "Varchar", Varchar, {"length": 12, "default": "", "null": False, "index": True}),
    ("phone_enc", "Text", Text, {"default": "", "null": False}),
    ("phone_masked", "Varchar", Varchar, {"length": 20, "default": "", "null": False}),
    ("active", "Boolean", Boolean, {"default": True, "null": False}),
    ("created_at", "Timestamptz", Timestamptz, {"default": None, "null": False}),
]


def _table(manager, class_name: str, tablename: str, columns) -> None:
    manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
    for name, column_class_name, column_class, params in columns:
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=column_class_name,
            column_class=column_class,
            params={**COMMON, **params},
            schema=None,
        )
