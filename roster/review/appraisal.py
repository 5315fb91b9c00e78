"""Annual appraisal (考评): figures per appointed mediator, a grade by rules read top to
bottom (each grade names the rule that decided it), the 20% cap on 优秀 per region by rank,
a draft the administrator reviews and confirms. Set-based: a handful of queries however
many mediators there are."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.querystring import QueryString

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import engine, write_transaction
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.i18n import N_, _
from core.regions import region_like, region_prefix, within_regions
from core.settings import Rules, get_settings
from core.vocab import AppraisalGrade
from roster.review import tables
from roster.review.tables import record_of

# A JSON column as stored: a run's thresholds, a grade's figures.
StoredJSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AppraisalRun:
    """One appraisal (年度考评) of a region for a year, as its pages show it."""

    id: int
    year: int
    region_code: str
    status: str
    rules: StoredJSON
    counts: dict[str, int]
    created_by: int | None
    created_at: datetime
    confirmed_by: int | None
    confirmed_at: datetime | None
    supersede_reason: str


@dataclass(frozen=True, slots=True)
class Appraisal:
    """A mediator's grade (考评) in a run, with the figures and the rule that produced it."""

    id: int
    appraisal_run: int
    year: int
    mediator_id: int
    region_code: str
    cap_group: str
    figures: StoredJSON
    grade: str
    rule: str
    score: float
    capped: bool
    confirmed: bool
    superseded: bool
    superseded_by_run: int | None


@dataclass(frozen=True, slots=True)
class AppraisalOutcome:
    """What running an appraisal did: its run, how many grades it wrote and their counts."""

    run_id: int
    changes: int
    status: str
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class RunDetail:
    """A page of a run's grades, with the earlier runs that already graded its mediators."""

    run: AppraisalRun
    rows: list[Appraisal]
    total: int
    already_graded: dict[int, list[int]]


@dataclass(frozen=True)
class Figures:
    cases: int = 0
    closed: int = 0
    agreements: int = 0
    satisfaction: float | None = None
    substantiated_complaints: int = 0
    training_hours: float = 0.0
    required_hours: int = 24
    certificate_valid: bool = False

    @property
    def agreement_rate(self) -> float | None:
        return self.agreements / self.closed if self.closed else None


# The rules, in the order they are tried; the message ids are shown beside each grade.
RULE_TEXT = {
    "incompetent_complaints": N_("%(n)s or more substantiated complaints in the year: 不称职"),
    "basic_complaint": N_("A substantiated complaint in the year: 基本称职"),
    "basic_hours": N_("Training hours below the yearly requirement: 基本称职"),
    "basic_certificate": N_("No valid certificate: 基本称职"),
    "basic_agreement": N_("Agreement rate below %(rate)s%% over at least %(cases)s closed cases: 基本称职"),
    "basic_satisfaction": N_("Mean follow-up satisfaction below %(score)s: 基本称职"),
    "excellent": N_("At least %(cases)s cases, agreement rate %(rate)s%% or more, satisfaction %(score)s or more, no "
                    "substantiated complaint, hours met and a valid certificate: 优秀"),
    "excellent_capped": N_("Met the 优秀 rule but ranked outside the %(cap)s%% cap of the region: 称职"),
    "competent": N_("None of the rules above applied: 称职"),
}


def rule_text(rule: str, rules: Rules | None = None) -> str:
    r = rules or get_settings().rules
    return _(RULE_TEXT[rule], n=r.incompetent_substantiated_complaints, rate=round(
        (r.basic_below_agreement_rate if rule == "basic_agreement" else r.excellent_min_agreement_rate) * 100),
        cases=r.min_cases_for_agreement_rate if rule == "basic_agreement" else r.excellent_min_cases,
        score=r.basic_below_satisfaction if rule == "basic_satisfaction" else r.excellent_min_satisfaction,
        cap=round(r.excellent_cap_ratio * 100))


