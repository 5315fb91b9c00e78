"""Navigation by role. Each domain contributes NavItems through its `NAV` list; the app
factory gathers them (core never imports domains itself)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.auth.roles import Principal, Role
from core.i18n import N_
from core.regions import root_region


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str  # an English message id, translated when rendered
    roles: tuple[Role, ...]
    order: int = 50
    province_only: bool = False  # shown only to those holding one of `roles` for the whole province
    package: str = "core"  # whose catalog translates the label (the same on every page)

    @property
    def text(self) -> str:
        from core.i18n import translate

        return translate(self.label, self.package)


CORE_NAV = [
    NavItem("/account", N_("My account"), tuple(Role), 90),
    NavItem("/notifications/", N_("Notifications"), tuple(Role), 89),
    NavItem("/admin/audit", N_("Audit log"), (Role.ADMIN, Role.AUDITOR), 95),
    NavItem("/admin/users", N_("Accounts"), (Role.ADMIN,), 94),
    NavItem("/admin/jobs/", N_("Scheduled jobs"), (Role.ADMIN,), 96),
    NavItem("/admin/calendar/", N_("Holiday calendar"), (Role.ADMIN,), 97, province_only=True),
]


def _shown(item: NavItem, principal: Principal) -> bool:
    if item.province_only:
        return principal.can_act_in(root_region(), *item.roles)
    return principal.has_role(*item.roles)


_registry: list[NavItem] = list(CORE_NAV)


def register(items: list[NavItem], package: str = "core") -> None:
    """A domain's menu entries, translated by its own catalog on every page."""
    for item in items:
        item = replace(item, package=package)
        if item not in _registry:
            _registry.append(item)


def nav_items(principal: Principal) -> list[NavItem]:
    if not principal or not principal.is_authenticated:
        return []
    return sorted((i for i in _registry if _shown(i, principal)), key=lambda i: (i.order, i.href))


def flash(request, message: str, kind: str = "info") -> None:
    """A one-time message shown on the next page (kept in the server-side session)."""
    session = request.session if request.scope.get("session") is not None else None
    if session is None:
        return
    pending = list(session.get("flash", []))
    pending.append([kind, message])
    request.set_session({**session, "flash": pending})


def flashes(request) -> list[tuple[str, str]]:
    session = request.scope.get("session")
    if not session or not session.get("flash"):
        return []
    pending = session.get("flash", [])
    request.set_session({k: v for k, v in session.items() if k != "flash"})
    return [(kind, message) for kind, message in pending]
