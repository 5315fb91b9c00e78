"""The pool snapshot a selection is drawn from: every candidate with what the rules read
about them (availability, open cases, recent assignments, conflicts and past mediations naming
the case's parties, certificates), read in a constant number of queries whatever the pool's
size, and stored with the selection so it can be replayed."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

import msgspec

from core.settings import get_settings
from expert_pool import selection as rules
from expert_pool.tables import Expert, SelectionParty, StandingConflict

# The candidates with what the rules read about each, in one query. The counts of recent
# accepted cases and today's absences come from correlated subqueries served by indexes
# (selection_accepted_expert_on covers the counts), so nothing grows with the pool but the
# rows. Experts serving the case's city are found by the text of `regions_served` (a
# superset: the exact rule, `r[:4] == city`, is applied in Python). Each candidate is one
# JSON array and the candidates one JSON value: 2,000 rows of typed columns converted value by
# value cost SQLite as much again as the query itself. The engines name the JSON functions
# differently (and PostgreSQL's jsonb needs no json()).
_CANDIDATE_COLUMNS = ("id", "mediator_id", "region_code", "status", "shared", "specialties", "regions_served",
                      "max_cases", "term_starts_on", "term_ends_on", "in_city", "active_cases", "assignments_12m",
                      "away")
_CANDIDATES_SQL = """
SELECT %(agg)s(%(array)s(
       e.id, e.mediator_id, e.region_code, e.status, e.shared, %(json)s(e.specialties), %(json)s(e.regions_served),
       e.max_concurrent_cases, e.term_starts_on, e.term_ends_on, e.region_code LIKE {},
       (SELECT COUNT(*) FROM selection s WHERE s.accepted_expert_id = e.id AND s.accepted_on >= {}
          AND s.outcome IS NULL),
       (SELECT COUNT(*) FROM selection s WHERE s.accepted_expert_id = e.id AND s.accepted_on >= {}
          AND s.accepted_on >= {}),
       EXISTS (SELECT 1 FROM absence a WHERE a.expert = e.id AND a.starts_on <= {} AND a.ends_on >= {})
       )) AS candidates
FROM expert e
WHERE e.status IN ('admitted', 'suspended')
  AND (e.region_code LIKE {} OR CAST(e.regions_served AS TEXT) LIKE {} OR (e.shared AND {}))
