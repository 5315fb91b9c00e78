"""Messages queued before the outbox had regions take their recipient's first grant's region,
or the province (the root of the tree) for an account without grants, whose messages the
province's gateway sends."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-05T13:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Regions of the messages already queued"

ROOT_REGION = "350000"  # core.regions.root_region() when this was written, frozen with it


class OutboxMessage(Table, tablename="outbox_message", schema=None):
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


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    async def fill_regions():
        await OutboxMessage.raw(
            "UPDATE outbox_message SET region_code = COALESCE("
            '(SELECT r.region_code FROM user_role r WHERE r."user" = outbox_message.user_id ORDER BY r.id LIMIT 1), '
            "{}) WHERE region_code = ''", ROOT_REGION)

    manager.add_raw(fill_regions)

    return manager
