"""Certification services: eligibility, issue (single and batch, gap-free numbering),
signed verification tokens, verification, lifecycle, rendering cache and file check,
and the contract functions other domains call (docs/architecture.md)."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import os
import re
import struct
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from piccolo.querystring import QueryString

from certification.tables import Certificate, CertificateLayout, EarlierFile, Verification
from core import audit, clock
from core.auth.guards import require_region
from core.auth.roles import Principal, Role
from core.db import serialise_on, write_transaction
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.i18n import N_, _
from core.regions import region_like, region_name, within_regions
from core.settings import get_settings
from core.vocab import Grade, MediatorStatus
from roster.events import CertificateStanding

VALID, EXPIRED, SUSPENDED, REVOKED, RENEWED = "valid", "expired", "suspended", "revoked", "renewed"
STATUSES = (VALID, EXPIRED, SUSPENDED, REVOKED, RENEWED)
# Public verification answers one of these four (the public contract); a renewed certificate
# answers "expired" with a link to its successor (see `public_view`).
PUBLIC_STATUSES = (VALID, EXPIRED, SUSPENDED, REVOKED)

# Reason categories: the public sees the category, never the administrator's free text.
SUSPEND_REASONS = {
    "investigation": N_("Under investigation"),
    "roster_suspended": N_("Holder suspended from the roster"),
    "exit_proposed": N_("Exit from the roster proposed"),
    "other": N_("Other reason"),
}
REVOKE_REASONS = {
    "disciplinary": N_("Disciplinary finding"),
    "exited": N_("Holder left the roster"),
    "fraud": N_("Obtained improperly"),
    "error": N_("Issued in error"),
    "other": N_("Other reason"),
}
STATUS_LABELS = {
    VALID: N_("Valid"),
    EXPIRED: N_("Expired"),
    SUSPENDED: N_("Suspended"),
    REVOKED: N_("Revoked"),
    RENEWED: N_("Renewed"),
}
ISSUING_STATUSES = (MediatorStatus.APPOINTED.value, MediatorStatus.APPLICANT.value)

# Retired signing keys besides MEDIATION_RETIRED_SECRET_KEYS (tests and emergency rotation).
RETIRED_KEYS: list[str] = []
TOKEN_MAC_BYTES = 10  # 80-bit truncated HMAC-SHA256
TOKEN_LENGTH = 22  # base64url of 4 + 2 + 10 bytes, no padding
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --------------------------------------------------------------------------- tokens
def _mac(key: str, payload: bytes) -> bytes:
    return hmac.new(key.encode(), b"certificate-token:" + payload, hashlib.sha256).digest()[:TOKEN_MAC_BYTES]


def make_token(certificate_id: int, version: int, key: str | None = None) -> str:
    """URL-safe token: (id, version) and a truncated HMAC with the site secret; 22 chars."""
    payload = struct.pack(">IH", certificate_id, version)
    raw = payload + _mac(key or get_settings().secret_key, payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signing_keys() -> list[str]:
    settings = get_settings()
    return [settings.secret_key, *settings.retired_secret_keys, *RETIRED_KEYS]


def read_token(token: str) -> tuple[int, int] | None:
    """(certificate id, version) of a genuine token, else None: wrong length, padding, bad
    characters, a non-canonical encoding or a MAC no current or retired key makes."""
    if not isinstance(token, str) or not _TOKEN_RE.match(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "==")
    except (ValueError, TypeError):
        return None
    if len(raw) != 16 or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
        return None
    payload, mac = raw[:6], raw[6:]
    if not any(hmac.compare_digest(mac, _mac(key, payload)) for key in signing_keys()):
        return None
    return struct.unpack(">IH", payload)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def verify_url(certificate_id: int, version: int) -> str:
    return f"{get_settings().base_url}/verify/{make_token(certificate_id, version)}"


# --------------------------------------------------------------------------- status
def effective_status(row: dict[str, Any], on: date | None = None) -> str:
    """The status against today: a valid certificate past its expiry date is expired even
    before the daily sweep has run."""
    status = row["status"]
    if status == VALID and row["expires_on"] < (on or clock.today()):
        return EXPIRED
    return status


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def reason_label(status: str, reason: str) -> str:
    table = SUSPEND_REASONS if status == SUSPENDED else REVOKE_REASONS if status == REVOKED else {}
    return _(table[reason]) if reason in table else ""


def grade_label(grade: str) -> str:
    try:
        return Grade(grade).label
    except ValueError:
        return grade


def issuer_for(region_code: str) -> str:
    """The issuing body: the HRSS department of the region (厅 at province level)."""
    name = region_name(region_code)
    return f"{name}人力资源和社会保障{'厅' if region_code.endswith('0000') else '局'}"


# --------------------------------------------------------------------------- eligibility
def eligibility(mediator_status: str | None, exam_pass: Any, course_completion: Any) -> tuple[bool, list[str]]:
    """Pure rule: a certificate of a grade needs the exam of the grade passed, its course
    completed, and the person appointed or in recruitment. Returns (eligible, reasons)."""
    reasons = []
    if mediator_status not in ISSUING_STATUSES:
        reasons.append(_("The person is not an appointed mediator or a recruitment candidate."))
    if exam_pass is None or not getattr(exam_pass, "passed", True):
        reasons.append(_("No passed exam of this grade."))
    if course_completion is None:
        reasons.append(_("The course of this grade is not completed."))
    return (not reasons, reasons)


async def _exam_pass(mediator_id: int, grade: str) -> tuple[Any, str | None]:
    try:
        from training.exams import services as exam_services

        return await exam_services.exam_pass(mediator_id, grade), None
    except (ImportError, AttributeError):
        return None, _("Exam results are not available.")


async def _completion(mediator_id: int, grade: str) -> tuple[Any, str | None]:
    try:
        from training import services as training_services

        return await training_services.completed_course_of_grade(mediator_id, grade), None
    except (ImportError, AttributeError):
        return None, _("Training records are not available.")


@dataclass
class Candidate:
    mediator_id: int
    name: str
    region_code: str
    eligible: bool
    reasons: list[str] = field(default_factory=list)
    score: float | None = None


async def check_eligibility(mediator_id: int, grade: str) -> Candidate:
    from roster import services as roster_services

    summary = await roster_services.mediator_summary(mediator_id)
    exam, exam_problem = await _exam_pass(mediator_id, grade)
    course, course_problem = await _completion(mediator_id, grade)
    ok, reasons = eligibility(summary.status if summary else None, exam, course)
    reasons = [r for r in (exam_problem, course_problem) if r] + reasons
    if summary is None:
        reasons = [_("No such mediator.")]
    held = await _current_of_grade([mediator_id], grade)
    if held.get(mediator_id):
        reasons.append(_("Already holds a current certificate of this grade (%(no)s); renew it instead.",
                         no=held[mediator_id]["certificate_no"]))
    unprintable = _unprintable(summary.name if summary else "", issuer_for(summary.region_code) if summary else "")
    if unprintable:
        reasons.append(unprintable)
    return Candidate(mediator_id, summary.name if summary else "", summary.region_code if summary else "",
                     ok and not held.get(mediator_id) and not unprintable, reasons,
                     score=getattr(exam, "score", None))


def _unprintable(*texts: str) -> str:
    """A reason when the certificate font can't print a character of the card (named by code
    point only: the text is a person's name), else ''."""
    from certification import render

    missing = render.unprintable("".join(texts))
    if not missing:
        return ""
    return _("The certificate font cannot print %(chars)s; set a font that has it (MEDIATION_CJK_FONT_PATH).",
             chars=", ".join(f"U+{ord(ch):04X}" for ch in missing))


