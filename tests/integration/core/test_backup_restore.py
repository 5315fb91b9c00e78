"""Backup and restore: a backup taken with the documented command (SQLite online backup;
pg_dump -Fc / pg_restore on PostgreSQL), restored into a fresh database, still verifies every
certificate with the same status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

from tests.conftest import ENGINE, ROOT

CHECK = """
import asyncio, json, sys
from core.db import start_pool, close_pool
from certification import tokens, verification
from certification.tables import Certificate

async def main():
    await start_pool()
    out = {}
    for row in await Certificate.select(Certificate.id, Certificate.version, Certificate.certificate_no):
        view = await verification.verify_token(tokens.make_token(row["id"], row["version"]))
        out[row["certificate_no"]] = view.status
    await verification.flush_verification_log()
    await close_pool()
    print(json.dumps(out))

asyncio.run(main())
"""


def _statuses(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {**os.environ, "MEDIATION_DATABASE_URL": database_url, "MEDIATION_VAR_DIR": str(var_dir)}
    out = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_restored_backup_still_verifies_every_certificate(run, tmp_path):
    from certification import lifecycle
    from certification import services as certification
    from certification.tables import Certificate
    from roster import services as roster

    for n in range(3):
        mediator = run(roster.create_mediator_record(name=f"持证人{n}", region_code="350504"))
        run(certification.issue_certificate_unchecked(mediator, "junior", issued_on=date(2026, 1, 5)))
    numbers = [r["certificate_no"] for r in run(Certificate.select(Certificate.certificate_no))]
    run(lifecycle.revoke(None, numbers[0], "违纪"))
    live_url = os.environ["MEDIATION_DATABASE_URL"]
    if ENGINE == "postgres":
        dump = tmp_path / "backup.dump"
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), live_url], check=True)
        restored_name = f"restored_{uuid.uuid4().hex[:8]}"
        admin = live_url.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{restored_name}"'], check=True)
        restored_url = live_url.rsplit("/", 1)[0] + "/" + restored_name
        try:
            subprocess.run(["pg_restore", "--no-owner", "-d", restored_url, str(dump)], check=True)
            restored = _statuses(restored_url, tmp_path / "var")
        finally:
            subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)'], check=True)
    else:
        target = tmp_path / "backup.sqlite3"
        subprocess.run([sys.executable, "-m", "core.cli", "backup", str(target)], cwd=ROOT, env=os.environ.copy(),
                       check=True, capture_output=True)
        restored = _statuses(f"sqlite:///{target}", tmp_path / "var")
    original = _statuses(live_url, tmp_path / "var-live")
    assert restored == original and len(restored) == 3
    assert restored[numbers[0]] == "revoked" and sorted(restored.values()).count("valid") == 2
