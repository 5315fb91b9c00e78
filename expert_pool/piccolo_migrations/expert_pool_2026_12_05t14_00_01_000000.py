"""One live selection per court case (hand-written): the live selections stored so far get
their case's key, then a unique index holds every case to one live selection. Where a case
already has several live selections (made before this rule), the newest keeps the key and the
earlier ones stay as they are, without it. The key function is frozen here as it was written
(`expert_pool.selection.live_case_key`)."""

import re
import unicodedata

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Serial, Varchar
from piccolo.table import Table

ID = "2026-12-05T14:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Fill live case keys; unique index"

LIVE = ("striking", "inviting", "accepted")


def live_case_key(court_id: int, region_code: str, case_no: str) -> str:
    case = re.sub(r"\s", "", unicodedata.normalize("NFKC", case_no or "")).upper()
    return f"{court_id}|{case}" if court_id else f"0|{region_code}|{case}"


class Selection(Table, tablename="selection", schema=None):
    id = Serial(primary_key=True)
    court_id = Integer()
    case_no = Varchar(length=60)
    region_code = Varchar(length=12)
    status = Varchar(length=20)
    live_case_key = Varchar(length=100, null=True)


async def fill_live_case_keys() -> int:
    """Idempotent: selections that already have a key, or whose case's key is taken, are left."""
    taken = {r["live_case_key"] for r in await Selection.select(Selection.live_case_key).where(
        Selection.live_case_key.is_not_null())}
    changed = 0
    for row in await Selection.select().where(Selection.status.is_in(list(LIVE)) & Selection.live_case_key.is_null()
                                              ).order_by(Selection.id, ascending=False):
        key = live_case_key(row["court_id"], row["region_code"], row["case_no"])
        if key not in taken:
            await Selection.update({Selection.live_case_key: key}).where(Selection.id == row["id"])
            taken.add(key)
            changed += 1
    return changed


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="expert_pool", description=DESCRIPTION
    )

    async def run():
        await fill_live_case_keys()
        await Selection.raw("CREATE UNIQUE INDEX IF NOT EXISTS selection_live_case_key_unique "
                            "ON selection (live_case_key)")

    manager.add_raw(run)

    return manager
