"""A composite index of memberships (hand-written: Piccolo declares single-column indexes only).

A case counts only inside a membership of its mediator in its organisation (`roster.memberships.
qualifying_case_sql`): the appraisal and the exit grounds look that up once per case. Without
this index SQLite's planner reads every member of the organisation per case (40 s instead of
well under 1 s for 200,000 cases); with it, one index probe that also holds both dates.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Membership(Table, tablename="membership", schema=None):
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


ID = "2026-12-05T09:08:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Composite index of memberships for the cases that count"

NAME = "membership_mediator_organisation_dates"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roster", description=DESCRIPTION
    )

    async def create_index():
        await Membership.raw(f"CREATE INDEX {NAME} ON membership (mediator, organisation, joined_on, left_on)")

    async def drop_index():
        await Membership.raw(f"DROP INDEX IF EXISTS {NAME}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)

    return manager