def grade(figures: Figures, rules: Rules) -> tuple[str, str]:
    """(grade, rule) for one mediator's figures, before the cap."""
    if figures.substantiated_complaints >= rules.incompetent_substantiated_complaints:
        return AppraisalGrade.INCOMPETENT, "incompetent_complaints"
    if figures.substantiated_complaints >= rules.basic_substantiated_complaints:
        return AppraisalGrade.BASIC, "basic_complaint"
    if figures.training_hours < figures.required_hours:
        return AppraisalGrade.BASIC, "basic_hours"
    if not figures.certificate_valid:
        return AppraisalGrade.BASIC, "basic_certificate"
    rate = figures.agreement_rate
    if figures.closed >= rules.min_cases_for_agreement_rate and rate is not None and rate < rules.basic_below_agreement_rate:
        return AppraisalGrade.BASIC, "basic_agreement"
    if figures.satisfaction is not None and figures.satisfaction < rules.basic_below_satisfaction:
        return AppraisalGrade.BASIC, "basic_satisfaction"
    if (figures.cases >= rules.excellent_min_cases and rate is not None and rate >= rules.excellent_min_agreement_rate
            and figures.satisfaction is not None and figures.satisfaction >= rules.excellent_min_satisfaction):
        return AppraisalGrade.EXCELLENT, "excellent"
    return AppraisalGrade.COMPETENT, "competent"


def rank_score(figures: Figures) -> float:
    """Order among those who met 优秀: agreement rate, then satisfaction, then cases."""
    return round((figures.agreement_rate or 0) * 1000 + (figures.satisfaction or 0) * 10 + min(figures.cases, 999) / 1000, 6)


def apply_cap(candidates: dict[str, list[tuple[int, float]]], ratio: float, group_sizes: dict[str, int]) -> set[int]:
    """Ids that keep 优秀: per group, the best `floor(ratio × mediators in the group)` by score
    (ties broken by id so a re-run gives the same result)."""
    keep: set[int] = set()
    for group, ranked in candidates.items():
        places = int(group_sizes.get(group, 0) * ratio + 1e-9)
        keep |= {mediator_id for mediator_id, _score in sorted(ranked, key=lambda c: (-c[1], c[0]))[:places]}
    return keep


def cap_group(region_code: str, run_region: str) -> str:
    """The cap applies per city (or per the run's own region when it is below a city)."""
    city = region_code[:4] + "00"
    return run_region if len(region_prefix(run_region)) > 4 else city


async def _grouped(sql: str, *args: Any) -> list[dict[str, Any]]:
    return await engine().run_querystring(QueryString(sql, *args))


async def collect_figures(region_code: str, year: int, mediator_ids: list[int]) -> dict[int, Figures]:
    """Every mediator's figures with one grouped query per source. Only cases recorded for an
    organisation the mediator was an effective member of on the case's dates count."""
    from roster.memberships import qualifying_case_sql

    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    like = region_like(region_code)
    cases = await _grouped(
        "SELECT c.mediator_id, COUNT(*) AS cases, "
        "SUM(CASE WHEN c.closed_on IS NOT NULL THEN 1 ELSE 0 END) AS closed, "
        "SUM(CASE WHEN c.outcome = 'agreement' THEN 1 ELSE 0 END) AS agreements, "
        "AVG(c.satisfaction) AS satisfaction FROM mediation_case c "
        "WHERE c.region_code LIKE {} AND c.received_on >= {} AND c.received_on < {} AND "
        + qualifying_case_sql("c") + " GROUP BY c.mediator_id", like, start, end)
    complaints = await _grouped(
        "SELECT mediator_id, COUNT(*) AS n FROM complaint WHERE region_code LIKE {} AND substantiated = {} "
        "AND received_on >= {} AND received_on < {} GROUP BY mediator_id", like, True, start, end)
    by_case = {r["mediator_id"]: r for r in cases}
    by_complaint = {r["mediator_id"]: r["n"] for r in complaints}
    hours = await _training_hours(mediator_ids, year)
    valid = await _valid_certificates(mediator_ids, date(year, 12, 31))
    required = get_settings().rules.yearly_training_hours
    out = {}
    for mediator_id in mediator_ids:
        c = by_case.get(mediator_id) or {}
        out[mediator_id] = Figures(
            cases=int(c.get("cases") or 0), closed=int(c.get("closed") or 0), agreements=int(c.get("agreements") or 0),
            satisfaction=round(float(c["satisfaction"]), 2) if c.get("satisfaction") is not None else None,
            substantiated_complaints=int(by_complaint.get(mediator_id, 0)),
            training_hours=float(hours.get(mediator_id, 0.0)), required_hours=required,
            certificate_valid=mediator_id in valid)
    return out


async def _training_hours(mediator_ids: list[int], year: int) -> dict[int, float]:
    try:
        from training import services as training
    except ImportError:
        return {}
    hours = getattr(training, "training_hours", None)
    return await hours(mediator_ids, year) if hours else {}


