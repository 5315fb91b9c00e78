"""Exit (退出): grounds evaluated after each appraisal and by the daily sweep; each makes an
exit notice with its ground and figures; the mediator may appeal within 15 days; an
administrator upholds (the mediator exits, leaves the roster, the invited list and the
expert pool, and their certificate is suspended) or withdraws it. Nothing happens silently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from core import audit, clock, events
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.i18n import N_, _
from core.regions import region_like, within_regions
from core.settings import get_settings
from core.vocab import AppraisalGrade
from roster.review import tables
from roster.review.events import MediatorExited, refusals
from roster.review.tables import record_of

# An exit notice's figures as stored in its JSON column (the keys depend on the ground).
NoticeFigures = dict[str, Any]


class ExitGround(NamedTuple):
    """A mediator's exit ground found by the rules, with the figures that make it."""

    mediator_id: int
    region_code: str
    ground: str
    figures: NoticeFigures


@dataclass(frozen=True, slots=True)
class ExitNotice:
    """An exit notice (退出通知) as pages show it and the decision reads it."""

    id: int
    mediator_id: int
    region_code: str
    ground: str
    dedupe_key: str
    figures: NoticeFigures
    issued_on: date
    appeal_deadline: date
    status: str
    decided_by: int | None
    decided_on: date | None
    decision_reason: str
    created_at: datetime


GROUNDS = {
    "incompetent": N_("Graded 不称职 in the annual appraisal"),
    "basic_two_years": N_("Graded 基本称职 two years in a row"),
    "certificate_revoked": N_("Certificate revoked"),
    "certificate_expired": N_("Certificate expired for more than %(days)s days without renewal"),
    "inactive": N_("No case and no training hours in %(years)s consecutive years"),
    "removal_finding": N_("Disciplinary finding of a removal ground"),
    "refused_cases": N_("Refused assigned cases %(n)s times in %(months)s months without good reason"),
    "term_ended": N_("Appointment term ended without reappointment"),
}


def ground_text(ground: str) -> str:
    r = get_settings().rules
    return _(GROUNDS[ground], days=r.expired_certificate_exit_days, years=r.inactivity_exit_years,
             n=r.refusals_before_exit, months=r.refusal_window_months)


# An exit notice in words: its ground with the figures that made it (one sentence, shown to the
# mediator, to administrators and in the notification; never the raw ground key or figures).
NOTICE_TEXT = {
    "incompetent": N_("Graded 'incompetent' in the %(year)s appraisal"),
    "basic_two_years": N_("Graded 'basically competent' two years running (%(first)s, %(second)s)"),
    "certificate_revoked": N_("Certificate %(no)s was revoked"),
    "certificate_expired": N_("Certificate expired on %(day)s, more than %(limit)s days ago"),
    "inactive": N_("No case and no training hours in %(n)s consecutive years (%(first)s to %(last)s)"),
    "removal_finding": N_("Disciplinary finding of %(day)s: %(finding)s; sanction: removal"),
    "refused_cases": N_("Refused assigned cases %(n)s times without good reason since %(day)s"),
    "term_ended": N_("Appointment term ended on %(day)s without reappointment"),
}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def day_in_words(day: date | str) -> str:
    """2026年8月1日 in Chinese, 1 August 2026 in English."""
    from core.i18n import current_language

    day = date.fromisoformat(day[:10]) if isinstance(day, str) else day
    if current_language.get() == "zh_CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def notice_text(ground: str, figures: NoticeFigures | None = None) -> str:
    """The ground and its figures as one sentence in the reader's language, e.g. 连续两年考评为
    基本称职（2024年、2025年）/ Graded 'basically competent' two years running (2024, 2025)."""
    from roster.review.records import finding_ground_text

    f = figures or {}
    r = get_settings().rules
    try:
        if ground == "incompetent":
            return _(NOTICE_TEXT[ground], year=f["year"])
        if ground == "basic_two_years":
            first, second = sorted(f["years"])[:2]
            return _(NOTICE_TEXT[ground], first=first, second=second)
        if ground == "certificate_revoked":
            return _(NOTICE_TEXT[ground], no=f["certificate_no"])
        if ground == "certificate_expired":
            return _(NOTICE_TEXT[ground], day=day_in_words(f["expired_on"]), limit=r.expired_certificate_exit_days)
        if ground == "inactive":
            years = sorted(f["years"])
            return _(NOTICE_TEXT[ground], n=len(years), first=years[0], last=years[-1])
        if ground == "removal_finding":
            return _(NOTICE_TEXT[ground], day=day_in_words(f["found_on"]), finding=finding_ground_text(f["ground"]))
        if ground == "refused_cases":
            return _(NOTICE_TEXT[ground], n=f["refusals"], day=day_in_words(f["since"]))
        if ground == "term_ended":
            return _(NOTICE_TEXT[ground], day=day_in_words(f["term_ended_on"]))
    except (KeyError, TypeError, ValueError, IndexError):
        pass  # a notice stored without its figures still names its ground
    return ground_text(ground) if ground in GROUNDS else ground