async def _current_of_grade(mediator_ids: list[int], grade: str) -> dict[int, dict[str, Any]]:
    if not mediator_ids:
        return {}
    rows = await Certificate.select(Certificate.id, Certificate.mediator_id, Certificate.certificate_no,
                                    Certificate.status, Certificate.expires_on).where(
        Certificate.mediator_id.is_in(mediator_ids), Certificate.grade == grade,
        Certificate.status.is_in([VALID, SUSPENDED]))
    return {r["mediator_id"]: r for r in rows if effective_status(r) in (VALID, SUSPENDED)}


# --------------------------------------------------------------------------- numbering and issue
def format_number(region_code: str, year: int, grade: str, serial: int) -> str:
    return f"{region_code}{year}{Grade(grade).letter}{serial:06d}"


async def next_serial(region_code: str, year: int, grade: str) -> int:
    """Atomic increment of the counter row (an upsert with RETURNING, atomic on SQLite and
    PostgreSQL); call it inside the issuing transaction so a rollback returns the number."""
    counter = f"{region_code}-{year}-{grade}"
    rows = await Certificate._meta.db.run_querystring(QueryString(
        "INSERT INTO certificate_serial (region_code, year, grade, last_serial, counter_key) "
        "VALUES ({}, {}, {}, 1, {}) ON CONFLICT (counter_key) DO UPDATE "
        "SET last_serial = certificate_serial.last_serial + 1 RETURNING last_serial",
        region_code, year, grade, counter,
    ))
    return int(rows[0]["last_serial"])


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ("certificate_no", "status", "status_reason", "grade", "expires_on", "version")}


async def _insert_certificate(*, mediator_id: int, holder_name: str, grade: str, region_code: str,
                              issuer: str, issued_on: date, photo_path: str | None, actor: Principal | None,
                              sitting_id: int | None = None, renewed_from_id: int | None = None) -> dict[str, Any]:
    """Inside a write transaction: number, insert, audit."""
    serial = await next_serial(region_code, issued_on.year, grade)
    number = format_number(region_code, issued_on.year, grade, serial)
    rows = await Certificate.insert(Certificate(
        certificate_no=number, mediator_id=mediator_id, holder_name=holder_name, grade=grade,
        region_code=region_code, issuer=issuer, issued_on=issued_on,
        expires_on=add_years(issued_on, get_settings().rules.certificate_validity_years) - timedelta(days=1),
        status=VALID, version=1, layout_version=await current_layout_version(), photo_path=photo_path,
        sitting_id=sitting_id, renewed_from_id=renewed_from_id, created_at=clock.now(), updated_at=clock.now(),
    )).returning(*Certificate.all_columns())
    row = rows[0]
    await audit.record(actor, "issue" if renewed_from_id is None else "renew_issue", "certificate", row["id"],
                       region_code=region_code, after=_snapshot(row))
    return row


