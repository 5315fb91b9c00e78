"""Expert pool demo: two courts with users (`court1` at the Quanzhou intermediate court),
about thirty experts across Fujian (roster mediators and others) with varied specialties,
conflicts and availability, an invited list, and past selections with outcomes.
Idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.auth.services import create_user, link_grant
from core.settings import get_settings
from expert_pool import court_selections, experts, invited_list, pool_snapshot, selection_steps
from expert_pool import selection as rules
from expert_pool.credit_codes import credit_code_check
from expert_pool.tables import Expert

DISPUTES = ["labour_relation", "wage_arrears", "working_hours", "termination", "severance", "social_insurance",
            "work_injury", "collective", "new_employment_forms"]
OTHERS = [("arbitrator", "泉州市劳动人事争议仲裁院"), ("lawyer", "福建泉州律师事务所"), ("scholar", "华侨大学法学院"),
          ("retired_judge", "泉州市中级人民法院（退休）"), ("retired_prosecutor", "泉州市人民检察院（退休）"),
          ("lawyer", "厦门海峡律师事务所"), ("scholar", "厦门大学法学院"), ("arbitrator", "厦门市劳动人事争议仲裁院")]
REGIONS = ["350504", "350503", "350582", "350500", "350203", "350206", "350102", "350104"]
SURNAMES = "陈林黄张吴郑王刘蔡杨许李洪庄苏"
GIVEN = ["德华", "秀玲", "志明", "丽娟", "国强", "美华", "文彬", "雪梅", "建平", "小燕", "宏伟", "静怡"]
COMPANY = "泉州某鞋业有限公司"
COMPANY_CODE = "91350500MA2XYN123" + credit_code_check("91350500MA2XYN123")


async def load_demo(context) -> None:
    if await Expert.exists():
        return
    quanzhou = await invited_list.create_court("泉州市中级人民法院", "350500")
    xiamen = await invited_list.create_court("厦门市思明区人民法院", "350203")
    await invited_list.create_court("泉州市劳动人事争议仲裁院", "350500", kind="arbitration")
    if context.users.get("court1"):
        await link_grant(context.users["court1"], Role.COURT, court_id=quanzhou)
    context.users["court2"] = await create_user("court2", context.password, "厦门市思明区人民法院立案庭",
                                                [Grant(Role.COURT, "350203", court_id=xiamen)])
    admin = Principal(user_id=context.users["admin"], username="admin", grants=(Grant(Role.ADMIN, "350000"),))
    draw = random.Random(60)  # noqa: S311 - demo data only
    from roster import services as roster

    mine = await roster.mediator_for_user(context.users.get("mediator1"))
    mediators = [m for m in await roster.mediators_in_region("350000") if not mine or m.id != mine.id][:19]
    mediators = ([mine] if mine and mine.status == "appointed" else []) + mediators
    ids = []
    for n in range(32):
        if n < len(mediators):
            m = mediators[n]
            data = {"name": m.name, "background": "mediator", "region_code": m.region_code, "mediator_id": m.id,
                    "organisation_name": m.organisation_name}
        else:
            background, org = OTHERS[n % len(OTHERS)]
            data = {"name": SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 5) % len(GIVEN)] + ("" if n < 40 else "甲"),
                    "background": background, "region_code": REGIONS[n % len(REGIONS)], "organisation_name": org}
        data["specialties"] = sorted(set(draw.sample(DISPUTES, 2 + n % 3)))
        data["max_concurrent_cases"] = 1 if n == 25 else 3  # one at their maximum after a case
        expert_id = await experts.nominate(admin, data)
        ids.append(expert_id)
        if n % 17 == 16:
            continue  # left nominated, awaiting review
        await experts.admit(admin, expert_id, on=clock.today() - timedelta(days=30 * (n % 20)))
        if n % 9 == 4:
            await experts.set_shared(admin, expert_id, True)
        if n == 26:
            await experts.suspend(admin, expert_id, "涉嫌违反调解纪律，暂停期间接受调查")
        if n == 27:
            await experts.add_absence(admin, expert_id, clock.today() - timedelta(days=3),
                                       clock.today() + timedelta(days=20), "出国访学")
        if n in (21, 29):
            await experts.add_conflict(admin, expert_id, {"kind": "former_employer", "party_name": COMPANY,
                                                           "credit_code": COMPANY_CODE,
                                                           "until": (clock.today() - timedelta(days=200)).isoformat()})
        if n == 23:
            await experts.add_conflict(admin, expert_id, {"kind": "represented", "party_name": "泉州某电子科技有限公司"})
        if n % 4 == 0 and n != 26:
            await invited_list.list_invited(admin, expert_id, [quanzhou] if REGIONS[n % len(REGIONS)] < "350600" and
                                        not REGIONS[n % len(REGIONS)].startswith("3502") else [xiamen])
    context.log.append(f"expert pool: {len(ids)} experts, 3 courts, invited listings")
    await _past_selections(context, quanzhou)


async def _past_selections(context, court_id: int) -> None:
    court = Principal(user_id=context.users["court1"], username="court1",
                      grants=(Grant(Role.COURT, "350500", court_id=court_id),))
    for n in range(6):
        on = clock.today() - timedelta(days=120 - n * 15)
        result = await court_selections.create_selection(court, {
            "case_no": f"（{on.year}）闽05民调{100 + n}号", "dispute_type": DISPUTES[n % len(DISPUTES)],
            "region": "350504", "count": 3, "allow_shared": n % 2 == 0,
            "employers": [{"name": COMPANY if n == 0 else f"泉州某制造有限公司{n}", "credit_code": COMPANY_CODE if n == 0 else ""}],
            "workers": [{"name": f"劳动者{n}"}], "agents": [{"name": "代理人", "firm": "泉州某律师事务所"}]},
            seed=f"demo-{n}", on=on)
        if not result.shortlist:
            continue
        if n == 5:
            continue  # left at the strike stage
        await selection_steps.strike(court, result.id, "employer", result.shortlist[-1:], [], on=on)
        await selection_steps.confirm(court, result.id, on=on)
        if n == 1 and len(result.shortlist) > 1:  # an expert with an account declines on their own page;
            invited = await experts.pool_expert((await court_selections.selection_view(court, result.id)).invited_expert_id)
            by = Principal(user_id=invited.user_id, username="expert", grants=()) if invited.user_id else court
            await selection_steps.answer(by, result.id, False, "已有其他案件冲突", on=on)  # else the court records it
        await selection_steps.answer(court, result.id, True, on=on + timedelta(days=1))
        if n == 4:  # still mediating, and at their case maximum: unavailable for the next case
            view = await court_selections.selection_view(court, result.id)
            await Expert.update({"max_concurrent_cases": 1}).where(Expert.id == view.accepted_expert_id)
        if n < 4:
            await selection_steps.record_outcome(court, result.id, ["agreement", "agreement", "no_agreement", "withdrawn"][n],
                                          on=on + timedelta(days=10))
    context.log.append("expert pool: past selections with strikes, answers and outcomes")
    await _invitation_for_mediator1(context, court)


async def _invitation_for_mediator1(context, court: Principal) -> None:
    """mediator1 is an expert too: a current case waits for their answer on /my/expert."""
    mine = await experts.expert_for_user(context.users.get("mediator1"))
    if mine is None:
        return
    data = {"case_no": f"（{clock.today().year}）闽05民调200号", "dispute_type": mine.specialties[0],
            "region": mine.region_code if mine.region_code.startswith("3505") else "350504", "count": 10,
            "employers": [{"name": "泉州某服装有限公司"}], "workers": [{"name": "劳动者甲"}, {"name": "劳动者乙"}]}
    # Find a seed whose fair draw puts mediator1 on the list (the same pure function as the real run).
    inputs = {**court_selections.validate_request(data), "on": clock.today().isoformat(),
              "lookback_years": get_settings().rules.conflict_lookback_years}
    snapshot = await pool_snapshot.pool_snapshot(inputs, clock.today())
    seed = next((f"demo-mediator1-{n}" for n in range(200)
                 if mine.id in rules.select(inputs, snapshot, f"demo-mediator1-{n}")[0]), None)
    if seed is None:
        return
    result = await court_selections.create_selection(court, data, seed=seed)
    if mine.id in result.shortlist:
        await selection_steps.confirm(court, result.id, designate=mine.id)
        context.log.append("expert pool: an invitation waits for mediator1")
