"""Training through the browser routes and the API: the role × route matrix, enrolment
and waitlist through pages, QR sign-in, attendance marking, hours pages, typical cases,
the demo."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from tests.helpers import api_token, csrf_token, login, make_user, post_form
from training import cases, catalogue, courses, enrolments, services
from training.attendance import sign_in, sign_in_code
from training.hours import short_of_hours
from training.sessions import add_session, sessions_of

ADMIN = Principal(user_id=None, username="tester", grants=(Grant(Role.ADMIN, "350000"),))


async def _mediator_account(username: str, region: str = "350504") -> int:
    """A mediator account linked to its roster record; returns the mediator id."""
    from roster import services as roster_services

    user_id = await make_user(username, Role.MEDIATOR, region)
    return await roster_services.create_mediator_record(name=username, region_code=region, user_id=user_id)


async def _course(capacity: int = 1, sessions=None, **extra) -> int:
    today = clock.today()
    course_id = await courses.create_course(ADMIN, {
        "title": "初级调解员培训", "grade": "junior", "region_code": "350500", "class_hours": 4, "capacity": capacity,
        "enrol_opens_on": today - timedelta(days=3), "enrol_closes_on": today, "starts_on": today, **extra})
    start = clock.now() - timedelta(minutes=20)
    for starts_at, hours in sessions or [(start, 4.0)]:
        await add_session(ADMIN, course_id, {"starts_at": starts_at, "ends_at": starts_at + timedelta(hours=hours),
                                             "place": "培训室", "hours": hours})
    await courses.set_course_status(ADMIN, course_id, "published")
    return course_id




def _paths(run) -> dict[str, set[Role] | str]:
    course_id = run(_course())
    session_id = run(sessions_of(course_id))[0].id
    case_id = run(cases.create_case(ADMIN, {"title": "案例", "dispute_type": "wage_arrears", "summary": "摘要",
                                            "region_code": "350500"}))
    run(cases.publish_case(ADMIN, case_id))
    everyone = set(Role)
    return {
        "/training/courses": everyone,
        f"/training/courses/{course_id}": everyone,
        "/training/cases": everyone,
        f"/training/cases/{case_id}": everyone,
        "/training/my": {Role.MEDIATOR},
        "/admin/training/courses": {Role.ADMIN},
        "/admin/training/courses/new": {Role.ADMIN},
        f"/admin/training/courses/{course_id}": {Role.ADMIN},
        f"/admin/training/courses/{course_id}/enrolments": {Role.ADMIN},
        f"/admin/training/sessions/{session_id}/attendance": {Role.ADMIN},
        f"/admin/training/sessions/{session_id}/qr": {Role.ADMIN},
        f"/admin/training/sessions/{session_id}/qr.png": {Role.ADMIN},
        "/admin/training/hours": {Role.ADMIN, Role.AUDITOR},
        "/admin/training/cases": {Role.ADMIN},
        f"/admin/training/cases/{case_id}": {Role.ADMIN},
    }


@pytest.mark.parametrize("role", list(Role))
def test_role_route_matrix(client, run, role):
    paths = _paths(run)
    if role == Role.MEDIATOR:
        run(_mediator_account("someone", "350500"))
    else:
        run(make_user("someone", role, "350500"))
    login(client, "someone")
    wrong = []
    for path, allowed in paths.items():
        answer = client.get(path, follow_redirects=False)
        expected = 200 if role in allowed else 403
        if answer.status_code != expected:
            wrong.append((path, answer.status_code, expected))
    assert wrong == []


def test_anonymous_sees_public_training_pages_and_is_sent_to_sign_in_elsewhere(client, run):
    paths = _paths(run)
    for path, allowed in paths.items():
        answer = client.get(path, follow_redirects=False)
        if allowed == set(Role):
            assert answer.status_code == 200, path
        else:
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path


def test_mediator_enrols_in_a_full_course_is_waitlisted_and_promoted_when_someone_withdraws(client, run):
    first = run(_mediator_account("first"))
    second = run(_mediator_account("second"))
    today = clock.today()
    later = clock.now() + timedelta(days=5)
    course_id = run(_course(capacity=1, sessions=[(later, 4.0)], enrol_closes_on=today + timedelta(days=2),
                            starts_on=today + timedelta(days=5)))
    run(enrolments.enrol(None, course_id, first))
    login(client, "second")
    page = f"/training/courses/{course_id}"
    answer = post_form(client, f"{page}/enrol", {}, form_page=page)
    assert answer.status_code == 303
    detail = client.get(page).text
    assert _english(client, page, "number 1 on the waitlist")
    assert run(enrolments.enrolment_of(course_id, second)).status == "waitlisted"
    # enrolling twice is refused with the reason
    post_form(client, f"{page}/enrol", {}, form_page=page)
    assert "您已在该课程的候补名单中" in client.get(page).text  # the reason, in the default language
    assert run(enrolments.enrolment_of(course_id, second)).status == "waitlisted"
    # the enrolled mediator withdraws: the waitlisted one is promoted
    run(enrolments.withdraw(None, course_id, first))
    assert run(enrolments.enrolment_of(course_id, second)).status == "enrolled"
    assert detail


def _english(client, path: str, expected: str | None = None):
    """The page in English (language cookie), or whether it contains `expected`."""
    client.cookies.set("lang", "en")
    try:
        text = client.get(path).text
    finally:
        client.cookies.delete("lang")
    return expected in text if expected is not None else text


def test_enrolment_refusal_reason_is_shown_to_the_mediator(client, run):
    run(_mediator_account("late"))
    today = clock.today()
    course_id = run(_course(enrol_opens_on=today - timedelta(days=9), enrol_closes_on=today - timedelta(days=1),
                            starts_on=today))
    login(client, "late")
    page = _english(client, f"/training/courses/{course_id}")
    assert f"Enrolment closed on {(today - timedelta(days=1)).isoformat()}" in page
    answer = post_form(client, f"/training/courses/{course_id}/enrol", {}, form_page=f"/training/courses/{course_id}")
    assert answer.status_code == 303
    assert run(enrolments.enrolment_of(course_id, run(enrolments.mediator_id_of(_principal_for(run, "late"))))) is None


def _principal_for(run, username: str) -> Principal:
    from core.auth.services import user_id_by_username

    return Principal(user_id=run(user_id_by_username(username)), username=username)


def test_mediator_signs_in_by_scanning_the_session_code_and_sees_the_hours(client, run):
    mediator = run(_mediator_account("scanner"))
    course_id = run(_course())
    run(enrolments.enrol(None, course_id, mediator))
    session_id = run(sessions_of(course_id))[0].id
    run(make_user("trainer", Role.ADMIN, "350500"))
    login(client, "trainer")
    screen = client.get(f"/admin/training/sessions/{session_id}/qr")
    assert screen.status_code == 200 and screen.headers.get("refresh")
    code = re.search(r"/training/sign-in/([0-9A-Za-z_-]+-[0-9]+-[0-9A-Za-z_-]+)", screen.text).group(1)
    png = client.get(f"/admin/training/sessions/{session_id}/qr.png?code={code}")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    client.post("/logout", data={"_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', screen.text).group(1)})
    login(client, "scanner")
    answer = client.get(f"/training/sign-in/{code}")
    assert answer.status_code == 200, answer.text
    my = client.get("/training/my").text
    assert "4.0" in my and course_id and "初级调解员培训" in my


def test_sign_in_refusals_are_explained(client, run):
    mediator = run(_mediator_account("refused"))
    run(_mediator_account("outsider"))
    course_id = run(_course())
    run(enrolments.enrol(None, course_id, mediator))
    session_id = run(sessions_of(course_id))[0].id
    login(client, "refused")
    expired = sign_in_code(session_id, clock.now() - timedelta(minutes=10))
    answer = client.get(f"/training/sign-in/{expired}")
    assert answer.status_code == 400 and ("过期" in answer.text or "expired" in answer.text)
    other = client.get(f"/training/sign-in/{sign_in_code(session_id)}?session={session_id + 7}")
    assert other.status_code == 400
    garbage = client.get("/training/sign-in/not-a-code")
    assert garbage.status_code == 400
    login(client, "outsider")
    outsider = client.get(f"/training/sign-in/{sign_in_code(session_id)}")
    assert outsider.status_code == 400


def test_staff_mark_attendance_and_the_course_completes_at_80_percent(client, run):
    mediator = run(_mediator_account("attendee"))
    course_id = run(_course(capacity=5))
    run(enrolments.enrol(None, course_id, mediator))
    session_id = run(sessions_of(course_id))[0].id
    run(make_user("staff", Role.ADMIN, "350500"))
    login(client, "staff")
    page = f"/admin/training/sessions/{session_id}/attendance"
    assert "attendee" in client.get(page).text
    answer = post_form(client, page, {"present": str(mediator)}, form_page=page)
    assert answer.status_code == 303
    assert run(services.completed_course_of_grade(mediator, "junior")) is not None


def test_administrator_creates_a_course_with_field_errors_then_adds_a_session(client, run):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    bad = post_form(client, "/admin/training/courses", {"title": "", "grade": "junior", "region_code": "350500"},
                    form_page="/admin/training/courses/new")
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    outside = post_form(client, "/admin/training/courses", {
        "title": "厦门课程", "grade": "junior", "region_code": "350200", "class_hours": "8", "capacity": "10",
        "enrol_opens_on": "2026-01-01", "enrol_closes_on": "2026-01-05", "starts_on": "2026-01-10"},
        form_page="/admin/training/courses/new")
    assert outside.status_code == 400
    ok = post_form(client, "/admin/training/courses", {
        "title": "泉州课程", "grade": "junior", "region_code": "350500", "class_hours": "8", "capacity": "10",
        "joint_organisers": "350200 厦门市人社局",
        "enrol_opens_on": "2026-01-01", "enrol_closes_on": "2026-01-05", "starts_on": "2026-01-10"},
        form_page="/admin/training/courses/new")
    assert ok.status_code == 303
    location = ok.headers["location"]
    session = post_form(client, f"{location}/sessions", {"starts_at": "2026-01-10T09:00", "ends_at": "2026-01-10T08:00",
                                                         "place": "培训室"}, form_page=location)
    assert session.status_code == 400
    session = post_form(client, f"{location}/sessions", {"starts_at": "2026-01-10T09:00", "ends_at": "2026-01-10T13:00",
                                                         "place": "培训室"}, form_page=location)
    assert session.status_code == 303
    course_id = int(location.rsplit("/", 1)[1])
    assert run(sessions_of(course_id))[0].hours == 4.0
    publish = post_form(client, f"{location}/status", {"status": "published"}, form_page=location)
    assert publish.status_code == 303
    listing = client.get("/training/courses").text
    assert "泉州课程" in listing and "厦门市人社局" in listing and "联合培训" in listing


def test_scanning_the_code_while_signed_out_leads_to_sign_in_and_back(client, run):
    mediator = run(_mediator_account("phone"))
    course_id = run(_course())
    run(enrolments.enrol(None, course_id, mediator))
    code = sign_in_code(run(sessions_of(course_id))[0].id)
    answer = client.get(f"/training/sign-in/{code}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/login?next=/training/sign-in/{code}"
    token = csrf_token(client)
    back = client.post("/login", data={"username": "phone", "password": "correct horse battery staple",
                                       "next": f"/training/sign-in/{code}", "_csrf_token": token}, follow_redirects=False)
    assert back.headers["location"] == f"/training/sign-in/{code}"
    assert client.get(back.headers["location"]).status_code == 200


def test_administrator_sees_who_is_short_of_hours_in_their_region(client, run):
    from roster import services as roster_services

    run(roster_services.create_mediator_record(name="泉州短缺", region_code="350504"))
    run(roster_services.create_mediator_record(name="厦门短缺", region_code="350203"))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    page = client.get("/admin/training/hours").text
    assert "泉州短缺" in page and "厦门短缺" not in page
    refused = client.get("/admin/training/hours?region=350200").text
    assert "厦门短缺" not in refused


def test_typical_cases_are_published_by_administrators_and_searchable(client, run):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    created = post_form(client, "/admin/training/cases/", {"title": "骑手劳动关系案", "dispute_type": "new_employment_forms",
                                                           "summary": "平台用工", "region_code": "350500"},
                        form_page="/admin/training/cases/new")
    assert created.status_code == 303
    location = created.headers["location"]
    assert "骑手劳动关系案" not in client.get("/training/cases").text
    post_form(client, f"{location}/publish", {"published": "1"}, form_page=location)
    assert "骑手劳动关系案" in client.get("/training/cases?q=骑手").text
    assert "骑手劳动关系案" not in client.get("/training/cases?dispute_type=wage_arrears").text


def test_api_lists_courses_and_enrols_the_mediator(client, run):
    run(_mediator_account("apimediator"))
    course_id = run(_course(capacity=3))
    listing = client.get("/api/v1/training/courses").json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == course_id
    headers = api_token(client, "apimediator")
    answer = client.post(f"/api/v1/training/courses/{course_id}/enrol", headers=headers)
    assert answer.status_code == 201 and answer.json()["status"] == "enrolled"
    again = client.post(f"/api/v1/training/courses/{course_id}/enrol", headers=headers)
    assert again.status_code == 409 and again.json()["field"] == "twice"
    hours = client.get("/api/v1/training/hours", headers=headers).json()
    assert hours["required"] == 24 and hours["earned"] == 0


def test_demo_gives_mediator1_a_completed_junior_course_and_a_session_to_sign_in(run, monkeypatch):
    from roster import services as roster_services

    async def load_demo():
        """core, roster and training demos only (the later domains are not needed here)."""
        import roster
        import training as training_domain
        from core.demo import DemoContext, load_core_demo

        context = DemoContext(password="demo-pass-123")
        await load_core_demo(context)
        await roster.load_demo(context)
        await training_domain.load_demo(context)

    run(load_demo())
    from core.auth.services import user_id_by_username

    me = run(roster_services.mediator_for_user(run(user_id_by_username("mediator1"))))
    assert run(services.completed_course_of_grade(me.id, "junior")) is not None
    now_courses = [e for e in run(enrolments.my_enrolments(me.id)) if e.status == "enrolled"]
    assert now_courses
    session = run(sessions_of(now_courses[0].course_id))[0]
    result = run(sign_in(None, sign_in_code(session.id), me.id))
    assert result.completed
    assert run(short_of_hours("350000"))
    before = run(catalogue.list_courses())[1]
    run(load_demo())
    assert run(catalogue.list_courses())[1] == before


def test_administrator_uploads_a_pdf_material_and_a_signed_in_user_opens_it(client, run):
    course_id = run(_course())
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    page = f"/admin/training/courses/{course_id}"
    from tests.helpers import csrf_token

    token = csrf_token(client, page)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    answer = client.post(f"{page}/materials", data={"title": "讲义", "_csrf_token": token},
                         files={"file": ("handout.pdf", pdf, "application/pdf")}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    material_id = int(re.search(r'/training/materials/(\d+)/file', client.get(page).text).group(1))
    opened = client.get(f"/training/materials/{material_id}/file")
    assert opened.status_code == 200 and opened.content == pdf
    bad = client.post(f"{page}/materials", data={"title": "坏文件", "_csrf_token": token},
                      files={"file": ("x.exe", b"MZ\x90\x00", "application/octet-stream")}, follow_redirects=False)
    assert bad.status_code == 400


@pytest.mark.skipif(__import__("os").environ.get("MEDIATION_TEST_DATABASE") != "postgres",
                    reason="PostgreSQL concurrency")
def test_parallel_enrol_requests_keep_capacity_and_waitlist_order_on_postgresql(client, run):
    """Eight mediators press "enrol" at once (parallel HTTP requests served concurrently by
    the app's event loop): three places are taken, five are waitlisted 1..5, none twice."""
    from concurrent.futures import ThreadPoolExecutor

    for i in range(8):
        run(_mediator_account(f"par{i}"))
    course_id = run(_course(capacity=3))
    headers = [api_token(client, f"par{i}") for i in range(8)]
    url = f"/api/v1/training/courses/{course_id}/enrol"
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda h: client.post(url, headers=h), headers))
        twice = list(pool.map(lambda h: client.post(url, headers=h), [headers[0]] * 3))
    assert [a.status_code for a in answers] == [201] * 8
    bodies = [a.json() for a in answers]
    assert sum(b["status"] == "enrolled" for b in bodies) == 3
    assert sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted") == [1, 2, 3, 4, 5]
    assert [t.status_code for t in twice] == [409, 409, 409]
    rows = run(enrolments.enrolments_of_course(course_id))
    assert sum(r.status == "enrolled" for r in rows) == 3


def test_out_of_range_ids_and_pages_are_not_found_or_empty_not_server_errors(client, run):
    huge = 10**15
    assert client.get(f"/api/v1/training/courses/{huge}").status_code == 404
    assert client.get(f"/training/courses/{huge}").status_code == 404
    assert client.get(f"/training/cases/{huge}").status_code == 404
    assert client.get(f"/api/v1/training/courses?page={huge}&page_size={huge}").json()["items"] == []
    run(_mediator_account("odd"))
    login(client, "odd")
    assert client.get(f"/training/sign-in/{huge}-1-abc").status_code == 400
    assert client.get(f"/training/my?year={huge}").status_code == 200
