"""Public verification (part of the fixed public contract): by the QR code's signed token, by
certificate number and holder name, and by an uploaded PDF or PNG; every verification is
logged (time, how, result; nothing about who asked)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, replace

from certification import tables
from certification.freshness import cached_certificate, clear_caches, roster_status
from certification.registry import by_id, successor
from certification.rules import (
    EXPIRED,
    PUBLIC_STATUSES,
    RENEWED,
    REVOKED,
    SUSPENDED,
    grade_label,
    reason_label,
    status_label,
)
from certification.schemas import Certificate
from certification.tables import EarlierFile, Verification
from certification.tokens import read_token, token_hash, verify_url
from core import clock
from core.errors import NotFound
from core.i18n import _

VERIFY_LOG_FLUSH_SECONDS = 1.0  # TODO settings: 0 writes each verification log row at once

_pending_logs: list[Verification] = []
_flush_handle: tuple[asyncio.AbstractEventLoop, asyncio.TimerHandle] | None = None


# --------------------------------------------------------------------------- the log
def reset_for_tests() -> None:
    """Tests truncate tables between cases: forget caches and unwritten log rows."""
    global _flush_handle
    clear_caches()
    _pending_logs.clear()
    _flush_handle = None


async def log_verification(via: str, result: str, certificate_id: int | None, token: str = "") -> None:
    """Record a verification (time, via, result, certificate, token hash; nothing about who
    asked). Rows are written in batches at most VERIFY_LOG_FLUSH_SECONDS later."""
    global _flush_handle
    entry = Verification(at=clock.now(), via=via, result=result, certificate_id=certificate_id,
                         token_hash=token_hash(token) if token else "")
    if VERIFY_LOG_FLUSH_SECONDS <= 0:
        await Verification.insert(entry)
        return
    _pending_logs.append(entry)
    loop = asyncio.get_running_loop()
    if _flush_handle is None or _flush_handle[0] is not loop:
        handle = loop.call_later(VERIFY_LOG_FLUSH_SECONDS, lambda: loop.create_task(_flush_quietly()))
        _flush_handle = (loop, handle)


async def _flush_quietly() -> None:
    try:
        await flush_verification_log()
    except Exception as failure:  # noqa: BLE001 - kept in the buffer and retried
        logging.getLogger("mediation.certification").warning("verification log not written",
                                                             extra={"error": type(failure).__name__})


async def flush_verification_log() -> int:
    """Write the buffered verification log rows now (also called by tests and at shutdown)."""
    global _flush_handle
    if _flush_handle is not None:
        _flush_handle[1].cancel()
        _flush_handle = None
    if not _pending_logs:
        return 0
    batch = list(_pending_logs)
    _pending_logs.clear()
    try:
        for start in range(0, len(batch), 500):
            await Verification.insert(*batch[start:start + 500])
    except Exception:  # noqa: BLE001 - the log must never break verification; retried next flush
        _pending_logs[:0] = batch
        raise
    return len(batch)


# --------------------------------------------------------------------------- what the public sees
@dataclass(frozen=True, slots=True)
class Successor:
    certificate_no: str
    verify_url: str


@dataclass(frozen=True, slots=True)
class PublicCertificate:
    """What anyone may see about a certificate: the card's own facts, the status with its
    reason category, the holder's roster status, the successor. No ID number, phone, photo.
    The fields in the order of the public verification API's answer; `verify_url` is shown by
    the number and file checks only (the token check was reached through it)."""

    status: str
    status_label: str
    lifecycle_status: str
    status_reason: str
    status_reason_label: str
    certificate_no: str
    holder_name: str
    grade: str
    grade_label: str
    issuer: str
    issued_on: str
    expires_on: str
    roster_status: str
    superseded_by: Successor | None
    verify_url: str | None = None


async def public_view(certificate: Certificate, nxt: Certificate | None = None) -> PublicCertificate:
    status = certificate.current_status
    public_status = status if status in PUBLIC_STATUSES else EXPIRED
    superseded_by = None
    if status == RENEWED:
        nxt = nxt or await successor(certificate)
        if nxt is not None:
            superseded_by = Successor(nxt.certificate_no, verify_url(nxt.id, nxt.version))
    return PublicCertificate(
        status=public_status,
        status_label=status_label(public_status),
        lifecycle_status=status,
        status_reason=certificate.status_reason if status in (SUSPENDED, REVOKED) else "",
        status_reason_label=reason_label(status, certificate.status_reason),
        certificate_no=certificate.certificate_no,
        holder_name=certificate.holder_name,
        grade=certificate.grade,
        grade_label=grade_label(certificate.grade),
        issuer=certificate.issuer,
        issued_on=certificate.issued_on.isoformat(),
        expires_on=certificate.expires_on.isoformat(),
        roster_status=await roster_status(certificate.mediator_id),
        superseded_by=superseded_by,
    )


# --------------------------------------------------------------------------- the three checks
async def verify_token(token: str, via: str = "token") -> PublicCertificate:
    """Verify a QR token; unknown, altered or foreign tokens raise NotFound (and are logged)."""
    found = read_token(token)
    certificate = nxt = None
    if found is not None:
        cached = await cached_certificate(found[0])
        if cached is not None and cached[0].version == found[1]:
            certificate, nxt = cached
    if certificate is None:
        await log_verification(via, "not_found", None, token if isinstance(token, str) else "")
        raise NotFound(_("No certificate matches this code. Check the certificate by its number and holder name."))
    view = await public_view(certificate, nxt)
    await log_verification(via, view.lifecycle_status, certificate.id, token)
    return view


async def verify_by_number(certificate_no: str, holder_name: str) -> PublicCertificate:
    """Manual lookup: number and name must both match; a mismatch answers exactly like an
    unknown number."""
    number = (certificate_no or "").strip().upper()
    name = re.sub(r"\s+", "", holder_name or "")
    certificate = None
    if number and name and len(number) <= 40:
        row = await tables.Certificate.select().where(tables.Certificate.certificate_no == number).first()
        if row is not None and hmac.compare_digest(re.sub(r"\s+", "", row["holder_name"]).encode(), name.encode()):
            certificate = Certificate.of(row)
    if certificate is None:
        await log_verification("number", "not_found", None)
        raise NotFound(_("No certificate matches this number and name."), "certificate_no")
    return await _shown(certificate, "number")


async def verify_file(data: bytes) -> PublicCertificate | None:
    """Is this upload a genuine, unaltered PNG/PDF of a certificate's current version?
    Returns the certificate's public view, or None (logged either way)."""
    digest = hashlib.sha256(data).hexdigest()
    row = await tables.Certificate.select().where(
        (tables.Certificate.png_sha256 == digest) | (tables.Certificate.pdf_sha256 == digest)).first()
    certificate = Certificate.of(row) if row is not None else None
    if certificate is None:
        earlier = await EarlierFile.select(EarlierFile.certificate_id).where(EarlierFile.sha256 == digest).first()
        certificate = await by_id(earlier["certificate_id"]) if earlier else None
    if certificate is None:
        await log_verification("file", "altered", None)
        return None
    return await _shown(certificate, "file")


async def _shown(certificate: Certificate, via: str) -> PublicCertificate:
    """The public view of a certificate found by number or file, logged, with its link."""
    view = await public_view(certificate)
    await log_verification(via, view.lifecycle_status, certificate.id)
    return replace(view, verify_url=verify_url(certificate.id, certificate.version))
