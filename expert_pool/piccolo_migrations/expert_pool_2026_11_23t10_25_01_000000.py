"""Court selection at pool scale, data (hand-written): the party keys of the standing
conflicts and selections stored before the previous migration, so a selection finds them by
index. The key function is frozen here as it was when the keys were first computed (a change
to `expert_pool.selection.normalise_name` needs a migration of its own)."""

import json
import re
import unicodedata

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSONB, Integer, Serial, Text, Varchar
from piccolo.table import Table

ID = "2026-11-23T10:25:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "fill party keys of existing conflicts and selections"

BATCH = 500


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "").lower()
    return re.sub(r"[\s()（）【】\[\]·.,，、\-]", "", text)


class StandingConflict(Table, tablename="standing_conflict", schema=None):
    id = Serial(primary_key=True)
    party_name = Varchar(length=200)
    credit_code = Varchar(length=18)
    party_key = Text()


class Selection(Table, tablename="selection", schema=None):
    id = Serial(primary_key=True)
    inputs = JSONB()


class SelectionParty(Table, tablename="selection_party", schema=None):
    id = Serial(primary_key=True)
    selection = Integer()
    position = Integer()
    role = Varchar(length=20)
    name = Text()
    credit_code = Varchar(length=18)
    party_key = Text()


async def fill_party_keys() -> int:
    """Idempotent: only conflicts without a key and selections without parties are filled."""
    changed = 0
    for c in await StandingConflict.select().where(StandingConflict.party_key == ""):
        key, code = normalise_name(c["party_name"]), (c["credit_code"] or "").upper()
        if key or code != c["credit_code"]:
            await StandingConflict.update({"party_key": key, "credit_code": code}).where(StandingConflict.id == c["id"])
            changed += 1
    done = {r["selection"] for r in await SelectionParty.select(SelectionParty.selection).distinct()}
    parties = []
    for s in await Selection.select(Selection.id, Selection.inputs).order_by(Selection.id):
        if s["id"] in done:
            continue
        inputs = json.loads(s["inputs"]) if isinstance(s["inputs"], str) else (s["inputs"] or {})
        listed = [("employer", p) for p in inputs.get("employers", [])] + [
            ("worker", p) for p in inputs.get("workers", [])]
        parties += [SelectionParty(selection=s["id"], position=n, role=role, name=p.get("name") or "",
                                   credit_code=(p.get("credit_code") or "").upper()[:18],
                                   party_key=normalise_name(p.get("name") or ""))
                    for n, (role, p) in enumerate(listed)]
    for start in range(0, len(parties), BATCH):
        await SelectionParty.insert(*parties[start:start + BATCH])
    return changed + len(parties)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="expert_pool", description=DESCRIPTION
    )

    async def run():
        await fill_party_keys()

    manager.add_raw(run)

    return manager
