"""Expert pool pages: the court's search and the selection's later steps, the
administrators' pool and invited list, the expert's own invitations, and the demo."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from expert_pool import court_selections, experts, invited_list, selection_steps
from expert_pool.tables import Expert, InvitedListing
from tests.helpers import login, make_user, post_form

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))


def seed(run, n: int = 4) -> dict:
    court = run(invited_list.create_court("泉州市中级人民法院", "350500"))
    ids = []
    for i in range(n):
        expert_id = run(experts.nominate(ADMIN, {"name": f"专家{i}", "background": "scholar", "region_code": "350504",
                                                  "specialties": ["wage_arrears"]}))
        run(experts.admit(ADMIN, expert_id, on=clock.today() - timedelta(days=5)))
        ids.append(expert_id)
    run(make_user("court", Role.COURT, "350500", court_id=court))
    return {"court": court, "experts": ids}


def test_court_searches_experts_by_specialty_with_availability_and_conflicts(client, run):
    ids = seed(run)["experts"]
    run(experts.add_conflict(ADMIN, ids[0], {"kind": "represented", "party_name": "泉州某电子科技有限公司"}))
    login(client, "court")
    page = client.get("/court/experts/", params={"specialty": "wage_arrears", "region": "350500"})
    assert page.status_code == 200 and "专家0" in page.text and "泉州某电子科技有限公司" in page.text
    assert "专家0" not in client.get("/court/experts/", params={"specialty": "work_injury"}).text


def test_court_page_walks_a_selection_from_strikes_to_outcome(client, run):
    ids = seed(run)["experts"]
    login(client, "court")
    created = post_form(client, "/court/selections/", {
        "case_no": "（2026）闽05民调3号", "dispute_type": "wage_arrears", "region": "350504", "count": "3",
        "employer_names": "泉州某鞋业有限公司", "worker_names": "张三\n李四", "agents": "王律师 / 某律所",
        "declared_relations": f"{ids[3]} / 同乡"}, form_page="/court/selections/")
    assert created.status_code == 303
    path = created.headers["location"]
    page = client.get(path).text
    assert "申报的其他关系" in page and "同乡" in page
    selection_id = int(path.rstrip("/").split("/")[-1])
    shortlist = run(court_selections.selection_view(ADMIN, selection_id)).shortlist
    assert ids[3] not in shortlist and len(shortlist) == 3
    assert post_form(client, f"{path}/strikes", {"side": "worker", "struck": str(shortlist[0])},
                     form_page=path).status_code == 303
    assert post_form(client, f"{path}/confirm", {"designate": ""}, form_page=path).status_code == 303
    view = run(court_selections.selection_view(ADMIN, selection_id))
    assert view.status == "inviting" and view.invited_expert_id == view.ranking[0] != shortlist[0]
    post_form(client, f"{path}/answer", {"decision": "accept"}, form_page=path)
    post_form(client, f"{path}/outcome", {"outcome": "agreement", "on": clock.today().isoformat()}, form_page=path)
    page = client.get(path).text
    assert "达成协议" in page or "Agreement" in page
    replayed = post_form(client, f"{path}/replay", {}, form_page=path)
    assert replayed.status_code == 303 and "名单一致" in client.get(path).text


def test_court_form_names_the_bad_field(client, run):
    seed(run)
    login(client, "court")
    answer = post_form(client, "/court/selections/", {
        "case_no": "", "dispute_type": "wage_arrears", "region": "350504", "count": "3",
        "employer_names": "某公司", "employer_codes": "123"}, form_page="/court/selections/")
    assert answer.status_code == 400
    assert 'id="e-case_no"' in answer.text and 'id="e-employer_codes"' in answer.text


def test_administrator_admits_suspends_and_lists_an_expert_from_the_pages(client, run):
    court = run(invited_list.create_court("泉州市中级人民法院", "350500"))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    created = post_form(client, "/admin/experts/", {"name": "洪律师", "background": "lawyer", "region_code": "350504",
                                                     "specialties": "termination"}, form_page="/admin/experts/")
    assert created.status_code == 303
    path = created.headers["location"]
    expert_id = int(path.rstrip("/").split("/")[-1])
    post_form(client, f"{path}/status", {"action": "admit"}, form_page=path)
    post_form(client, f"{path}/conflicts", {"kind": "former_employer", "party_name": "某集团"}, form_page=path)
    post_form(client, f"{path}/absences", {"starts_on": "2030-01-01", "ends_on": "2030-01-10"}, form_page=path)
    post_form(client, f"{path}/invited", {"courts": str(court)}, form_page=path)
    page = client.get(path).text
    assert "某集团" in page and "2030" in page
    post_form(client, f"{path}/status", {"action": "suspend", "grounds": ""}, form_page=path)
    assert run(Expert.select(Expert.status).where(Expert.id == expert_id).first())["status"] == "admitted"
    post_form(client, f"{path}/status", {"action": "suspend", "grounds": "接受调查"}, form_page=path)
    assert run(Expert.select(Expert.status).where(Expert.id == expert_id).first())["status"] == "suspended"
    listings = client.get("/admin/invited/")
    assert listings.status_code == 200 and "洪律师" in listings.text
    listing_id = run(InvitedListing.select(InvitedListing.id).first())["id"]
    post_form(client, f"/admin/invited/{listing_id}/withdraw", {"reason": "任期届满"}, form_page="/admin/invited/")
    assert "洪律师" not in client.get("/invited/").text


def test_administrator_lists_an_organisation_on_the_invited_list(client, run):
    from roster import services as roster_services

    court = run(invited_list.create_court("泉州市中级人民法院", "350500"))
    organisation = run(roster_services.create_organisation_record(name="洛江区劳动争议调解中心", region_code="350504"))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    bad = post_form(client, "/admin/invited/", {"organisation_id": str(organisation)}, form_page="/admin/invited/")
    assert bad.status_code == 400 and 'id="e-courts"' in bad.text
    ok = post_form(client, "/admin/invited/", {"organisation_id": str(organisation), "courts": str(court),
                                               "specialties": "wage_arrears"}, form_page="/admin/invited/")
    assert ok.status_code == 303
    public = client.get("/invited/", params={"specialty": "wage_arrears"}).text
    assert "洛江区劳动争议调解中心" in public and "泉州市中级人民法院" in public


def test_the_public_invited_list_filters_and_shows_no_personal_data(client, run):
    info = seed(run)
    run(Expert.update({"mediator_id": 5}).where(Expert.id == info["experts"][0]))
    run(invited_list.list_invited(ADMIN, info["experts"][0], [info["court"]]))
    run(invited_list.list_invited(ADMIN, info["experts"][1], [info["court"]]))
    page = client.get("/invited/", params={"q": "专家1"}).text
    assert "专家1" in page and "专家0" not in page
    assert "mediator_id" not in page and "任期" not in page
    xiamen = client.get("/invited/", params={"region": "350200"}).text
    assert "专家0" not in xiamen and "专家1" not in xiamen


def test_an_expert_who_is_a_mediator_answers_an_invitation_on_their_own_page(client, run):
    ids = seed(run)["experts"]
    user_id = run(make_user("me", Role.MEDIATOR, "350504"))
    run(Expert.update({"user_id": user_id}).where(Expert.id == ids[1]))
    court = Principal(user_id=None, username="c", grants=(Grant(Role.COURT, "350500", court_id=1),))
    created = run(court_selections.create_selection(court, {"case_no": "（2026）闽05民调5号", "dispute_type": "wage_arrears",
                                                    "region": "350504", "employers": [{"name": "某公司"}], "count": 4}))
    run(selection_steps.confirm(court, created.id, designate=ids[1]))
    login(client, "me")
    page = client.get("/my/expert/")
    assert page.status_code == 200 and "（2026）闽05民调5号" in page.text
    answer = post_form(client, f"/my/expert/invitations/{created.id}", {"decision": "decline", "reason": ""},
                       form_page="/my/expert/")
    assert answer.status_code == 303
    assert run(court_selections.selection_view(court, created.id)).invited_expert_id == ids[1]  # no reason: refused
    post_form(client, f"/my/expert/invitations/{created.id}", {"decision": "accept"}, form_page="/my/expert/")
    assert run(court_selections.selection_view(court, created.id)).accepted_expert_id == ids[1]
    stranger = run(make_user("other", Role.MEDIATOR, "350504"))
    assert stranger
    login(client, "other")
    assert "您的账户不是专家库成员" in client.get("/my/expert/").text or "not an expert" in client.get("/my/expert/").text


def test_public_invited_list_needs_no_login_and_court_pages_do(client):
    assert client.get("/invited/").status_code == 200
    assert client.get("/court/selections/", follow_redirects=False).status_code in (302, 303, 401)
    assert client.get("/api/v1/experts").status_code == 401


def test_demo_binds_court1_to_its_court_and_every_demo_selection_replays(client, run):
    async def load_demo():
        import certification
        import expert_pool
        import roster
        from core.demo import DemoContext, load_core_demo

        context = DemoContext(password="demo-pass-123")
        await load_core_demo(context)
        await roster.load_demo(context)
        await certification.load_demo(context)
        await expert_pool.load_demo(context)
        await expert_pool.load_demo(context)  # twice: nothing changes the second time
        return context

    context = run(load_demo())
    from core.auth.services import load_principal
    from expert_pool.tables import Selection

    court1 = run(load_principal(context.users["court1"]))
    assert court1.court_id is not None
    selections = run(court_selections.selections_for(court1))
    assert len(selections) >= 5
    assert all(run(court_selections.replay(court1, s.id)).matches for s in selections)
    assert {s.status for s in selections} >= {"closed", "striking"}
    assert run(Expert.count()) >= 15 and run(Expert.count().where(Expert.shared == True)) >= 1  # noqa: E712
    assert run(Selection.count()) == len(selections)
    mine = run(experts.expert_for_user(context.users["mediator1"]))
    assert mine is not None
    assert run(selection_steps.invitations_for_expert(mine.id))
    login(client, "court1", "demo-pass-123")
    for s in selections:
        assert client.get(f"/court/selections/{s.id}").status_code == 200
    assert client.get("/court/experts/").status_code == 200
    login(client, "admin", "demo-pass-123")
    pool = client.get("/admin/experts/")
    assert pool.status_code == 200
    for expert_id in [e["id"] for e in run(Expert.select(Expert.id).limit(8))]:
        assert client.get(f"/admin/experts/{expert_id}").status_code == 200
    assert client.get("/admin/invited/").status_code == 200 and client.get("/invited/").status_code == 200
    login(client, "mediator1", "demo-pass-123")
    assert "闽05民调200号" in client.get("/my/expert/").text


def test_only_an_excellent_or_senior_certified_mediator_may_apply_to_the_pool(client, run, monkeypatch):
    from roster import services as roster_services

    user_id = run(make_user("me", Role.MEDIATOR, "350504"))
    mediator_id = run(roster_services.create_mediator_record(name="林晓梅", region_code="350504", user_id=user_id))
    login(client, "me")
    assert "/my/expert/apply" not in client.get("/my/expert/").text
    refused = post_form(client, "/my/expert/apply", {"specialties": "wage_arrears"}, form_page="/my/expert/")
    assert refused.status_code == 403 and run(Expert.count()) == 0

    async def eligible(_mediator_id):
        return True

    monkeypatch.setattr(experts, "self_nomination_allowed", eligible)
    assert "/my/expert/apply" in client.get("/my/expert/").text
    applied = post_form(client, "/my/expert/apply", {"specialties": "wage_arrears"}, form_page="/my/expert/")
    assert applied.status_code == 303
    row = run(Expert.select().where(Expert.mediator_id == mediator_id).first())
    assert row["status"] == "nominated" and row["nomination_source"] == "self" and row["user_id"] == user_id
