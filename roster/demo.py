"""Roster demo data: forty-two organisations of every type across Fujian's nine cities in
every filing state (one overdue, one filed late), three hundred mediators of every source
category and status, `org1` managing the Luojiang centre and `mediator1` appointed there;
recruitment: an open Quanzhou call with applications at each step (some with documents), and
a finished Xiamen call (accepted, rejected with reasons, one objection dismissed, one upheld,
candidates appointed). `applicant1` is a citizen's account with applications in both calls.
Everything goes through the services (audited, numbered) inside one transaction, which keeps
the load quick on SQLite. Idempotent: it does nothing when the first organisation exists."""

from __future__ import annotations

import io
from datetime import date, timedelta
from functools import lru_cache

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.auth.services import create_user, link_grant
from core.db import write_transaction
from core.settings import get_settings
from core.workdays import add_working_days
from roster import (
    applications,
    filings,
    memberships,
    organisations,
    personal,
    public_notice,
    recruitment,
    standing,
)
from roster import services as roster
from roster.tables import Application, Objection, Organisation, RecruitmentCall

ORGANISATIONS = [
    ("洛江区劳动人事争议调解中心", "arbitration_centre", "350504"),
    ("洛江区万安街道劳动争议调解委员会", "township", "350504"),
    ("泉州市总工会劳动争议调解委员会", "union", "350500"),
    ("泉州市鞋服行业劳动争议调解委员会", "industry_regional", "350500"),
    ("晋江市联合调解中心", "joint_centre", "350582"),
    ("厦门市思明区劳动争议调解中心", "township", "350203"),
    ("福州市律师协会调解工作室", "personal_studio", "350102"),
    ("安踏体育企业劳动争议调解委员会", "enterprise_committee", "350582"),
    # The other cities of Fujian: every type of organisation somewhere.
    ("福州市劳动人事争议仲裁院调解中心", "arbitration_centre", "350100"),
    ("福州市鼓楼区总工会劳动争议调解委员会", "union", "350102"),
    ("福州市工商业联合会劳动争议调解委员会", "chamber_of_commerce", "350100"),
    ("福清市融侨经济开发区劳动争议调解委员会", "industry_regional", "350181"),
    ("福清融信玻璃有限公司劳动争议调解委员会", "enterprise_committee", "350181"),
    ("厦门市劳动人事争议仲裁院调解中心", "arbitration_centre", "350200"),
    ("厦门市湖里区人民调解委员会", "peoples_committee", "350206"),
    ("厦门市集美区劳动争议联合调解中心", "joint_centre", "350211"),
    ("厦门市海沧区新阳街道劳动争议调解委员会", "township", "350205"),
    ("厦门市软件行业协会劳动争议调解委员会", "chamber_of_commerce", "350203"),
    ("莆田市劳动人事争议仲裁院调解中心", "arbitration_centre", "350300"),
    ("莆田市工艺美术行业劳动争议调解委员会", "industry_regional", "350304"),
    ("仙游县总工会劳动争议调解委员会", "union", "350322"),
    ("三明市劳动人事争议调解中心", "arbitration_centre", "350400"),
    ("永安市燕西街道劳动争议调解委员会", "township", "350481"),
    ("三明市法律援助中心劳动争议调解工作站", "public_institution", "350404"),
    ("石狮市服装商会劳动争议调解委员会", "chamber_of_commerce", "350581"),
    ("南安市水头镇劳动争议调解委员会", "township", "350583"),
    ("惠安县螺城镇人民调解委员会", "peoples_committee", "350521"),
    ("泉州市丰泽区陈志明律师调解工作室", "personal_studio", "350503"),
    ("漳州市劳动人事争议仲裁院调解中心", "arbitration_centre", "350600"),
    ("漳州市芗城区劳动争议联合调解中心", "joint_centre", "350602"),
    ("漳浦县总工会劳动争议调解委员会", "union", "350623"),
    ("漳州市食品产业园区劳动争议调解委员会", "industry_regional", "350604"),
    ("南平市延平区劳动人事争议调解中心", "arbitration_centre", "350702"),
    ("武夷山市茶产业劳动争议调解委员会", "industry_regional", "350782"),
    ("南平市人力资源服务协会劳动争议调解委员会", "public_institution", "350700"),
    ("龙岩市新罗区劳动争议联合调解中心", "joint_centre", "350802"),
    ("上杭金山矿业有限公司劳动争议调解委员会", "enterprise_committee", "350823"),
    ("龙岩市总工会劳动争议调解委员会", "union", "350800"),
    ("宁德市蕉城区蕉南街道劳动争议调解委员会", "township", "350902"),
    ("宁德新能电池有限公司劳动争议调解委员会", "enterprise_committee", "350902"),
    ("福安市人民调解委员会劳动争议调解工作室", "peoples_committee", "350981"),
    ("宁德市林秀清个人调解工作室", "personal_studio", "350902"),
]
# Of the organisations after the first eight: which are left awaiting review, returned or unfiled.
SUBMITTED_ONLY, RETURNED, UNFILED = {14, 27, 38}, {22}, {33, 41}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑"
GIVEN = ["建国", "晓梅", "志强", "丽华", "海峰", "雅琴", "明辉", "秀英", "文杰", "春燕", "国平", "婷婷", "永福", "美玲",
         "振华", "淑芬", "德明", "慧敏", "金龙", "玉兰"]
