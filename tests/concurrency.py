"""Requests sent at the same moment through the app under test, the way a double click or a
case system retrying sends them: on the test client's event loop, sharing its cookies (one
browser). On PostgreSQL each request runs on its own pooled connection, truly in parallel; on
SQLite they interleave at every query and queue for the write lock, as web workers do."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from litestar.testing import TestClient

FORM_KEY = re.compile(r'name="_form_key" value="([^"]+)"')
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def at_once(client: TestClient, run, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send every (method, path, httpx keyword arguments) at once; the answers in the same order."""

    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url=str(client.base_url),
                                     cookies=client.cookies) as browser:
            return list(await asyncio.gather(*(browser.request(method, path, **kwargs)
                                               for method, path, kwargs in requests)))

    return run(send_all())


def form_fields(client: TestClient, page: str) -> dict[str, str]:
    """The hidden fields a page's forms send: its CSRF token and its one-time form key."""
    text = client.get(page).text
    csrf, key = CSRF.search(text), FORM_KEY.search(text)
    assert csrf and key, f"no CSRF token or form key on {page}"
    return {"_csrf_token": csrf.group(1), "_form_key": key.group(1)}


def double_click(client: TestClient, run, page: str, action: str, data: dict[str, Any]) -> list[httpx.Response]:
    """The form of `page` posted to `action` twice at once with the same fields (one page, so
    one form key: a double click)."""
    body = {**data, **form_fields(client, page)}
    return at_once(client, run, [("POST", action, {"data": body})] * 2)


def two_tabs(client: TestClient, run, page: str, action: str, data: dict[str, Any]) -> list[httpx.Response]:
    """The same form filled in on two loads of `page` (two tabs: two form keys) and sent at once:
    only the operation itself can keep it to one record."""
    bodies = [{**data, **form_fields(client, page)} for _ in range(2)]
    return at_once(client, run, [("POST", action, {"data": body}) for body in bodies])