async def _training_hours(ids: list[int], year: int) -> dict[int, float]:
    try:
        from training import services as training
    except ImportError:
        return {}
    return await training.training_hours(ids, year) if hasattr(training, "training_hours") else {}


async def _standing(ids: list[int]) -> dict[int, Any]:
    try:
        from certification import services as certification
    except ImportError:
        return {}
    return await certification.certificate_standing(ids) if hasattr(certification, "certificate_standing") else {}


async def _refusals(ids: list[int], since: date) -> dict[int, int]:
    return await refusals(ids, since)


async def find_grounds(region_code: str, today: date | None = None) -> list[ExitGround]:
    """Every appointed mediator's exit grounds, each with its figures."""
    from roster import services as roster
    from roster.memberships import qualifying_case_sql

    today = today or clock.today()
    rules = get_settings().rules
    mediators = {m.id: m for m in await roster.mediators_in_region(region_code, statuses=("appointed",))}
    ids = list(mediators)
    found: list[tuple[int, str, str, NoticeFigures]] = []
    if not ids:
        return []
    like = region_like(region_code)
    grades = await tables.Appraisal.select(
        tables.Appraisal.mediator_id, tables.Appraisal.year, tables.Appraisal.grade).where(
        (tables.Appraisal.confirmed == True) & tables.Appraisal.region_code.like(like))  # noqa: E712
    by_mediator: dict[int, dict[int, str]] = {}
    for g in grades:
        by_mediator.setdefault(g["mediator_id"], {})[g["year"]] = g["grade"]
    for mid, graded in by_mediator.items():
        if mid not in mediators:
            continue
        for year, the_grade in graded.items():
            if the_grade == AppraisalGrade.INCOMPETENT:
                found.append((mid, "incompetent", str(year), {"year": year, "grade": the_grade}))
            if the_grade == AppraisalGrade.BASIC and graded.get(year - 1) == AppraisalGrade.BASIC:
                found.append((mid, "basic_two_years", str(year), {"years": [year - 1, year]}))
    standing = await _standing(ids)
    for mid, s in standing.items():
        if s.status == "revoked":
            found.append((mid, "certificate_revoked", s.certificate_no, {"certificate_no": s.certificate_no}))
        if s.status == "expired" and (today - s.expires_on).days > rules.expired_certificate_exit_days:
            found.append((mid, "certificate_expired", s.certificate_no,
                          {"certificate_no": s.certificate_no, "expired_on": s.expires_on.isoformat(),
                           "days": (today - s.expires_on).days}))
    # Inactivity: the last N full years with neither a case nor credited training hours.
    years = [today.year - k for k in range(1, rules.inactivity_exit_years + 1)]
    # a case counts only as the appraisal counts it: recorded by an organisation the mediator belonged to
    active = {r["mediator_id"] for r in await tables.MediationCase.raw(
        "SELECT DISTINCT c.mediator_id FROM mediation_case c WHERE c.region_code LIKE {} AND c.received_on >= {} "
        "AND c.received_on < {} AND " + qualifying_case_sql("c"), like, date(min(years), 1, 1),
        date(max(years) + 1, 1, 1))}
    for year in years:
        active |= {mid for mid, h in (await _training_hours(ids, year)).items() if h > 0}
    for mid, m in mediators.items():
        if mid not in active and m.appointed_on and m.appointed_on < date(min(years), 1, 1):
            found.append((mid, "inactive", f"{min(years)}-{max(years)}", {"years": sorted(years), "cases": 0, "hours": 0}))
    # The sanction decides: a warning or a public notice is on the record but starts no exit.
    from roster.review.records import EXIT_SANCTIONS

    for f in await tables.DisciplinaryFinding.select().where(
            tables.DisciplinaryFinding.region_code.like(like)
            & (tables.DisciplinaryFinding.removal_ground == True)  # noqa: E712
            & tables.DisciplinaryFinding.sanction.is_in(list(EXIT_SANCTIONS))):
        if f["mediator_id"] in mediators:
            found.append((f["mediator_id"], "removal_finding", str(f["id"]),
                          {"ground": f["ground"], "found_on": f["found_on"].isoformat(), "sanction": f["sanction"]}))
    since = today - timedelta(days=round(rules.refusal_window_months * 30.4))
    for mid, n in (await _refusals(ids, since)).items():
        if n >= rules.refusals_before_exit:
            found.append((mid, "refused_cases", f"{since.isoformat()}", {"refusals": n, "since": since.isoformat()}))
    for mid, m in mediators.items():
        if m.term_ends_on and m.term_ends_on < today:
            found.append((mid, "term_ended", m.term_ends_on.isoformat(), {"term_ended_on": m.term_ends_on.isoformat()}))
    return [ExitGround(mid, mediators[mid].region_code, ground, figures) for mid, ground, _key, figures in
            _dedupe(found)]


