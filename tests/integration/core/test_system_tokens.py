"""API tokens for a court's case system: created on the account page (shown once, only the
hash stored), used as a bearer token with the court user's roles, listed and revocable by the
owner only; validity bounded by a setting; mediators have none."""

import re

from core.auth.roles import Role
from core.tables import ApiToken
from tests.helpers import login, make_user, post_form


def _create(client, label="法院案件系统", days="180"):
    return post_form(client, "/account/tokens", {"label": label, "days": days}, form_page="/account")


def test_court_user_creates_a_token_its_case_system_uses_and_then_revokes_it(client, run):
    run(make_user("court", Role.COURT, "350500", court_id=1))
    login(client, "court")
    page = _create(client)
    assert page.status_code == 200
    token = re.search(r'<code class="secret">([^<]+)</code>', page.text).group(1)
    assert run(ApiToken.count().where(ApiToken.token_hash == token)) == 0  # only the hash is kept
    listing = client.get("/account").text
    assert "法院案件系统" in listing and token not in listing  # never shown again
    assert re.search(r"<title>我的账号[^<]*</title>", listing)  # the section sits in the page, not the title
    token_id = run(ApiToken.select(ApiToken.id).where(ApiToken.label == "system:法院案件系统").first())["id"]
    client.cookies.clear()  # the case system has no session, only the token
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/experts", headers=headers).status_code == 200
    login(client, "court")
    revoked = post_form(client, f"/account/tokens/{token_id}/revoke", {}, form_page="/account")
    assert revoked.status_code == 303
    client.cookies.clear()
    assert client.get("/api/v1/experts", headers=headers).status_code == 401

def test_token_form_errors_are_shown_next_to_the_fields(client, run):
    run(make_user("court", Role.COURT, "350500", court_id=1))
    login(client, "court")
    bad = _create(client, label="", days="1000")
    assert bad.status_code == 400 and 'id="e-label"' in bad.text and 'id="e-days"' in bad.text
    assert run(ApiToken.count()) == 0


def test_only_the_owner_revokes_and_mediators_cannot_create_tokens(client, run):
    run(make_user("court", Role.COURT, "350500", court_id=1))
    run(make_user("other", Role.COURT, "350500", court_id=2))
    login(client, "court")
    _create(client)
    token_id = run(ApiToken.select(ApiToken.id).first())["id"]
    client.cookies.clear()
    login(client, "other")
    post_form(client, f"/account/tokens/{token_id}/revoke", {}, form_page="/account")
    assert run(ApiToken.select(ApiToken.revoked_at).where(ApiToken.id == token_id).first())["revoked_at"] is None
    client.cookies.clear()
    run(make_user("med", Role.MEDIATOR, "350504"))
    login(client, "med")
    assert "/account/tokens" not in client.get("/account").text
    assert _create(client).status_code == 403