async def issue_certificate_unchecked(mediator_id: int, grade: str, *, issued_on: date | None = None,
                                      holder_name: str | None = None, region_code: str | None = None,
                                      issuer: str | None = None, actor: Principal | None = None,
                                      sitting_id: int | None = None, render: bool = False,
                                      once: bool = False) -> dict[str, Any]:
    """Issue WITHOUT the eligibility check: for other domains' demos and tests only (and, with
    `once`, for `issue_certificate` and `batch_issue`, which checked eligibility first)."""
    from roster import services as roster_services

    summary = await roster_services.mediator_summary(mediator_id)
    if summary is None and (holder_name is None or region_code is None):
        raise NotFound(_("No such mediator."), "mediator_id")
    region = region_code or summary.region_code
    async with write_transaction():
        if once:  # the same issue sent twice at once (a double click, two batch runs): the first makes it
            await serialise_on(f"certificate:{mediator_id}:{grade}")
            held = (await _current_of_grade([mediator_id], grade)).get(mediator_id)
            if held:
                return await by_id(held["id"])
        row = await _insert_certificate(
            mediator_id=mediator_id, holder_name=holder_name or summary.name, grade=grade, region_code=region,
            issuer=issuer or issuer_for(region), issued_on=issued_on or clock.today(),
            photo_path=summary.photo_path if summary else None, actor=actor, sitting_id=sitting_id,
        )
    if render:
        await rendered_files(row)
    return row


def _require_admin(principal: Principal, region_code: str) -> None:
    require_region(principal, region_code, Role.ADMIN)


async def issue_certificate(principal: Principal, mediator_id: int, grade: str, *, sitting_id: int | None = None,
                            issued_on: date | None = None) -> dict[str, Any]:
    """Single issue by an administrator of the holder's region; ineligible → refused with why."""
    try:
        Grade(grade)
    except ValueError:
        raise DomainError(_("Choose a grade."), "grade") from None
    candidate = await check_eligibility(mediator_id, grade)
    if not candidate.region_code:
        raise NotFound(_("No such mediator."), "mediator_id")
    _require_admin(principal, candidate.region_code)
    if not candidate.eligible:
        raise DomainError(" ".join(candidate.reasons), "mediator_id")
    row = await issue_certificate_unchecked(mediator_id, grade, issued_on=issued_on, actor=principal,
                                            sitting_id=sitting_id, once=True)
    await rendered_files(row)
    return row


@dataclass
class BatchPreview:
    sitting_id: int | None
    grade: str
    candidates: list[Candidate]

    @property
    def eligible(self) -> list[Candidate]:
        return [c for c in self.candidates if c.eligible]

    @property
    def refused(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.eligible]


async def _sitting_candidates(sitting_id: int) -> tuple[str, list[int]]:
    try:
        from training.exams import services as exam_services

        passes = await exam_services.passed_candidates(sitting_id)
        summary = await exam_services.sitting_summary(sitting_id)
    except (ImportError, AttributeError):
        raise DomainError(_("Exam results are not available."), "sitting_id") from None
    grade = getattr(summary, "grade", None) or (summary.get("grade") if isinstance(summary, dict) else None)
    if grade is None and passes:
        grade = passes[0].grade
    return str(grade or ""), [p.mediator_id for p in passes]


async def batch_preview(principal: Principal, *, sitting_id: int | None = None, grade: str | None = None,
                        mediator_ids: list[int] | None = None) -> BatchPreview:
    """Who would get a certificate and who would not, and why. Candidates are a sitting's
    passed candidates, or an explicit list of mediators with a grade."""
    if sitting_id is not None:
        grade, mediator_ids = await _sitting_candidates(sitting_id)
    if not grade:
        raise DomainError(_("Choose a grade."), "grade")
    candidates = []
    for mediator_id in mediator_ids or []:
        candidate = await check_eligibility(mediator_id, grade)
        if candidate.region_code and not principal.can_act_in(candidate.region_code, Role.ADMIN):
            continue  # outside the administrator's region: not shown at all
        candidates.append(candidate)
    return BatchPreview(sitting_id, grade, candidates)


async def batch_issue(principal: Principal, *, sitting_id: int | None = None, grade: str | None = None,
                      mediator_ids: list[int] | None = None, render: bool = True,
                      progress=None) -> list[dict[str, Any]]:
    """Issue to every eligible candidate of the preview (re-checked now). The unit of work
    is one certificate (number, row and audit in one transaction), so a run that dies
    half-way leaves whole certificates and a rerun issues the rest. `progress(stage, done,
    total)` is called after each certificate is committed ("issued") and rendered ("rendered")."""
    preview = await batch_preview(principal, sitting_id=sitting_id, grade=grade, mediator_ids=mediator_ids)
    issued = []
    total = len(preview.eligible)
    for candidate in preview.eligible:
        row = await issue_certificate_unchecked(candidate.mediator_id, preview.grade, actor=principal,
                                                sitting_id=sitting_id, once=True)
        issued.append(row)
        if progress:
            progress("issued", len(issued), total)
    if render:
        for done, row in enumerate(issued, start=1):
            await rendered_files(row)
            if progress:
                progress("rendered", done, total)
    return issued


