"""The world the region walk walks: the demo (every kind of record, loaded once), plus sentinel
records with names found nowhere else, so a page or a list that shows a record outside the
reader's reach is caught by the name alone; and one record of each kind per region (Luojiang,
another part of Quanzhou, Xiamen) to fill each route's path parameters.

Who may see a sentinel is stated here by hand, from DOMAIN.md: an administrator or auditor sees
their region and below; an organisation manager their organisation's members; a court its city's
experts and its own selections; everyone else none of them (drafts and unpublished records only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.regions import is_within

# (name, role, region) of each principal the walk signs in as; None: the anonymous visitor.
PRINCIPALS: dict[str, tuple[Role | None, str]] = {
    "admin": (Role.ADMIN, "350000"),
    "admin_quanzhou": (Role.ADMIN, "350500"),
    "admin_luojiang": (Role.ADMIN, "350504"),
    "admin_xiamen": (Role.ADMIN, "350200"),
    "examiner1": (Role.EXAMINER, "350000"),
    "auditor1": (Role.AUDITOR, "350000"),
    "org1": (Role.ORG_MANAGER, "350504"),
    "mediator1": (Role.MEDIATOR, "350504"),
    "court1": (Role.COURT, "350500"),
    "court2": (Role.COURT, "350203"),
    "applicant1": (None, ""),
    "gateway": (Role.GATEWAY, "350000"),
    "gateway_quanzhou": (Role.GATEWAY, "350500"),
    "anonymous": (None, ""),
}
ADMINS = {"admin", "admin_quanzhou", "admin_luojiang", "admin_xiamen"}
PROVINCE = Principal(user_id=None, username="walk", grants=(Grant(Role.ADMIN, "350000"),))


def role_of(name: str) -> Role | None:
    return PRINCIPALS[name][0]


def region_of(name: str) -> str:
    return PRINCIPALS[name][1]


def reaches(name: str, region: str | None, *roles: Role) -> bool:
    """The principal holds one of `roles` in a region covering `region`."""
    role, home = PRINCIPALS[name]
    return role in roles and bool(region) and is_within(region, home)


@dataclass(frozen=True)
class Sentinel:
    text: str
    region: str
    kind: str  # mediator | organisation | expert | course | case | selection | notification
    organisation: str = ""  # for a mediator: the sentinel organisation key it belongs to
    owner: str = ""  # for a notification: its recipient


# A Luojiang organisation other than org1's, one elsewhere in Quanzhou and one in Xiamen; org1's
# own organisation is the demo's (its key is "org1").
ORGANISATIONS = {"lj_other": ("洛江哨兵调解室", "350504"), "fz": ("丰泽哨兵调解委员会", "350503"),
                 "xm": ("厦门哨兵调解委员会", "350203")}
SENTINELS = [
    Sentinel("洛江哨兵调解员", "350504", "mediator", organisation="org1"),
    Sentinel("洛江他处哨兵调解员", "350504", "mediator", organisation="lj_other"),
    Sentinel("丰泽哨兵调解员", "350503", "mediator", organisation="fz"),
    Sentinel("厦门哨兵调解员", "350203", "mediator", organisation="xm"),
    *(Sentinel(name, region, "organisation", organisation=key) for key, (name, region) in ORGANISATIONS.items()),
    Sentinel("洛江哨兵专家", "350504", "expert"),
    Sentinel("洛江哨兵冲突方有限公司", "350504", "conflict"),  # a standing conflict of the expert above
    Sentinel("厦门哨兵专家", "350203", "expert"),
    Sentinel("厦门哨兵冲突方有限公司", "350203", "conflict"),
    Sentinel("洛江哨兵课程", "350504", "course"),
    Sentinel("厦门哨兵课程", "350200", "course"),
    Sentinel("洛江哨兵案例", "350504", "case"),
    Sentinel("厦门哨兵案例", "350200", "case"),
    Sentinel("闽0203民调哨兵1号", "350203", "selection"),  # court2's case number
    Sentinel("厦门哨兵雇主有限公司", "350203", "party"),  # a party to that case
    Sentinel("厦门哨兵通知", "350203", "notification", owner="court2"),
    Sentinel("洛江哨兵通知", "350504", "notification", owner="mediator1"),
]
# Personal data no page or answer may ever show, to anyone (they see it masked, or not at all).
ID_NUMBERS = {"lj": 9001, "lj_other": 9002, "fz": 9003, "xm": 9004}


def may_see(name: str, sentinel: Sentinel) -> bool:
    role = role_of(name)
    if sentinel.kind == "notification":
        return name == sentinel.owner or reaches(name, sentinel.region, Role.GATEWAY)
    if role in (Role.ADMIN, Role.AUDITOR):
        return reaches(name, sentinel.region, Role.ADMIN, Role.AUDITOR)
    if role is Role.ORG_MANAGER:
        return sentinel.kind in ("mediator", "organisation") and sentinel.organisation == "org1"
    if role is Role.COURT:
        city = region_of(name)[:4]
        return sentinel.kind in ("expert", "conflict", "selection", "party") and sentinel.region.startswith(city)
    return False


def foreign_texts(name: str) -> list[str]:
    return [s.text for s in SENTINELS if not may_see(name, s)]


@dataclass
class Record:
    """One record of a kind: the values of its path parameters and what decides who reaches it."""

    params: dict[str, Any]
    region: str = ""
    owner: str = ""  # the principal it belongs to (their application, admission, notice...)
    organisation: str = ""  # "org1" when it belongs to org1's organisation
    court: str = ""  # the court principal whose selection it is
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    users: dict[str, int]
    password: str
    ids: dict[str, Any] = field(default_factory=dict)
    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    id_numbers: list[str] = field(default_factory=list)


async def build(password: str) -> World:
    """Load the demo, add the sentinels, and pick the records the walk fills paths with."""
    from core.cli import load_demo
    from core.tables import User

    await load_demo()
    users = {r["username"]: r["id"] for r in await User.select(User.id, User.username)}
    world = World(users=users, password=password)
    await _add_sentinels(world)
    await _pick_records(world)
    return world


async def _add_sentinels(world: World) -> None:
    from core.auth.services import create_user
    from core.notifications import Message, notify
    from expert_pool import court_selections
    from expert_pool import experts as pool
    from roster import services as roster
    from roster.demo import demo_id_number
    from training import cases, courses

    world.users["gateway_quanzhou"] = await create_user("gateway_quanzhou", world.password, "泉州短信网关",
                                                        [Grant(Role.GATEWAY, "350500")])
    org1 = world.ids["org1_organisation"] = await _org1_organisation(world)
    organisations = {"org1": org1}
    for key, (name, region) in ORGANISATIONS.items():
        organisations[key] = await roster.create_organisation_record(name=name, region_code=region)
    world.ids["organisations"] = organisations
    mediators = {}
    for key, sentinel in zip(ID_NUMBERS, [s for s in SENTINELS if s.kind == "mediator"], strict=True):
        number = demo_id_number(ID_NUMBERS[key], sentinel.region)
        world.id_numbers.append(number)
        mediators[key] = await roster.create_mediator_record(
            name=sentinel.text, region_code=sentinel.region, organisation_id=organisations[sentinel.organisation],
            id_number=number)
    world.ids["mediators"] = mediators
    experts = {}
    for key, name, region, party in (("lj", "洛江哨兵专家", "350504", "洛江哨兵冲突方有限公司"),
                                     ("xm", "厦门哨兵专家", "350203", "厦门哨兵冲突方有限公司")):
        experts[key] = await pool.nominate(PROVINCE, {"name": name, "background": "lawyer", "region_code": region,
                                                      "specialties": ["wage_arrears"]})
        await pool.admit(PROVINCE, experts[key], on=clock.today() - timedelta(days=30))
        await pool.add_conflict(PROVINCE, experts[key], {"kind": "former_employer", "party_name": party})
    world.ids["experts"] = experts
    today = clock.today()
    for key, title, region in (("lj", "洛江哨兵课程", "350504"), ("xm", "厦门哨兵课程", "350200")):
        course = await courses.create_course(PROVINCE, {
            "title": title, "grade": "junior", "region_code": region, "class_hours": 4, "capacity": 10,
            "enrol_opens_on": today + timedelta(days=30), "enrol_closes_on": today + timedelta(days=40),
            "starts_on": today + timedelta(days=50)})
        world.ids.setdefault("courses", {})[key] = course
        world.ids.setdefault("cases", {})[key] = await cases.create_case(PROVINCE, {
            "title": title.replace("课程", "案例"), "dispute_type": "wage_arrears", "summary": "哨兵", "region_code": region})
    court2 = Principal(user_id=world.users["court2"], username="court2",
                       grants=(Grant(Role.COURT, "350203", court_id=await _court_of(world, "court2")),))
    selection = await court_selections.create_selection(court2, {
        "case_no": "（2026）闽0203民调哨兵1号", "dispute_type": "wage_arrears", "region": "350203",
        "employers": [{"name": "厦门哨兵雇主有限公司", "credit_code": ""}], "workers": [{"name": "厦门哨兵劳动者"}],
        "agents": [], "declared_relations": [], "count": 2, "allow_shared": False})
    world.ids["xm_selection"] = selection.id
    await notify([Message(user_id=world.users[s.owner], kind="walk", subject=s.text, body=s.text,
                          dedupe_key=f"walk:{s.text}") for s in SENTINELS if s.kind == "notification"])


async def _org1_organisation(world: World) -> int:
    from core.tables import UserRole

    row = await UserRole.select(UserRole.organisation_id).where(UserRole.user == world.users["org1"]).first()
    return row["organisation_id"]


async def _court_of(world: World, username: str) -> int:
    from core.tables import UserRole

    row = await UserRole.select(UserRole.court_id).where(UserRole.user == world.users[username]).first()
    return row["court_id"]


def _variant(region: str) -> str | None:
    if region.startswith("350504"):
        return "lj"
    if region.startswith("3505"):
        return "qz"
    if region.startswith("3502"):
        return "xm"
    return None


async def _by_region(rows: list[dict[str, Any]], make) -> dict[str, Record]:
    """The first row of each variant (Luojiang, other Quanzhou, Xiamen), made into a Record."""
    out: dict[str, Record] = {}
    for row in rows:
        variant = _variant(row.get("region_code") or "")
        if variant and variant not in out:
            out[variant] = make(row)
    return out


async def _pick_records(world: World) -> None:  # noqa: C901 - one list of every kind
    from certification.tables import Certificate, CertificateLayout
    from core.tables import ApiToken
    from expert_pool.tables import InvitedListing, Selection, SelectionEvent
    from roster.review.tables import Appeal, AppraisalRun, ExitNotice
    from roster.tables import (
        Application,
        ApplicationDocument,
        MembershipProposal,
        Objection,
        Organisation,
        OrganisationFiling,
        RecruitmentCall,
        RosterPublication,
    )
    from training.exams.tables import Admission, Marking, Paper, Question, Recheck, Sitting
    from training.tables import Course as CourseTable
    from training.tables import CourseSession, Material, TypicalCase

    latest = await RosterPublication.select(RosterPublication.id).order_by(RosterPublication.id, ascending=False).first()
    world.ids["publication"] = latest["id"]
    r = world.records
    users = world.users
    mediator1 = world.ids["mediator1"] = await _mediator_of(world, "mediator1")
    org1 = world.ids["org1_organisation"]
    orgs = world.ids["organisations"]
    r["organisation"] = {
        "lj": Record({"organisation_id": org1}, "350504", organisation="org1"),
        "qz": Record({"organisation_id": orgs["fz"]}, "350503"),
        "xm": Record({"organisation_id": orgs["xm"]}, "350203"),
    }
    filings = []
    for f in await OrganisationFiling.select(OrganisationFiling.id, OrganisationFiling.organisation).order_by(
            OrganisationFiling.id):
        org = await Organisation.select(Organisation.region_code).where(Organisation.id == f["organisation"]).first()
        filings.append({**f, "region_code": org["region_code"]})
    r["filing"] = await _by_region(filings, lambda f: Record(
        {"organisation_id": f["organisation"], "filing_id": f["id"]}, f["region_code"],
        organisation="org1" if f["organisation"] == org1 else ""))
    meds = world.ids["mediators"]
    r["mediator"] = {
        "lj": Record({"mediator_id": meds["lj"]}, "350504", organisation="org1"),
        "qz": Record({"mediator_id": meds["fz"]}, "350503"),
        "xm": Record({"mediator_id": meds["xm"]}, "350203"),
    }
    r["membership"] = {
        "lj": Record({"mediator_id": meds["lj"], "organisation_id": org1}, "350504", organisation="org1"),
        "qz": Record({"mediator_id": meds["fz"], "organisation_id": orgs["fz"]}, "350503"),
        "xm": Record({"mediator_id": meds["xm"], "organisation_id": orgs["xm"]}, "350203"),
    }
    r["own_membership"] = {"own": Record({"organisation_id": org1}, "350504", owner="mediator1")}
    proposals = await MembershipProposal.select(MembershipProposal.id, MembershipProposal.mediator,
                                                MembershipProposal.organisation).order_by(MembershipProposal.id)
    r["proposal"] = {}
    for p in proposals:
        region = await _mediator_region(p["mediator"])
        variant = _variant(region)
        if variant and variant not in r["proposal"]:
            r["proposal"][variant] = Record({"mediator_id": p["mediator"], "organisation_id": p["organisation"],
                                             "proposal_id": p["id"]}, region,
                                            owner="mediator1" if p["mediator"] == mediator1 else "",
                                            organisation="org1" if p["organisation"] == org1 else "")
    # withdrawing is the proposing organisation's: its region decides
    r["org_proposal"] = {}
    for p in proposals:
        org = await Organisation.select(Organisation.region_code).where(Organisation.id == p["organisation"]).first()
        variant = _variant(org["region_code"])
        if variant and variant not in r["org_proposal"]:
            r["org_proposal"][variant] = Record({"organisation_id": p["organisation"], "proposal_id": p["id"]},
                                                org["region_code"],
                                                organisation="org1" if p["organisation"] == org1 else "")
    r["call"] = await _by_region(await RecruitmentCall.select(RecruitmentCall.id, RecruitmentCall.region_code),
                                 lambda c: Record({"call_id": c["id"]}, c["region_code"]))
    from roster.tables import LiaisonArbitrator

    r["arbitrator"] = await _by_region(
        await LiaisonArbitrator.select(LiaisonArbitrator.id, LiaisonArbitrator.region_code),
        lambda a: Record({"arbitrator_id": a["id"]}, a["region_code"]))
    applications = await Application.select(Application.id, Application.call, Application.region_code,
                                            Application.user_id, Application.status).order_by(Application.id)
    call_regions = {c["id"]: c["region_code"] for c in await RecruitmentCall.select(RecruitmentCall.id,
                                                                                    RecruitmentCall.region_code)}
    r["application"] = await _by_region(applications, lambda a: Record(
        {"call_id": a["call"], "application_id": a["id"]}, a["region_code"],
        owner=_username(users, a["user_id"])))
    documents = []
    for d in await ApplicationDocument.select(ApplicationDocument.id, ApplicationDocument.application).order_by(
            ApplicationDocument.id):
        a = next(a for a in applications if a["id"] == d["application"])
        documents.append({"id": d["id"], "application": a, "region_code": a["region_code"]})
    r["document"] = await _by_region(documents, lambda d: Record(  # read by the call's administrators
        {"call_id": d["application"]["call"], "application_id": d["application"]["id"], "document_id": d["id"]},
        call_regions[d["application"]["call"]], owner=_username(users, d["application"]["user_id"])))
    r["my_document"] = {k: Record({"application_id": v.params["application_id"], "document_id": v.params["document_id"]},
                                  v.region, owner=v.owner) for k, v in r["document"].items()}
    objections = []
    for o in await Objection.select(Objection.id, Objection.application).order_by(Objection.id):
        a = next(a for a in applications if a["id"] == o["application"])
        objections.append({"id": o["id"], "application": a, "region_code": a["region_code"]})
    r["objection"] = await _by_region(objections, lambda o: Record(
        {"call_id": o["application"]["call"], "objection_id": o["id"]}, o["region_code"]))
    r["notice_application"] = {k: Record({"application_id": v.params["application_id"]}, v.region)
                               for k, v in r["application"].items()}
    courses = await CourseTable.select(CourseTable.id, CourseTable.region_code).order_by(CourseTable.id)
    r["course"] = {"lj": Record({"course_id": world.ids["courses"]["lj"]}, "350504"),
                   "xm": Record({"course_id": world.ids["courses"]["xm"]}, "350200")}
    quanzhou_course = next(c for c in courses if c["region_code"] == "350500")
    r["course"]["qz"] = Record({"course_id": quanzhou_course["id"]}, "350500")
    r["public_course"] = {"qz": Record({"course_id": quanzhou_course["id"]}, "350500")}
    sessions = await CourseSession.select(CourseSession.id, CourseSession.course).order_by(CourseSession.id)
    region_of_course = {c["id"]: c["region_code"] for c in courses}
    r["session"] = await _by_region([{**s, "region_code": region_of_course[s["course"]]} for s in sessions],
                                    lambda s: Record({"session_id": s["id"]}, s["region_code"]))
    materials = await Material.select(Material.id, Material.course).where(Material.file_path.is_not_null()).order_by(
        Material.id)
    r["material"] = {"any": Record({"material_id": materials[0]["id"]}, region_of_course[materials[0]["course"]])} \
        if materials else {}
    cases = await TypicalCase.select(TypicalCase.id, TypicalCase.region_code, TypicalCase.published).order_by(
        TypicalCase.id)
    r["case"] = {"lj": Record({"case_id": world.ids["cases"]["lj"]}, "350504"),
                 "xm": Record({"case_id": world.ids["cases"]["xm"]}, "350200")}
    published = next((c for c in cases if c["published"]), None)
    r["public_case"] = {"qz": Record({"case_id": published["id"]}, published["region_code"])} if published else {}
    question = await Question.select(Question.id, Question.region_code).first()
    r["question"] = {"province": Record({"question_id": question["id"]}, question["region_code"])}
    paper = await Paper.select(Paper.id, Paper.region_code).first()
    r["paper"] = {"province": Record({"paper_id": paper["id"]}, paper["region_code"])}
    sittings = await Sitting.select(Sitting.id, Sitting.region_code, Sitting.status).order_by(Sitting.id)
    r["sitting"] = {"province": Record({"sitting_id": sittings[0]["id"]}, sittings[0]["region_code"])}
    admissions = await Admission.select(Admission.id, Admission.mediator_id, Admission.region_code,
                                        Admission.sitting).order_by(Admission.id)
    sitting_regions = {s["id"]: s["region_code"] for s in sittings}
    mine = next((a for a in admissions if a["mediator_id"] == mediator1), None)
    other = next(a for a in admissions if a["mediator_id"] != mediator1 and (a["region_code"] or "").startswith("3502"))
    # an admission is the sitting's: its administrators read it, the candidate takes it
    r["admission"] = {"other": Record({"admission_id": other["id"]}, sitting_regions[other["sitting"]])}
    if mine:
        r["admission"]["own"] = Record({"admission_id": mine["id"]}, sitting_regions[mine["sitting"]],
                                       owner="mediator1")
    markings = await Marking.select(Marking.id, Marking.examiner_id, Marking.mark).order_by(Marking.id)
    own_marking = next((m for m in markings if m["examiner_id"] == users["examiner1"]), None)
    other_marking = next((m for m in markings if m["examiner_id"] != users["examiner1"]), None)
    r["marking"] = {}
    if own_marking:
        r["marking"]["own"] = Record({"marking_id": own_marking["id"]}, "350000", owner="examiner1")
    if other_marking:
        r["marking"]["other"] = Record({"marking_id": other_marking["id"]}, "350000",
                                       owner=_username(users, other_marking["examiner_id"]))
    rechecks = await Recheck.select(Recheck.id, Recheck.examiner_id).order_by(Recheck.id)
    r["recheck"] = {"any": Record({"recheck_id": rechecks[0]["id"]}, "350000",
                                  owner=_username(users, rechecks[0]["examiner_id"]))} if rechecks else {}
    certificates = await Certificate.select(Certificate.certificate_no, Certificate.region_code,
                                            Certificate.mediator_id, Certificate.status).order_by(Certificate.id)
    r["certificate"] = await _by_region(certificates, lambda c: Record(
        {"certificate_no": c["certificate_no"]}, c["region_code"],
        owner="mediator1" if c["mediator_id"] == mediator1 else ""))
    own_certificate = next((c for c in certificates if c["mediator_id"] == mediator1), None)
    r["my_certificate"] = {"other": Record({"certificate_no": r["certificate"]["xm"].params["certificate_no"]}, "")}
    if own_certificate:
        r["my_certificate"]["own"] = Record({"certificate_no": own_certificate["certificate_no"]},
                                            own_certificate["region_code"], owner="mediator1")
    layout = await CertificateLayout.select(CertificateLayout.version).first()
    r["layout"] = {"province": Record({"version": layout["version"] if layout else 1}, "350000")}
    experts = world.ids["experts"]
    r["expert"] = {"lj": Record({"expert_id": experts["lj"]}, "350504"),
                   "xm": Record({"expert_id": experts["xm"]}, "350203")}
    listings = await InvitedListing.select(InvitedListing.id, InvitedListing.region_code).order_by(InvitedListing.id)
    r["listing"] = await _by_region(listings, lambda row: Record({"listing_id": row["id"]}, row["region_code"]))
    selections = await Selection.select(Selection.id, Selection.region_code, Selection.court_id).order_by(Selection.id)
    court_names = {await _court_of(world, "court1"): "court1", await _court_of(world, "court2"): "court2"}
    r["selection"] = await _by_region(selections, lambda s: Record(
        {"selection_id": s["id"]}, s["region_code"], court=court_names.get(s["court_id"], "")))
    declines = await SelectionEvent.select(SelectionEvent.id, SelectionEvent.selection).where(
        SelectionEvent.kind == "decline").order_by(SelectionEvent.id)
    r["decline"] = {}
    for d in declines:
        s = next(s for s in selections if s["id"] == d["selection"])
        variant = _variant(s["region_code"])
        if variant and variant not in r["decline"]:
            r["decline"][variant] = Record({"selection_id": s["id"], "event_id": d["id"]}, s["region_code"],
                                           court=court_names.get(s["court_id"], ""))
    invited = await SelectionEvent.select(SelectionEvent.selection, SelectionEvent.expert_id).where(
        SelectionEvent.kind == "invite").order_by(SelectionEvent.id)
    r["invitation"] = {}
    if invited:
        from expert_pool.tables import Expert

        expert = await Expert.select(Expert.user_id).where(Expert.id == invited[-1]["expert_id"]).first()
        r["invitation"]["last"] = Record({"selection_id": invited[-1]["selection"]}, "",
                                         owner=_username(users, expert["user_id"] if expert else None))
    notices = await ExitNotice.select(ExitNotice.id, ExitNotice.region_code, ExitNotice.mediator_id).order_by(
        ExitNotice.id)
    r["notice"] = await _by_region(notices, lambda n: Record(
        {"notice_id": n["id"]}, n["region_code"], owner="mediator1" if n["mediator_id"] == mediator1 else ""))
    appeals = await Appeal.select(Appeal.notice, Appeal.documents).order_by(Appeal.id).output(load_json=True)
    r["appeal_document"] = {}
    for a in appeals:
        n = next(n for n in notices if n["id"] == a["notice"])
        variant = _variant(n["region_code"])
        if a["documents"] and variant and variant not in r["appeal_document"]:
            r["appeal_document"][variant] = Record({"notice_id": n["id"], "index": 0}, n["region_code"],
                                                   owner="mediator1" if n["mediator_id"] == mediator1 else "")
    runs = await AppraisalRun.select(AppraisalRun.id, AppraisalRun.region_code).order_by(AppraisalRun.id)
    r["run"] = await _by_region(runs, lambda row: Record({"run_id": row["id"]}, row["region_code"]))
    r["account"] = {
        "lj": Record({"user_id": users["org1"]}, "350504"),
        "qz": Record({"user_id": users["court1"]}, "350500"),
        "xm": Record({"user_id": users["court2"]}, "350203"),
    }
    gateway_token = await ApiToken.select(ApiToken.id).where(ApiToken.user == users["gateway"]).first()
    r["token"] = {"other": Record({"token_id": gateway_token["id"] if gateway_token else 10**6}, "", owner="gateway")}


async def _mediator_of(world: World, username: str) -> int | None:
    from roster import services as roster

    summary = await roster.mediator_for_user(world.users[username])
    return summary.id if summary else None


async def _mediator_region(mediator_id: int) -> str:
    from roster import services as roster

    summary = await roster.mediator_summary(mediator_id)
    return summary.region_code if summary else ""


def _username(users: dict[str, int], user_id: int | None) -> str:
    return next((name for name, uid in users.items() if uid == user_id), "")
