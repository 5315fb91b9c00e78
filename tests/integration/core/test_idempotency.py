"""Idempotency (core/idempotency.py): an API POST's `Idempotency-Key` gives the same answer and
one record, refuses a different request under the same key (422) and a repeat while the first
runs (409); keys belong to an account and expire. Every API POST route is covered and documents
the header; a page's form sent twice runs once."""

from __future__ import annotations

from datetime import timedelta

from litestar.routes import HTTPRoute

from core import clock, idempotency
from core.audit import AuditRecord
from core.auth.roles import Role
from core.settings import get_settings
from core.tables import IdempotencyRecord
from expert_pool import invited_list
from expert_pool.tables import Expert, Selection
from tests.concurrency import at_once, double_click, form_fields
from tests.helpers import api_token, login, make_user
from tests.integration.expert_pool.test_expert_pool_routes import REQUEST, seed_pool

KEY = {"Idempotency-Key": "3f2a9c1e-7b4d-4e8a-9c0f-selection-1"}


def _selections(run) -> int:
    return run(Selection.count())


def test_the_same_key_and_request_gives_the_first_answer_again_and_one_selection(client, run):
    seed_pool(run)
    headers = {**api_token(client, "court"), **KEY}
    first = client.post("/api/v1/selections", json=REQUEST, headers=headers)
    again = client.post("/api/v1/selections", json=REQUEST, headers=headers)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and again.headers["content-type"] == first.headers["content-type"]
    assert _selections(run) == 1
    assert run(AuditRecord.count().where(AuditRecord.action == "select_experts")) == 1


def test_an_answer_sent_compressed_is_given_again_whatever_the_client_accepts(client, run):
    seed_pool(run, n=40)  # a list of 40 considered experts: an answer large enough to be gzipped
    headers = {**api_token(client, "court"), **KEY}
    first = client.post("/api/v1/selections", json=REQUEST, headers={**headers, "Accept-Encoding": "gzip"})
    again = client.post("/api/v1/selections", json=REQUEST, headers={**headers, "Accept-Encoding": "identity"})
    assert first.headers["content-encoding"] == "gzip" and "content-encoding" not in again.headers
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert _selections(run) == 1


def test_the_same_key_with_another_request_or_route_is_refused_naming_the_header(client, run):
    seed_pool(run)
    headers = {**api_token(client, "court"), **KEY}
    created = client.post("/api/v1/selections", json=REQUEST, headers=headers).json()
    other_body = client.post("/api/v1/selections", json={**REQUEST, "count": 2}, headers=headers)
    other_route = client.post(f"/api/v1/selections/{created['id']}/replay", headers=headers)
    for answer in (other_body, other_route):
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "Idempotency-Key" and answer.json()["status_code"] == 422
    assert _selections(run) == 1


def test_repeats_sent_while_the_first_runs_wait_their_turn_and_one_selection_is_made(client, run):
    seed_pool(run)
    headers = {**api_token(client, "court"), **KEY}
    answers = at_once(client, run, [("POST", "/api/v1/selections", {"json": REQUEST, "headers": headers})] * 5)
    created = [a for a in answers if a.status_code == 201]
    busy = [a for a in answers if a.status_code == 409]
    assert len(created) + len(busy) == 5 and created, [a.text for a in answers]
    assert len({a.json()["id"] for a in created}) == 1  # the first answer, replayed to any that came later
    assert all(a.json()["field"] == "Idempotency-Key" and a.headers["retry-after"] == "1" for a in busy)
    assert _selections(run) == 1


def test_keys_belong_to_the_account(client, run):
    info = seed_pool(run)
    other_court = run(invited_list.create_court("泉州市丰泽区人民法院", "350500"))
    run(make_user("court_fz", Role.COURT, "350500", court_id=other_court))
    mine = client.post("/api/v1/selections", json=REQUEST, headers={**api_token(client, "court"), **KEY})
    theirs = client.post("/api/v1/selections", json=REQUEST, headers={**api_token(client, "court_fz"), **KEY})
    assert mine.status_code == theirs.status_code == 201 and mine.json()["id"] != theirs.json()["id"]
    assert info["court"] != other_court and _selections(run) == 2


def test_a_key_is_forgotten_after_the_setting_and_the_request_then_runs_again(client, run):
    seed_pool(run)
    headers = {**api_token(client, "court"), **KEY}
    first = client.post("/api/v1/selections", json=REQUEST, headers=headers).json()
    hours = get_settings().rules.idempotency_key_hours
    run(IdempotencyRecord.update({IdempotencyRecord.created_at: clock.now() - timedelta(hours=hours, minutes=1)},
                                 force=True))
    again = client.post("/api/v1/selections", json=REQUEST, headers=headers)
    # it ran: the case's live selection now answers, not the kept 201
    assert again.status_code == 409 and again.json()["existing_id"] == first["id"]
    assert "idempotent-replayed" not in again.headers


