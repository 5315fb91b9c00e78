"""The liaison arbitrator's free text becomes records (hand-written data migration): each
distinct non-empty text of an organisation becomes a `liaison_arbitrator` of that organisation's
region (no court, no phone yet: administrators complete them), and the organisation points to
it. The old text column stays as it was (nothing is deleted), no longer shown or edited."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

from core import clock


class Organisation(Table, tablename="organisation", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


ID = "2026-12-05T16:20:01:500000"
VERSION = "1.38.0"
DESCRIPTION = "Liaison arbitrators' free text moved into records of the organisation's region"

FILLED = "TRIM(COALESCE(liaison_arbitrator, '')) <> ''"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roster", description=DESCRIPTION
    )

    async def move_free_text():
        rows = await Organisation.raw(
            f"SELECT DISTINCT region_code, TRIM(liaison_arbitrator) AS name FROM organisation WHERE {FILLED} "
            "AND liaison IS NULL")
        at = clock.now()
        for row in rows:
            exists = await Organisation.raw(
                "SELECT id FROM liaison_arbitrator WHERE region_code = {} AND name = {}",
                row["region_code"], row["name"][:100])
            if not exists:
                await Organisation.raw(
                    "INSERT INTO liaison_arbitrator (name, court, region_code, phone_enc, phone_masked, active, "
                    "created_at) VALUES ({}, '', {}, '', '', {}, {})", row["name"][:100], row["region_code"], True, at)
        await Organisation.raw(
            "UPDATE organisation SET liaison = (SELECT MIN(la.id) FROM liaison_arbitrator la "
            "WHERE la.region_code = organisation.region_code "
            "AND la.name = SUBSTR(TRIM(organisation.liaison_arbitrator), 1, 100)) "
            f"WHERE {FILLED} AND liaison IS NULL")

    async def nothing():
        pass  # the records stay; the previous migration's backwards drops them with their table

    manager.add_raw(move_free_text)
    manager.add_raw_backwards(nothing)

    return manager
