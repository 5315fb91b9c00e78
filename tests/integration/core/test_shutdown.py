"""Shutdown is clean under load: the server stops within its grace period with exit code
0 while requests that touch the database are still arriving (the pooled SQLite engine
closes its connections and their threads)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hammer(url: str, stop: threading.Event, counts: list[int]) -> None:
    with httpx.Client(timeout=5) as http:
        while not stop.is_set():
            try:
                http.get(url)
                counts[0] += 1
            except httpx.TransportError:
                time.sleep(0.01)


def test_uvicorn_stops_cleanly_under_load(tmp_path):
    port = _free_port()
    env = {**os.environ, "MEDIATION_DATABASE_URL": f"sqlite:///{tmp_path / 'shutdown.sqlite3'}",
           "MEDIATION_VAR_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "core.app:app_factory", "--factory", "--port", str(port),
         "--log-level", "info", "--no-access-log", "--timeout-graceful-shutdown", "5"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "server.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    stop, counts = threading.Event(), [0]
    workers = [threading.Thread(target=_hammer, args=(url, stop, counts)) for _ in range(8)]
    for worker in workers:
        worker.start()
    time.sleep(1.5)
    started = time.time()
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=15)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
        if server.poll() is None:
            server.kill()
    log = (tmp_path / "server.log").read_text()
    assert counts[0] > 50, "the load did not reach the server"
    # uvicorn re-raises SIGTERM after a graceful shutdown, so the exit status is the signal.
    assert code in (0, -signal.SIGTERM)
    assert time.time() - started < 10
    assert "Application shutdown complete" in log
    assert "Traceback" not in log
