"""One court case has one live selection, however many requests arrive at once: the reported
attack (ten identical POST /api/v1/selections at the same moment), the court's form sent twice,
and every later step of a selection (strikes, confirmation, answer, outcome) recorded once."""

from __future__ import annotations

import asyncio

from core import clock
from core.audit import AuditRecord
from core.auth.roles import Grant, Principal, Role
from expert_pool import court_selections, invited_list, pool_snapshot, selection_steps
from expert_pool.tables import Selection, SelectionEvent, SelectionParty
from tests.concurrency import at_once, double_click, two_tabs
from tests.helpers import api_token, login
from tests.integration.expert_pool.test_expert_pool_routes import REQUEST, expert_principal, seed_pool

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))


def _rotation(run) -> dict[int, tuple[int, int]]:
    """(open cases, assignments in 12 months) of every candidate, as the next selection reads them."""
    snapshot = run(pool_snapshot.pool_snapshot({**REQUEST, "case_no": "（2026）闽05民调99号"}, clock.today()))
    return {e["id"]: (e["active_cases"], e["assignments_12m"]) for e in snapshot}


def test_ten_identical_selections_sent_at_once_make_one_and_nine_answer_409_with_its_id(client, run):
    info = seed_pool(run)
    before = _rotation(run)
    headers = api_token(client, "court")
    answers = at_once(client, run, [("POST", "/api/v1/selections", {"json": REQUEST, "headers": headers})] * 10)
    created = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 409]
    assert (len(created), len(refused)) == (1, 9), [a.text[:200] for a in answers]
    selection_id = created[0].json()["id"]
    for answer in refused:
        body = answer.json()
        assert body["status_code"] == 409 and body["field"] == "case_no" and body["existing_id"] == selection_id
    assert run(Selection.count()) == 1
    assert run(SelectionParty.count()) == 2  # one employer and one worker, once
    assert run(AuditRecord.count().where(AuditRecord.action == "select_experts")) == 1
    assert _rotation(run) == before  # the nine refused drew nobody
    # the one selection goes on as usual: replayed, confirmed and accepted, it counts once
    replay = client.post(f"/api/v1/selections/{selection_id}/replay", headers=headers).json()
    assert replay["matches"] is True
    first = client.post(f"/api/v1/selections/{selection_id}/confirm", json={}, headers=headers).json()["ranking"][0]
    client.post(f"/api/v1/selections/{selection_id}/answer", json={"accept": True}, headers=headers)
    after = _rotation(run)
    assert after[first] == (1, 1) and sum(a for a, _n in after.values()) == 1 and info["court"]


def test_the_case_number_written_another_way_is_the_same_case(client, run):
    seed_pool(run)
    headers = api_token(client, "court")
    first = client.post("/api/v1/selections", json=REQUEST, headers=headers).json()
    again = client.post("/api/v1/selections", json={**REQUEST, "case_no": " (2026)闽05民调1号 "}, headers=headers)
    assert again.status_code == 409 and again.json()["existing_id"] == first["id"]


def test_another_court_may_select_for_its_own_case_of_the_same_number(client, run):
    seed_pool(run)
    run(invited_list.create_court("泉州市丰泽区人民法院", "350500"))
    from tests.helpers import make_user

    run(make_user("court_fz", Role.COURT, "350500", court_id=3))
    assert client.post("/api/v1/selections", json=REQUEST, headers=api_token(client, "court")).status_code == 201
    assert client.post("/api/v1/selections", json=REQUEST, headers=api_token(client, "court_fz")).status_code == 201