SOURCES = ["lawyer", "arbitrator", "retired_judge", "union_official", "hr_professional", "legal_expert",
           "labour_relations_coordinator", "retired_prosecutor", "law_student_intern", "other"]
# Names of the mediators after the first forty (30 × 30 distinct names).
MORE_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭"
MORE_GIVEN = ["思远", "佳怡", "文博", "雨桐", "浩然", "静怡", "子涵", "欣妍", "宇轩", "梓萱", "俊杰", "雅婷", "家豪", "诗涵",
              "立新", "秀兰", "卫东", "桂英", "建华", "丽娟", "宏伟", "晓燕", "志刚", "淑珍", "海燕", "学军", "红梅", "伟民",
              "凤英", "国强"]
MEDIATORS = 300
SUSPENSION_GROUNDS = ["涉嫌违反调解纪律，暂停履职接受调查", "因病长期休养，本人申请暂停履职"]
def members_since(today: date) -> date:
    """Demo members have belonged to their organisation since before the review demo's three
    years of cases, so those cases count (a case counts only inside a membership)."""
    return date(today.year - 3, 1, 1)


EXIT_GROUNDS = ["本人申请辞去调解员职务", "工作调动离开本地区，不再担任调解员", "年度考评不称职，经复核维持退出决定"]


def demo_id_number(n: int, region: str = "350504") -> str:
    first17 = f"{region}{1960 + n % 35}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + personal.id_check_digit(first17)


APPLICANT1_ID = demo_id_number(777, "350206")  # the same person in both calls


