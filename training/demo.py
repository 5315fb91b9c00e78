"""Training demo: courses of every grade (one joint course), sessions past and future,
enrolments with a waitlist, attendance, completed courses with credited hours, mediators
short of their yearly hours, and a session happening now that `mediator1` can sign in to
(its QR screen is under /admin/training/sessions/<id>/qr). mediator1 has completed a
junior course (exam eligibility). Loading twice changes nothing the second time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from training import attendance, cases, courses, enrolments, sessions
from training.tables import Course, Enrolment

FIRST_TITLE = "新聘劳动争议调解员初任培训"


async def _force_enrol(course_id: int, mediator_id: int, at: datetime) -> None:
    """A past enrolment (its window has closed by now), inserted as it happened then."""
    await Enrolment.insert(Enrolment(course=course_id, mediator_id=mediator_id, pair_key=f"{course_id}:{mediator_id}",
                                     status="enrolled", queued_at=at, enrolled_at=at))


def _at(day_offset: int, hour: int) -> datetime:
    """`hour` o'clock on the platform's wall clock, `day_offset` days from the platform's today."""
    day = clock.today() + timedelta(days=day_offset)
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.zone())


async def _course(admin: Principal, data: dict, timetable: list[tuple], mode: str = "onsite") -> int:
    """timetable: (starts_at, class hours, place[, length in hours when not the class hours])."""
    course_id = await courses.create_course(admin, {"mode": mode, **data})
    for index, (starts_at, hours, place, *length) in enumerate(timetable, 1):
        ends_at = starts_at + timedelta(hours=length[0] if length else hours)
        await sessions.add_session(admin, course_id, {
            "title": f"第{index}讲", "starts_at": starts_at, "ends_at": ends_at, "hours": hours,
            "place": place if mode == "onsite" else "", "online_link": "https://meeting.example.cn/room/350000" if mode == "online" else ""})
    await courses.set_course_status(admin, course_id, "published")
    return course_id


