"""Experts a court can draw on (the court's search page and the API for case systems): the
pool within the caller's reach, with each expert's availability today and standing conflicts,
filtered and paged in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import WhereRaw

from core import clock
from core.auth.roles import Principal, Role
from core.regions import region_name, region_prefix
from core.vocab import DisputeType
from expert_pool import selection as rules
from expert_pool.pool_snapshot import certified_mediators
from expert_pool.schemas import Row
from expert_pool.tables import Absence, Expert, Selection, StandingConflict


@dataclass(frozen=True, slots=True)
class ConflictForCourt:
    """A standing conflict as a court sees it: with whom, and until when."""

    kind: str
    party_name: str
    credit_code: str | None
    until: str | None  # ISO date


@dataclass(frozen=True, slots=True)
class ExpertForCourt:
    """An expert a court may draw on (DOMAIN.md's public contract: `GET /api/v1/experts`)."""

    id: int
    name: str
    specialties: list[str]
    region: str
    region_name: str
    organisation: str
    background: str
    shared: bool
    regions_served: list[str]
    available: bool
    standing_conflicts: list[ConflictForCourt]


async def experts_for_court(principal: Principal, specialty: str = "", region: str = "", page: int = 1,
                            page_size: int = 20) -> tuple[list[ExpertForCourt], int]:
    """Admitted (and suspended) experts the caller can draw on, with availability today and
    their standing conflicts (so case systems can check before asking): filtered and paged in
    SQL, whatever the pool's size."""
    where = _within_reach(principal)
    if where is None or (specialty and specialty not in {d.value for d in DisputeType}):
        return [], 0
    where &= Expert.status.is_in(["admitted", "suspended"])
    if region:
        where &= _serving([region_prefix(region)])
    if specialty:
        where &= WhereRaw("CAST(specialties AS TEXT) LIKE {}", f'%"{specialty}"%')
    total = await Expert.count().where(where)
    rows = await Expert.select().where(where).order_by(Expert.id).offset((page - 1) * page_size).limit(
        page_size).output(load_json=True)
    ids = [r["id"] for r in rows]
    snapshot = {s["id"]: s for s in await _snapshot_rows(ids)}
    conflicts = await _by_expert(StandingConflict.select().where(StandingConflict.expert.is_in(ids or [0])), "expert")
    items = []
    for r in rows:
        s = snapshot.get(r["id"])
        items.append(ExpertForCourt(
            id=r["id"], name=r["name"], specialties=r["specialties"], region=r["region_code"],
            region_name=region_name(r["region_code"]), organisation=r["organisation_name"],
            background=r["background"], shared=r["shared"], regions_served=r["regions_served"] or [],
            available=s is not None and not rules.unavailability(s, clock.today()),
            standing_conflicts=[ConflictForCourt(kind=c["kind"], party_name=c["party_name"],
                                                 credit_code=c["credit_code"] or None,
                                                 until=c["until"].isoformat() if c["until"] else None)
                                for c in conflicts.get(r["id"], [])],
        ))
    return items, total


def _serving(prefixes: list[str]) -> Any:
    """Experts a region's cases may draw on (as a selection does): those of the region, those
    who serve it, and those their administrators shared with every region (专家库共享)."""
    where: Any = Expert.shared == True  # noqa: E712 - a column comparison, not a truth test
    for prefix in sorted(set(prefixes)):
        where = (where | Expert.region_code.like(prefix + "%")
                 | WhereRaw("CAST(regions_served AS TEXT) LIKE {}", f'%"{prefix}%'))
    return where


def _within_reach(principal: Principal) -> Any | None:
    """A court draws on its city's pool (a selection's candidates come from the case's city);
    an administrator on their own region and below. None: no reach at all."""
    prefixes = [region_prefix(code)[:4] for code in principal.regions_for(Role.COURT)]
    prefixes += [region_prefix(code) for code in principal.regions_for(Role.ADMIN)]
    return _serving(prefixes) if prefixes else None


async def _snapshot_rows(ids: list[int]) -> list[rules.SnapshotExpert]:
    if not ids:
        return []
    on = clock.today()
    experts = await Expert.select().where(Expert.id.is_in(ids)).output(load_json=True)
    away = {r["expert"] for r in await Absence.select(Absence.expert).where(
        Absence.expert.is_in(ids) & (Absence.starts_on <= on) & (Absence.ends_on >= on))}
    open_cases: dict[int, int] = {}
    for s in await Selection.select(Selection.accepted_expert_id).where(
            Selection.accepted_expert_id.is_in(ids) & Selection.outcome.is_null()):
        open_cases[s["accepted_expert_id"]] = open_cases.get(s["accepted_expert_id"], 0) + 1
    certified = await certified_mediators([e["mediator_id"] for e in experts if e["mediator_id"]], on)
    return [{"id": e["id"], "status": e["status"],
             "term_starts_on": e["term_starts_on"].isoformat() if e["term_starts_on"] else None,
             "term_ends_on": e["term_ends_on"].isoformat() if e["term_ends_on"] else None,
             "needs_certificate": e["mediator_id"] is not None, "certificate_valid": e["mediator_id"] in certified,
             "away": e["id"] in away, "active_cases": open_cases.get(e["id"], 0),
             "max_cases": e["max_concurrent_cases"]} for e in experts]



async def _by_expert(query: Any, key: str) -> dict[int, list[Row]]:
    out: dict[int, list[Row]] = {}
    for row in await query:
        out.setdefault(row[key], []).append(row)
    return out
