"""Exam pages through the HTTP client: the role × route matrix, sitting an exam with
autosave (JSON + CSRF header), reload and submission, blind marking pages, the
administrator's bank import, progress and release, results and re-check."""

import re
from datetime import timedelta

import pytest

from core.auth.roles import Role
from tests.helpers import csrf_token, login, post_form
from tests.unit.exams.factory import admission_of, build_world, make_user, sit, utcnow

ADMIN_ROUTES = ["/admin/exams/questions", "/admin/exams/papers", "/admin/exams/sittings"]
MEDIATOR_ROUTES = ["/exams"]
EXAMINER_ROUTES = ["/exams/marking"]
ROUTES = {**{p: {Role.ADMIN} for p in ADMIN_ROUTES}, **{p: {Role.MEDIATOR} for p in MEDIATOR_ROUTES},
          **{p: {Role.EXAMINER} for p in EXAMINER_ROUTES}}


@pytest.mark.parametrize("role", list(Role))
def test_role_route_matrix(client, run, role):
    run(make_user("someone", role, "350000"))
    login(client, "someone")
    for path, allowed in ROUTES.items():
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == (200 if role in allowed else 403), (role, path)


def test_anonymous_is_sent_to_sign_in(client):
    for path in ROUTES:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path


def _login_as(client, principal):
    login(client, principal.username)


