from datetime import timedelta

from core import clock
from core.auth.roles import Role
from core.tables import ApiToken, AuditRecord
from tests.helpers import PASSWORD, api_token, csrf_token, login, make_user


def test_login_success_sets_a_hardened_session_cookie(client, run):
    run(make_user("admin", Role.ADMIN))
    answer = login(client, "admin")
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "mediation_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/account").status_code == 200


def test_login_wrong_password_says_so_in_chinese(client, run):
    run(make_user("admin", Role.ADMIN))
    answer = login(client, "admin", "wrong-password")
    assert answer.status_code == 400
    assert "用户名或密码错误" in answer.text
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_login_unknown_user_gets_the_same_message(client, run):
    answer = login(client, "nobody")
    assert "用户名或密码错误" in answer.text


def test_login_empty_fields_are_named(client):
    token = csrf_token(client)
    answer = client.post("/login", data={"username": "", "password": "", "_csrf_token": token})
    assert "请输入用户名" in answer.text and "请输入密码" in answer.text


def test_post_without_csrf_token_is_rejected(client, run):
    run(make_user("admin", Role.ADMIN))
    client.get("/login")
    answer = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert answer.status_code == 403


def test_forged_csrf_token_is_rejected(client, run):
    run(make_user("admin", Role.ADMIN))
    client.get("/login")
    answer = client.post("/login", data={"username": "admin", "password": PASSWORD, "_csrf_token": "forged"})
    assert answer.status_code == 403


def test_logout_ends_the_session(client, run):
    run(make_user("admin", Role.ADMIN))
    login(client, "admin")
    token = csrf_token(client, "/account")
    assert client.post("/logout", data={"_csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_api_token_issue_use_and_revoke(client, run):
    run(make_user("court1", Role.COURT, "350500"))
    answer = client.post("/api/v1/auth/token", json={"username": "court1", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer" and body["access_token"] and body["expires_at"]
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["roles"] == [{"role": "court", "region": "350500"}]
    assert client.post("/api/v1/auth/revoke", json={"token": body["access_token"]}, headers=headers).json() == {"revoked": True}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_api_token_wrong_credentials_401(client, run):
    run(make_user("court1", Role.COURT, "350500"))
    answer = client.post("/api/v1/auth/token", json={"username": "court1", "password": "nope"})
    assert answer.status_code == 401
    assert "detail" in answer.json()


def test_api_token_missing_field_names_it(client):
    answer = client.post("/api/v1/auth/token", json={"username": "x"})
    assert answer.status_code == 400
    assert answer.json()["field"] == "password"


def test_expired_api_token_is_refused(client, run):
    run(make_user("court1", Role.COURT, "350500"))
    headers = api_token(client, "court1")
    run(ApiToken.update({ApiToken.expires_at: clock.now() - timedelta(minutes=1)}, force=True))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_api_ignores_the_session_cookie(client, run):
    # A cross-site page cannot drive the API with a visitor's session.
    run(make_user("admin", Role.ADMIN))
    login(client, "admin")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_sign_in_writes_an_audit_record(client, run):
    run(make_user("admin", Role.ADMIN))
    login(client, "admin")
    rows = run(AuditRecord.select().where(AuditRecord.action == "sign_in"))
    assert len(rows) == 1 and rows[0]["actor_name"] == "admin"
