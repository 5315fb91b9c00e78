"""Performance records: mediation cases, complaints and disciplinary findings, entered by
organisation managers, imported from CSV/XLSX (every bad row reported by its number), or
posted through the API."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import DomainError, FieldErrors, Forbidden
from core.i18n import N_, _
from core.text import check_fields
from core.vocab import DisputeType
from roster.review.tables import Complaint, DisciplinaryFinding, MediationCase

OUTCOMES = ("agreement", "no_agreement", "withdrawn")
# Removal grounds (特邀调解规定 Art. 28, 人民调解法 Art. 15) and lesser findings.
REMOVAL_GROUNDS = ("coercion", "bribery", "leaking_secrets", "partiality", "insulting_party", "concealed_recusal",
                   "illegal_mediation")
SANCTIONS = ("none", "warning", "public_notice", "removal")
# The sanction decides: only removal (除名/解聘) starts an exit, and only for a removal ground;
# a warning (警告) or a public notice (通报) is recorded and nothing more.
EXIT_SANCTIONS = ("removal",)
FINDING_GROUNDS = {
    "coercion": N_("coercing a party to accept mediation or an agreement"),
    "bribery": N_("taking requests, money or gifts from a party"),
    "leaking_secrets": N_("leaking the mediation, the agreement or a party's private or business secrets"),
    "partiality": N_("partiality towards a party"),
    "insulting_party": N_("insulting a party"),
    "concealed_recusal": N_("concealing a ground for recusal"),
    "illegal_mediation": N_("mediating in breach of the law"),
}


def finding_ground_text(ground: str) -> str:
    return _(FINDING_GROUNDS[ground]) if ground in FINDING_GROUNDS else ground
CASE_COLUMNS = ("roster_no", "case_ref", "dispute_type", "received_on", "closed_on", "outcome", "satisfaction")


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def _date(value: Any, column: str, errors: dict[str, str], required: bool = True) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        if required:
            errors[column] = _("Enter a date.")
        return None
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        errors[column] = _("Enter a date as YYYY-MM-DD.")
        return None
    if day > clock.today():
        errors[column] = _("The date cannot be in the future.")
    return day


@dataclass(frozen=True, slots=True)
class CaseFields:
    """A mediation case's own fields, checked (the columns a form, a file row or the API gives)."""

    case_ref: str
    dispute_type: str
    received_on: date
    closed_on: date | None
    outcome: str | None
    satisfaction: int | None


def validate_case(data: dict[str, Any]) -> CaseFields:
    """One case's fields, checked; raises FieldErrors naming every bad field."""
    errors: dict[str, str] = {}
    case_ref = str(data.get("case_ref") or "").strip()[:60]
    dispute = str(data.get("dispute_type") or "").strip()
    if dispute not in {d.value for d in DisputeType}:
        errors["dispute_type"] = _("Use one of the dispute type codes.")
    received_on = _date(data.get("received_on"), "received_on", errors)
    closed_on = _date(data.get("closed_on"), "closed_on", errors, required=False)
    if closed_on and received_on and closed_on < received_on:
        errors["closed_on"] = _("A case cannot close before it was received.")
    outcome = str(data.get("outcome") or "").strip() or None
    if outcome and outcome not in OUTCOMES:
        errors["outcome"] = _("The outcome is agreement, no_agreement or withdrawn.")
    if outcome and not closed_on:
        errors["closed_on"] = _("A case with an outcome needs its closing date.")
    raw = str(data.get("satisfaction") or "").strip()
    satisfaction = None
    if raw:
        try:
            satisfaction = int(float(raw))
            if not 1 <= satisfaction <= 5 or float(raw) != satisfaction:
                raise ValueError
        except ValueError:
            errors["satisfaction"] = _("Satisfaction is a whole number from 1 to 5.")
    check_fields({"case_ref": case_ref}, errors, ("case_ref",))
    if errors or received_on is None:  # a missing received_on is among the errors
        raise FieldErrors(errors)
    return CaseFields(case_ref, dispute, received_on, closed_on, outcome, satisfaction)


@dataclass(frozen=True, slots=True)
class RecordedMediator:
    """The mediator a record is about: their id and region (the roster's service: never its tables)."""

    id: int
    region_code: str


async def _mediators_by_roster_no(numbers: list[str]) -> dict[str, RecordedMediator]:
    from roster import services as roster

    return {no: RecordedMediator(m.id, m.region_code) for no, m in (await roster.mediators_by_roster_no(numbers)).items()}


