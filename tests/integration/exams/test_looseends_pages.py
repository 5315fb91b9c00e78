"""The sitting's admin page: a warning with the count of scripts waiting for a third examiner
and a panel under three; editing the window refuses a closing time already past (the error on
the `closes_at` field). The clock is frozen at 10:00 in Beijing on 5 December 2026."""

from datetime import UTC, datetime

import pytest

from core import clock
from tests.helpers import api_token, login, post_form
from tests.unit.exams.factory import build_world, sit

AT = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with clock.frozen(AT) as at:
        yield at


def test_the_sitting_page_warns_with_the_count_of_scripts_waiting_for_a_third_examiner(client, run, frozen):
    from training.exams import marking
    from training.exams.tables import Marking

    world = run(build_world(candidates=2, examiners=2, written_count=1))
    run(sit(world, 0, objective_right=8))
    run(sit(world, 1, objective_right=8))
    by_id = {e.user_id: e for e in world.examiners}
    for m in run(Marking.select().order_by(Marking.id)):
        run(marking.record_mark(by_id[m["examiner_id"]], m["id"], 0 if m["round"] == 1 else 40))
    progress = client.get(f"/api/v1/exams/sittings/{world.sitting_id}/progress",
                          headers=api_token(client, "exadmin")).json()
    assert len(progress["waiting_third"]) == 2 and all(w["reason"] for w in progress["waiting_third"])
    login(client, world.admin.username)
    page = client.get(f"/admin/exams/sittings/{world.sitting_id}")
    assert page.status_code == 200
    assert "2 scripts wait for a third examiner" in page.text or "2 份答卷等待第三位阅卷人" in page.text
    assigned = post_form(client, f"/admin/exams/sittings/{world.sitting_id}/assign", {},
                         form_page=f"/admin/exams/sittings/{world.sitting_id}")
    assert assigned.status_code in (302, 303)
    after = client.get(f"/admin/exams/sittings/{world.sitting_id}").text
    assert after.count('role="alert"') >= 2  # the flash naming the scripts, and the standing warning


def test_editing_a_sitting_to_a_window_already_closed_answers_the_error_on_closes_at(client, run, frozen):
    from training.exams.tables import Sitting

    world = run(build_world(candidates=0, examiners=0))
    login(client, world.admin.username)
    page = f"/admin/exams/sittings/{world.sitting_id}"
    refused = post_form(client, f"{page}/edit", {"title": "改", "opens_at": "2026-12-05T08:00",
                                                  "closes_at": "2026-12-05T09:00", "duration_minutes": "60"},
                        form_page=page)
    assert refused.status_code == 400 and 'id="e-closes_at"' in refused.text
    assert run(Sitting.select(Sitting.title).where(Sitting.id == world.sitting_id).first())["title"] == "Spring sitting"
    saved = post_form(client, f"{page}/edit", {"title": "改期", "opens_at": "2026-12-06T08:00",
                                                "closes_at": "2026-12-06T10:00", "duration_minutes": "60"},
                      form_page=page)
    assert saved.status_code in (302, 303)
    assert run(Sitting.select(Sitting.title).where(Sitting.id == world.sitting_id).first())["title"] == "改期"
