"""A batch issue for a sitting killed half-way (SIGKILL in a subprocess: the power goes out)
leaves whole certificates only — the unit of work is one certificate: its number, its row and
its audit record commit together — with the number sequence still gap-free, no half-written
rendered file, and a rerun issues the rest with the next numbers."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from datetime import timedelta

import pytest

from certification import files, issuing, registry, verification
from certification.tables import Certificate, CertificateSerial
from core import clock
from core.auth.roles import Grant, Principal, Role
from core.settings import get_settings
from core.tables import AuditRecord
from tests.conftest import ROOT

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
CANDIDATES = 6

CRASH = """
import asyncio, os, signal
from core import audit
from core.auth.roles import Grant, Principal, Role
from core.db import start_pool
from certification.issuing import batch_issue

WHERE, AFTER = %r, %d
record = audit.record

def power_cut():
    os.kill(os.getpid(), signal.SIGKILL)

async def record_then_die(*args, **kwargs):
    # the next certificate has drawn its number and inserted its row: die before its commit
    await record(*args, **kwargs)
    power_cut()

def progress(stage, done, total):
    if WHERE == "between_certificates" and stage == "issued" and done == AFTER:
        power_cut()
    if WHERE == "inside_a_certificate" and stage == "issued" and done == AFTER:
        audit.record = record_then_die
    if WHERE == "while_rendering" and stage == "rendered" and done == AFTER:
        power_cut()

async def main():
    await start_pool()
    admin = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
    await batch_issue(admin, sitting_id=%d, progress=progress)

asyncio.run(main())
"""


async def _released_sitting_with_passes(count: int) -> int:
    """A released junior sitting that `count` appointed mediators passed, each having
    completed the junior course: every one is eligible for a certificate."""
    from roster import services as roster_services
    from training.exams.tables import Admission, Paper, Sitting
    from training.tables import Course, Enrolment

    now = clock.now()
    mediators = [await roster_services.create_mediator_record(name=f"考生{n}", region_code="350504")
                 for n in range(count)]
    course = (await Course.insert(Course(title="初级调解员培训", grade="junior", region_code="350000", class_hours=24,
                                         status="published", created_at=now, updated_at=now)).returning(Course.id))[0]
    await Enrolment.insert(*[Enrolment(course=course["id"], mediator_id=m, pair_key=f"{course['id']}:{m}",
                                       status="completed", queued_at=now, enrolled_at=now, completed_on=clock.today())
                             for m in mediators])
    paper = (await Paper.insert(Paper(title="初级试卷", grade="junior")).returning(Paper.id))[0]["id"]
    opened = now - timedelta(days=10)
    sitting = (await Sitting.insert(Sitting(
        title="初级调解员资格考试", paper=paper, grade="junior", region_code="350000", opens_at=opened,
        closes_at=opened + timedelta(hours=3), status="released", results_released_at=now - timedelta(days=2),
    )).returning(Sitting.id))[0]["id"]
    await Admission.insert(*[Admission(
        sitting=sitting, mediator_id=m, region_code="350504", grade="junior", year=clock.date_of(opened).year,
        ticket_no=f"T{sitting:04d}{n:05d}", script_no=f"S{sitting:04d}{n:05d}", pair_key=f"{sitting}:{m}", seed="0",
        status="marked", objective_score=60.0, written_score=18.0, total=78.0, passed=True,
    ) for n, m in enumerate(mediators)])
    return sitting


def _cache_dir():
    return get_settings().var_dir / "certificates"


@pytest.fixture
def empty_render_cache():
    """Rendered files are cached by certificate id, and ids restart after each test's
    truncation: start and leave with an empty cache."""
    shutil.rmtree(_cache_dir(), ignore_errors=True)
    yield
    shutil.rmtree(_cache_dir(), ignore_errors=True)


def _serials(rows) -> list[int]:
    prefix = f"350504{clock.today().year}J"
    assert all(r["certificate_no"].startswith(prefix) for r in rows)
    return sorted(int(r["certificate_no"][len(prefix):]) for r in rows)


def _assert_whole_units(run, sitting_id: int, issued: int, rendered: int) -> list[dict]:
    rows = run(Certificate.select().where(Certificate.sitting_id == sitting_id))
    assert len(rows) == issued
    assert _serials(rows) == list(range(1, issued + 1))  # gap-free
    counter = run(CertificateSerial.select().first())
    assert counter["last_serial"] == issued  # a number drawn by the dying certificate went back
    audited = run(AuditRecord.select(AuditRecord.entity_id).where(AuditRecord.entity == "certificate",
                                                                   AuditRecord.action == "issue"))
    assert sorted(int(a["entity_id"]) for a in audited) == sorted(r["id"] for r in rows)  # each row with its audit
    files = sorted(p.name for p in _cache_dir().glob("*") if p.name != "generation")
    assert not [name for name in files if name.endswith(".tmp")]  # no half-written file left behind
    by_stem = {f"{r['id']}-v{r['version']}": r for r in rows}
    assert len(files) == 2 * rendered
    for name in files:
        stem, suffix = name.rsplit(".", 1)
        row = by_stem[stem.rsplit("-", 1)[0]]  # a file only for a committed certificate (id-version-content)
        digest = hashlib.sha256((_cache_dir() / name).read_bytes()).hexdigest()
        assert digest == row[f"{suffix}_sha256"]  # the whole file, as fingerprinted
    return rows


@pytest.mark.parametrize(("where", "after", "issued", "rendered"), [
    ("between_certificates", 3, 3, 0),
    ("inside_a_certificate", 3, 3, 0),
    ("while_rendering", 2, CANDIDATES, 2),
])
def test_batch_issue_killed_half_way_leaves_whole_certificates_and_the_rerun_issues_the_rest(
        run, empty_render_cache, where, after, issued, rendered):
    sitting_id = run(_released_sitting_with_passes(CANDIDATES))
    assert len(run(issuing.batch_preview(ADMIN, sitting_id=sitting_id)).eligible) == CANDIDATES
    crashed = subprocess.run([sys.executable, "-c", CRASH % (where, after, sitting_id)], cwd=ROOT,
                             env=os.environ.copy(), capture_output=True, text=True, timeout=180)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    _assert_whole_units(run, sitting_id, issued, rendered)

    verification.reset_for_tests()
    again = run(issuing.batch_issue(ADMIN, sitting_id=sitting_id))
    assert len(again) == CANDIDATES - issued  # the rest, not those already holding one
    rows = run(Certificate.select().where(Certificate.sitting_id == sitting_id))
    assert len(rows) == CANDIDATES and len({r["mediator_id"] for r in rows}) == CANDIDATES
    assert _serials(rows) == list(range(1, CANDIDATES + 1))
    assert run(CertificateSerial.select().first())["last_serial"] == CANDIDATES
    for row in rows:  # every certificate renders whole, and the same as any file made before the crash
        png, pdf = run(files.rendered_files(run(registry.by_number(row["certificate_no"]))))
        stored = run(Certificate.select().where(Certificate.id == row["id"]).first())
        assert hashlib.sha256(png).hexdigest() == stored["png_sha256"]
        assert hashlib.sha256(pdf).hexdigest() == stored["pdf_sha256"]
    assert run(issuing.batch_issue(ADMIN, sitting_id=sitting_id)) == []
