"""The selection itself, as a pure function of (inputs, pool snapshot, seed): recusal
grounds (特邀调解规定 Art. 15) unless both sides waive them, then availability, then ranking
(local first, specialty, fewest assignments in 12 months, seeded draw). Replaying a stored
selection calls the same function on the stored data."""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import date, timedelta
from typing import Any, NotRequired, TypedDict

# The selection's data are JSON stored with it (its inputs, the pool snapshot, the reasons):
# typed dictionaries, so a replay reads exactly what was stored.


class Party(TypedDict, total=False):
    name: str
    credit_code: str
    firm: str  # an agent's
    role: str  # employer|worker|agent, while the recusal rules compare


class DeclaredRelation(TypedDict):
    expert_id: Any  # the expert's id; anything else is refused by the request's check
    relation: str


class Waiver(TypedDict):
    expert_id: int | None
    ground: str
    employer_side: bool
    worker_side: bool


class CaseInputs(TypedDict):
    """A court's case as checked (`court_selections.validate_request`), with the day and the
    rules' settings the selection was made under."""

    case_no: str
    dispute_type: str
    region: str
    employers: list[Party]
    workers: list[Party]
    agents: list[Party]
    declared_relations: list[DeclaredRelation]
    waivers: list[Waiver]
    count: int
    allow_shared: bool
    on: NotRequired[str]
    lookback_years: NotRequired[int]
    recusal_rules: NotRequired[int]


class StoredConflict(TypedDict, total=False):
    kind: str
    party_name: str
    credit_code: str
    until: str | None
    on: str  # a past mediation's day


class SnapshotExpert(TypedDict, total=False):
    """A candidate as the rules read them (one row of `SNAPSHOT_FIELDS`)."""

    id: int
    region_code: str
    status: str
    shared: bool
    specialties: list[str]
    regions_served: list[str]
    term_starts_on: str | None
    term_ends_on: str | None
    needs_certificate: bool
    certificate_valid: bool | None
    away: bool
    active_cases: int
    max_cases: int
    assignments_12m: int
    conflicts: list[StoredConflict]
    past_parties: list[StoredConflict]


class StoredSnapshot(TypedDict):
    format: str
    fields: list[str]
    rows: list[list[Any]]


class Recusal(TypedDict, total=False):
    ground: str
    party: str
    detail: str | None
    until: str | None


class Considered(TypedDict):
    """An expert the selection considered, whether on the list, and why."""

    expert_id: int
    included: bool
    reasons: list[str]


RECUSAL_GROUNDS = ("relative", "interest", "employment", "represented", "mediated_same_parties", "declared")
# A court may declare a relation by its ground's code (or its Chinese name); any other text is
# "another relation that could affect impartiality".
DECLARED_GROUNDS = {"near_relative": "relative", "relative": "relative", "近亲属": "relative",
                    "interest": "interest", "利害关系": "interest", "employment": "employment",
                    "represented": "represented", "mediated_same_parties": "mediated_same_parties"}


_IGNORED_IN_NAMES = re.compile(r"[\s()（）【】\[\]·.,，、\-]")


