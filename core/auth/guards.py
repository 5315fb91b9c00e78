"""Guards are tiny: who may reach a route. Region checks on records happen in services,
which know the record's region (see `require_region`)."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from core.auth.roles import ANONYMOUS, Principal, Role
from core.errors import Forbidden
from core.i18n import _
from core.scope import extras

PUBLIC = {"public": True}  # opt marker: a route meant for everyone, listed in the route audit


def principal_of(connection: ASGIConnection) -> Principal:
    principal: Principal = extras(connection.scope).get("principal", ANONYMOUS)
    return principal


def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if not principal_of(connection).is_authenticated:
        raise NotAuthorizedException()


def requires(*roles: Role):
    """Guard: signed in and holding one of `roles` (in any region)."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = principal_of(connection)
        if not principal.is_authenticated:
            raise NotAuthorizedException()
        if not principal.has_role(*roles):
            raise PermissionDeniedException()

    guard.__name__ = "requires_" + "_or_".join(r.value for r in roles)
    return guard


def require_region(principal: Principal, region_code: str | None, *roles: Role) -> None:
    """Refuse unless one of the principal's grants for `roles` covers `region_code`."""
    if not principal.can_act_in(region_code, *roles):
        raise Forbidden(_("This record belongs to a region outside your authority."))


def require_staff_for_region(principal: Principal, region_code: str | None) -> None:
    """Refuse unless the principal administers `region_code` (or a region above it)."""
    require_region(principal, region_code, Role.ADMIN)


admin_only = requires(Role.ADMIN)
admin_or_auditor = requires(Role.ADMIN, Role.AUDITOR)
