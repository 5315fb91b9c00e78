"""Session fixation closed: the server ignores session ids it never issued, and hands out a new
id at sign-in, at sign-out and when the account's grants change."""

from __future__ import annotations

import secrets
from contextlib import contextmanager

from litestar.testing import TestClient

from core.auth.roles import Grant, Role
from core.auth.services import add_grant
from core.tables import User
from tests.helpers import csrf_token, login, make_user

COOKIE = "mediation_session"


def _signed_in(client: TestClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


@contextmanager
def _as_browser(client: TestClient, session_id: str):
    """The same test client as another browser holding `session_id` (one client per app: on
    PostgreSQL the pool belongs to the client's event loop)."""
    saved = dict(client.cookies)
    client.cookies.clear()
    client.cookies.set(COOKIE, session_id, domain="testserver.local")
    try:
        yield client
    finally:
        client.cookies.clear()
        for name, value in saved.items():
            client.cookies.set(name, value, domain="testserver.local")


def test_a_session_id_planted_before_sign_in_is_not_signed_in(app, client, run):
    run(make_user("victim", Role.ADMIN))
    planted = secrets.token_hex(32)  # chosen by an attacker and set in the victim's browser
    client.cookies.set(COOKIE, planted, domain="testserver.local")
    answer = login(client, "victim")
    assert answer.status_code == 303
    issued = client.cookies.get(COOKIE)
    assert issued and issued != planted
    with _as_browser(client, planted) as attacker:
        assert not _signed_in(attacker)
    assert _signed_in(client)


def test_an_issued_id_planted_in_another_browser_is_replaced_and_ended_at_sign_in(app, client, run):
    run(make_user("attacker", Role.EXAMINER))
    run(make_user("victim", Role.ADMIN))
    login(client, "attacker")
    attackers_id = client.cookies.get(COOKIE)
    with _as_browser(client, attackers_id) as victim:
        assert login(victim, "victim").status_code == 303
        assert victim.cookies.get(COOKIE) != attackers_id
        assert _signed_in(victim)
    assert not _signed_in(client)  # the attacker's id died with the rotation


def test_a_session_id_the_server_never_issued_is_ignored(client, run):
    run(make_user("admin", Role.ADMIN))
    client.cookies.set(COOKIE, secrets.token_hex(32), domain="testserver.local")
    answer = client.get("/login")
    assert answer.status_code == 200
    assert COOKIE not in answer.headers.get("set-cookie", "") or "null" in answer.headers["set-cookie"]


def test_sign_out_ends_the_session_id(app, client, run):
    run(make_user("admin", Role.ADMIN))
    login(client, "admin")
    old_id = client.cookies.get(COOKIE)
    token = csrf_token(client, "/account")
    assert client.post("/logout", data={"_csrf_token": token}, follow_redirects=False).status_code == 303
    with _as_browser(client, old_id) as replay:
        assert not _signed_in(replay)


def test_a_change_of_grants_gives_the_session_a_new_id(app, client, run):
    user_id = run(make_user("clerk", Role.EXAMINER, "350500"))
    login(client, "clerk")
    before = client.cookies.get(COOKIE)
    assert client.get("/admin/users", follow_redirects=False).status_code == 403
    run(add_grant(user_id, Grant(Role.ADMIN, "350500")))  # an administrator grants more
    answer = client.get("/admin/users", follow_redirects=False)
    assert answer.status_code == 200  # the new grant applies at once...
    after = client.cookies.get(COOKIE)
    assert after and after != before  # ...under a new session id
    with _as_browser(client, before) as replay:
        assert not _signed_in(replay)
    assert client.get("/admin/users", follow_redirects=False).status_code == 200
    assert client.cookies.get(COOKIE) == after  # and it is stable while nothing changes


def test_a_deactivated_account_s_session_ends(client, run):
    user_id = run(make_user("clerk", Role.EXAMINER))
    login(client, "clerk")
    run(User.update({User.is_active: False}).where(User.id == user_id))
    assert not _signed_in(client)
    run(User.update({User.is_active: True}).where(User.id == user_id))
    assert not _signed_in(client)  # ended, not paused
