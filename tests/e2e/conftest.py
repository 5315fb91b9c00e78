"""Browser journeys: a real uvicorn server on its own database (migrated, demo loaded)
and Debian's Chromium driven by Playwright. Skipped, with the reason, on a machine
without /usr/bin/chromium (`.ci/run` installs it)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MEDIATION_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "var" / "e2e"
DEMO_PASSWORD = "e2e-demo-password"
AXE_VERSION = "4.14.1"

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _pg_admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def live_server():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    var_dir = Path(tempfile.mkdtemp(prefix="mediation-e2e-"))
    env = {**os.environ, "MEDIATION_VAR_DIR": str(var_dir), "MEDIATION_DEMO_PASSWORD": DEMO_PASSWORD,
           "MEDIATION_RATE_LIMIT_LOGIN": "1000", "MEDIATION_RATE_LIMIT_VERIFY": "1000", "MEDIATION_SCHEDULER": "off"}
    pg_db = None
    if os.environ.get("MEDIATION_TEST_DATABASE") == "postgres":
        admin_url = os.environ.get("MEDIATION_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        pg_db = f"mediation_e2e_{os.getpid()}"
        asyncio.run(_pg_admin(admin_url, f'CREATE DATABASE "{pg_db}"'))
        env["MEDIATION_DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + "/" + pg_db
    else:
        env["MEDIATION_DATABASE_URL"] = f"sqlite:///{var_dir / 'e2e.sqlite3'}"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env["MEDIATION_BASE_URL"] = base_url
    subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "core.cli", "demo"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    log = (var_dir / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "core.app:app_factory", "--factory", "--port", str(port), "--no-access-log",
         "--no-proxy-headers"],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        server.kill()
        raise RuntimeError("e2e server did not start")
    try:
        yield {"base_url": base_url, "env": env, "var_dir": var_dir}
    finally:
        server.terminate()
        server.wait(timeout=20)
        if pg_db:
            asyncio.run(_pg_admin(os.environ.get("MEDIATION_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
                                  f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)'))
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server["base_url"], locale="zh-CN")
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server["base_url"], viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("button.primary")
    page.wait_for_load_state()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from the npm registry, cached under var/npm and injected into the page."""
    target = ROOT / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
    if not target.exists():
        if not shutil.which("npm"):
            pytest.skip("npm not available to fetch axe-core")
        subprocess.run(["npm", "install", "--no-save", "--silent", "--prefix", str(ROOT / "var" / "npm"),
                        f"axe-core@{AXE_VERSION}"], check=True)
    return target.read_text()


@pytest.fixture
def axe_page(browser, live_server):
    # axe is injected by the test harness; the site's own CSP forbids inline scripts.
    context = browser.new_context(base_url=live_server["base_url"], bypass_csp=True, locale="zh-CN")
    tab = context.new_page()
    yield tab
    context.close()


def axe_violations(page, source: str) -> list[dict]:
    page.evaluate(source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def db_rows(live_server, sql: str) -> list[tuple]:
    """Read the live server's database directly (to find ids the journeys need)."""
    url = live_server["env"]["MEDIATION_DATABASE_URL"]
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.split("sqlite:///", 1)[1]) as connection:
            return connection.execute(sql).fetchall()

    async def fetch():
        import asyncpg

        connection = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await connection.fetch(sql)]
        finally:
            await connection.close()

    return _off_loop(fetch())


def _off_loop(coroutine):
    """asyncio.run on a helper thread: Playwright's sync API keeps a loop running here."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def db_execute(live_server, sql: str) -> None:
    url = live_server["env"]["MEDIATION_DATABASE_URL"]
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.split("sqlite:///", 1)[1]) as connection:
            connection.execute(sql)
        return
    _off_loop(_pg_admin(url, sql))


def decode_qr(png: bytes) -> str:
    import io

    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code found"
    return found[0].text
