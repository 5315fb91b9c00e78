"""Operations scoped to the caller's region and role: the mail/SMS outbox belongs to gateway
accounts of a region (administrators have no access), province-wide jobs are run by the
province's administrators only, and a bearer token is revoked only by its owner."""

import re

from core import notifications
from core.auth.roles import Role
from core.notifications import Message
from core.tables import ApiToken, JobRun, OutboxMessage
from tests.helpers import api_token, login, make_user, post_form


def _queue(run, user_id: int, key: str, subject: str, region: str = "") -> int:
    run(notifications.notify([Message(user_id=user_id, kind="recruitment", subject=subject, body="",
                                      dedupe_key=key, region_code=region)]))
    return run(OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.subject == subject).first())["id"]


def _outbox_of_three_regions(run) -> dict[str, int]:
    """A Luojiang mediator's message, a Xiamen mediator's, and an applicant's (an account with
    no grants) about a Xiamen application."""
    luojiang = run(make_user("lj_mediator", Role.MEDIATOR, "350504"))
    xiamen = run(make_user("xm_mediator", Role.MEDIATOR, "350203"))
    applicant = run(make_user("applicant", None))
    return {"luojiang": _queue(run, luojiang, "a", "洛江的消息"),
            "xiamen": _queue(run, xiamen, "b", "厦门的消息"),
            "applicant": _queue(run, applicant, "c", "厦门报名结果", region="350206")}


def test_each_gateway_reads_only_the_outbox_of_its_region(client, run):
    ids = _outbox_of_three_regions(run)
    run(make_user("gw_quanzhou", Role.GATEWAY, "350500"))
    run(make_user("gw_xiamen", Role.GATEWAY, "350200"))
    run(make_user("gw_province", Role.GATEWAY, "350000"))

    def subjects(gateway: str) -> list[str]:
        answer = client.get("/api/v1/outbox", headers=api_token(client, gateway))
        assert answer.status_code == 200
        return [i["subject"] for i in answer.json()["items"]]

    assert subjects("gw_quanzhou") == ["洛江的消息"]
    assert subjects("gw_xiamen") == ["厦门的消息", "厦门报名结果"]
    assert subjects("gw_province") == ["洛江的消息", "厦门的消息", "厦门报名结果"]
    regions = run(OutboxMessage.select(OutboxMessage.id, OutboxMessage.region_code))
    assert {r["id"]: r["region_code"] for r in regions} == {
        ids["luojiang"]: "350504", ids["xiamen"]: "350203", ids["applicant"]: "350206"}


def test_a_gateway_cannot_acknowledge_another_regions_message_and_is_told_404(client, run):
    ids = _outbox_of_three_regions(run)
    run(make_user("gw_quanzhou", Role.GATEWAY, "350500"))
    headers = api_token(client, "gw_quanzhou")
    foreign = client.post("/api/v1/outbox/ack", json={"sent": [ids["xiamen"]]}, headers=headers)
    assert foreign.status_code == 404 and foreign.json()["field"] == "sent"
    unknown = client.post("/api/v1/outbox/ack", json={"sent": [999999]}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["detail"] == foreign.json()["detail"]  # same answer
    mixed = client.post("/api/v1/outbox/ack", json={"sent": [ids["luojiang"]], "failed": {str(ids["xiamen"]): "x"}},
                        headers=headers)
    assert mixed.status_code == 404 and mixed.json()["field"] == "failed"
    rows = run(OutboxMessage.select(OutboxMessage.id, OutboxMessage.sent_at, OutboxMessage.attempts))
    assert all(r["sent_at"] is None and r["attempts"] == 0 for r in rows)  # nothing of either report applied
    own = client.post("/api/v1/outbox/ack", json={"sent": [ids["luojiang"]]}, headers=headers)
    assert own.status_code == 200 and own.json() == {"sent": 1, "failed": 0}


def test_administrators_have_no_access_to_the_outbox(client, run):
    ids = _outbox_of_three_regions(run)
    for region in ("350000", "350504"):
        run(make_user(f"admin_{region}", Role.ADMIN, region))
        headers = api_token(client, f"admin_{region}")
        assert client.get("/api/v1/outbox", headers=headers).status_code == 403
        assert client.post("/api/v1/outbox/ack", json={"sent": [ids["luojiang"]]}, headers=headers).status_code == 403
    assert run(OutboxMessage.count().where(OutboxMessage.sent_at.is_not_null())) == 0


def test_a_gateway_makes_its_own_system_token_and_administrators_make_none(client, run):
    run(make_user("gw", Role.GATEWAY, "350000"))
    login(client, "gw")
    page = post_form(client, "/account/tokens", {"label": "短信网关", "days": "90"}, form_page="/account")
    assert page.status_code == 200 and "短信邮件网关" in page.text  # the role's label on the account page
    token = re.search(r'<code class="secret">([^<]+)</code>', page.text).group(1)
    client.cookies.clear()
    assert client.get("/api/v1/outbox", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    run(make_user("admin", Role.ADMIN, "350000"))
    login(client, "admin")
    assert post_form(client, "/account/tokens", {"label": "x", "days": "90"}, form_page="/account").status_code == 403
    assert run(ApiToken.count().where(ApiToken.label == "system:x")) == 0


def test_only_a_province_administrator_runs_a_job(client, run):
    run(make_user("admin_qz", Role.ADMIN, "350500"))
    headers = api_token(client, "admin_qz")
    listed = {j["id"] for j in client.get("/api/v1/jobs", headers=headers).json()["items"]}
    assert {"annual_appraisal", "daily_sweep"} <= listed  # every administrator sees the list
    refused = client.post("/api/v1/jobs/daily_sweep/run", headers=headers)
    assert refused.status_code == 403 and "省级管理员" in refused.json()["detail"]
    assert client.post("/api/v1/jobs/nope/run", headers=headers).status_code == 404
    login(client, "admin_qz")
    page = client.get("/admin/jobs/")
    assert page.status_code == 200 and "/admin/jobs/daily_sweep/run" not in page.text
    assert post_form(client, "/admin/jobs/daily_sweep/run", {}, form_page="/admin/jobs/").status_code == 403
    assert run(JobRun.count()) == 0
    run(make_user("admin_province", Role.ADMIN, "350000"))
    ran = client.post("/api/v1/jobs/daily_sweep/run", headers=api_token(client, "admin_province"))
    assert ran.status_code == 200 and ran.json()["status"] == "succeeded"
    history = client.get("/api/v1/jobs/runs", headers=headers).json()["items"]  # the history is for every admin
    assert [r["id"] for r in history] == [ran.json()["id"]]


def test_a_token_is_revoked_only_by_its_owner(client, run):
    run(make_user("court_a", Role.COURT, "350500"))
    run(make_user("court_b", Role.COURT, "350200"))
    victim = api_token(client, "court_a")
    value = victim["Authorization"].removeprefix("Bearer ")
    answer = client.post("/api/v1/auth/revoke", json={"token": value}, headers=api_token(client, "court_b"))
    assert answer.status_code == 200 and answer.json() == {"revoked": False}
    assert client.get("/api/v1/auth/me", headers=victim).status_code == 200
    assert run(ApiToken.count().where(ApiToken.revoked_at.is_not_null())) == 0
    own = client.post("/api/v1/auth/revoke", json={"token": value}, headers=victim)
    assert own.json() == {"revoked": True} and client.get("/api/v1/auth/me", headers=victim).status_code == 401