def normalise_name(name: str) -> str:
    """Compare party names ignoring width, case, spaces and brackets' shape. The result is
    stored as `party_key` (standing conflicts, selection parties) so a selection finds
    matching parties by index: changing this function needs a migration recomputing them."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    return _IGNORED_IN_NAMES.sub("", text)


def live_case_key(court_id: int, region_code: str, case_no: str) -> str:
    """What makes two selections one court case: the court and the case number written the same
    way (width, spaces and letter case ignored); an administrator asking without a court asks
    for a region. A live selection stores it in a unique column, so a case has one live
    selection: changing this function needs a migration recomputing the stored keys."""
    case = re.sub(r"\s", "", unicodedata.normalize("NFKC", case_no or "")).upper()
    return f"{court_id}|{case}" if court_id else f"0|{region_code}|{case}"


def match_keys(parties: list[Party]) -> tuple[set[str], set[str]]:
    """The normalised names and credit codes `_matches` can match among these parties. A
    stored conflict or past party whose key is in neither set matches none of them, so it
    cannot change a selection for these parties (the snapshot leaves it out)."""
    names = {normalise_name(name) for p in parties for name in (p.get("name", ""), p.get("firm", ""))} - {""}
    codes = {(p.get("credit_code") or "").upper() for p in parties} - {""}
    return names, codes


def case_parties(inputs: CaseInputs) -> tuple[list[Party], list[Party]]:
    """(parties: employers then workers; agents): whom standing conflicts are compared with
    (parties and agents) and whom past mediations are compared with (parties only)."""
    return ([*inputs.get("employers", []), *inputs.get("workers", [])], list(inputs.get("agents", [])))


def _matches(conflict: StoredConflict, parties: list[Party]) -> Party | None:
    code = (conflict.get("credit_code") or "").upper()
    name = normalise_name(conflict.get("party_name", ""))
    for party in parties:
        if code and code == (party.get("credit_code") or "").upper():
            return party
        if name and name in (normalise_name(party.get("name", "")), normalise_name(party.get("firm", ""))):
            return party
    return None


def _within(until: str | None, on: date, years: int) -> bool:
    """A relation that ended `until` still counts if it ended within the lookback."""
    return until is None or date.fromisoformat(until) >= on - timedelta(days=round(365.25 * years))


# Which recusal grounds have a look-back (`Rules.conflict_lookback_years`): only former
# employment and earlier mediation for the same parties ("worked for a party in the last 2
# years", "mediated for the same parties in the last 2 years"). Every other ground (a near
# relative, a relative's employment, representation of a party, any interest) counts whenever
# it exists, however long ago it ended. Selections stored before this rule (their inputs carry
# no `recusal_rules`) applied the look-back to every standing conflict; a replay re-runs them as
# they were made.
RECUSAL_RULES = 2
LOOKBACK_GROUNDS = ("employment", "mediated_same_parties")


def _has_lookback(ground: str, inputs: CaseInputs) -> bool:
    return ground in LOOKBACK_GROUNDS or int(inputs.get("recusal_rules", 1)) < RECUSAL_RULES


def recusal_reasons(expert: SnapshotExpert, inputs: CaseInputs, on: date, lookback_years: int) -> list[Recusal]:
    parties: list[Party] = [{**e, "role": "employer"} for e in inputs.get("employers", [])]
    parties += [{**w, "role": "worker"} for w in inputs.get("workers", [])]
    agents: list[Party] = [{**a, "role": "agent"} for a in inputs.get("agents", [])]
    reasons: list[Recusal] = []
    for conflict in expert.get("conflicts", []):
        kind = conflict.get("kind")
        party = _matches(conflict, parties + agents)
        if party is None:
            continue
        if kind == "relative_employer" or (kind == "other" and party["role"] == "agent"):
            ground = "relative" if party["role"] != "agent" else "interest"
        elif kind == "former_employer":
            ground = "employment"
        elif kind == "represented":
            ground = "represented"
        else:
            ground = "interest"
        if not _has_lookback(ground, inputs) or _within(conflict.get("until"), on, lookback_years):
            reasons.append({"ground": ground, "party": party.get("name") or party.get("firm", ""),
                            "detail": kind, "until": conflict.get("until")})
    for past in expert.get("past_parties", []):
        party = _matches(past, parties)
        if party and date.fromisoformat(past["on"]) >= on - timedelta(days=round(365.25 * lookback_years)):
            reasons.append({"ground": "mediated_same_parties", "party": party.get("name", ""), "detail": past["on"]})
    for declared in inputs.get("declared_relations", []):
        if declared.get("expert_id") == expert["id"]:
            relation = str(declared.get("relation", ""))
            ground = DECLARED_GROUNDS.get(relation.strip().lower(), "declared")
            reasons.append({"ground": ground, "party": relation if ground == "declared" else "", "detail": relation})
    return reasons


def waived(expert_id: int, ground: str, inputs: CaseInputs) -> bool:
    """A ground is waived only when both sides knowingly waived it for this case."""
    return any(w.get("expert_id") == expert_id and w.get("ground") == ground and w.get("employer_side")
               and w.get("worker_side") for w in inputs.get("waivers", []))


def unavailability(expert: SnapshotExpert, on: date) -> list[str]:
    reasons = []
    if expert.get("status") != "admitted":
        reasons.append("suspended" if expert.get("status") == "suspended" else "not_admitted")
    starts, ends = expert.get("term_starts_on"), expert.get("term_ends_on")
    if not starts or not ends or not (date.fromisoformat(starts) <= on <= date.fromisoformat(ends)):
        reasons.append("outside_term")
    if expert.get("needs_certificate") and not expert.get("certificate_valid"):
        reasons.append("no_valid_certificate")
    if expert.get("away"):
        reasons.append("away")
    if expert.get("active_cases", 0) >= expert.get("max_cases", 1):
        reasons.append("at_case_maximum")
    return reasons


def is_local(expert: SnapshotExpert, case_region: str) -> bool:
    """Local: the expert's own city (or a region they serve) is the case's city."""
    city = case_region[:4]
    return expert["region_code"][:4] == city or any(r[:4] == city for r in expert.get("regions_served", []))


# The stored snapshot: one row of these fields per candidate (the fields the rules read),
# instead of one object per candidate repeating every key. Selections stored before it keep
# their list of objects; `unpack_snapshot` reads both.
SNAPSHOT_FORMAT = "rows-1"
SNAPSHOT_FIELDS = ("id", "region_code", "status", "shared", "specialties", "regions_served", "term_starts_on",
                   "term_ends_on", "needs_certificate", "certificate_valid", "away", "active_cases", "max_cases",
                   "assignments_12m", "conflicts", "past_parties")


def stored_snapshot(rows: list[list[Any]]) -> StoredSnapshot:
    """The stored form of a snapshot from its rows (values in `SNAPSHOT_FIELDS` order)."""
    return {"format": SNAPSHOT_FORMAT, "fields": list(SNAPSHOT_FIELDS), "rows": rows}


def pack_snapshot(snapshot: list[SnapshotExpert]) -> StoredSnapshot:
    """The stored form of a snapshot given as objects (the inverse of `unpack_snapshot`)."""
    return stored_snapshot([[expert.get(field) for field in SNAPSHOT_FIELDS] for expert in snapshot])


def unpack_snapshot(stored: list[SnapshotExpert] | StoredSnapshot) -> list[SnapshotExpert]:
    """The snapshot as the rules read it (one object per candidate), from either stored form."""
    if isinstance(stored, list):  # the first form: a list of objects
        return stored
    if stored.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"unknown pool snapshot format {stored.get('format')!r}")
    fields = stored["fields"]
    experts: list[Any] = [dict(zip(fields, row, strict=True)) for row in stored["rows"]]  # rows of SnapshotExpert
    return experts


def select(inputs: CaseInputs, snapshot: list[SnapshotExpert], seed: str) -> tuple[list[int], list[Considered]]:
    """(shortlist best first, every expert considered with reasons)."""
    on = date.fromisoformat(inputs["on"])
    lookback = int(inputs.get("lookback_years", 2))
    region, dispute_type, allow_shared = inputs["region"], inputs["dispute_type"], inputs.get("allow_shared")
    pool = sorted(snapshot, key=lambda e: e["id"])
    draw = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    tiebreak = {e["id"]: draw.random() for e in pool}
    declared = {d.get("expert_id") for d in inputs.get("declared_relations", [])}
    considered: list[Considered] = []
    eligible: list[tuple[tuple[int, int, int, float], int, list[str]]] = []
    for expert in pool:
        expert_id = expert["id"]
        reasons: list[str] = []
        waived_grounds: list[Recusal] = []
        # Without a conflict, a past party or a declared relation there is no ground to look for.
        if expert.get("conflicts") or expert.get("past_parties") or expert_id in declared:
            recusals = recusal_reasons(expert, inputs, on, lookback)
            waived_grounds = [r for r in recusals if waived(expert_id, r["ground"], inputs)]
            reasons += [f"recusal:{r['ground']}:{r['party']}" for r in recusals if r not in waived_grounds]
        unavailable = unavailability(expert, on)
        if unavailable:
            reasons += [f"unavailable:{r}" for r in unavailable]
        local = is_local(expert, region)
        if not local and not (allow_shared and expert.get("shared")):
            reasons.append("other_region_not_shared" if not expert.get("shared") else "shared_not_allowed")
        if reasons:
            considered.append({"expert_id": expert_id, "included": False, "reasons": reasons})
            continue
        specialty = dispute_type in expert.get("specialties", [])
        assignments = expert.get("assignments_12m", 0)
        why = ["local" if local else "shared", "specialty_match" if specialty else "no_specialty_match",
               f"assignments_12m:{assignments}"]
        if waived_grounds:
            why += [f"waived:{r['ground']}" for r in waived_grounds]
        eligible.append(((0 if local else 1, 0 if specialty else 1, assignments, tiebreak[expert_id]), expert_id, why))
    eligible.sort()
    count = int(inputs.get("count", 1))
    shortlist = [expert_id for _key, expert_id, _why in eligible[:count]]
    for position, (_key, expert_id, why) in enumerate(eligible, start=1):
        included = position <= len(shortlist)  # the shortlist is the first of `eligible`
        considered.append({"expert_id": expert_id, "included": included,
                           "reasons": [*why, f"rank:{position}"] if included else [*why, f"rank:{position}", "beyond_count"]})
    considered.sort(key=lambda c: c["expert_id"])
    return shortlist, considered


def combine_rankings(shortlist: list[int], struck: dict[str, list[int]], ranks: dict[str, list[int]]) -> list[int]:
    """Strike-and-rank (在线调解规则 Art. 10): names struck by either side go; each side's order
    of the rest is its ranking (names struck by the other side dropped) followed by the names it
    did not rank in draw order, so a side that did not rank in time ranks in draw order. The
    invitation order is by the sum of the two sides' positions; a tie goes to the name whose
    worse position is better (the lower worst rank), then to the earlier name in the draw."""
    gone = set(struck.get("employer", [])) | set(struck.get("worker", []))
    remaining = [e for e in shortlist if e not in gone]

    def order(side: str) -> dict[int, int]:
        ranked = [e for e in dict.fromkeys(ranks.get(side, [])) if e in remaining]
        rest = [e for e in remaining if e not in ranked]
        return {e: position for position, e in enumerate([*ranked, *rest], start=1)}

    employer, worker = order("employer"), order("worker")
    return sorted(remaining, key=lambda e: (employer[e] + worker[e], max(employer[e], worker[e]), shortlist.index(e)))
