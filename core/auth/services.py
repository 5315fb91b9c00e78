"""Accounts: sign-in with throttling, API tokens, and loading the principal."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import clock, counters
from core.auth.passwords import check_password, hash_password
from core.auth.roles import Grant, Principal, Role
from core.errors import DomainError, FieldErrors
from core.i18n import _
from core.settings import get_settings
from core.tables import ApiToken, User, UserRole


class LoginRefused(DomainError):
    """One message for a wrong username, a wrong password and a throttled attempt, so the answer
    tells a guesser nothing; `throttled` is for the caller's logs and tests, never shown."""

    status_code = 401

    def __init__(self, throttled: bool = False, user_id: int | None = None) -> None:
        super().__init__(_("Wrong username or password, or too many attempts: please wait a moment and try again."),
                         "password")
        self.throttled = throttled
        self.user_id = user_id  # the account tried, when it exists (for the audit log)


def now() -> datetime:
    return clock.now()


def _policies() -> tuple[counters.ThrottlePolicy, counters.ThrottlePolicy]:
    limits = get_settings().rate_limits
    shared = {"first_delay": limits.sign_in_first_delay_seconds, "longest_delay": limits.sign_in_longest_delay_seconds,
              "forget_after": limits.sign_in_forget_hours * 3600}
    return (counters.ThrottlePolicy(free=limits.sign_in_free_attempts_per_address, **shared),
            counters.ThrottlePolicy(free=limits.sign_in_free_attempts_per_account, **shared))


def _throttle_keys(username: str, client_address: str) -> tuple[str, str]:
    return f"signin:address:{client_address}", f"{_account_prefix(username)}{client_address}"


def _account_prefix(username: str) -> str:
    return f"signin:account:{username.strip().casefold()}:"


async def authenticate(username: str, password: str, client_address: str = "unknown",
                       at: float | None = None) -> Principal:
    """Check a password, throttled by client address and by username-and-address (no lock-out).

    Each attempt is counted before the password is checked, so parallel guesses are counted
    exactly; a success gives its count back. An unknown username is throttled and answered
    exactly like a known one, so neither the message nor the delays reveal which exist."""
    enabled = get_settings().rate_limits.enabled
    moment = counters.now() if at is None else at
    store = counters.counters()
    by_address, by_account = _policies()
    address_key, account_key = _throttle_keys(username, client_address)
    if enabled:
        if not (await store.reserve(address_key, by_address, moment)).allowed:
            raise LoginRefused(throttled=True, user_id=await user_id_by_username(username.strip()))
        if not (await store.reserve(account_key, by_account, moment)).allowed:
            await store.refund(address_key, by_address, moment)  # no guess was made
            raise LoginRefused(throttled=True, user_id=await user_id_by_username(username.strip()))
    user = await User.select(User.id, User.password_hash, User.is_active).where(
        User.username == username.strip()).first()
    matches = await check_password(user["password_hash"] if user else None, password)
    if user is None or not user["is_active"] or not matches:
        raise LoginRefused(user_id=user["id"] if user else None)
    if enabled:
        await store.forget(account_key)
        await store.refund(address_key, by_address, moment)
    return await load_principal(user["id"])


async def clear_sign_in_delays(username: str) -> None:
    """An administrator's remedy for a user held back by failed sign-ins from their own address."""
    await counters.counters().forget_prefix(_account_prefix(username))


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


@dataclass(frozen=True, slots=True)
class SystemToken:
    """A system token as its owner's account page lists it (never the token itself)."""

    id: int
    label: str  # the system it is for, without SYSTEM_TOKEN_PREFIX
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool  # neither revoked nor expired


async def system_tokens(user_id: int) -> list[SystemToken]:
    rows = await ApiToken.select(ApiToken.id, ApiToken.label, ApiToken.created_at, ApiToken.expires_at,
                                 ApiToken.revoked_at).where(
        (ApiToken.user == user_id) & ApiToken.label.like(SYSTEM_TOKEN_PREFIX + "%")
    ).order_by(ApiToken.id, ascending=False)
    return [SystemToken(id=row["id"], label=row["label"][len(SYSTEM_TOKEN_PREFIX):], created_at=row["created_at"],
                        expires_at=row["expires_at"], revoked_at=row["revoked_at"],
                        active=row["revoked_at"] is None and row["expires_at"] > now()) for row in rows]


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


async def revoke_token(token: str, owner_id: int) -> bool:
    """Only the owner's own token: a token's value alone gives no power over it."""
    rows = await ApiToken.update({ApiToken.revoked_at: now()}).where(
        (ApiToken.token_hash == _token_hash(token)) & (ApiToken.user == owner_id) & ApiToken.revoked_at.is_null()
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