"""
_ID, _MEDIATOR, _SHARED, _SERVED, _IN_CITY = (_CANDIDATE_COLUMNS.index(c) for c in (
    "id", "mediator_id", "shared", "regions_served", "in_city"))
_JSON_FUNCTIONS = {"sqlite": {"agg": "json_group_array", "array": "json_array", "json": "json"},
                   "postgres": {"agg": "json_agg", "array": "json_build_array", "json": ""}}


async def pool_snapshot(case: rules.CaseInputs, on: date) -> list[rules.SnapshotExpert]:
    """The candidates as the rules read them (see `stored_snapshot`)."""
    return rules.unpack_snapshot(await stored_snapshot(case, on))


async def stored_snapshot(case: rules.CaseInputs, on: date) -> rules.StoredSnapshot:
    """Everything the selection's rules read about every candidate, in a constant number of
    queries whatever the pool size: experts of the case's city, those serving it, and shared
    ones when the case allows them, with their open cases, assignments in 12 months and
    absences (one query); their standing conflicts and past mediations naming one of the
    case's parties (one query each, by the stored party keys); certificates (one query, when
    a candidate is on the mediator roster).

    Conflicts and past mediations naming none of the case's parties are left out: the
    recusal rules compare each with the case's parties (kept in the stored inputs), so they
    cannot change the list or its replay, and reading them all was most of the time."""
    city = case["region"][:4]
    allow_shared = bool(case.get("allow_shared"))
    lookback = on - timedelta(days=round(365.25 * get_settings().rules.conflict_lookback_years))
    year_ago = on - timedelta(days=365)
    parties, agents = rules.case_parties(case)
    found, conflicts, past_parties = await asyncio.gather(  # independent: read side by side
        Expert.raw(_CANDIDATES_SQL % _JSON_FUNCTIONS[Expert._meta.db.engine_type], city + "%", lookback, lookback,
                   year_ago, on, on, city + "%", f'%"{city}%', allow_shared),
        _matching_conflicts(*rules.match_keys(parties + agents)),
        _past_parties(lookback, *rules.match_keys(parties)))
    with cyclic_gc_paused():
        candidates = msgspec.json.decode(found[0]["candidates"] or "[]")  # PostgreSQL: null for no rows
        experts = sorted((c for c in candidates if c[_IN_CITY] or (allow_shared and c[_SHARED])
                          or any(r[:4] == city for r in c[_SERVED])), key=itemgetter(_ID))
        del candidates
    if not experts:
        return rules.stored_snapshot([])
    certified = await certified_mediators([e[_MEDIATOR] for e in experts if e[_MEDIATOR]], on)
    with cyclic_gc_paused():
        return rules.stored_snapshot([[  # in rules.SNAPSHOT_FIELDS order
            expert_id, region_code, status, bool(shared), specialties, regions_served, term_starts_on, term_ends_on,
            mediator_id is not None, mediator_id in certified if mediator_id else None, bool(away), active_cases,
            max_cases, assignments_12m, conflicts.get(expert_id, []), past_parties.get(expert_id, []),
        ] for (expert_id, mediator_id, region_code, status, shared, specialties, regions_served, max_cases,
               term_starts_on, term_ends_on, _in_city, active_cases, assignments_12m, away) in experts])


def _iso(day: date | str | None) -> str | None:
    return day.isoformat() if isinstance(day, date) else day


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a selection builds and drops tens of thousands of
    short-lived objects (none in a cycle: reference counting frees them). Otherwise they set
    off a full collection every few selections, which walks the whole process's heap (in the
    benchmark 15 of about 45 ms each in 60 selections, against 2 with the pause: the p95).
    Only around code without `await`, so no other request runs meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def _matching_conflicts(names: set[str], codes: set[str]) -> dict[int, list[rules.StoredConflict]]:
    """Standing conflicts, by expert, whose party key or credit code is one of the case's; a
    row without its key (written around `add_conflict`) is always read, so it is checked by
    the rules rather than missed."""
    where: Any = (StandingConflict.party_key == "") & (StandingConflict.party_name != "")
    if names:
        where = where | StandingConflict.party_key.is_in(sorted(names))
    if codes:
        where = where | StandingConflict.credit_code.is_in(sorted(codes))
    out: dict[int, list[rules.StoredConflict]] = {}
    for c in await StandingConflict.select(
            StandingConflict.expert, StandingConflict.kind, StandingConflict.party_name, StandingConflict.credit_code,
            StandingConflict.until).where(where).order_by(StandingConflict.id):
        out.setdefault(c["expert"], []).append({"kind": c["kind"], "party_name": c["party_name"],
                                                "credit_code": c["credit_code"], "until": _iso(c["until"])})
    return out


async def _past_parties(since: date, names: set[str], codes: set[str]) -> dict[int, list[rules.StoredConflict]]:
    """Parties of the cases accepted since `since` that are also this case's, by the expert
    who accepted them."""
    if not names and not codes:
        return {}
    clauses = ([SelectionParty.party_key.is_in(sorted(names))] if names else []) + (
        [SelectionParty.credit_code.is_in(sorted(codes))] if codes else [])
    where = clauses[0] if len(clauses) == 1 else clauses[0] | clauses[1]
    rows = await SelectionParty.select(
        SelectionParty.selection.accepted_expert_id.as_alias("expert"),
        SelectionParty.selection.accepted_on.as_alias("on"), SelectionParty.name, SelectionParty.credit_code,
    ).where(where & SelectionParty.selection.accepted_expert_id.is_not_null()
            & (SelectionParty.selection.accepted_on >= since)).order_by(SelectionParty.selection, SelectionParty.position)
    out: dict[int, list[rules.StoredConflict]] = {}
    for r in rows:
        out.setdefault(r["expert"], []).append({"party_name": r["name"], "credit_code": r["credit_code"],
                                                "on": _iso(r["on"]) or ""})  # accepted: never null
    return out


async def certified_mediators(mediator_ids: list[int], on: date) -> set[int]:
    if not mediator_ids:
        return set()
    try:
        from certification import services as certification

        standing = await certification.certificate_standing(mediator_ids)
    except (ImportError, AttributeError):
        return set()
    return {mid for mid, s in standing.items() if s.status == "valid" and s.expires_on >= on}