def test_candidate_sits_the_exam_with_autosave_reload_and_confirmed_submission(client, run):
    world = run(build_world(candidates=2))
    admission_id = run(admission_of(world))
    _login_as(client, world.mediator_users[0])
    page = client.get("/exams")
    assert "Spring sitting" in page.text
    token = csrf_token(client, "/exams")
    started = client.post(f"/exams/admissions/{admission_id}/start", data={"_csrf_token": token},
                          follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].endswith("/paper")
    paper = client.get(f"/exams/admissions/{admission_id}/paper")
    assert paper.status_code == 200 and 'id="exam-timer"' in paper.text and "/static/js/exams.js" in paper.text
    assert "Mentions the statute" not in paper.text  # no rubric or answers on the candidate's page
    token = re.search(r'name="_csrf_token" value="([^"]+)"', paper.text).group(1)
    qid, written_id = world.objective_ids[0], world.written_ids[0]
    saved = client.post(f"/exams/admissions/{admission_id}/autosave", json={"question_id": qid, "response": "0"},
                        headers={"x-csrftoken": token})
    assert saved.status_code == 200, saved.text
    assert saved.json()["remaining_seconds"] > 0
    client.post(f"/exams/admissions/{admission_id}/autosave", json={"question_id": written_id, "response": "草稿"},
                headers={"x-csrftoken": token})
    no_token = client.post(f"/exams/admissions/{admission_id}/autosave", json={"question_id": qid, "response": "1"})
    assert no_token.status_code == 403
    reloaded = client.get(f"/exams/admissions/{admission_id}/paper").text
    assert re.search(rf'name="q{qid}" value="0" checked', reloaded) and "草稿" in reloaded
    # without the confirmation box nothing is submitted
    unconfirmed = client.post(f"/exams/admissions/{admission_id}/save",
                              data={"_csrf_token": token, f"q{qid}": "0", "action": "submit"}, follow_redirects=False)
    assert unconfirmed.status_code == 303 and unconfirmed.headers["location"].endswith("/paper")
    done = client.post(f"/exams/admissions/{admission_id}/save",
                       data={"_csrf_token": token, f"q{qid}": "0", f"q{written_id}": "最终答案", "action": "submit",
                             "confirm": "1"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/exams"
    late = client.post(f"/exams/admissions/{admission_id}/autosave", json={"question_id": qid, "response": "1"},
                       headers={"x-csrftoken": token})
    assert late.status_code == 409
    from training.exams import sittings

    row = run(sittings.load_admission(admission_id))
    assert row.status == "submitted" and row.objective_score == 5.0


def test_candidate_cannot_open_another_candidates_paper_by_changing_the_id(client, run):
    world = run(build_world(candidates=2))
    other = run(admission_of(world, 1))
    _login_as(client, world.mediator_users[0])
    for path in (f"/exams/admissions/{other}/paper", f"/exams/admissions/{other}/ticket",
                 f"/exams/admissions/{other}/result"):
        assert client.get(path).status_code == 404, path
    token = csrf_token(client, "/exams")
    answer = client.post(f"/exams/admissions/{other}/autosave", json={"question_id": world.objective_ids[0],
                                                                       "response": "0"},
                         headers={"x-csrftoken": token})
    assert answer.status_code == 404


def test_blind_scripts_show_no_name_or_ticket_and_cannot_be_marked_twice(client, run):
    from training.exams.tables import Admission, Marking

    world = run(build_world(candidates=1))
    admission_id = run(sit(world, 0, objective_right=10, written_text="我的书面答案"))
    row = run(Admission.select().where(Admission.id == admission_id).first())
    marking = run(Marking.select().order_by(Marking.id).first())
    examiner = next(e for e in world.examiners if e.user_id == marking["examiner_id"])
    _login_as(client, examiner)
    queue = client.get("/exams/marking").text
    assert row["script_no"] in queue and row["ticket_no"] not in queue and "候选人" not in queue
    page = client.get(f"/exams/marking/{marking['id']}")
    assert page.status_code == 200 and "我的书面答案" in page.text and "Mentions the statute" in page.text
    assert row["script_no"] in page.text and row["ticket_no"] not in page.text and "候选人" not in page.text
    assert f"/admissions/{admission_id}" not in page.text
    first = post_form(client, f"/exams/marking/{marking['id']}", {"mark": "15"}, form_page="/exams/marking")
    assert first.status_code == 303
    again = post_form(client, f"/exams/marking/{marking['id']}", {"mark": "5"}, form_page="/exams/marking")
    assert again.status_code == 409
    others = run(Marking.select().where(Marking.examiner_id != examiner.user_id))
    assert client.get(f"/exams/marking/{others[0]['id']}").status_code == 404
    bad = run(Marking.select().where(Marking.examiner_id == examiner.user_id).where(Marking.marked_at.is_null()))
    if bad:
        refused = post_form(client, f"/exams/marking/{bad[0]['id']}", {"mark": "999"}, form_page="/exams/marking")
        assert refused.status_code == 400 and "0.5" in refused.text


def test_question_import_page_reports_bad_rows_by_number(client, run):
    run(make_user("boss", Role.ADMIN, "350000"))
    login(client, "boss")
    token = csrf_token(client, "/admin/exams/questions")
    content = (b"kind,topic,grade,difficulty,marks,stem,options,answer,rubric\n"
               b"single,wages,junior,2,5,Which?,a|b,A,\n"
               b"single,wages,junior,2,5,,a|b,A,\n"
               b"single,wages,nograde,2,5,Which?,a|b,A,\n")
    answer = client.post("/admin/exams/questions/import", data={"_csrf_token": token},
                         files={"file": ("bank.csv", content, "text/csv")})
    assert answer.status_code == 400
    assert re.search(r"<td>3</td><td>stem</td>", answer.text) and re.search(r"<td>4</td><td>grade</td>", answer.text)
    export = client.get("/admin/exams/questions/export?format=csv")
    assert export.status_code == 200 and export.text.count("\n") == 1  # nothing was stored


def test_administrator_follows_progress_reassigns_and_releases_results(client, run):
    from training.exams.tables import Marking, Sitting

    world = run(build_world(candidates=1, written_count=1))
    admission_id = run(sit(world, 0, objective_right=12))
    _login_as(client, world.admin)
    page = client.get(f"/admin/exams/sittings/{world.sitting_id}")
    assert page.status_code == 200 and "候选人0" in page.text
    assert client.get(f"/admin/exams/sittings/{world.sitting_id}/tickets").status_code == 200
    markings = run(Marking.select().order_by(Marking.id))
    idle = next(e for e in world.examiners if e.user_id not in {m["examiner_id"] for m in markings})
    moved = post_form(client, f"/admin/exams/sittings/{world.sitting_id}/reassign",
                      {"from_examiner": str(markings[0]["examiner_id"]), "to_examiner": str(idle.user_id)},
                      form_page="/admin/exams/sittings")
    assert moved.status_code == 303
    assert run(Marking.select().where(Marking.id == markings[0]["id"]).first())["examiner_id"] == idle.user_id
    refused = post_form(client, f"/admin/exams/sittings/{world.sitting_id}/release", {},
                        form_page="/admin/exams/sittings")
    assert refused.status_code == 303
    from training.exams import marking, results, services

    for m in run(Marking.select()):
        examiner = next(e for e in world.examiners if e.user_id == m["examiner_id"])
        run(marking.record_mark(examiner, m["id"], 30))
    # the window closes
    run(Sitting.update({Sitting.closes_at: utcnow() - timedelta(minutes=1)}).where(Sitting.id == world.sitting_id))
    released = post_form(client, f"/admin/exams/sittings/{world.sitting_id}/release", {},
                         form_page="/admin/exams/sittings")
    assert released.status_code == 303
    assert run(services.sitting_summary(world.sitting_id)).released_on is not None
    stats = client.get(f"/admin/exams/papers/{world.paper_id}/statistics")
    assert stats.status_code == 200
    client.post("/logout", data={"_csrf_token": csrf_token(client, "/admin/exams/sittings")})
    _login_as(client, world.mediator_users[0])
    result = client.get(f"/exams/admissions/{admission_id}/result")
    assert result.status_code == 200 and "90" in result.text
    asked = post_form(client, f"/exams/admissions/{admission_id}/recheck", {"reason": "请复核"}, form_page="/exams")
    assert asked.status_code == 303
    assert "请复核" in run(results.result(world.mediator_users[0], admission_id)).rechecks[0].reason


def test_other_regions_administrator_cannot_open_the_sitting(client, run):
    world = run(build_world(candidates=1))
    run(make_user("xiamen", Role.ADMIN, "350200"))
    login(client, "xiamen")
    assert client.get(f"/admin/exams/sittings/{world.sitting_id}").status_code == 403
    assert "Spring sitting" not in client.get("/admin/exams/sittings").text


def test_recheck_pages_a_different_examiner_records_the_outcome(client, run):
    from training.exams import marking, results, sittings
    from training.exams.tables import Marking, Sitting

    world = run(build_world(candidates=1, written_count=1))
    admission_id = run(sit(world, 0, objective_right=8))
    for m in run(Marking.select()):
        examiner = next(e for e in world.examiners if e.user_id == m["examiner_id"])
        run(marking.record_mark(examiner, m["id"], 18))  # 40 + 18 = 58: fail
    run(Sitting.update({Sitting.closes_at: utcnow() - timedelta(minutes=1)}).where(Sitting.id == world.sitting_id))
    run(results.release_results(world.admin, world.sitting_id))
    _login_as(client, world.mediator_users[0])
    page = client.get(f"/exams/admissions/{admission_id}/result")
    assert page.status_code == 200 and "58" in page.text and 'name="reason"' in page.text
    empty = post_form(client, f"/exams/admissions/{admission_id}/recheck", {"reason": ""}, form_page="/exams")
    assert empty.status_code == 400
    asked = post_form(client, f"/exams/admissions/{admission_id}/recheck", {"reason": "第二题漏评"}, form_page="/exams")
    assert asked.status_code == 303
    markers = {m["examiner_id"] for m in run(Marking.select())}
    checker = next(e for e in world.examiners if e.user_id not in markers)
    client.cookies.clear()
    _login_as(client, checker)
    queue = client.get("/exams/marking").text
    recheck_id = int(re.search(r'/exams/marking/rechecks/(\d+)', queue).group(1))
    view = client.get(f"/exams/marking/rechecks/{recheck_id}")
    assert view.status_code == 200 and "第二题漏评" in view.text and "候选人" not in view.text
    answer_id = re.search(r'name="mark_(\d+)"', view.text).group(1)
    done = post_form(client, f"/exams/marking/rechecks/{recheck_id}", {f"mark_{answer_id}": "22", "note": "补评"},
                     form_page="/exams/marking")
    assert done.status_code == 303
    row = run(sittings.load_admission(admission_id))
    assert row.total == 62.0 and row.passed is True
    client.cookies.clear()
    marker = next(e for e in world.examiners if e.user_id in markers)
    _login_as(client, marker)
    assert client.get(f"/exams/marking/rechecks/{recheck_id}").status_code == 404


def test_api_needs_an_administrator_token(client, run):
    from tests.helpers import api_token

    world = run(build_world(candidates=1))
    admission_id = run(admission_of(world))
    headers = api_token(client, world.admin.username)
    sittings = client.get("/api/v1/exams/sittings", headers=headers)
    assert sittings.status_code == 200 and sittings.json()[0]["id"] == world.sitting_id
    progress = client.get(f"/api/v1/exams/sittings/{world.sitting_id}/progress", headers=headers)
    assert progress.status_code == 200 and progress.json()["markings_total"] == 0
    replay = client.get(f"/api/v1/exams/admissions/{admission_id}/replay", headers=headers)
    assert replay.status_code == 200 and replay.json()["matches"] is True
    mediator = api_token(client, world.mediator_users[0].username)
    assert client.get("/api/v1/exams/sittings", headers=mediator).status_code == 403
    assert client.get("/api/v1/exams/sittings").status_code == 401


def test_admin_question_and_paper_pages(client, run):
    world = run(build_world(candidates=1))
    _login_as(client, world.admin)
    assert client.get(f"/admin/exams/questions/{world.written_ids[0]}").status_code == 200
    bad = post_form(client, f"/admin/exams/questions/{world.written_ids[0]}",
                    {"kind": "short_answer", "topic": "cases", "grade": "junior", "difficulty": "3", "marks": "20",
                     "stem": "Explain", "rubric": ""}, form_page="/admin/exams/questions")
    assert bad.status_code == 400 and 'id="e-rubric"' in bad.text
    paper = client.get(f"/admin/exams/papers/{world.paper_id}")
    assert paper.status_code == 200 and "Explain cases" in paper.text
    locked = post_form(client, f"/admin/exams/papers/{world.paper_id}/questions", {"question_ids": "1,2"},
                       form_page="/admin/exams/papers")
    assert locked.status_code == 400  # used by a sitting: the paper no longer changes
    created = post_form(client, "/admin/exams/papers", {"title": "", "grade": "junior", "kind": "fixed",
                                                        "duration_minutes": "5"}, form_page="/admin/exams/papers")
    assert created.status_code == 400 and 'id="e-title"' in created.text and 'id="e-duration_minutes"' in created.text
    sitting = post_form(client, "/admin/exams/sittings", {"title": "S2", "paper_id": str(world.paper_id),
                                                          "region_code": "350000", "opens_at": "2026-13-01 09:00",
                                                          "closes_at": "x"}, form_page="/admin/exams/sittings")
    assert sitting.status_code == 400 and 'id="e-opens_at"' in sitting.text


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_record_pages_are_refused_to_every_role_but_the_administrator(client, run, role):
    from training.exams.tables import Marking

    world = run(build_world(candidates=1))
    run(sit(world, 0, objective_right=10))
    marking_id = run(Marking.select(Marking.id).first())["id"]
    run(make_user("someone", role, "350000"))
    login(client, "someone")
    for path in (f"/admin/exams/sittings/{world.sitting_id}", f"/admin/exams/sittings/{world.sitting_id}/tickets",
                 f"/admin/exams/papers/{world.paper_id}", f"/admin/exams/papers/{world.paper_id}/statistics",
                 f"/admin/exams/questions/{world.objective_ids[0]}", "/admin/exams/questions/export"):
        assert client.get(path, follow_redirects=False).status_code == 403, (role, path)
    expected = 404 if role == Role.EXAMINER else 403  # an examiner reaches only scripts assigned to them
    assert client.get(f"/exams/marking/{marking_id}", follow_redirects=False).status_code == expected
