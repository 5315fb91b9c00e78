"""A certificate's lifecycle: suspend (with a reason, reversible), reinstate, revoke (final),
renew (a successor pointing back), and the daily sweep's expiry and expiry reminders."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from certification import tables
from certification.files import rendered_files
from certification.freshness import bumps
from certification.issuing import insert_certificate
from certification.registry import by_number
from certification.rules import (
    EXPIRED,
    RENEWED,
    REVOKE_REASONS,
    REVOKED,
    SUSPEND_REASONS,
    SUSPENDED,
    VALID,
    status_label,
)
from certification.schemas import Certificate
from core import audit, clock
from core.auth.guards import require_region
from core.auth.roles import Principal, Role
from core.db import serialise_on, write_transaction
from core.errors import Conflict, DomainError
from core.i18n import _
from core.settings import get_settings
from core.vocab import MediatorStatus


def _reason_code(reason: str, table: dict[str, str]) -> tuple[str, str]:
    """(category, private note): a known category as it is; free text is "other" with the text
    kept as the note, never shown publicly."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason."), "reason")
    if len(reason) > 500:
        raise DomainError(_("The reason is too long."), "reason")
    return (reason, "") if reason in table else ("other", reason)


async def change(principal: Principal | None, certificate: Certificate, action: str, reason: str = "",
                 **values: Any) -> Certificate:
    """Inside a write transaction: set the columns given, audited with the before and after."""
    updated = Certificate.of((await tables.Certificate.update(updated_at=clock.now(), **values).where(
        tables.Certificate.id == certificate.id).returning(*tables.Certificate.all_columns()))[0])
    await audit.record(principal, action, "certificate", certificate.id, region_code=certificate.region_code,
                       before=certificate.snapshot(), after=updated.snapshot(), reason=reason)
    return updated


async def _locked(certificate_no: str, principal: Principal | None) -> Certificate:
    """Inside a write transaction: the certificate once any other change of it has ended, so
    its status check and change are one step (a double submission changes it once)."""
    await serialise_on(f"certificate:{certificate_no}")
    certificate = await by_number(certificate_no)
    if principal is not None:
        require_region(principal, certificate.region_code, Role.ADMIN)
    return certificate


@bumps
async def suspend(principal: Principal | None, certificate_no: str, reason: str) -> Certificate:
    code, note = _reason_code(reason, SUSPEND_REASONS)
    async with write_transaction():
        certificate = await _locked(certificate_no, principal)
        status = certificate.current_status
        if status != VALID:
            raise Conflict(_("Only a valid certificate can be suspended (this one is %(status)s).",
                             status=status_label(status)), "certificate_no")
        return await change(principal, certificate, "suspend", reason, status=SUSPENDED, status_reason=code,
                            status_note=note)


@bumps
async def reinstate(principal: Principal | None, certificate_no: str, reason: str = "") -> Certificate:
    async with write_transaction():
        certificate = await _locked(certificate_no, principal)
        if certificate.status != SUSPENDED:
            raise Conflict(_("Only a suspended certificate can be reinstated."), "certificate_no")
        return await change(principal, certificate, "reinstate", reason, status=VALID, status_reason="",
                            status_note="")


@bumps
async def revoke(principal: Principal | None, certificate_no: str, reason: str) -> Certificate:
    code, note = _reason_code(reason, REVOKE_REASONS)
    async with write_transaction():
        certificate = await _locked(certificate_no, principal)
        if certificate.status == REVOKED:
            raise Conflict(_("This certificate is already revoked; revocation is final."), "certificate_no")
        if certificate.status == RENEWED:
            raise Conflict(_("This certificate was renewed; revoke its successor instead."), "certificate_no")
        return await change(principal, certificate, "revoke", reason, status=REVOKED, status_reason=code,
                            status_note=note)


@bumps
async def renew(principal: Principal | None, certificate_no: str, issued_on: date | None = None) -> Certificate:
    """Issue a successor (new number, new dates, pointing back) and mark the old one renewed."""
    from roster import services as roster_services

    old = await _locked(certificate_no, principal)
    if old.current_status not in (VALID, EXPIRED):
        raise Conflict(_("Only a valid or expired certificate can be renewed."), "certificate_no")
    summary = await roster_services.mediator_summary(old.mediator_id)
    if summary is None or summary.status != MediatorStatus.APPOINTED:
        raise DomainError(_("The holder is not an appointed mediator."), "certificate_no")
    async with write_transaction():
        current = await _locked(certificate_no, principal)
        if current.status not in (VALID, EXPIRED):
            raise Conflict(_("Only a valid or expired certificate can be renewed."), "certificate_no")
        new = await insert_certificate(
            mediator_id=old.mediator_id, holder_name=summary.name, grade=old.grade, region_code=old.region_code,
            issuer=old.issuer, issued_on=issued_on or clock.today(), photo_path=summary.photo_path, actor=principal,
            renewed_from_id=old.id, sitting_id=old.sitting_id,
        )
        await change(principal, current, "renew", status=RENEWED, renewed_by_id=new.id)
    await rendered_files(new)
    return new


# --------------------------------------------------------------------------- daily sweep
@bumps
async def expire_due(on: date | None = None) -> int:
    """valid → expired for every certificate past its expiry date (idempotent)."""
    day = on or clock.today()
    table = tables.Certificate
    rows = await table.select(table.id, table.region_code).where(table.status == VALID, table.expires_on < day)
    if not rows:
        return 0
    async with write_transaction():
        ids = [r["id"] for r in rows]
        await table.update({table.status: EXPIRED, table.updated_at: clock.now()}).where(
            table.id.is_in(ids), table.status == VALID)
        await audit.record_many([
            audit.audit_row(None, "expire", "certificate", r["id"], region_code=r["region_code"],
                            before={"status": VALID}, after={"status": EXPIRED}, reason="expiry date passed")
            for r in rows
        ])
    return len(rows)


async def send_expiry_reminders(on: date | None = None) -> int:
    """Notify holders 60 and 30 days before expiry, once per threshold (dedupe key)."""
    from core.notifications import Message, notify
    from roster import services as roster_services

    day = on or clock.today()
    thresholds = sorted(get_settings().rules.certificate_reminder_days)
    if not thresholds:
        return 0
    table = tables.Certificate
    rows = await table.select(table.id, table.mediator_id, table.certificate_no, table.expires_on).where(
        table.status == VALID, table.expires_on >= day, table.expires_on <= day + timedelta(days=max(thresholds)))
    if not rows:
        return 0
    summaries = await roster_services.mediator_summaries([r["mediator_id"] for r in rows])
    messages = []
    for row in rows:
        left = (row["expires_on"] - day).days
        threshold = min(t for t in thresholds if left <= t)
        summary = summaries.get(row["mediator_id"])
        if summary is None or summary.user_id is None:
            continue
        messages.append(Message(
            user_id=summary.user_id, kind="certificate_expiry",
            subject=f"证书 {row['certificate_no']} 将于 {row['expires_on'].isoformat()} 到期",
            body=f"您的调解员证书（{row['certificate_no']}）将在 {threshold} 天内到期，请及时办理换证。",
            dedupe_key=f"certificate-expiry:{row['id']}:{threshold}"))
    if not messages:
        return 0
    return await notify(messages)
