"""Core pages and API: home, sign-in/out, language, account, audit log, health, tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from core import audit, clock
from core.auth import services as auth
from core.auth.guards import PUBLIC, admin_only, admin_or_auditor, requires, signed_in
from core.auth.roles import Principal, Role
from core.db import ping
from core.errors import DomainError, FieldErrors
from core.i18n import LANGUAGES, _, normalise_language
from core.nav import flash, nav_items
from core.ratelimit import client_of, named_limit
from core.regions import region_prefix
from core.sessions import grants_fingerprint, rotate_session
from core.settings import get_settings
from core.web import form_data, paging, render, safe_next, who

# Accounts whose work other systems do through the API (a court's case system, an
# organisation's case register, a mail/SMS gateway with its own account). Administrators hold
# none: a long-lived token with an administrator's reach would outlive any sign-in.
SYSTEM_TOKEN_ROLES = (Role.COURT, Role.ORG_MANAGER, Role.GATEWAY)


def home_region(principal) -> str:
    """Where an account's own events are filed in the audit log: its first grant's region."""
    return principal.grants[0].region_code if principal.grants else ""


def role_labels() -> dict[str, str]:
    return {
        Role.MEDIATOR: _("Mediator"),
        Role.ORG_MANAGER: _("Organisation manager"),
        Role.EXAMINER: _("Examiner"),
        Role.ADMIN: _("Administrator"),
        Role.COURT: _("Court user"),
        Role.AUDITOR: _("Auditor"),
        Role.GATEWAY: _("Mail/SMS gateway"),
    }


class SiteController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", opt=PUBLIC)
    async def home(self, request: Request) -> Template:
        return render("core/home.html", me_links=nav_items(who(request)))

    @get("/lang/{code:str}", opt=PUBLIC)
    async def switch_language(self, code: FromPath[str], next: FromQuery[str | None] = None) -> Redirect:  # noqa: A002
        response = Redirect(path=safe_next(next), status_code=303)
        language = normalise_language(code)
        if language in LANGUAGES:
            response.set_cookie("lang", language, max_age=365 * 86400, httponly=True, samesite="lax")
        return response

    async def _account(self, request: Request, form=None, errors=None, new_token=None, status_code=200) -> Template:
        me = who(request)
        may_hold = me.has_role(*SYSTEM_TOKEN_ROLES)
        return render("core/account.html", status_code=status_code, me=me, role_labels=role_labels(),
                      may_hold_tokens=may_hold, tokens=await auth.system_tokens(me.user_id) if may_hold else [],
                      form=form or {"days": "365"}, errors=errors or {}, new_token=new_token)

    @get("/account", guards=[signed_in])
    async def account(self, request: Request) -> Template:
        return await self._account(request)

    @post("/account/tokens", guards=[requires(*SYSTEM_TOKEN_ROLES)])
    async def create_system_token(self, request: Request) -> Template:
        """The token is shown once on the answer page; only its hash is stored."""
        data = await form_data(request)
        me = who(request)
        try:
            days = int(data.get("days") or 0)
        except ValueError:
            days = 0
        try:
            token, expires_at = await auth.issue_system_token(me.user_id, data.get("label", ""), days)
        except FieldErrors as invalid:
            return await self._account(request, data, invalid.errors, status_code=400)
        await audit.record(me, "issue_system_token", "account", me.user_id, reason=data["label"][:48],
                           after={"expires_at": expires_at.date().isoformat()})
        return await self._account(request, new_token={"token": token, "expires_at": expires_at,
                                                       "label": data["label"]})

    @post("/account/tokens/{token_id:int}/revoke", guards=[signed_in])
    async def revoke_system_token(self, request: Request, token_id: FromPath[int]) -> Redirect:
        me = who(request)
        if await auth.revoke_system_token(me.user_id, token_id):
            await audit.record(me, "revoke_system_token", "account", me.user_id, reason=f"token {token_id}")
            flash(request, _("The token was revoked; systems using it are refused from now on."), "ok")
        return Redirect(path="/account", status_code=303)

    @get("/admin/audit", guards=[admin_or_auditor])
    async def audit_log(
        self,
        request: Request,
        entity: FromQuery[str] = "",
        action: FromQuery[str] = "",
        actor: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        me = who(request)
        prefixes = [region_prefix(code) for code in me.regions_for(Role.ADMIN, Role.AUDITOR)]
        page, size = paging(page, 50, 50)
        rows, total = await audit.browse(prefixes, entity=entity, action=action, actor=actor, page=page, page_size=size)
        from core.web import Page

        query = "&".join(f"{k}={v}" for k, v in (("entity", entity), ("action", action), ("actor", actor)) if v)
        return render(
            "core/audit.html",
            page=Page(rows, total, page, size),
            filters={"entity": entity, "action": action, "actor": actor},
            query_base="/admin/audit" + (f"?{query}" if query else ""),
        )


class AccountsController(Controller):
    """Administrators manage the accounts of their region."""

    path = "/admin/users"
    include_in_schema = False
    guards = [admin_only]

    async def _page(self, request: Request, q: str = "", page: int = 1, form=None, errors=None, status_code=200):
        from core import accounts
        from core.web import Page

        me = who(request)
        page, size = paging(page, 30, 30)
        rows, total = await accounts.accounts_in_scope(me, q, page, size)
        return render(
            "core/users.html", status_code=status_code, page=Page(rows, total, page, size), q=q,
            role_labels=role_labels(), role_choices=list(role_labels().items()),
            region_options=accounts.region_options(me), form=form or {}, errors=errors or {},
        )

    @get("/")
    async def list_accounts(self, request: Request, q: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        return await self._page(request, q, page)

    @post("/")
    async def create_account(self, request: Request) -> Template | Redirect:
        from core import accounts
        from core.errors import FieldErrors

        data = await form_data(request)
        try:
            await accounts.create_account(who(request), data)
        except FieldErrors as invalid:
            return await self._page(request, form=data, errors=invalid.errors, status_code=400)
        flash(request, _("Account created."), "ok")
        return Redirect(path="/admin/users", status_code=303)

    @post("/{user_id:int}/deactivate")
    async def deactivate(self, request: Request, user_id: FromPath[int]) -> Redirect:
        from core import accounts

        await accounts.set_active(who(request), user_id, False)
        return Redirect(path="/admin/users", status_code=303)

    @post("/{user_id:int}/activate")
    async def activate(self, request: Request, user_id: FromPath[int]) -> Redirect:
        from core import accounts

        await accounts.set_active(who(request), user_id, True)
        return Redirect(path="/admin/users", status_code=303)

    @post("/{user_id:int}/clear-sign-in-delays")
    async def clear_sign_in_delays(self, request: Request, user_id: FromPath[int]) -> Redirect:
        from core import accounts

        await accounts.clear_sign_in_delays(who(request), user_id)
        flash(request, _("Sign-in delays for this account were cleared."), "ok")
        return Redirect(path="/admin/users", status_code=303)


class LoginController(Controller):
    path = "/"
    include_in_schema = False

    @get("/login", opt=PUBLIC)
    async def login_page(self, next: FromQuery[str | None] = None) -> Template:  # noqa: A002
        return render("core/login.html", errors={}, username="", next_url=safe_next(next))

    @post("/login", opt=PUBLIC, middleware=named_limit("login"))
    async def login(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        username, password = data.get("username", ""), data.get("password", "")
        errors = {}
        if not username:
            errors["username"] = _("Enter your username.")
        if not password:
            errors["password"] = _("Enter your password.")
        if not errors:
            try:
                principal = await _authenticate(request, username, password)
            except DomainError as refused:
                errors["form"] = refused.message
            else:
                # A new session id at sign-in: an id planted before it is worth nothing after.
                rotate_session(request.scope)
                request.set_session({"uid": principal.user_id, "at": clock.now().isoformat(),
                                     "gf": grants_fingerprint(principal.grants)})
                await audit.record(principal, "sign_in", "account", principal.user_id, region_code=home_region(principal))
                return Redirect(path=safe_next(data.get("next")), status_code=303)
        return render(
            "core/login.html", status_code=400 if errors else 200, errors=errors, username=username,
            next_url=safe_next(data.get("next")),
        )

    @post("/logout", guards=[signed_in])
    async def logout(self, request: Request) -> Redirect:
        request.clear_session()  # the session is deleted from the store and its cookie cleared
        return Redirect(path="/", status_code=303)


async def _authenticate(request: Request, username: str, password: str):
    """Sign-in for the page and the API alike; a refusal for an existing account is audited
    (never the typed password, nor a username that doesn't exist: it may be a mistyped password)."""
    try:
        return await auth.authenticate(username, password, client_of(request.scope))
    except auth.LoginRefused as refused:
        if refused.user_id is not None:
            who_failed = await auth.load_principal(refused.user_id)
            await audit.record(Principal(), "sign_in_refused", "account", refused.user_id,
                               region_code=home_region(who_failed), reason="throttled" if refused.throttled else "")
        raise


class HealthController(Controller):
    path = "/"
    tags = ["operations"]

    @get("/healthz", opt=PUBLIC, summary="Readiness: the database answers")
    async def healthz(self) -> Response[dict[str, Any]]:
        ok = await ping()
        return Response(
            {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "down",
             "today": clock.today().isoformat(), "time_zone": get_settings().time_zone},
            status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Cache-Control": "no-store"},
        )

    @get("/livez", opt=PUBLIC, summary="Liveness: the process answers (no database)")
    async def livez(self) -> dict[str, str]:
        return {"status": "ok"}


class TokenRequest(msgspec.Struct):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str
    expires_at: datetime


class RevokeRequest(msgspec.Struct):
    token: str


class AuthApiController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/token", opt=PUBLIC, status_code=200, middleware=named_limit("api_token"), summary="Issue a bearer token")
    async def issue_token(self, request: Request, data: JSONBody[TokenRequest]) -> TokenResponse:
        try:
            principal = await _authenticate(request, data.username, data.password)
        except DomainError as refused:
            raise NotAuthorizedException(detail=refused.message) from refused
        token, expires_at = await auth.issue_token(principal.user_id)
        await audit.record(principal, "issue_token", "account", principal.user_id, region_code=home_region(principal))
        return TokenResponse(access_token=token, token_type="bearer", expires_at=expires_at)  # noqa: S106

    @post("/revoke", guards=[signed_in], status_code=200, summary="Revoke one of your own bearer tokens")
    async def revoke(self, request: Request, data: JSONBody[RevokeRequest]) -> dict[str, bool]:
        """Someone else's token answers `revoked: false` and stays valid, like an unknown one."""
        revoked = await auth.revoke_token(data.token, owner_id=who(request).user_id)
        await audit.record(who(request), "revoke_token", "account", who(request).user_id,
                           region_code=home_region(who(request)))
        return {"revoked": revoked}

    @get("/me", guards=[signed_in], summary="Who the token belongs to")
    async def me(self, request: Request) -> dict[str, Any]:
        me = who(request)
        return {
            "username": me.username,
            "display_name": me.display_name,
            "roles": [{"role": g.role.value, "region": g.region_code} for g in me.grants],
        }


