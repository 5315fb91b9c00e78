"""The certificate registry: reading certificates (by number, by id, the holder's own), who
may read which, the registry's filtered list, its API form and a certificate's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from certification import tables
from certification.rules import EXPIRED, REVOKED, SUSPENDED, VALID
from certification.schemas import Certificate
from certification.tokens import verify_url
from core import clock
from core.auth.roles import Principal, Role
from core.errors import Forbidden, NotFound
from core.i18n import _
from core.regions import region_like, within_regions


async def by_number(certificate_no: str) -> Certificate:
    row = await tables.Certificate.select().where(tables.Certificate.certificate_no == certificate_no).first()
    if row is None:
        raise NotFound(_("No certificate with this number."), "certificate_no")
    return Certificate.of(row)


async def by_id(certificate_id: int) -> Certificate | None:
    row = await tables.Certificate.select().where(tables.Certificate.id == certificate_id).first()
    return Certificate.of(row) if row is not None else None


async def successor(certificate: Certificate) -> Certificate | None:
    if not certificate.renewed_by_id:
        return None
    return await by_id(certificate.renewed_by_id)


async def certificates_of_mediator(mediator_id: int) -> list[Certificate]:
    rows = await tables.Certificate.select().where(tables.Certificate.mediator_id == mediator_id).order_by(
        tables.Certificate.id, ascending=False)
    return [Certificate.of(r) for r in rows]


def can_read(principal: Principal, certificate: Certificate) -> bool:
    if principal.can_act_in(certificate.region_code, Role.ADMIN, Role.AUDITOR):
        return True
    return principal.mediator_id is not None and principal.mediator_id == certificate.mediator_id


async def certificate_for(principal: Principal, certificate_no: str) -> Certificate:
    certificate = await by_number(certificate_no)
    if not can_read(principal, certificate):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    return certificate


async def _holder_may_read(principal: Principal, certificate: Certificate) -> bool:
    if can_read(principal, certificate):
        return True
    if principal.has_role(Role.MEDIATOR) and principal.user_id is not None:
        from roster import services as roster_services

        mine = await roster_services.mediator_for_user(principal.user_id)
        return mine is not None and mine.id == certificate.mediator_id
    return False


async def readable_certificate(principal: Principal, certificate_no: str) -> Certificate:
    """The certificate if the principal may see it: administrators/auditors in region, or
    the holder. Others get 403 (the number itself is printed on the card, not a secret)."""
    certificate = await by_number(certificate_no)
    if not await _holder_may_read(principal, certificate):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    return certificate


@dataclass(frozen=True, slots=True)
class CertificateItem:
    """API/registry form of a certificate (no personal data beyond the card's); the fields
    in the order the API has always answered them."""

    certificate_no: str
    holder_name: str
    mediator_id: int
    grade: str
    status: str
    status_reason: str
    region: str
    issuer: str
    issued_on: str
    expires_on: str
    version: int
    verify_url: str


def item(certificate: Certificate) -> CertificateItem:
    status = certificate.current_status
    return CertificateItem(
        certificate_no=certificate.certificate_no, holder_name=certificate.holder_name,
        mediator_id=certificate.mediator_id, grade=certificate.grade, status=status,
        status_reason=certificate.status_reason if status in (SUSPENDED, REVOKED) else "",
        region=certificate.region_code, issuer=certificate.issuer, issued_on=certificate.issued_on.isoformat(),
        expires_on=certificate.expires_on.isoformat(), version=certificate.version,
        verify_url=verify_url(certificate.id, certificate.version),
    )


async def registry(principal: Principal, *, status: str = "", grade: str = "", region: str = "",
                   expiring_within: int | None = None, mediator_only: bool = False, page: int = 1,
                   page_size: int = 20, sitting_id: int | None = None) -> tuple[list[Certificate], int]:
    """Certificates the principal may see, filtered; status filters use the effective status."""
    table = tables.Certificate
    admin_regions = principal.regions_for(Role.ADMIN, Role.AUDITOR, Role.COURT)
    scope = None if mediator_only else within_regions(table.region_code, admin_regions)
    mine = None
    if principal.has_role(Role.MEDIATOR) and (mediator_only or not admin_regions):
        mine = principal.mediator_id
        if mine is None and principal.user_id is not None:
            from roster import services as roster_services

            summary = await roster_services.mediator_for_user(principal.user_id)
            mine = summary.id if summary else None
        clause = table.mediator_id == (mine if mine is not None else -1)
        scope = clause if scope is None else scope | clause
    if scope is None:
        return [], 0
    conditions = [scope]
    if grade:
        conditions.append(table.grade == grade)
    if region:
        conditions.append(table.region_code.like(region_like(region)))
    if sitting_id is not None:
        conditions.append(table.sitting_id == sitting_id)
    day = clock.today()
    if status == VALID:
        conditions += [table.status == VALID, table.expires_on >= day]
    elif status == EXPIRED:
        conditions.append((table.status == EXPIRED) | ((table.status == VALID) & (table.expires_on < day)))
    elif status:
        conditions.append(table.status == status)
    if expiring_within is not None:
        conditions += [table.status == VALID, table.expires_on >= day,
                       table.expires_on <= day + timedelta(days=expiring_within)]
    query = table.select()
    count = table.count()
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(table.id, ascending=False).limit(page_size).offset((page - 1) * page_size)
    return [Certificate.of(r) for r in rows], await count


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One audited change of a certificate."""

    at: datetime
    actor_name: str
    action: str
    reason: str


async def history(certificate_id: int) -> list[HistoryEntry]:
    from core.tables import AuditRecord

    rows = await AuditRecord.select(AuditRecord.at, AuditRecord.actor_name, AuditRecord.action,
                                    AuditRecord.reason).where(
        AuditRecord.entity == "certificate", AuditRecord.entity_id == str(certificate_id)).order_by(
        AuditRecord._meta.primary_key)
    return [HistoryEntry(**r) for r in rows]
