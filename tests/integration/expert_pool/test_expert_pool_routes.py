"""Expert pool through HTTP: the public contract's experts and selections endpoints, the
court pages, strikes to outcome, the public invited list, and the role × route matrix."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from expert_pool import court_selections, experts, invited_list, selection_steps, services
from expert_pool.credit_codes import credit_code_check
from tests.helpers import api_token, login, make_user, post_form

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
CODE = "91350500MA2XYN123" + credit_code_check("91350500MA2XYN123")


def seed_pool(run, n: int = 5) -> dict[str, int]:
    court = run(invited_list.create_court("泉州市中级人民法院", "350500"))
    other_court = run(invited_list.create_court("厦门市思明区人民法院", "350203"))
    ids = []
    for i in range(n):
        expert_id = run(experts.nominate(ADMIN, {"name": f"专家{i}", "background": "lawyer", "region_code": "350504",
                                                  "specialties": ["wage_arrears"]}))
        run(experts.admit(ADMIN, expert_id, on=clock.today() - timedelta(days=10)))
        ids.append(expert_id)
    run(experts.add_conflict(ADMIN, ids[0], {"kind": "former_employer", "party_name": "泉州某鞋业有限公司",
                                              "credit_code": CODE}))
    run(make_user("court", Role.COURT, "350500", court_id=court))
    run(make_user("court_xm", Role.COURT, "350203", court_id=other_court))
    return {"court": court, "experts": ids}


def expert_principal(run, expert_id: int) -> Principal:
    """The expert signed in (their account bound to the pool entry): only they decline."""
    from expert_pool.tables import Expert

    user_id = 90_000 + expert_id
    run(Expert.update({"user_id": user_id}).where(Expert.id == expert_id))
    return Principal(user_id=user_id, username=f"expert{expert_id}", grants=())


REQUEST = {"case_no": "（2026）闽05民调1号", "dispute_type": "wage_arrears", "region": "350504",
           "employers": [{"name": "泉州某鞋业有限公司", "credit_code": CODE}], "workers": [{"name": "张三"}],
           "agents": [{"name": "李律师", "firm": "某律所"}], "declared_relations": [], "count": 3, "allow_shared": False}


def test_experts_api_lists_availability_and_standing_conflicts(client, run):
    ids = seed_pool(run)["experts"]
    headers = api_token(client, "court")
    body = client.get("/api/v1/experts", params={"specialty": "wage_arrears", "region": "350500"}, headers=headers).json()
    assert body["total"] == 5 and {"items", "page", "page_size"} <= set(body)
    first = next(i for i in body["items"] if i["id"] == ids[0])
    assert first["available"] is True and first["standing_conflicts"][0]["kind"] == "former_employer"
    assert first["standing_conflicts"][0]["credit_code"] == CODE


def test_selection_api_excludes_a_former_employee_of_a_party_and_replays(client, run):
    ids = seed_pool(run)["experts"]
    headers = api_token(client, "court")
    created = client.post("/api/v1/selections", json=REQUEST, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) >= {"id", "seed", "shortlist", "considered"} and len(body["shortlist"]) == 3
    assert ids[0] not in body["shortlist"]
    excluded = next(c for c in body["considered"] if c["expert_id"] == ids[0])
    assert excluded["included"] is False and excluded["reasons"][0].startswith("recusal:employment")
    replay = client.post(f"/api/v1/selections/{body['id']}/replay", headers=headers).json()
    assert replay == {"matches": True, "shortlist": body["shortlist"]}
    detail = client.get(f"/api/v1/selections/{body['id']}", headers=headers).json()
    assert detail["shortlist"] == body["shortlist"] and detail["steps"] == []


def test_selection_api_names_the_bad_field(client, run):
    seed_pool(run)
    headers = api_token(client, "court")
    bad = client.post("/api/v1/selections", json={**REQUEST, "employers": [{"name": "某公司", "credit_code": "123"}]},
                      headers=headers)
    assert bad.status_code == 400 and bad.json()["field"] == "employers[0].credit_code"
    unknown = client.post("/api/v1/selections", json={**REQUEST, "dispute_type": "divorce"}, headers=headers)
    assert unknown.status_code == 400 and "dispute_type" in unknown.text


def test_asking_for_more_experts_than_eligible_gives_the_list_that_exists_and_says_so(client, run):
    seed_pool(run, n=2)
    headers = api_token(client, "court")
    body = client.post("/api/v1/selections", json={**REQUEST, "count": 5}, headers=headers).json()
    assert len(body["shortlist"]) == 1 and "1" in body["message"]


def test_strike_confirm_decline_accept_and_outcome_through_the_api(client, run):
    ids = seed_pool(run)["experts"]
    headers = api_token(client, "court")
    body = client.post("/api/v1/selections", json={**REQUEST, "employers": [{"name": "别的公司"}]}, headers=headers).json()
    selection_id, shortlist = body["id"], body["shortlist"]
    not_on_list = client.post(f"/api/v1/selections/{selection_id}/strikes", headers=headers,
                              json={"side": "employer", "struck": [9999]})
    assert not_on_list.status_code == 400
    struck = client.post(f"/api/v1/selections/{selection_id}/strikes", headers=headers,
                         json={"side": "worker", "struck": [shortlist[0]]})
    assert struck.status_code == 200
    confirmed = client.post(f"/api/v1/selections/{selection_id}/confirm", headers=headers, json={}).json()
    assert shortlist[0] not in confirmed["ranking"] and confirmed["invited_expert_id"] == confirmed["ranking"][0]
    expert = expert_principal(run, confirmed["ranking"][0])  # an expert with an account
    for_the_expert = client.post(f"/api/v1/selections/{selection_id}/answer", headers=headers,
                                 json={"accept": False, "reason": "不想接", "good_reason": False})
    assert for_the_expert.status_code == 403  # the expert declines on their own page
    run(selection_steps.answer(expert, selection_id, False, "不想接"))
    declined = client.get(f"/api/v1/selections/{selection_id}", headers=headers).json()
    assert declined["invited_expert_id"] == confirmed["ranking"][1]
    accepted = client.post(f"/api/v1/selections/{selection_id}/answer", headers=headers, json={"accept": True}).json()
    assert accepted["status"] == "accepted" and accepted["mediation_deadline"]
    done = client.post(f"/api/v1/selections/{selection_id}/outcome", headers=headers,
                       json={"outcome": "agreement"}).json()
    assert done["outcome"] == "agreement" and [s["kind"] for s in done["steps"]][-1] == "outcome"
    assert done["strikes"][0]["side"] == "worker" and done["strikes"][0]["struck"] == [shortlist[0]]
    assert [i["expert_id"] for i in done["invitations"]] == confirmed["ranking"][:2]
    assert [a["answer"] for a in done["answers"]] == ["decline", "accept"]
    assert done["answers"][0]["good_reason"] is False and done["outcome_on"] == clock.today().isoformat()
    assert ids  # the pool was seeded


def test_declines_without_good_reason_are_counted_for_the_review(run):
    ids = seed_pool(run)["experts"]
    from expert_pool.tables import Expert

    court = Principal(user_id=None, username="c", grants=(Grant(Role.COURT, "350500", court_id=1),))
    created = run(court_selections.create_selection(court, {**REQUEST, "employers": [{"name": "别的公司"}], "count": 5},
                                            seed="s1"))
    run(Expert.update({"mediator_id": 77}).where(Expert.id == ids[1]))  # the expert is a roster mediator
    ranking = run(selection_steps.confirm(court, created.id, designate=ids[1]))
    assert ranking[0] == ids[1]
    run(selection_steps.answer(expert_principal(run, ids[1]), created.id, False, "没空"))
    assert run(services.refusals_without_good_reason([77], clock.today() - timedelta(days=1))) == {77: 1}


def test_court_user_cannot_see_another_courts_selection(client, run):
    seed_pool(run)
    body = client.post("/api/v1/selections", json=REQUEST, headers=api_token(client, "court")).json()
    assert client.get(f"/api/v1/selections/{body['id']}", headers=api_token(client, "court_xm")).status_code == 404


def test_court_page_runs_a_selection_and_shows_reasons(client, run):
    ids = seed_pool(run)["experts"]
    login(client, "court")
    answer = post_form(client, "/court/selections/", {
        "case_no": "（2026）闽05民调2号", "dispute_type": "wage_arrears", "region": "350504", "count": "2",
        "employer_names": "泉州某鞋业有限公司", "employer_codes": CODE, "worker_names": "张三"},
        form_page="/court/selections/")
    assert answer.status_code == 303
    page = client.get(answer.headers["location"]).text
    assert "专家0" in page and "应当回避" in page
    assert ids


def test_public_invited_list_has_no_personal_data(client, run):
    info = seed_pool(run)
    run(invited_list.list_invited(ADMIN, info["experts"][1], [info["court"]]))
    page = client.get("/invited/")
    assert page.status_code == 200 and "专家1" in page.text and "泉州市中级人民法院" in page.text


def test_nomination_form_reports_missing_specialties(client, run):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    answer = post_form(client, "/admin/experts/", {"name": "某专家", "background": "lawyer", "region_code": "350504"},
                       form_page="/admin/experts/")
    assert answer.status_code == 400 and 'id="e-specialties"' in answer.text


ROUTES = {
    "/court/selections/": {Role.COURT, Role.ADMIN},
    "/court/experts/": {Role.COURT, Role.ADMIN},
    "/admin/experts/": {Role.ADMIN, Role.AUDITOR},
    "/admin/invited/": {Role.ADMIN, Role.AUDITOR},
    "/my/expert/": set(Role),
    "/invited/": set(Role),
}


def test_expert_pool_role_route_matrix(client, run):
    for role in Role:
        run(make_user(f"u_{role.value}", role, "350500"))
    for role in Role:
        login(client, f"u_{role.value}")
        for path, allowed in ROUTES.items():
            status = client.get(path, follow_redirects=False).status_code
            assert status == (200 if role in allowed else 403), (role, path, status)


def test_only_courts_and_administrators_reach_the_selection_api(client, run):
    for role in Role:
        run(make_user(f"u_{role.value}", role, "350500"))
        headers = api_token(client, f"u_{role.value}")
        allowed = role in (Role.COURT, Role.ADMIN)
        assert (client.get("/api/v1/experts", headers=headers).status_code == 200) is allowed, role
        if not allowed:
            assert client.post("/api/v1/selections", json=REQUEST, headers=headers).status_code == 403
