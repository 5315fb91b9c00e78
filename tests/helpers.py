"""Shared test helpers: accounts, sign-in through the real login form, CSRF tokens."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from core.auth.roles import Grant, Role
from core.auth.services import create_user

PASSWORD = "correct horse battery staple"


async def make_user(username: str, role: Role | None, region: str = "350000", **grant: int) -> int:
    grants = [Grant(role, region, **grant)] if role else []
    return await create_user(username, PASSWORD, username.title(), grants)


def csrf_token(client: TestClient, path: str = "/login") -> str:
    """Load a page so the CSRF cookie is set, and return the token its form carries."""
    page = client.get(path)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD):
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": token},
        follow_redirects=False,
    )


def post_form(client: TestClient, path: str, data: dict, form_page: str | None = None, **kwargs):
    """Submit a form the way a browser does: with the CSRF token from a page of the site."""
    token = csrf_token(client, form_page or "/login")
    return client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False, **kwargs)


def api_token(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}
