"""Strike and rank through HTTP (在线调解规则 Art. 10): the API's strike body keeps `side` and
`struck` and takes `ranking` as an optional field; a ranking naming a struck or unknown expert
is refused with 400 naming `ranking`; the court's page records both sides' strikes and ranks;
on the court's page a decline is not offered (only the expert declines). The clock is frozen at
Monday 16 November 2026, 10:00 Beijing (the strike window closes on Wednesday 18 November)."""

from __future__ import annotations

from datetime import datetime

import pytest

from core import clock
from expert_pool import court_selections
from tests.helpers import api_token, login, post_form
from tests.integration.expert_pool.test_expert_pool_routes import ADMIN, REQUEST, seed_pool


@pytest.fixture
def monday():
    with clock.frozen(datetime.fromisoformat("2026-11-16T10:00:00+08:00")) as at:
        yield at


def _listed(client, headers) -> tuple[int, list[int]]:
    body = client.post("/api/v1/selections", json={**REQUEST, "employers": [{"name": "别的公司"}], "count": 4},
                       headers=headers).json()
    assert len(body["shortlist"]) == 4
    return body["id"], body["shortlist"]


def test_both_sides_strike_and_rank_through_the_api_and_the_combined_ranking_decides_the_invitation(
        client, run, monday):
    seed_pool(run)
    headers = api_token(client, "court")
    selection_id, (a, b, c, d) = _listed(client, headers)
    employer = client.post(f"/api/v1/selections/{selection_id}/strikes", headers=headers,
                           json={"side": "employer", "struck": [a], "ranking": [d, c, b]})
    assert employer.status_code == 200
    worker = client.post(f"/api/v1/selections/{selection_id}/strikes", headers=headers,
                         json={"side": "worker", "struck": [], "ranking": [b, d, c, a]})
    assert worker.status_code == 200
    assert [(s["side"], s["struck"], s["ranking"]) for s in worker.json()["strikes"]] == [
        ("employer", [a], [d, c, b]), ("worker", [], [b, d, c, a])]
    confirmed = client.post(f"/api/v1/selections/{selection_id}/confirm", headers=headers, json={}).json()
    # a struck; b 3+1 = 4 (worst 3), c 2+3 = 5, d 1+2 = 3
    assert confirmed["ranking"] == [d, b, c] and confirmed["invited_expert_id"] == d


def test_a_strike_without_ranking_is_still_accepted_as_before(client, run, monday):
    seed_pool(run)
    headers = api_token(client, "court")
    selection_id, (a, b, c, d) = _listed(client, headers)
    answer = client.post(f"/api/v1/selections/{selection_id}/strikes", headers=headers,
                         json={"side": "worker", "struck": [b]})
    assert answer.status_code == 200 and answer.json()["strikes"][0]["ranking"] == []
    confirmed = client.post(f"/api/v1/selections/{selection_id}/confirm", headers=headers, json={}).json()
    assert confirmed["ranking"] == [a, c, d]  # nobody ranked: the draw order


def test_ranking_a_struck_or_unknown_expert_is_refused_with_400_naming_ranking(client, run, monday):
    seed_pool(run)
    headers = api_token(client, "court")
    selection_id, (a, b, c, d) = _listed(client, headers)
    for body in ({"side": "employer", "struck": [a], "ranking": [b, a]},
                 {"side": "employer", "struck": [], "ranking": [b, 987654]}):
        refused = client.post(f"/api/v1/selections/{selection_id}/strikes", headers=headers, json=body)
        assert refused.status_code == 400 and refused.json()["field"] == "ranking", refused.text
    unknown = client.post(f"/api/v1/selections/{selection_id}/strikes", headers=headers,
                          json={"side": "employer", "struck": [987654]})
    assert unknown.status_code == 400 and unknown.json()["field"] == "struck"
    assert client.get(f"/api/v1/selections/{selection_id}", headers=headers).json()["strikes"] == []


def test_the_court_page_records_each_sides_strikes_and_ranks(client, run, monday):
    seed_pool(run)
    headers = api_token(client, "court")
    selection_id, (a, b, c, d) = _listed(client, headers)
    login(client, "court")
    path = f"/court/selections/{selection_id}"
    page = client.get(path).text
    assert f'name="rank_{a}"' in page and 'value="decline"' not in page
    post_form(client, f"{path}/strikes", {"side": "employer", "struck": str(d), f"rank_{c}": "1", f"rank_{a}": "2"},
              form_page=path)
    post_form(client, f"{path}/strikes", {"side": "worker", f"rank_{b}": "1", f"rank_{a}": "2", f"rank_{c}": "3"},
              form_page=path)
    view = run(court_selections.selection_view(ADMIN, selection_id))
    assert [(s.side, s.struck, s.ranking) for s in view.strikes] == [
        ("employer", [d], [c, a]), ("worker", [], [b, a, c])]
    # employer c, a, b (d struck); worker b, a, c: a 2+2 = 4, b 3+1 = 4, c 1+3 = 4; worst a 2, b 3, c 3
    post_form(client, f"{path}/confirm", {"designate": ""}, form_page=path)
    assert run(court_selections.selection_view(ADMIN, selection_id)).ranking == [a, b, c]


def test_a_rank_that_is_not_a_whole_number_is_refused_on_the_page_and_nothing_is_recorded(client, run, monday):
    seed_pool(run)
    headers = api_token(client, "court")
    selection_id, (a, _b, _c, _d) = _listed(client, headers)
    login(client, "court")
    path = f"/court/selections/{selection_id}"
    answer = post_form(client, f"{path}/strikes", {"side": "worker", f"rank_{a}": "第一"}, form_page=path)
    assert answer.status_code == 303
    assert run(court_selections.selection_view(ADMIN, selection_id)).strikes == []
