"""Issuing certificates: who is eligible and why not, gap-free numbering, the single issue by
an administrator and the batch issue after an exam sitting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from piccolo.querystring import QueryString

from certification import tables
from certification.files import rendered_files
from certification.layouts import current_layout_version
from certification.registry import by_id
from certification.render import unprintable
from certification.rules import (
    SUSPENDED,
    VALID,
    add_years,
    effective_status,
    eligibility,
    format_number,
    issuer_for,
)
from certification.schemas import Certificate
from core import audit, clock
from core.auth.guards import require_region
from core.auth.roles import Principal, Role
from core.db import serialise_on, write_transaction
from core.errors import DomainError, NotFound
from core.i18n import _
from core.settings import get_settings
from core.vocab import Grade


# --------------------------------------------------------------------------- eligibility
async def _exam_pass(mediator_id: int, grade: str) -> tuple[Any, str | None]:
    """The exam domain's pass record of the grade (None when there is none), and a problem
    when exam results can't be read at all."""
    try:
        from training.exams import services as exam_services

        return await exam_services.exam_pass(mediator_id, grade), None
    except (ImportError, AttributeError):
        return None, _("Exam results are not available.")


async def _completion(mediator_id: int, grade: str) -> tuple[Any, str | None]:
    """The training domain's completed course of the grade, as `_exam_pass`."""
    try:
        from training import services as training_services

        return await training_services.completed_course_of_grade(mediator_id, grade), None
    except (ImportError, AttributeError):
        return None, _("Training records are not available.")


@dataclass(frozen=True, slots=True)
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
                         no=held[mediator_id][1]))
    unprintable_reason = _unprintable(summary.name if summary else "",
                                      issuer_for(summary.region_code) if summary else "")
    if unprintable_reason:
        reasons.append(unprintable_reason)
    return Candidate(mediator_id, summary.name if summary else "", summary.region_code if summary else "",
                     ok and not held.get(mediator_id) and not unprintable_reason, reasons,
                     score=getattr(exam, "score", None))


def _unprintable(*texts: str) -> str:
    """A reason when the certificate font can't print a character of the card (named by code
    point only: the text is a person's name), else ''."""
    missing = unprintable("".join(texts))
    if not missing:
        return ""
    return _("The certificate font cannot print %(chars)s; set a font that has it (MEDIATION_CJK_FONT_PATH).",
             chars=", ".join(f"U+{ord(ch):04X}" for ch in missing))


async def _current_of_grade(mediator_ids: list[int], grade: str) -> dict[int, tuple[int, str]]:
    """{mediator id: (id, number) of their current (valid or suspended) certificate of the grade}."""
    if not mediator_ids:
        return {}
    table = tables.Certificate
    rows = await table.select(table.id, table.mediator_id, table.certificate_no, table.status,
                              table.expires_on).where(
        table.mediator_id.is_in(mediator_ids), table.grade == grade, table.status.is_in([VALID, SUSPENDED]))
    return {r["mediator_id"]: (r["id"], r["certificate_no"]) for r in rows
            if effective_status(r["status"], r["expires_on"]) in (VALID, SUSPENDED)}


# --------------------------------------------------------------------------- numbering and issue
async def next_serial(region_code: str, year: int, grade: str) -> int:
    """Atomic increment of the counter row (an upsert with RETURNING, atomic on SQLite and
    PostgreSQL); call it inside the issuing transaction so a rollback returns the number."""
    counter = f"{region_code}-{year}-{grade}"
    rows = await tables.Certificate._meta.db.run_querystring(QueryString(
        "INSERT INTO certificate_serial (region_code, year, grade, last_serial, counter_key) "
        "VALUES ({}, {}, {}, 1, {}) ON CONFLICT (counter_key) DO UPDATE "
        "SET last_serial = certificate_serial.last_serial + 1 RETURNING last_serial",
        region_code, year, grade, counter,
    ))
    return int(rows[0]["last_serial"])