def _dedupe(found):
    seen = set()
    for item in found:
        key = (item[0], item[1], item[2])
        if key not in seen:
            seen.add(key)
            yield item


async def evaluate_exit_grounds(region_code: str = "350000", actor: Principal | None = None,
                                today: date | None = None) -> int:
    """Issue an exit notice for each ground not already noticed; returns how many were new."""
    today = today or clock.today()
    found = await find_grounds(region_code, today)
    if not found:
        return 0
    keys = [f"{mid}:{ground}:{_figures_key(figures)}" for mid, _r, ground, figures in found]
    from core.db import IN_CHUNK

    existing: set[str] = set()
    for start in range(0, len(keys), IN_CHUNK):
        existing |= {r["dedupe_key"] for r in await tables.ExitNotice.select(tables.ExitNotice.dedupe_key).where(
            tables.ExitNotice.dedupe_key.is_in(keys[start:start + IN_CHUNK]))}
    deadline = today + timedelta(days=get_settings().rules.appeal_window_days)
    # each new notice with its sentence, for the audit and the mediator's message alike
    new = [(tables.ExitNotice(mediator_id=mid, region_code=region, ground=ground, dedupe_key=key, figures=figures,
                       issued_on=today, appeal_deadline=deadline, status="open", created_at=clock.now()),
            notice_text(ground, figures))
           for (mid, region, ground, figures), key in zip(found, keys, strict=True) if key not in existing]
    if not new:
        return 0
    async with write_transaction():
        await tables.ExitNotice.insert(*[notice for notice, _text in new])
        await audit.record_many([audit.audit_row(actor, "issue_exit_notice", "mediator", n.mediator_id,
                                                 region_code=n.region_code, after={"ground": n.ground},
                                                 reason=text) for n, text in new])
        await _notify(new)
    return len(new)


GRADE_GROUNDS = ("incompetent", "basic_two_years")
UNDECIDED = ("open", "appealed", "lapsed")


def _rests_on_year(notice: ExitNotice, year: int) -> bool:
    figures = notice.figures or {}
    return figures.get("year") == year or year in (figures.get("years") or [])


async def withdraw_notices_of_superseded_grades(actor: Principal | None, run_id: int, year: int,
                                                mediator_ids: list[int], region_code: str,
                                                today: date | None = None) -> int:
    """Exit rules count only the current grade: an undecided notice that rested on a grade of
    `year` now superseded by run `run_id` is withdrawn (audited, with the reason), unless the
    current grades give the very same ground. Returns how many were withdrawn."""
    from core.db import chunks

    today = today or clock.today()
    still = {f"{mid}:{ground}:{_figures_key(figures)}" for mid, _r, ground, figures in await find_grounds(
        region_code, today) if ground in GRADE_GROUNDS}
    stale: list[ExitNotice] = []
    for part in chunks(sorted(set(mediator_ids))):
        stale += [n for n in (record_of(ExitNotice, row) for row in await tables.ExitNotice.select().where(
            tables.ExitNotice.mediator_id.is_in(part) & tables.ExitNotice.ground.is_in(list(GRADE_GROUNDS))
            & tables.ExitNotice.status.is_in(list(UNDECIDED))).output(load_json=True))
            if _rests_on_year(n, year) and n.dedupe_key not in still]
    if not stale:
        return 0
    reason = _("The grade this notice rested on was superseded by appraisal no. %(run)s.", run=run_id)
    async with write_transaction():
        for part in chunks([n.id for n in stale]):
            await tables.ExitNotice.update({"status": "withdrawn", "decided_by": actor.user_id if actor else None,
                                     "decided_on": today, "decision_reason": reason}).where(
                tables.ExitNotice.id.is_in(part) & tables.ExitNotice.status.is_in(list(UNDECIDED)))
        await audit.record_many([audit.audit_row(actor, "withdraw_exit", "mediator", n.mediator_id,
                                                 region_code=n.region_code, before={"status": n.status},
                                                 after={"status": "withdrawn", "superseded_by_run": run_id},
                                                 reason=reason) for n in stale])
    return len(stale)