async def _mediator(mediator_id: int) -> RecordedMediator | None:
    from roster import services as roster

    found = await roster.mediator_summary(mediator_id)
    return RecordedMediator(found.id, found.region_code) if found else None


def recording_organisation(principal: Principal, mediator: RecordedMediator, periods: list[Any], clean: CaseFields,
                           wanted: int | None = None) -> int:
    """The organisation a case is recorded for: one the mediator was an effective member of
    from the day the case was received to the day it closed, and, for a manager, one of theirs
    (an administrator of the mediator's region may name any). Raises FieldErrors naming the
    mediator or the date that fails."""
    admin = principal.can_act_in(mediator.region_code, Role.ADMIN)
    if not (admin or principal.organisation_ids):
        raise FieldErrors({"mediator_id": _("This mediator is outside your authority.")})
    mine = [p for p in periods if admin or p.organisation_id in principal.organisation_ids]
    if wanted is not None:
        mine = [p for p in mine if p.organisation_id == wanted]
    if not mine:
        raise FieldErrors({"mediator_id": _("This mediator was never a member of your organisation.") if not admin
                           else _("This mediator was never a member of this organisation.")})
    first = clean.received_on
    last = clean.closed_on or first
    if not any(p.covers(first, first) for p in mine):
        raise FieldErrors({"received_on": _("The mediator was not a member of the recording organisation on this "
                                            "date.")})
    both = sorted((p for p in mine if p.covers(first, last)), key=lambda p: (not p.primary, p.organisation_id))
    if not both:
        raise FieldErrors({"closed_on": _("The mediator was not a member of the recording organisation on this "
                                          "date.")})
    return both[0].organisation_id


def _organisation_wanted(data: dict[str, Any]) -> int | None:
    raw = str(data.get("organisation_id") or "").strip()
    if raw and not raw.isdecimal():
        raise FieldErrors({"organisation_id": _("Choose an organisation.")})
    return int(raw) if raw else None


async def record_case(principal: Principal, mediator_id: int, data: dict[str, Any], source: str = "form") -> int:
    """A case is accepted only for a mediator who was a member of the recording organisation
    on its dates, and names that organisation (the appraisal counts nothing else)."""
    from roster.memberships import membership_periods

    mediator = await _mediator(mediator_id)
    if mediator is None:
        raise DomainError(_("No such mediator."), "mediator_id")
    if not (principal.can_act_in(mediator.region_code, Role.ADMIN) or principal.organisation_ids):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    clean = validate_case(data)
    periods = (await membership_periods([mediator_id])).get(mediator_id, [])
    organisation_id = recording_organisation(principal, mediator, periods, clean, _organisation_wanted(data))
    async with write_transaction():
        row = await MediationCase.insert(MediationCase(
            mediator_id=mediator_id, region_code=mediator.region_code, organisation_id=organisation_id, source=source,
            entered_by=principal.user_id, created_at=clock.now(), **asdict(clean))).returning(MediationCase.id)
        await audit.record(principal, "record_case", "mediator", mediator_id, region_code=mediator.region_code,
                           after={**asdict(clean), "organisation_id": organisation_id})
    return row[0]["id"]


def read_table(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM; or GB18030) or XLSX file as dicts."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        from core.uploads import check_workbook

        check_workbook(content, "file")  # a zip: its declared unpacked size, before anything is inflated
        try:  # read-only workbooks inflate their sheets while the rows are read: a broken part fails there
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
            rows = [[("" if c is None else (c.isoformat()[:10] if hasattr(c, "isoformat") else str(c))) for c in r]
                    for r in sheet.iter_rows(values_only=True)]
        except Exception as bad:  # noqa: BLE001 - any unreadable workbook
            raise DomainError(_("This file is not a readable XLSX workbook."), "file") from bad
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise DomainError(_("The CSV file must be UTF-8 or GB18030 text."), "file")
        rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise DomainError(_("The file is empty."), "file")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in CASE_COLUMNS if c not in header]
    if missing:
        raise DomainError(_("The header must name these columns: %(columns)s.", columns=", ".join(missing)), "file")
    return [dict(zip(header, [str(v).strip() for v in row], strict=False)) for row in rows[1:] if any(row)]


