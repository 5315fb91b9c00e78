"""Sign-in throttling instead of lock-out: failed sign-ins slow down the address and the
username-and-address pair with growing delays; the owner signing in from elsewhere is never
held back; one message for a wrong username, a wrong password and a throttled attempt; the
count is exact under parallel attempts. Defaults: 5 free attempts per account and address,
20 per address, then 30 s, 60 s, 120 s ... up to an hour."""

from __future__ import annotations

import asyncio

import pytest

from core.auth.roles import Role
from core.auth.services import LoginRefused, authenticate
from core.tables import AuditRecord
from tests.helpers import PASSWORD, api_token, login, make_user, post_form

HOME, ELSEWHERE = "198.51.100.10", "203.0.113.77"


async def _attempt(username: str, password: str, address: str = HOME, at: float = 1_000_000.0) -> str:
    try:
        await authenticate(username, password, address, at=at)
    except LoginRefused as refused:
        return "throttled" if refused.throttled else "refused"
    return "signed in"


def test_five_free_attempts_then_growing_delays(run):
    run(make_user("admin", Role.ADMIN))
    t = 1_000_000.0
    assert [run(_attempt("admin", "bad", at=t)) for _ in range(5)] == ["refused"] * 5
    assert run(_attempt("admin", PASSWORD, at=t + 29)) == "throttled"  # even the right password waits 30 s
    assert run(_attempt("admin", "bad", at=t + 31)) == "refused"  # the 6th attempt, after 30 s
    assert run(_attempt("admin", "bad", at=t + 31 + 59)) == "throttled"  # now 60 s
    assert run(_attempt("admin", "bad", at=t + 31 + 61)) == "refused"  # the 7th
    assert run(_attempt("admin", PASSWORD, at=t + 92 + 119)) == "throttled"  # now 120 s
    assert run(_attempt("admin", PASSWORD, at=t + 92 + 121)) == "signed in"
    assert run(_attempt("admin", "bad", at=t + 214)) == "refused"  # a success starts the count again


def test_the_owner_signing_in_from_elsewhere_is_never_held_back(run):
    run(make_user("admin", Role.ADMIN))
    for _ in range(12):
        run(_attempt("admin", "bad", address=HOME))
    assert run(_attempt("admin", PASSWORD, address=HOME)) == "throttled"
    assert run(_attempt("admin", PASSWORD, address=ELSEWHERE)) == "signed in"


def test_an_address_trying_many_accounts_is_slowed_down(run):
    for n in range(21):
        run(make_user(f"user{n}", Role.EXAMINER))
    outcomes = [run(_attempt(f"user{n}", "bad")) for n in range(21)]
    assert outcomes == ["refused"] * 20 + ["throttled"]  # 20 free per address, one per account here
    assert run(_attempt("user0", PASSWORD, address=ELSEWHERE)) == "signed in"


def test_unknown_usernames_are_throttled_exactly_like_real_ones(run):
    run(make_user("admin", Role.ADMIN))
    real = [run(_attempt("admin", "bad")) for _ in range(6)]
    unknown = [run(_attempt("no-such-user", "bad")) for _ in range(6)]
    assert real == unknown == ["refused"] * 5 + ["throttled"]


def test_parallel_attempts_are_counted_exactly(run):
    run(make_user("admin", Role.ADMIN))

    async def burst():
        return await asyncio.gather(*(_attempt("admin", "bad") for _ in range(20)))

    outcomes = run(burst())
    assert outcomes.count("refused") == 5 and outcomes.count("throttled") == 15


def test_one_message_for_wrong_username_wrong_password_and_throttled(client, run):
    run(make_user("admin", Role.ADMIN))
    wrong_password = login(client, "admin", "bad")
    wrong_username = login(client, "nobody", "bad")
    for _ in range(4):
        login(client, "admin", "bad")
    throttled = login(client, "admin")  # the right password, throttled
    messages = {answer.status_code for answer in (wrong_password, wrong_username, throttled)}
    assert messages == {400}
    for answer in (wrong_password, wrong_username, throttled):
        assert "用户名或密码错误，或尝试过于频繁：请稍候再试。" in answer.text
        assert "锁定" not in answer.text


def test_the_api_gives_the_same_401_for_all_three(client, run):
    run(make_user("court1", Role.COURT, "350500"))
    bodies = [client.post("/api/v1/auth/token", json={"username": name, "password": "bad"}).json()
              for name in ("court1", "nobody")]
    for _ in range(4):
        client.post("/api/v1/auth/token", json={"username": "court1", "password": "bad"})
    throttled = client.post("/api/v1/auth/token", json={"username": "court1", "password": PASSWORD})
    assert throttled.status_code == 401
    assert bodies[0]["detail"] == bodies[1]["detail"] == throttled.json()["detail"]


def test_refused_sign_ins_of_real_accounts_are_audited(client, run):
    user_id = run(make_user("admin", Role.ADMIN))
    for _ in range(6):
        login(client, "admin", "bad")
    login(client, "nobody", "bad")
    rows = run(AuditRecord.select(AuditRecord.entity_id, AuditRecord.reason).where(
        AuditRecord.action == "sign_in_refused").order_by(AuditRecord.id))
    assert [r["entity_id"] for r in rows] == [str(user_id)] * 6
    assert [r["reason"] for r in rows] == [""] * 5 + ["throttled"]


def test_an_administrator_clears_a_users_sign_in_delays(client, run):
    target = run(make_user("clerk", Role.EXAMINER, "350500"))
    run(make_user("qz", Role.ADMIN, "350500"))
    for _ in range(5):
        run(_attempt("clerk", "bad", address="testclient"))
    login(client, "qz")
    answer = post_form(client, f"/admin/users/{target}/clear-sign-in-delays", {}, form_page="/admin/users")
    assert answer.status_code == 303
    client.cookies.clear()
    assert login(client, "clerk").status_code == 303


def test_an_administrator_of_another_region_cannot_clear_them(client, run):
    target = run(make_user("clerk", Role.EXAMINER, "350200"))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    answer = post_form(client, f"/admin/users/{target}/clear-sign-in-delays", {}, form_page="/admin/users")
    assert answer.status_code == 403


@pytest.mark.parametrize("limits", ["off"])
def test_throttling_is_off_with_the_rate_limits(run, monkeypatch, limits):
    from core import settings as settings_module

    run(make_user("admin", Role.ADMIN))
    monkeypatch.setenv("MEDIATION_RATE_LIMITS", limits)
    settings_module.get_settings.cache_clear()
    try:
        assert [run(_attempt("admin", "bad")) for _ in range(8)] == ["refused"] * 8
    finally:
        settings_module.get_settings.cache_clear()


def test_a_successful_sign_in_gives_back_its_address_count(client, run):
    run(make_user("court1", Role.COURT, "350500"))
    for _ in range(30):  # many good sign-ins from one address (a court's office) never slow it down
        assert run(_attempt("court1", PASSWORD)) == "signed in"
    api_token(client, "court1")
