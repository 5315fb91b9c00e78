"""Account administration: an administrator manages the accounts whose roles lie in
their region (and below), never above or beside it."""

from __future__ import annotations

from piccolo.columns.combination import Combinable

from core import audit
from core.auth import services as auth_services
from core.auth.roles import Grant, Principal, Role
from core.auth.services import create_user, user_id_by_username
from core.db import contains
from core.errors import FieldErrors, Forbidden, NotFound
from core.i18n import _
from core.regions import is_within, region_names, region_prefix
from core.tables import User, UserRole
from core.text import check_fields

MIN_PASSWORD_LENGTH = 10


async def accounts_in_scope(admin: Principal, q: str = "", page: int = 1, page_size: int = 30) -> tuple[list[dict], int]:
    prefixes = [region_prefix(code) for code in admin.regions_for(Role.ADMIN)]
    scope: Combinable | None = None
    for prefix in prefixes:
        clause = UserRole.region_code.like(prefix + "%")
        scope = clause if scope is None else scope | clause
    if scope is None:
        return [], 0
    user_ids = sorted({row["user"] for row in await UserRole.select(UserRole.user).where(scope)})
    query = User.select().where(User.id.is_in(user_ids or [-1]))
    if q:
        query = query.where(contains(User.username, q) | contains(User.display_name, q))
    rows = await query.order_by(User.username)
    total = len(rows)
    rows = rows[(page - 1) * page_size : page * page_size]
    grants = await UserRole.select().where(UserRole.user.is_in([r["id"] for r in rows] or [-1]))
    by_user: dict[int, list[dict]] = {}
    for grant in grants:
        by_user.setdefault(grant["user"], []).append(grant)
    for row in rows:
        row["grants"] = by_user.get(row["id"], [])
        row.pop("password_hash", None)
    return rows, total


def _check_scope(admin: Principal, region_code: str) -> None:
    if not admin.can_act_in(region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))


async def create_account(admin: Principal, form: dict[str, str]) -> int:
    errors: dict[str, str] = {}
    username = form.get("username", "").strip()
    if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").isalnum():
        errors["username"] = _("Use letters, digits, - or _ (at most 64).")
    elif await user_id_by_username(username):
        errors["username"] = _("This username is taken.")
    if not form.get("display_name", "").strip():
        errors["display_name"] = _("Enter a name.")
    check_fields(form, errors, ("display_name",))
    if len(form.get("password", "")) < MIN_PASSWORD_LENGTH:
        errors["password"] = _("At least 10 characters.")
    role: Role | None
    try:
        role = Role(form.get("role", ""))
    except ValueError:
        errors["role"] = _("Choose a role.")
        role = None
    region_code = form.get("region_code", "")
    if region_code not in region_names():
        errors["region_code"] = _("Choose a region.")
    elif not admin.can_act_in(region_code, Role.ADMIN):
        errors["region_code"] = _("This record belongs to a region outside your authority.")
    if errors or role is None:  # no role means an error above
        raise FieldErrors(errors)
    user_id = await create_user(username, form["password"], form["display_name"].strip(), [Grant(role, region_code)])
    await audit.record(admin, "create_account", "account", user_id, region_code=region_code,
                       after={"username": username, "role": role.value, "region_code": region_code})
    return user_id


async def _account_region(user_id: int) -> str:
    grants = await UserRole.select(UserRole.region_code).where(UserRole.user == user_id)
    if not grants:
        raise NotFound(_("Not found"))
    return grants[0]["region_code"]


async def set_active(admin: Principal, user_id: int, active: bool) -> None:
    region_code = await _account_region(user_id)
    for grant in await UserRole.select(UserRole.region_code).where(UserRole.user == user_id):
        _check_scope(admin, grant["region_code"])
    if user_id == admin.user_id and not active:
        raise Forbidden(_("You cannot deactivate your own account."))
    await User.update({User.is_active: active}).where(User.id == user_id)
    await audit.record(admin, "activate_account" if active else "deactivate_account", "account", user_id,
                       region_code=region_code, before={"is_active": not active}, after={"is_active": active})


async def clear_sign_in_delays(admin: Principal, user_id: int) -> None:
    """For a user held back by failed sign-ins from their own address (there is no lock-out to lift)."""
    region_code = await _account_region(user_id)
    for grant in await UserRole.select(UserRole.region_code).where(UserRole.user == user_id):
        _check_scope(admin, grant["region_code"])  # every grant: an account reaching above is not theirs
    user = await User.select(User.username).where(User.id == user_id).first()
    if user is None:  # the account of the grants found above: there (accounts are never deleted)
        raise NotFound(_("Not found"))
    await auth_services.clear_sign_in_delays(user["username"])
    await audit.record(admin, "clear_sign_in_delays", "account", user_id, region_code=region_code)


def region_options(admin: Principal) -> list[tuple[str, str]]:
    from core.data.fujian_regions import all_regions

    roots = admin.regions_for(Role.ADMIN)
    return [(code, "　" * (level - 1) + name) for code, name, _p, level in all_regions()
            if any(is_within(code, root) for root in roots)]


