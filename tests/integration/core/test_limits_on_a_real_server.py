"""Limits hold on the server production runs (`python -m core.cli serve`, uvicorn), not only in
the test client: a rotated X-Forwarded-For does not make a new client, and several workers
count together."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.servers import running_server

# The limits count in fixed windows of a minute: a server whose clock ran across a minute's end
# mid-test would count two windows (15 sign-ins through instead of 10, seen once in CI). The
# servers' clock is frozen half-way through a minute.
MID_MINUTE = {"MEDIATION_FROZEN_CLOCK": "2026-12-05T10:00:30+08:00"}


def _sign_in_attempt(base: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    with httpx.Client(base_url=base, timeout=30) as browser:  # a new connection, cookies and token each time
        page = browser.get("/login", headers=headers)
        token = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = browser.post("/login", headers=headers,
                              data={"username": "nobody", "password": "wrong", "_csrf_token": token})
        return answer.status_code


def test_rotating_x_forwarded_for_does_not_walk_round_the_sign_in_limit(db):
    with running_server(**MID_MINUTE) as base:
        answers = [_sign_in_attempt(base, forwarded_for=f"203.0.113.{n}") for n in range(12)]
    # MEDIATION_RATE_LIMIT_LOGIN: 10 a minute per client; the header names no client.
    assert answers[:10] == [400] * 10
    assert answers[10:] == [429, 429]


@pytest.mark.parametrize("workers", [2])
def test_several_workers_count_one_limit_exactly(db, workers):
    with running_server(workers=workers, **MID_MINUTE) as base, ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: _sign_in_attempt(base), range(24)))
    assert answers.count(400) == 10 and answers.count(429) == 14


def test_a_listed_proxy_is_believed(db):
    with running_server(MEDIATION_TRUSTED_PROXIES="127.0.0.1", **MID_MINUTE) as base:
        answers = [_sign_in_attempt(base, forwarded_for=f"203.0.113.{n}") for n in range(12)]
    assert 429 not in answers  # twelve clients behind our proxy, one attempt each
