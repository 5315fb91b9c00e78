"""Liaison arbitrators (联络仲裁员, 仲裁员分片/挂钩联系): people of the arbitration court or
commission of an area, kept as records an administrator maintains and chosen from a list on an
organisation's form. An organisation's arbitrator must serve its area: the arbitrator's region
is the organisation's region or one above it (a city's commission serves its counties).
The phone is personal data: stored protected (`roster.personal.protect`), shown masked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import DomainError, FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import ancestors, is_within, region_name
from core.text import check_fields
from roster import personal
from roster.tables import LiaisonArbitrator


@dataclass(frozen=True)
class Arbitrator:
    id: int
    name: str
    court: str
    region_code: str
    phone_masked: str
    active: bool

    @property
    def label(self) -> str:
        return " · ".join(p for p in (self.name, self.court, region_name(self.region_code)) if p)


def _record(row: dict[str, Any]) -> Arbitrator:
    return Arbitrator(id=row["id"], name=row["name"], court=row["court"], region_code=row["region_code"],
                      phone_masked=row["phone_masked"], active=row["active"])


async def add_arbitrator(principal: Principal, data: dict[str, Any]) -> int:
    errors: dict[str, str] = {}
    clean = {"name": str(data.get("name") or "").strip(), "court": str(data.get("court") or "").strip(),
             "region_code": str(data.get("region_code") or "").strip()}
    if not clean["name"]:
        errors["name"] = _("Enter the arbitrator's name.")
    elif len(clean["name"]) > 100:
        errors["name"] = _("The name is too long (100 characters at most).")
    if not clean["court"]:
        errors["court"] = _("Name the arbitration court or commission.")
    elif len(clean["court"]) > 200:
        errors["court"] = _("The name is too long (200 characters at most).")
    if region_name(clean["region_code"]) in ("", clean["region_code"]):
        errors["region_code"] = _("Choose a region.")
    elif not principal.can_act_in(clean["region_code"], Role.ADMIN):
        errors["region_code"] = _("Choose a region within your authority.")
    check_fields(clean, errors, ("name", "court"))
    phone = str(data.get("phone") or "").strip()
    protected = {"phone_enc": "", "phone_masked": ""}
    if phone:
        try:
            normal = personal.normalise_phone(phone, "phone")
            protected = {"phone_enc": personal.protect(normal), "phone_masked": personal.mask_phone(normal)}
        except DomainError as bad:
            errors["phone"] = bad.message
    if errors:
        raise FieldErrors(errors)
    async with write_transaction():
        row = await LiaisonArbitrator.insert(LiaisonArbitrator(
            name=clean["name"], court=clean["court"], region_code=clean["region_code"],
            phone_enc=protected["phone_enc"], phone_masked=protected["phone_masked"], active=True,
            created_at=clock.now())).returning(LiaisonArbitrator.id)
        await audit.record(principal, "create", "liaison_arbitrator", row[0]["id"], region_code=clean["region_code"],
                           after={**clean, "phone": protected["phone_masked"]})
    return row[0]["id"]


async def set_active(principal: Principal, arbitrator_id: int, active: bool) -> None:
    """An arbitrator who no longer serves is made inactive (never deleted): organisations that
    point to them keep the link as history; new choices no longer offer them."""
    row = await LiaisonArbitrator.select().where(LiaisonArbitrator.id == arbitrator_id).first()
    if row is None:
        raise NotFound(_("No such arbitrator."))
    if not principal.can_act_in(row["region_code"], Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    if row["active"] == active:
        return
    async with write_transaction():
        await LiaisonArbitrator.update({LiaisonArbitrator.active: active}).where(LiaisonArbitrator.id == arbitrator_id)
        await audit.record(principal, "set_active", "liaison_arbitrator", arbitrator_id,
                           region_code=row["region_code"], before={"active": row["active"]}, after={"active": active})


async def arbitrators_in_scope(principal: Principal) -> list[Arbitrator]:
    """Administrator's list: arbitrators of their regions and below, and those above them
    (who serve their area too)."""
    regions = principal.regions_for(Role.ADMIN, Role.AUDITOR)
    rows = await LiaisonArbitrator.select().order_by(LiaisonArbitrator.region_code).order_by(LiaisonArbitrator.name)
    return [_record(r) for r in rows
            if any(is_within(r["region_code"], code) or is_within(code, r["region_code"]) for code in regions)]


async def choices_for(region_code: str) -> list[Arbitrator]:
    """Active arbitrators serving this region: of the region itself or a region above it."""
    area = [region_code, *ancestors(region_code)]
    rows = await LiaisonArbitrator.select().where(LiaisonArbitrator.region_code.is_in(area)).where(
        LiaisonArbitrator.active == True).order_by(LiaisonArbitrator.name)  # noqa: E712
    return [_record(r) for r in rows]


async def choices_for_principal(principal: Principal) -> list[Arbitrator]:
    """For a new organisation, whose region is not chosen yet: every active arbitrator who can
    serve somewhere in the administrator's regions."""
    return [a for a in await arbitrators_in_scope(principal) if a.active]


async def arbitrator(arbitrator_id: int | None) -> Arbitrator | None:
    if not arbitrator_id:
        return None
    row = await LiaisonArbitrator.select().where(LiaisonArbitrator.id == arbitrator_id).first()
    return _record(row) if row else None


def parse_choice(value: Any, errors: dict[str, str]) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdecimal():
        errors["liaison"] = _("Choose the liaison arbitrator from the list.")
        return None
    return int(text)


async def check_choice(arbitrator_id: int | None, region_code: str) -> None:
    """The chosen arbitrator exists, still serves, and serves the organisation's area."""
    if arbitrator_id is None:
        return
    chosen = await arbitrator(arbitrator_id)
    if chosen is None or not chosen.active:
        raise FieldErrors({"liaison": _("Choose the liaison arbitrator from the list.")})
    if not is_within(region_code, chosen.region_code):
        raise FieldErrors({"liaison": _("%(name)s serves %(area)s: choose an arbitrator of the organisation's area.",
                                        name=chosen.name, area=region_name(chosen.region_code))})
