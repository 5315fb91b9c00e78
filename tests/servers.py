"""A real server for tests that need one: `python -m core.cli serve` (the command production
runs, uvicorn with its options) on a free port, on the test session's database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(workers: int = 1, **env: str) -> Iterator[str]:
    """Yield the base URL once /livez answers from every worker's port; stop it afterwards."""
    port = free_port()
    environment = {**os.environ, "MEDIATION_LOG_LEVEL": "WARNING", **env}
    server = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/livez", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise AssertionError("the server did not start")
            time.sleep(0.1)
        yield base
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