async def _valid_certificates(mediator_ids: list[int], on: date) -> set[int]:
    try:
        from certification import services as certification
    except ImportError:
        return set()
    standing = getattr(certification, "certificate_standing", None)
    if standing is None:
        return set()
    found = await standing(mediator_ids)
    return {mid for mid, s in found.items()
            if s.status in ("valid", "suspended") and s.issued_on <= on and s.expires_on >= on and s.status == "valid"}


async def run_appraisal(year: int, region_code: str, actor: Principal | None = None, progress=None,
                        recompute: bool = False) -> AppraisalOutcome:
    """Compute the draft appraisal of a region for a year. An existing draft is kept unless
    the administrator asks to recompute it, and a confirmed run is final, so running the job
    again changes nothing; each region is one transaction, so a killed run resumes cleanly."""
    from roster import services as roster

    if actor is not None and not actor.can_act_in(region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    existing = await tables.AppraisalRun.select().where(
        (tables.AppraisalRun.year == year) & (tables.AppraisalRun.region_code == region_code)).output(
        load_json=True).first()
    if existing and (existing["status"] == "confirmed" or not recompute):
        return AppraisalOutcome(existing["id"], 0, existing["status"], existing["counts"] or {})
    rules = get_settings().rules
    mediators = await roster.mediators_in_region(region_code, statuses=("appointed",))
    ids = [m.id for m in mediators]
    if progress:
        progress("figures", 0, len(ids))
    figures = await collect_figures(region_code, year, ids)
    graded: dict[int, tuple[str, str]] = {mid: grade(f, rules) for mid, f in figures.items()}
    groups = {m.id: cap_group(m.region_code, region_code) for m in mediators}
    sizes: dict[str, int] = {}
    candidates: dict[str, list[tuple[int, float]]] = {}
    for m in mediators:
        sizes[groups[m.id]] = sizes.get(groups[m.id], 0) + 1
        if graded[m.id][0] == AppraisalGrade.EXCELLENT:
            candidates.setdefault(groups[m.id], []).append((m.id, rank_score(figures[m.id])))
    keep = apply_cap(candidates, rules.excellent_cap_ratio, sizes)
    rows = []
    for m in mediators:
        the_grade, rule = graded[m.id]
        capped = the_grade == AppraisalGrade.EXCELLENT and m.id not in keep
        if capped:
            the_grade, rule = AppraisalGrade.COMPETENT, "excellent_capped"
        rows.append(tables.Appraisal(year=year, mediator_id=m.id, region_code=m.region_code, cap_group=groups[m.id],
                                     figures={**asdict(figures[m.id]), "agreement_rate": figures[m.id].agreement_rate},
                                     grade=str(the_grade), rule=rule, score=rank_score(figures[m.id]),
                                     capped=capped))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.grade] = counts.get(row.grade, 0) + 1
    # One transaction: a run killed half-way leaves the previous draft (or nothing), never half a draft.
    async with write_transaction():
        if existing:
            run_id = existing["id"]
            await tables.Appraisal.delete().where(tables.Appraisal.appraisal_run == run_id)
            await tables.AppraisalRun.update({"counts": counts, "rules": _rules_snapshot(rules)}).where(
                tables.AppraisalRun.id == run_id)
        else:
            inserted = await tables.AppraisalRun.insert(tables.AppraisalRun(
                year=year, region_code=region_code, status="draft", counts=counts, rules=_rules_snapshot(rules),
                created_by=actor.user_id if actor else None, created_at=clock.now())).returning(tables.AppraisalRun.id)
            run_id = inserted[0]["id"]
        for row in rows:
            row.appraisal_run = run_id
        for start in range(0, len(rows), 1000):
            await tables.Appraisal.insert(*rows[start:start + 1000])
            if progress:
                progress("saved", min(start + 1000, len(rows)), len(rows))
        await audit.record(actor, "run_appraisal", "appraisal_run", run_id, region_code=region_code,
                           after={"year": year, "counts": counts})
    return AppraisalOutcome(run_id, len(rows), "draft", counts)


# Every setting a grade depends on; a run stores them so its pages show the rules it was made under.
APPRAISAL_RULES = ("incompetent_substantiated_complaints", "basic_substantiated_complaints",
                   "min_cases_for_agreement_rate", "basic_below_agreement_rate", "basic_below_satisfaction",
                   "excellent_min_cases", "excellent_min_agreement_rate", "excellent_min_satisfaction",
                   "excellent_cap_ratio", "yearly_training_hours")