def test_once_a_selection_has_ended_the_court_may_select_again_for_the_case(client, run):
    seed_pool(run)
    headers = api_token(client, "court")
    first = client.post("/api/v1/selections", json=REQUEST, headers=headers).json()
    client.post(f"/api/v1/selections/{first['id']}/confirm", json={}, headers=headers)
    client.post(f"/api/v1/selections/{first['id']}/answer", json={"accept": True}, headers=headers)
    assert client.post("/api/v1/selections", json=REQUEST, headers=headers).status_code == 409  # still mediating
    closed = client.post(f"/api/v1/selections/{first['id']}/outcome", json={"outcome": "no_agreement"},
                         headers=headers)
    assert closed.json()["status"] == "closed"
    second = client.post("/api/v1/selections", json=REQUEST, headers=headers)
    assert second.status_code == 201 and second.json()["id"] != first["id"]
    # every invited expert declining exhausts the list: the case is free again
    ranking = client.post(f"/api/v1/selections/{second.json()['id']}/confirm", json={}, headers=headers).json()
    for expert_id in ranking["ranking"]:  # each declines on their own (only the expert declines)
        run(selection_steps.answer(expert_principal(run, expert_id), second.json()["id"], False, "出差"))
    assert run(court_selections.selection_view(ADMIN, second.json()["id"])).status == "exhausted"
    assert client.post("/api/v1/selections", json=REQUEST, headers=headers).status_code == 201


FORM = {"case_no": "（2026）闽05民调3号", "dispute_type": "wage_arrears", "region": "350504", "count": "3",
        "employer_names": "泉州某鞋业有限公司", "worker_names": "张三"}


def test_the_court_form_for_a_case_with_a_live_selection_shows_the_error_and_links_to_it(client, run):
    seed_pool(run)
    login(client, "court")
    answers = two_tabs(client, run, "/court/selections/", "/court/selections/", FORM)
    assert sorted(a.status_code for a in answers) == [303, 409], [a.text[:300] for a in answers]
    location = next(a for a in answers if a.status_code == 303).headers["location"]
    page = next(a for a in answers if a.status_code == 409).text
    assert 'id="e-case_no"' in page and f'href="{location}"' in page
    assert run(Selection.count()) == 1


def test_the_court_form_double_clicked_makes_one_selection_and_both_clicks_land_on_it(client, run):
    seed_pool(run)
    login(client, "court")
    answers = double_click(client, run, "/court/selections/", "/court/selections/", FORM)
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert run(Selection.count()) == 1


def _accepted(run) -> int:
    court = Principal(user_id=None, username="c", grants=(Grant(Role.COURT, "350500", court_id=1),))
    created = run(court_selections.create_selection(court, {**REQUEST, "count": 2}))
    run(selection_steps.confirm(court, created.id))
    run(selection_steps.answer(court, created.id, True))
    return created.id


def test_an_outcome_sent_from_two_tabs_at_once_is_recorded_once(client, run):
    seed_pool(run)
    selection_id = _accepted(run)
    login(client, "court")
    path = f"/court/selections/{selection_id}"
    answers = two_tabs(client, run, path, f"{path}/outcome", {"outcome": "agreement", "on": clock.today().isoformat()})
    assert [a.status_code for a in answers] == [303, 303] and {a.headers["location"] for a in answers} == {path}
    assert run(SelectionEvent.count().where(SelectionEvent.kind == "outcome")) == 1
    assert run(AuditRecord.count().where(AuditRecord.action == "record_outcome")) == 1


def test_each_later_step_sent_twice_at_once_is_recorded_once(client, run):
    info = seed_pool(run)
    court = Principal(user_id=None, username="c", grants=(Grant(Role.COURT, "350500", court_id=info["court"]),))
    created = run(court_selections.create_selection(court, REQUEST))
    shortlist = created.shortlist

    async def twice(step, *args):
        return await asyncio.gather(step(court, created.id, *args), step(court, created.id, *args),
                                    return_exceptions=True)

    run(twice(selection_steps.strike, "worker", [shortlist[0]], []))
    run(twice(selection_steps.confirm))
    answered = run(twice(selection_steps.answer, True))
    assert sum(type(a).__name__ == "Conflict" for a in answered) == 1
    run(twice(selection_steps.record_outcome, "agreement"))
    kinds = [e["kind"] for e in run(SelectionEvent.select(SelectionEvent.kind).order_by(SelectionEvent.id))]
    assert kinds == ["strike", "confirm", "invite", "accept", "outcome"]
