import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core.auth.services import user_id_by_username
from core.tables import User

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_is_503_when_the_database_is_down_and_livez_stays_up(tmp_path):
    port = _free_port()
    env = {**os.environ, "MEDIATION_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere",
           "MEDIATION_VAR_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "core.app:app_factory", "--factory", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                live = httpx.get(f"http://127.0.0.1:{port}/livez", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("server did not start")
        assert live.status_code == 200
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        # A request that needs the database fails with 503 (retry later), never 500.
        token = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/token", json={"username": "a", "password": "b"},
                           timeout=10)
        assert token.status_code == 503 and token.headers["retry-after"]
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_demo_command_twice_changes_nothing_the_second_time(run, monkeypatch):
    from core.cli import load_demo

    monkeypatch.setenv("MEDIATION_DEMO_PASSWORD", "demo-pass-123")
    run(load_demo())
    users_before = run(User.select(User.id, User.username, User.password_hash).order_by(User.id))
    second_log = run(load_demo())
    users_after = run(User.select(User.id, User.username, User.password_hash).order_by(User.id))
    assert users_before == users_after
    assert not any(line.startswith("account created") for line in second_log)
    for name in ("admin", "examiner1", "examiner2", "mediator1", "org1", "court1"):
        assert run(user_id_by_username(name)) is not None