def _rules_snapshot(rules: Rules) -> StoredJSON:
    return {n: getattr(rules, n) for n in APPRAISAL_RULES}


def rules_of_run(stored: StoredJSON | None) -> Rules:
    """The rules a run was made under (its stored thresholds; a threshold a run predates, today's)."""
    from dataclasses import replace

    return replace(get_settings().rules, **{n: v for n, v in (stored or {}).items() if n in APPRAISAL_RULES})


async def rules_of_runs(run_ids) -> dict[int, Rules]:
    """Each run's rules, for pages listing grades of several runs."""
    ids = sorted({i for i in run_ids if i is not None})
    if not ids:
        return {}
    rows = await tables.AppraisalRun.select(tables.AppraisalRun.id, tables.AppraisalRun.rules).where(
        tables.AppraisalRun.id.is_in(ids)).output(load_json=True)
    return {r["id"]: rules_of_run(r["rules"]) for r in rows}


ONE_GRADE_INDEX = "appraisal_one_confirmed_grade"


async def already_graded(run_id: int, year: int) -> dict[int, list[int]]:
    """{earlier confirmed run id: [mediator ids]} for the mediators of this run who already have
    a current (confirmed, not superseded) grade for the same year from another run."""
    rows = await _grouped(
        "SELECT e.appraisal_run AS run_id, e.mediator_id FROM appraisal e JOIN appraisal a "
        "ON a.mediator_id = e.mediator_id AND a.year = e.year WHERE a.appraisal_run = {} AND e.year = {} "
        "AND e.appraisal_run <> {} AND e.confirmed = {} ORDER BY e.appraisal_run, e.mediator_id",
        run_id, year, run_id, True)
    found: dict[int, list[int]] = {}
    for row in rows:
        found.setdefault(row["run_id"], []).append(row["mediator_id"])
    return found


