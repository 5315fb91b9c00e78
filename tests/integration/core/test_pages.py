import re

import pytest

from core.auth.roles import Role
from core.i18n import catalog
from tests.helpers import login, make_user

PUBLIC_PAGES = ["/", "/login"]
SIGNED_IN_PAGES = ["/account", "/admin/audit"]


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("path", PUBLIC_PAGES + SIGNED_IN_PAGES)
def test_layout_pages_render_in_both_languages_with_no_untranslated_string(client, run, path):
    run(make_user("admin", Role.ADMIN))
    login(client, "admin")
    english_ids = set(catalog("zh_CN"))
    client.cookies.set("lang", "zh_CN")
    chinese = client.get(path)
    assert chinese.status_code == 200
    text = _visible_text(chinese.text)
    leftovers = [m for m in english_ids if len(m) > 3 and m.isascii() and m in text and " " in m]
    assert leftovers == [], leftovers
    assert 'lang="zh-CN"' in chinese.text
    client.cookies.set("lang", "en")
    english = client.get(path)
    assert english.status_code == 200 and 'lang="en"' in english.text
    assert "Labour Dispute Mediator Roster" in english.text


def test_language_switch_sets_a_cookie_and_returns(client):
    answer = client.get("/lang/en?next=/login", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert "Sign in" in client.get("/login").text


def test_language_switch_refuses_open_redirects(client):
    answer = client.get("/lang/en?next=//evil.example", follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_not_found_is_a_friendly_page_in_chinese(client):
    answer = client.get("/no-such-page")
    assert answer.status_code == 404 and "页面不存在" in answer.text


def test_security_headers_on_every_page(client):
    answer = client.get("/")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert "unsafe-inline" not in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["x-request-id"]


def test_anonymous_visit_sets_no_session(client):
    answer = client.get("/")
    assert "mediation_session" not in answer.headers.get("set-cookie", "")


def test_livez_and_healthz(client):
    assert client.get("/livez").json() == {"status": "ok"}
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_openapi_schema_is_served(client):
    schema = client.get("/schema/openapi.json").json()
    assert "/api/v1/auth/token" in schema["paths"]