async def load_demo(context) -> None:
    if await Course.exists().where(Course.title == FIRST_TITLE):
        return
    from roster import services as roster_services

    admin = Principal(user_id=context.users.get("admin"), username="admin", grants=(Grant(Role.ADMIN, "350000"),))
    me = await roster_services.mediator_for_user(context.users.get("mediator1"))
    others = [m.id for m in await roster_services.mediators_in_region("350000") if not me or m.id != me.id]
    today = clock.today()
    place = "泉州市劳动人事争议仲裁院培训室"

    # Typical cases (典型案例), three published, one draft.
    case_ids = []
    for title, kind, summary, published in [
        ("外卖骑手与平台合作商劳动关系确认案", "new_employment_forms",
         "骑手通过平台接单，合作商对其考勤与奖惩进行管理，调解中依据用工事实确认劳动关系。", True),
        ("建筑工地农民工欠薪集体调解案", "wage_arrears",
         "三十余名农民工被拖欠工资，调解组织联合劳动监察与总包单位，三日内达成支付协议。", True),
        ("制造企业经济性裁员经济补偿争议案", "severance",
         "企业裁员未依法报告，调解员释明程序要求，双方就补偿标准达成一致。", True),
        ("工伤认定期间停工留薪待遇争议案", "work_injury", "工伤认定结论作出前的待遇支付问题。", False),
    ]:
        case_id = await cases.create_case(admin, {
            "title": title, "dispute_type": kind, "summary": summary, "region_code": "350500",
            "full_text": summary + "\n调解员先行核实用工事实，分别听取双方意见，提出调解方案。",
            "lessons": "注重证据固定；释法明理；必要时联合相关部门共同调处。"})
        if published:
            await cases.publish_case(admin, case_id)
        case_ids.append(case_id)

    # 1. Induction (初任): finished 40 days ago; twelve mediators completed it (16 hours).
    induction = await _course(admin, {
        "title": FIRST_TITLE, "grade": "induction", "region_code": "350500", "organiser_name": "泉州市人力资源和社会保障局",
        "class_hours": 16, "capacity": 40, "enrol_opens_on": today - timedelta(days=70),
        "enrol_closes_on": today - timedelta(days=45), "starts_on": today - timedelta(days=42),
        "description": "劳动争议调解基本制度、调解程序与文书制作。"},
        [(_at(-42, 9), 4, place), (_at(-42, 14), 4, place), (_at(-41, 9), 4, place), (_at(-41, 14), 4, place)])
    # 2. Junior (初级): finished 20 days ago; mediator1 and six others completed, three attended half.
    junior = await _course(admin, {
        "title": "初级劳动争议调解员培训（第一期）", "grade": "junior", "region_code": "350000",
        "organiser_name": "福建省人力资源和社会保障厅", "class_hours": 24, "capacity": 30,
        "enrol_opens_on": today - timedelta(days=60), "enrol_closes_on": today - timedelta(days=25),
        "starts_on": today - timedelta(days=22), "description": "调解技巧、证据规则与典型案例研讨。"},
        [(_at(-22, 9), 6, place), (_at(-21, 9), 6, place), (_at(-20, 9), 6, place), (_at(-19, 9), 6, place)])
    start = _at(-70, 9)
    for mediator_id in others[:12]:
        await _force_enrol(induction, mediator_id, start)
    for session in await sessions.sessions_of(induction):
        await attendance.mark_attendance(admin, session.id, others[:12])
    junior_people = ([me.id] if me else []) + others[:9]
    for mediator_id in junior_people:
        await _force_enrol(junior, mediator_id, _at(-50, 10))
    junior_sessions = await sessions.sessions_of(junior)
    for index, session in enumerate(junior_sessions):
        present = junior_people if index < 2 else junior_people[:7]
        await attendance.mark_attendance(admin, session.id, present)
    for case_id in case_ids[:2]:
        await sessions.add_material(admin, junior, {"case_id": str(case_id)})
    await sessions.add_material(admin, junior, {"title": "《劳动争议调解仲裁法》释义", "url": "https://www.npc.gov.cn/"})

    # 3. Intermediate joint training (联合培训, Quanzhou and Xiamen): full, with a waitlist.
    joint = await _course(admin, {
        "title": "劳动争议调解实务联合培训（中级）", "grade": "intermediate", "region_code": "350500",
        "organiser_name": "泉州市人力资源和社会保障局", "joint_organisers": "350200 厦门市人力资源和社会保障局",
        "class_hours": 12, "capacity": 3, "prerequisite_course_id": junior,
        "enrol_opens_on": today - timedelta(days=5), "enrol_closes_on": today + timedelta(days=10),
        "starts_on": today + timedelta(days=14), "description": "泉州、厦门两地联合举办，集体争议与新就业形态争议调解实务。"},
        [(_at(14, 9), 6, "厦门市劳动人事争议仲裁院"), (_at(15, 9), 6, "泉州市劳动人事争议仲裁院")])
    await sessions.add_material(admin, joint, {"case_id": str(case_ids[0])})
    for mediator_id in others[:5]:  # they completed the junior course: 3 places, 2 on the waitlist
        await enrolments.enrol(admin, joint, mediator_id)

    # 4. Senior (高级): enrolment opens next month; needs an intermediate certificate.
    await _course(admin, {
        "title": "高级调解员研修班", "grade": "senior", "region_code": "350000", "organiser_name": "福建省人力资源和社会保障厅",
        "class_hours": 32, "capacity": 25, "prerequisite_grade": "intermediate",
        "enrol_opens_on": today + timedelta(days=30), "enrol_closes_on": today + timedelta(days=50),
        "starts_on": today + timedelta(days=60), "description": "疑难复杂案件调解、调解组织建设与管理。"},
        [(_at(60, 9), 8, place), (_at(61, 9), 8, place), (_at(62, 9), 8, place), (_at(63, 9), 8, place)])

    # 5. Continuing education happening now: mediator1 is enrolled and can sign in by QR.
    now_start = clock.local_now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    current = await _course(admin, {
        "title": "劳动争议调解员继续教育专题讲座", "grade": "junior", "region_code": "350500",
        "organiser_name": "泉州市人力资源和社会保障局", "class_hours": 10, "capacity": 50,
        "enrol_opens_on": today - timedelta(days=10), "enrol_closes_on": today, "starts_on": today,
        "description": "新就业形态劳动争议调解专题。"},
        # 8 of its 10 hours today (open for sign-in all day): signing in completes it (80%).
        [(now_start, 8, place, 12), (_at(7, 9), 2, place)])
    for mediator_id in ([me.id] if me else []) + others[12:16]:
        await enrolments.enrol(admin, current, mediator_id)
    # 6. Last year's continuing education (轮训): the hours the annual appraisal of last year counts.
    last_year = date(today.year - 1, 6, 10)
    offset = (last_year - today).days
    rotation = await _course(admin, {
        "title": f"{today.year - 1}年度劳动争议调解员继续教育轮训", "grade": "junior", "region_code": "350000",
        "organiser_name": "福建省人力资源和社会保障厅", "class_hours": 26, "capacity": 60,
        "enrol_opens_on": last_year - timedelta(days=30), "enrol_closes_on": last_year - timedelta(days=3),
        "starts_on": last_year, "description": "年度继续教育：法律法规更新、调解技巧与案例研讨。"},
        [(_at(offset, 9), 7, place), (_at(offset + 1, 9), 7, place), (_at(offset + 2, 9), 6, place),
         (_at(offset + 3, 9), 6, place)])
    trained = others[:26]
    for mediator_id in trained:
        await _force_enrol(rotation, mediator_id, _at(offset - 20, 10))
    for index, session in enumerate(await sessions.sessions_of(rotation)):
        await attendance.mark_attendance(admin, session.id, trained if index < 2 else trained[:22])
    context.log.append("training: 6 courses, typical cases, a waitlist and a session open for sign-in now")
