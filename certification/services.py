"""What other domains ask of certification (docs/architecture.md): a mediator's certificate
standing, whether they hold a valid certificate, suspending a mediator's certificates, and
issuing without the eligibility check for their demos and tests. The rest of the domain lives
in its sub-domain modules (issuing, lifecycle, verification, registry, files, layouts)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date
from typing import Any

from certification import issuing, lifecycle, tables
from certification.freshness import bumps
from certification.rules import EXPIRED, RENEWED, REVOKED, SUSPEND_REASONS, SUSPENDED, VALID, effective_status
from certification.schemas import Certificate
from core import clock
from core.auth.roles import Principal
from core.db import chunks, write_transaction
from core.vocab import Grade
from roster.events import CertificateStanding

# CertificateStanding is the roster's record (roster.events): certification answers its question.
_PREFERENCE = {VALID: 0, SUSPENDED: 1, EXPIRED: 2, REVOKED: 3, RENEWED: 4}


def _grade_rank(grade: str) -> int:
    try:
        return Grade(grade).rank
    except ValueError:
        return -1


async def certificate_standing(mediator_ids: Iterable[int]) -> dict[int, CertificateStanding]:
    """The holder's current, best certificate: valid before suspended before expired before
    revoked; then the highest grade; then the latest issued. Status is computed against today."""
    ids = list(set(mediator_ids))
    if not ids:
        return {}
    table = tables.Certificate
    columns = (table.mediator_id, table.certificate_no, table.grade, table.status, table.issued_on, table.expires_on)
    if len(ids) > 4000:  # a whole region (the appraisal): one scan beats thousands of bound ids
        wanted = set(ids)
        rows = [r for r in await table.select(*columns) if r["mediator_id"] in wanted]
    else:
        rows = []
        for part in chunks(ids):
            rows += await table.select(*columns).where(table.mediator_id.is_in(part))
    best: dict[int, tuple[tuple[int, int, int], CertificateStanding]] = {}
    for row in rows:
        status = effective_status(row["status"], row["expires_on"])
        key = (_PREFERENCE[status], -_grade_rank(row["grade"]), -row["issued_on"].toordinal())
        standing = CertificateStanding(row["certificate_no"], row["grade"], status, row["issued_on"], row["expires_on"])
        if row["mediator_id"] not in best or key < best[row["mediator_id"]][0]:
            best[row["mediator_id"]] = (key, standing)
    return {mediator_id: pair[1] for mediator_id, pair in best.items()}


async def has_valid_certificate(mediator_id: int, on: date | None = None) -> bool:
    """Valid today; or, for a past day, a certificate that was in force then and was not
    later suspended or revoked."""
    day = on or clock.today()
    statuses = [VALID] if on is None or day >= clock.today() else [VALID, EXPIRED, RENEWED]
    found = await tables.Certificate.exists().where(
        tables.Certificate.mediator_id == mediator_id, tables.Certificate.status.is_in(statuses),
        tables.Certificate.issued_on <= day, tables.Certificate.expires_on >= day)
    return bool(found)


@bumps
async def suspend_certificates_of_mediator(mediator_id: int, reason: str, actor: Principal | None) -> int:
    """Suspend every valid certificate of a mediator (exit proposed, roster suspension...)."""
    rows = await tables.Certificate.select().where(tables.Certificate.mediator_id == mediator_id,
                                                   tables.Certificate.status == VALID)
    changed = 0
    for certificate in map(Certificate.of, rows):
        if certificate.current_status != VALID:
            continue
        code, note = (reason, "") if reason in SUSPEND_REASONS else ("other", reason or "")
        async with write_transaction():
            await lifecycle.change(actor, certificate, "suspend", reason, status=SUSPENDED, status_reason=code,
                                   status_note=note)
        changed += 1
    return changed


async def issue_certificate_unchecked(mediator_id: int, grade: str, *, issued_on: date | None = None,
                                      holder_name: str | None = None, region_code: str | None = None,
                                      issuer: str | None = None, actor: Principal | None = None,
                                      sitting_id: int | None = None, render: bool = False,
                                      once: bool = False) -> dict[str, Any]:
    """Issue WITHOUT the eligibility check, for other domains' demos and tests: the stored
    row, every column (issuing.issue_certificate_unchecked answers the record)."""
    certificate = await issuing.issue_certificate_unchecked(
        mediator_id, grade, issued_on=issued_on, holder_name=holder_name, region_code=region_code, issuer=issuer,
        actor=actor, sitting_id=sitting_id, render=render, once=once)
    return dataclasses.asdict(certificate)
