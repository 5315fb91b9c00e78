"""The scheduled-jobs API of the public contract: list, run now, history; the daily sweep
is idempotent (a second run the same day answers changes: 0); administrators only."""

from datetime import timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from tests.helpers import api_token, make_user


def _auth(client, run, role=Role.ADMIN):
    run(make_user("ops", role, "350000"))
    return api_token(client, "ops")


def test_jobs_are_listed_with_schedule_and_last_run(client, run):
    headers = _auth(client, run)
    items = client.get("/api/v1/jobs", headers=headers).json()["items"]
    daily = next(i for i in items if i["id"] == "daily_sweep")
    assert "hour=1" in daily["schedule"] and daily["last_run"] is None


def test_second_daily_sweep_on_the_same_day_changes_nothing(client, run):
    from roster import filings
    from roster import services as roster

    admin = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
    org = run(roster.create_organisation_record(name="组织", region_code="350504"))
    run(filings.record_change(admin, org, "成员变更", clock.today() - timedelta(days=40)))
    headers = _auth(client, run)
    first = client.post("/api/v1/jobs/daily_sweep/run", headers=headers)
    assert first.status_code == 200
    body = first.json()
    assert body["status"] == "succeeded" and body["changes"] >= 1 and body["job_id"] == "daily_sweep"
    assert {"id", "started_at", "finished_at", "details"} <= set(body)
    second = client.post("/api/v1/jobs/daily_sweep/run", headers=headers).json()
    assert second["status"] == "succeeded" and second["changes"] == 0
    history = client.get("/api/v1/jobs/runs", params={"job_id": "daily_sweep"}, headers=headers).json()["items"]
    assert [r["id"] for r in history] == [second["id"], body["id"]]


def test_unknown_job_is_404_and_non_administrators_are_refused(client, run):
    headers = _auth(client, run)
    missing = client.post("/api/v1/jobs/nope/run", headers=headers)
    assert missing.status_code == 404 and missing.json()["field"] == "job_id"
    run(make_user("court", Role.COURT, "350500"))
    court = api_token(client, "court")
    assert client.get("/api/v1/jobs", headers=court).status_code == 403
    assert client.post("/api/v1/jobs/daily_sweep/run", headers=court).status_code == 403
    assert client.get("/api/v1/jobs").status_code == 401