async def insert_certificate(*, mediator_id: int, holder_name: str, grade: str, region_code: str,
                             issuer: str, issued_on: date, photo_path: str | None, actor: Principal | None,
                             sitting_id: int | None = None, renewed_from_id: int | None = None) -> Certificate:
    """Inside a write transaction: number, insert, audit."""
    serial = await next_serial(region_code, issued_on.year, grade)
    number = format_number(region_code, issued_on.year, grade, serial)
    rows = await tables.Certificate.insert(tables.Certificate(
        certificate_no=number, mediator_id=mediator_id, holder_name=holder_name, grade=grade,
        region_code=region_code, issuer=issuer, issued_on=issued_on,
        expires_on=add_years(issued_on, get_settings().rules.certificate_validity_years) - timedelta(days=1),
        status=VALID, version=1, layout_version=await current_layout_version(), photo_path=photo_path,
        sitting_id=sitting_id, renewed_from_id=renewed_from_id, created_at=clock.now(), updated_at=clock.now(),
    )).returning(*tables.Certificate.all_columns())
    certificate = Certificate.of(rows[0])
    await audit.record(actor, "issue" if renewed_from_id is None else "renew_issue", "certificate", certificate.id,
                       region_code=region_code, after=certificate.snapshot())
    return certificate


async def issue_certificate_unchecked(mediator_id: int, grade: str, *, issued_on: date | None = None,
                                      holder_name: str | None = None, region_code: str | None = None,
                                      issuer: str | None = None, actor: Principal | None = None,
                                      sitting_id: int | None = None, render: bool = False,
                                      once: bool = False) -> Certificate:
    """Issue WITHOUT the eligibility check: for demos and tests only (and, with `once`, for
    `issue_certificate` and `batch_issue`, which checked eligibility first)."""
    from roster import services as roster_services

    summary = await roster_services.mediator_summary(mediator_id)
    if summary is not None:
        name, region, photo = holder_name or summary.name, region_code or summary.region_code, summary.photo_path
    elif holder_name is not None and region_code is not None:
        name, region, photo = holder_name, region_code, None
    else:
        raise NotFound(_("No such mediator."), "mediator_id")
    async with write_transaction():
        if once:  # the same issue sent twice at once (a double click, two batch runs): the first makes it
            await serialise_on(f"certificate:{mediator_id}:{grade}")
            held = (await _current_of_grade([mediator_id], grade)).get(mediator_id)
            existing = await by_id(held[0]) if held else None
            if existing is not None:
                return existing
        certificate = await insert_certificate(
            mediator_id=mediator_id, holder_name=name, grade=grade, region_code=region,
            issuer=issuer or issuer_for(region), issued_on=issued_on or clock.today(), photo_path=photo,
            actor=actor, sitting_id=sitting_id,
        )
    if render:
        await rendered_files(certificate)
    return certificate


async def issue_certificate(principal: Principal, mediator_id: int, grade: str, *, sitting_id: int | None = None,
                            issued_on: date | None = None) -> Certificate:
    """Single issue by an administrator of the holder's region; ineligible → refused with why."""
    try:
        Grade(grade)
    except ValueError:
        raise DomainError(_("Choose a grade."), "grade") from None
    candidate = await check_eligibility(mediator_id, grade)
    if not candidate.region_code:
        raise NotFound(_("No such mediator."), "mediator_id")
    require_region(principal, candidate.region_code, Role.ADMIN)
    if not candidate.eligible:
        raise DomainError(" ".join(candidate.reasons), "mediator_id")
    certificate = await issue_certificate_unchecked(mediator_id, grade, issued_on=issued_on, actor=principal,
                                                    sitting_id=sitting_id, once=True)
    await rendered_files(certificate)
    return certificate


# --------------------------------------------------------------------------- batch issue
@dataclass(frozen=True, slots=True)
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
    """The grade of an exam sitting and the mediators who passed it (the exam domain's records)."""
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
                      progress: Callable[[str, int, int], None] | None = None) -> list[Certificate]:
    """Issue to every eligible candidate of the preview (re-checked now). The unit of work
    is one certificate (number, row and audit in one transaction), so a run that dies
    half-way leaves whole certificates and a rerun issues the rest. `progress(stage, done,
    total)` is called after each certificate is committed ("issued") and rendered ("rendered")."""
    preview = await batch_preview(principal, sitting_id=sitting_id, grade=grade, mediator_ids=mediator_ids)
    issued = []
    total = len(preview.eligible)
    for candidate in preview.eligible:
        certificate = await issue_certificate_unchecked(candidate.mediator_id, preview.grade, actor=principal,
                                                        sitting_id=sitting_id, once=True)
        issued.append(certificate)
        if progress:
            progress("issued", len(issued), total)
    if render:
        for done, certificate in enumerate(issued, start=1):
            await rendered_files(certificate)
            if progress:
                progress("rendered", done, total)
    return issued