# --------------------------------------------------------------------------- reading
async def by_number(certificate_no: str) -> dict[str, Any]:
    row = await Certificate.select().where(Certificate.certificate_no == certificate_no).first()
    if row is None:
        raise NotFound(_("No certificate with this number."), "certificate_no")
    return row


async def by_id(certificate_id: int) -> dict[str, Any] | None:
    return await Certificate.select().where(Certificate.id == certificate_id).first()


def can_read(principal: Principal, row: dict[str, Any]) -> bool:
    if principal.can_act_in(row["region_code"], Role.ADMIN, Role.AUDITOR):
        return True
    return principal.mediator_id is not None and principal.mediator_id == row["mediator_id"]


async def certificate_for(principal: Principal, certificate_no: str) -> dict[str, Any]:
    row = await by_number(certificate_no)
    if not can_read(principal, row):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    return row


async def _holder_may_read(principal: Principal, row: dict[str, Any]) -> bool:
    if can_read(principal, row):
        return True
    if principal.has_role(Role.MEDIATOR) and principal.user_id is not None:
        from roster import services as roster_services

        mine = await roster_services.mediator_for_user(principal.user_id)
        return mine is not None and mine.id == row["mediator_id"]
    return False


async def readable_certificate(principal: Principal, certificate_no: str) -> dict[str, Any]:
    """The certificate if the principal may see it: administrators/auditors in region, or
    the holder. Others get 403 (the number itself is printed on the card, not a secret)."""
    row = await by_number(certificate_no)
    if not await _holder_may_read(principal, row):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    return row


def item_dict(row: dict[str, Any]) -> dict[str, Any]:
    """API/registry form of a certificate (no personal data beyond the card's)."""
    status = effective_status(row)
    return {
        "certificate_no": row["certificate_no"],
        "holder_name": row["holder_name"],
        "mediator_id": row["mediator_id"],
        "grade": row["grade"],
        "status": status,
        "status_reason": row["status_reason"] if status in (SUSPENDED, REVOKED) else "",
        "region": row["region_code"],
        "issuer": row["issuer"],
        "issued_on": row["issued_on"].isoformat(),
        "expires_on": row["expires_on"].isoformat(),
        "version": row["version"],
        "verify_url": verify_url(row["id"], row["version"]),
    }


