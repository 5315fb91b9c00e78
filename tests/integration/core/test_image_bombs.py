"""Three decompression bombs at once against a real server (rule: every image upload is refused
past the pixel limit before it is decoded, and decoding runs off the event loop): each upload
answers the form again naming the limit, `/livez` keeps answering within 100 ms throughout, and
the server's memory stays within 200 MB of where it was. The bomb is a valid 230 KB PNG of
10000×7900 black pixels (79 megapixels, 237 MB decoded), like the 308 KB photo of the report."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from core.auth.roles import Role
from roster import services as roster
from tests.bombs import png_bomb
from tests.conftest import ROOT
from tests.helpers import csrf_token, login, make_user

UPLOADS = 3
LIMIT = "超过 25 百万像素的上限"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_kb(pid: int, field: str) -> int:
    """VmRSS (resident now) or VmHWM (the highest it has been) of a process, in kB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1))


@pytest.fixture
def server(db):
    """uvicorn serving the app on this test's database, ready when it says so on stderr."""
    port = _free_port()
    env = {**os.environ, "MEDIATION_LOG_LEVEL": "WARNING", "MEDIATION_SCHEDULER": "off"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "core.app:app_factory", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ready = threading.Event()

    def drain():  # read every line, so a full pipe never blocks the server
        for line in process.stderr:
            if "Application startup complete" in line:
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        assert ready.wait(60), "the server did not start"
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_three_bombs_at_once_are_refused_while_livez_stays_fast_and_memory_flat(server, run):
    process, base_url = server
    run(make_user("qz", Role.ADMIN, "350500"))
    mediator_id = run(roster.create_mediator_record(name="林晓梅", region_code="350504"))
    form_page = f"/admin/mediators/{mediator_id}"
    bomb = png_bomb()

    with httpx.Client(base_url=base_url, timeout=60) as staff:
        assert login(staff, "qz").status_code == 303
        token = csrf_token(staff, form_page)  # also loads the page's code, so the baseline counts it
        cookies = dict(staff.cookies)

    def upload(start: threading.Barrier) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60, cookies=cookies) as client:
            start.wait()
            return client.post(f"{form_page}/photo", data={"_csrf_token": token},
                               files={"photo": ("photo.png", bomb, "image/png")}, follow_redirects=False)

    latencies: list[float] = []
    done = threading.Event()

    def watch_livez(started: threading.Event) -> None:
        with httpx.Client(base_url=base_url, timeout=10) as probe:
            while not done.is_set():
                began = time.perf_counter()
                assert probe.get("/livez").status_code == 200
                latencies.append(time.perf_counter() - began)
                started.set()

    Path(f"/proc/{process.pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS (Linux ≥ 4.0)
    baseline_kb = _memory_kb(process.pid, "VmRSS")
    start, watching = threading.Barrier(UPLOADS), threading.Event()
    with ThreadPoolExecutor(UPLOADS + 1) as pool:
        watcher = pool.submit(watch_livez, watching)
        assert watching.wait(30)
        answers = [f.result() for f in [pool.submit(upload, start) for _ in range(UPLOADS)]]
        done.set()
        watcher.result()

    for answer in answers:
        assert answer.status_code == 400, answer.text[:2000]
        assert "10000 × 7900 像素" in answer.text and LIMIT in answer.text  # the limit, beside the photo field
    assert run(roster.mediator_summary(mediator_id)).photo_path is None
    # Decoding the bombs held /livez for 1.69 s before the limit; 0.5 s leaves a busy 2-CPU
    # machine room (0.10 s was seen with two suites running) and still fails that hole.
    assert len(latencies) >= 3 and max(latencies) < 0.5, sorted(latencies)[-5:]
    grown_mb = (_memory_kb(process.pid, "VmHWM") - baseline_kb) / 1024  # the peak, not a sample
    assert grown_mb < 200, f"the server grew by {grown_mb:.0f} MB"
