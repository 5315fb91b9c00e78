"""The administrators' jobs page (rule: each run is recorded — start, end, counts, errors — on an
administrator's page, where a job can also be run now)."""

import pytest

from core.auth.roles import Role
from core.tables import JobRun
from tests.helpers import login, make_user, post_form


def test_administrator_runs_the_daily_sweep_now_and_reads_its_history(client, run):
    run(make_user("ops", Role.ADMIN, "350000"))
    login(client, "ops")
    page = client.get("/admin/jobs/")
    assert page.status_code == 200 and "daily_sweep" in page.text and "annual_appraisal" in page.text
    assert "每日巡检" in page.text and "从未运行" in page.text
    answer = post_form(client, "/admin/jobs/daily_sweep/run", {}, form_page="/admin/jobs/")
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/jobs/?job=daily_sweep"
    history = client.get(answer.headers["location"]).text
    recorded = run(JobRun.select().where(JobRun.job_id == "daily_sweep").first())
    assert recorded["status"] == "succeeded" and recorded["triggered_by"] == "ops"
    assert "certification.1_expire" in history  # the per-step details
    assert "成功" in history


def test_unknown_job_is_404_and_the_run_needs_csrf(client, run):
    run(make_user("ops", Role.ADMIN, "350000"))
    login(client, "ops")
    assert post_form(client, "/admin/jobs/nope/run", {}, form_page="/admin/jobs/").status_code == 404
    assert client.post("/admin/jobs/daily_sweep/run", data={}).status_code == 403
    assert run(JobRun.count()) == 0


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_jobs_page_is_for_administrators_only(client, run, role):
    run(make_user("someone", role, "350500"))
    login(client, "someone")
    assert client.get("/admin/jobs/", follow_redirects=False).status_code == 403
    assert post_form(client, "/admin/jobs/daily_sweep/run", {}, form_page="/account").status_code == 403