def _figures_key(figures: NoticeFigures) -> str:
    return ",".join(f"{k}={figures[k]}" for k in sorted(figures) if k in ("year", "years", "certificate_no", "ground",
                                                                         "found_on", "since", "term_ended_on"))[:80]


async def _notify(notices: list[tuple[tables.ExitNotice, str]]) -> None:
    """The mediator is told in the site (and through the outbox) of the notice (its sentence)
    with the appeal deadline."""
    from core.notifications import Message, notify
    from roster import services as roster

    summaries = await roster.mediator_summaries([n.mediator_id for n, _text in notices])
    rows = []
    for n, text in notices:
        s = summaries.get(n.mediator_id)
        if s and s.user_id:
            rows.append(Message(user_id=s.user_id, kind="exit_notice", dedupe_key=f"exit:{n.dedupe_key}"[:120],
                                subject=_("Exit notice: %(ground)s", ground=text),
                                body=_("You may appeal until %(day)s.", day=n.appeal_deadline.isoformat())))
    await notify(rows)


async def exit_notice(notice_id: int) -> ExitNotice:
    row = await tables.ExitNotice.select().where(tables.ExitNotice.id == notice_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such exit notice."))
    return record_of(ExitNotice, row)


async def decide(principal: Principal, notice_id: int, uphold: bool, reason: str, today: date | None = None) -> None:
    """Uphold: the mediator exits and leaves the roster, the invited list and the expert pool,
    and their certificates are suspended — all in one transaction. Withdraw: nothing changes."""
    today = today or clock.today()
    notice = await exit_notice(notice_id)
    if not principal.can_act_in(notice.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if notice.status not in ("open", "appealed", "lapsed"):
        raise Conflict(_("This notice has already been decided."))
    if not reason.strip():
        raise DomainError(_("Give the reason for the decision."), "reason")
    if uphold and notice.status == "open" and today <= notice.appeal_deadline:
        raise Conflict(_("The mediator may appeal until %(day)s; decide after that or after the appeal.",
                         day=notice.appeal_deadline.isoformat()))
    async with write_transaction():
        await tables.ExitNotice.update({"status": "upheld" if uphold else "withdrawn", "decided_by": principal.user_id,
                                 "decided_on": today, "decision_reason": reason.strip()}).where(
            tables.ExitNotice.id == notice_id)
        await audit.record(principal, "uphold_exit" if uphold else "withdraw_exit", "mediator", notice.mediator_id,
                           region_code=notice.region_code, reason=reason.strip())
    if uphold:
        await _carry_out_exit(principal, notice, today)


async def _carry_out_exit(principal: Principal, notice: ExitNotice, today: date) -> None:
    from certification import services as certification
    from roster import services as roster

    ground = notice_text(notice.ground, notice.figures)
    await roster.change_mediator_status(notice.mediator_id, "exited", ground=ground, actor=principal, on=today)
    await certification.suspend_certificates_of_mediator(notice.mediator_id, ground, principal)  # a floor below
    await events.publish(MediatorExited(notice.mediator_id, ground, principal))  # the pool, a floor above


async def mark_lapsed_appeal_windows(today: date | None = None) -> int:
    """Daily sweep: open notices past their appeal window await the administrator's decision
    (they are flagged, never carried out silently)."""
    today = today or clock.today()
    async with write_transaction():
        rows = await tables.ExitNotice.update({"status": "lapsed"}).where(
            (tables.ExitNotice.status == "open") & (tables.ExitNotice.appeal_deadline < today)).returning(
            tables.ExitNotice.id)
    return len(rows)


async def notices(region_codes: list[str], status: str = "") -> list[ExitNotice]:
    where = within_regions(tables.ExitNotice.region_code, region_codes)
    if where is None:
        return []
    if status:
        where = where & (tables.ExitNotice.status == status)
    return [record_of(ExitNotice, row) for row in await tables.ExitNotice.select().where(where).order_by(
        tables.ExitNotice.id, ascending=False).limit(500).output(load_json=True)]


async def notices_of(mediator_id: int) -> list[ExitNotice]:
    return [record_of(ExitNotice, row) for row in await tables.ExitNotice.select().where(
        tables.ExitNotice.mediator_id == mediator_id).order_by(tables.ExitNotice.id, ascending=False).output(
        load_json=True)]
