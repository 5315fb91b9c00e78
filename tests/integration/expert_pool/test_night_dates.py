"""The reported bug, through the real routes: a court recording an outcome with today's date
between 00:00 and 08:00 Beijing time was refused ("结果日期应在接受邀请之日与今天之间"), because
acceptance and "today" were the server's UTC date. At `night` (Saturday 5 December 2026 in
Beijing, the 4th in UTC) the whole walk is dated by Beijing's calendar, and the API's instants
carry the +08:00 offset."""

from __future__ import annotations

from expert_pool import court_selections
from tests.helpers import api_token, login, post_form
from tests.integration.expert_pool.test_expert_pool_routes import ADMIN, REQUEST, seed_pool


def test_a_court_records_an_outcome_dated_today_at_night_on_its_page(client, run, night):
    seed_pool(run)
    login(client, "court")
    created = post_form(client, "/court/selections/", {
        "case_no": "（2026）闽05民调8号", "dispute_type": "wage_arrears", "region": "350504", "count": "3",
        "employer_names": "泉州某制衣有限公司", "worker_names": "张三"}, form_page="/court/selections/")
    path = created.headers["location"]
    selection_id = int(path.rstrip("/").split("/")[-1])
    post_form(client, f"{path}/confirm", {"designate": ""}, form_page=path)
    post_form(client, f"{path}/answer", {"decision": "accept"}, form_page=path)
    assert "2026-12-20" in client.get(path).text  # the 15-day limit runs from 5 December
    recorded = post_form(client, f"{path}/outcome", {"outcome": "agreement", "on": "2026-12-05"}, form_page=path)
    assert recorded.status_code == 303
    page = client.get(path).text
    assert "结果日期应在接受邀请之日与今天之间" not in page
    view = run(court_selections.selection_view(ADMIN, selection_id))
    assert (view.status, str(view.accepted_on), str(view.outcome_on)) == ("closed", "2026-12-05", "2026-12-05")


def test_the_selection_api_at_night_answers_beijings_dates_and_offsets(client, run, night):
    seed_pool(run)
    headers = api_token(client, "court")
    body = client.post("/api/v1/selections", json={**REQUEST, "employers": [{"name": "别的公司"}]},
                       headers=headers).json()
    selection_id = body["id"]
    client.post(f"/api/v1/selections/{selection_id}/strikes", headers=headers,
                json={"side": "worker", "struck": [body["shortlist"][0]]})
    client.post(f"/api/v1/selections/{selection_id}/confirm", headers=headers, json={})
    client.post(f"/api/v1/selections/{selection_id}/answer", headers=headers, json={"accept": True})
    done = client.post(f"/api/v1/selections/{selection_id}/outcome", headers=headers,
                       json={"outcome": "agreement", "on": "2026-12-05"})
    assert done.status_code == 200, done.text
    view = done.json()
    # Saturday 5 December: strikes by Tuesday the 8th (2 working days), an answer by Wednesday the 9th (3)
    assert (view["strike_deadline"], view["invitations"][0]["due_on"]) == ("2026-12-08", "2026-12-09")
    assert (view["accepted_on"], view["mediation_deadline"], view["outcome_on"]) == (
        "2026-12-05", "2026-12-20", "2026-12-05")
    instants = [step["at"] for step in view["steps"]]
    assert len(instants) == 5 and all(at.endswith("+08:00") and at.startswith("2026-12-05T") for at in instants)
