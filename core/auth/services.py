"""Accounts: sign-in with lock-out, API tokens, and loading the principal."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from core.auth.passwords import hash_password, verify_password
from core.auth.roles import Grant, Principal, Role
from core.errors import DomainError, FieldErrors
from core.i18n import _
from core.settings import get_settings
from core.tables import ApiToken, User, UserRole


class LoginRefused(DomainError):
    status_code = 401


def now() -> datetime:
    return datetime.now(UTC)


async def authenticate(username: str, password: str) -> Principal:
    """Check a password; after N failures in a row the account locks for a while.

    The same message answers an unknown user and a wrong password, so usernames can't
    be discovered; a locked account says so, since the owner needs to know why."""
    rules = get_settings().rules
    user = await User.objects().where(User.username == username.strip()).first()
    if user is not None and user.locked_until and user.locked_until > now():
        raise LoginRefused(_("This account is locked after repeated failed sign-ins; try again later."), "username")
    if user is None or not user.is_active or not verify_password(user.password_hash if user else None, password):
        if user is not None:
            failures = user.failed_logins + 1
            locked = now() + timedelta(minutes=rules.lockout_minutes) if failures >= rules.login_failures_before_lockout else None
            await User.update({User.failed_logins: 0 if locked else failures, User.locked_until: locked}).where(
                User.id == user.id
            )
            if locked:
                raise LoginRefused(_("This account is locked after repeated failed sign-ins; try again later."), "username")
        raise LoginRefused(_("Wrong username or password."), "password")
    if user.failed_logins or user.locked_until:
        await User.update({User.failed_logins: 0, User.locked_until: None}).where(User.id == user.id)
    return await load_principal(user.id)


async def load_principal(user_id: int, via_token: bool = False) -> Principal:
    user = await User.select(User.id, User.username, User.display_name, User.is_active).where(
        User.id == user_id
    ).first()
    if user is None or not user["is_active"]:
        return Principal()
    grants = await UserRole.select().where(UserRole.user == user_id)
    return Principal(
        user_id=user["id"],
        username=user["username"],
        display_name=user["display_name"],
        grants=tuple(
            Grant(
                role=Role(g["role"]),
                region_code=g["region_code"],
                organisation_id=g["organisation_id"],
                court_id=g["court_id"],
                mediator_id=g["mediator_id"],
            )
            for g in grants
        ),
        via_token=via_token,
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(user_id: int, label: str = "api") -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = now() + timedelta(hours=get_settings().rules.api_token_hours)
    await ApiToken.insert(ApiToken(user=user_id, token_hash=_token_hash(token), label=label, expires_at=expires_at))
    return token, expires_at


SYSTEM_TOKEN_PREFIX = "system:"  # noqa: S105 - a label prefix, not a secret


async def issue_system_token(user_id: int, label: str, days: int) -> tuple[str, datetime]:
    """A long-lived token for another system acting as this account (a court's case system).
    Shown once; only its hash is kept; the owner can list and revoke it."""
    errors = {}
    label = label.strip()
    if not label or len(label) > 48:
        errors["label"] = _("Name the system this token is for (at most 48 characters).")
    most = get_settings().rules.system_token_max_days
    if not 1 <= days <= most:
        errors["days"] = _("Validity must be between 1 and %(most)s days.", most=most)
    if errors:
        raise FieldErrors(errors)
    token = secrets.token_urlsafe(32)
    expires_at = now() + timedelta(days=days)
    await ApiToken.insert(ApiToken(user=user_id, token_hash=_token_hash(token), label=SYSTEM_TOKEN_PREFIX + label,
                                   expires_at=expires_at))
    return token, expires_at


async def system_tokens(user_id: int) -> list[dict]:
    rows = await ApiToken.select(ApiToken.id, ApiToken.label, ApiToken.created_at, ApiToken.expires_at,
                                 ApiToken.revoked_at).where(
        (ApiToken.user == user_id) & ApiToken.label.like(SYSTEM_TOKEN_PREFIX + "%")
    ).order_by(ApiToken.id, ascending=False)
    for row in rows:
        row["label"] = row["label"][len(SYSTEM_TOKEN_PREFIX):]
        row["active"] = row["revoked_at"] is None and row["expires_at"] > now()
    return rows


async def revoke_system_token(user_id: int, token_id: int) -> bool:
    """Only the owner's own tokens; revoking twice changes nothing."""
    rows = await ApiToken.update({ApiToken.revoked_at: now()}).where(
        (ApiToken.id == token_id) & (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
    ).returning(ApiToken.id)
    return bool(rows)


async def principal_for_token(token: str) -> Principal | None:
    row = await ApiToken.select(ApiToken.user, ApiToken.expires_at, ApiToken.revoked_at).where(
        ApiToken.token_hash == _token_hash(token)
    ).first()
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now():
        return None
    principal = await load_principal(row["user"], via_token=True)
    return principal if principal.is_authenticated else None


async def revoke_token(token: str) -> bool:
    rows = await ApiToken.update({ApiToken.revoked_at: now()}).where(
        (ApiToken.token_hash == _token_hash(token)) & ApiToken.revoked_at.is_null()
    ).returning(ApiToken.id)
    return bool(rows)


async def create_user(
    username: str,
    password: str,
    display_name: str,
    grants: list[Grant] | tuple[Grant, ...] = (),
) -> int:
    """Create an account with its grants (idempotent on username: returns the existing id)."""
    existing = await User.select(User.id).where(User.username == username).first()
    if existing:
        return existing["id"]
    from core.db import write_transaction

    async with write_transaction():
        rows = await User.insert(
            User(username=username, display_name=display_name, password_hash=hash_password(password))
        ).returning(User.id)
        user_id = rows[0]["id"]
        for g in grants:
            await add_grant(user_id, g)
    return user_id


async def add_grant(user_id: int, grant: Grant) -> None:
    await UserRole.insert(
        UserRole(
            user=user_id,
            role=grant.role.value,
            region_code=grant.region_code,
            organisation_id=grant.organisation_id,
            court_id=grant.court_id,
            mediator_id=grant.mediator_id,
        )
    )


async def user_id_by_username(username: str) -> int | None:
    row = await User.select(User.id).where(User.username == username).first()
    return row["id"] if row else None


async def link_grant(user_id: int, role: Role, **ids: int | None) -> None:
    """Bind a user's grant of `role` to the record it acts for (mediator, organisation, court)."""
    await UserRole.update({getattr(UserRole, key): value for key, value in ids.items()}).where(
        (UserRole.user == user_id) & (UserRole.role == role.value)
    )
