"""Versioned certificate layouts: editing a layout makes a new version, and a certificate
keeps the version it was issued with, so editing never changes an issued certificate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from certification import render
from certification.render import CardData, LayoutSpec
from certification.rules import issuer_for
from certification.tables import CertificateLayout
from certification.tokens import make_token
from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import DomainError, Forbidden
from core.i18n import _
from core.settings import get_settings


@dataclass(frozen=True, slots=True)
class Layout:
    version: int
    note: str
    created_at: datetime | None  # None: the built-in layout
    spec: str  # JSON


async def current_layout_version() -> int:
    row = await CertificateLayout.select(CertificateLayout.version).order_by(
        CertificateLayout.version, ascending=False).first()
    return row["version"] if row else 1


async def layout_spec(version: int) -> LayoutSpec:
    row = await CertificateLayout.select(CertificateLayout.spec).where(CertificateLayout.version == version).first()
    if row is None:
        return dict(render.DEFAULT_LAYOUT)
    spec = row["spec"]
    if isinstance(spec, str):
        spec = json.loads(spec)
    return {**render.DEFAULT_LAYOUT, **spec}


def validate_layout(spec: object) -> LayoutSpec:
    """A layout edit: only known keys, each of the default's type; it must render."""
    if not isinstance(spec, dict) or not spec:
        raise DomainError(_("The layout must be a JSON object."), "spec")
    for key, value in spec.items():
        if key not in render.DEFAULT_LAYOUT:
            raise DomainError(_("Unknown layout key: %(key)s.", key=key), "spec")
        if type(value) is not type(render.DEFAULT_LAYOUT[key]):
            raise DomainError(_("Wrong type for layout key %(key)s.", key=key), "spec")
    try:
        render.draw_card(sample_card(), {**render.DEFAULT_LAYOUT, **spec})
    except (KeyError, TypeError, ValueError, IndexError) as broken:
        raise DomainError(_("The layout cannot be drawn: %(error)s.", error=type(broken).__name__), "spec") from None
    return spec


def sample_card() -> CardData:
    return CardData("3500002026J000000", "样例姓名", "junior", issuer_for("350000"), date(2026, 1, 1),
                    date(2028, 12, 31), f"{get_settings().base_url}/verify/{make_token(0, 1)}")


async def layouts() -> list[Layout]:
    rows = await CertificateLayout.select(CertificateLayout.version, CertificateLayout.note,
                                          CertificateLayout.created_at, CertificateLayout.spec).order_by(
        CertificateLayout.version, ascending=False)
    return [Layout(**r) for r in rows] + [Layout(version=1, note="built-in", created_at=None, spec="{}")]


async def save_layout(principal: Principal | None, spec: object, note: str = "") -> int:
    """A new layout version; certificates already issued keep theirs. Province administrators only."""
    if principal is not None and not any(g.role == Role.ADMIN and g.region_code.endswith("0000")
                                         for g in principal.grants):
        raise Forbidden(_("Only a province administrator may change the certificate layout."))
    valid = validate_layout(spec)
    async with write_transaction():
        version = max(await current_layout_version(), 1) + 1
        await CertificateLayout.insert(CertificateLayout(version=version, spec=json.dumps(valid, ensure_ascii=False),
                                                         note=note[:200], created_at=clock.now()))
        await audit.record(principal, "layout", "certificate_layout", version, region_code="", after={"note": note})
    return version
