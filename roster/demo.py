"""Roster demo data: organisations of several types and filing states (one overdue), about
forty mediators across Fujian in every status, `org1` managing the Luojiang centre and
`mediator1` appointed there, and a recruitment call with candidates at each step.
Idempotent: it does nothing when the first organisation already exists."""

from __future__ import annotations

from datetime import date, timedelta

from core.auth.roles import Grant, Principal, Role
from core.auth.services import link_grant
from roster import personal, recruitment
from roster import services as roster
from roster.tables import Organisation

ORGANISATIONS = [
    ("洛江区劳动人事争议调解中心", "arbitration_centre", "350504"),
    ("洛江区万安街道劳动争议调解委员会", "township", "350504"),
    ("泉州市总工会劳动争议调解委员会", "union", "350500"),
    ("泉州市鞋服行业劳动争议调解委员会", "industry_regional", "350500"),
    ("晋江市联合调解中心", "joint_centre", "350582"),
    ("厦门市思明区劳动争议调解中心", "township", "350203"),
    ("福州市律师协会调解工作室", "personal_studio", "350102"),
    ("安踏体育企业劳动争议调解委员会", "enterprise_committee", "350582"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑"
GIVEN = ["建国", "晓梅", "志强", "丽华", "海峰", "雅琴", "明辉", "秀英", "文杰", "春燕", "国平", "婷婷", "永福", "美玲",
         "振华", "淑芬", "德明", "慧敏", "金龙", "玉兰"]
SOURCES = ["lawyer", "arbitrator", "retired_judge", "union_official", "hr_professional", "legal_expert",
           "labour_relations_coordinator", "retired_prosecutor", "law_student_intern", "other"]


def demo_id_number(n: int, region: str = "350504") -> str:
    first17 = f"{region}{1960 + n % 35}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + personal.id_check_digit(first17)


async def load_demo(context) -> None:
    if await Organisation.exists().where(Organisation.name == ORGANISATIONS[0][0]):
        return
    province_admin = Principal(user_id=context.users["admin"], username="admin", grants=(Grant(Role.ADMIN, "350000"),))
    org_ids = []
    for index, (name, kind, region) in enumerate(ORGANISATIONS):
        org_id = await roster.create_organisation(province_admin, {
            "name": name, "type": kind, "region_code": region, "address": f"{name[:5]}路{index + 1}号",
            "contact_name": "联络员", "contact_phone": f"0595-2234{index:04d}", "founded_on": f"{2010 + index}-03-01",
            "liaison_arbitrator": "陈仲裁" if index % 2 == 0 else ""})
        org_ids.append(org_id)
        if index < 6:
            await roster.submit_initial_filing(province_admin, org_id)
            filing = (await roster.filings(org_id))[0]
            if index == 5:
                await roster.decide_filing(province_admin, filing["id"], accept=False, reasons="章程缺少调解委员会组成办法，请补充后重新备案")
            else:
                await roster.decide_filing(province_admin, filing["id"], accept=True)
    await roster.set_standing(province_admin, org_ids[0], {"star_rating": "5", "star_rated_on": "2025-12-20",
                                                           "star_body": "福建省人力资源和社会保障厅", "gold_medal": "on",
                                                           "gold_medal_on": "2025-12-20",
                                                           "gold_medal_body": "福建省人力资源和社会保障厅"})
    await roster.set_standing(province_admin, org_ids[2], {"star_rating": "3", "star_rated_on": "2025-06-01",
                                                           "star_body": "泉州市人力资源和社会保障局"})
    # An unfiled change 45 days old (overdue) and a change filed late.
    await roster.record_change(province_admin, org_ids[3], "调解委员会主任变更", date.today() - timedelta(days=45))
    late = await roster.record_change(province_admin, org_ids[4], "新增调解员两名", date.today() - timedelta(days=50))
    await roster.submit_change_filing(province_admin, late)
    await roster.flag_overdue_filings()

    org1 = context.users.get("org1")
    if org1:
        await link_grant(org1, Role.ORG_MANAGER, organisation_id=org_ids[0])

    statuses = ["appointed"] * 30 + ["suspended"] * 3 + ["exited"] * 3 + ["applicant"] * 4
    for n, status in enumerate(statuses):
        org_index = n % 6
        region = ORGANISATIONS[org_index][2]
        user_id = context.users.get("mediator1") if n == 0 else None
        name = "林晓梅" if n == 0 else SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
        appointed_on = date(2024 + n % 3, 1 + n % 12, 1 + n % 27)
        mediator_id = await roster.create_mediator_record(
            name=name, region_code=region, gender="female" if n % 2 == 0 else "male",
            source_category=SOURCES[n % len(SOURCES)], employment="full_time" if n % 3 == 0 else "part_time",
            status=status, organisation_id=org_ids[org_index], user_id=user_id,
            id_number=demo_id_number(n, region), appointed_on=appointed_on)
        if n == 0:
            await roster.add_membership(province_admin, mediator_id, org_ids[2])
    context.log.append(f"roster: {len(org_ids)} organisations, {len(statuses)} mediators")

    call_id = await recruitment.open_call(province_admin, {
        "title": "2026年泉州市劳动争议调解员选聘公告", "region_code": "350500",
        "description": "面向社会选聘兼职劳动争议调解员，欢迎律师、退休法官、工会干部等报名。",
        "opens_on": (date.today() - timedelta(days=20)).isoformat(),
        "closes_on": (date.today() + timedelta(days=40)).isoformat(), "quota": "10", "min_years": "2"})
    applicants = [("郑思远", "lawyer"), ("许佳怡", "hr_professional"), ("蔡文博", "retired_judge")]
    for n, (name, source) in enumerate(applicants):
        app_id = await recruitment.apply_to_call(province_admin, call_id, {
            "name": name, "gender": "male", "id_number": demo_id_number(100 + n, "350503"), "phone": f"1390595{n:04d}",
            "source_category": source, "education": "bachelor", "years_experience": str(5 + n),
            "region_code": "350503"})
        if n >= 1:
            await recruitment.review_application(province_admin, app_id, accept=True)
    context.log.append("roster: a recruitment call with candidates under review and on notice")
