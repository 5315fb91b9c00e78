"""Pages: withdrawing a standing mark from the organisation's page (the public roster then
stops showing it), the liaison arbitrators' page, and choosing one from the list on the
organisation's form. The clock is frozen at 10:00 in Beijing on 5 December 2026."""

from __future__ import annotations

from datetime import datetime

import pytest

from core import clock
from core.auth.roles import Role
from tests.helpers import login, make_user, post_form

AT = datetime.fromisoformat("2026-12-05T10:00:00+08:00")


@pytest.fixture
def frozen():
    with clock.frozen(AT) as at:
        yield at


def test_a_gold_medal_withdrawn_on_the_organisation_page_leaves_the_public_roster(client, run, frozen):
    from core.auth.roles import Grant, Principal
    from roster import publication, standing
    from roster import services as roster

    province = Principal(user_id=None, username="p", grants=(Grant(Role.ADMIN, "350000"),))
    org_id = run(roster.create_organisation_record(name="洛江区金牌调解中心", region_code="350504"))
    run(standing.set_standing(province, org_id, {"gold_medal": "on", "gold_medal_on": "2025-12-20",
                                               "gold_medal_body": "省人社厅"}))
    run(publication.publish(province, "350000"))
    assert "洛江区金牌调解中心" in client.get("/roster/organisations").text
    run(make_user("qzadmin", Role.ADMIN, "350500"))
    login(client, "qzadmin")
    page = f"/admin/organisations/{org_id}"
    assert f'action="{page}/standing/withdraw"' in client.get(page).text
    refused = post_form(client, f"{page}/standing/withdraw", {"mark": "gold_medal", "withdrawn_on": "2026-12-05",
                                                              "reason": ""}, form_page=page)
    assert refused.status_code == 400 and 'id="e-reason"' in refused.text
    done = post_form(client, f"{page}/standing/withdraw", {"mark": "gold_medal", "withdrawn_on": "2026-12-05",
                                                           "reason": "违反调解纪律"}, form_page=page)
    assert done.status_code in (302, 303)
    after = client.get(page).text
    assert "违反调解纪律" in after  # the history table
    api = client.get("/api/v1/roster/organisations").json()
    [entry] = [i for i in api["items"] if i["name"] == "洛江区金牌调解中心"]
    assert entry["gold_medal"] is False


def test_an_arbitrator_added_on_the_list_page_is_chosen_on_the_organisation_form(client, run, frozen):
    from roster import services as roster
    from roster.tables import LiaisonArbitrator

    org_id = run(roster.create_organisation_record(name="洛江区调解中心", region_code="350504"))
    run(make_user("qzadmin", Role.ADMIN, "350500"))
    login(client, "qzadmin")
    listing = "/admin/liaison-arbitrators"
    added = post_form(client, listing, {"name": "陈仲裁", "court": "泉州市劳动人事争议仲裁院", "region_code": "350500",
                                        "phone": "13905950001"}, form_page=listing)
    assert added.status_code in (302, 303)
    text = client.get(listing).text
    assert "139****0001" in text and "13905950001" not in text
    arbitrator_id = run(LiaisonArbitrator.select(LiaisonArbitrator.id).first())["id"]
    page = f"/admin/organisations/{org_id}"
    assert f'<option value="{arbitrator_id}"' in client.get(page).text
    saved = post_form(client, page, {"name": "洛江区调解中心", "liaison": str(arbitrator_id)}, form_page=page)
    assert saved.status_code in (302, 303)
    assert "泉州市劳动人事争议仲裁院" in client.get(page).text
    from roster.tables import Organisation

    assert run(Organisation.select(Organisation.liaison).where(Organisation.id == org_id).first())["liaison"] == (
        arbitrator_id)
