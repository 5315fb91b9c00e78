from datetime import datetime

from core import clock
from tests.helpers import csrf_token

MID_MINUTE = datetime.fromisoformat("2026-12-05T10:00:30+08:00")


def test_login_rate_limit_answers_429_with_retry_after(client, monkeypatch):
    token = csrf_token(client)
    with clock.frozen(MID_MINUTE):  # the limit counts in windows of a minute: stay inside one
        answers = [
            client.post("/login", data={"username": "x", "password": "y", "_csrf_token": token}).status_code
            for _ in range(12)
        ]
        limited = client.post("/login", data={"username": "x", "password": "y", "_csrf_token": token})
    assert 429 in answers
    assert answers.index(429) == 10  # the named limit: 10 a minute
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "请求过于频繁" in limited.text


def test_rate_limits_can_be_switched_off_for_load_tests(monkeypatch, db):
    from litestar.testing import TestClient

    from core import settings as settings_module
    from core.app import create_app

    monkeypatch.setenv("MEDIATION_RATE_LIMITS", "off")
    settings_module.get_settings.cache_clear()
    try:
        with TestClient(create_app(), base_url="http://testserver.local") as client:
            token = csrf_token(client)
            answers = {
                client.post("/login", data={"username": "x", "password": "y", "_csrf_token": token}).status_code
                for _ in range(15)
            }
        assert 429 not in answers
    finally:
        settings_module.get_settings.cache_clear()
