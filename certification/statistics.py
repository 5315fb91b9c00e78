"""Certification's figures for the reports (统计报告): who held a valid certificate on a day."""

from __future__ import annotations

from datetime import date, datetime

from certification.tables import Certificate
from core.db import chunks


async def certified_on(mediator_ids: list[int], last: date, ends_at: datetime) -> set[int]:
    """Of these mediators, those holding a certificate valid on `last`: issued by then, expiring
    on or after it, and not suspended or revoked before `ends_at` (the status change's time is
    the certificate's `updated_at`)."""
    out: set[int] = set()
    for part in chunks(mediator_ids):
        for r in await Certificate.select(Certificate.mediator_id, Certificate.status, Certificate.updated_at).where(
                Certificate.mediator_id.is_in(part) & (Certificate.issued_on <= last)
                & (Certificate.expires_on >= last)):
            if r["status"] not in ("suspended", "revoked") or r["updated_at"] >= ends_at:
                out.add(r["mediator_id"])
    return out
