"""Review demo: three years of cases for the demo mediators, some complaints and a removal
finding, a confirmed appraisal of last year for Quanzhou and a draft for Xiamen, exit
notices in every state, and job runs in the history. Idempotent."""

from __future__ import annotations

import random
from datetime import date, timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from roster import services as roster
from roster.review import appeals, appraisal, exits, records
from roster.review.tables import AppraisalRun, Complaint, ExitNotice, MediationCase

DISPUTES = ["wage_arrears", "termination", "severance", "social_insurance", "work_injury", "labour_relation",
            "working_hours", "new_employment_forms", "collective"]


async def load_demo(context) -> None:
    if await MediationCase.exists():
        return
    admin = Principal(user_id=context.users["admin"], username="admin", grants=(Grant(Role.ADMIN, "350000"),))
    mediators = await roster.mediators_in_region("350000")
    me = await roster.mediator_for_user(context.users.get("mediator1"))
    draw = random.Random(2026)  # noqa: S311 - demo data only
    this_year = clock.today().year
    from roster.memberships import membership_periods

    periods = await membership_periods([m.id for m in mediators])

    def handled_there(m, received: date, closed: date | None) -> bool:
        """An organisation records only cases of its members' membership (the appraisal counts no other)."""
        return any(p.organisation_id == m.organisation_id and p.covers(received, closed or received)
                   for p in periods.get(m.id, []))

    cases: list[MediationCase] = []
    for index, m in enumerate(mediators):
        strength = 0.95 if index % 5 == 0 else (0.3 if index % 7 == 3 else 0.7)
        for year in (this_year - 2, this_year - 1, this_year):
            for n in range(4 + (index * 3 + year) % 12):
                received = date(year, 1 + n % 11, 1 + (index + n) % 27)
                if received > clock.today():
                    continue
                closed = received + timedelta(days=3 + n % 12)
                agreed = draw.random() < strength
                case = MediationCase(
                    mediator_id=m.id, region_code=m.region_code, organisation_id=m.organisation_id,
                    case_ref=f"{m.region_code}-{year}-{index:03d}{n:02d}", dispute_type=DISPUTES[(index + n) % 9],
                    received_on=received, closed_on=closed if closed <= clock.today() else None,
                    outcome=("agreement" if agreed else "no_agreement") if closed <= clock.today() else None,
                    satisfaction=(5 if agreed and strength > 0.9 else draw.choice([3, 4, 4, 5])) if agreed else 3,
                    source="import", created_at=clock.now())
                if handled_there(m, received, case.closed_on):  # drawn either way: the same demo as before
                    cases.append(case)
    for start in range(0, len(cases), 500):
        await MediationCase.insert(*cases[start:start + 500])
    others = [m for m in mediators if not me or m.id != me.id]
    for m in others[3:5]:  # two substantiated complaints: 不称职
        for k in range(2):
            await Complaint.insert(Complaint(mediator_id=m.id, region_code=m.region_code,
                                             received_on=date(this_year - 1, 4 + k, 8), substantiated=True,
                                             finding="调解过程中态度粗暴，经查属实", created_at=clock.now()))
    await Complaint.insert(Complaint(mediator_id=others[6].id, region_code=others[6].region_code,
                                     received_on=date(this_year - 1, 6, 1), substantiated=False, finding="经核查不属实",
                                     created_at=clock.now()))
    await records.record_finding(admin, others[8].id, {"found_on": (clock.today() - timedelta(days=40)).isoformat(),
                                                       "ground": "bribery", "sanction": "removal",
                                                       "description": "调解期间收受一方当事人礼品"})
    await records.record_finding(admin, others[9].id, {"found_on": (clock.today() - timedelta(days=10)).isoformat(),
                                                       "ground": "partiality", "sanction": "warning",
                                                       "description": "调解中偏袒一方当事人"})
    await records.record_finding(admin, others[10].id, {"found_on": (clock.today() - timedelta(days=5)).isoformat(),
                                                        "ground": "coercion", "sanction": "removal",
                                                        "description": "强迫当事人接受调解方案"})
    await records.record_finding(admin, others[11].id, {"found_on": (clock.today() - timedelta(days=20)).isoformat(),
                                                        "ground": "leaking_secrets", "sanction": "removal",
                                                        "description": "向案外人泄露当事人个人信息"})
    context.log.append(f"review: {len(cases)} cases, complaints and findings")

    await _certificates_held_last_year(others[:24], this_year)
    quanzhou = await appraisal.run_appraisal(this_year - 1, "350500", admin)
    await appraisal.run_appraisal(this_year - 1, "350200", admin)
    await appraisal.confirm_appraisal(admin, quanzhou.run_id)
    await exits.evaluate_exit_grounds("350000", admin)
    await _notices_in_every_state(admin)
    from core.jobs import run_job

    await run_job("daily_sweep", triggered_by="demo")
    runs = await AppraisalRun.count()
    context.log.append(f"review: {runs} appraisal runs, exit notices, a daily sweep run")


async def _certificates_held_last_year(mediators, this_year: int) -> None:
    """Certificates in force all of last year, so last year's appraisal shows every grade."""
    try:
        from certification import services as certification
    except ImportError:
        return
    standing = await certification.certificate_standing([m.id for m in mediators])
    for m in mediators:
        held = standing.get(m.id)
        if held is None or held.issued_on > date(this_year - 1, 1, 1):
            await certification.issue_certificate_unchecked(m.id, "junior", issued_on=date(this_year - 2, 3, 1))


async def _notices_in_every_state(admin: Principal) -> None:
    notices = await ExitNotice.select().where(ExitNotice.status == "open").order_by(ExitNotice.id)
    if len(notices) < 4:  # one is left open for appeal
        return
    appealed, upheld, withdrawn = notices[0], notices[1], notices[2]
    for notice in (appealed, upheld):
        person = Principal(user_id=None, username=f"mediator#{notice['mediator_id']}",
                           grants=(Grant(Role.MEDIATOR, notice["region_code"], mediator_id=notice["mediator_id"]),))
        await appeals.appeal(person, notice["id"], "本人对考评结果有异议：全年调解案件均已按期结案，请求复核。")
    await exits.decide(admin, upheld["id"], True, "经复核，申诉理由不成立，维持退出决定")
    await exits.decide(admin, withdrawn["id"], False, "经核查，相关记录有误，撤回通知")
