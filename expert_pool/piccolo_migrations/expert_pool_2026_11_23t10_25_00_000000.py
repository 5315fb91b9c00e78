"""Court selection at pool scale (hand-written): standing conflicts keep their party's
normalised name (`party_key`, indexed), a selection's employers and workers get a table of
their own keyed the same way, a selection's snapshot and reasons are stored compressed
(new nullable columns; older selections keep theirs in the JSONB columns), and an index
covers the counts of an expert's accepted cases. The keys of existing rows are filled by
the next migration."""

import json
import zlib

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import Bytea
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import JSONB
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Selection(Table, tablename="selection", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )
    pool_snapshot = JSONB()
    considered = JSONB()


ID = "2026-11-23T10:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "party keys for conflicts and selection parties; accepted-case index"

ACCEPTED_INDEX = "selection_accepted_expert_on"


async def _create_accepted_index():
    # Piccolo columns cannot declare a composite index; the counts of an expert's recent and
    # open cases read only this index.
    await Selection.raw(
        f"CREATE INDEX IF NOT EXISTS {ACCEPTED_INDEX} ON selection (accepted_expert_id, accepted_on, outcome)"
    )


async def _restore_json():
    """Backwards: selections stored compressed get their snapshot (as a list of objects, the
    form the earlier code reads) and reasons back in the JSONB columns before those go."""
    rows = await Selection.raw(
        "SELECT id, pool_snapshot_zlib, considered_zlib FROM selection WHERE pool_snapshot_zlib IS NOT NULL"
    )
    for row in rows:
        stored = json.loads(zlib.decompress(row["pool_snapshot_zlib"]))
        snapshot = [dict(zip(stored["fields"], values)) for values in stored["rows"]]
        considered = json.loads(zlib.decompress(row["considered_zlib"]))
        await Selection.update(
            {Selection.pool_snapshot: snapshot, Selection.considered: considered}
        ).where(Selection.id == row["id"])


async def _drop_indexes():
    # Backwards, before the columns go: SQLite refuses to drop a column an index still names.
    await Selection.raw(f"DROP INDEX IF EXISTS {ACCEPTED_INDEX}")
    await Selection.raw("DROP INDEX IF EXISTS standing_conflict_party_key")


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="expert_pool", description=DESCRIPTION
    )

    manager.add_table(
        class_name="SelectionParty",
        tablename="selection_party",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="StandingConflict",
        tablename="standing_conflict",
        column_name="party_key",
        db_column_name="party_key",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SelectionParty",
        tablename="selection_party",
        column_name="selection",
        db_column_name="selection",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Selection,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SelectionParty",
        tablename="selection_party",
        column_name="position",
        db_column_name="position",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_column(
        table_class_name="SelectionParty",
        tablename="selection_party",
        column_name="role",
        db_column_name="role",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": "",
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

    manager.add_column(
        table_class_name="SelectionParty",
        tablename="selection_party",
        column_name="name",
        db_column_name="name",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
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

    manager.add_column(
        table_class_name="SelectionParty",
        tablename="selection_party",
        column_name="credit_code",
        db_column_name="credit_code",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 18,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SelectionParty",
        tablename="selection_party",
        column_name="party_key",
        db_column_name="party_key",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Selection",
        tablename="selection",
        column_name="pool_snapshot_zlib",
        db_column_name="pool_snapshot_zlib",
        column_class_name="Bytea",
        column_class=Bytea,
        params={
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

    manager.add_column(
        table_class_name="Selection",
        tablename="selection",
        column_name="considered_zlib",
        db_column_name="considered_zlib",
        column_class_name="Bytea",
        column_class=Bytea,
        params={
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

    manager.add_raw(_create_accepted_index)
    manager.add_raw_backwards(_restore_json)
    manager.add_raw_backwards(_drop_indexes)

    return manager
