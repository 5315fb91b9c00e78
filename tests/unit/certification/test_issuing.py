"""Issuing against the database: eligibility, numbering (gap-free, concurrent), the single
and the batch issue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from certification import issuing, registry, rules
from certification.tables import Certificate
from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import DomainError, Forbidden
from tests.unit.certification.conftest import new_mediator

ADMIN = Principal(user_id=1, username="admin", grants=(Grant(Role.ADMIN, "350000"),))
XIAMEN_ADMIN = Principal(user_id=2, username="xm", grants=(Grant(Role.ADMIN, "350200"),))


def test_issuing_to_an_eligible_mediator_numbers_dates_and_audits(run, records):
    mediator = run(new_mediator())
    records.qualify(mediator, "junior")
    row = run(issuing.issue_certificate(ADMIN, mediator, "junior"))
    year = clock.today().year
    assert row.certificate_no == f"350504{year}J000001"
    assert row.expires_on == rules.add_years(row.issued_on, 3) - timedelta(days=1)
    assert row.holder_name == "林晓梅" and row.issuer.endswith("局")
    stored = run(Certificate.select().where(Certificate.id == row.id).first())
    assert len(stored["png_sha256"]) == 64 and len(stored["pdf_sha256"]) == 64
    history = run(registry.history(row.id))
    assert [h.action for h in history] == ["issue"]


def test_issuing_to_an_ineligible_person_is_refused_with_the_reason(run, records):
    mediator = run(new_mediator())
    records.passed.add((mediator, "junior"))
    with pytest.raises(DomainError) as refused:
        run(issuing.issue_certificate(ADMIN, mediator, "junior"))
    assert "course" in refused.value.message.lower() or "课程" in refused.value.message
    assert run(Certificate.count()) == 0


def test_issuing_outside_the_administrators_region_is_forbidden(run, records):
    mediator = run(new_mediator())
    records.qualify(mediator)
    with pytest.raises(Forbidden):
        run(issuing.issue_certificate(XIAMEN_ADMIN, mediator, "junior"))


def test_second_current_certificate_of_the_same_grade_is_refused(run, records):
    mediator = run(new_mediator())
    records.qualify(mediator)
    run(issuing.issue_certificate(ADMIN, mediator, "junior"))
    with pytest.raises(DomainError):
        run(issuing.issue_certificate(ADMIN, mediator, "junior"))


def test_numbers_are_gap_free_per_region_year_and_grade(run):
    a, b, c = run(new_mediator("甲")), run(new_mediator("乙")), run(new_mediator("丙", region="350203"))
    numbers = [run(issuing.issue_certificate_unchecked(m, g)).certificate_no
               for m, g in ((a, "junior"), (b, "junior"), (c, "junior"), (a, "senior"), (b, "junior"))]
    year = clock.today().year
    assert numbers == [f"350504{year}J000001", f"350504{year}J000002", f"350203{year}J000001",
                       f"350504{year}G000001", f"350504{year}J000003"]


def test_numbers_are_gap_free_under_concurrent_issue(run):
    import asyncio

    mediators = [run(new_mediator(f"人{i}")) for i in range(8)]

    async def issue_all():
        return await asyncio.gather(*(issuing.issue_certificate_unchecked(m, "junior") for m in mediators))

    rows = run(issue_all())
    serials = sorted(int(r.certificate_no[-6:]) for r in rows)
    assert serials == list(range(1, 9))


def test_failed_issue_returns_its_number(run):
    from core.db import write_transaction

    mediator = run(new_mediator())

    async def failing():
        async with write_transaction():
            await issuing.next_serial("350504", 2026, "junior")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run(failing())

    async def fresh():
        async with write_transaction():
            return await issuing.next_serial("350504", 2026, "junior")

    assert run(fresh()) == 1
    assert mediator


def test_batch_preview_lists_who_gets_one_and_why_not(run, records):
    ok, no_course, other_region = run(new_mediator("甲")), run(new_mediator("乙")), run(new_mediator("丙", "350203"))
    records.qualify(ok)
    records.qualify(other_region)
    records.passed.add((no_course, "junior"))
    records.sittings[7] = ("junior", [ok, no_course, other_region])
    qz_admin = Principal(user_id=3, username="qz", grants=(Grant(Role.ADMIN, "350500"),))
    preview = run(issuing.batch_preview(qz_admin, sitting_id=7))
    assert [c.mediator_id for c in preview.eligible] == [ok]
    assert [c.mediator_id for c in preview.refused] == [no_course] and preview.refused[0].reasons
    issued = run(issuing.batch_issue(qz_admin, sitting_id=7, render=False))
    assert [r.mediator_id for r in issued] == [ok] and issued[0].sitting_id == 7
    assert run(issuing.batch_issue(qz_admin, sitting_id=7, render=False)) == []  # already holds one


def test_without_exam_and_training_records_nobody_is_eligible(run):
    mediator = run(new_mediator())
    candidate = run(issuing.check_eligibility(mediator, "junior"))
    assert candidate.eligible is False and candidate.reasons


def test_a_name_the_certificate_font_cannot_print_is_refused_before_issue_naming_code_points_only(run, records):
    mediator = run(new_mediator("吉𠮷"))  # U+20BB7 (a real surname variant) is not in Noto Sans SC
    records.qualify(mediator)
    candidate = run(issuing.check_eligibility(mediator, "junior"))
    assert not candidate.eligible and any("U+20BB7" in r for r in candidate.reasons)
    assert not any("𠮷" in r for r in candidate.reasons)  # the name itself never goes into messages
    with pytest.raises(DomainError):
        run(issuing.issue_certificate(ADMIN, mediator, "junior"))
    assert run(Certificate.count()) == 0
