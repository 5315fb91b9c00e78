"""Exam dates are the platform's (core.clock), asserted at night: at 23:30 UTC and at 00:30
Beijing time the platform's day is 2026-12-05 while the server's UTC day is 2026-12-04. A
sitting's window is entered and answered on Beijing's wall clock, the API and the autosave
answer instants with +08:00, results released at night are released on the 5th and may be
re-checked until the end of the 12th, and the bank's export is named for the 5th."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core import clock
from tests.helpers import api_token, login, post_form
from tests.unit.exams.factory import admission_of, build_world, sit

BEIJING = ZoneInfo("Asia/Shanghai")
# The autosave instant at each night moment, on Beijing's wall clock (worked out by hand).
SAVED_AT = {datetime(2026, 12, 4, 23, 30, tzinfo=UTC): "2026-12-05T07:30:00+08:00",
            datetime(2026, 12, 4, 16, 30, tzinfo=UTC): "2026-12-05T00:30:00+08:00"}


def test_a_sitting_window_is_the_platforms_wall_clock_on_pages_and_in_the_api(client, run, night):
    from training.exams.tables import Sitting

    world = run(build_world(candidates=0, examiners=0))
    login(client, world.admin.username)
    made = post_form(client, "/admin/exams/sittings", {
        "title": "夜间场次", "paper_id": str(world.paper_id), "region_code": "350000",
        "opens_at": "2026-12-05T00:00", "closes_at": "2026-12-05T09:00", "duration_minutes": "60"},
        form_page="/admin/exams/sittings")
    assert made.status_code == 303, made.text
    sitting = run(Sitting.select().where(Sitting.title == "夜间场次").first())
    assert sitting["opens_at"] == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    listed = {s["title"]: s for s in client.get("/api/v1/exams/sittings", headers=api_token(client, "exadmin")).json()}
    assert listed["夜间场次"]["opens_at"] == "2026-12-05T00:00:00+08:00"
    assert listed["夜间场次"]["closes_at"] == "2026-12-05T09:00:00+08:00"
    assert listed["夜间场次"]["phase"] == "open"  # 00:30 and 07:30 in Beijing are inside the window
    assert "2026-12-05 00:00" in client.get(f"/admin/exams/sittings/{sitting['id']}").text


def test_an_autosave_answers_its_instant_with_the_platforms_offset(client, run, night):
    world = run(build_world(candidates=1))
    admission_id = run(admission_of(world))
    login(client, world.mediator_users[0].username)
    started = post_form(client, f"/exams/admissions/{admission_id}/start", {}, form_page="/exams")
    assert started.status_code == 303
    paper = client.get(f"/exams/admissions/{admission_id}/paper").text
    token = paper.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    saved = client.post(f"/exams/admissions/{admission_id}/autosave",
                        json={"question_id": world.objective_ids[0], "response": "0"}, headers={"x-csrftoken": token})
    assert saved.status_code == 200, saved.text
    assert saved.json()["saved_at"] == SAVED_AT[night]


def test_results_released_at_night_can_be_rechecked_until_the_end_of_the_seventh_day(client, run, night):
    from training.exams import marking, results, services
    from training.exams.tables import Marking, Recheck, Sitting

    world = run(build_world(candidates=1, written_count=1))
    admission_id = run(sit(world, 0, objective_right=8))
    for m in run(Marking.select()):
        examiner = next(e for e in world.examiners if e.user_id == m["examiner_id"])
        run(marking.record_mark(examiner, m["id"], 20))  # 40 + 20 = 60: passed
    run(Sitting.update({Sitting.closes_at: night}).where(Sitting.id == world.sitting_id))
    run(results.release_results(world.admin, world.sitting_id))  # at night: on 5 December in Beijing
    assert run(services.sitting_summary(world.sitting_id)).released_on.isoformat() == "2026-12-05"
    results = client.get(f"/api/v1/exams/sittings/{world.sitting_id}/results", headers=api_token(client, "exadmin"))
    assert [r["released_on"] for r in results.json()] == ["2026-12-05"]

    login(client, world.mediator_users[0].username)
    page = client.get(f"/exams/admissions/{admission_id}/result").text
    assert "2026-12-12 24时前" in page  # the 5th not counted, seven days, the last one whole
    with clock.frozen(datetime(2026, 12, 13, 0, 30, tzinfo=BEIJING)):
        late = post_form(client, f"/exams/admissions/{admission_id}/recheck", {"reason": "请复核第二题"},
                         form_page="/exams")
        assert late.status_code == 400 and run(Recheck.count()) == 0
    with clock.frozen(datetime(2026, 12, 12, 23, 30, tzinfo=BEIJING)):
        asked = post_form(client, f"/exams/admissions/{admission_id}/recheck", {"reason": "请复核第二题"},
                          form_page="/exams")
        assert asked.status_code == 303 and run(Recheck.count()) == 1


def test_the_question_bank_export_is_named_for_the_platforms_day(client, run, night):
    world = run(build_world(candidates=0, examiners=0))
    login(client, world.admin.username)
    answer = client.get("/admin/exams/questions/export?format=csv")
    assert answer.status_code == 200
    assert "questions_2026-12-05.csv" in answer.headers["content-disposition"]