def _mediator_name(n: int) -> str:
    if n < 40:  # the first forty keep the names other domains' demos and screenshots show
        return "林晓梅" if n == 0 else SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
    k = n - 40
    return MORE_SURNAMES[k % 30] + MORE_GIVEN[(k // 30 + k * 7) % 30]


def _status(n: int) -> str:
    if n < 40:
        return (["appointed"] * 30 + ["suspended"] * 3 + ["exited"] * 3 + ["applicant"] * 4)[n]
    return {16: "suspended", 17: "exited", 18: "exited", 19: "applicant"}.get(n % 20, "appointed")


@lru_cache(maxsize=16)
def demo_png(colour: str, label_bars: int = 3) -> bytes:
    """A small scan-like PNG (a page with a few grey lines)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (120, 160), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 110, 40), outline=colour, width=3)
    for line in range(label_bars):
        draw.line((15, 60 + line * 20, 105, 60 + line * 20), fill="#999999", width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@lru_cache(maxsize=16)
def demo_pdf(colour: str) -> bytes:
    """A valid one-page PDF (Pillow writes it), starting with %PDF- and ending with %%EOF."""
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(demo_png(colour, 5))).save(out, format="PDF", resolution=72)
    return out.getvalue()


async def load_demo(context) -> None:
    if await Organisation.exists().where(Organisation.name == ORGANISATIONS[0][0]):
        return
    province_admin = Principal(user_id=context.users["admin"], username="admin", grants=(Grant(Role.ADMIN, "350000"),))
    # A citizen's account with no role: anyone signed in may apply to a call.
    context.users["applicant1"] = await create_user("applicant1", context.password, "黄雅婷")
    context.log.append("account created: applicant1 (an applicant: see My applications)")
    async with write_transaction():  # one transaction: thousands of small writes, one commit
        org_ids = await _organisations(province_admin)
        org1 = context.users.get("org1")
        if org1:
            await link_grant(org1, Role.ORG_MANAGER, organisation_id=org_ids[0])
        await _mediators(context, province_admin, org_ids)
        await _open_call(context, province_admin)
        await _finished_call(context, province_admin, org_ids)


async def _arbitrator(province_admin: Principal, region: str, made: dict[str, int]) -> int:
    """One liaison arbitrator per city, of the city's arbitration court (仲裁院)."""
    from core.regions import region_name
    from roster import liaison

    city = region[:4] + "00"
    if city not in made:
        made[city] = await liaison.add_arbitrator(province_admin, {
            "name": "陈仲裁", "court": f"{region_name(city)}劳动人事争议仲裁院", "region_code": city,
            "phone": f"1390595{len(made):04d}"})
    return made[city]


async def _organisations(province_admin: Principal) -> list[int]:
    org_ids = []
    arbitrators: dict[str, int] = {}
    for index, (name, kind, region) in enumerate(ORGANISATIONS):
        org_id = await organisations.create_organisation(province_admin, {
            "name": name, "type": kind, "region_code": region, "address": f"{name[:5]}路{index + 1}号",
            "contact_name": "联络员", "contact_phone": f"0595-2234{index:04d}", "founded_on": f"{2010 + index % 14}-03-01",
            "liaison": await _arbitrator(province_admin, region, arbitrators) if index % 2 == 0 else ""})
        org_ids.append(org_id)
        if index in (6, 7) or index in UNFILED:
            continue  # never filed
        await filings.submit_initial_filing(province_admin, org_id)
        if index in SUBMITTED_ONLY:
            continue  # awaiting the administrator's review
        filing = (await filings.filings(org_id))[0]
        if index == 5 or index in RETURNED:
            await filings.decide_filing(province_admin, filing.id, accept=False,
                                       reasons="章程缺少调解委员会组成办法，请补充后重新备案")
        else:
            await filings.decide_filing(province_admin, filing.id, accept=True)
    await standing.set_standing(province_admin, org_ids[0], {"star_rating": "5", "star_rated_on": "2025-12-20",
                                                           "star_body": "福建省人力资源和社会保障厅", "gold_medal": "on",
                                                           "gold_medal_on": "2025-12-20",
                                                           "gold_medal_body": "福建省人力资源和社会保障厅"})
    await standing.set_standing(province_admin, org_ids[2], {"star_rating": "3", "star_rated_on": "2025-06-01",
                                                           "star_body": "泉州市人力资源和社会保障局"})
    for index, stars in ((8, "4"), (13, "5"), (20, "3"), (28, "2"), (35, "4")):
        await standing.set_standing(province_admin, org_ids[index], {
            "star_rating": stars, "star_rated_on": "2025-12-20", "star_body": "福建省人力资源和社会保障厅",
            **({"gold_medal": "on", "gold_medal_on": "2025-12-20", "gold_medal_body": "福建省人力资源和社会保障厅"}
               if stars == "5" else {})})
    # An unfiled change 45 days old (overdue) and a change filed late.
    await filings.record_change(province_admin, org_ids[3], "调解委员会主任变更", clock.today() - timedelta(days=45))
    late = await filings.record_change(province_admin, org_ids[4], "新增调解员两名", clock.today() - timedelta(days=50))
    await filings.submit_change_filing(province_admin, late)
    await filings.flag_overdue_filings()
    return org_ids


async def _mediators(context, province_admin: Principal, org_ids: list[int]) -> None:
    today = clock.today()
    statuses: dict[str, int] = {}
    for n in range(MEDIATORS):
        status = _status(n)
        statuses[status] = statuses.get(status, 0) + 1
        # the first forty sit in the first six organisations, as before; the rest everywhere
        org_index = n % 6 if n < 40 else n % len(ORGANISATIONS)
        region = ORGANISATIONS[org_index][2]
        user_id = context.users.get("mediator1") if n == 0 else None
        appointed_on = (date(2024 + n % 3, 1 + n % 12, 1 + n % 27) if n < 40
                        else today - timedelta(days=20 + (n * 37) % 1000))
        later = n >= 40 and status in ("suspended", "exited")  # with a real ground, below
        mediator_id = await roster.create_mediator_record(
            name=_mediator_name(n), region_code=region, gender="female" if n % 2 == 0 else "male",
            source_category=SOURCES[n % len(SOURCES)], employment="full_time" if n % 3 == 0 else "part_time",
            status="appointed" if later else status, organisation_id=org_ids[org_index], user_id=user_id,
            id_number=demo_id_number(n, region), appointed_on=appointed_on,
            joined_on=min(appointed_on, members_since(today)))
        if later:
            grounds = SUSPENSION_GROUNDS if status == "suspended" else EXIT_GROUNDS
            await roster.change_mediator_status(mediator_id, status, ground=grounds[n % len(grounds)],
                                                actor=province_admin, on=min(today, appointed_on + timedelta(days=200)))
        if n == 0:
            await memberships.propose_membership(province_admin, mediator_id, org_ids[2])
    org1 = context.users.get("org1")
    if org1:  # the Luojiang centre asks a Quanzhou mediator to join: pending until they or Quanzhou accept
        manager = Principal(user_id=org1, username="org1",
                            grants=(Grant(Role.ORG_MANAGER, "350504", organisation_id=org_ids[0]),))
        asked = await roster.mediators_in_region(ORGANISATIONS[2][2])
        await memberships.propose_membership(manager, next(m.id for m in asked if m.organisation_id == org_ids[2]), org_ids[0])
    context.log.append(f"roster: {len(org_ids)} organisations, {MEDIATORS} mediators "
                       f"({', '.join(f'{count} {status}' for status, count in sorted(statuses.items()))})")


def _applicant_form(n: int, name: str, source: str, region: str, years: int, **extra) -> dict[str, str]:
    return {"name": name, "gender": "female" if n % 2 else "male", "id_number": demo_id_number(500 + n, region),
            "phone": f"1390595{n:04d}", "source_category": source, "education": "bachelor",
            "years_experience": str(years), "region_code": region, "profession": extra.pop("profession", ""), **extra}


def _papers(n: int) -> list[tuple[str, bytes]]:
    """The documents an applicant attaches: an ID copy, a certificate, sometimes a CV."""
    colours = ["#1f4e79", "#7a1f1f", "#1f7a3a", "#6b4e16"]
    papers = [("身份证复印件.png", demo_png(colours[n % 4])), ("资格证书.pdf", demo_pdf(colours[(n + 1) % 4]))]
    return papers + ([("个人简历.pdf", demo_pdf(colours[(n + 2) % 4]))] if n % 2 else [])


async def _open_call(context, province_admin: Principal) -> None:
    """The Quanzhou call, open now (the first call: the browser tests apply to it)."""
    call_id = await recruitment.open_call(province_admin, {
        "title": "2026年泉州市劳动争议调解员选聘公告", "region_code": "350500",
        "description": "面向社会选聘兼职劳动争议调解员，欢迎律师、退休法官、工会干部等报名。",
        "opens_on": (clock.today() - timedelta(days=20)).isoformat(),
        "closes_on": (clock.today() + timedelta(days=40)).isoformat(), "quota": "10", "min_years": "2"})
    paper = Principal(user_id=None, username="window", grants=())  # applications taken at the service window
    applicant1 = Principal(user_id=context.users["applicant1"], username="applicant1")
    # (name, source, region, years, by, papers, decision)
    plan = [
        ("郑思远", "lawyer", "350503", 5, paper, True, None),
        ("许佳怡", "hr_professional", "350503", 6, paper, False, "accept"),
        ("蔡文博", "retired_judge", "350503", 7, paper, True, "accept"),
        ("黄雅婷", "union_official", "350504", 8, applicant1, True, "accept"),
        ("吴承泽", "labour_relations_coordinator", "350582", 4, paper, True, None),
        ("刘书瑶", "law_student_intern", "350502", 0, paper, False, "reject"),
    ]
    for n, (name, source, region, years, by, papers, decision) in enumerate(plan):
        form = _applicant_form(n, name, source, region, years, **({"id_number": APPLICANT1_ID} if by is applicant1 else {}))
        app_id = await applications.apply_to_call(by, call_id, form, _papers(n) if papers else [])
        if decision == "accept":
            await applications.review_application(province_admin, app_id, accept=True)
        elif decision == "reject":
            await applications.review_application(province_admin, app_id, accept=False,
                                                 reasons="不符合公告要求：需具有2年以上相关工作经历")
    context.log.append("roster: an open recruitment call with applications under review (with documents), "
                       "on notice and rejected")


async def _finished_call(context, province_admin: Principal, org_ids: list[int]) -> None:
    """The Xiamen call of last spring, run to its end by Xiamen's administrator."""
    admin_id = context.users.get("admin_xiamen")
    xiamen = Principal(user_id=admin_id, username="admin_xiamen", grants=(Grant(Role.ADMIN, "350200"),)) \
        if admin_id else province_admin
    call_id = await recruitment.open_call(xiamen, {
        "title": "2026年厦门市劳动争议调解员选聘公告（第一批）", "region_code": "350200",
        "description": "选聘劳动争议调解员，充实全市调解组织力量。", "opens_on": clock.today().isoformat(),
        "closes_on": clock.today().isoformat(), "quota": "6", "min_years": "3"})
    paper = Principal(user_id=None, username="window", grants=())
    applicant1 = Principal(user_id=context.users["applicant1"], username="applicant1")
    xiamen_orgs = [org_ids[i] for i, (_n, _k, region) in enumerate(ORGANISATIONS) if region.startswith("3502")]
    # (name, source, region, years, by, outcome)
    plan = [
        ("陈嘉禾", "arbitrator", "350203", 9, paper, "appoint"),
        ("林若溪", "lawyer", "350206", 6, paper, "appoint"),
        ("周景行", "retired_prosecutor", "350211", 20, paper, "appoint"),
        ("杨慧琳", "hr_professional", "350205", 5, paper, "objection_dismissed"),
        ("赵明轩", "legal_expert", "350203", 12, paper, "objection_upheld"),
        ("黄雅婷", "union_official", "350206", 8, applicant1, "reject_papers"),
        ("孙一鸣", "other", "350212", 1, paper, "reject_years"),
    ]
    reasons = {"reject_papers": "报名材料不全：未提交工会工作经历证明，请补齐后参加下一批选聘",
               "reject_years": "不符合公告要求：需具有3年以上劳动关系相关工作经历"}
    ids: dict[str, int] = {}
    for n, (name, source, region, years, by, outcome) in enumerate(plan):
        org = xiamen_orgs[n % len(xiamen_orgs)] if xiamen_orgs else None
        extra = {"organisation_id": str(org)} if org else {}
        if by is applicant1:
            extra["id_number"] = APPLICANT1_ID
        app_id = await applications.apply_to_call(by, call_id, _applicant_form(20 + n, name, source, region, years,
                                                                             **extra),
                                                 _papers(20 + n) if n % 3 != 2 else [])
        ids[outcome] = app_id
        if outcome.startswith("reject"):
            await applications.review_application(xiamen, app_id, accept=False, reasons=reasons[outcome])
        else:
            await applications.review_application(xiamen, app_id, accept=True, reasons="符合选聘条件")
    dismissed = await public_notice.lodge_objection(ids["objection_dismissed"], "某物流公司",
                                                  "该候选人曾担任我司人事经理，与我司劳动争议案件存在利害关系")
    await public_notice.decide_objection(xiamen, dismissed, uphold=False,
                                       finding="经核查，候选人已于三年前离职，与异议人无现存利害关系，异议不成立")
    upheld = await public_notice.lodge_objection(ids["objection_upheld"], "厦门某科技有限公司职工",
                                               "该候选人目前担任我司常年法律顾问，不宜担任本区劳动争议调解员")
    await public_notice.decide_objection(xiamen, upheld, uphold=True,
                                       finding="经核查属实：候选人现任多家企业常年法律顾问，存在利害关系，不予聘任")
    # The call ran last spring: move its dates (and the notice) into the past, then appoint.
    opened = clock.today() - timedelta(days=150)
    notice_starts = opened + timedelta(days=40)
    notice_ends = await add_working_days(notice_starts, get_settings().rules.public_notice_working_days)
    await RecruitmentCall.update({"opens_on": opened, "closes_on": opened + timedelta(days=30),
                                  "status": "closed"}).where(RecruitmentCall.id == call_id)
    await Application.update({"notice_starts_on": notice_starts, "notice_ends_on": notice_ends}).where(
        (Application.call == call_id) & Application.notice_starts_on.is_not_null())
    await Application.update({"created_at": clock.now() - timedelta(days=140)}).where(Application.call == call_id)
    await Objection.update({"created_at": clock.now() - timedelta(days=105)}).where(
        Objection.id.is_in([dismissed, upheld]))
    on_notice = await Application.select(Application.id).where(
        (Application.call == call_id) & (Application.status == "on_notice")).order_by(Application.id)
    for row in on_notice:
        await applications.appoint_candidate(xiamen, row["id"], on=notice_ends + timedelta(days=3))
    context.log.append(f"roster: a finished recruitment call: {len(on_notice)} appointed, 2 rejected with reasons, "
                       "one objection dismissed and one upheld")
