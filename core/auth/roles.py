"""Roles and the signed-in principal every guard and service reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.regions import is_within


class Role(StrEnum):
    MEDIATOR = "mediator"
    ORG_MANAGER = "org_manager"
    EXAMINER = "examiner"
    ADMIN = "admin"
    COURT = "court"
    AUDITOR = "auditor"
    GATEWAY = "gateway"  # a mail/SMS gateway's account: delivers the outbox of its region, nothing else


@dataclass(frozen=True)
class Grant:
    role: Role
    region_code: str
    organisation_id: int | None = None
    court_id: int | None = None
    mediator_id: int | None = None


@dataclass(frozen=True)
class Principal:
    """Who is asking. Anonymous visitors are a Principal with no grants."""

    user_id: int | None = None
    username: str = ""
    display_name: str = ""
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    via_token: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def has_role(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    def regions_for(self, *roles: Role) -> list[str]:
        return [g.region_code for g in self.grants if g.role in roles]

    def can_act_in(self, region_code: str | None, *roles: Role) -> bool:
        """Region scope: a grant reaches its own region and everything below it."""
        return any(is_within(region_code, g.region_code) for g in self.grants if g.role in roles)

    def grant(self, role: Role) -> Grant | None:
        return next((g for g in self.grants if g.role == role), None)

    @property
    def mediator_id(self) -> int | None:
        return next((g.mediator_id for g in self.grants if g.mediator_id), None)

    @property
    def organisation_ids(self) -> list[int]:
        return [g.organisation_id for g in self.grants if g.role == Role.ORG_MANAGER and g.organisation_id]

    @property
    def court_id(self) -> int | None:
        return next((g.court_id for g in self.grants if g.role == Role.COURT and g.court_id), None)


ANONYMOUS = Principal()
