"""Command line: `python -m core.cli migrate | demo | serve | scheduler | backup PATH`."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys

from core.settings import ROOT


def migrate() -> None:
    """Apply every Piccolo migration of every app (core first, then the domains)."""
    env = {**os.environ, "PICCOLO_CONF": "piccolo_conf"}
    subprocess.run([sys.executable, "-m", "piccolo.main", "migrations", "forwards", "all"], check=True, cwd=ROOT, env=env)


async def _with_pool(coro_factory):
    from core import db

    await db.start_pool()
    try:
        return await coro_factory()
    finally:
        await db.close_pool()


async def load_demo() -> list[str]:
    from core import domains
    from core.demo import DemoContext, demo_password, load_core_demo
    from core.scheduler import collect_jobs

    modules = domains.wire()
    collect_jobs(modules)  # demo data may record job runs
    context = DemoContext(password=demo_password())
    await load_core_demo(context)
    for module in modules:
        loader = getattr(module, "load_demo", None)
        if loader is not None:
            await loader(context)
    # Final steps need every domain's data: the roster is published last, after the review's exits.
    for module in modules:
        finisher = getattr(module, "finish_demo", None)
        if finisher is not None:
            await finisher(context)
    return context.log


def demo() -> None:
    log = asyncio.run(_with_pool(load_demo))
    from core.demo import CORE_ACCOUNTS, demo_password

    for line in log:
        print(" ", line)
    print(f"\nDemo accounts (password: {demo_password()})")
    for username, name, role, region in CORE_ACCOUNTS:
        print(f"  {username:<16} {role.value:<12} {region}  {name}")


def backup(target: str) -> None:
    """SQLite online backup (consistent while the site runs); PostgreSQL uses pg_dump."""
    import sqlite3

    from core.db import sqlite_path
    from core.settings import get_settings

    url = get_settings().database_url
    if not url.startswith("sqlite"):
        raise SystemExit("PostgreSQL: use pg_dump -Fc (see docs/operations.md)")
    source = sqlite3.connect(sqlite_path(url))
    destination = sqlite3.connect(target)
    with destination:
        source.backup(destination)
    destination.close()
    source.close()
    print(f"backup written to {target}")


def serve(workers: int, host: str, port: int) -> None:
    args = [sys.executable, "-m", "uvicorn", "core.app:app_factory", "--factory", "--host", host, "--port", str(port),
            "--workers", str(workers), "--no-access-log", "--timeout-graceful-shutdown", "10",
            # The app decides whose X-Forwarded-For to believe (MEDIATION_TRUSTED_PROXIES); uvicorn's own
            # handling would believe any client on 127.0.0.1.
            "--no-proxy-headers"]
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process with the server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m core.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate")
    sub.add_parser("demo")
    serve_cmd = sub.add_parser("serve")
    serve_cmd.add_argument("--workers", type=int, default=1)
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000)
    sub.add_parser("scheduler")
    backup_cmd = sub.add_parser("backup")
    backup_cmd.add_argument("target")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
    elif args.command == "demo":
        demo()
    elif args.command == "serve":
        serve(args.workers, args.host, args.port)
    elif args.command == "backup":
        backup(args.target)
    elif args.command == "scheduler":
        from core.scheduler import run_forever

        asyncio.run(run_forever())


if __name__ == "__main__":
    main()
