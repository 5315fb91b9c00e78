"""CSRF tokens are bound to the session they were issued for: a pair minted by an attacker, or a
token from another session, is refused with a signed-in victim's session."""

from __future__ import annotations

from core.auth.roles import Role
from core.tables import ApiToken
from tests.helpers import csrf_token, login, make_user


def test_a_cookie_and_token_pair_minted_by_an_attacker_is_refused_with_the_victims_session(client, run):
    run(make_user("victim", Role.COURT, "350500"))
    minted = csrf_token(client, "/login")  # the attacker's own valid pair, from their browser
    minted_cookie = client.cookies.get("csrftoken")
    assert minted and minted_cookie
    client.cookies.clear()  # now the victim's browser
    login(client, "victim")
    client.cookies.set("csrftoken", minted_cookie, domain="testserver.local")  # planted (cookie tossing)
    answer = client.post("/account/tokens", data={"label": "attacker", "days": "30", "_csrf_token": minted},
                         follow_redirects=False)
    assert answer.status_code == 403
    assert "表单已失效" in answer.text
    assert run(ApiToken.count()) == 0


def test_a_token_from_another_session_is_refused(client, run):
    run(make_user("victim", Role.COURT, "350500"))
    run(make_user("attacker", Role.COURT, "350500"))
    login(client, "attacker")
    attackers_token = csrf_token(client, "/account")
    client.cookies.clear()  # now the victim's browser
    login(client, "victim")
    answer = client.post("/account/tokens", data={"label": "x", "days": "30", "_csrf_token": attackers_token},
                         follow_redirects=False)
    assert answer.status_code == 403
    assert run(ApiToken.count()) == 0


def test_the_sessions_own_token_is_accepted_and_dies_with_the_session(client, run):
    run(make_user("court", Role.COURT, "350500"))
    login(client, "court")
    token = csrf_token(client, "/account")
    answer = client.post("/account/tokens", data={"label": "case system", "days": "30", "_csrf_token": token})
    assert answer.status_code == 200 and run(ApiToken.count()) == 1
    client.post("/logout", data={"_csrf_token": token})
    login(client, "court")
    stale = client.post("/account/tokens", data={"label": "again", "days": "30", "_csrf_token": token},
                        follow_redirects=False)
    assert stale.status_code == 403 and run(ApiToken.count()) == 1


def test_the_token_travels_in_a_header_for_scripts(client, run):
    run(make_user("court", Role.COURT, "350500"))
    login(client, "court")
    token = csrf_token(client, "/account")
    answer = client.post("/account/tokens", data={"label": "case system", "days": "30"},
                         headers={"x-csrftoken": token})
    assert answer.status_code == 200
