"""The typical-case library (典型案例): administrators write cases for their regions and
publish them; everyone searches the published ones by words and dispute type."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Self

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import contains, write_transaction
from core.errors import FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import region_name, within_regions
from core.text import check_fields
from core.vocab import DisputeType
from training.fields import parse_title
from training.schemas import FormValues, Row, stored_row
from training.tables import TypicalCase


@dataclass(frozen=True, slots=True)
class TypicalCaseSummary:
    id: int
    title: str
    dispute_type: str
    summary: str
    region_code: str
    published: bool
    published_on: date | None

    @classmethod
    def of(cls, row: Row, **more: Any) -> Self:
        """The record from a case row; `more` fills the fields of a record built on this one."""
        return cls(id=row["id"], title=row["title"], dispute_type=row["dispute_type"], summary=row["summary"],
                   region_code=row["region_code"], published=row["published"], published_on=row["published_on"],
                   **more)


@dataclass(frozen=True, slots=True)
class TypicalCaseDetail(TypicalCaseSummary):
    full_text: str
    lessons: str


@dataclass(frozen=True, slots=True)
class CaseValues:
    """A case's values from a form or the API, checked (the columns it is saved with)."""

    title: str
    dispute_type: str
    summary: str
    region_code: str
    full_text: str
    lessons: str


SUMMARY_COLUMNS = (TypicalCase.id, TypicalCase.title, TypicalCase.dispute_type, TypicalCase.summary,
                   TypicalCase.region_code, TypicalCase.published, TypicalCase.published_on)


def validate_case(data: FormValues) -> CaseValues:
    errors: dict[str, str] = {}
    title = parse_title(data, errors, _("Enter the case title."))
    dispute_type = str(data.get("dispute_type") or "")
    if dispute_type not in {d.value for d in DisputeType}:
        errors["dispute_type"] = _("Choose a dispute type.")
    summary = str(data.get("summary") or "").strip()
    if not summary:
        errors["summary"] = _("Enter a summary.")
    region_code = str(data.get("region_code") or "").strip()
    if not region_code or region_name(region_code) == region_code:
        errors["region_code"] = _("Choose a region.")
    check_fields({"title": title}, errors, ("title",))
    if errors:
        raise FieldErrors(errors)
    return CaseValues(title=title, dispute_type=dispute_type, summary=summary, region_code=region_code,
                      full_text=str(data.get("full_text") or "").strip(), lessons=str(data.get("lessons") or "").strip())


async def _case(case_id: int) -> TypicalCaseDetail:
    row = await stored_row(TypicalCase, case_id, _("No such typical case."))
    return TypicalCaseDetail.of(row, full_text=row["full_text"], lessons=row["lessons"])


async def create_case(principal: Principal, data: FormValues) -> int:
    values = validate_case(data)
    if not principal.can_act_in(values.region_code, Role.ADMIN):
        raise FieldErrors({"region_code": _("This region is outside your authority.")})
    after = asdict(values)
    async with write_transaction():
        row = await TypicalCase.insert(TypicalCase(**after, published=False, created_by=principal.user_id,
                                                   created_at=clock.now(), updated_at=clock.now())).returning(TypicalCase.id)
        case_id: int = row[0]["id"]
        await audit.record(principal, "create", "typical_case", case_id, region_code=values.region_code, after=after)
    return case_id


async def update_case(principal: Principal, case_id: int, data: FormValues) -> None:
    case = await _case(case_id)
    if not principal.can_act_in(case.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    values = validate_case(data)
    if not principal.can_act_in(values.region_code, Role.ADMIN):
        raise FieldErrors({"region_code": _("This region is outside your authority.")})
    after = asdict(values)
    async with write_transaction():
        await TypicalCase.update(**after, updated_at=clock.now()).where(TypicalCase.id == case_id)
        await audit.record(principal, "update", "typical_case", case_id, region_code=values.region_code,
                           before={k: getattr(case, k) for k in after}, after=after)


async def publish_case(principal: Principal, case_id: int, published: bool = True) -> None:
    case = await _case(case_id)
    if not principal.can_act_in(case.region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    async with write_transaction():
        await TypicalCase.update({TypicalCase.published: published,
                                  TypicalCase.published_on: (case.published_on or clock.today()) if published else None,
                                  TypicalCase.updated_at: clock.now()}).where(TypicalCase.id == case_id)
        await audit.record(principal, "publish" if published else "unpublish", "typical_case", case_id,
                           region_code=case.region_code, before={"published": case.published},
                           after={"published": published})


async def typical_case(case_id: int, principal: Principal | None = None) -> TypicalCaseDetail:
    case = await _case(case_id)
    if not case.published and not (principal and principal.can_act_in(case.region_code, Role.ADMIN)):
        raise NotFound(_("No such typical case."))
    return case


async def search_cases(q: str = "", dispute_type: str = "", *, principal: Principal | None = None, manage: bool = False,
                       page: int = 1, page_size: int = 20) -> tuple[list[TypicalCaseSummary], int]:
    """Published cases by words in the title or summary and by dispute type; with `manage`,
    the administrator's regions' cases, drafts included."""
    query = TypicalCase.select(*SUMMARY_COLUMNS)
    count = TypicalCase.count()
    conditions = []
    if manage and principal is not None:
        scope = within_regions(TypicalCase.region_code, principal.regions_for(Role.ADMIN))
        conditions.append(scope if scope is not None else TypicalCase.id < 0)
    else:
        conditions.append(TypicalCase.published == True)  # noqa: E712
    if q:
        conditions.append(contains(TypicalCase.title, q) | contains(TypicalCase.summary, q))
    if dispute_type:
        conditions.append(TypicalCase.dispute_type == dispute_type)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(TypicalCase.published_on, ascending=False).order_by(TypicalCase.id, ascending=False
                                                                                   ).limit(page_size).offset((page - 1) * page_size)
    return [TypicalCaseSummary.of(row) for row in rows], await count


async def cases_by_ids(ids: Iterable[int | None]) -> dict[int, TypicalCaseSummary]:
    wanted = [i for i in set(ids) if i]
    if not wanted:
        return {}
    return {r["id"]: TypicalCaseSummary.of(r) for r in await TypicalCase.select(*SUMMARY_COLUMNS).where(
        TypicalCase.id.is_in(wanted))}