async def import_cases(principal: Principal, filename: str, content: bytes, *, good_rows_only: bool = False
                       ) -> ImportReport:
    """Validate every row first; store nothing if any row is bad, unless the user chose to
    import the good rows. Rows are numbered as in a spreadsheet (the header is row 1)."""
    from core.settings import get_settings

    if len(content) > get_settings().rules.max_upload_bytes:
        raise DomainError(_("The file is too large."), "file")
    from core.uploads import run_decoder

    rows = await run_decoder(read_table, filename, content)  # an XLSX takes seconds to read
    report = ImportReport(rows=len(rows))
    from roster.memberships import membership_periods

    mediators = await _mediators_by_roster_no([r.get("roster_no", "") for r in rows])
    periods = await membership_periods([m.id for m in mediators.values()])
    good: list[MediationCase] = []
    for number, row in enumerate(rows, start=2):
        mediator = mediators.get(row.get("roster_no", ""))
        if mediator is None:
            report.errors.append((number, "roster_no", _("No mediator on the roster has this number.")))
            continue
        try:
            clean = validate_case(row)
            organisation_id = recording_organisation(principal, mediator, periods.get(mediator.id, []), clean,
                                                     _organisation_wanted(row))
        except FieldErrors as invalid:
            report.errors += [(number, "roster_no" if column == "mediator_id" else column, message)
                              for column, message in invalid.errors.items()]
            continue
        good.append(MediationCase(mediator_id=mediator.id, region_code=mediator.region_code, source="import",
                                  organisation_id=organisation_id, entered_by=principal.user_id,
                                  created_at=clock.now(), **asdict(clean)))
    if report.errors and not good_rows_only:
        return report
    async with write_transaction():
        for start in range(0, len(good), 500):
            await MediationCase.insert(*good[start:start + 500])
        await audit.record(principal, "import_cases", "mediation_case", filename, reason=f"{len(good)} rows")
    report.imported = len(good)
    return report


async def _mediator_for_administrator(principal: Principal, mediator_id: int) -> RecordedMediator:
    """Complaints and findings are recorded by an administrator of the mediator's region."""
    mediator = await _mediator(mediator_id)
    if mediator is None:
        raise DomainError(_("No such mediator."), "mediator_id")
    if not principal.can_act_in(mediator.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    return mediator


async def record_complaint(principal: Principal, mediator_id: int, data: dict[str, Any]) -> int:
    mediator = await _mediator_for_administrator(principal, mediator_id)
    errors: dict[str, str] = {}
    received_on = _date(data.get("received_on"), "received_on", errors)
    finding = str(data.get("finding") or "").strip()
    if not finding:
        errors["finding"] = _("Record the finding.")
    if errors:
        raise FieldErrors(errors)
    substantiated = str(data.get("substantiated", "")).lower() in ("1", "true", "on", "yes")
    async with write_transaction():
        row = await Complaint.insert(Complaint(mediator_id=mediator_id, region_code=mediator.region_code,
                                               received_on=received_on, substantiated=substantiated, finding=finding,
                                               entered_by=principal.user_id, created_at=clock.now())
                                     ).returning(Complaint.id)
        await audit.record(principal, "record_complaint", "mediator", mediator_id,
                           region_code=mediator.region_code, after={"substantiated": substantiated})
    return row[0]["id"]


async def record_finding(principal: Principal, mediator_id: int, data: dict[str, Any]) -> int:
    mediator = await _mediator_for_administrator(principal, mediator_id)
    errors: dict[str, str] = {}
    found_on = _date(data.get("found_on"), "found_on", errors)
    ground = str(data.get("ground") or "").strip()
    if not ground:
        errors["ground"] = _("Name the ground.")
    removal = ground in REMOVAL_GROUNDS
    # Not named (older callers): a removal ground is sanctioned with removal, anything else with none.
    sanction = str(data.get("sanction") or ("removal" if removal else "none"))
    if sanction not in SANCTIONS:
        errors["sanction"] = _("Choose a sanction.")
    elif sanction in EXIT_SANCTIONS and ground and not removal:
        errors["sanction"] = _("Removal is a sanction only for the removal grounds of 特邀调解规定 Art. 28 and "
                               "人民调解法 Art. 15; choose a warning or a public notice.")
    if errors:
        raise FieldErrors(errors)
    async with write_transaction():
        row = await DisciplinaryFinding.insert(DisciplinaryFinding(
            mediator_id=mediator_id, region_code=mediator.region_code, found_on=found_on, ground=ground,
            removal_ground=removal, sanction=sanction, description=str(data.get("description") or "").strip(),
            entered_by=principal.user_id, created_at=clock.now())).returning(DisciplinaryFinding.id)
        await audit.record(principal, "record_finding", "mediator", mediator_id, region_code=mediator.region_code,
                           after={"ground": ground, "removal_ground": removal, "sanction": sanction})
    return row[0]["id"]