async def registry(principal: Principal, *, status: str = "", grade: str = "", region: str = "",
                   expiring_within: int | None = None, mediator_only: bool = False, page: int = 1,
                   page_size: int = 20, sitting_id: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Certificates the principal may see, filtered; status filters use the effective status."""
    admin_regions = principal.regions_for(Role.ADMIN, Role.AUDITOR, Role.COURT)
    scope = None if mediator_only else within_regions(Certificate.region_code, admin_regions)
    mine = None
    if principal.has_role(Role.MEDIATOR) and (mediator_only or not admin_regions):
        mine = principal.mediator_id
        if mine is None and principal.user_id is not None:
            from roster import services as roster_services

            summary = await roster_services.mediator_for_user(principal.user_id)
            mine = summary.id if summary else None
        clause = Certificate.mediator_id == (mine if mine is not None else -1)
        scope = clause if scope is None else scope | clause
    if scope is None:
        return [], 0
    conditions = [scope]
    if grade:
        conditions.append(Certificate.grade == grade)
    if region:
        conditions.append(Certificate.region_code.like(region_like(region)))
    if sitting_id is not None:
        conditions.append(Certificate.sitting_id == sitting_id)
    day = clock.today()
    if status == VALID:
        conditions += [Certificate.status == VALID, Certificate.expires_on >= day]
    elif status == EXPIRED:
        conditions.append((Certificate.status == EXPIRED) | ((Certificate.status == VALID) & (Certificate.expires_on < day)))
    elif status:
        conditions.append(Certificate.status == status)
    if expiring_within is not None:
        conditions += [Certificate.status == VALID, Certificate.expires_on >= day,
                       Certificate.expires_on <= day + timedelta(days=expiring_within)]
    query = Certificate.select()
    count = Certificate.count()
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(Certificate.id, ascending=False).limit(page_size).offset((page - 1) * page_size)
    return rows, await count


async def history(certificate_id: int) -> list[dict[str, Any]]:
    from core.tables import AuditRecord

    rows = await AuditRecord.select(AuditRecord.at, AuditRecord.actor_name, AuditRecord.action,
                                    AuditRecord.reason, AuditRecord.changes).where(
        AuditRecord.entity == "certificate", AuditRecord.entity_id == str(certificate_id)).order_by(AuditRecord.id)
    return rows


# --------------------------------------------------------------------------- verification cache
# The verification hot path (QR scans) reads certificates through a per-process cache that
# is checked against a generation stamp on disk on every request (one stat call): every
# change of a certificate sets a new stamp after its commit, so a revocation shows on the
# very next request in every worker on the machine. The holder's roster status (another
# domain's record) is cached for ROSTER_STATUS_TTL seconds.
ROW_CACHE_TTL = 600.0  # TODO settings: safety net for changes made inside other domains' transactions
ROSTER_STATUS_TTL = 30.0  # TODO settings
ROW_CACHE_MAX = 200_000  # TODO settings
VERIFY_LOG_FLUSH_SECONDS = 1.0  # TODO settings: 0 writes each verification log row at once

_row_cache: dict[int, tuple[int, float, dict[str, Any], dict[str, Any] | None]] = {}
_roster_cache: dict[int, tuple[float, str]] = {}
_pending_logs: list[Verification] = []
_flush_handle: tuple[asyncio.AbstractEventLoop, asyncio.TimerHandle] | None = None
_last_stamp = 0


def _generation_file() -> Path:
    return get_settings().var_dir / "certificates" / "generation"


def generation() -> int:
    try:
        return os.stat(_generation_file()).st_mtime_ns
    except FileNotFoundError:
        return 0


def bump_generation() -> None:
    """Mark every cached certificate stale, in every worker (call after the commit)."""
    global _last_stamp
    path = _generation_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=True)
    stamp = max(time.time_ns(), _last_stamp + 1, generation() + 1)
    os.utime(path, ns=(stamp, stamp))
    _last_stamp = stamp
    _row_cache.clear()
    try:
        in_transaction = Certificate._meta.db.current_transaction.get() is not None
        loop = asyncio.get_running_loop()
    except (AttributeError, LookupError, RuntimeError):
        return
    if in_transaction:  # the commit is still to come: stamp again once it has surely happened
        for delay in (0.2, 1.0, 5.0):
            loop.call_later(delay, bump_generation_outside)


def bump_generation_outside() -> None:
    global _last_stamp
    path = _generation_file()
    stamp = max(time.time_ns(), _last_stamp + 1, generation() + 1)
    try:
        os.utime(path, ns=(stamp, stamp))
    except FileNotFoundError:
        return
    _last_stamp = stamp
    _row_cache.clear()


def _bumps(func):
    """Decorator: the certificate change is followed by a new generation stamp."""

    @functools.wraps(func)
    async def wrapper(*args, **kwargs):
        try:
            return await func(*args, **kwargs)
        finally:
            bump_generation()

    return wrapper


# --------------------------------------------------------------------------- lifecycle
def _reason_code(reason: str, table: dict[str, str]) -> tuple[str, str]:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason."), "reason")
    if len(reason) > 500:
        raise DomainError(_("The reason is too long."), "reason")
    return (reason, "") if reason in table else ("other", reason)


async def _change(principal: Principal | None, row: dict[str, Any], action: str, values: dict[str, Any],
                  reason: str = "") -> dict[str, Any]:
    values = {**values, "updated_at": clock.now()}
    updated = (await Certificate.update(values).where(Certificate.id == row["id"])
               .returning(*Certificate.all_columns()))[0]
    await audit.record(principal, action, "certificate", row["id"], region_code=row["region_code"],
                       before=_snapshot(row), after=_snapshot(updated), reason=reason)
    return updated


async def _locked(certificate_no: str, principal: Principal | None) -> dict[str, Any]:
    """Inside a write transaction: the certificate once any other change of it has ended, so
    its status check and change are one step (a double submission changes it once)."""
    await serialise_on(f"certificate:{certificate_no}")
    row = await by_number(certificate_no)
    if principal is not None:
        _require_admin(principal, row["region_code"])
    return row


@_bumps
async def suspend(principal: Principal | None, certificate_no: str, reason: str) -> dict[str, Any]:
    code, note = _reason_code(reason, SUSPEND_REASONS)
    async with write_transaction():
        row = await _locked(certificate_no, principal)
        status = effective_status(row)
        if status != VALID:
            raise Conflict(_("Only a valid certificate can be suspended (this one is %(status)s).",
                             status=status_label(status)), "certificate_no")
        return await _change(principal, row, "suspend", {"status": SUSPENDED, "status_reason": code,
                                                         "status_note": note}, reason)


@_bumps
async def reinstate(principal: Principal | None, certificate_no: str, reason: str = "") -> dict[str, Any]:
    async with write_transaction():
        row = await _locked(certificate_no, principal)
        if row["status"] != SUSPENDED:
            raise Conflict(_("Only a suspended certificate can be reinstated."), "certificate_no")
        return await _change(principal, row, "reinstate", {"status": VALID, "status_reason": "", "status_note": ""},
                             reason)


@_bumps
async def revoke(principal: Principal | None, certificate_no: str, reason: str) -> dict[str, Any]:
    code, note = _reason_code(reason, REVOKE_REASONS)
    async with write_transaction():
        row = await _locked(certificate_no, principal)
        if row["status"] == REVOKED:
            raise Conflict(_("This certificate is already revoked; revocation is final."), "certificate_no")
        if row["status"] == RENEWED:
            raise Conflict(_("This certificate was renewed; revoke its successor instead."), "certificate_no")
        return await _change(principal, row, "revoke", {"status": REVOKED, "status_reason": code,
                                                        "status_note": note}, reason)


@_bumps
async def renew(principal: Principal | None, certificate_no: str, issued_on: date | None = None) -> dict[str, Any]:
    """Issue a successor (new number, new dates, pointing back) and mark the old one renewed."""
    from roster import services as roster_services

    old = await _locked(certificate_no, principal)
    if effective_status(old) not in (VALID, EXPIRED):
        raise Conflict(_("Only a valid or expired certificate can be renewed."), "certificate_no")
    summary = await roster_services.mediator_summary(old["mediator_id"])
    if summary is None or summary.status != MediatorStatus.APPOINTED:
        raise DomainError(_("The holder is not an appointed mediator."), "certificate_no")
    async with write_transaction():
        current = await _locked(certificate_no, principal)
        if current["status"] not in (VALID, EXPIRED):
            raise Conflict(_("Only a valid or expired certificate can be renewed."), "certificate_no")
        new = await _insert_certificate(
            mediator_id=old["mediator_id"], holder_name=summary.name, grade=old["grade"],
            region_code=old["region_code"], issuer=old["issuer"], issued_on=issued_on or clock.today(),
            photo_path=summary.photo_path, actor=principal, renewed_from_id=old["id"], sitting_id=old["sitting_id"],
        )
        await _change(principal, current, "renew", {"status": RENEWED, "renewed_by_id": new["id"]})
    await rendered_files(new)
    return new


async def successor(row: dict[str, Any]) -> dict[str, Any] | None:
    if not row.get("renewed_by_id"):
        return None
    return await by_id(row["renewed_by_id"])


# --------------------------------------------------------------------------- contract for other domains
# CertificateStanding is the roster's record (roster.events): certification answers its question.


_PREFERENCE = {VALID: 0, SUSPENDED: 1, EXPIRED: 2, REVOKED: 3, RENEWED: 4}


def _grade_rank(grade: str) -> int:
    try:
        return Grade(grade).rank
    except ValueError:
        return -1


async def certificate_standing(mediator_ids) -> dict[int, CertificateStanding]:
    """The holder's current, best certificate: valid before suspended before expired before
    revoked; then the highest grade; then the latest issued. Status is computed against today."""
    ids = list(set(mediator_ids))
    if not ids:
        return {}
    columns = (Certificate.mediator_id, Certificate.certificate_no, Certificate.grade, Certificate.status,
               Certificate.issued_on, Certificate.expires_on)
    if len(ids) > 4000:  # a whole region (the appraisal): one scan beats thousands of bound ids
        wanted = set(ids)
        rows = [r for r in await Certificate.select(*columns) if r["mediator_id"] in wanted]
    else:
        from core.db import chunks

        rows = []
        for part in chunks(ids):
            rows += await Certificate.select(*columns).where(Certificate.mediator_id.is_in(part))
    best: dict[int, tuple[tuple, CertificateStanding]] = {}
    for row in rows:
        status = effective_status(row)
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
    found = await Certificate.exists().where(
        Certificate.mediator_id == mediator_id, Certificate.status.is_in(statuses),
        Certificate.issued_on <= day, Certificate.expires_on >= day)
    return bool(found)


@_bumps
async def suspend_certificates_of_mediator(mediator_id: int, reason: str, actor: Principal | None) -> int:
    """Suspend every valid certificate of a mediator (exit proposed, roster suspension...)."""
    rows = await Certificate.select().where(Certificate.mediator_id == mediator_id, Certificate.status == VALID)
    changed = 0
    for row in rows:
        if effective_status(row) != VALID:
            continue
        code, note = (reason, "") if reason in SUSPEND_REASONS else ("other", reason or "")
        async with write_transaction():
            await _change(actor, row, "suspend", {"status": SUSPENDED, "status_reason": code, "status_note": note},
                          reason)
        changed += 1
    return changed


async def certificates_of_mediator(mediator_id: int) -> list[dict[str, Any]]:
    return await Certificate.select().where(Certificate.mediator_id == mediator_id).order_by(Certificate.id,
                                                                                             ascending=False)


# --------------------------------------------------------------------------- layouts and rendering
async def current_layout_version() -> int:
    row = await CertificateLayout.select(CertificateLayout.version).order_by(
        CertificateLayout.version, ascending=False).first()
    return row["version"] if row else 1


async def layout_spec(version: int) -> dict[str, Any]:
    from certification.render import DEFAULT_LAYOUT

    row = await CertificateLayout.select(CertificateLayout.spec).where(CertificateLayout.version == version).first()
    if row is None:
        return dict(DEFAULT_LAYOUT)
    spec = row["spec"]
    if isinstance(spec, str):
        import json

        spec = json.loads(spec)
    return {**DEFAULT_LAYOUT, **spec}


def validate_layout(spec: Any) -> dict[str, Any]:
    """A layout edit: only known keys, each of the default's type; it must render."""
    from certification import render

    if not isinstance(spec, dict) or not spec:
        raise DomainError(_("The layout must be a JSON object."), "spec")
    for key, value in spec.items():
        if key not in render.DEFAULT_LAYOUT:
            raise DomainError(_("Unknown layout key: %(key)s.", key=key), "spec")
        if type(value) is not type(render.DEFAULT_LAYOUT[key]):
            raise DomainError(_("Wrong type for layout key %(key)s.", key=key), "spec")
    sample = sample_card()
    try:
        render.draw_card(sample, {**render.DEFAULT_LAYOUT, **spec})
    except (KeyError, TypeError, ValueError, IndexError) as broken:
        raise DomainError(_("The layout cannot be drawn: %(error)s.", error=type(broken).__name__), "spec") from None
    return spec


def sample_card():
    from certification.render import CardData

    return CardData("3500002026J000000", "样例姓名", "junior", issuer_for("350000"), date(2026, 1, 1),
                    date(2028, 12, 31), f"{get_settings().base_url}/verify/{make_token(0, 1)}")


async def layouts() -> list[dict[str, Any]]:
    rows = await CertificateLayout.select().order_by(CertificateLayout.version, ascending=False)
    return rows + [{"version": 1, "note": "built-in", "created_at": None, "spec": "{}"}]


async def save_layout(principal: Principal | None, spec: dict[str, Any], note: str = "") -> int:
    """A new layout version; certificates already issued keep theirs. Province administrators only."""
    import json

    if principal is not None and not any(g.role == Role.ADMIN and g.region_code.endswith("0000")
                                         for g in principal.grants):
        raise Forbidden(_("Only a province administrator may change the certificate layout."))
    spec = validate_layout(spec)
    async with write_transaction():
        version = max(await current_layout_version(), 1) + 1
        await CertificateLayout.insert(CertificateLayout(version=version, spec=json.dumps(spec, ensure_ascii=False),
                                                         note=note[:200], created_at=clock.now()))
        await audit.record(principal, "layout", "certificate_layout", version, region_code="", after={"note": note})
    return version


def _cache_dir() -> Path:
    path = get_settings().var_dir / "certificates"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _photo_file(photo_path: str | None) -> str | None:
    if not photo_path:
        return None
    base = (get_settings().var_dir / "uploads").resolve()
    candidate = (base / photo_path).resolve()
    return str(candidate) if candidate.is_relative_to(base) and candidate.is_file() else None


def card_data(row: dict[str, Any]):
    from certification.render import CardData

    return CardData(
        certificate_no=row["certificate_no"], holder_name=row["holder_name"], grade=row["grade"],
        issuer=row["issuer"], issued_on=row["issued_on"], expires_on=row["expires_on"],
        verify_url=verify_url(row["id"], row["version"]), photo_file=_photo_file(row.get("photo_path")),
    )


async def rendered_files(row: dict[str, Any]) -> tuple[bytes, bytes]:
    """(PNG, PDF) of the certificate's current version, from the cache (keyed by id and
    version) or rendered and cached; the first render stores the files' SHA-256."""
    import asyncio

    from certification import render

    base = _cache_dir()
    card = card_data(row)
    # Keyed by what is printed, not only by id: a restored or reset database can reuse ids.
    printed = hashlib.sha256(repr((card, row["layout_version"])).encode()).hexdigest()[:16]
    stem = f"{row['id']}-v{row['version']}-{printed}"
    png_file, pdf_file = base / f"{stem}.png", base / f"{stem}.pdf"
    if png_file.exists() and pdf_file.exists():
        png, pdf = png_file.read_bytes(), pdf_file.read_bytes()
    else:
        spec = await layout_spec(row["layout_version"])
        png, pdf = await asyncio.to_thread(render.render, card, spec)
        for target, data in ((png_file, png), (pdf_file, pdf)):
            temporary = target.with_suffix(target.suffix + ".tmp")
            temporary.write_bytes(data)
            temporary.replace(target)
    png_sha, pdf_sha = hashlib.sha256(png).hexdigest(), hashlib.sha256(pdf).hexdigest()
    if row.get("png_sha256") != png_sha or row.get("pdf_sha256") != pdf_sha:
        replaced = [EarlierFile(certificate_id=row["id"], version=row["version"], kind=kind, sha256=old,
                                replaced_at=clock.now())
                    for kind, old, new in (("png", row.get("png_sha256"), png_sha), ("pdf", row.get("pdf_sha256"), pdf_sha))
                    if old and old != new]
        async with write_transaction():
            if replaced:  # files already handed out stay genuine
                await EarlierFile.insert(*replaced)
            await Certificate.update({Certificate.png_sha256: png_sha, Certificate.pdf_sha256: pdf_sha}).where(
                (Certificate.id == row["id"]) & (Certificate.version == row["version"]))
        row["png_sha256"], row["pdf_sha256"] = png_sha, pdf_sha
    return png, pdf


# --------------------------------------------------------------------------- public verification
async def cached_certificate(certificate_id: int) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """(row, successor row) through the cache; None when there is no such certificate."""
    current = generation()
    entry = _row_cache.get(certificate_id)
    tick = time.monotonic()
    if entry is not None and entry[0] == current and tick - entry[1] < ROW_CACHE_TTL:
        return entry[2], entry[3]
    row = await by_id(certificate_id)
    if row is None:
        return None
    nxt = await successor(row) if row["status"] == RENEWED else None
    if len(_row_cache) >= ROW_CACHE_MAX:
        _row_cache.clear()
    _row_cache[certificate_id] = (current, tick, row, nxt)
    return row, nxt


async def roster_status(mediator_id: int) -> str:
    entry = _roster_cache.get(mediator_id)
    tick = time.monotonic()
    if entry is not None and tick - entry[0] < ROSTER_STATUS_TTL:
        return entry[1]
    from roster import services as roster_services

    summary = await roster_services.mediator_summary(mediator_id)
    status = summary.status if summary else ""
    if len(_roster_cache) >= ROW_CACHE_MAX:
        _roster_cache.clear()
    _roster_cache[mediator_id] = (tick, status)
    return status


def clear_caches() -> None:
    _row_cache.clear()
    _roster_cache.clear()


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
    import logging

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


async def public_view(row: dict[str, Any], nxt: dict[str, Any] | None = None) -> dict[str, Any]:
    """What anyone may see about a certificate: the card's own facts, the status with its
    reason category, the holder's roster status, the successor. No ID number, phone, photo."""
    status = effective_status(row)
    public_status = status if status in PUBLIC_STATUSES else EXPIRED
    view: dict[str, Any] = {
        "status": public_status,
        "status_label": status_label(public_status),
        "lifecycle_status": status,
        "status_reason": row["status_reason"] if status in (SUSPENDED, REVOKED) else "",
        "status_reason_label": reason_label(status, row["status_reason"]),
        "certificate_no": row["certificate_no"],
        "holder_name": row["holder_name"],
        "grade": row["grade"],
        "grade_label": grade_label(row["grade"]),
        "issuer": row["issuer"],
        "issued_on": row["issued_on"].isoformat(),
        "expires_on": row["expires_on"].isoformat(),
        "roster_status": await roster_status(row["mediator_id"]),
        "superseded_by": None,
    }
    if status == RENEWED:
        nxt = nxt or await successor(row)
        if nxt is not None:
            view["superseded_by"] = {"certificate_no": nxt["certificate_no"],
                                     "verify_url": verify_url(nxt["id"], nxt["version"])}
    return view


async def verify_token(token: str, via: str = "token") -> dict[str, Any]:
    """Verify a QR token; unknown, altered or foreign tokens raise NotFound (and are logged)."""
    found = read_token(token)
    row = nxt = None
    if found is not None:
        cached = await cached_certificate(found[0])
        if cached is not None and cached[0]["version"] == found[1]:
            row, nxt = cached
    if row is None:
        await log_verification(via, "not_found", None, token if isinstance(token, str) else "")
        raise NotFound(_("No certificate matches this code. Check the certificate by its number and holder name."))
    view = await public_view(row, nxt)
    await log_verification(via, view["lifecycle_status"], row["id"], token)
    return view


async def verify_by_number(certificate_no: str, holder_name: str) -> dict[str, Any]:
    """Manual lookup: number and name must both match; a mismatch answers exactly like an
    unknown number."""
    number = (certificate_no or "").strip().upper()
    name = re.sub(r"\s+", "", holder_name or "")
    row = None
    if number and name and len(number) <= 40:
        row = await Certificate.select().where(Certificate.certificate_no == number).first()
        if row is not None and not hmac.compare_digest(re.sub(r"\s+", "", row["holder_name"]).encode(), name.encode()):
            row = None
    if row is None:
        await log_verification("number", "not_found", None)
        raise NotFound(_("No certificate matches this number and name."), "certificate_no")
    view = await public_view(row)
    await log_verification("number", view["lifecycle_status"], row["id"])
    view["verify_url"] = verify_url(row["id"], row["version"])
    return view


async def verify_file(data: bytes) -> dict[str, Any] | None:
    """Is this upload a genuine, unaltered PNG/PDF of a certificate's current version?
    Returns the certificate's public view, or None (logged either way)."""
    digest = hashlib.sha256(data).hexdigest()
    row = await Certificate.select().where(
        (Certificate.png_sha256 == digest) | (Certificate.pdf_sha256 == digest)).first()
    if row is None:
        earlier = await EarlierFile.select(EarlierFile.certificate_id).where(EarlierFile.sha256 == digest).first()
        row = await by_id(earlier["certificate_id"]) if earlier else None
    if row is None:
        await log_verification("file", "altered", None)
        return None
    view = await public_view(row)
    await log_verification("file", view["lifecycle_status"], row["id"])
    view["verify_url"] = verify_url(row["id"], row["version"])
    return view


# --------------------------------------------------------------------------- daily sweep
@_bumps
async def expire_due(on: date | None = None) -> int:
    """valid → expired for every certificate past its expiry date (idempotent)."""
    day = on or clock.today()
    rows = await Certificate.select().where(Certificate.status == VALID, Certificate.expires_on < day)
    if not rows:
        return 0
    async with write_transaction():
        ids = [r["id"] for r in rows]
        await Certificate.update({Certificate.status: EXPIRED, Certificate.updated_at: clock.now()}).where(
            Certificate.id.is_in(ids), Certificate.status == VALID)
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
    rows = await Certificate.select().where(Certificate.status == VALID, Certificate.expires_on >= day,
                                            Certificate.expires_on <= day + timedelta(days=max(thresholds)))
    if not rows:
        return 0
    summaries = await roster_services.mediator_summaries([r["mediator_id"] for r in rows])
    wanted = {}
    for row in rows:
        left = (row["expires_on"] - day).days
        threshold = min(t for t in thresholds if left <= t)
        summary = summaries.get(row["mediator_id"])
        if summary is None or summary.user_id is None:
            continue
        key = f"certificate-expiry:{row['id']}:{threshold}"
        wanted[key] = (summary.user_id, row, threshold)
    if not wanted:
        return 0
    return await notify([
        Message(user_id=user_id, kind="certificate_expiry",
                subject=f"证书 {row['certificate_no']} 将于 {row['expires_on'].isoformat()} 到期",
                body=f"您的调解员证书（{row['certificate_no']}）将在 {threshold} 天内到期，请及时办理换证。",
                dedupe_key=key)
        for key, (user_id, row, threshold) in wanted.items()])
