"""Taking over a mediator through a membership (issue 13 "Trust I", finding 1), through the
pages and the API exactly as the reviewer did it: a membership takes effect only with the
mediator's agreement or an administrator of the mediator's region."""

from __future__ import annotations

from core import clock
from core.auth.roles import Role
from roster import services as roster
from roster.review.tables import MediationCase
from roster.tables import MembershipProposal
from tests.helpers import api_token, login, make_user, post_form

TODAY = clock.today().isoformat()
FAKE_CASE = {"dispute_type": "wage_arrears", "received_on": TODAY, "closed_on": TODAY, "outcome": "no_agreement",
             "satisfaction": "1"}


def _proposal_id(run, mediator_id: int) -> int:
    return run(MembershipProposal.select(MembershipProposal.id).where(
        MembershipProposal.mediator == mediator_id).first())["id"]


def test_org1_adding_a_xiamen_mediator_gains_no_record_and_no_case_until_the_mediator_agrees(client, run):
    luojiang = run(roster.create_organisation_record(name="洛江区劳动人事争议调解中心", region_code="350504"))
    xm_org = run(roster.create_organisation_record(name="厦门市思明区劳动争议调解中心", region_code="350203"))
    person = run(make_user("xmmed", Role.MEDIATOR, "350203"))
    xiamen = run(roster.create_mediator_record(name="陈嘉禾", region_code="350203", organisation_id=xm_org,
                                               user_id=person))
    run(make_user("org1", Role.ORG_MANAGER, "350504", organisation_id=luojiang))
    login(client, "org1")
    organisation_page = f"/admin/organisations/{luojiang}"
    added = post_form(client, f"/admin/mediators/{xiamen}/memberships", {"organisation_id": str(luojiang)},
                      form_page=organisation_page)
    assert added.status_code == 303
    assert client.get(f"/admin/mediators/{xiamen}").status_code == 403
    refused = post_form(client, "/review/records/cases", {"mediator_id": str(xiamen), **FAKE_CASE},
                        form_page="/review/records/")
    assert refused.status_code == 400 and 'id="e-mediator_id"' in refused.text
    by_api = client.post("/api/v1/review/cases", headers=api_token(client, "org1"),
                         json={"mediator_id": xiamen, "dispute_type": "wage_arrears", "received_on": TODAY,
                               "closed_on": TODAY, "outcome": "no_agreement", "satisfaction": 1})
    assert by_api.status_code == 400 and by_api.json()["field"] == "mediator_id"
    assert run(MediationCase.count()) == 0
    assert "陈嘉禾" in client.get(organisation_page).text  # shown as asked, waiting

    login(client, "xmmed")
    mine = client.get("/my/roster/")
    assert "洛江区劳动人事争议调解中心" in mine.text and "/accept" in mine.text
    agreed = post_form(client, f"/my/roster/proposals/{_proposal_id(run, xiamen)}/accept", {},
                       form_page="/my/roster/")
    assert agreed.status_code == 303

    login(client, "org1")
    assert client.get(f"/admin/mediators/{xiamen}").status_code == 200
    recorded = post_form(client, "/review/records/cases", {"mediator_id": str(xiamen), **FAKE_CASE},
                         form_page="/review/records/")
    assert recorded.status_code == 303 and run(MediationCase.count()) == 1


def test_a_xiamen_administrator_cannot_put_a_quanzhou_mediator_into_a_xiamen_organisation(client, run):
    luojiang = run(roster.create_organisation_record(name="洛江区劳动人事争议调解中心", region_code="350504"))
    xm_org = run(roster.create_organisation_record(name="厦门市思明区劳动争议调解中心", region_code="350203"))
    quanzhou = run(roster.create_mediator_record(name="黄晓梅", region_code="350504", organisation_id=luojiang))
    run(make_user("admin_xiamen", Role.ADMIN, "350200"))
    run(make_user("admin_quanzhou", Role.ADMIN, "350500"))
    run(make_user("xmorg", Role.ORG_MANAGER, "350203", organisation_id=xm_org))
    login(client, "admin_xiamen")
    added = post_form(client, f"/admin/mediators/{quanzhou}/memberships", {"organisation_id": str(xm_org)},
                      form_page=f"/admin/organisations/{xm_org}")
    assert added.status_code == 303
    login(client, "xmorg")
    assert client.get(f"/admin/mediators/{quanzhou}").status_code == 403
    login(client, "admin_xiamen")
    proposal = _proposal_id(run, quanzhou)
    self_accepted = post_form(client, f"/admin/mediators/{quanzhou}/proposals/{proposal}/accept", {},
                              form_page=f"/admin/organisations/{xm_org}")
    assert self_accepted.status_code == 403

    login(client, "admin_quanzhou")
    assert "黄晓梅" in client.get("/admin/worklist/").text
    page = f"/admin/mediators/{quanzhou}"
    assert post_form(client, f"{page}/proposals/{proposal}/accept", {}, form_page=page).status_code == 303
    login(client, "xmorg")
    assert client.get(f"/admin/mediators/{quanzhou}").status_code == 200


def test_an_organisation_asks_by_roster_number_and_withdraws_the_unanswered_proposal(client, run):
    luojiang = run(roster.create_organisation_record(name="洛江区劳动人事争议调解中心", region_code="350504"))
    xiamen = run(roster.create_mediator_record(name="陈嘉禾", region_code="350203"))
    roster_no = run(roster.mediator_summary(xiamen)).roster_no
    run(make_user("org1", Role.ORG_MANAGER, "350504", organisation_id=luojiang))
    login(client, "org1")
    page = f"/admin/organisations/{luojiang}"
    unknown = post_form(client, f"{page}/memberships", {"roster_no": "NOPE"}, form_page=page)
    assert unknown.status_code == 400 and 'id="e-roster_no"' in unknown.text
    assert post_form(client, f"{page}/memberships", {"roster_no": roster_no}, form_page=page).status_code == 303
    again = post_form(client, f"{page}/memberships", {"roster_no": roster_no}, form_page=page)
    assert again.status_code == 400 and 'id="e-roster_no"' in again.text
    assert "陈嘉禾" in client.get(page).text
    proposal = _proposal_id(run, xiamen)
    assert post_form(client, f"{page}/proposals/{proposal}/withdraw", {}, form_page=page).status_code == 303
    assert "陈嘉禾" not in client.get(page).text
    assert client.get(f"/admin/mediators/{xiamen}").status_code == 403