def test_a_malformed_key_is_refused_naming_the_header(client, run):
    seed_pool(run)
    headers = {**api_token(client, "court"), "Idempotency-Key": "with space"}
    answer = client.post("/api/v1/selections", json=REQUEST, headers=headers)
    assert answer.status_code == 400 and answer.json()["field"] == "Idempotency-Key"
    assert _selections(run) == 0


def test_a_page_keeps_only_a_redirect_never_a_page_with_what_was_typed(client, run):
    """A form re-rendered with its errors shows what was typed (personal data, perhaps): that
    answer is not kept, and the same form sent again runs again."""
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    fields = form_fields(client, "/admin/experts/")
    wrong = {"name": "洪律师", "background": "astrologer", "region_code": "350504", "specialties": "termination",
             **fields}
    for _ in range(2):
        assert client.post("/admin/experts/", data=wrong, follow_redirects=False).status_code == 400
    assert run(IdempotencyRecord.count()) == 0
    right = client.post("/admin/experts/", data={**wrong, "background": "lawyer"}, follow_redirects=False)
    kept = run(IdempotencyRecord.select().output(load_json=True).first())
    assert right.status_code == 303 and kept["status_code"] == 303 and kept["response_body"] == ""
    assert kept["state"] == "done" and set(kept["response_headers"]) <= {"location", "content-type"}


def test_every_api_post_route_is_covered_and_documents_the_header(client):
    """The middleware is app-level, so every route's stack has it; only EXEMPT routes keep no
    answer, each for a stated reason. The schema declares the header wherever it is honoured."""
    schema = client.get("/schema/openapi.json").json()
    posts = [(route.path, handler) for route in client.app.routes if isinstance(route, HTTPRoute)
             and route.path.startswith("/api/") for handler in route.route_handlers if "POST" in handler.http_methods]
    assert len(posts) >= 15
    for path, handler in posts:
        stack = [getattr(m, "middleware", m) for m in handler.resolve_middleware()]
        assert idempotency.IdempotencyMiddleware in stack, path
        documented = [p["name"] for p in schema["paths"][path.replace(":int", "").replace(":str", "")
                                                          .replace(":path", "")]["post"].get("parameters", [])]
        assert (idempotency.HEADER in documented) == idempotency.covers(path), path
    assert set(idempotency.EXEMPT) <= {path for path, _handler in posts}
    assert all(reason for reason in idempotency.EXEMPT.values())


def test_every_page_form_route_is_covered_and_pages_opt_out_only_visibly(client):
    """Page forms carry their key from `core.web.render`; every POST route's stack has the
    middleware, and the few that opt out say so on the route (their operation is idempotent)."""
    pages = [(route.path, handler) for route in client.app.routes if isinstance(route, HTTPRoute)
             and not route.path.startswith("/api/") for handler in route.route_handlers
             if "POST" in handler.http_methods]
    assert len(pages) >= 90
    for path, handler in pages:
        stack = [getattr(m, "middleware", m) for m in handler.resolve_middleware()]
        assert idempotency.IdempotencyMiddleware in stack, path
    opted_out = sorted(path for path, handler in pages if handler.opt.get(idempotency.REPEAT_SAFE))
    assert opted_out == ["/exams/admissions/{admission_id:int}/save", "/exams/admissions/{admission_id:int}/submit"]


def test_a_form_double_clicked_runs_once_and_both_clicks_get_the_same_redirect(client, run):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    answers = double_click(client, run, "/admin/experts/", "/admin/experts/", {
        "name": "洪律师", "background": "lawyer", "region_code": "350504", "specialties": "termination"})
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert run(Expert.count()) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 1


def test_a_form_sent_again_with_other_values_is_a_new_submission(client, run):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    fields = form_fields(client, "/admin/experts/")
    for name in ("洪律师", "林律师"):
        answer = client.post("/admin/experts/", data={"name": name, "background": "lawyer", "region_code": "350504",
                                                      "specialties": "termination", **fields}, follow_redirects=False)
        assert answer.status_code == 303
    assert run(Expert.count()) == 2


def test_the_key_of_a_form_the_csrf_check_refused_is_not_kept(client, run):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    fields = form_fields(client, "/admin/experts/")
    data = {"name": "洪律师", "background": "lawyer", "region_code": "350504", "specialties": "termination"}
    forged = client.post("/admin/experts/", data={**data, "_form_key": fields["_form_key"], "_csrf_token": "x.y"},
                         follow_redirects=False)
    assert forged.status_code == 403
    assert client.post("/admin/experts/", data={**data, **fields}, follow_redirects=False).status_code == 303
    assert run(Expert.count()) == 1
