"""One confirmed grade per mediator per year (hand-written: Piccolo declares no partial
indexes). Where a mediator already has several confirmed grades for a year (a province run and
a city run both confirmed before this rule), the grade of the run confirmed last stays current
and the earlier ones are marked superseded by it — kept, not deleted. Then a unique partial
index holds every (mediator, year) to one confirmed grade, so two confirmations racing over the
same mediators cannot both win (SQLite and PostgreSQL both support `WHERE` on an index)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer, Serial, Timestamptz
from piccolo.table import Table

ID = "2026-12-05T16:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "One confirmed appraisal grade per mediator and year"

NAME = "appraisal_one_confirmed_grade"


class AppraisalRun(Table, tablename="appraisal_run", schema=None):
    id = Serial(primary_key=True)
    confirmed_at = Timestamptz(null=True)


class Appraisal(Table, tablename="appraisal", schema=None):
    id = Serial(primary_key=True)
    appraisal_run = Integer()
    year = Integer()
    mediator_id = Integer()
    confirmed = Boolean()
    superseded = Boolean()
    superseded_by_run = Integer(null=True)


async def supersede_duplicates() -> int:
    """Idempotent: only (mediator, year) pairs with more than one confirmed grade change."""
    runs = {r["id"]: r["confirmed_at"] for r in await AppraisalRun.select(AppraisalRun.id, AppraisalRun.confirmed_at)}
    rows = await Appraisal.select(Appraisal.id, Appraisal.appraisal_run, Appraisal.year, Appraisal.mediator_id).where(
        Appraisal.confirmed == True)  # noqa: E712
    by_key: dict[tuple[int, int], list[dict]] = {}
    for row in rows:
        by_key.setdefault((row["mediator_id"], row["year"]), []).append(row)
    changed = 0
    for grades in by_key.values():
        if len(grades) < 2:
            continue
        grades.sort(key=lambda g: (runs[g["appraisal_run"]].timestamp() if runs.get(g["appraisal_run"]) else 0.0,
                                   g["appraisal_run"]))
        keeper = grades[-1]
        for earlier in grades[:-1]:
            await Appraisal.update({Appraisal.confirmed: False, Appraisal.superseded: True,
                                    Appraisal.superseded_by_run: keeper["appraisal_run"]}).where(
                Appraisal.id == earlier["id"])
            changed += 1
    return changed


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roster_review", description=DESCRIPTION
    )

    async def run():
        await supersede_duplicates()
        await Appraisal.raw(f"CREATE UNIQUE INDEX IF NOT EXISTS {NAME} ON appraisal (mediator_id, year) "
                            "WHERE confirmed")

    async def drop_index():
        await Appraisal.raw(f"DROP INDEX IF EXISTS {NAME}")

    manager.add_raw(run)
    manager.add_raw_backwards(drop_index)

    return manager