async def confirm_appraisal(actor: Principal, run_id: int, supersede: bool = False, reason: str = "") -> int:
    """The administrator confirms the draft: grades become visible to mediators and the exit
    grounds that follow from them are evaluated. A mediator has one grade a year: if another
    confirmed run (a province run over a city's run, or the reverse) already graded some of this
    run's mediators for the year, confirming is refused unless the administrator supersedes those
    grades with a reason; they are then kept, marked superseded, and no longer count. The unique
    partial index on (mediator, year) of confirmed grades makes the second of two racing
    confirmations fail, whatever the checks before it saw."""
    from core.db import is_unique_violation

    run = await tables.AppraisalRun.select().where(tables.AppraisalRun.id == run_id).first()
    if run is None:
        raise NotFound(_("No such appraisal."))
    if not actor.can_act_in(run["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if run["status"] == "confirmed":
        raise Conflict(_("This appraisal is already confirmed."))
    reason = (reason or "").strip()
    if supersede and not reason:
        raise DomainError(_("Give the reason for superseding the earlier grades."), "reason")
    try:
        async with write_transaction():
            earlier = await already_graded(run_id, run["year"])
            if earlier and not supersede:
                raise Conflict(_(
                    "%(n)s mediators of this appraisal already have a confirmed %(year)s grade from another appraisal "
                    "(no. %(runs)s). A mediator has one grade a year: supersede those grades, giving the reason, or "
                    "leave this appraisal as a draft.", n=sum(len(ids) for ids in earlier.values()), year=run["year"],
                    runs=", ".join(str(r) for r in earlier)), "supersede")
            for earlier_run, ids in earlier.items():
                replaced = await tables.Appraisal.update({
                    tables.Appraisal.confirmed: False, tables.Appraisal.superseded: True,
                    tables.Appraisal.superseded_by_run: run_id}).where(
                    (tables.Appraisal.appraisal_run == earlier_run) & tables.Appraisal.mediator_id.is_in(ids)
                    & (tables.Appraisal.year == run["year"])
                    & (tables.Appraisal.confirmed == True)).returning(  # noqa: E712
                    tables.Appraisal.mediator_id, tables.Appraisal.grade)
                await audit.record(actor, "supersede_appraisal", "appraisal_run", earlier_run,
                                   region_code=run["region_code"], reason=reason,
                                   before={"grades": {str(r["mediator_id"]): r["grade"] for r in replaced}},
                                   after={"superseded_by_run": run_id, "year": run["year"]})
            confirmed = await tables.AppraisalRun.update({
                "status": "confirmed", "confirmed_by": actor.user_id, "confirmed_at": clock.now(),
                "supersede_reason": reason if earlier else ""}).where(
                (tables.AppraisalRun.id == run_id) & (tables.AppraisalRun.status == "draft")).returning(
                tables.AppraisalRun.id)
            if not confirmed:
                raise Conflict(_("This appraisal is already confirmed."))
            await tables.Appraisal.update({tables.Appraisal.confirmed: True}).where(
                tables.Appraisal.appraisal_run == run_id)
            await audit.record(actor, "confirm_appraisal", "appraisal_run", run_id, region_code=run["region_code"],
                               reason=reason if earlier else "",
                               after={"year": run["year"], "superseded": {str(r): ids for r, ids in earlier.items()}})
    except Exception as failure:
        if is_unique_violation(failure, ONE_GRADE_INDEX) or is_unique_violation(failure, "appraisal.mediator_id"):
            raise Conflict(_("Another appraisal graded some of these mediators for %(year)s at the same moment; "
                             "reload and confirm again.", year=run["year"]), "supersede") from failure
        raise
    from roster.review import exits

    issued = await exits.evaluate_exit_grounds(run["region_code"], actor=actor)
    if earlier:
        await exits.withdraw_notices_of_superseded_grades(
            actor, run_id, run["year"], sorted({m for ids in earlier.values() for m in ids}), run["region_code"])
    return issued


async def runs(region_codes: list[str]) -> list[AppraisalRun]:
    where = within_regions(tables.AppraisalRun.region_code, region_codes)
    if where is None:
        return []
    return [record_of(AppraisalRun, row) for row in await tables.AppraisalRun.select().where(where).order_by(
        tables.AppraisalRun.year, ascending=False).output(load_json=True)]


async def run_detail(run_id: int, page: int = 1, page_size: int = 50, grade_filter: str = "") -> RunDetail:
    run = await tables.AppraisalRun.select().where(tables.AppraisalRun.id == run_id).output(load_json=True).first()
    if run is None:
        raise NotFound(_("No such appraisal."))
    where: Combinable = tables.Appraisal.appraisal_run == run_id
    if grade_filter:
        where = where & (tables.Appraisal.grade == grade_filter)
    total = await tables.Appraisal.count().where(where)
    rows = await tables.Appraisal.select().where(where).order_by(
        tables.Appraisal.grade, tables.Appraisal.mediator_id).offset((page - 1) * page_size).limit(
        page_size).output(load_json=True)
    earlier = await already_graded(run_id, run["year"]) if run["status"] == "draft" else {}
    return RunDetail(record_of(AppraisalRun, run), [record_of(Appraisal, row) for row in rows], total, earlier)


async def confirmed_grades(mediator_ids, year: int) -> dict[int, str]:
    from core.db import chunks

    found: dict[int, str] = {}
    for part in chunks(sorted(set(mediator_ids))):
        rows = await tables.Appraisal.select(tables.Appraisal.mediator_id, tables.Appraisal.grade).where(
            tables.Appraisal.mediator_id.is_in(part) & (tables.Appraisal.year == year)
            & (tables.Appraisal.confirmed == True))  # noqa: E712
        found.update({r["mediator_id"]: r["grade"] for r in rows})
    return found


async def latest_confirmed_grade(mediator_id: int) -> str | None:
    row = await tables.Appraisal.select(tables.Appraisal.grade).where(
        (tables.Appraisal.mediator_id == mediator_id) & (tables.Appraisal.confirmed == True)).order_by(  # noqa: E712
        tables.Appraisal.year, ascending=False).first()
    return row["grade"] if row else None


async def my_appraisals(mediator_id: int) -> list[Appraisal]:
    return [record_of(Appraisal, row) for row in await tables.Appraisal.select().where(
        (tables.Appraisal.mediator_id == mediator_id) & (tables.Appraisal.confirmed == True)  # noqa: E712
    ).order_by(tables.Appraisal.year, ascending=False).output(load_json=True)]


async def annual_appraisal_job(today: date | None = None) -> dict[str, int]:
    """The scheduled run (15 January): a draft for the previous year for every city of the
    province, for administrators to review and confirm."""
    from core.regions import region_choices

    year = (today or clock.today()).year - 1
    changes = 0
    for code, _name, level in region_choices(max_level=2):
        if level == 2:
            result = await run_appraisal(year, code)
            changes += result.changes
    return {"year": year, "changes": changes}
