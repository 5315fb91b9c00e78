"""Composite indexes of the published roster (Piccolo declares single-column indexes only).

The public pages filter current entries by a region range and a name search and sort by roster
number: the first index holds every filter column, so the count and the page's ids are read from
the index alone, never from the table rows; the second serves the unfiltered roster in order.
Views of one publication (rarer) use the narrow snapshot index. Every index here is updated when
a publication un-marks the entries it replaces, so they stay as few and as narrow as the reads allow.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class PublishedMediator(Table, tablename="published_mediator", schema=None):
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


ID = "2026-11-23T10:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Composite indexes of the published roster"

INDEXES = {
    "published_mediator_current_region": "published_mediator (is_current, region_code, roster_no, name, "
                                         "source_category, status, grade, id)",
    "published_mediator_current_order": "published_mediator (is_current, roster_no, id)",
    "published_mediator_snapshot": "published_mediator (publication, region_code, roster_no, id)",
    "published_organisation_current_region": "published_organisation (is_current, region_code, organisation_id, "
                                             "name, type, id)",
    "published_organisation_snapshot": "published_organisation (publication, region_code, organisation_id, name, "
                                       "type, id)",
}


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roster", description=DESCRIPTION
    )

    async def create_indexes():
        for name, target in INDEXES.items():
            await PublishedMediator.raw(f"CREATE INDEX {name} ON {target}")

    async def drop_indexes():
        for name in INDEXES:
            await PublishedMediator.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
